"""Hostile layers, round three: editor files, twin file names, escapes in messages, completion labels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI, run_in_terminal, run_kz

pytestmark = pytest.mark.hostile

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x9b"


@pytest.mark.parametrize("name", [".#sources.yaml", "._events.yaml", "events.yaml~", ".events.yaml.swp"])
def test_editor_leftovers_are_ignored(kz, mini_kb: Path, name: str) -> None:
    """An editor's lock link, backup or macOS resource fork beside the KB does not make it invalid."""
    target = mini_kb / name
    if name.startswith(".#"):
        target.symlink_to("user@host.1234:1700000000")
    else:
        target.write_bytes(b"\x00\x05\x16\x07 not yaml")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == 0, result.stderr


def test_two_files_of_one_name_are_refused_with_both(kz, mini_kb: Path) -> None:
    """`events/jan.yaml` beside `events/jan.yml` is refused, naming both, instead of reading one silently."""
    (mini_kb / "events").mkdir()
    (mini_kb / "events" / "jan.yaml").write_text("[]\n", encoding="utf-8")
    (mini_kb / "events" / "jan.yml").write_text("[]\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == 3
    assert "jan.yml" in result.stderr
    assert "jan.yaml" in result.stderr


def test_a_folder_inside_a_kind_folder_is_refused(kz, mini_kb: Path) -> None:
    """A subfolder of `events/` is named as not read, never skipped in silence."""
    (mini_kb / "events" / "more").mkdir(parents=True)
    (mini_kb / "events" / "more" / "x.yaml").write_text("[]\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == 3
    assert "events/more" in result.stderr


@pytest.mark.subprocess
def test_escapes_in_a_file_name_never_reach_the_terminal(mini_kb: Path) -> None:
    """A validation message naming a file whose name holds OSC/CSI bytes shows them escaped."""
    (mini_kb / f"bad{ESCAPES}.yaml").write_text("[]\n", encoding="utf-8")
    result = run_kz("--data-dir", str(mini_kb), "validate")
    assert result.returncode == 3
    for raw in ("\x1b", "\x9b", "\x07"):
        assert raw not in result.stderr
    assert "\\x1b" in result.stderr or "\\e" in result.stderr or "\\u001b" in result.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("shell", ["complete_zsh", "complete_bash", "complete_fish"])
def test_completion_labels_carry_no_shell_syntax(mini_kb: Path, shell: str) -> None:
    """A name ending in a backslash, with shell code between quotes, is offered as plain words only."""
    actors = mini_kb / "actors.yaml"
    hostile = "aa'); touch PWNED; ws=(' `x` $(y) \\\\"
    actors.write_text(
        actors.read_text(encoding="utf-8").replace("name: Dana Reyes", f'name: "{hostile}"', 1),
        encoding="utf-8",
    )
    env = {
        "_KZ_COMPLETE": shell,
        "_TYPER_COMPLETE_ARGS": f"kz --data-dir {mini_kb} actor da",
        "COMP_WORDS": f"kz --data-dir {mini_kb} actor da",
        "COMP_CWORD": "4",
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }
    result = run_kz(env=env)
    assert "dana-reyes" in result.stdout, result.stdout + result.stderr
    offered = result.stdout.replace("\\n", "")
    for forbidden in ("touch PWNED;", "\\\\", "`", "$("):
        assert forbidden not in offered, result.stdout


def test_cache_clear_that_removes_nothing_says_so(
    kz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kz cache --clear` on files it cannot remove exits 4 with one kz: line, never 0 in silence."""
    monkeypatch.setenv("KZ_CACHE_DIR", str(tmp_path / "cache"))
    assert kz(*MINI, "timeline", "-f", "json").code == 0

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "unlink", refuse)
    result = kz("cache", "--clear")
    assert result.code == 4
    assert result.stderr.startswith("kz: could not remove")


@pytest.mark.subprocess
def test_a_pager_that_cannot_start_loses_no_answer() -> None:
    """A pager the shell cannot run (exit 126/127) gets a warning, and the answer is printed directly."""
    shown = run_in_terminal("timeline", env={"KZ_PAGER": "sh -c 'exit 127'", "LINES": "10"})
    assert "could not start; printing directly" in shown
    assert "Tokayev asks the CSTO for troops" in shown


@pytest.mark.parametrize("case", ["folder", "dangling", "same", "same-force"])
def test_export_refuses_its_metadata_before_writing_the_database(kz, tmp_path: Path, case: str) -> None:
    """A --metadata kz cannot write is refused (exit 2) before the database exists."""
    database = tmp_path / "a.db"
    metadata = {"folder": tmp_path / "meta", "dangling": tmp_path / "meta.json"}.get(case, database)
    if case == "folder":
        metadata.mkdir()
    if case == "dangling":
        metadata.symlink_to(tmp_path / "missing.json")
    force = ["--force"] if case == "same-force" else []
    result = kz(*MINI, "export", "-f", "sqlite", "-o", str(database), "--metadata", str(metadata), *force)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("kz: ")
    assert not database.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's link needs root")
def test_force_never_follows_a_link_another_user_planted(kz, tmp_path: Path) -> None:
    """In a folder others can write, --force refuses a link owned by someone else; its target is untouched."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private = tmp_path / "private.conf"
    private.write_text("secret\n", encoding="utf-8")
    planted = shared / "report.json"
    planted.symlink_to(private)
    os.lchown(planted, 65534, 65534)
    result = kz(*MINI, "export", "-f", "json", "-o", str(planted), "--force")
    assert result.code == 2
    assert "--force will not follow it" in result.stderr
    assert private.read_text(encoding="utf-8") == "secret\n"


def test_an_id_moved_to_another_kind_is_refused_after_an_edit(kz, mini_kb: Path) -> None:
    """An actor removed and a place of its id added in one edit: refused, as a full build refuses it."""
    assert kz("--data-dir", str(mini_kb), "timeline", "-f", "json").code == 0
    actors = mini_kb / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    actors.write_text(text[text.index("- id: dan-reed") :], encoding="utf-8")
    places = mini_kb / "places.yaml"
    eastford = places.read_text(encoding="utf-8")
    moved = (
        eastford.split("\n- id:")[0].replace("id: eastford", "id: dana-reyes").replace("Eastford\n", "Dana\n")
    )
    places.write_text(
        eastford + moved.replace("aliases: [East Ford]", "aliases: []") + "\n", encoding="utf-8"
    )
    after_edit = kz("--data-dir", str(mini_kb), "timeline", "-f", "json")
    assert after_edit.code == 3, after_edit.stdout
    assert "unknown actor 'dana-reyes'" in after_edit.stderr


def test_a_reader_thread_that_runs_out_of_memory_reaches_the_main_thread() -> None:
    """A MemoryError while the pipe's reader unpickles a batch is handed on, never a wait forever."""
    from kzcli.index import stream

    class Starved:
        def recv(self) -> object:
            raise MemoryError

    inbox = stream._Inbox(Starved())
    message = inbox.next()
    assert message[0] == "failed"
    with pytest.raises(MemoryError):
        stream._received(None, message)  # type: ignore[arg-type]


@pytest.mark.subprocess
def test_out_of_memory_is_one_line_and_exit_6(tmp_path: Path) -> None:
    """A MemoryError anywhere in a command ends in one kz: line and exit 6, with no traceback."""
    script = (
        "import importlib, sys\n"
        "a = importlib.import_module('kzcli.cli.app')\n"
        "def starve(*_a, **_k): raise MemoryError\n"
        "a.State.conn = property(starve)\n"
        "sys.argv = ['kz', 'timeline']\n"
        "a.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 6, result.stderr
    assert result.stderr.startswith("kz: out of memory")
    assert "Traceback" not in result.stderr
