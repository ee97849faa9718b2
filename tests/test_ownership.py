"""kz touches only what it owns: regular files in, its own files out, private cache, no stray processes."""

from __future__ import annotations

import json
import os
import socket
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kzcli.kbfiles
from conftest import MINI_KB
from kzcli.errors import ExitCode
from kzcli.kbfiles import NotRegularFile, TooLarge, read_limited
from kzcli.textnorm import name_key

pytestmark = pytest.mark.hostile


# --- Inputs: regular files only, size checked on the bytes read -------------------------


def _layer(tmp_path: Path) -> Path:
    layer = tmp_path / "layer"
    layer.mkdir()
    return layer


@pytest.mark.parametrize("kind", ["dev-zero", "dev-null", "fifo", "socket"])
def test_non_regular_layer_file_is_refused_without_reading(kz, tmp_path: Path, kind: str) -> None:
    """A device, FIFO or socket as a KB file is `file: not a regular file`, exit 3, never read or hung on."""
    target = _layer(tmp_path) / "events.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
        sock.close()
    else:
        target.symlink_to("/dev/zero" if kind == "dev-zero" else "/dev/null")
    result = kz("--with", str(target.parent), "timeline")
    assert result.code == ExitCode.INVALID_KB
    assert f"{target}: not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_fifo_swapped_in_after_stat_is_refused_by_fstat(tmp_path: Path) -> None:
    """Reading re-checks the opened file: a FIFO is refused at once (opened non-blocking), not waited on."""
    fifo = tmp_path / "events.yaml"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile):
        read_limited(fifo, 100)


def test_size_limit_applies_to_bytes_read(tmp_path: Path) -> None:
    """At most limit+1 bytes are read, and more than the limit is refused whatever stat said."""
    big = tmp_path / "events.yaml"
    big.write_bytes(b"x" * 50)
    assert read_limited(big, 50) == b"x" * 50
    with pytest.raises(TooLarge):
        read_limited(big, 49)


def test_file_grown_past_the_limit_after_locate_is_refused(
    kz, mini_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that passes the stat check but holds more than the limit when read is still refused."""
    original = kzcli.kbfiles.locate_kb

    def locate_then_grow(folder: Path) -> dict[str, Path]:
        found = original(folder)
        if folder == mini_kb:
            with (folder / "places.yaml").open("a", encoding="utf-8") as grow:
                grow.write("#" * 5000 + "\n")
        return found

    monkeypatch.setattr(kzcli.kbfiles, "MAX_FILE_BYTES", 4000)
    monkeypatch.setattr(kzcli.kbfiles, "locate_kb", locate_then_grow)
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == ExitCode.INVALID_KB
    assert "places.yaml:1: file is larger than" in result.stderr


# --- Names: one canonical form before any transliteration or lookup ----------------------

INVISIBLE = {
    "zwj": "\u200d",
    "zwnj": "\u200c",
    "zwsp": "\u200b",
    "word-joiner": "\u2060",
    "lrm": "\u200e",
    "rlm": "\u200f",
    "rle": "\u202b",
    "rlo": "\u202e",
    "fsi": "\u2068",
    "soft-hyphen": "\u00ad",
    "bom": "\ufeff",
}


def _alias_layer(tmp_path: Path, alias: str) -> Path:
    layer = _layer(tmp_path)
    (layer / "aliases.yaml").write_text(f'- {{id: dana-reyes, aliases: ["{alias}"]}}\n', encoding="utf-8")
    return layer


@pytest.mark.parametrize("stored", ["NFC", "NFD"])
def test_cyrillic_alias_matches_in_either_normal_form(kz, tmp_path: Path, stored: str) -> None:
    """A Cyrillic alias with й stored in one form is found when typed in the other (NFC vs NFD)."""
    alias = "Дайна Рейес"
    layer = _alias_layer(tmp_path, unicodedata.normalize(stored, alias))
    typed = unicodedata.normalize("NFD" if stored == "NFC" else "NFC", alias)
    result = kz("--data-dir", str(MINI_KB), "--with", str(layer), "actor", typed, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["id"] == "dana-reyes"


@pytest.mark.parametrize("name", sorted(INVISIBLE))
def test_invisible_characters_inside_a_name_are_ignored(kz, name: str) -> None:
    """A zero-width, bidi, soft-hyphen or BOM character inside a typed name still finds the record."""
    typed = f"Dana Re{INVISIBLE[name]}yes"
    result = kz("--data-dir", str(MINI_KB), "actor", typed, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["id"] == "dana-reyes"


def test_compatibility_forms_are_folded() -> None:
    """Full-width letters and ligatures land on the same key as their plain forms (NFKC)."""
    assert name_key("Ｔｏｋａｙｅｖ") == name_key("Tokayev")
    assert name_key("ﬁgure") == name_key("figure")


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіАЙЁ \u0306\u0308", max_size=20))
def test_name_key_is_the_same_for_every_normal_form(text: str) -> None:
    """name_key gives one key for NFC, NFD, NFKC and NFKD spellings of any Cyrillic text."""
    keys = {name_key(unicodedata.normalize(form, text)) for form in ("NFC", "NFD", "NFKC", "NFKD")}
    assert len(keys) == 1


# --- Search: every word counts; column filters are refused, not silently empty -------------


def test_search_uses_every_word(kz) -> None:
    """A word after the 32nd still narrows the search: 40 words ending in a missing one find nothing."""
    found = json.loads(kz("--data-dir", str(MINI_KB), "search", "rescue", "-f", "json").stdout)
    assert found
    words = " ".join(["rescue"] * 39 + ["zzqxnotaword"])
    result = kz("--data-dir", str(MINI_KB), "search", words, "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    assert json.loads(result.stdout) == []


def test_search_too_long_is_a_one_line_usage_error(kz) -> None:
    """More words than kz searches with is refused with one line and exit 2, never cut silently."""
    result = kz("--data-dir", str(MINI_KB), "search", " ".join(["rescue"] * 65))
    assert result.code == ExitCode.USAGE
    assert result.stderr.startswith("kz: search: at most 64 words")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("query", ["title:almaty", "rescue body:teams", '(label:"x")'])
def test_column_filter_is_refused_with_a_clear_message(kz, query: str) -> None:
    """FTS5 column syntax gets a one-line exit-2 message naming the filter, not an empty answer."""
    result = kz("--data-dir", str(MINI_KB), "search", query)
    assert result.code == ExitCode.USAGE
    assert "column filters (NAME:word) are not supported" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("query", ["rescue: teams", "10:30 rescue", "https://example.org rescue"])
def test_colons_in_ordinary_text_are_plain_words(kz, query: str) -> None:
    """A colon followed by a space, between digits, or in a URL is not a column filter."""
    assert kz("--data-dir", str(MINI_KB), "search", query, "-f", "json").code == ExitCode.OK
