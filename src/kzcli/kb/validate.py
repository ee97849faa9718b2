"""Validate a knowledge-base folder: YAML, schema, references and (optionally) excerpts.

Every failure becomes one `file:line: id: message` line; all are collected
before InvalidKB is raised, so one run shows every problem.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from kzcli.compare import computed_comparison_ids, shared_question_ids, slot_key
from kzcli.errors import InvalidKB
from kzcli.kb.files import KINDS, KBFile, KBFiles, ProgressFn, no_progress, source_texts
from kzcli.kb.inference import unmarked
from kzcli.kb.schema import MODELS
from kzcli.kb.speakers import SpeakerCheck, record_problems
from kzcli.kb.yamlload import LineDict, LoadError, load_part, load_yaml
from kzcli.textnorm import excerpt_key, split_paragraphs


@dataclass
class KnowledgeBase:
    """Validated records as plain JSON-ready dicts, with where each was defined."""

    records: dict[str, list[dict[str, Any]]]
    origins: dict[str, str] = field(default_factory=dict)
    # The folder each source came from (its layer), for `kz sources`.
    source_folders: dict[str, str] = field(default_factory=dict)
    # Per kind, the file each record was read from, in the order of `records`.
    record_files: dict[str, list[KBFile]] = field(default_factory=dict)


@dataclass
class _Checker:
    kb: KBFiles
    problems: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    raw: dict[str, list[LineDict]] = field(default_factory=dict)
    declared: dict[str, set[str]] = field(default_factory=dict)
    # The file each parsed record came from, by id() of its LineDict.
    files: dict[int, KBFile] = field(default_factory=dict)

    def report(self, where: LineDict | Path, line: int, record_id: str, message: str) -> None:
        path = self.files[id(where)].path if isinstance(where, LineDict) else where
        self.problems.append(f"{path}:{line}: {record_id}: {message}")

    def shown(self, raw: LineDict, line: int) -> str:
        """Where a record is defined: its file in the KB folder, or its whole path once there are layers."""
        path = self.files[id(raw)].path
        if len(self.kb.folders) > 1:
            return f"{path}:{line}"
        # A kind kept in many files names the file with its folder (events/2022-01.yaml).
        inside = path.parent.name if path.parent != self.kb.folders[0] else None
        return f"{inside + '/' if inside else ''}{path.name}:{line}"

    def parse(self, file: KBFile) -> list[LineDict]:
        data, kind = file.data, file.kind
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.report(file.path, line, "-", f"not valid UTF-8 (byte {exc.start + 1})")
            return []
        try:
            loaded = load_yaml(text)
        except LoadError as exc:
            self.report(file.path, exc.line, "-", exc.message)
            return []
        if loaded is None:
            self.report(file.path, 1, "-", "file has no records; write [] for an empty list")
            return []
        if not isinstance(loaded, list):
            self.report(file.path, 1, "-", f"expected a list of {kind} records at the top level")
            return []
        records = []
        for index, item in enumerate(loaded):
            if isinstance(item, LineDict):
                self.files[id(item)] = file
                records.append(item)
            else:
                self.report(file.path, 1, f"#{index + 1}", "each record must be a mapping of fields")
        return records


def _located_line(record: LineDict, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest part of `record` named by a pydantic error path."""
    line, node = record.line, record
    for step in loc:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line, node = node.key_lines.get(step, line), node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            line = node.line if isinstance(node, LineDict) else line
        else:
            break
    return line


def _record_id(record: LineDict, index: int) -> str:
    value = record.get("id")
    return value if isinstance(value, str) and value else f"#{index + 1}"


def _schema_pass(
    check: _Checker, progress: ProgressFn, kinds: tuple[str, ...] = KINDS
) -> dict[str, list[dict[str, Any]]]:
    valid: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for kind in kinds:
        for file in check.kb.of_kind(kind):
            progress(f"reading {kind}.yaml", 0, 1)
            parsed = check.parse(file)
            for index, raw in enumerate(parsed):
                if index % 2000 == 0:
                    progress(f"checking {kind}", index, len(parsed))
                _check_record(check, kind, raw, index, valid)
    return valid


# pydantic's error types, in kz's words (the rest: pydantic's message with "Input should be" as "must be").
_WORDS = {
    "extra_forbidden": "not a field of this record (kz schema lists the fields)",
    "missing": "missing; this field is required",
    "int_type": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of fields",
    "model_type": "must be a mapping of fields",
    "bool_type": "must be true or false",
}


def _worded(error: Any) -> str:
    """One schema error as kz words it: no pydantic phrasing such as 'Input should be'."""
    if error["type"] in _WORDS:
        return _WORDS[error["type"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    return message.replace("Input should be", "must be", 1).replace("String should", "must", 1)


def _check_record(
    check: _Checker, kind: str, raw: LineDict, index: int, valid: dict[str, list[dict[str, Any]]]
) -> None:
    record_id = _record_id(raw, index)
    # References resolve against every declared id, valid or not, so one bad
    # record does not also show up as "unknown" wherever it is referenced.
    check.declared.setdefault(kind, set()).add(record_id)
    try:
        model = MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        reported: set[str] = set()
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if isinstance(p, (int, str)))
            where = ".".join(str(p) for p in loc if p not in ("int", "float"))
            if where in reported:  # a number may be an int or a float: pydantic reports each branch
                continue
            reported.add(where)
            check.report(raw, _located_line(raw, loc), record_id, f"{where or 'record'}: {_worded(error)}")
        return
    check.raw.setdefault(kind, []).append(raw)
    valid[kind].append(model.model_dump(mode="json", by_alias=True))


def _citations(record: dict[str, Any]) -> Iterator[tuple[tuple[int | str, ...], dict[str, Any]]]:
    """Every citation-like dict in a record, with its path inside the record."""
    for i, cite in enumerate(record.get("citations") or []):
        yield ("citations", i), cite
    for part in ("date_claims", "claims"):
        for i, claim in enumerate(record.get(part) or []):
            yield (part, i), claim
            # A derived claim's further citations are checked like its own.
            for j, cite in enumerate(claim.get("parts") or []):
                yield (part, i, "parts", j), cite
    for part in ("roles", "statements"):
        for i, item in enumerate(record.get(part) or []):
            for j, cite in enumerate(item["citations"]):
                yield (part, i, "citations", j), cite


def cited_sources(record: dict[str, Any]) -> set[str]:
    """Every source a record cites: itself, its date claims or claims, its roles and statements."""
    return {cite["source"] for _, cite in _citations(record)}


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(map(str, loc))


@dataclass(frozen=True)
class AnyOf:
    """Ids that are in any of several collections: a set, or a table of streamed records."""

    parts: tuple[Container[str], ...]

    def __contains__(self, item: object) -> bool:
        return any(item in part for part in self.parts)


def _reference_pass(
    check: _Checker, valid: dict[str, list[dict[str, Any]]], more_ids: Container[str] = frozenset()
) -> None:
    """Ids are unique and every reference resolves; `more_ids` were checked elsewhere (streamed records)."""
    ids: dict[str, tuple[str, str]] = {}

    def claim(kind: str, raw: LineDict, record_id: str, line: int) -> None:
        where = check.shown(raw, line)
        if record_id in ids:
            check.report(raw, line, record_id, f"duplicate id (first defined at {ids[record_id][1]})")
        else:
            ids[record_id] = (kind, where)
            check.origins[record_id] = where

    for kind in KINDS:
        if kind in ("aliases", "scopes"):
            continue  # an alias set names an existing record; scopes have a namespace of their own
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            claim(kind, raw, record["id"], raw.line)
            for i, statement in enumerate(record.get("statements") or []):
                claim(kind, raw, statement["id"], _located_line(raw, ("statements", i, "id")))

    known = {kind: check.declared.get(kind, set()) for kind in KINDS}
    _scope_pass(check, valid)
    _computed_pass(check, valid)
    _question_id_pass(check, valid)
    every_id = AnyOf((set(ids), more_ids))  # once: copied per record, it made this pass quadratic
    for kind in KINDS:
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            _check_links(check, kind, record, raw, known, every_id)
    _speaker_pass(check, valid, known["actors"])


def speaker_problems(speakers: SpeakerCheck, kind: str, record: dict[str, Any]) -> Iterator[str]:
    """Each citation of `record` whose voice is wrong, as a message (an update checks an edit with it)."""
    for _loc, message in record_problems(speakers, kind, record, _citations(record)):
        yield message


def _speaker_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]], actors: Container[str]) -> None:
    """Each answer in a speaker map is an actor's, and every citation credits its paragraph's voice."""
    for source, raw in zip(valid["sources"], check.raw.get("sources", []), strict=True):
        for i, entry in enumerate(source["speakers"]):
            if entry["actor"] is not None and entry["actor"] not in actors:
                where = _located_line(raw, ("speakers", i, "actor"))
                message = f"speakers.{i}.actor: unknown actor {entry['actor']!r}"
                check.report(raw, where, source["id"], message)
    speakers = SpeakerCheck.of(valid["sources"])
    if not speakers.maps:
        return
    for kind in KINDS:
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            for loc, message in record_problems(speakers, kind, record, _citations(record)):
                check.report(raw, _located_line(raw, (*loc, "paragraph")), record["id"], message)


class Link(NamedTuple):
    """A field of a record that names other records, and the kinds it may name ("*": any record id)."""

    field: str
    kinds: tuple[str, ...]


# Every reference between records, declared once: the whole-KB validation checks them
# here, and an update (index/update.py) checks an edit against the same declaration.
LINKS: dict[str, tuple[Link, ...]] = {
    "events": (Link("places", ("places",)), Link("actors", ("actors",))),
    "figures": (Link("place", ("places",)), Link("attributed_to", ("actors",))),
    "comparisons": (Link("about", ("*",)),),
    "slips": (Link("about", ("*",)), Link("source", ("sources",))),
    "aliases": (Link("id", ("actors", "places")),),
}


def linked(record: dict[str, Any], link: Link) -> list[str]:
    """The ids a record's field names: a list, one id, or none."""
    value = record.get(link.field)
    return list(value) if isinstance(value, list) else [] if value is None else [value]


def broken_links(
    kind: str, record: dict[str, Any], known: Mapping[str, Container[str]], every_id: Container[str]
) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """Each reference of `record` that names nothing, as (where in the record, message).

    `known` holds each kind's ids (sources among them), `every_id` every record id; a
    reference resolves only to a record of a kind its link names.
    """
    for loc, cite in _citations(record):
        if cite["source"] not in known["sources"]:
            yield (*loc, "source"), f"{_dotted(loc)}.source: unknown source {cite['source']!r}"
    for link in LINKS.get(kind, ()):
        listed = isinstance(record.get(link.field), list)
        for i, ref in enumerate(linked(record, link)):
            pools = [every_id if target == "*" else known[target] for target in link.kinds]
            if any(ref in pool for pool in pools):
                continue
            loc = (link.field, i) if listed else (link.field,)
            yield loc, _unknown(kind, _dotted(loc), link, ref)
    if kind == "actors":
        yield from _statement_links(record, known["actors"])


def _statement_links(
    actor: dict[str, Any], actors: Container[str]
) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """Each actor a statement's also_of names must exist and be another actor than its own."""
    for i, statement in enumerate(actor.get("statements") or []):
        for j, ref in enumerate(statement.get("also_of") or []):
            where = f"statements.{i}.also_of.{j}"
            if ref not in actors:
                yield ("statements", i, "also_of", j), f"{where}: unknown actor {ref!r}"
            elif ref == actor["id"]:
                yield ("statements", i, "also_of", j), f"{where}: {ref!r} is the statement's own actor"


def _unknown(kind: str, where: str, link: Link, ref: str) -> str:
    if kind == "aliases":
        return f"{where}: no actor or place {ref!r} to add aliases to"
    noun = "record" if link.kinds == ("*",) else " or ".join(target[:-1] for target in link.kinds)
    return f"{where}: unknown {noun} {ref!r}"


def _check_links(
    check: _Checker,
    kind: str,
    record: dict[str, Any],
    raw: LineDict,
    known: dict[str, set[str]],
    every_id: Container[str],
) -> None:
    """Every source a citation names, and every record a field names, exists."""
    for loc, message in broken_links(kind, record, known, every_id):
        check.report(raw, _located_line(raw, loc), record["id"], message)


def _computed_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]]) -> None:
    """No comparison or slip takes the id of a comparison kz computes: the index keeps them all by id."""
    computed = computed_comparison_ids(valid)
    for kind in ("comparisons", "slips"):
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            what = computed.get(record["id"])
            if what is not None:
                message = f"id: already the id of a computed comparison ({what})"
                check.report(raw, _located_line(raw, ("id",)), record["id"], message)


def _question_id_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]]) -> None:
    """Two questions never share a comparison id: their figures would be judged as one question."""
    shared = shared_question_ids(valid["figures"], {s["id"]: s for s in valid["scopes"]})
    if not shared:
        return
    for figure, raw in zip(valid["figures"], check.raw.get("figures", []), strict=True):
        key = slot_key(figure)
        for comparison_id, questions in shared.items():
            if comparison_id == key or comparison_id.startswith(f"{key}-within-"):
                both = " and ".join(questions)
                message = f"scope: {both} would share the comparison id {comparison_id!r}; rename a scope"
                check.report(raw, _located_line(raw, ("scope",)), figure["id"], message)


def _scope_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]]) -> None:
    """Scopes are declared once, name declared scopes as parts or wholes, and never contain themselves."""
    scopes = {s["id"]: s for s in valid["scopes"]}
    seen: set[str] = set()
    for scope, raw in zip(valid["scopes"], check.raw.get("scopes", []), strict=True):
        if scope["id"] in seen:
            check.report(raw, raw.line, scope["id"], "duplicate scope id")
        seen.add(scope["id"])
        named = [("part_of", scope["part_of"])] if scope["part_of"] else []
        named += [(f"parts.{i}", part) for i, part in enumerate(scope["parts"])]
        for where, ref in named:
            if ref not in scopes:
                check.report(raw, raw.line, scope["id"], f"{where}: unknown scope {ref!r}")
        whole, hops = scope["part_of"], 0
        while whole in scopes and hops <= len(scopes):
            if whole == scope["id"]:
                check.report(raw, raw.line, scope["id"], "part_of: the scope would contain itself")
                break
            whole, hops = scopes[whole]["part_of"], hops + 1


def _excerpt_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]], sources_dir: Path) -> None:
    try:
        by_hash, unreadable = source_texts(sources_dir)
    except InvalidKB as exc:
        check.problems += exc.problems
        return
    check.problems += unreadable
    paragraphs: dict[str, list[str]] = {}
    for source, raw in zip(valid["sources"], check.raw.get("sources", []), strict=True):
        text = by_hash.get(source["sha256"])
        if text is None:
            check.report(
                raw,
                _located_line(raw, ("sha256",)),
                source["id"],
                f"sha256: no file in {sources_dir} has this fingerprint",
            )
        else:
            paragraphs[source["id"]] = [excerpt_key(p) for p in split_paragraphs(text)]
    for source, raw in zip(valid["sources"], check.raw.get("sources", []), strict=True):
        for i, element in enumerate(source["elements"]):
            cite = {"source": source["id"], "paragraph": element["paragraph"], "excerpt": element["text"]}
            _check_excerpt(check, paragraphs, raw, source["id"], ("elements", i), cite)
    for kind in KINDS:
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            for loc, cite in _citations(record):
                _check_excerpt(check, paragraphs, raw, record["id"], loc, cite)
            for loc, message in unmarked(kind, record, paragraphs):
                check.report(raw, _located_line(raw, loc), record["id"], message)


# An excerpt may join two or more verbatim spans of one paragraph with " … ", in order,
# so that it can carry the words that state its fact (a chronology's date and the event).
ELISION = " … "


def verbatim_in(excerpt: str, paragraph: str) -> bool:
    """Every span of the excerpt is in the paragraph, in the excerpt's order."""
    at = 0
    for span in excerpt.split(ELISION):
        found = paragraph.find(excerpt_key(span), at)
        if found < 0:
            return False
        at = found + len(excerpt_key(span))
    return True


def _check_excerpt(
    check: _Checker,
    paragraphs: dict[str, list[str]],
    raw: LineDict,
    record_id: str,
    loc: tuple[int | str, ...],
    cite: dict[str, Any],
) -> None:
    """The cited paragraph exists and holds the excerpt verbatim."""
    blocks = paragraphs.get(cite["source"])
    if blocks is None:
        return
    field = "text" if loc[0] == "elements" else "excerpt"
    if cite["paragraph"] > len(blocks):
        where = _located_line(raw, (*loc, "paragraph"))
        message = f"{_dotted(loc)}.paragraph: {cite['source']} has only {len(blocks)} paragraphs"
        check.report(raw, where, record_id, message)
    elif not verbatim_in(cite["excerpt"], blocks[cite["paragraph"] - 1]):
        where = _located_line(raw, (*loc, field))
        message = (
            f"{_dotted(loc)}.{field}: not found verbatim in {cite['source']} paragraph {cite['paragraph']}"
        )
        check.report(raw, where, record_id, message)


def _source_folders(check: _Checker, valid: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {
        source["id"]: str(check.kb.folders[check.files[id(raw)].layer])
        for source, raw in zip(valid["sources"], check.raw.get("sources", []), strict=True)
    }


@dataclass
class StreamingCheck:
    """Validation for a build that streams the events: the other kinds whole, events a batch at a time.

    It only tells whether anything is wrong; validate() then says what, in its own words.
    """

    kb: KBFiles
    check: _Checker = field(init=False)
    valid: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.check = _Checker(self.kb)
        self.valid = {kind: [] for kind in KINDS}

    def small_kinds(
        self, streamed: tuple[str, ...], progress: ProgressFn
    ) -> dict[str, list[dict[str, Any]]] | None:
        """Every kind but those streamed, schema-checked; None if anything is wrong."""
        self.valid = _schema_pass(self.check, progress, tuple(k for k in KINDS if k not in streamed))
        return None if self.check.problems else self.valid

    def records(self, kind: str, raws: list[Any]) -> list[dict[str, Any]] | None:
        """A batch of parsed records of one kind, schema-checked; None if any is not valid."""
        batch = []
        for raw in raws:
            if not isinstance(raw, dict):
                return None
            try:
                model = MODELS[kind].model_validate(raw)
            except ValidationError:
                return None
            record = model.model_dump(mode="json", by_alias=True)
            # The small kinds' voices are checked with their references; a streamed record's here.
            if next(record_problems(self.speakers, kind, record, _citations(record)), None):
                return None
            batch.append(record)
        return batch

    @cached_property
    def speakers(self) -> SpeakerCheck:
        """The sources' speaker maps (the sources are read before any record streams)."""
        return SpeakerCheck.of(self.valid["sources"])

    def source_folders(self) -> dict[str, str]:
        """The folder (layer) each source came from."""
        return _source_folders(self.check, self.valid)

    def record_ids_by_file(self) -> dict[int, list[str]]:
        """The ids of the records read whole (all kinds but events), by id() of the file they came from."""
        found: dict[int, list[str]] = {}
        for kind, raws in self.check.raw.items():
            for record, raw in zip(self.valid[kind], raws, strict=True):
                found.setdefault(id(self.check.files[id(raw)]), []).append(record["id"])
        return found

    def references_hold(self, streamed_ids: Container[str], named: dict[str, set[str]]) -> bool:
        """The small kinds' ids are unique and their references resolve, the streamed records' included.

        `named` holds the ids of the streamed kinds that small kinds name by kind (places, actors).
        """
        for kind, ids in named.items():
            self.check.declared.setdefault(kind, set()).update(ids)
        _reference_pass(self.check, self.valid, streamed_ids)
        return not self.check.problems


def checked_pieces(kb: KBFiles, file: KBFile, pieces: list[tuple[int, str]]) -> list[dict[str, Any]] | None:
    """The records in some pieces of one file, schema-checked; None if any piece fails to parse or validate.

    Only the schema: the references are the caller's to check. A failure is not
    described here; a full validation reports it in its own words.
    """
    check = _Checker(kb)
    valid: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for first_line, text in pieces:
        try:
            loaded = load_part(text, first_line)
        except LoadError:
            return None
        if not isinstance(loaded, list) or not all(isinstance(raw, LineDict) for raw in loaded):
            return None
        for index, raw in enumerate(loaded):
            check.files[id(raw)] = file
            _check_record(check, file.kind, raw, index, valid)
    return None if check.problems else valid[file.kind]


def validate(
    kb: KBFiles, sources_dir: Path | None = None, progress: ProgressFn = no_progress
) -> KnowledgeBase:
    """Check everything; return the records or raise InvalidKB listing every problem."""
    check = _Checker(kb)
    valid = _schema_pass(check, progress)
    _reference_pass(check, valid)
    if sources_dir is not None:
        _excerpt_pass(check, valid, sources_dir)
    if check.problems:
        raise InvalidKB(check.problems)
    folders = _source_folders(check, valid)
    record_files = {kind: [check.files[id(raw)] for raw in check.raw.get(kind, [])] for kind in KINDS}
    return KnowledgeBase(valid, check.origins, folders, record_files)
