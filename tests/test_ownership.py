"""kz touches only what it owns: regular files in, its own files out, private cache, no stray processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kzcli.kb.files
from conftest import MINI_KB, kz_executable, run_in_terminal, run_kz
from kzcli.errors import ExitCode
from kzcli.index.cache import cache_root
from kzcli.kb.files import NotRegularFile, TooLarge, read_limited
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
    original = kzcli.kb.files.locate_kb

    def locate_then_grow(folder: Path) -> dict[str, Path]:
        found = original(folder)
        if folder == mini_kb:
            with (folder / "places.yaml").open("a", encoding="utf-8") as grow:
                grow.write("#" * 5000 + "\n")
        return found

    monkeypatch.setattr(kzcli.kb.files, "MAX_FILE_BYTES", 4000)
    monkeypatch.setattr(kzcli.kb.files, "locate_kb", locate_then_grow)
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


# --- The cache: kz's own names only, a trust boundary, bounded size -------------------------

NOBODY = 65534
HOURS_AGO_2 = time.time() - 7200


def _use_cache(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    monkeypatch.setenv("KZ_CACHE_DIR", str(folder))
    return folder


def _titles(kz, *args: str) -> list[str]:
    result = kz("--data-dir", str(MINI_KB), *args, "timeline", "-f", "json")
    assert result.code == ExitCode.OK, result.stderr
    return [e["title"] for e in json.loads(result.stdout)]


@pytest.mark.parametrize("via", ["folder", "symlink"])
def test_cold_build_keeps_other_programs_temp_files(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    """Another program's old `.*.tmp` in the cache folder (or behind a symlinked one) survives a build."""
    folder = tmp_path / "d"
    folder.mkdir(mode=0o700)
    draft = folder / ".thesis.tmp"
    draft.write_text("draft", encoding="utf-8")
    os.utime(draft, (HOURS_AGO_2, HOURS_AGO_2))
    if via == "symlink":
        (tmp_path / "link").symlink_to(folder)
    _use_cache(monkeypatch, tmp_path / ("link" if via == "symlink" else "d"))
    assert kz("--data-dir", str(MINI_KB), "--version").code == ExitCode.OK
    assert draft.read_text(encoding="utf-8") == "draft"
    assert list(folder.glob("kz-index-*.sqlite"))


def _dead_pid() -> int:
    done = subprocess.run(["true"], check=True)
    assert done.returncode == 0
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_abandoned_kz_temp_is_removed_by_the_next_build(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kz temporary whose writer is dead goes at the next build, at once; a live writer's stays."""
    cache = _use_cache(monkeypatch, tmp_path / "cache")
    cache.mkdir(mode=0o700)
    dead = cache / f".kz-tmp-{_dead_pid()}-abc.tmp"
    live = cache / f".kz-tmp-{os.getpid()}-def.tmp"
    for temp in (dead, live):
        temp.write_bytes(b"x" * 1000)
    _titles(kz)
    assert not dead.exists()
    assert live.exists()


def _doctored_index(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real index of the mini KB, built privately, whose event titles now read DOCTORED."""
    private = _use_cache(monkeypatch, tmp_path / "private")
    _titles(kz)
    (index,) = private.glob("kz-index-*.sqlite")
    conn = sqlite3.connect(index)
    conn.execute("UPDATE events SET doc = replace(doc, 'Rescue teams arrive', 'DOCTORED')")
    conn.commit()
    conn.close()
    return index


def test_cache_file_owned_by_another_user_is_ignored(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index under the expected name but owned by someone else is not read: warn, rebuild, answer."""
    index = _doctored_index(kz, tmp_path, monkeypatch)
    os.chown(index, NOBODY, NOBODY)
    result = kz("--data-dir", str(MINI_KB), "timeline", "-f", "json")
    assert result.code == ExitCode.OK
    assert "DOCTORED" not in result.stdout
    assert "Rescue teams arrive" in result.stdout
    assert result.stderr.startswith("kz: warning: ignoring cache file ")
    assert "owned by uid 65534" in result.stderr
    assert result.stderr.count("\n") == 1
    assert index.stat().st_uid == os.geteuid()  # replaced by the user's own build


def test_group_writable_cache_file_is_ignored(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index others could have written (mode 0666) is not trusted either."""
    index = _doctored_index(kz, tmp_path, monkeypatch)
    index.chmod(0o666)
    result = kz("--data-dir", str(MINI_KB), "timeline", "-f", "json")
    assert "DOCTORED" not in result.stdout
    assert "writable by group or others" in result.stderr


def test_shared_sticky_cache_folder_uses_a_private_subfolder(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a 1777 shared KZ_CACHE_DIR, a planted index is never read: kz works in its own 0700 kz-UID."""
    index = _doctored_index(kz, tmp_path, monkeypatch)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / index.name
    shutil.copy(index, planted)
    os.chown(planted, NOBODY, NOBODY)
    _use_cache(monkeypatch, shared)
    for _ in range(2):
        assert "DOCTORED" not in _titles(kz)
    own = shared / f"kz-{os.geteuid()}"
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert list(own.glob("kz-index-*.sqlite"))


@pytest.mark.parametrize("problem", ["owner", "symlink"])
def test_planted_private_subfolder_is_refused(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    """A kz-UID subfolder someone else made (or a symlink) in a shared folder: warn, answer from memory."""
    index = _doctored_index(kz, tmp_path, monkeypatch)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    own = shared / f"kz-{os.geteuid()}"
    if problem == "owner":
        own.mkdir(mode=0o700)
        shutil.copy(index, own / index.name)
        os.chown(own / index.name, NOBODY, NOBODY)
        os.chown(own, NOBODY, NOBODY)
    else:
        own.symlink_to(index.parent)
    _use_cache(monkeypatch, shared)
    result = kz("--data-dir", str(MINI_KB), "timeline", "-f", "json")
    assert result.code == ExitCode.OK
    assert "DOCTORED" not in result.stdout
    assert result.stderr.startswith(f"kz: warning: ignoring cache folder {own}: ")


def test_group_writable_cache_folder_is_not_used(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder others can write (0775, not sticky) is not used: one warning, answer from memory."""
    index = _doctored_index(kz, tmp_path, monkeypatch)
    index.parent.chmod(0o775)
    result = kz("--data-dir", str(MINI_KB), "timeline", "-f", "json")
    assert result.code == ExitCode.OK
    assert "DOCTORED" not in result.stdout
    assert result.stderr.startswith("kz: warning: ignoring cache folder ")
    assert result.stderr.count("\n") == 1


def test_cache_folder_is_created_private_under_umask_000(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with umask 000, kz creates its cache folder (and missing parents) 0700, files 0600."""
    cache = _use_cache(monkeypatch, tmp_path / "a" / "b" / "kz")
    old = os.umask(0)
    try:
        _titles(kz)
    finally:
        os.umask(old)
    for folder in (cache, cache.parent, cache.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())


def test_relative_xdg_cache_home_is_ignored(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative XDG_CACHE_HOME is invalid (XDG spec): the cache goes to ~/.cache/kz, not the cwd."""
    monkeypatch.delenv("KZ_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relcache")
    monkeypatch.chdir(tmp_path)
    assert cache_root() == tmp_path / "home" / ".cache" / "kz"
    _titles(kz)
    assert not (tmp_path / "relcache").exists()
    assert list((tmp_path / "home" / ".cache" / "kz").glob("kz-index-*.sqlite"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert cache_root() == tmp_path / "abs" / "kz"


def test_indexes_of_vanished_or_unused_layers_are_pruned(
    kz, tmp_path: Path, mini_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build removes indexes whose KB folder is gone or that were unused for 30 days."""
    cache = _use_cache(monkeypatch, tmp_path / "cache")
    kz("--data-dir", str(mini_kb), "timeline")
    (gone,) = cache.glob("kz-index-*.sqlite")
    shutil.rmtree(mini_kb)
    _titles(kz)  # a different KB: a cold build, which prunes
    assert not gone.exists()
    assert not list(cache.glob(f"kz-stamp-{gone.name.split('-')[2]}.json"))
    (kept,) = cache.glob("kz-index-*.sqlite")
    month_ago = time.time() - 31 * 86400
    os.utime(kept, (month_ago, month_ago))
    _titles(kz)  # a warm use refreshes the index's time
    assert time.time() - kept.stat().st_mtime < 60
    os.utime(kept, (month_ago, month_ago))
    layer = _alias_layer(tmp_path, "Somebody")
    assert kz("--data-dir", str(MINI_KB), "--with", str(layer), "timeline").code == 0  # another cold build
    assert not kept.exists()


def test_kz_cache_shows_and_clears_only_kz_files(kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kz cache` lists the folder, size and entries; `--clear` removes kz's files and nothing else."""
    cache = _use_cache(monkeypatch, tmp_path / "cache")
    _titles(kz)
    other = cache / "notes.txt"
    other.write_text("mine", encoding="utf-8")
    shown = json.loads(kz("cache", "-f", "json").stdout)
    assert shown["path"] == str(cache)
    assert {e["kind"] for e in shown["entries"]} == {"index", "stamp"}
    assert shown["size"] == sum(p.stat().st_size for p in cache.iterdir() if p != other)
    index = next(e for e in shown["entries"] if e["kind"] == "index")
    assert index["folders"] == [str(MINI_KB)]
    cleared = json.loads(kz("cache", "--clear", "-f", "json").stdout)
    assert cleared["removed"] == 2
    assert cleared["entries"] == []
    assert [p.name for p in cache.iterdir()] == ["notes.txt"]


# --- Export: write to what exists, never swap what is not a regular file ---------------------

SQLITE_MAGIC = b"SQLite format 3\x00"


def test_export_dash_writes_json_and_sqlite_to_stdout() -> None:
    """`-o -` sends JSON, or the SQLite bytes, to stdout (here a pipe)."""
    done = run_kz("export", "-o", "-")
    assert done.returncode == ExitCode.OK, done.stderr
    assert "events" in json.loads(done.stdout)
    raw = subprocess.run(
        [kz_executable(), "export", "-f", "sqlite", "-o", "-"], capture_output=True, timeout=60, check=False
    )
    assert raw.returncode == ExitCode.OK
    assert raw.stdout.startswith(SQLITE_MAGIC)


def test_export_sqlite_refuses_a_terminal() -> None:
    """Binary output to a terminal is refused with one line (exit 2) and nothing drawn."""
    shown = run_in_terminal("export", "-f", "sqlite", "-o", "-")
    assert "kz: will not write a binary SQLite database to a terminal" in shown
    assert "SQLite format" not in shown


@pytest.mark.parametrize("force", [False, True])
def test_export_into_a_symlink_to_a_device_keeps_both(kz, tmp_path: Path, force: bool) -> None:
    """`-o LINK` (LINK -> /dev/null), with or without --force, writes into the device; both stay."""
    link = tmp_path / "out"
    link.symlink_to("/dev/null")
    result = kz("export", "-o", str(link), *(["--force"] if force else []))
    assert result.code == ExitCode.OK, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_export_force_through_a_link_to_stdout_reaches_stdout(tmp_path: Path) -> None:
    """`-o LINK --force` with LINK -> /proc/self/fd/1 writes to stdout and leaves the link."""
    link = tmp_path / "so"
    link.symlink_to("/proc/self/fd/1")
    done = run_kz("export", "-o", str(link), "--force")
    assert done.returncode == ExitCode.OK, done.stderr
    assert "events" in json.loads(done.stdout)
    assert os.readlink(link) == "/proc/self/fd/1"
    raw = subprocess.run(
        [kz_executable(), "export", "-f", "sqlite", "-o", "/dev/stdout", "--force"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert raw.returncode == ExitCode.OK
    assert raw.stdout.startswith(SQLITE_MAGIC)


def test_export_writes_into_a_fifo_with_a_reader(kz, tmp_path: Path) -> None:
    """A FIFO is written into (no --force needed) and stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    deadline = time.time() + 10
    result = kz("export", "-o", str(fifo))
    while "no reader" in result.stderr and time.time() < deadline:  # the reader is not there yet
        time.sleep(0.05)
        result = kz("export", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.code == ExitCode.OK, result.stderr
    assert "events" in json.loads(received[0])
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_to_a_fifo_without_reader_is_refused_not_hung(kz, tmp_path: Path) -> None:
    """A FIFO nobody reads gets a clear one-line refusal (exit 2) at once."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = kz("export", "-o", str(fifo))
    assert result.code == ExitCode.USAGE
    assert result.stderr == f"kz: {fifo} is a FIFO with no reader; start the reader first\n"


@pytest.mark.parametrize("force", [False, True])
def test_export_treats_a_dangling_symlink_as_existing(kz, tmp_path: Path, force: bool) -> None:
    """A dangling symlink is refused (exit 2) and left as it is; its target is not created."""
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    result = kz("export", "-o", str(link), *(["--force"] if force else []))
    assert result.code == ExitCode.USAGE
    assert "symbolic link to a missing file" in result.stderr
    assert link.is_symlink()
    assert not (tmp_path / "elsewhere.json").exists()


def test_export_refuses_an_existing_file_without_force(kz, tmp_path: Path) -> None:
    """Without --force an existing file is refused and unchanged; the hint names --force."""
    target = tmp_path / "kb.json"
    target.write_text("mine", encoding="utf-8")
    result = kz("export", "-o", str(target))
    assert result.code == ExitCode.USAGE
    assert "pass --force" in result.stderr
    assert target.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("via_link", [False, True])
def test_export_force_keeps_the_file_mode_and_the_link(kz, tmp_path: Path, via_link: bool) -> None:
    """--force overwrites a 0664 file's contents and it stays 0664; a symlink to it stays a symlink."""
    target = tmp_path / "kb.sqlite"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o664)
    named = tmp_path / "link.sqlite" if via_link else target
    if via_link:
        named.symlink_to(target)
    result = kz("export", "-f", "sqlite", "-o", str(named), "--force")
    assert result.code == ExitCode.OK, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert target.read_bytes().startswith(SQLITE_MAGIC)
    assert named.is_symlink() == via_link
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({target.name, named.name})


@pytest.mark.parametrize("fmt", ["json", "sqlite"])
def test_new_export_file_gets_the_umask_mode(kz, tmp_path: Path, fmt: str) -> None:
    """A new export file is 0666 less the umask (0644 under 022, 0664 under 002), not 0600."""
    for mask, expected in ((0o022, 0o644), (0o002, 0o664)):
        target = tmp_path / f"kb-{mask:o}.{fmt}"
        old = os.umask(mask)
        try:
            assert kz("export", "-f", fmt, "-o", str(target)).code == ExitCode.OK
        finally:
            os.umask(old)
        assert stat.S_IMODE(target.stat().st_mode) == expected


def test_export_leaves_only_its_file_and_sweeps_dead_temps(kz, tmp_path: Path) -> None:
    """No temporary or -journal file stays beside an export; a killed export's temp goes at the next."""
    out = tmp_path / "out"
    out.mkdir()
    dead = out / f".kz-tmp-{_dead_pid()}-0a1b2c.tmp"
    dead.write_bytes(b"half")
    other = out / ".thesis.tmp"
    other.write_text("draft", encoding="utf-8")
    assert kz("export", "-f", "sqlite", "-o", str(out / "kb.sqlite")).code == ExitCode.OK
    assert sorted(p.name for p in out.iterdir()) == [".thesis.tmp", "kb.sqlite"]
