"""The JSON shape of every answer, declared once: `kz schema --output` prints it; a test holds kz to it.

A type is `str`, `int`, `num` (an integer or a decimal), `bool` or `obj` (any object); `A|B` either;
`T?` may be null; `[T]` is a list of T, and `{T}` an object whose values are T (keyed
by source id). Any other name is a shape below. Every field is always present: a
missing value is null (or an empty list), never an absent key.

One concept has one name everywhere: `id` is a record's own id; `type` says which
kind of record a row is about (event, actor, place, figure, statement, source,
note, dispute, excerpt, paragraph); `kind` is a record's category (an actor's
person or state, a place's city, a comparison's figure or date); `date`/`end_date`
date an event; `disputed` is a boolean, and a count of disputed facts is `in_dispute`.
A field named after a record type (`actor`, `event`, `figure`, `source`) holds its id.

JSON and JSONL keep these types, --fields included. Only TSV and CSV flatten: a list
is joined with "; ", a boolean is true or false, null is an empty cell, and an object
inside a list is compact JSON.
"""

from __future__ import annotations

from typing import Any

CITATION = {"source": "str", "paragraph": "int", "excerpt": "str", "note": "str?", "speaker": "str?"}
MARK = {"id": "str", "kind": "str", "verdict": "str", "subject": "str", "about": "str"}
DATE_CLAIM = CITATION | {"date": "str", "qualifier": "str?", "end_date": "str?", "refers_to": "str?"}
CLAIM = CITATION | {
    "shown": "str",
    "value": "num|str?",
    "unit": "str?",
    "qualifier": "str?",
    "date": "str?",
    "end_date": "str?",
    "refers_to": "str?",
    "figure": "str?",
    "derived": "bool",
    "derived_from": "[str]",
    "derivation": "str?",
    "parts": "[citation]",
    "inferred": "str?",
    "metric": "str?",
    "scope": "str?",
    "place": "str?",
    "as_of": "str?",
    "as_of_qualifier": "str?",
    "attributed_to": "str?",
    "caveat": "str?",
}
MATRIX_CLAIM = {
    k: v
    for k, v in CLAIM.items()
    if k
    not in (
        "paragraph",
        "excerpt",
        "note",
        "speaker",
        "date",
        "end_date",
        "refers_to",
        "place",
        "derivation",
        "parts",
    )
} | {"citations": "[citation]"}
MARKED = {"disputes": "[mark]", "disputed": "bool"}
EVENT = {
    "id": "str",
    "era": "str",
    "date": "str",
    "date_qualifier": "str?",
    "date_claims": "[date_claim]",
    "end_date": "str?",
    "time": "str?",
    "title": "str",
    "summary": "str",
    "places": "[str]",
    "actors": "[str]",
    "tags": "[str]",
    "citations": "[citation]",
    "inferred": "{str}",
} | MARKED
STATEMENT = {
    "id": "str",
    "date": "str?",
    "summary": "str",
    "also_of": "[str]",
    "citations": "[citation]",
    "actor": "str",
    "actor_name": "str",
    "inferred": "{str}",
} | MARKED
ROLE = {"title": "str", "from": "str?", "to": "str?", "citations": "[citation]"}
ACTOR = {
    "id": "str",
    "name": "str",
    "kind": "str",
    "aliases": "[str]",
    "description": "str",
    "roles": "[role]",
    "statements": "[statement]",
    "citations": "[citation]",
    "inferred": "{str}",
} | MARKED
PLACE = {
    "id": "str",
    "name": "str",
    "kind": "str",
    "aliases": "[str]",
    "region": "str?",
    "note": "str?",
    "citations": "[citation]",
    "inferred": "{str}",
} | MARKED
FIGURE = {
    "id": "str",
    "era": "str",
    "metric": "str",
    "value": "num",
    "qualifier": "str",
    "unit": "str",
    "scope": "str",
    "as_of": "str?",
    "as_of_qualifier": "str?",
    "place": "str?",
    "attributed_to": "str?",
    "note": "str?",
    "citations": "[citation]",
    "shown": "str",
    "inferred": "{str}",
} | MARKED
SOURCE = {
    "id": "str",
    "key": "str?",
    "title": "str?",
    "publisher": "str?",
    "people": "[person]",
    "published": "str?",
    "kind": "str",
    "language": "str",
    "sha256": "str",
    "file": "str?",
    "inferred": "{str}",
    "note": "str?",
    "elements": "[element]",
    "uncited": "[uncited]",
    "speakers": "[speaker]",
    "folder": "str",
    "facts": "int",
}
COMPARISON = {
    "id": "str",
    "kind": "str",
    "subject": "str",
    "verdict": "str",
    "explanation": "str",
    "records": "[str]",
    "claims": "[claim]",
}
MATRIX_ROW = {
    "row": "str",
    "subject": "str",
    "metric": "str",
    "scope": "str",
    "place": "str?",
    "part_of": "str?",
    "cells": "{[matrix_claim]}",
    "verdict": "str?",
    "explanation": "str?",
    "within": "[within]",
    "subset": "subset?",
    "compared_sources": "[str]",
    "disputed": "bool",
}

# Each answer's rows (or its one object), by the command that gives it.
SHAPES: dict[str, dict[str, str]] = {
    "citation": CITATION,
    "mark": MARK,
    "date_claim": DATE_CLAIM,
    "claim": CLAIM,
    "matrix_claim": MATRIX_CLAIM,
    "role": ROLE,
    "person": {"name": "str", "role": "str", "note": "str?"},
    "element": {"kind": "str", "paragraph": "int", "text": "str"},
    "uncited": {"paragraph": "int", "reason": "str"},
    "speaker": {"paragraphs": "[int]", "voice": "str", "person": "str?", "actor": "str?"},
    "event": EVENT,
    "statement": STATEMENT,
    "actor": ACTOR,
    "place": PLACE,
    "figure": FIGURE,
    "source": SOURCE,
    "comparison": COMPARISON,
    "actor_profile": ACTOR | {"events": "[event]", "sources": "[str]"},
    "place_profile": PLACE | {"events": "[event]", "sources": "[str]"},
    "source_detail": SOURCE | {"cited_by": "[cited_by]"},
    "cited_by": {
        "type": "str",
        "id": "str",
        "label": "str",
        "paragraph": "int",
        "speaker": "str?",
        "excerpt": "str",
    },
    "metric_summary": {
        "metric": "str",
        "figures": "int",
        "low": "num",
        "low_shown": "str",
        "high": "num",
        "high_shown": "str",
        "sources": "[str]",
        "scopes": "[str]",
        "in_dispute": "int",
    },
    "matrix_row": MATRIX_ROW,
    "search_hit": {
        "type": "str",
        "id": "str",
        "label": "str",
        "match": "str",
        "matched": "[[int]]",
        "why": "str?",
        "score": "num",
    },
    "gap": {"type": "str", "id": "str", "gap": "str", "detail": "str"},
    "cache": {"path": "str?", "size": "int", "entries": "[cache_entry]"},
    "cache_entry": {"file": "str", "kind": "str", "size": "int", "used": "str", "folders": "[str]?"},
}

BRIEF_EVENT = {
    "event": "str",
    "date": "str",
    "date_claims": "[date_claim]",
    "disputed": "bool",
    "disputes": "[mark]",
    "sources": "[str]",
}
SHAPES |= {
    "scope": {"id": "str", "title": "str", "part_of": "str?", "parts": "[str]"},
    "export": {
        "kb": "kb",
        "sources": "[export_source]",
        "events": "[event]",
        "actors": "[actor]",
        "places": "[place]",
        "figures": "[figure]",
        "scopes": "[scope]",
        "comparisons": "[comparison]",
    },
    "kb": {"version": "str", "fingerprint": "str", "counts": "{int}"},
    "export_source": {k: v for k, v in SOURCE.items() if k != "facts"},
    "brief": {
        "period": "period",
        "what_happened": "[brief_event]",
        "key_dates": "[brief_date]",
        "key_actors": "[brief_actor]",
        "figures": "[matrix_row]",
    },
    "period": {"from": "str", "to": "str"},
    "brief_event": BRIEF_EVENT | {"summary": "str"},
    "brief_date": BRIEF_EVENT | {"title": "str"},
    "brief_actor": {"actor": "str", "name": "str", "events": "int", "role": "role?", "sources": "[str]"},
    "chart_bar": {"row": "str", "subject": "str", "source": "str", "key": "str"}
    | {k: v for k, v in MATRIX_CLAIM.items() if k != "source"}
    | {"verdict": "str?", "within": "[within]", "disputed": "bool"},
    "within": {"id": "str", "verdict": "str", "explanation": "str"},
    "subset": {"shown": "int", "of": "int"},
    "chart_day": {
        "date": "str",
        "events": "int",
        "in_dispute": "int",
        "key_event": "str?",
        "key_title": "str?",
        "key_sources": "[str]",
        "event_ids": "[str]",
        "disputed_ids": "[str]",
        "disputed_titles": "[str]",
    },
}

# Which shape each command's JSON has: a list of rows, or one object.
COMMANDS: dict[str, tuple[str, bool]] = {
    "timeline": ("event", True),
    "actors": ("actor", True),
    "places": ("place", True),
    "figures": ("figure", True),
    "figures --summary": ("metric_summary", True),
    "figures METRIC --by-source": ("matrix_row", True),
    "sources": ("source", True),
    "statements": ("statement", True),
    "disputes": ("comparison", True),
    "search": ("search_hit", True),
    "gaps": ("gap", True),
    "actor": ("actor_profile", False),
    "place": ("place_profile", False),
    "source": ("source_detail", False),
    "cache": ("cache", False),
    "brief": ("brief", False),
    "figures METRIC --chart": ("chart_bar", True),
    "timeline --chart": ("chart_day", True),
    "export": ("export", False),
}


def problems(value: Any, kind: str, where: str = "$") -> list[str]:
    """Where `value` departs from type `kind` (a shape name or a type as described above)."""
    if kind.endswith("?"):
        return [] if value is None else problems(value, kind[:-1], where)
    if "|" in kind and not kind.startswith(("[", "{")):
        return (
            []
            if any(not problems(value, k, where) for k in kind.split("|"))
            else [f"{where}: expected {kind}, got {value!r:.60}"]
        )
    if kind.startswith("["):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r:.60}"]
        return [p for i, item in enumerate(value) for p in problems(item, kind[1:-1], f"{where}[{i}]")]
    if kind.startswith("{"):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r:.60}"]
        return [p for k, item in value.items() for p in problems(item, kind[1:-1], f"{where}.{k}")]
    if kind in SHAPES:
        return _record_problems(value, SHAPES[kind], where)
    return [] if _is_scalar(value, kind) else [f"{where}: expected {kind}, got {value!r:.60}"]


def _is_scalar(value: Any, kind: str) -> bool:
    checks = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "num": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "obj": lambda v: isinstance(v, dict),
    }
    return checks[kind](value)


def _record_problems(value: Any, shape: dict[str, str], where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {value!r:.60}"]
    found = [f"{where}.{name}: missing" for name in shape if name not in value]
    found += [f"{where}.{name}: not in the declared shape" for name in value if name not in shape]
    return found + [
        p
        for name, kind in shape.items()
        if name in value
        for p in problems(value[name], kind, f"{where}.{name}")
    ]


# What a field means, where its name and type do not say it: printed beside the field.
FIELD_NOTES: dict[tuple[str, str], str] = {
    ("mark", "id"): "the comparison the record is a side of (kz disputes lists it)",
    ("mark", "subject"): "the comparison's question, in words",
    ("mark", "about"): "what the comparison judges: date, value, or its kind (name, occurrence, "
    "attribution, wording, slip); --strict counts only the marks about what the view shows",
    ("matrix_row", "verdict"): "the question's stored verdict, over all its claims, whatever the view shows",
    ("matrix_row", "within"): "a part's stored comparisons with its wholes, the nearest first",
    (
        "matrix_row",
        "subset",
    ): "when the view shows fewer of the question's compared claims: how many of how many",
    ("matrix_row", "compared_sources"): "the sources of every claim the verdicts were judged over",
    ("chart_bar", "row"): "the question (its comparison's id) the bar belongs to",
    ("claim", "inferred"): "why a value is read from context; for a figure, each part ('date of "
    "counting: …', 'value: …'), and the shown date or value carries '(inferred)'",
    ("matrix_claim", "inferred"): "as on a claim: what of the figure is read from context, and why",
    ("metric_summary", "in_dispute"): "how many of the figures have a value in dispute",
}


def describe() -> str:
    """The shapes as text, for `kz schema --output`."""
    lines = [line.strip() for line in (__doc__ or "").splitlines()[2:]]
    lines += ["", "Commands:"]
    lines += [
        f"  kz {cmd:<28} {'a list of ' + shape if many else 'one ' + shape}"
        for cmd, (shape, many) in COMMANDS.items()
    ]
    for name, shape in SHAPES.items():
        lines += ["", f"{name}:"] + [
            f"  {field}: {kind}" + (f"  ({FIELD_NOTES[name, field]})" if (name, field) in FIELD_NOTES else "")
            for field, kind in shape.items()
        ]
    return "\n".join(lines)
