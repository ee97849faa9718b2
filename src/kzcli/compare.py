"""The comparison model: which claims are about the same thing, whether they agree, and why.

Every view asks this module; nothing else decides what is in dispute. Pure:
records in, comparisons out. The rules, each with its example from the bundled
knowledge base, are in RULES (printed by `kz schema --rules`).

A comparison has one verdict:
- contradiction: the claims cannot all be true;
- differs: they differ in scope, framing, date or wording, explained in one line;
- agrees: one value worded two ways, a bound that the other claim fits, a part that
  fits its whole, or a less specific claim that meets a more specific one;
- slip: an error within one text (recorded, not computed).
A record is *in dispute* when it is a side of a contradiction or a difference.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kzcli.dates import date_range
from kzcli.wording import dated, figure_value

Record = dict[str, Any]

VERDICTS = ("contradiction", "differs", "agrees", "slip")
# Worst first: a comparison's verdict is the worst of its pairs.
_RANK = {"contradiction": 0, "differs": 1, "slip": 2, "agrees": 3}
IN_DISPUTE = ("contradiction", "differs")

# Counts that grow while events unfold: a later count may be higher without contradicting.
RUNNING_COUNTS = frozenset({"deaths", "injured", "casualties", "arrests", "troops"})
# Counts of people or things, where a part can be no larger than its whole.
ADDITIVE = frozenset({"deaths", "injured", "casualties", "arrests", "troops", "protesters", "population"})
# A metric the texts leave open is set beside a firmer one, always with its caveat.
OPEN_METRICS = {"casualties": ("deaths", "“casualties”, which may include the injured as well as the dead")}

_LOWER = {"over", "more_than", "at_least"}
_UPPER = {"nearly", "almost", "up_to"}
_INF = float("inf")
# "about" and "nearly" have no fixed width; these margins keep "nearly 4,000" and
# "about 4,000" one value, and "almost 8,000" and "nearly 10,000" two.
_ABOUT, _NEARLY = 0.1, 0.15
_AROUND_DAYS = 1
_SERIES = "a series over time: "


@dataclass(frozen=True)
class Rule:
    """One comparison rule, and the comparison of the bundled knowledge base that shows it.

    The example is an id, not words: `kz schema --rules` prints that comparison's subject,
    verdict and explanation from the index, so the example cannot drift from the data.
    """

    name: str
    text: str
    example: str
    verdict: str


RULES: list[Rule] = [
    Rule(
        "same thing",
        "Figures are compared when they count the same metric, for the same scope and place. A "
        "metric the text leaves open (casualties) is set beside deaths, keeps its own name, and "
        "differs from them with its caveat.",
        "deaths-total",
        "differs",
    ),
    Rule(
        "bounds and hedges",
        "A qualifier makes a range: over/more than/at least a lower bound, nearly/almost/up to an "
        "upper one, about ±10%, a date 'around' ±1 day. Claims whose ranges meet agree: one fits "
        "the other.",
        "date-protests-reach-almaty",
        "agrees",
    ),
    Rule(
        "contradiction",
        "Claims about one question whose ranges cannot meet contradict: they cannot all be true.",
        "troops-russia-paratroopers-within-russia",
        "contradiction",
    ),
    Rule(
        "differs",
        "Claims that answer one question in different scope, framing, date or wording differ, "
        "and the explanation says how; neither is wrong on its face.",
        "who-restored-order",
        "differs",
    ),
    Rule(
        "agrees",
        "One value worded two ways, or two names for one thing, agree.",
        "name-revolution-of-dignity",
        "agrees",
    ),
    Rule(
        "series over time",
        "Running counts (deaths, injured, casualties, arrests, troops) dated differently form a "
        "series, shown in date order and marked differs; they contradict only if they run backwards.",
        "arrests-total",
        "differs",
    ),
    Rule(
        "undated against dated",
        "A missing date of counting is never a different date: an undated count that differs from "
        "a dated one contradicts it, and the explanation says the undated text gives no date.",
        "deaths-security-forces",
        "contradiction",
    ),
    Rule(
        "fits (parts and totals)",
        "scopes.yaml says which scope is part of which. A part is checked against its whole by size, "
        "never by equality: a part that fits agrees, one larger than its whole contradicts (unless "
        "it is a running count counted later, which differs). Only counts have parts.",
        "deaths-protesters-within-total",
        "agrees",
    ),
    Rule(
        "less or more specific",
        "For a ratio or another metric that does not add up (price change), two scopes at two "
        "levels of detail are one claim, less or more specific, and agree when their values meet.",
        "price-change-lpg",
        "agrees",
    ),
    Rule(
        "derived sums",
        "When one source gives every part of a whole, kz adds them and shows the sum as derived, "
        "with its parts and their citations. A derived value is never shown as a source's own.",
        "troops-csto-total",
        "agrees",
    ),
    Rule(
        "dates",
        "Each date claim has a precision: a day, month or year, a span, 'around' (±1 day), or a "
        "bound ('by' = on or before). Claims whose ranges meet agree; disjoint ones contradict. "
        "Claims that date different things (refers_to) differ, with each side's meaning.",
        "date-csto-help-requested",
        "contradiction",
    ),
    Rule(
        "claims in words",
        "comparisons.yaml records questions the sources answer in words: a name, the wording of a "
        "fact, to whom something went. Each side is cited; the verdict and its one-line "
        "explanation are ours.",
        "which-fuel-price-rose",
        "differs",
    ),
    Rule(
        "whether or where",
        "Whether something happened, or where (kind happened or where), is compared like any "
        "claim in words; a side read between the lines is marked inferred.",
        "unrest-reaches-capital",
        "differs",
    ),
    Rule(
        "who did it",
        "Who did something (kind who) is compared on every side; a question in an interview is "
        "never a side, only an answer, which is the interviewee's.",
        "who-called-in-troops",
        "contradiction",
    ),
    Rule(
        "derived interval",
        "An interval one text states is set beside the one another text's own dates imply (kind "
        "interval); the implied side is derived, cites every dated paragraph, and is marked "
        "derived wherever it shows.",
        "troops-arrival-interval",
        "differs",
    ),
    Rule(
        "order",
        "Which of two events came first (kind order) is compared as each text tells it; an order "
        "that follows from two dates is derived from both.",
        "price-concession-order",
        "differs",
    ),
    Rule(
        "slips",
        "slips.yaml records errors within one text: a self-contradiction, a misspelt name, a typo.",
        "slip-ecfr-caption-year",
        "slip",
    ),
]


@dataclass(frozen=True)
class Pair:
    """The verdict on two claims, and the one line that explains it."""

    verdict: str
    note: str


def worst(verdicts: Iterable[str]) -> str:
    """The verdict that weighs most: contradiction, then differs, slip, agrees."""
    return min(verdicts, key=_RANK.__getitem__, default="agrees")


# --- figures -----------------------------------------------------------------------------------


def value_range(value: float, qualifier: str) -> tuple[float, float]:
    """The values a hedged figure allows: 'over 160' is above 160, 'nearly 400' at most 400."""
    if qualifier in ("over", "more_than"):
        return value + 1e-9, _INF
    if qualifier == "at_least":
        return value, _INF
    if qualifier in ("nearly", "almost"):
        return value * (1 - _NEARLY), value
    if qualifier == "up_to":
        return 0.0, value
    if qualifier == "about":
        return value * (1 - _ABOUT), value * (1 + _ABOUT)
    return value, value


def _meets(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def slot_key(figure: Record) -> str:
    """The question a figure answers: its metric (an open metric joins its firmer one), scope and place."""
    metric = OPEN_METRICS.get(figure["metric"], (figure["metric"],))[0]
    place = figure.get("place")
    return f"{metric}-{figure['scope']}".replace("_", "-") + (f"-{place}" if place else "")


def _key(claim: Record) -> str:
    """How a claim's source is named in a line: the source key given, else its id."""
    return str(claim.get("key") or claim["source"])


def _figure_pair(a: Record, b: Record) -> Pair:
    """Verdict on two claims about one slot."""
    for one, other in ((a, b), (b, a)):
        if one["metric"] in OPEN_METRICS and other["metric"] not in OPEN_METRICS:
            return Pair("differs", f"{_key(one)} counts {OPEN_METRICS[one['metric']][1]}")
    if a["unit"] != b["unit"]:
        return Pair("differs", f"{_key(a)} counts {a['unit']}, {_key(b)} {b['unit']}")
    if _meets(value_range(a["value"], a["qualifier"]), value_range(b["value"], b["qualifier"])):
        return _agreement(a, b)
    if a["metric"] in RUNNING_COUNTS:
        timed = _counted_apart(a, b)
        if timed is not None:
            return timed
    against = f"{_key(a)}'s {a['shown']} against {_key(b)}'s {b['shown']}"
    return Pair("contradiction", against + _undated_side(a, b))


def _undated_side(a: Record, b: Record) -> str:
    """For running counts, the clause that says which side gives no date, when one side alone is undated.

    A count the text does not date is not a count at another date: it explains nothing,
    so the verdict stands and the reader is told what is missing.
    """
    undated = [c for c in (a, b) if c["as_of"] is None]
    if a["metric"] not in RUNNING_COUNTS or len(undated) != 1:
        return ""
    return f"; {_key(undated[0])} gives no date of counting"


def _agreement(a: Record, b: Record) -> Pair:
    if (a["value"], a["qualifier"]) == (b["value"], b["qualifier"]):
        return Pair("agrees", f"{_key(a)} and {_key(b)} give the same value")
    if a["value"] == b["value"]:
        return Pair(
            "agrees", f"one value worded two ways: {a['shown']} ({_key(a)}), {b['shown']} ({_key(b)})"
        )
    return Pair("agrees", f"{_key(a)}'s {a['shown']} fits {_key(b)}'s {b['shown']}")


def _counted_apart(a: Record, b: Record) -> Pair | None:
    """Running counts on two stated dates: a series, unless it runs backwards.

    None when the dates cannot explain the difference: the same date, or a side without one.
    """
    if a["as_of"] is None or b["as_of"] is None:
        return None
    if (a["as_of"], a.get("as_of_qualifier")) == (b["as_of"], b.get("as_of_qualifier")):
        return None
    early, late = sorted((a, b), key=lambda c: date_range(c["as_of"])[1])
    if value_range(late["value"], late["qualifier"])[1] < value_range(early["value"], early["qualifier"])[0]:
        return Pair("contradiction", f"the count runs backwards: {_series([early, late])}")
    return Pair("differs", _SERIES + _series([early, late]))


def _series(claims: list[Record]) -> str:
    return ", then ".join(f"{c['shown']} {claim_date(c)} ({_key(c)})" for c in claims)


# A figure claim's `inferred` names the figure's inferred fields, each with its reason.
_INFERRED_AS = {"as_of": "date of counting", "value": "value", "scope": "scope", "qualifier": "qualifier"}


def claim_date(claim: Record) -> str:
    """'by 2022-01-11', with '(inferred)' when the figure's date of counting is read from context."""
    when = dated(claim["as_of"], claim.get("as_of_qualifier") or ("as of" if claim["as_of"] else None))
    return f"{when} (inferred)" if when and "as_of" in inferred_parts(claim) else when


def inferred_parts(claim: Record) -> set[str]:
    """Which of a figure claim's values are read from context ('as_of', 'value', …): each is marked."""
    said = str(claim.get("inferred") or "")
    return {field for field, words in _INFERRED_AS.items() if f"{words}: " in said}


def _inferred_reason(figure: Record) -> str | None:
    marks = figure.get("inferred") or {}
    said = [f"{_INFERRED_AS[field]}: {why}" for field, why in marks.items() if field in _INFERRED_AS]
    return "; ".join(said) or None


def figure_claim(figure: Record, keys: dict[str, str] | None = None) -> Record:
    """A figure as one side of a comparison: its value, hedge, date and citations, and what is inferred."""
    first = figure["citations"][0]
    inferred = _inferred_reason(figure)
    return {
        "figure": figure["id"],
        "derived": False,
        "derived_from": [],
        "metric": figure["metric"],
        "scope": figure["scope"],
        "place": figure.get("place"),
        "value": figure["value"],
        "qualifier": figure["qualifier"],
        "unit": figure["unit"],
        "shown": figure_value(figure["value"], figure["qualifier"], figure["unit"])
        + (" (inferred)" if inferred and "value: " in inferred else ""),
        "inferred": inferred,
        "as_of": figure["as_of"],
        "as_of_qualifier": figure.get("as_of_qualifier"),
        "attributed_to": figure.get("attributed_to"),
        "caveat": OPEN_METRICS.get(figure["metric"], (None, None))[1],
        "source": first["source"],
        "key": (keys or {}).get(first["source"]),
        "paragraph": first["paragraph"],
        "excerpt": first["excerpt"],
        "citations": figure["citations"],
    }


def _sum_qualifier(qualifiers: set[str]) -> str:
    hedged = qualifiers - {"exact"}
    if not hedged:
        return "exact"
    if hedged <= _LOWER:
        return "over" if hedged & {"over", "more_than"} else "at_least"
    if hedged <= _UPPER:
        return "up_to" if "up_to" in hedged else "nearly"
    return "about"


def derived_sums(
    figures: list[Record], scopes: dict[str, Record], keys: dict[str, str] | None = None
) -> list[Record]:
    """A whole's value for each source that gives every one of its parts, marked as derived."""
    given: dict[tuple[str, str, str | None, str], list[Record]] = defaultdict(list)
    for figure in figures:
        if figure["metric"] not in ADDITIVE:
            continue  # ratios and the like do not add up: two doublings are not a quadrupling
        for source in dict.fromkeys(c["source"] for c in figure["citations"]):
            given[(figure["metric"], figure["scope"], figure.get("place"), source)].append(figure)
    derived = []
    questions = sorted({(m, p or "", s) for m, _, p, s in given})
    for metric, place_id, source in questions:
        place = place_id or None
        for whole in scopes.values():
            parts = [given.get((metric, part, place, source), []) for part in whole["parts"]]
            if not whole["parts"] or any(len(found) != 1 for found in parts):
                continue
            chosen = [found[0] for found in parts]
            if len({(f["as_of"], f.get("as_of_qualifier"), f["unit"]) for f in chosen}) != 1:
                continue  # parts counted at different dates do not add up to one total
            derived.append(_derived_claim(whole, chosen, source, scopes, keys))
    return derived


def _derived_claim(
    whole: Record, parts: list[Record], source: str, scopes: dict[str, Record], keys: dict[str, str] | None
) -> Record:
    total = sum(f["value"] for f in parts)
    qualifier = _sum_qualifier({f["qualifier"] for f in parts})
    first = parts[0]
    terms = " + ".join(
        f"{figure_value(f['value'], f['qualifier'], f['unit'])} {scopes[f['scope']]['title']}" for f in parts
    )
    cites = [c for f in parts for c in f["citations"] if c["source"] == source]
    return {
        **figure_claim(dict(first, citations=cites), keys),
        "figure": None,
        "derived": True,
        "derived_from": [f["id"] for f in parts],
        "scope": whole["id"],
        "value": total,
        "qualifier": qualifier,
        "shown": f"{figure_value(total, qualifier, first['unit'])}, derived: {terms}",
        "attributed_to": None,
    }


def judge(claims: list[Record], pair: Callable[[Record, Record], Pair]) -> tuple[str, str]:
    """A set of claims' verdict (the worst of its pairs from different sources) and its explanation.

    The explanation names the worst pairs first, each note once, in the order the pairs
    come (i < j). Once MAX_NOTES distinct contradictions and one note more are found,
    nothing later can change the verdict or the notes shown, so the rest go unjudged:
    hundreds of claims that contradict each other cost a few pairs, not all of them.
    """
    by_rank: dict[str, dict[str, None]] = {verdict: {} for verdict in _RANK}
    seen: set[str] = set()
    judged = False
    series_pairs = 0  # pairs, not notes: two pairs with one series note still make a series
    for a, b in _pairs_from_two_sources(claims):
        judged = True
        found = pair(a, b)
        by_rank[found.verdict].setdefault(found.note)
        seen.add(found.note)
        series_pairs += found.note.startswith(_SERIES)
        if len(by_rank["contradiction"]) >= MAX_NOTES and len(seen) > MAX_NOTES:
            return "contradiction", _noted(list(by_rank["contradiction"]), more=True)
    if not judged:
        return "agrees", "a single source"
    verdict = worst(v for v, notes in by_rank.items() if notes)
    notes = list(dict.fromkeys(n for v in sorted(_RANK, key=_RANK.__getitem__) for n in by_rank[v]))
    if series_pairs > 1:
        # Pair by pair, a series reads twice; said once, it runs through every dated count in order.
        dated_claims = sorted((c for c in claims if c.get("as_of")), key=lambda c: date_range(c["as_of"])[1])
        notes = [n for n in notes if not n.startswith(_SERIES)] + [_SERIES + _series(dated_claims)]
    return verdict, _noted(list(dict.fromkeys(notes)))


def _pairs_from_two_sources(claims: list[Record]) -> Iterable[tuple[Record, Record]]:
    return ((a, b) for i, a in enumerate(claims) for b in claims[i + 1 :] if a["source"] != b["source"])


# An explanation names at most this many pairs, worst first. Hundreds of claims about one
# question (a generated KB has 600) would otherwise explain one verdict in megabytes.
MAX_NOTES = 12


def _noted(notes: list[str], more: bool = False) -> str:
    """The notes of a verdict joined, the worst first, with how many more pairs were compared.

    `more`: the judging stopped early, so how many more is not known.
    """
    if more:
        return "; ".join(notes[:MAX_NOTES]) + "; and more pairs of claims"
    if len(notes) <= MAX_NOTES:
        return "; ".join(notes)
    return "; ".join(notes[:MAX_NOTES]) + f"; and {len(notes) - MAX_NOTES} more pairs of claims"


def slot_claims(
    figures: list[Record], scopes: dict[str, Record], keys: dict[str, str] | None = None
) -> dict[str, list[Record]]:
    """Each slot's claims: every figure, and every sum derived from one source's parts, by date."""
    slots: dict[str, list[Record]] = defaultdict(list)
    for figure in figures:
        slots[slot_key(figure)].append(figure_claim(figure, keys))
    for claim in derived_sums(figures, scopes, keys):
        slots[slot_key(claim)].append(claim)
    for claims in slots.values():
        claims.sort(
            key=lambda c: (c["as_of"] is None, date_range(c["as_of"])[1] if c["as_of"] else "", c["value"])
        )
    return dict(slots)


def figure_comparisons(
    figures: list[Record], scopes: dict[str, Record], keys: dict[str, str] | None = None
) -> list[Record]:
    """Every question with claims from two or more sources, and every count's part set against its whole.

    A question is a slot; for a metric that does not add up (a price ratio), the claims
    about a scope that contains the slot's (fuel in general, for one fuel) join it as
    less specific claims of the same question.
    """
    slots = slot_claims(figures, scopes, keys)
    found = []
    for key, claims, broader in _questions(slots, scopes):
        verdict, why = judge_levels(claims, broader)
        subject = slot_subject(claims, scopes)
        found.append(_figure_comparison(key, subject, verdict, why, claims + broader))
    found += _part_whole(slots, scopes)
    return found


def _questions(
    slots: dict[str, list[Record]], scopes: dict[str, Record]
) -> Iterator[tuple[str, list[Record], list[Record]]]:
    """Each compared question: its id (the slot's), its claims, and the less specific claims that join it.

    A question is compared when its claims, the less specific ones with them, come from two sources.
    """
    for key, claims in sorted(slots.items()):
        broader = broader_claims(claims[0], slots, scopes)
        if len({c["source"] for c in claims} | {c["source"] for c in broader}) >= 2:
            yield key, claims, broader


def broader_claims(claim: Record, slots: dict[str, list[Record]], scopes: dict[str, Record]) -> list[Record]:
    """For a metric that does not add up, the claims about every scope that contains this claim's scope.

    A doubling of one fuel's price and a doubling of fuel prices are one claim at two levels of
    detail, not a part within a whole. Counts have parts and wholes instead: none here. Each
    reads with its scope ('2 times for fuel in general'), wherever the question's claims are shown.
    """
    if claim["metric"] in ADDITIVE:
        return []
    return [
        dict(c, shown=f"{c['shown']} for {scopes.get(whole, {}).get('title', whole)}")
        for whole in _wholes(claim["scope"], scopes)
        for c in slots.get(slot_key(dict(claim, scope=whole)), [])
    ]


def _compared_slots(slots: dict[str, list[Record]], scopes: dict[str, Record]) -> list[str]:
    """The ids of the compared questions (see _questions)."""
    return [key for key, _, _ in _questions(slots, scopes)]


def judge_levels(claims: list[Record], broader: list[Record]) -> tuple[str, str]:
    """A question's verdict and why: its claims against each other, then the less specific ones against them.

    A less specific claim agrees when its value meets every claim it is set beside, and
    differs (a difference of scope, not a contradiction) when it does not: a whole category
    may well change less than one of its kinds.
    """
    judged = []
    if len({c["source"] for c in claims}) >= 2 or not broader:
        judged.append(judge_figures(claims))
    if broader:
        judged.append(_across_levels(claims, broader))
    judged.sort(key=lambda found: _RANK[found[0]])
    return worst(v for v, _ in judged), "; ".join(why for _, why in judged)


def _level_pair(general: Record, specific: Record) -> Pair:
    """A less specific claim (from broader_claims) beside a more specific one of the same question."""
    said = _less_specific(general)
    if general["unit"] != specific["unit"]:
        return Pair("differs", f"{said}, and counts {general['unit']}, {_key(specific)} {specific['unit']}")
    if _meets(
        value_range(general["value"], general["qualifier"]),
        value_range(specific["value"], specific["qualifier"]),
    ):
        return Pair("agrees", f"{said}, and agrees with {_key(specific)}'s {specific['shown']}")
    return Pair("differs", f"{said}, and does not meet {_key(specific)}'s {specific['shown']}")


def _less_specific(general: Record) -> str:
    return f"{_key(general)}'s {general['shown']} is less specific"


def _across_levels(claims: list[Record], broader: list[Record]) -> tuple[str, str]:
    """The less specific claims against the question's own, from other sources: verdict and notes.

    Ranges on a line: a claim meets every other one when it meets the lowest upper bound and
    the highest lower bound among them. So each less specific claim is told from the two
    extremes of another source than its own, and thousands of claims cost one pass each.
    """
    units = {c["unit"] for c in claims}
    lows = _two_sources([(-value_range(c["value"], c["qualifier"])[0], c) for c in claims])
    highs = _two_sources([(value_range(c["value"], c["qualifier"])[1], c) for c in claims])
    named = {(_key(c), c["shown"]): c["source"] for c in claims}
    found: dict[str, str] = {}
    for general in {(_key(g), g["shown"], g["scope"]): g for g in broader}.values():
        if len(found) > MAX_NOTES and "differs" in found.values():
            return "differs", _noted([n for n, v in found.items() if v == "differs"], more=True)
        if units != {general["unit"]}:
            pairs = [_level_pair(general, c) for c in claims if c["source"] != general["source"]]
        else:
            pairs = [_level_pair(general, c) for c in _extremes(lows, highs, general["source"])]
        worst_pair = min(pairs, key=lambda p: _RANK[p.verdict], default=None)
        if worst_pair is None:
            continue  # every claim of the question is from this claim's source
        if worst_pair.verdict == "agrees":
            names = _first_names(named, general["source"])
            found.setdefault(f"{_less_specific(general)}, and agrees with {_and(names)}", "agrees")
        else:
            found.setdefault(worst_pair.note, worst_pair.verdict)
    verdict = worst(found.values())
    notes = sorted(found, key=lambda n: _RANK[found[n]])
    return verdict, _noted(notes)


Ranked = list[tuple[float, Record]]


def _two_sources(ranked: Ranked) -> Ranked:
    """The claim ranked first, and the first from another source than its (when there is one)."""
    ranked = sorted(ranked, key=lambda item: item[0])
    firsts = ranked[:1]
    firsts += [item for item in ranked if firsts and item[1]["source"] != firsts[0][1]["source"]][:1]
    return firsts


def _extremes(lows: Ranked, highs: Ranked, source: str) -> list[Record]:
    """The claims not from `source` with the highest lower bound and the lowest upper bound."""
    return [
        next(c for _, c in side if c["source"] != source) for side in (lows, highs) if _others(side, source)
    ]


def _others(side: Ranked, source: str) -> bool:
    return any(c["source"] != source for _, c in side)


# How many claims an agreeing less specific claim names before 'and others'.
_NAMED = 3


def _first_names(named: dict[tuple[str, str], str], source: str) -> list[str]:
    """'CC's almost 2 times', for the first few claims not from `source`, then 'others' if more."""
    names: list[str] = []
    for (key, shown), of in named.items():
        if of != source:
            if len(names) == _NAMED:
                return [*names, "others"]
            names.append(f"{key}'s {shown}")
    return names


def judge_figures(claims: list[Record]) -> tuple[str, str]:
    """Figure claims about one question: their verdict and why (see judge).

    Claims that all agree (an open metric's caveat aside) are told by counting, not
    pair by pair: thousands of them on one question would otherwise cost minutes.
    """
    return _agreeing_at_scale(claims) or judge(claims, _figure_pair)


Label = tuple[str, str, str, float, str, bool]


def _label(claim: Record) -> Label:
    """All that a note says of a claim: claims with one label make the same notes."""
    open_metric = claim["metric"] in OPEN_METRICS
    return (claim["source"], _key(claim), claim["shown"], claim["value"], claim["qualifier"], open_metric)


def _agreeing_at_scale(claims: list[Record]) -> tuple[str, str] | None:
    """judge's verdict and notes when every pair it would judge agrees, bar the open metric's.

    None when some pair may not agree, or two labels could make one note: judge then
    compares pair by pair.
    """
    if len({c["source"] for c in claims}) < 2:
        return "agrees", "a single source"
    places: dict[Label, list[int]] = defaultdict(list)
    for i, claim in enumerate(claims):
        places[_label(claim)].append(i)
    if not (_labels_name_notes(places, claims) and _all_meet(claims)):
        return None
    caveats = _caveat_notes(claims)
    agreeing = sum(_agreeing_count(places, open_metric) for open_metric in (False, True))
    agreeing += len(_same_value_keys(places))
    shown = _first_agreeing(claims, places, MAX_NOTES + 1 - len(caveats))
    notes = caveats + shown
    total = len(caveats) + agreeing
    tail = f"; and {total - MAX_NOTES} more pairs of claims" if total > MAX_NOTES else ""
    return ("differs" if caveats else "agrees"), "; ".join(notes[:MAX_NOTES]) + tail


def _labels_name_notes(places: dict[Label, list[int]], claims: list[Record]) -> bool:
    """Whether each note names one pair of labels: a key is one source's, a key and value one
    label's, and each side of the open metric counts in one unit."""
    source_of: dict[str, str] = {}
    label_of: dict[tuple[str, str], Label] = {}
    for label in places:
        if source_of.setdefault(label[1], label[0]) != label[0]:
            return False
        if label_of.setdefault((label[1], label[2]), label) != label:
            return False
    units = {(c["metric"] in OPEN_METRICS, c["unit"]) for c in claims}
    return len(units) == len({open_metric for open_metric, _ in units})


def _all_meet(claims: list[Record]) -> bool:
    """Whether every two claims on one side of the open metric have ranges that meet."""
    for open_metric in (False, True):
        ranges = [
            value_range(c["value"], c["qualifier"])
            for c in claims
            if (c["metric"] in OPEN_METRICS) == open_metric
        ]
        if ranges and max(low for low, _ in ranges) > min(high for _, high in ranges):
            return False
    return True


def _caveat_notes(claims: list[Record]) -> list[str]:
    """The open metric's notes, in the order judge meets them: each open claim's first pair
    with a firm claim from another source."""
    firm = [i for i, c in enumerate(claims) if c["metric"] not in OPEN_METRICS]
    # The first firm claim, and the first from another source than its: one of them is each open claim's.
    firm = (
        firm[:1] + [i for i in firm if claims[i]["source"] != claims[firm[0]]["source"]][:1] if firm else []
    )
    firsts: dict[str, tuple[int, int]] = {}
    for p, claim in enumerate(claims):
        if claim["metric"] not in OPEN_METRICS:
            continue
        other = next((i for i in firm if claims[i]["source"] != claim["source"]), None)
        if other is not None:
            note = f"{_key(claim)} counts {OPEN_METRICS[claim['metric']][1]}"
            place = (min(other, p), max(other, p))
            firsts[note] = min(firsts.get(note, place), place)
    return sorted(firsts, key=firsts.__getitem__)


def _ordered(spans: list[tuple[int, int]]) -> int:
    """Ordered pairs (a, b) of labels, a with itself too, where a claim of a comes before one of b."""
    lasts = sorted(last for _, last in spans)
    return sum(len(lasts) - bisect_right(lasts, first) for first, _ in spans)


def _across_sources(labels: list[tuple[Label, list[int]]]) -> int:
    """Ordered pairs of labels from two sources where a claim of the first comes before one of the second."""
    by_source: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for label, found in labels:
        by_source[label[0]].append((found[0], found[-1]))
    return _ordered([span for spans in by_source.values() for span in spans]) - sum(
        _ordered(spans) for spans in by_source.values()
    )


def _agreeing_count(places: dict[Label, list[int]], open_metric: bool) -> int:
    """How many notes 'fits' and 'worded two ways' make on one side of the open metric: one for
    each ordered pair of labels from two sources whose values or hedges differ."""
    side = [(label, found) for label, found in places.items() if label[5] == open_metric]
    same_hedge: dict[tuple[float, str], list[tuple[Label, list[int]]]] = defaultdict(list)
    for label, found in side:
        same_hedge[(label[3], label[4])].append((label, found))
    return _across_sources(side) - sum(_across_sources(group) for group in same_hedge.values())


def _same_value_keys(places: dict[Label, list[int]]) -> set[tuple[str, str]]:
    """The pairs of keys whose note is 'give the same value': one value and hedge from both, in this order."""
    same: dict[tuple[bool, float, str], list[tuple[Label, list[int]]]] = defaultdict(list)
    for label, found in places.items():
        same[(label[5], label[3], label[4])].append((label, found))
    return {
        (a[1], b[1])
        for group in same.values()
        for a, in_a in group
        for b, in_b in group
        if a[0] != b[0] and in_a[0] < in_b[-1]
    }


def _first_agreeing(claims: list[Record], places: dict[Label, list[int]], limit: int) -> list[str]:
    """The first `limit` agreeing notes in judge's order: by the first pair (i < j) that makes each."""
    found: dict[str, None] = {}
    for i, claim in enumerate(claims):
        if len(found) >= limit:
            break
        label = _label(claim)
        if places[label][0] != i:
            continue  # a label's later claims make no note that its first has not made
        partners = [
            (at[bisect_right(at, i)], other)
            for other, at in places.items()
            if other[5] == label[5] and other[0] != label[0] and at[-1] > i
        ]
        for j, _ in sorted(partners, key=lambda partner: partner[0]):
            found.setdefault(_agreement(claim, claims[j]).note)
    return list(found)[: max(limit, 0)]


def whole_slot(claim: Record, scopes: dict[str, Record]) -> str | None:
    """The slot of the whole that a claim's scope is part of, if scopes.yaml names one and the claim
    is a count: other metrics have no parts, only levels of detail (broader_claims)."""
    if claim["metric"] not in ADDITIVE:
        return None
    whole = scopes.get(claim["scope"], {}).get("part_of")
    return slot_key(dict(claim, scope=whole)) if whole else None


def subject_of(claim: Record, scopes: dict[str, Record]) -> str:
    """A claim's question in words, in the metric the text used: 'casualties (civilians)'."""
    scope = scopes.get(claim["scope"], {}).get("title", claim["scope"])
    return f"{claim['metric'].replace('_', ' ')} ({scope})"


def slot_subject(claims: list[Record], scopes: dict[str, Record]) -> str:
    """A question in words, naming each metric its claims count: a casualty count is never called
    a death count, so a slot with both reads 'deaths (all) beside casualties (all)'."""
    firsts = {c["metric"]: c for c in sorted(claims, key=lambda c: c["metric"] in OPEN_METRICS)}
    return " beside ".join(subject_of(c, scopes) for c in firsts.values())


def _figure_comparison(key: str, subject: str, verdict: str, why: str, claims: list[Record]) -> Record:
    records = {c["figure"] for c in claims if c["figure"]} | {p for c in claims for p in c["derived_from"]}
    return {
        "id": key,
        "kind": "figure",
        "subject": subject,
        "verdict": verdict,
        "explanation": why,
        "records": sorted(records),
        "claims": claims,
    }


def _wholes(scope: str, scopes: dict[str, Record]) -> list[str]:
    chain, whole = [], scopes.get(scope, {}).get("part_of")
    while whole and whole not in chain:
        chain.append(whole)
        whole = scopes.get(whole, {}).get("part_of")
    return chain


def _part_whole(slots: dict[str, list[Record]], scopes: dict[str, Record]) -> list[Record]:
    """A part from one source against its whole from another: a part is never the larger."""
    found = []
    for comparison_id, subject, parts, wholes in _parts_in_wholes(slots, scopes):
        judged = within_whole(parts, wholes, scopes)
        if judged is not None:
            verdict, why, claims = judged
            found.append(_figure_comparison(comparison_id, subject, verdict, why, claims))
    return found


def _parts_in_wholes(
    slots: dict[str, list[Record]], scopes: dict[str, Record]
) -> Iterator[tuple[str, str, list[Record], list[Record]]]:
    """Each slot against each whole its scope is part of, where some part and whole can be compared.

    Yields the comparison's id and subject, the parts and the wholes.
    """
    for key, parts in sorted(slots.items()):
        first = parts[0]
        if first["metric"] not in ADDITIVE:
            continue  # only counts have parts; other metrics compare levels of detail (broader_claims)
        for whole_scope in _wholes(first["scope"], scopes):
            wholes = slots.get(slot_key(dict(first, scope=whole_scope)), [])
            if _comparable(parts, wholes):
                yield f"{key}-within-{whole_scope}", _within_subject(parts, wholes, scopes), parts, wholes


def _within_subject(parts: list[Record], wholes: list[Record], scopes: dict[str, Record]) -> str:
    """'deaths (protesters) within deaths (all)', naming only the metrics that are set part against whole."""
    paired = {c["metric"] for c in parts if not c["derived"]} & {
        c["metric"] for c in wholes if not c["derived"]
    }

    def side(claims: list[Record]) -> str:
        return slot_subject([c for c in claims if c["metric"] in paired and not c["derived"]], scopes)

    return f"{side(parts)} within {side(wholes)}"


def _comparable(parts: list[Record], wholes: list[Record]) -> bool:
    """Whether within_whole has a pair to judge: a part and a whole, neither derived, of one metric,
    from two sources. Told in one pass over each side, as the validator asks it of every slot."""
    sources_of: dict[str, set[str]] = defaultdict(set)
    for whole in wholes:
        if not whole["derived"]:
            sources_of[whole["metric"]].add(whole["source"])
    for part in parts:
        sources = sources_of.get(part["metric"], set())
        if not part["derived"] and (len(sources) > 1 or (sources and part["source"] not in sources)):
            return True
    return False


def within_whole(
    parts: list[Record], wholes: list[Record], scopes: dict[str, Record]
) -> tuple[str, str, list[Record]] | None:
    """Parts from one source against a whole from another (sums aside): verdict, why, and the claims.

    The notes come in the order of the pairs, each once, at most MAX_NOTES of them and then how
    many more: a whole given 6,000 times against a few parts makes thousands of notes.
    """
    parts = [p for p in parts if not p["derived"] and p["metric"] in ADDITIVE]
    wholes = [w for w in wholes if not w["derived"]]
    claims = _claims_in_pairs(parts, wholes)
    if not claims:
        return None

    def pair(part: Record, whole: Record) -> Pair:
        return _part_pair(part, whole, scopes)

    verdict, why = _within_by_label(parts, wholes, pair) or _within_every_pair(parts, wholes, pair)
    return verdict, why, claims


def _claims_in_pairs(parts: list[Record], wholes: list[Record]) -> list[Record]:
    """Each claim of a part-whole pair (same metric, two sources), in the order the pairs first name it."""
    unseen: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, whole in enumerate(wholes):
        unseen[whole["metric"]][whole["source"]].append(i)
    sources = {metric: set(by_source) for metric, by_source in unseen.items()}
    found: list[Record] = []
    for part in parts:
        if not sources.get(part["metric"], set()) - {part["source"]}:
            continue
        found.append(part)
        waiting = unseen[part["metric"]]
        others = [source for source in waiting if source != part["source"]]
        found += [wholes[i] for i in sorted(i for source in others for i in waiting.pop(source))]
    return found


def _within_every_pair(
    parts: list[Record], wholes: list[Record], pair: Callable[[Record, Record], Pair]
) -> tuple[str, str]:
    judged = [
        pair(p, w) for p in parts for w in wholes if p["source"] != w["source"] and p["metric"] == w["metric"]
    ]
    notes = list(dict.fromkeys(j.note for j in sorted(judged, key=lambda j: _RANK[j.verdict])))
    return worst(j.verdict for j in judged), _counted(notes[:MAX_NOTES], len(notes))


def _counted(notes: list[str], total: int) -> str:
    tail = f"; and {total - MAX_NOTES} more pairs of claims" if total > MAX_NOTES else ""
    return "; ".join(notes[:MAX_NOTES]) + tail


PartLabel = tuple[str, str, str, str, str]


def _part_label(claim: Record) -> PartLabel:
    """All that a part-whole note says of a claim."""
    return (claim["metric"], claim["source"], _key(claim), claim["shown"], claim["scope"])


def _within_by_label(
    parts: list[Record], wholes: list[Record], pair: Callable[[Record, Record], Pair]
) -> tuple[str, str] | None:
    """within_whole's verdict and notes told from each side's labels, not from every pair of claims.

    None when a label stands for claims that differ in what the verdict reads (date, unit, value),
    or one key for two sources: then one pair of labels could make two notes.
    """
    sides = [_first_of_labels(parts), _first_of_labels(wholes)]
    if any(side is None for side in sides):
        return None
    part_firsts, whole_firsts = sides[0] or {}, sides[1] or {}
    if any(len({label[1:] for label in side}) != len(side) for side in (part_firsts, whole_firsts)):
        return None  # a note does not name the metric: labels that differ only in it would make one
    keyed = {(label[2], label[1]) for label in [*part_firsts, *whole_firsts]}
    if len({key for key, _ in keyed}) != len(keyed):
        return None
    total = _label_pairs(list(part_firsts), list(whole_firsts))
    verdict, worse = _worst_within(list(part_firsts.values()), list(whole_firsts.values()), pair)
    notes = dict.fromkeys(worse)  # the pairs that do not fit are named first
    for p in part_firsts.values():
        for w in whole_firsts.values():
            if len(notes) > MAX_NOTES:
                break
            if p["source"] != w["source"] and p["metric"] == w["metric"]:
                notes.setdefault(pair(p, w).note)
    return verdict, _counted(list(notes), total)


def _first_of_labels(claims: list[Record]) -> dict[PartLabel, Record] | None:
    """Each label's first claim, in order; None when one label's claims differ in what a verdict reads."""
    firsts: dict[PartLabel, Record] = {}
    for claim in claims:
        first = firsts.setdefault(_part_label(claim), claim)
        if any(first[f] != claim[f] for f in ("unit", "value", "qualifier", "as_of")):
            return None
    return firsts


def _label_pairs(part_labels: list[PartLabel], whole_labels: list[PartLabel]) -> int:
    """How many pairs of a part's label and a whole's share a metric and come from two sources."""
    count: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for side, labels in enumerate((part_labels, whole_labels)):
        for label in labels:
            count[(label[0], label[1])][side] += 1
    per_metric: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (metric, _), (p, w) in count.items():
        per_metric[metric][0] += p
        per_metric[metric][1] += w
    return sum(p * w for p, w in per_metric.values()) - sum(p * w for p, w in count.values())


def _worst_within(
    parts: list[Record], wholes: list[Record], pair: Callable[[Record, Record], Pair]
) -> tuple[str, list[str]]:
    """The worst verdict of the parts against the wholes from other sources ('agrees' when every part
    fits), and the notes of the pairs that do not fit: worst first, each verdict's in pair order.

    Only a part larger than a whole, or counted in another unit, can make more than a fit, so
    each part is judged against the wholes smaller than it, not against every whole. Once
    MAX_NOTES and one contradictions are named, no later pair can change what is shown.
    """
    by_unit: dict[tuple[str, str], list[tuple[float, int, Record]]] = defaultdict(list)
    for i, whole in enumerate(wholes):
        by_unit[(whole["metric"], whole["unit"])].append(
            (value_range(whole["value"], whole["qualifier"])[1], i, whole)
        )
    for items in by_unit.values():
        items.sort(key=lambda item: item[:2])
    highs = {key: [high for high, _, _ in items] for key, items in by_unit.items()}
    worse: dict[str, dict[str, None]] = {"contradiction": {}, "differs": {}}
    for part in parts:
        smallest = value_range(part["value"], part["qualifier"])[0]
        larger_than: list[tuple[float, int, Record]] = []
        for (metric, unit), items in by_unit.items():
            if metric != part["metric"]:
                continue
            if unit != part["unit"]:
                if len(worse["differs"]) <= MAX_NOTES:  # another unit only ever differs
                    larger_than += items
                continue
            larger_than += items[: bisect_left(highs[(metric, unit)], smallest)]
        for _, _, whole in sorted(larger_than, key=lambda item: item[1]):
            if whole["source"] != part["source"]:
                found = pair(part, whole)
                if found.verdict in worse and len(worse[found.verdict]) <= MAX_NOTES:
                    worse[found.verdict].setdefault(found.note)
        if len(worse["contradiction"]) > MAX_NOTES:
            break
    verdict = worst(v for v, notes in worse.items() if notes)
    return verdict, [*worse["contradiction"], *worse["differs"]]


def _part_pair(part: Record, whole: Record, scopes: dict[str, Record]) -> Pair:
    """A count's part against its whole from another source: it fits, or it cannot, or dates explain it.

    A running count's part may outgrow a whole counted earlier; it never outgrows one counted
    at the same time or later, and a side that gives no date of counting explains nothing.
    """
    part_title = scopes.get(part["scope"], {}).get("title", part["scope"])
    whole_title = scopes.get(whole["scope"], {}).get("title", whole["scope"])
    part_said = f"{_key(part)}'s {part['shown']} ({part_title})"
    whole_said = f"{_key(whole)}'s {whole['shown']} ({whole_title})"
    said = f"{part_said} within {whole_said}"
    if part["unit"] != whole["unit"]:
        return Pair("differs", f"a part against its whole in another unit: {said}")
    smallest_part = value_range(part["value"], part["qualifier"])[0]
    if smallest_part <= value_range(whole["value"], whole["qualifier"])[1]:
        return Pair("agrees", f"{part_said} fits within {whole_said}")
    if part["metric"] in RUNNING_COUNTS and _counted_later(part, whole):
        part_said += f" {dated(part['as_of'], part.get('as_of_qualifier') or 'as of')}"
        whole_said += f" {dated(whole['as_of'], whole.get('as_of_qualifier') or 'as of')}"
        return Pair("differs", f"counted later, the part is larger: {part_said} within {whole_said}")
    return Pair("contradiction", f"the part is larger than the whole: {said}" + _undated_side(part, whole))


def _counted_later(part: Record, whole: Record) -> bool:
    """Whether the part was counted after the whole: both dated, the part's date the later."""
    if part["as_of"] is None or whole["as_of"] is None:
        return False
    return date_range(part["as_of"])[1] > date_range(whole["as_of"])[1]


# --- dates ---------------------------------------------------------------------------------------


def _day(value: str, shift: int = 0) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=shift)).isoformat()


def date_span(date: str, qualifier: str | None = None, end_date: str | None = None) -> tuple[str, str]:
    """The days a date claim allows: 'by 2022-01-11' is any day up to the 11th, 'around' ±1 day."""
    first, last = date_range(date)
    if end_date:
        last = date_range(end_date)[1]
    if qualifier == "by":
        return "0001-01-01", last
    if qualifier == "after":
        return first, "9999-12-31"
    if qualifier == "around":
        return _day(first, -_AROUND_DAYS), _day(last, _AROUND_DAYS)
    return first, last


def date_claim(claim: Record, keys: dict[str, str] | None = None) -> Record:
    """A date claim as one side of a comparison, with how it reads ('by 2022-01-07')."""
    shown = dated(claim["date"], claim.get("qualifier"))
    if claim.get("end_date"):
        shown += f" – {claim['end_date']}"
    return dict(claim, shown=shown, key=(keys or {}).get(claim["source"]))


def _date_pair(a: Record, b: Record) -> Pair:
    if a.get("refers_to") != b.get("refers_to"):
        return Pair("differs", _DATE_DIFFERENT_THINGS)  # said once for all the claims: _what_each_dates
    span_a = date_span(a["date"], a.get("qualifier"), a.get("end_date"))
    span_b = date_span(b["date"], b.get("qualifier"), b.get("end_date"))
    if span_a[1] < span_b[0] or span_b[1] < span_a[0]:
        return Pair("contradiction", f"{_key(a)} dates it {a['shown']}, {_key(b)} {b['shown']}")
    if span_a == span_b:
        return Pair("agrees", f"{_key(a)} and {_key(b)} give the same date")
    return Pair("agrees", f"{_key(a)}'s {a['shown']} fits {_key(b)}'s {b['shown']}")


_DATE_DIFFERENT_THINGS = "the sources date different things"


def _what_each_dates(claims: list[Record]) -> str:
    """The sides grouped by what they date, each group once: 'PG: when he came to power (1990); TWA and
    MJPS: when he began to lead the independent country (1991)'."""
    groups: dict[str, dict[str, dict[str, None]]] = defaultdict(lambda: {"keys": {}, "shown": {}})
    for claim in claims:
        group = groups[claim.get("refers_to") or "the event itself"]
        group["keys"].setdefault(_key(claim))
        group["shown"].setdefault(claim["shown"])
    said = [f"{_and(list(g['keys']))}: {what} ({_and(list(g['shown']), ', ')})" for what, g in groups.items()]
    return f"{_DATE_DIFFERENT_THINGS} — " + _noted(said)


def _and(names: list[str], last: str = " and ") -> str:
    """Names joined in words, at most MAX_NOTES of them and then how many more."""
    if len(names) > MAX_NOTES:
        return ", ".join(names[:MAX_NOTES]) + f" and {len(names) - MAX_NOTES} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + last + names[-1]


def date_comparison_id(event_id: str) -> str:
    """The id of an event's date comparison."""
    return f"date-{event_id}"


def date_comparison(event: Record, keys: dict[str, str] | None = None) -> Record | None:
    """An event's date claims compared, or None when it has one date."""
    if not event.get("date_claims"):
        return None
    claims = [date_claim(c, keys) for c in event["date_claims"]]
    claims.sort(key=lambda c: date_span(c["date"], c.get("qualifier"), c.get("end_date"))[::-1])
    verdict, why = judge(claims, _date_pair)
    if _DATE_DIFFERENT_THINGS in why.split("; "):
        grouped = _what_each_dates(claims)
        # The grouping already says which sources date the same thing the same way.
        why = "; ".join(
            grouped if n == _DATE_DIFFERENT_THINGS else n
            for n in why.split("; ")
            if not n.endswith(" give the same date")
        )
    return {
        "id": date_comparison_id(event["id"]),
        "kind": "date",
        "subject": event["title"],
        "verdict": verdict,
        "explanation": why,
        "records": [event["id"]],
        "claims": claims,
    }


# --- recorded comparisons and slips -------------------------------------------------------------


def recorded(comparison: Record) -> Record:
    """A comparison in words, as comparisons.yaml records it, in the shape of the computed ones."""
    claims = [_recorded_claim(c) for c in comparison["claims"]]
    return {
        "id": comparison["id"],
        "kind": comparison["kind"],
        "subject": comparison["subject"],
        "verdict": comparison["verdict"],
        "explanation": comparison["explanation"],
        "records": list(comparison["about"]),
        "claims": claims,
    }


def _recorded_claim(claim: Record) -> Record:
    """One side of a comparison in words; a derived or inferred value says so wherever it is shown."""
    parts = claim.get("parts") or []
    shown = str(claim["value"])
    if parts:
        cited = sorted({c["paragraph"] for c in [claim, *parts]})
        shown += ", derived from ¶" + ", ¶".join(map(str, cited[:-1])) + f" and ¶{cited[-1]}"
    if claim.get("inferred"):
        shown += " (inferred)"
    return dict(claim, shown=shown, derived=bool(parts), parts=parts)


def slip(record: Record) -> Record:
    """A slip within one text, in the shape of a comparison: each citation is one side of it."""
    return {
        "id": record["id"],
        "kind": "slip",
        "subject": record["summary"],
        "verdict": "slip",
        "explanation": record["kind"],
        "records": list(record["about"]),
        "claims": [dict(c, shown=c["excerpt"]) for c in record["citations"]],
    }


def computed_comparison_ids(records: dict[str, list[Record]]) -> dict[str, str]:
    """The id of every comparison kz computes (of dates and of figures), each with what it compares.

    The same ids every_comparison gives, without judging a claim: a comparison or
    slip that a knowledge base records may not take one of them.
    """
    scopes = {s["id"]: s for s in records.get("scopes", [])}
    found = {
        date_comparison_id(e["id"]): f"the dates of event {e['id']}"
        for e in records["events"]
        if e.get("date_claims")
    }
    slots = slot_claims(records["figures"], scopes)
    found |= {
        key: f"the figures of {slot_subject(slots[key], scopes)}" for key in _compared_slots(slots, scopes)
    }
    found |= {key: f"the figures of {subject}" for key, subject, _, _ in _parts_in_wholes(slots, scopes)}
    return found


def shared_question_ids(figures: list[Record], scopes: dict[str, Record]) -> dict[str, list[str]]:
    """Each comparison id that two different questions would take, with those questions in words.

    A figure's question is its metric, scope and place, and a part's question within
    each of its wholes; the ids join them with hyphens, so scope `city-almaty` and
    scope `city` in place `almaty`, or a scope named `protesters-within-total`, would
    otherwise merge two questions into one answer.
    """
    asked: dict[str, set[str]] = defaultdict(set)
    for figure in figures:
        key = slot_key(figure)
        place = figure.get("place")
        metric = OPEN_METRICS.get(figure["metric"], (figure["metric"],))[
            0
        ]  # an open metric joins its firmer one
        words = f"{metric} of scope {figure['scope']!r}" + (f" in place {place!r}" if place else "")
        asked[key].add(words)
        if figure["metric"] not in ADDITIVE:
            continue  # only counts are set part within whole; other metrics join their question
        for whole in _wholes(figure["scope"], scopes):
            asked[f"{key}-within-{whole}"].add(f"{words} within scope {whole!r}")
    return {key: sorted(questions) for key, questions in asked.items() if len(questions) > 1}


def every_comparison(records: dict[str, list[Record]]) -> list[Record]:
    """All comparisons of a knowledge base: dates, figures, claims in words, then slips."""
    scopes = {s["id"]: s for s in records.get("scopes", [])}
    keys = {s["id"]: s.get("key") or s["id"] for s in records["sources"]}
    dates = [c for e in records["events"] if (c := date_comparison(e, keys)) is not None]
    figures = figure_comparisons(records["figures"], scopes, keys)
    words = [recorded(c) for c in records.get("comparisons", [])]
    slips = [slip(s) for s in records.get("slips", [])]
    return dates + figures + words + slips


# What a comparison's verdict is about, by its kind: a view counts only the marks about what it
# shows (the timeline's dates, the figures' values). A kind not named here is about itself
# (a name, whether something happened); a slip is about its own text.
_ABOUT_KIND = {"date": "date", "figure": "value"}
ABOUT_DATE, ABOUT_VALUE = "date", "value"


def about_of(kind: str) -> str:
    """What a comparison of this kind judges: 'date', 'value', or the kind itself ('name', 'slip')."""
    return _ABOUT_KIND.get(kind, kind)


def mark_of(comparison: Record) -> Record:
    """How a record names a comparison it is a side of: which one, its verdict, and what it is about."""
    return {
        "id": comparison["id"],
        "kind": comparison["kind"],
        "verdict": comparison["verdict"],
        "subject": comparison["subject"],
        "about": about_of(comparison["kind"]),
    }


def within_ids(question: str, scope: str, scopes: dict[str, Record]) -> list[str]:
    """The ids a question's part-whole comparisons take, one per whole its scope is part of, nearest first."""
    return [f"{question}-within-{whole}" for whole in _wholes(scope, scopes)]


def mark_reason(mark: Record) -> str:
    """What a mark is about, in words: 'date: Tokayev asks the CSTO for troops', 'name: …'.

    A record can be a side of a comparison about something else than itself (an event named by
    the question which fuel's price rose): the reason says so wherever the mark is shown.
    """
    about = mark.get("about") or about_of(mark["kind"])
    if about == "slip" and mark.get("subject"):
        return str(mark["subject"])  # a slip is about its own text: its subject says which slip
    return f"{about}: {mark['subject']}" if mark.get("subject") else about


def marks(comparisons: list[Record]) -> dict[str, list[Record]]:
    """Per record id, the comparisons that put it in dispute (or record a slip), worst first."""
    found: dict[str, list[Record]] = defaultdict(list)
    for comparison in comparisons:
        if comparison["verdict"] == "agrees":
            continue
        mark = mark_of(comparison)
        for record_id in comparison["records"]:
            found[record_id].append(dict(mark))
    return {rid: worst_first(m) for rid, m in found.items()}


def worst_first(marked: list[Record]) -> list[Record]:
    """A record's marks in the order they are shown: the worst verdict first, then by comparison id."""
    return sorted(marked, key=lambda x: (_RANK[x["verdict"]], x["id"]))


def marks_about(marked: list[Record], about: str | None) -> list[Record]:
    """The marks of comparisons about `about` ('date', 'value'); every mark when it is None.

    A mark stored before marks said what they are about is told by its kind.
    """
    if about is None:
        return list(marked)
    return [m for m in marked if m.get("about", about_of(m["kind"])) == about]


def in_dispute(marked: list[Record]) -> bool:
    """True when any of a record's marks is a contradiction or a difference."""
    return any(m["verdict"] in IN_DISPUTE for m in marked)


def date_in_dispute(marked: list[Record]) -> bool:
    """True when the sources' dates for an event contradict or differ (not its other comparisons)."""
    return in_dispute(marks_about(marked, ABOUT_DATE))


def contradicted(marked: list[Record], about: str | None = None) -> bool:
    """True when a record is one side of a contradiction (what --strict refuses), of those about `about`."""
    return bool(contradictions(marked, about))


def contradictions(marked: list[Record], about: str | None = None) -> list[str]:
    """The ids of the contradictions among a record's marks about `about` (every mark when None)."""
    return [m["id"] for m in marks_about(marked, about) if m["verdict"] == "contradiction"]


VERDICT_MEANINGS = {
    "contradiction": "the claims cannot all be true (a part larger than its whole among them)",
    "differs": "they differ in scope, framing, date or wording (two offices, a series of counts over "
    "time, casualties against deaths, two spellings of a name), explained in one line",
    "agrees": "one value worded two ways, a bound or a part the other claim fits, a less specific "
    "claim that meets a more specific one, or two names for one thing (listed with --agreements)",
    "slip": "an error within one text: a self-contradiction, a misspelt name, a typo",
}


def rules_text(examples: Mapping[str, Record]) -> str:
    """The comparison rules as `kz schema --rules` prints them, each with its example comparison.

    `examples` holds the comparisons of the bundled knowledge base by id; each rule's
    example is shown as the index has it: its subject, verdict and explanation.
    """
    lines = ["Verdicts (one word each, in every view and format):"]
    lines += [f"  {verdict}: {meaning}" for verdict, meaning in VERDICT_MEANINGS.items()]
    lines += [
        "A fact is in dispute (JSON disputed: true; marked ✗ or ≠ in tables) when it is one side of a",
        "contradiction or a difference. --strict exits 5 only for a contradiction.",
        "",
        "Rules (each example is a comparison of the bundled knowledge base: kz disputes --agreements):",
    ]
    for rule in RULES:
        lines += [f"  {rule.name}: {rule.text}", _example_line(rule, examples.get(rule.example))]
    return "\n".join(lines)


def _example_line(rule: Rule, example: Record | None) -> str:
    if example is None:
        return f"    e.g. {rule.example}: not in this knowledge base"
    subject = str(example["subject"]).rstrip(".")
    return f"    e.g. {rule.example} ({example['verdict']}): {subject} — {example['explanation']}"
