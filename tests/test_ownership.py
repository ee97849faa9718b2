"""kz touches only what it owns: regular files in, its own files out, private cache, no stray processes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import kzcli.kbfiles
from kzcli.errors import ExitCode
from kzcli.kbfiles import NotRegularFile, TooLarge, read_limited

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
