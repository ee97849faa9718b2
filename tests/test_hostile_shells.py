"""Hostile layers at a real shell: completion typed at zsh, bash and fish, escapes in messages, file rules."""

from __future__ import annotations

import fcntl
import importlib
import io
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import MINI, kz_executable, run_kz

pytestmark = pytest.mark.hostile

# Actors whose names, in the order completion lists them, close a quote Typer opened (a trailing
# backslash) with shell code between: issue 21's zsh case, plus backticks and $(...) for the others.
HOSTILE_NAMES = {
    "aa-0": "`touch PWNED-backtick` $(touch PWNED-dollar)",
    "aa-1": "one \\",
    "aa-2": "'); touch PWNED; ws=('",
    "aa-3": "three \\",
}
CITATION = '[{source: alpha, paragraph: 3, excerpt: "The mayor, Dana Reyes"}]'
READY = b"READY> "
# Typed as printf 'DO%sNE\n' X: the shell prints DOXNE only once it has read every key typed before it.
DONE_COMMAND, DONE = b"printf 'DO%sNE\\n' X\r", b"DOXNE"
KILL_LINE = b"\x15"  # Ctrl-U: zsh, bash and fish all empty the line being edited


def hostile_layer(folder: Path) -> Path:
    """A layer over the fixture KB whose actor names are shell code; `kz validate` passes it."""
    folder.mkdir()
    records = [
        f'- id: {rid}\n  name: "{name.replace(chr(92), chr(92) * 2)}"\n  kind: group\n'
        f"  description: d\n  citations: {CITATION}\n"
        for rid, name in HOSTILE_NAMES.items()
    ]
    (folder / "actors.yaml").write_text("".join(records), encoding="utf-8")
    return folder


def _startup(shell: str, home: Path, script: str) -> list[str]:
    """The command line of an interactive `shell` that reads only `script` at start-up."""
    rc = home / "rc"
    if shell == "fish":
        rc.write_text(f"function fish_prompt; echo -n '{READY.decode()}'; end\n{script}\n", encoding="utf-8")
        return ["fish", "--no-config", "--interactive", "--init-command", f"source {rc}"]
    prompt = f"PS1='{READY.decode()}'\n"
    if shell == "zsh":
        zshrc = f"{prompt}autoload -U compinit\ncompinit -u\n{script}\n"
        (home / ".zshrc").write_text(zshrc, encoding="utf-8")
        return ["zsh", "-i"]
    listing = "bind 'set show-all-if-ambiguous on'\n"  # readline lists on the first TAB, as zsh and fish do
    rc.write_text(f"{prompt}{listing}{script}\n", encoding="utf-8")
    return ["bash", "--noprofile", "--rcfile", str(rc), "-i"]


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """An interactive shell on a pseudo-terminal: type keys, wait for what it prints."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        leader, follower = pty.openpty()
        fcntl.ioctl(leader, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        self.fd, self.seen = leader, b""
        self.proc = subprocess.Popen(
            argv,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=_take_terminal,  # job control wants the pty as the shell's controlling terminal
        )
        os.close(follower)

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait_for(self, marker: bytes, timeout: float = 20.0) -> bool:
        """Read until `marker` has been printed (True), the shell ends or `timeout` passes (False)."""
        end = time.monotonic() + timeout
        while marker not in self.seen:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return False
            try:
                self.seen += os.read(self.fd, 65536)
            except OSError:  # EIO: the shell closed the terminal
                return False
        return True

    @property
    def screen(self) -> str:
        return self.seen.decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.fd)


def _shell_env(home: Path) -> dict[str, str]:
    """Only what the shell and kz need: no user start-up files, kz on PATH, the test's cache."""
    kz_folder = str(Path(kz_executable()).parent)
    return {
        "PATH": f"{kz_folder}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "ZDOTDIR": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "share"),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "KZ_CACHE_DIR": os.environ["KZ_CACHE_DIR"],
        "KZ_PAGER": "cat",
    }


def tab_at_a_shell(shell: str, tmp_path: Path, line: str, inserted: bytes, listed: bytes) -> list[str]:
    """Type `line` and TAB at an interactive `shell` with kz's completion loaded; the PWNED files made.

    The first TAB must insert the matches' common prefix (`inserted`), the second list them
    (`listed`): completion ran and answered. Then the line is emptied, and the shell must still
    read what is typed.
    """
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    home = tmp_path / "home"
    home.mkdir()
    (home / "kz-completion").write_text(run_kz("completion", shell).stdout, encoding="utf-8")
    terminal = Terminal(_startup(shell, home, f"source {home / 'kz-completion'}"), home, _shell_env(home))
    try:
        assert terminal.wait_for(READY), terminal.screen
        terminal.type(line.encode() + b"\t")
        offered = terminal.wait_for(inserted) and terminal.type(b"\t") is None and terminal.wait_for(listed)
        terminal.type(KILL_LINE + DONE_COMMAND)
        finished = terminal.wait_for(DONE)
    finally:
        terminal.close()
    created = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("PWNED*"))
    assert offered or created, f"completion offered nothing:\n{terminal.screen}"
    assert finished or created, terminal.screen
    return created


@pytest.mark.subprocess
@pytest.mark.parametrize("shell", ["zsh", "bash", "fish"])
def test_tab_at_a_real_shell_runs_no_layer_text(tmp_path: Path, shell: str) -> None:
    """`kz actor aa<TAB><TAB>` in an interactive shell with `kz completion SHELL` loaded creates no file.

    The layer's names are the issue's zsh attack (a name ending in a backslash closes the quote Typer
    opened, the next runs `touch`), plus backticks and $(...). The listing must still offer the ids.
    """
    layer = hostile_layer(tmp_path / "layer")
    warm = run_kz(*MINI, "--with", str(layer), "actors", "-f", "tsv")  # the index is built before TAB
    assert "aa-2" in warm.stdout, warm.stderr
    line = f"kz {MINI[0]} {MINI[1]} --with {layer} actor aa"
    assert tab_at_a_shell(shell, tmp_path, line, b"aa-", b"aa-3") == []


# File names that are shell code once Typer has quoted them for zsh (the same trailing-backslash trick),
# or that hold $(...), backticks or a newline; zz-7-plain and the folder are the ones to offer.
HOSTILE_FILES = ["zz-1\\", "zz-2); touch PWNED; ws=(", "zz-3\\", "zz-4$(touch PWNED-dollar)"]
HOSTILE_FILES += ["zz-5`touch PWNED-backtick`", "zz-6\nnew", "zz-7-plain"]


@pytest.mark.subprocess
@pytest.mark.parametrize("shell", ["zsh", "bash", "fish"])
def test_tab_on_a_path_at_a_real_shell_runs_no_file_name(tmp_path: Path, shell: str) -> None:
    """`kz --data-dir DIR/z<TAB><TAB>` offers DIR's plain names, and no file name runs as code."""
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in HOSTILE_FILES:
        (folder / name).write_text("", encoding="utf-8")
    (folder / "zz-8-folder").mkdir()
    line = f"kz --data-dir {folder}/z"
    assert tab_at_a_shell(shell, tmp_path, line, b"zz-", b"zz-7-plain") == []


@pytest.mark.subprocess
def test_path_completion_offers_only_plain_names(tmp_path: Path) -> None:
    """Through the protocol every shell script uses, a path option lists the plain names only."""
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in HOSTILE_FILES:
        (folder / name).write_text("", encoding="utf-8")
    (folder / "zz-8-folder").mkdir()
    typed = f"kz --data-dir {folder}/z"
    env = {"_KZ_COMPLETE": "complete_bash", "COMP_WORDS": typed, "COMP_CWORD": "2"}
    offered = run_kz(env=env).stdout.splitlines()
    assert offered == [f"{folder}/zz-7-plain", f"{folder}/zz-8-folder/"]


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b"
RAW = ("\x1b", "\x07", "\x9b")


def _raw_in(text: str) -> list[str]:
    return [repr(ch) for ch in RAW if ch in text]


BATCHES = [("actor", "dana"), ("place", "eastford"), ("source", "alpha"), ("cite", "deaths-official")]


@pytest.mark.subprocess
@pytest.mark.parametrize(("command", "known"), BATCHES)
@pytest.mark.parametrize("fmt", ["jsonl", "tsv", "json", "table"])
def test_a_batch_line_of_escapes_never_reaches_the_terminal_raw(command: str, known: str, fmt: str) -> None:
    """A line of `kz COMMAND -` holding OSC/CSI sequences is reported in visible escapes, on both streams."""
    escapes = ESCAPES.encode("utf-8", "surrogateescape").replace(b"\xc2\x9b", b"\x9b")  # C1 CSI, bare
    lines = b"%s\nx%s\n\xff%s\n" % (known.encode(), escapes, escapes)
    formats = ["-f", fmt] if command != "cite" else []
    argv = [kz_executable(), *MINI, command, "-", *formats]
    done = subprocess.run(argv, input=lines, capture_output=True, check=False, timeout=60)
    stdout, stderr = (stream.decode("utf-8", "replace") for stream in (done.stdout, done.stderr))
    assert done.returncode == 1, stderr
    assert _raw_in(stdout) == [], stdout
    assert _raw_in(stderr) == [], stderr
    assert "\\x1b]0;PWNED\\x07" in stderr
    assert len(stderr.splitlines()) == 3, stderr  # two misses, then the count: one line each
    assert stdout.strip(), "the name that matched is answered"


def test_the_build_progress_shows_a_file_name_inert() -> None:
    """A stage naming a file whose name holds escapes or rich markup is drawn as visible text."""
    from kzcli.show.render import build_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    with build_progress(shown, delay=0) as update:
        update(f"reading jan{ESCAPES}[/].yaml", 1, 2)
        update(f"reading feb{ESCAPES}[bold].yaml", 2, 2)
    screen = shown.getvalue()
    without_rich = re.sub(r"\x1b\[(\?25[lh]|2K|1A|\d*(;\d+)*m)", "", screen)  # the bar's own codes
    assert _raw_in(without_rich) == [], repr(screen)
    assert "feb\\x1b]0;PWNED\\x07" in screen
    assert "[bold].yaml" in screen


@pytest.mark.subprocess
def test_validate_names_a_folder_of_escapes_inert(tmp_path: Path) -> None:
    """`kz validate`'s ok line names the folders checked: a name holding escapes stays visible text."""
    folder = tmp_path / f"kb{ESCAPES}"
    shutil.copytree(MINI[1], folder)
    done = run_kz("--data-dir", str(folder), "validate")
    assert done.returncode == 0, done.stderr
    assert _raw_in(done.stdout) == [], repr(done.stdout)
    assert done.stdout.startswith("ok: ")
    assert "kb\\x1b]0;PWNED\\x07" in done.stdout


def test_a_bug_s_traceback_is_shown_inert(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even a traceback, kz's last word on a bug, cannot carry a layer's escapes to the terminal raw."""
    cli = importlib.import_module("kzcli.cli.app")  # the module: kzcli.cli.app is also the Typer app

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"a record named x{ESCAPES}")

    monkeypatch.setattr(type(cli.app), "__call__", bug)
    monkeypatch.setattr(sys, "argv", ["kz", "timeline"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    stderr = capsys.readouterr().err
    assert exit_.value.code == 1
    assert "Traceback" in stderr
    assert "RuntimeError: a record named x\\x1b]0;PWNED\\x07" in stderr
    assert _raw_in(stderr) == [], repr(stderr)


def _timeline(kz, folder: Path) -> str:
    result = kz("--data-dir", str(folder), "timeline", "-f", "json")
    assert result.code == 0, result.stderr
    return str(result.stdout)


def test_a_top_level_yml_is_read_as_yaml(kz, mini_kb: Path) -> None:
    """`events.yml` is the events file, as `events/jan.yml` is in a kind folder: one rule, both suffixes."""
    before = _timeline(kz, mini_kb)
    (mini_kb / "events.yaml").rename(mini_kb / "events.yml")
    assert kz("--data-dir", str(mini_kb), "validate").code == 0
    assert _timeline(kz, mini_kb) == before


def test_a_yml_beside_its_yaml_is_refused_with_both_paths(kz, mini_kb: Path) -> None:
    """`events.yaml` beside `events.yml` holds two files for one name: refused naming both, exit 3."""
    (mini_kb / "events.yml").write_text("[]\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == 3
    assert str(mini_kb / "events.yml") in result.stderr
    assert str(mini_kb / "events.yaml") in result.stderr


def test_a_kind_file_and_its_folder_are_both_read(kz, mini_kb: Path) -> None:
    """`events.yml` and `events/more.yml` are read together, as `events.yaml` and `events/*.yaml` are."""
    events = (mini_kb / "events.yaml").read_text(encoding="utf-8")
    first, _, rest = events.partition("\n- id: rescue-teams-arrive")
    (mini_kb / "events.yaml").unlink()
    (mini_kb / "events.yml").write_text(first + "\n", encoding="utf-8")
    (mini_kb / "events").mkdir()
    (mini_kb / "events" / "more.yml").write_text("- id: rescue-teams-arrive" + rest, encoding="utf-8")
    shown = _timeline(kz, mini_kb)
    assert "flood-reaches-eastford" in shown
    assert "rescue-teams-arrive" in shown


@pytest.mark.parametrize("name", ["events.YAML", "events/jan.Yml"])
def test_a_yaml_suffix_in_another_case_is_refused_not_skipped(kz, mini_kb: Path, name: str) -> None:
    """A file that is YAML by its suffix but written `.YAML` or `.Yml` is named as not read, never skipped."""
    (mini_kb / "events").mkdir()
    (mini_kb / name).write_text("[]\n", encoding="utf-8")
    result = kz("--data-dir", str(mini_kb), "validate")
    assert result.code == 3
    assert str(mini_kb / name) in result.stderr
