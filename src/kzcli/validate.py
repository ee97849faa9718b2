"""Validate a knowledge-base folder: YAML, schema, references and (optionally) excerpts.

Every failure becomes one `file:line: id: message` line; all are collected
before InvalidKB is raised, so one run shows every problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kzcli.errors import InvalidKB
from kzcli.kbfiles import KINDS, MAX_FILE_BYTES, KBFile, KBFiles, ProgressFn, no_progress, read_limited
from kzcli.schema import MODELS
from kzcli.textnorm import excerpt_key, split_paragraphs
from kzcli.yamlload import LineDict, LoadError, load_yaml


@dataclass
class KnowledgeBase:
    """Validated records as plain JSON-ready dicts, with where each was defined."""

    records: dict[str, list[dict[str, Any]]]
    origins: dict[str, str] = field(default_factory=dict)
    # The folder each source came from (its layer), for `kz sources`.
    source_folders: dict[str, str] = field(default_factory=dict)


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
        """Where a record is defined: the file name, or its whole path once there are layers."""
        path = self.files[id(raw)].path
        return f"{path if len(self.kb.folders) > 1 else path.name}:{line}"

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


def _schema_pass(check: _Checker, progress: ProgressFn) -> dict[str, list[dict[str, Any]]]:
    valid: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for file in check.kb.of_kind(kind):
            progress(f"reading {kind}.yaml", 0, 1)
            parsed = check.parse(file)
            for index, raw in enumerate(parsed):
                if index % 2000 == 0:
                    progress(f"checking {kind}", index, len(parsed))
                _check_record(check, kind, raw, index, valid)
    return valid


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
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if isinstance(p, (int, str)))
            where = ".".join(str(p) for p in loc if p not in ("int", "float"))
            message = error["msg"].removeprefix("Value error, ")
            check.report(raw, _located_line(raw, loc), record_id, f"{where or 'record'}: {message}")
        return
    check.raw.setdefault(kind, []).append(raw)
    valid[kind].append(model.model_dump(mode="json", by_alias=True))


def _citations(record: dict[str, Any]) -> Iterator[tuple[tuple[int | str, ...], dict[str, Any]]]:
    """Every citation-like dict in a record, with its path inside the record."""
    for i, cite in enumerate(record.get("citations") or []):
        yield ("citations", i), cite
    for i, claim in enumerate(record.get("date_claims") or []):
        yield ("date_claims", i), claim
    for part in ("roles", "statements"):
        for i, item in enumerate(record.get(part) or []):
            for j, cite in enumerate(item["citations"]):
                yield (part, i, "citations", j), cite


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(map(str, loc))


def _reference_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]]) -> None:
    ids: dict[str, tuple[str, str]] = {}

    def claim(kind: str, raw: LineDict, record_id: str, line: int) -> None:
        where = check.shown(raw, line)
        if record_id in ids:
            check.report(raw, line, record_id, f"duplicate id (first defined at {ids[record_id][1]})")
        else:
            ids[record_id] = (kind, where)
            check.origins[record_id] = where

    for kind in KINDS:
        if kind == "aliases":
            continue  # an alias set names an existing record; it defines no id
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            claim(kind, raw, record["id"], raw.line)
            for i, statement in enumerate(record.get("statements") or []):
                claim(kind, raw, statement["id"], _located_line(raw, ("statements", i, "id")))

    known = {kind: check.declared.get(kind, set()) for kind in KINDS}
    for kind in KINDS:
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            for loc, cite in _citations(record):
                if cite["source"] not in known["sources"]:
                    check.report(
                        raw,
                        _located_line(raw, (*loc, "source")),
                        record["id"],
                        f"{_dotted(loc)}.source: unknown source {cite['source']!r}",
                    )
            linked = ("places", "actors") if kind == "events" else ()
            for target in linked:
                for i, ref in enumerate(record[target]):
                    if ref not in known[target]:
                        check.report(
                            raw,
                            _located_line(raw, (target, i)),
                            record["id"],
                            f"{target}.{i}: unknown {target[:-1]} {ref!r}",
                        )
            if kind == "aliases" and record["id"] not in known["actors"] | known["places"]:
                check.report(
                    raw, raw.line, record["id"], f"id: no actor or place {record['id']!r} to add aliases to"
                )
            if kind != "figures":
                continue
            for ref_field, target in (("place", "places"), ("attributed_to", "actors")):
                ref = record.get(ref_field)
                if ref is not None and ref not in known[target]:
                    check.report(
                        raw,
                        _located_line(raw, (ref_field,)),
                        record["id"],
                        f"{ref_field}: unknown {target[:-1]} {ref!r}",
                    )


def _excerpt_pass(check: _Checker, valid: dict[str, list[dict[str, Any]]], sources_dir: Path) -> None:
    by_hash: dict[str, str] = {}
    try:
        files = sorted(p for p in sources_dir.iterdir() if p.is_file())
    except OSError as exc:
        check.problems.append(f"{sources_dir}: cannot read sources folder ({exc.strerror})")
        return
    for path in files:
        try:
            data = read_limited(path, MAX_FILE_BYTES)
        except OSError as exc:
            check.problems.append(f"{path}: cannot read source text ({exc.strerror or exc})")
            continue
        by_hash.setdefault(hashlib.sha256(data).hexdigest(), data.decode("utf-8", "replace"))
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
    for kind in KINDS:
        for record, raw in zip(valid[kind], check.raw.get(kind, []), strict=True):
            for loc, cite in _citations(record):
                blocks = paragraphs.get(cite["source"])
                if blocks is None:
                    continue
                if cite["paragraph"] > len(blocks):
                    check.report(
                        raw,
                        _located_line(raw, (*loc, "paragraph")),
                        record["id"],
                        f"{_dotted(loc)}.paragraph: {cite['source']} has only {len(blocks)} paragraphs",
                    )
                elif excerpt_key(cite["excerpt"]) not in blocks[cite["paragraph"] - 1]:
                    check.report(
                        raw,
                        _located_line(raw, (*loc, "excerpt")),
                        record["id"],
                        f"{_dotted(loc)}.excerpt: not found verbatim in "
                        f"{cite['source']} paragraph {cite['paragraph']}",
                    )


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
    folders = {
        source["id"]: str(kb.folders[check.files[id(raw)].layer])
        for source, raw in zip(valid["sources"], check.raw.get("sources", []), strict=True)
    }
    return KnowledgeBase(valid, check.origins, folders)
