"""Every command's JSON has the one shape `kz schema --output` declares for it (kzcli.show.shapes)."""

import json

import pytest

from conftest import MINI
from kzcli.show.shapes import COMMANDS, problems

# A real invocation of each command in COMMANDS, on the bundled knowledge base.
INVOCATIONS = {
    "timeline": ["timeline", "--background"],
    "actors": ["actors"],
    "places": ["places"],
    "figures": ["figures", "--background"],
    "figures --summary": ["figures", "--summary", "--background"],
    "figures METRIC --by-source": ["figures", "deaths", "arrests", "--by-source"],
    "sources": ["sources"],
    "statements": ["statements"],
    "disputes": ["disputes", "--agreements"],
    "search": ["search", "almaty", "-n", "100"],
    "gaps": ["gaps"],
    "actor": ["actor", "tokayev"],
    "place": ["place", "almaty"],
    "source": ["source", "PG"],
    "cache": ["cache"],
    "brief": ["brief"],
    "figures METRIC --chart": ["figures", "deaths", "troops", "--chart"],
    "timeline --chart": ["timeline", "--chart"],
    "export": ["export"],
}


def test_every_declared_command_is_tried() -> None:
    """The table of invocations covers every command the shapes declare."""
    assert set(INVOCATIONS) == set(COMMANDS)


# The fixture KB has other names: the same commands, asked of its records.
ON_MINI = INVOCATIONS | {
    "figures METRIC --by-source": ["figures", "deaths", "--by-source"],
    "search": ["search", "rescue"],
    "actor": ["actor", "reyes"],
    "place": ["place", "eastford"],
    "source": ["source", "alpha"],
    "figures METRIC --chart": ["figures", "deaths", "--chart"],
    "timeline --chart": ["timeline", "--chart", "--from", "2020-03-01", "--to", "2020-03-05"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("kb", "invocations"), [((), INVOCATIONS), (MINI, ON_MINI)], ids=["bundled", "mini"])
def test_json_matches_the_declared_shape(kz, command: str, kb: tuple[str, ...], invocations: dict) -> None:
    """Each row has every declared field, none undeclared, each of its declared type."""
    result = kz(*kb, *invocations[command], "-f", "json")
    assert result.code == 0, result.stderr
    shape, many = COMMANDS[command]
    data = json.loads(result.stdout)
    assert isinstance(data, list) == many
    rows = data if many else [data]
    assert rows, "no rows to check"
    assert [p for row in rows for p in problems(row, shape)] == []


def test_a_wrong_type_or_missing_field_is_caught() -> None:
    """The checker itself can fail: a missing note, a string count and an extra key are all reported."""
    citation = {"source": "a", "paragraph": "3", "excerpt": "x", "speaker": None, "extra": 1}
    assert sorted(problems(citation, "citation")) == [
        "$.extra: not in the declared shape",
        "$.note: missing",
        "$.paragraph: expected int, got '3'",
    ]


def test_fields_in_json_keep_lists_and_booleans(kz) -> None:
    """--fields picks fields without turning lists into text or booleans into words."""
    rows = json.loads(kz("timeline", "-f", "json", "--fields", "id,actors,sources,disputed").stdout)
    assert all(isinstance(r["actors"], list) and isinstance(r["sources"], list) for r in rows)
    assert all(isinstance(r["disputed"], bool) for r in rows)
    assert all(list(r) == ["id", "actors", "sources", "disputed"] for r in rows)


def test_csv_joins_lists_and_writes_booleans_as_true_false(kz) -> None:
    """Only TSV and CSV flatten: lists joined with '; ', booleans as true/false."""
    out = kz("timeline", "-f", "csv", "--fields", "id,actors,disputed").stdout.splitlines()
    assert out[0] == "id,actors,disputed"
    assert {line.rsplit(",", 1)[1] for line in out[1:]} == {"true", "false"}
    assert any("; " in line for line in out[1:])


def test_profiles_take_fields(kz) -> None:
    """`kz actor NAME --fields` gives the chosen fields of the one record, typed in JSON."""
    doc = json.loads(kz("actor", "tokayev", "--fields", "id,aliases,disputed", "-f", "json").stdout)
    assert doc == {"id": "kassym-jomart-tokayev", "aliases": ["Tokayev", "Kassym-Jomart"], "disputed": False}


def test_dispute_fields_are_keyed_by_id(kz) -> None:
    """`kz disputes --fields id,...` gives one row per claim, each keyed by the comparison's id."""
    rows = json.loads(kz("disputes", "--fields", "id,verdict,paragraph", "-f", "json").stdout)
    assert rows
    assert all(set(r) == {"id", "verdict", "paragraph"} for r in rows)
    assert all(isinstance(r["paragraph"], int) for r in rows)


@pytest.mark.parametrize(
    "args",
    [
        ("timeline",),
        ("actors",),
        ("places",),
        ("figures",),
        ("sources",),
        ("statements",),
        ("disputes",),
        ("search", "almaty"),
        ("gaps",),
        ("brief",),
        ("cache",),
        ("actor", "tokayev"),
        ("place", "almaty"),
        ("source", "PG"),
    ],
)
def test_every_listing_and_profile_takes_fields(kz, args: tuple[str, ...]) -> None:
    """A bare --fields lists the names; the first two names then select exactly those keys in JSON."""
    names = kz(*args, "--fields=").stdout.split()
    assert len(names) >= 2
    data = json.loads(kz(*args, "--fields", ",".join(names[:2]), "-f", "json").stdout)
    rows = data if isinstance(data, list) else [data]
    assert all(list(row) == names[:2] for row in rows)


def test_no_export_names_a_folder_of_this_machine(kz) -> None:
    """The JSON export and kz sources say "bundled" for kz's own sources, never the install path."""
    export = json.loads(kz("export").stdout)
    assert {s["folder"] for s in export["sources"]} == {"bundled"}
    assert {s["folder"] for s in json.loads(kz("sources", "-f", "json").stdout)} == {"bundled"}
