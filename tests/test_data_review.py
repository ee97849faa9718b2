"""The bundled KB read as a reviewer would: each record says what its cited paragraph says, no more.

These are mechanical second eyes for data/: a figure's excerpt states its number, a dated event's
excerpt states its date (or a note says how the date follows), an originator or speaker is named in
the paragraph, and a summary names no one the paragraphs do not.
"""

from __future__ import annotations

import calendar
import json
import re

import pytest
import yaml

from conftest import REPO, SHARED_SOURCES
from kzcli.textnorm import excerpt_key, split_paragraphs

DATA = REPO / "data"
pytestmark = pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason=f"no source texts at {SHARED_SOURCES}")

_MONTHS = [name.lower() for name in calendar.month_name[1:]]
_NUMBER_WORDS = {
    1: ["one", "a single"],
    2: ["two", "double", "doubl", "second", "twice"],
    3: ["three", "tripl", "third"],
    4: ["four"],
    5: ["five"],
    6: ["six", "sixth"],
    10: ["ten"],
    11: ["eleven", "11th"],
    16: ["sixteen"],
    20: ["twenty"],
    22: ["22nd"],
    30: ["thirty"],
    100: ["hundred"],
    1000: ["thousand"],
}


def _load(kind: str) -> list[dict]:
    path = DATA / f"{kind}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.exists() else []


def _paragraphs() -> dict[str, list[str]]:
    """Each source id's paragraphs, read the way the excerpt check reads them."""
    by_file = {p.name: p for p in SHARED_SOURCES.glob("*.txt")}
    found = {}
    for source in _load("sources"):
        text = by_file[source["file"]].read_text(encoding="utf-8")
        found[source["id"]] = [excerpt_key(p) for p in split_paragraphs(text)]
    return found


PARAGRAPHS = _paragraphs() if SHARED_SOURCES.is_dir() else {}


def _cited(citations: list[dict]) -> str:
    """The text of every paragraph the citations name, as one lower-case string."""
    return " ".join(PARAGRAPHS[c["source"]][c["paragraph"] - 1] for c in citations).lower()


def states_number(text: str, value: float) -> bool:
    """Whether `text` states `value`: in digits (any thousands separator), in millions, or in words."""
    flat = excerpt_key(text).lower().replace("\u00a0", " ")
    digits = re.sub(r"(?<=\d)[ ,](?=\d{3}\b)", "", flat)
    plain = f"{value:g}" if isinstance(value, float) else str(value)
    if re.search(rf"(?<![\d.]){re.escape(plain)}(?![\d])", digits):
        return True
    if value >= 1_000_000 and f"{value / 1_000_000:g} million" in flat:
        return True
    return any(word in flat for word in _NUMBER_WORDS.get(int(value), []))


def states_date(text: str, date: str) -> bool:
    """Whether `text` states a partial ISO date: its year, its month's name, or its day with the month."""
    flat = excerpt_key(text).lower()
    year, _, rest = date.partition("-")
    if not rest:
        return year in flat
    month_name = _MONTHS[int(rest[:2]) - 1]
    if len(rest) == 2:
        return month_name in flat
    day = str(int(rest[3:]))
    if date.endswith("-01-01") and "new year" in flat:
        return True
    with_month = rf"\b{day}(st|nd|rd|th)?\s+{month_name}|{month_name}\s+{day}(st|nd|rd|th)?\b"
    return bool(re.search(with_month, flat)) or bool(re.search(rf"\bthe {day}(st|nd|rd|th)\b", flat))


def _figures() -> list[dict]:
    return _load("figures")


@pytest.mark.parametrize("figure", _figures(), ids=lambda f: f["id"])
def test_every_figure_has_an_excerpt_stating_its_number(figure: dict) -> None:
    """A figure's value is in one of its excerpts, in digits or in words."""
    excerpts = [c["excerpt"] for c in figure["citations"]]
    assert any(states_number(e, figure["value"]) for e in excerpts), (figure["value"], excerpts)


# A note that says how a date follows from the text: "the same day", "dated to the month", "dates ...".
_EXPLAINS_DATE = re.compile(r"same day|dated to the|dates (this|it|the)", re.IGNORECASE)


def _dated_events() -> list[dict]:
    return [e for e in _load("events") if e.get("date")]


@pytest.mark.parametrize("event", _dated_events(), ids=lambda e: e["id"])
def test_every_dated_event_has_an_excerpt_stating_its_date_or_a_note_saying_how(event: dict) -> None:
    """An event's date is in an excerpt, or a citation's note says how the date follows from the text."""
    cites = event["citations"]
    stated = any(states_date(c["excerpt"], event["date"]) for c in cites)
    notes = [c.get("note") or "" for c in cites]
    explained = any(states_date(n, event["date"]) or _EXPLAINS_DATE.search(n) for n in notes)
    assert stated or explained, (event["date"], [c["excerpt"] for c in cites])


@pytest.mark.parametrize(
    "claim",
    [(e["id"], c) for e in _load("events") for c in e.get("date_claims") or []],
    ids=lambda pair: f"{pair[0]}-{pair[1]['source']}",
)
def test_every_date_claim_states_its_date_or_says_how(claim: tuple[str, dict]) -> None:
    """Each source's date claim is in its excerpt, or its note says how the date follows."""
    _event, date_claim = claim
    stated = states_date(date_claim["excerpt"], date_claim["date"])
    assert stated or date_claim.get("note"), date_claim


def _names_of(actor: dict) -> list[str]:
    """Every spelling of an actor, and the stem of each longer word of its name.

    A surname alone counts ("Tokayev"), and so does a word's stem as a reader finds it
    in "the Hungarian government" (Hungary) or "officially" (officials).
    """
    names = [actor["name"], *actor.get("aliases", [])]
    words = [w.lower() for w in actor["name"].split() if len(w) > 3]
    return [n.lower() for n in names] + [w[:6] if len(w) > 6 else w for w in words]


def _named(actor: dict, citations: list[dict]) -> bool:
    """The actor is named in a cited paragraph, or a citation's note says whose words they are."""
    text = _cited(citations) + " " + " ".join((c.get("note") or "").lower() for c in citations)
    return any(name in text for name in _names_of(actor))


ACTORS = {a["id"]: a for a in _load("actors")}


@pytest.mark.parametrize("figure", [f for f in _figures() if f.get("attributed_to")], ids=lambda f: f["id"])
def test_every_originator_is_named_in_the_cited_paragraph(figure: dict) -> None:
    """A figure attributed to someone cites a paragraph that names them."""
    actor = ACTORS[figure["attributed_to"]]
    assert _named(actor, figure["citations"]), (figure["id"], actor["name"])


@pytest.mark.parametrize(
    "statement",
    [(a, s) for a in ACTORS.values() for s in a.get("statements") or []],
    ids=lambda pair: pair[1]["id"],
)
def test_every_speaker_is_named_in_the_cited_paragraph(statement: tuple[dict, dict]) -> None:
    """A statement's speaker is named in the paragraph its citation points to."""
    actor, said = statement
    assert _named(actor, said["citations"]), (said["id"], actor["name"])


def _known_names() -> set[str]:
    words: set[str] = set()
    for kind in ("actors", "places"):
        for record in _load(kind):
            for name in [record["name"], *record.get("aliases", [])]:
                words.update(w.lower() for w in re.findall(r"[A-Za-z][\w'-]+", name))
    return words


KNOWN = _known_names()
_PROPER = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-z][\w'-]*)")


def _summaries() -> list[tuple[str, str, list[dict]]]:
    found = []
    for event in _load("events"):
        cites = (event.get("citations") or []) + (event.get("date_claims") or [])
        found.append((event["id"], f"{event['title']}. {event['summary']}", cites))
    for actor in _load("actors"):
        found.append((actor["id"], actor["description"], actor["citations"]))
        for said in actor.get("statements") or []:
            found.append((said["id"], said["summary"], said["citations"]))
    for figure in _figures():
        found.append((figure["id"], figure.get("note") or "", figure["citations"]))
    return found


@pytest.mark.parametrize("item", _summaries(), ids=lambda item: item[0])
def test_no_summary_names_what_its_paragraphs_do_not(item: tuple[str, str, list[dict]]) -> None:
    """Every proper noun in a summary is in a cited paragraph, or is a known name or alias."""
    record_id, summary, cites = item
    text = _cited(cites)
    words = [re.sub(r"['’]s$", "", w) for w in _PROPER.findall(summary)]
    parts = [part for word in words for part in word.split("-") if part[:1].isupper()]
    # Month names are dates, which the date checks read; a note may date a paragraph from its chronology.
    unknown = [
        w for w in parts if w.lower() not in text and w.lower() not in KNOWN and w.lower() not in _MONTHS
    ]
    assert not unknown, (record_id, unknown)


def test_the_checks_can_fail() -> None:
    """The number and date readers reject what the text does not say."""
    assert states_number("Nearly 10 000 had been arrested", 10000)
    assert not states_number("Nearly 10 000 had been arrested", 1000)
    assert states_date("On 2 January, protests broke out", "2022-01-02")
    assert not states_date("On 2 January, protests broke out", "2022-01-03")
    assert states_date("By January 11th, order was restored", "2022-01-11")


def test_every_paragraph_is_cited_or_its_omission_explained(kz) -> None:
    """`kz gaps --sources-dir` lists no paragraph: each is cited, a printed element, or has a reason."""
    found = json.loads(kz("gaps", "--sources-dir", str(SHARED_SOURCES), "-f", "json").stdout)
    assert [g for g in found if g["gap"] == "paragraph not cited"] == []


@pytest.mark.parametrize(
    ("source", "element"),
    [
        (s["id"], e)
        for s in _load("sources")
        for e in s.get("elements", [])
        if e["kind"] in ("title", "heading")
    ],
    ids=lambda v: v if isinstance(v, str) else v["text"][:30],
)
def test_search_and_source_find_a_source_by_each_heading(kz, source: str, element: dict) -> None:
    """Every title and heading a text prints leads back to its source, in kz search and kz source."""
    hits = json.loads(kz("search", element["text"], "-f", "json").stdout)
    assert source in [h["id"] for h in hits if h["type"] == "source"]
    assert json.loads(kz("source", element["text"], "-f", "json").stdout)["id"] == source
