"""One question, one verdict: every view that shows a comparison's verdict shows the one the compiler
stored for it, in every JSON answer over the bundled knowledge base."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kzcli import compare


def _verdicts(kz: Any) -> dict[str, str]:
    """Every comparison's verdict, as `kz disputes --agreements` gives it."""
    answer = kz("disputes", "--agreements", "-f", "json")
    assert answer.code == 0, answer.stderr
    return {c["id"]: c["verdict"] for c in json.loads(answer.stdout)}


def _shown(value: Any) -> Iterator[dict[str, Any]]:
    """Each mapping in a JSON answer that carries a verdict."""
    if isinstance(value, dict):
        if "verdict" in value:
            yield value
        for inner in value.values():
            yield from _shown(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _shown(inner)


def _expected(shown: dict[str, Any], verdicts: dict[str, str]) -> str | None:
    """A mark names its comparison; a row of figures joins its question's verdict and its part-whole one."""
    if "row" not in shown:
        return verdicts[shown["id"]]
    row = shown["row"]
    joined = [v for cid, v in verdicts.items() if cid == row or cid.startswith(f"{row}-within-")]
    return compare.worst(joined) if joined else None


def _views(kz: Any) -> list[list[str]]:
    metrics = [m["metric"] for m in json.loads(kz("figures", "--summary", "-f", "json").stdout)]
    actors = [a["id"] for a in json.loads(kz("actors", "-f", "json").stdout)]
    places = [p["id"] for p in json.loads(kz("places", "-f", "json").stdout)]
    views = [["figures"], ["figures", "--background"], ["brief"], ["timeline"], ["timeline", "--background"]]
    views += [["actors"], ["places"], ["disputes"]]
    views += [["figures", "--metric", m, "--by-source"] for m in metrics]
    views += [["figures", "--metric", m] for m in metrics]
    views += [["actor", *actors], ["place", *places]]
    return views


def test_every_view_shows_the_stored_verdict(kz) -> None:
    """For every comparison of the bundled KB, each view's JSON carries the same verdict for its id."""
    verdicts = _verdicts(kz)
    seen: set[str] = set()
    for argv in _views(kz):
        answer = kz(*argv, "-f", "json")
        assert answer.code == 0, (argv, answer.stderr)
        for shown in _shown(json.loads(answer.stdout)):
            assert shown["verdict"] == _expected(shown, verdicts), (argv, shown.get("id") or shown.get("row"))
            seen.add(shown.get("id") or shown["row"])
    in_dispute = {cid for cid, verdict in verdicts.items() if verdict in compare.IN_DISPUTE}
    assert in_dispute <= seen  # every comparison in dispute is shown somewhere, so each was checked
