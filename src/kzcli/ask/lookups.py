"""Lookups against the compiled index. Pure: a connection in, plain dicts out.

Table and column names in the SQL come from KIND_TABLES and fixed literals, never from
the user; every user value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from kzcli.compare import ABOUT_VALUE, in_dispute, mark_of, marks_about
from kzcli.errors import BadUsage, NoMatch
from kzcli.kb.speakers import voice_map
from kzcli.textnorm import clean_text, name_key
from kzcli.wording import dated, event_date, figure_value

Record = dict[str, Any]
KIND_TABLES = {"actor": "actors", "place": "places", "source": "sources"}
CASUALTY_METRICS = ("deaths", "injured", "casualties")


def _docs(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Record]:
    return [json.loads(row[0]) for row in conn.execute(sql, params)]


# The longest name, id, search text or filter value kz looks at; longer matches nothing.
MAX_ASKED = 1000
# Bytes that were not UTF-8, as Python keeps them in arguments and in kz's reading of stdin.
_NOT_UTF8 = re.compile(r"[\ud800-\udfff]")


def asked(kind: str, text: str) -> str:
    """`text` as given, if it can name a `kind` at all; else NoMatch, before any work is done on it.

    A 50 MB name would cost gigabytes in the close-match hint, and text that is not UTF-8
    cannot be matched or given to SQLite; either is a miss, shown cut short and escaped.
    """
    if len(text) > MAX_ASKED:
        raise NoMatch(f"no {kind} matches {_shown(text)} (longer than {MAX_ASKED:,} characters)")
    if _NOT_UTF8.search(text):
        raise NoMatch(f"no {kind} matches {_shown(text)} (not valid UTF-8)")
    return text


def resolve(conn: sqlite3.Connection, kind: str, query: str) -> str:
    """The one id that `query` names (by id, name or alias); NoMatch otherwise."""
    asked(kind, query)
    exact = conn.execute(
        f"SELECT id FROM {KIND_TABLES[kind]} WHERE id = ?", (clean_text(query).strip().lower(),)
    ).fetchone()
    if exact:
        return str(exact[0])
    key = name_key(query)
    if not key:
        raise NoMatch(f"no {kind} name given")
    steps = (("key = ?", key), ("' ' || key || ' ' LIKE ?", f"% {key} %"), ("' ' || key LIKE ?", f"% {key}%"))
    for condition, value in steps:
        found = conn.execute(
            f"SELECT record_id, MIN(name) FROM names WHERE kind = ? AND {condition} GROUP BY record_id "
            "ORDER BY record_id LIMIT 11",
            (kind, value),
        ).fetchall()
        if len(found) == 1:
            return str(found[0][0])
        if found:
            listed = ", ".join(str(rid) for rid, _ in found[:10]) + (", …" if len(found) > 10 else "")
            raise NoMatch(f"{_shown(query)} matches more than one {kind}: {listed}; give one of these ids")
    everything = dict(conn.execute("SELECT key, record_id FROM names WHERE kind = ?", (kind,)).fetchall())
    near = difflib.get_close_matches(key, everything, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(dict.fromkeys(everything[k] for k in near))}?" if near else ""
    return _raise_unknown(kind, query, hint)


# repr's escape for a byte that was not UTF-8 (\udcff), not preceded by an escaped backslash.
_BYTE_REPR = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def _shown(query: str) -> str:
    """A user's query quoted for a one-line message, cut short if long; a byte that was not UTF-8 as \\xff."""
    return _BYTE_REPR.sub(r"\1\\x\2", repr(query if len(query) <= 60 else query[:57] + "..."))


def _raise_unknown(kind: str, query: str, hint: str) -> str:
    raise NoMatch(f"no {kind} matches {_shown(query)}{hint}")


def names_of(conn: sqlite3.Connection, kind: str, ids: set[str]) -> dict[str, str]:
    """Display names for a set of actor or place ids."""
    if not ids:
        return {}
    table = KIND_TABLES[kind]
    marks = ",".join("?" * len(ids))
    return dict(conn.execute(f"SELECT id, name FROM {table} WHERE id IN ({marks})", tuple(ids)))


def source_docs(conn: sqlite3.Connection, ids: set[str] | None = None) -> list[Record]:
    """Source records in KB order, all of them or those in `ids`."""
    docs = _docs(conn, "SELECT doc FROM sources ORDER BY ord")
    return [d for d in docs if ids is None or d["id"] in ids]


def _earliest_start(conn: sqlite3.Connection, start: str) -> str:
    """The earliest first day of an event that can reach `start`: no event spans longer than the longest.

    A lower bound on date_start lets SQLite read one stretch of its date index
    instead of every event before `start` (a one-day timeline of a million events).
    """
    row = conn.execute("SELECT value FROM meta WHERE key = 'longest_event_days'").fetchone()
    try:
        return (dt.date.fromisoformat(start) - dt.timedelta(days=int(row[0]))).isoformat()
    except (TypeError, ValueError, OverflowError):
        return "0000-01-01"


def timeline(
    conn: sqlite3.Connection,
    *,
    start: str = "0000-01-01",
    end: str = "9999-12-31",
    links: dict[str, str] | None = None,
) -> list[Record]:
    """Events overlapping [start, end] in timeline order, filtered by linked ids."""
    sql = "SELECT doc FROM events WHERE date_end >= ? AND date_start <= ? AND date_start >= ?"
    params: list[Any] = [start, end, _earliest_start(conn, start)]
    for kind, target in (links or {}).items():
        sql += " AND id IN (SELECT event_id FROM event_links WHERE kind = ? AND target = ?)"
        params += [kind, target]
    return _docs(conn, sql + " ORDER BY ord", tuple(params))


def profile(conn: sqlite3.Connection, kind: str, record_id: str) -> Record:
    """An actor or place with its events and the sources that mention it."""
    table = KIND_TABLES[kind]
    doc = _docs(conn, f"SELECT doc FROM {table} WHERE id = ?", (record_id,))[0]
    doc["events"] = timeline(conn, links={kind: record_id})
    if kind == "actor":
        # A statement made for this actor, or shared with it, is in its profile as well as its speaker's.
        doc["statements"] = statements(conn, record_id)
    parts = [doc, *doc.get("roles", []), *doc.get("statements", []), *doc["events"]]
    cited = {c["source"] for part in parts for c in part["citations"]}
    doc["sources"] = [s["id"] for s in source_docs(conn, cited)]
    return doc


def listing(conn: sqlite3.Connection, kind: str, category: str | None = None) -> list[Record]:
    """All actors or places (optionally of one kind: person, city...), by name."""
    table = KIND_TABLES[kind]
    if category is None:
        return _docs(conn, f"SELECT doc FROM {table} ORDER BY name COLLATE NOCASE, id")
    return _docs(
        conn, f"SELECT doc FROM {table} WHERE kind = ? ORDER BY name COLLATE NOCASE, id", (category,)
    )


def metrics(conn: sqlite3.Connection) -> list[str]:
    """The metrics that have at least one figure."""
    return [row[0] for row in conn.execute("SELECT DISTINCT metric FROM figures ORDER BY metric")]


class StoredComparisons(Mapping[str, Record]):
    """The compiler's comparisons of figures by id, each read from the index when first asked for.

    A view asks only for the questions it shows: at a few thousand claims a question, reading
    every stored comparison would cost more than the answer.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._read: dict[str, Record | None] = {}

    def __getitem__(self, comparison_id: str) -> Record:
        if comparison_id not in self._read:
            found = _docs(
                self._conn, "SELECT doc FROM disputes WHERE id = ? AND kind = 'figure'", (comparison_id,)
            )
            self._read[comparison_id] = found[0] if found else None
        doc = self._read[comparison_id]
        if doc is None:
            raise KeyError(comparison_id)
        return doc

    def __iter__(self) -> Iterator[str]:
        rows = self._conn.execute("SELECT id FROM disputes WHERE kind = 'figure' ORDER BY ord")
        return (row[0] for row in rows)

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM disputes WHERE kind = 'figure'").fetchone()[0])


def figure_comparisons(conn: sqlite3.Connection) -> StoredComparisons:
    """The compiler's comparisons of figures, by question (metric, scope and place), read as asked for."""
    return StoredComparisons(conn)


def figures(conn: sqlite3.Connection, metrics: list[str]) -> list[Record]:
    """Every figure for the given metrics, grouped by metric and scope."""
    marks = ",".join("?" * len(metrics))
    return _docs(conn, f"SELECT doc FROM figures WHERE metric IN ({marks}) ORDER BY ord", tuple(metrics))


def _sources_of(figure: Record) -> list[str]:
    return list(dict.fromkeys(c["source"] for c in figure["citations"]))


def scopes(conn: sqlite3.Connection) -> dict[str, Record]:
    """How scopes nest (scopes.yaml), by id."""
    return {row[0]: json.loads(row[1]) for row in conn.execute("SELECT id, doc FROM scopes")}


def metric_summary(conn: sqlite3.Connection, eras: tuple[str, ...]) -> list[Record]:
    """One row per metric: how many figures, the range reported, how many sources, how many whose value
    is in dispute."""
    by_metric: dict[str, list[Record]] = defaultdict(list)
    for doc in _docs(conn, "SELECT doc FROM figures ORDER BY ord"):
        if doc["era"] in eras:
            by_metric[doc["metric"]].append(doc)
    summary = []
    for metric, members in by_metric.items():
        low = min(members, key=lambda f: f["value"])
        high = max(members, key=lambda f: f["value"])
        summary.append(
            {
                "metric": metric,
                "figures": len(members),
                "low": low["value"],
                "low_shown": figure_value(low["value"], low["qualifier"], low["unit"]),
                "high": high["value"],
                "high_shown": figure_value(high["value"], high["qualifier"], high["unit"]),
                "sources": sorted({s for f in members for s in _sources_of(f)}),
                "scopes": sorted({f["scope"] for f in members}),
                # The figures whose values are in dispute: a question about something else (which fuel) aside.
                "in_dispute": sum(in_dispute(marks_about(f["disputes"], ABOUT_VALUE)) for f in members),
            }
        )
    return summary


def sources(conn: sqlite3.Connection) -> list[Record]:
    """Every source with how many facts cite it."""
    counts = dict(
        conn.execute("SELECT source, COUNT(DISTINCT kind || ':' || record_id) FROM citations GROUP BY source")
    )
    return [dict(doc, facts=counts.get(doc["id"], 0)) for doc in source_docs(conn)]


def source_detail(conn: sqlite3.Connection, source_id: str) -> Record:
    """One source, with every fact that cites it."""
    doc = source_docs(conn, {source_id})[0]
    cited = conn.execute(
        "SELECT kind, record_id, label, paragraph, excerpt FROM citations WHERE source = ? "
        "ORDER BY paragraph, kind, record_id",
        (source_id,),
    ).fetchall()
    voices = voice_map(doc)
    doc["cited_by"] = [
        {
            "type": kind,
            "id": rid,
            "label": label,
            "paragraph": para,
            "speaker": voices[para].words() if para in voices else None,
            "excerpt": excerpt,
        }
        for kind, rid, label, para, excerpt in cited
    ]
    doc["facts"] = len({(row[0], row[1]) for row in cited})
    return doc


_WORD = re.compile(r"\w+", re.UNICODE)
# FTS5 reads `name:` before a word as a column filter; kz's search has no columns to filter.
_COLUMN_FILTER = re.compile(r"(?:^|(?<=[\s(\"+-]))([^\W\d_]\w*):(?=[\w\"(])")
MAX_SEARCH_WORDS = 64


# bm25 is computed for every row a query ranks. A word found in most of a very
# large KB would make one search rank all of it, so past this many matches only
# the first ones in rowid order are ranked: records before excerpts, and within a
# kind an order that the entries' text decides, however the index was built.
RANKED_AT_MOST = 10_000


def search(conn: sqlite3.Connection, text: str, limit: int) -> tuple[list[Record], int | None]:
    """Ranked full-text hits across records and excerpts (SQLite FTS5, bm25).

    Also returns how many matches were ranked when the matches were too many to
    rank them all (None when every match was ranked).
    """
    text = clean_text(asked("entry", text))
    column = _COLUMN_FILTER.search(text)
    if column:
        raise BadUsage(
            f"search: {column.group(1)[:30]!r}: column filters (NAME:word) are not supported;"
            " search for the words alone"
        )
    words = _WORD.findall(text)
    if not words:
        raise BadUsage("search: give at least one word (letters or digits)")
    if len(words) > MAX_SEARCH_WORDS:
        raise BadUsage(f"search: at most {MAX_SEARCH_WORDS} words ({len(words)} given); use fewer words")
    named = {w: _other_names(conn, w) for w in dict.fromkeys(words)}
    query = " AND ".join(_term(w, named[w]) for w in words)
    bound = conn.execute(
        "SELECT rowid FROM search WHERE search MATCH ? LIMIT 1 OFFSET ?", (query, RANKED_AT_MOST)
    ).fetchone()
    rows = conn.execute(
        "SELECT kind, record_id, label, snippet(search, 3, ?, ?, '…', 16), bm25(search) AS score, body "
        "FROM search WHERE search MATCH ? AND rowid < ? ORDER BY score LIMIT ?",
        (_OPEN, _CLOSE, query, bound[0] if bound else 2**63 - 1, limit),
    )
    hits = []
    for kind, rid, label, snippet, score, body in rows:
        match, spans = _spans(snippet)
        hit = {"type": kind, "id": rid, "label": label, "match": match, "matched": spans}
        hits.append(hit | {"why": _why(body, named), "score": round(-score, 3)})
    return hits, RANKED_AT_MOST if bound else None


# Where FTS5 found the words, marked in its snippet by two private-use characters.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _spans(snippet: str) -> tuple[str, list[list[int]]]:
    """The snippet as plain text, and the [start, end) of each matched word in it."""
    plain: list[str] = []
    spans: list[list[int]] = []
    at = 0
    for part in re.split(f"({_OPEN}.*?{_CLOSE})", snippet):
        word = part.strip(_OPEN + _CLOSE)
        if part.startswith(_OPEN):
            spans.append([at, at + len(word)])
        plain.append(word)
        at += len(word)
    return "".join(plain), spans


def _other_names(conn: sqlite3.Connection, word: str) -> tuple[str, list[str]] | None:
    """When `word` names one actor, place or source: its display name and its other spellings."""
    key = name_key(word)
    sql = "SELECT DISTINCT kind, record_id FROM names WHERE key = ? AND kind IN ('actor', 'place', 'source')"
    found = conn.execute(sql + " LIMIT 2", (key,)).fetchall() if key else []
    if len(found) != 1:
        return None
    kind, record_id = found[0]
    rows = conn.execute(
        "SELECT name FROM names WHERE kind = ? AND record_id = ? ORDER BY name", (kind, record_id)
    )
    # Spellings that fold to the same key count too: "Aktau" must find the texts' "Aktaou".
    spellings = [name for (name,) in rows if name.casefold() != word.casefold() and name != record_id]
    display = record_id if kind == "source" else names_of(conn, kind, {record_id}).get(record_id, record_id)
    return (display, spellings) if spellings else None


def _term(word: str, named: tuple[str, list[str]] | None) -> str:
    """One query word for FTS5: itself as a prefix, or any spelling of the thing it names."""
    own = f'"{word}"*'
    if named is None:
        return own
    phrases = [
        '"' + " ".join(_WORD.findall(spelling)) + '"' for spelling in named[1] if _WORD.search(spelling)
    ]
    return f"({' OR '.join([own, *phrases])})"


def _why(body: str, named: dict[str, tuple[str, list[str]] | None]) -> str | None:
    """Why a hit matched when the typed word is not in it: 'Bielorussia, an alias of Belarus'."""
    text = body.casefold()
    for word, spellings in named.items():
        if spellings is None or word.casefold() in text:
            continue
        display, others = spellings
        used = next((s for s in others if s.casefold() in text), None)
        if used is not None and used.casefold() == display.casefold():
            return f"{used}, the texts' spelling of {word}"
        if used is not None:
            return f"{used}, an alias of {display}"
    return None


def statements(conn: sqlite3.Connection, actor_id: str | None = None) -> list[Record]:
    """Every attributed statement (or one actor's), each with its actor's id and name."""
    sql = (
        "SELECT doc FROM statements WHERE ?1 IS NULL OR actor_id = ?1 "
        "OR EXISTS (SELECT 1 FROM json_each(doc, '$.also_of') WHERE value = ?1) ORDER BY ord"
    )
    return _docs(conn, sql, (actor_id,))


def cite_target(conn: sqlite3.Connection, record_id: str) -> tuple[Record, list[Record], list[Record]]:
    """What `kz cite ID` cites: the fact, its citations (every side if disputed), their sources."""
    rid = asked("record", record_id).strip()
    # A source by its id or by the key every table prints (PG, any case), as `kz source` takes it.
    key = rid.casefold()
    source = [d for d in source_docs(conn) if rid == d["id"] or key == str(d.get("key") or "").casefold()]
    if source:
        rid = source[0]["id"]
        label = source[0]["title"] or f"[untitled {source[0]['kind']}]"
        return {"id": rid, "type": "source", "label": label, "disputed": False}, [{"source": rid}], source
    dispute = _docs(
        conn,
        "SELECT d.doc FROM dispute_members m JOIN disputes d ON d.id = m.dispute_id "
        "WHERE m.record_id = ? AND d.verdict IN ('contradiction', 'differs') ORDER BY d.ord",
        (rid,),
    )
    event = _docs(conn, "SELECT doc FROM events WHERE id = ?", (rid,))
    figure = _docs(conn, "SELECT doc FROM figures WHERE id = ?", (rid,))
    statement = _docs(conn, "SELECT doc FROM statements WHERE id = ?", (rid,))
    if event:
        doc = event[0]
        fact = {"id": rid, "type": "event", "label": f"{doc['title']} ({event_date(doc)})"}
        claims = [dict(c, claim=f"dated {dated(c['date'], c.get('qualifier'))}") for c in doc["date_claims"]]
        claimed = {(c["source"], c["paragraph"], c["excerpt"]) for c in claims}
        others = [c for c in doc["citations"] if (c["source"], c["paragraph"], c["excerpt"]) not in claimed]
        items = claims + others
    elif figure:
        doc = figure[0]
        shown = figure_value(doc["value"], doc["qualifier"], doc["unit"])
        fact = {"id": rid, "type": "figure", "label": f"{doc['metric']} ({doc['scope']}): {shown}"}
        sides = [
            dict(c, claim=f"{c['shown']} {c['metric']} ({c['scope']})")
            for d in dispute
            for c in d["claims"]
            if d["kind"] == "figure"
        ]
        items = list({(c["source"], c["paragraph"], c["excerpt"], c["claim"]): c for c in sides}.values())
        items = items or list(doc["citations"])
    elif statement:
        doc = statement[0]
        actor = names_of(conn, "actor", {doc["actor"]}).get(doc["actor"], doc["actor"])
        fact = {"id": rid, "type": "statement", "label": f"{actor}: {doc['summary']}"}
        items = list(doc["citations"])
    else:
        raise NoMatch(f"no source, event, figure or statement has the id {rid!r}")
    cited = source_docs(conn, {item["source"] for item in items})
    marks = [mark_of(d) | {"explanation": d["explanation"]} for d in dispute]
    # Every side is cited for the comparisons about what is cited (an event's date, a figure's
    # value); one about something else (which fuel) is named below the citations with its subject.
    cited_about = {"event": "date", "figure": "value"}.get(fact["type"])
    sides_cited = any(m["about"] == cited_about for m in marks)
    inferred = dict(doc.get("inferred") or {})
    return {**fact, "disputed": sides_cited, "disputes": marks, "inferred": inferred}, items, cited


def disputes(conn: sqlite3.Connection, verdicts: tuple[str, ...]) -> list[Record]:
    """Every comparison with one of `verdicts`: contradictions and differences, agreements, slips."""
    marks = ",".join("?" * len(verdicts))
    return _docs(conn, f"SELECT doc FROM disputes WHERE verdict IN ({marks}) ORDER BY ord", verdicts)


def export(conn: sqlite3.Connection, kb: Record) -> Record:
    """The whole KB as one object (the JSON export contract)."""
    return {
        "kb": kb,
        "sources": source_docs(conn),
        "events": _docs(conn, "SELECT doc FROM events ORDER BY ord"),
        "actors": _docs(conn, "SELECT doc FROM actors ORDER BY id"),
        "places": _docs(conn, "SELECT doc FROM places ORDER BY id"),
        "figures": _docs(conn, "SELECT doc FROM figures ORDER BY ord"),
        "scopes": _docs(conn, "SELECT doc FROM scopes ORDER BY id"),
        "comparisons": _docs(conn, "SELECT doc FROM disputes ORDER BY ord"),
    }


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


COMPLETION_LIMIT = 200
# What `kz cite` takes: every fact's id and every source's, with a label to show beside it.
_CITABLE = (
    "SELECT id, json_extract(doc, '$.title') FROM events WHERE id LIKE ?1 ESCAPE '\\'",
    "SELECT id, json_extract(doc, '$.shown') FROM figures WHERE id LIKE ?1 ESCAPE '\\'",
    "SELECT id, json_extract(doc, '$.summary') FROM statements WHERE id LIKE ?1 ESCAPE '\\'",
    "SELECT id, json_extract(doc, '$.title') FROM sources WHERE id LIKE ?1 ESCAPE '\\'",
)


def completions(conn: sqlite3.Connection, kind: str, prefix: str) -> list[tuple[str, str]]:
    """Shell completion: (id, name) for every record whose id, name or alias starts with `prefix`.

    A name matches by any of its words, in any script: 'tok' and 'Тока' both offer
    kassym-jomart-tokayev. `kind` is actor, place or source, `metric`, or `cite` (any citable id).
    """
    prefix = clean_text(prefix).strip()
    if kind == "metric":
        return [(m, "") for m in metrics(conn) if m.startswith(prefix.lower())]
    if kind == "cite":
        like = _like_prefix(prefix.lower())
        rows = [row for sql in _CITABLE for row in conn.execute(sql, (like,))]
        return [(rid, str(label or "")) for rid, label in rows[:COMPLETION_LIMIT]]
    shown = "name" if kind in ("actor", "place") else "json_extract(doc, '$.key')"
    label = dict(conn.execute(f"SELECT id, {shown} FROM {KIND_TABLES[kind]}").fetchall())
    ids = {rid for rid in label if rid.startswith(prefix.lower())}
    key = name_key(prefix)
    if key:
        sql = "SELECT DISTINCT record_id FROM names WHERE kind = ?1 AND (key LIKE ?2 OR key LIKE ?3)"
        ids |= {row[0] for row in conn.execute(sql, (kind, f"{key}%", f"% {key}%"))}
    return [(rid, str(label.get(rid) or "")) for rid in sorted(ids)[:COMPLETION_LIMIT]]
