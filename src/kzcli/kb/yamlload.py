"""Safe, strict YAML loading for hand-edited knowledge-base files.

The only module that imports yaml. It refuses what PyYAML would otherwise let
through quietly: duplicate keys (last one wins), aliases (alias-expansion bombs),
tags such as !!python/object, YAML 1.1 booleans and dates in text fields
("no" -> False, 2022-01-05 -> date), and octal or sexagesimal integers. Every
mapping remembers its line numbers so schema errors can point at `file:line`.

libyaml composes the node graph in C; one walk over it then builds plain data,
which is several times faster than PyYAML's general constructor.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable
from typing import Any

import yaml

from kzcli import workers
from kzcli.kb.gcpause import collector_paused

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class LoadError(Exception):
    """A file could not be read as knowledge-base YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LineDict(dict[str, Any]):
    """A mapping that knows where it and each of its keys stand in the file."""

    line: int = 0
    key_lines: dict[str, int]


# Our own tag for a plain (unquoted, untagged) scalar: _scalar decides its type.
_PLAIN = "tag:kz,2022:plain"
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
_INT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_PATTERNS = {_INT: _INT_TEXT, _FLOAT: _FLOAT_TEXT}

# What kz reads, the same in both readers; past it a file is refused in words, before the value is made.
MAX_DEPTH = 100  # levels of nesting, the top-level list being one (no record needs ten)
_TOO_DEEP = f"nesting is deeper than {MAX_DEPTH} levels"
_INT64 = 2**63  # SQLite holds whole numbers from -2**63 to 2**63 - 1
_INT64_DIGITS = len(str(-_INT64))
_KEY_CHARS = 1024  # YAML's longest key as written, its quotes included


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """Tags come only from the text's own syntax; plain scalars are typed later, in _scalar.

    libyaml calls these three methods back for every node. PyYAML's own versions
    walk resolver tables in Python, which was a fifth of the load time.
    """

    def descend_resolver(self, _parent: object, _index: object) -> None:
        """No path-based resolvers are used."""

    def ascend_resolver(self) -> None:
        """No path-based resolvers are used."""

    def resolve(self, kind: type, _value: str, implicit: tuple[bool, bool]) -> str:
        """Plain scalars get _PLAIN; quoted ones are text; collections are a map or a sequence."""
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


def _scalar(node: yaml.ScalarNode, first_line: int) -> Any:
    """Plain scalars are only null, a decimal int, a decimal float, or else text."""
    tag, value = node.tag, node.value
    if tag == _PLAIN:
        if value in _NULL_WORDS:
            return None
        if value[0] in "-0123456789":
            if _INT_TEXT.fullmatch(value):
                return _number(value, node, first_line)
            if _FLOAT_TEXT.fullmatch(value):
                return _number(value, node, first_line, whole=False)
        return value
    if tag == _STR:
        return value
    if tag == _NULL and value in _NULL_WORDS:
        return None
    pattern = _PATTERNS.get(tag)
    if pattern is not None and pattern.fullmatch(value):
        return _number(value, node, first_line, whole=tag == _INT)
    where = node.start_mark.line + first_line
    if pattern is not None or tag == _NULL:
        raise LoadError(where, f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
    raise LoadError(where, f"tag {tag!r} is not allowed here")


def _number(text: str, node: yaml.Node, first_line: int, whole: bool = True) -> int | float:
    """A decimal number from its text; one SQLite could not hold is refused before it is converted.

    (Python itself refuses to convert more than 4,300 digits, with a ValueError.)
    """
    if whole:
        if len(text) <= _INT64_DIGITS:  # a sign and 19 digits at most: cheap to convert, then compared
            number = int(text)
            if -_INT64 <= number < _INT64:
                return number
    else:
        decimal = float(text)  # linear in the text's length, and overflows to infinity
        if math.isfinite(decimal):
            return decimal
    limit = "whole numbers must fit in 64 bits" if whole else "a decimal must be below 1.8e308"
    raise LoadError(node.start_mark.line + first_line, f"number too large: {_cut_short(text)}; {limit}")


def _cut_short(number: str) -> str:
    return number if len(number) <= 24 else f"{number[:20]}… ({len(number):,} characters)"


def _build(root: yaml.Node, first_line: int = 1, may_alias: bool = True) -> Any:
    """Plain data from the node graph; any node reached twice came from an alias.

    `first_line` is the file line on which the composed text begins. Text with no
    "*" cannot hold an alias, so its nodes need not be tracked.
    """
    seen: set[int] = set()

    def build(node: yaml.Node, depth: int) -> Any:
        if may_alias:
            if id(node) in seen:
                raise LoadError(
                    node.start_mark.line + first_line, "anchors and aliases (&name, *name) are not allowed"
                )
            seen.add(id(node))
        if type(node) is yaml.ScalarNode:
            return _scalar(node, first_line)
        if depth > MAX_DEPTH:
            raise LoadError(node.start_mark.line + first_line, _TOO_DEEP)
        if type(node) is yaml.SequenceNode:
            if node.tag != _SEQ:
                raise LoadError(node.start_mark.line + first_line, f"tag {node.tag!r} is not allowed here")
            return [build(item, depth + 1) for item in node.value]
        if node.tag != _MAP:
            raise LoadError(node.start_mark.line + first_line, f"tag {node.tag!r} is not allowed here")
        mapping = LineDict()
        mapping.line = node.start_mark.line + first_line
        key_lines: dict[str, int] = {}
        mapping.key_lines = key_lines
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + first_line
            key = build(key_node, depth + 1)  # no merge resolver is registered: "<<" is just text
            if type(key) is not str:
                raise LoadError(line, f"mapping key {key!r} is not text")
            if key in mapping:
                raise LoadError(line, f"duplicate key {key!r} (first at line {key_lines[key]})")
            key_lines[key] = line
            mapping[key] = build(value_node, depth + 1)
        return mapping

    return build(root, 1)


# A top-level sequence item starts at column 0 with "-". Document markers and
# directives, or line breaks other than "\n", would make a part-by-part parse
# differ from a whole-file one. (Plain substring searches: a multiline regex
# anchored at "^" takes most of a second on a 70 MB file.)
_ITEM_START = re.compile(r"\n-(?=[ \t\n]|\Z)")
_WHOLE_FILE_ONLY = ("\n---", "\n...", "\n%", "\r", "\x85", "\u2028", "\u2029")
_COMMENTS_ONLY = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")
# Items composed at a time: enough to amortise the parser's set-up, few enough
# that the node graph for them stays small.
ITEMS_PER_PART = 500


# Below this size a file is composed whole: parts and a second process would not pay.
PART_THRESHOLD = 1_000_000
PARALLEL_THRESHOLD = 8_000_000


def load_yaml(text: str) -> Any:
    """Parse one YAML document strictly; raise LoadError with a 1-based line."""
    with collector_paused():
        records = load_json_lines(text, lined=True)
        if records is not None:
            return records
        parts = _item_parts(text)
        if parts is not None:
            items = _load_parts(parts, parallel=len(text) >= PARALLEL_THRESHOLD)
            if items is not None:
                return items
            # Some part did not parse on its own: parse the whole text, so the
            # error reported is the one a whole-file parse gives.
        return _load(text)


def _load_run(parts: list[tuple[int, str]]) -> list[Any] | None:
    """The items of consecutive parts, or None if any part fails to load."""
    try:
        return [item for first_line, part in parts for item in _load(part, first_line)]
    except LoadError:
        return None


def _load_parts(parts: list[tuple[int, str]], parallel: bool) -> list[Any] | None:
    """Load the parts in order; a large file's last 40% goes to a forked process.

    Composing is CPU-bound C code holding the GIL, so only a second process helps.
    Fork (Linux only) shares the text without copying; if the worker cannot be
    started or dies, its half is simply loaded here.
    """
    if not parallel or not workers.can_fork() or len(parts) < 2:
        return _load_run(parts)
    # The worker's items are pickled back and unpickled here, so it gets the smaller share.
    half = len(parts) * 3 // 5
    second: list[Any] | None
    with workers.forked(_send_run, parts[half:]) as (child, reader):
        first = _load_run(parts[:half])
        try:
            second = workers.receive(child, reader)
        except workers.ChildGone:  # a broken worker only costs time: load its half here
            second = _load_run(parts[half:])
    if first is None or second is None:
        return None
    first.extend(second)
    return first


def _send_run(parts: list[tuple[int, str]], send: Callable[[Any], None]) -> None:
    """In the worker: load the parts and send their items back (None if any part fails)."""
    send(_load_run(parts))


def _item_parts(text: str) -> list[tuple[int, str]] | None:
    """A long top-level block sequence cut into runs of whole items, each with its first line.

    None when the text is short, or not simply such a sequence (a mapping, flow
    style at the top, document markers): those are parsed whole. Composing a long
    file part by part keeps the node graph small; the result is the same, and any
    part that does not parse on its own makes load_yaml fall back to the whole text.
    """
    starts = _item_starts(text) if len(text) >= PART_THRESHOLD else None
    return None if starts is None else _cut(text, starts[::ITEMS_PER_PART])


def top_level_items(text: str) -> list[tuple[int, str]] | None:
    """Each item of a top-level block sequence as its own text, with its first line (None as above)."""
    starts = _item_starts(text)
    return None if starts is None else _cut(text, starts)


def _item_starts(text: str) -> list[int] | None:
    """Where each top-level item begins, or None when the text is not simply a block sequence."""
    if text.startswith(("---", "...", "%")) or any(marker in text for marker in _WHOLE_FILE_ONLY):
        return None
    starts = [match.start() + 1 for match in _ITEM_START.finditer(text)]
    if re.match(r"-(?:[ \t\n]|\Z)", text):
        starts.insert(0, 0)
    if not starts or _COMMENTS_ONLY.fullmatch(text, 0, starts[0]) is None:
        return None
    return starts


def _cut(text: str, starts: list[int]) -> list[tuple[int, str]]:
    """The text from each start to the next (the last to the end), with its first line."""
    pieces = []
    line = text.count("\n", 0, starts[0]) + 1
    for begin, end in itertools.pairwise([*starts, len(text)]):
        pieces.append((line, text[begin:end]))
        line += text.count("\n", begin, end)
    return pieces


class _NotKzYaml(ValueError):
    """A JSON number or constant that kz's YAML reads differently (1e5 is text to it, NaN is not a number)."""


def _yaml_float(text: str) -> float:
    if _FLOAT_TEXT.fullmatch(text) is None:
        raise _NotKzYaml(text)
    decimal = float(text)
    if not math.isfinite(decimal):
        raise _NotKzYaml(text)
    return decimal


def _yaml_int(text: str) -> int:
    """A JSON integer as kz's YAML reads it; one it refuses as too large is refused before conversion."""
    if len(text) > _INT64_DIGITS:
        raise _NotKzYaml(text)
    number = int(text)
    if not -_INT64 <= number < _INT64:
        raise _NotKzYaml(text)
    return number


def _refuse(text: str) -> Any:
    raise _NotKzYaml(text)


# What YAML may hold as it stands (its c-printable); json writes other characters unescaped too.
_NOT_YAML_PRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _past_yaml_limits(line: str) -> bool:
    """Whether a record line nests deeper, or has a longer key, than kz's YAML reader takes.

    Found from the text, before json recurses into it: the YAML reader then words the refusal.
    The record is the second level (the list of records is the first).
    """
    if line.count("[") + line.count("{") >= MAX_DEPTH and _bracket_depth(line) >= MAX_DEPTH:
        return True
    return len(line) > _KEY_CHARS and any(
        token.end() - token.start() > _KEY_CHARS and line.startswith(":", token.end())
        for token in _JSON_STRING.finditer(line)
    )


def _bracket_depth(line: str) -> int:
    """The deepest nesting of brackets outside the strings of a JSON line."""
    brackets = _JSON_STRING.sub("", line).encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def load_json_lines(text: str, first_line: int = 1, lined: bool = False) -> list[dict[str, Any]] | None:
    """Items written one JSON object a line ("- {...}"), read as kz's YAML reads them; None if not so written.

    Generated layers are often written this way (JSON is YAML), and json reads
    them twenty times faster. Only text that json.dumps would write back exactly
    is taken, so every value is one the YAML loader gives too: plain true and
    false (text to kz's YAML), exponents, duplicate keys, tabs, odd escapes and
    characters YAML may not hold raw all send the text to the YAML loader instead.
    With `lined`, mappings are LineDicts that know their line, as the YAML
    loader's do (each record, and all of it, is on one line).
    """
    if not text.lstrip("\n").startswith("- {"):  # block YAML: leave it before scanning the text
        return None
    if "true" in text or "false" in text or any(marker in text for marker in _WHOLE_FILE_ONLY):
        return None
    if _NOT_YAML_PRINTABLE.search(text):
        return None
    numbered = [(number, line) for number, line in enumerate(text.split("\n"), first_line) if line]
    if not numbered or not all(line.startswith("- {") and line.endswith("}") for _, line in numbered):
        return None
    if any(_past_yaml_limits(line) for _, line in numbered):
        return None
    bodies = [line[2:] for _, line in numbered]
    try:
        items = json.loads(
            "[" + ",".join(bodies) + "]", parse_float=_yaml_float, parse_int=_yaml_int, parse_constant=_refuse
        )
    except ValueError:
        return None
    if json.dumps(items, ensure_ascii=False) != "[" + ", ".join(bodies) + "]":
        return None
    if lined:
        return [_lined(item, number) for item, (number, _) in zip(items, numbered, strict=True)]
    return list(items)


def _lined(value: Any, line: int) -> Any:
    """`value` with each mapping a LineDict standing on `line`, key by key."""
    if isinstance(value, dict):
        mapping = LineDict((key, _lined(item, line)) for key, item in value.items())
        mapping.line = line
        mapping.key_lines = dict.fromkeys(value, line)
        return mapping
    if isinstance(value, list):
        return [_lined(item, line) for item in value]
    return value


def item_parts(text: str) -> list[tuple[int, str]]:
    """The text in runs of whole top-level items, each with its first line; short or odd text is one run."""
    starts = _item_starts(text)
    return [(1, text)] if starts is None else _cut(text, starts[::ITEMS_PER_PART])


def load_part(text: str, first_line: int) -> Any:
    """Parse one piece of a file (whole items), its lines counted from `first_line`; raise LoadError."""
    return _load(text, first_line)


def _load(text: str, first_line: int = 1) -> Any:
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _build(root, first_line, may_alias="*" in text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        words = " ".join(str(exc.problem or exc.context or exc).split())
        if words == "exceeded maximum nesting depth":  # libyaml's own limit, past kz's
            raise LoadError(line, _TOO_DEEP) from None
        # libyaml's words name the problem well; say what kind of problem it is.
        raise LoadError(line, "YAML syntax: " + words) from None
    except yaml.YAMLError as exc:
        raise LoadError(1, "YAML syntax: " + " ".join(str(exc).split())) from None
    except RecursionError:  # PyYAML's own composer, without libyaml, recurses in Python
        raise LoadError(1, _TOO_DEEP) from None
    finally:
        loader.dispose()
