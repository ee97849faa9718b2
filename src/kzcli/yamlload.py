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

import re
from typing import Any, ClassVar

import yaml

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


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """Plain scalars resolve only to null, decimal int, decimal float or str."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}


_StrictLoader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_StrictLoader.add_implicit_resolver(_INT, re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
_StrictLoader.add_implicit_resolver(_FLOAT, re.compile(r"^-?(?:0|[1-9][0-9]*)\.[0-9]+$"), list("-0123456789"))


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    if tag == _INT:
        return int(node.value)
    if tag == _FLOAT:
        return float(node.value)
    raise LoadError(node.start_mark.line + 1, f"tag {tag!r} is not allowed here")


def _build(root: yaml.Node) -> Any:
    """Plain data from the node graph; any node reached twice came from an alias."""
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        if id(node) in seen:
            raise LoadError(node.start_mark.line + 1, "anchors and aliases (&name, *name) are not allowed")
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise LoadError(node.start_mark.line + 1, f"tag {node.tag!r} is not allowed here")
            return [build(item) for item in node.value]
        if node.tag != _MAP:
            raise LoadError(node.start_mark.line + 1, f"tag {node.tag!r} is not allowed here")
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = build(key_node)  # no merge resolver is registered: "<<" is just text
            if not isinstance(key, str):
                raise LoadError(line, f"mapping key {key!r} is not text")
            if key in mapping:
                raise LoadError(line, f"duplicate key {key!r} (first at line {mapping.key_lines[key]})")
            mapping.key_lines[key] = line
            mapping[key] = build(value_node)
        return mapping

    try:
        return build(root)
    except RecursionError:
        raise LoadError(root.start_mark.line + 1, "nesting is too deep") from None


def load_yaml(text: str) -> Any:
    """Parse one YAML document strictly; raise LoadError with a 1-based line."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _build(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise LoadError(line, " ".join(str(exc.problem or exc.context or exc).split())) from None
    except yaml.YAMLError as exc:
        raise LoadError(1, " ".join(str(exc).split())) from None
    except RecursionError:
        raise LoadError(1, "nesting is too deep") from None
    finally:
        loader.dispose()
