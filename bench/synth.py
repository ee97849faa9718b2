"""Write a valid, generated knowledge base of N events: `python bench/synth.py N OUTDIR`.

Actors, places and figures grow in proportion (N/10, N/20, N/50), with text lengths
like the bundled KB's. The text is generated nonsense, never presented as fact; it
exists to measure kz at scale. Same N, same output (seeded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
from pathlib import Path

WORDS = [
    "river", "council", "border", "square", "market", "winter", "bridge", "harbour", "station", "archive",
    "ministry", "province", "convoy", "treaty", "summit", "ledger", "signal", "district", "garrison",
    "assembly",
]  # fmt: skip
METRICS = ("deaths", "injured", "arrests", "troops", "protesters")
QUALIFIERS = ("exact", "about", "over", "nearly", "almost", "at_least")
SOURCES = 5
EVENTS_PER_FILE = 10_000


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _source_text(index: int) -> str:
    return (
        "\n\n".join(f"Generated source {index} paragraph {p}. " + " ".join(WORDS) for p in range(1, 41))
        + "\n"
    )


def _cite(rng: random.Random) -> dict[str, object]:
    source = rng.randrange(SOURCES)
    return {"source": f"source-{source}", "paragraph": rng.randint(1, 40), "excerpt": " ".join(WORDS[:8])}


def _write(path: Path, records: list[dict[str, object]]) -> None:
    # JSON is a subset of YAML, and one flow mapping per line keeps a big file quick to write.
    path.write_text("".join(f"- {json.dumps(r, ensure_ascii=False)}\n" for r in records), encoding="utf-8")


GENERATED_DATE = "A generated date: the generated text writes none."


def synthesise(events: int, out: Path) -> dict[str, int]:
    """Write the KB into `out` (and its source texts into `out/texts`); return the counts."""
    rng = random.Random(events)
    out.mkdir(parents=True, exist_ok=True)
    texts = out / "texts"
    texts.mkdir(exist_ok=True)
    sources = []
    for i in range(SOURCES):
        text = _source_text(i)
        (texts / f"source-{i}.txt").write_text(text, encoding="utf-8")
        sources.append(
            {
                "id": f"source-{i}",
                "title": f"Generated source {i}",
                "publisher": None,
                "published": "2022-01",
                "kind": "analysis",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    n_actors, n_places = max(events // 10, 2), max(events // 20, 2)
    actors = [
        {
            "id": f"actor-{i}",
            "name": f"Actor {_words(rng, 2).title()} {i}",
            "kind": "person",
            "aliases": [f"A{i}"],
            "description": _words(rng, 25),
            "citations": [_cite(rng)],
        }
        for i in range(n_actors)
    ]
    places = [
        {
            "id": f"place-{i}",
            "name": f"Place {i}",
            "kind": "city",
            "aliases": [f"P{i}"],
            "citations": [_cite(rng)],
        }
        for i in range(n_places)
    ]
    start = dt.date(2000, 1, 1)

    def day(i: int) -> str:
        """Spread events over about 22 years, so a one-day timeline stays small as N grows."""
        return (start + dt.timedelta(days=(i * 7919) % 8000)).isoformat()

    event_records = [
        {
            "id": f"event-{i}",
            "date": day(i) if i % 50 else day(i)[:7],
            "title": f"{_words(rng, 5).capitalize()} {i}",
            "summary": _words(rng, 35),
            "places": [f"place-{rng.randrange(n_places)}"],
            "actors": [f"actor-{rng.randrange(n_actors)}"],
            "tags": [rng.choice(WORDS)],
            "citations": [_cite(rng) for _ in range(2)],
            # The generated texts write no dates, so every date is, by kz's rule, read from context.
            "inferred": {"date": GENERATED_DATE},
        }
        for i in range(events)
    ]
    figures = [
        {
            "id": f"figure-{i}",
            "metric": METRICS[i % len(METRICS)],
            "value": rng.randint(1, 20000),
            "qualifier": rng.choice(QUALIFIERS),
            "unit": "people",
            "scope": f"scope-{i % 7}",
            "as_of": day(i),
            "citations": [_cite(rng)],
            "inferred": {"as_of": GENERATED_DATE},
        }
        for i in range(max(events // 50, 1))
    ]
    for name, records in (("sources", sources), ("actors", actors), ("places", places), ("figures", figures)):
        _write(out / f"{name}.yaml", records)
    _write_events(out, event_records)
    return {"events": events, "actors": n_actors, "places": n_places, "figures": len(figures)}


def _write_events(out: Path, records: list[dict[str, object]]) -> None:
    """events.yaml; past EVENTS_PER_FILE, events/NNNN.yaml slices (a KB file holds at most 128 MiB)."""
    if len(records) <= EVENTS_PER_FILE:
        _write(out / "events.yaml", records)
        return
    (out / "events").mkdir(exist_ok=True)
    for n, start in enumerate(range(0, len(records), EVENTS_PER_FILE)):
        _write(out / "events" / f"{n:04d}.yaml", records[start : start + EVENTS_PER_FILE])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, help="how many events")
    parser.add_argument("out", type=Path, help="folder to write the KB into")
    args = parser.parse_args()
    print(json.dumps(synthesise(args.events, args.out)))


if __name__ == "__main__":
    main()


BUNDLED_SOURCES = (
    "paris-globalist",
    "chaos-and-crackdown",
    "mcgill-kazakh-protests",
    "turbulent-week-analysis",
    "ecfr-five-days",
)


def one_question(claims: int, out: Path, agreeing: float = 0.0) -> None:
    """A layer (for --with) of `claims` death figures of the unrest, all on one question: deaths in total.

    A share `agreeing` of them agree with each other and with the bundled figures (each allows 227,
    the bundled derived sum); the rest are drawn at random, so many of those contradict.
    """
    rng = random.Random(claims)
    out.mkdir(parents=True, exist_ok=True)
    figures = []
    for i in range(claims):
        value, qualifier = (
            _agreeing_death_toll(rng) if agreeing and rng.random() < agreeing else _any_death_toll(rng)
        )
        figures.append(
            {
                "id": f"deaths-claim-{i}",
                "era": "unrest",
                "metric": "deaths",
                "value": value,
                "qualifier": qualifier,
                "unit": "people",
                "scope": "total",
                "as_of": f"2022-01-{rng.randint(6, 31):02d}",
                "citations": [
                    {"source": rng.choice(BUNDLED_SOURCES), "paragraph": 1, "excerpt": "people were killed"}
                ],
            }
        )
    _write(out / "figures.yaml", figures)


def _any_death_toll(rng: random.Random) -> tuple[int, str]:
    return rng.randint(100, 300), rng.choice(QUALIFIERS)


def _agreeing_death_toll(rng: random.Random) -> tuple[int, str]:
    """A hedged toll that allows 227: about 210-250, over 150-220, at least 150-227, or exactly 227."""
    return rng.choice(
        (
            (rng.randint(210, 250), "about"),
            (rng.randint(150, 220), "over"),
            (rng.randint(150, 227), "at_least"),
            (227, "exact"),
        )
    )
