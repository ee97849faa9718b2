"""Whole-KB export: to stdout (`-o -`) or to a file, never swapping what is not kz's to swap.

- A new file is created with the user's umask-derived mode, and appears whole or not at all
  (written to a kz temporary, unnamed with O_TMPFILE where possible, then linked in; the
  temporary of a killed export is removed by the next export to that folder).
- An existing regular file (directly or through symlinks) is only overwritten with --force:
  its real path gets the new contents atomically, keeping its mode; the symlinks stay.
- A FIFO or a character device (/dev/null, /dev/stdout, a terminal) is written into, never
  replaced; a FIFO with no reader is refused rather than waited on.
- A dangling symlink counts as existing and is left alone; anything else is refused.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import stat
import sys
from pathlib import Path

from kzcli import __version__
from kzcli.ask import lookups as queries
from kzcli.atomic import TEMP_PREFIX, abandoned_temp, kz_temps
from kzcli.errors import BadUsage
from kzcli.index.store import meta
from kzcli.show.render import to_json as dumps

STDOUT = Path("-")


def _kb_summary(conn: sqlite3.Connection) -> dict[str, object]:
    info = meta(conn)
    return {"version": __version__, "fingerprint": info["fingerprint"], "counts": info["counts"]}


def to_json(conn: sqlite3.Connection, output: Path | None, *, force: bool) -> None:
    """The whole KB as one JSON object, to stdout or to a file."""
    text = dumps(queries.export(conn, _kb_summary(conn))) + "\n"
    if output is None or output == STDOUT:
        sys.stdout.write(text)
        return
    write_output(output, text.encode("utf-8"), force=force, binary=False)


def to_sqlite(
    conn: sqlite3.Connection, output: Path | None, *, force: bool, metadata: Path | None = None
) -> None:
    """The designed dataset (show/dataset.py), and with `metadata` datasette's metadata.json beside it."""
    if output is None:
        raise BadUsage("export --format sqlite needs --output FILE (or -o - for stdout)")
    if output == STDOUT and sys.stdout.isatty():
        raise BadUsage("will not write a binary SQLite database to a terminal; redirect or use -o FILE")
    from kzcli.show import dataset  # only an SQLite export builds one

    # Every refusal before anything is written: never a database without the metadata asked for.
    if output != STDOUT:
        check_target(output, force=force)
    if metadata is not None:
        check_target(metadata, force=force)
        if output != STDOUT and _same_file(output, metadata):
            raise BadUsage(f"--metadata {metadata} is the same file as --output; give it a name of its own")
    kb = queries.export(conn, _kb_summary(conn))
    data = dataset.build(kb)
    if output == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_output(output, data, force=force, binary=True)
    if metadata is not None:
        from kzcli.kb.codebook import field_notes  # pydantic models: only this export needs them

        name = "kz" if output == STDOUT else output.stem
        about = dumps(dataset.metadata(kb, name, field_notes())) + "\n"
        write_output(metadata, about.encode("utf-8"), force=force, binary=False)


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file: the same resolved path, or the same inode if both exist."""
    if os.path.realpath(one) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def write_output(path: Path, data: bytes, *, force: bool, binary: bool) -> None:
    """Put `data` at `path` by the rules in this module's docstring; refusals are BadUsage."""
    info = check_target(path, force=force)
    if info is None:
        _create(path, data)
    elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        _write_into(path, data, binary)
    else:
        _overwrite(Path(os.path.realpath(path)), data, info)


def check_target(path: Path, *, force: bool) -> os.stat_result | None:
    """Refuse a target kz must not write, before anything is written; its stat, or None if new."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadUsage(f"cannot write {path}: {exc.strerror}") from None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise BadUsage(f"{path} is a symbolic link to a missing file; choose another name") from None
    except OSError as exc:
        raise BadUsage(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadUsage(f"{path} is a folder; give a file name")
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        return info
    if not stat.S_ISREG(info.st_mode):
        raise BadUsage(f"{path} is not a regular file, FIFO or character device; kz will not write to it")
    if not force:
        raise BadUsage(f"{path} already exists; choose a new file or pass --force to overwrite it")
    if stat.S_ISLNK(link.st_mode) and not _trusted_link(path, link):
        raise BadUsage(f"{path} is a link another user could have planted; --force will not follow it")
    return info


def _trusted_link(path: Path, link: os.stat_result) -> bool:
    """A link --force may follow: the user's own, in a folder no one else can write."""
    folder = os.stat(path.parent)  # Path("x").parent is ".": never empty
    others_write = folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return link.st_uid == os.geteuid() and folder.st_uid == os.geteuid() and not others_write


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_into(path: Path, data: bytes, binary: bool) -> None:
    """Write into a FIFO or character device that exists, without replacing it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == 6:  # ENXIO: a FIFO that nobody reads
            raise BadUsage(f"{path} is a FIFO with no reader; start the reader first") from None
        raise BadUsage(f"cannot write {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            raise BadUsage(f"{path} changed while kz opened it; nothing written")
        if binary and os.isatty(fd):
            raise BadUsage(f"will not write a binary SQLite database to the terminal {path}")
        os.set_blocking(fd, True)
        _write_all(fd, data)
    finally:
        os.close(fd)


def _fill(fd: int, data: bytes, like: os.stat_result | None) -> None:
    if like is not None:
        os.fchmod(fd, stat.S_IMODE(like.st_mode))
        with contextlib.suppress(OSError):
            os.fchown(fd, like.st_uid, like.st_gid)
    _write_all(fd, data)


def _written_temp(folder: Path, data: bytes, like: os.stat_result | None) -> Path:
    """A kz temporary in `folder` holding `data`: mode 0666 less the umask, or `like`'s mode and owner.

    Where the system allows, the bytes are written to an unnamed file (O_TMPFILE) that only
    gets its temporary name once complete, so a killed export leaves nothing behind.
    """
    name = folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    unnamed = getattr(os, "O_TMPFILE", 0)
    if unnamed:
        with contextlib.suppress(OSError):  # not every file system (or sandbox) supports this
            fd = os.open(folder, unnamed | flags, 0o666)
            try:
                _fill(fd, data, like)
                os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)
                return name
            finally:
                os.close(fd)
    fd = os.open(name, flags | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        _fill(fd, data, like)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    finally:
        os.close(fd)
    return name


def _sweep(folder: Path) -> None:
    """Remove temporaries that a killed kz left in `folder` (kz's names, the user's, writer gone)."""
    for path in kz_temps(folder):
        if abandoned_temp(path):
            with contextlib.suppress(OSError):
                path.unlink()


def _create(path: Path, data: bytes) -> None:
    """A new file, whole or not at all, with the mode the umask gives (0666 & ~umask)."""
    _sweep(path.parent)
    try:
        temp = _written_temp(path.parent, data, None)
    except OSError as exc:
        raise BadUsage(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.link(temp, path)  # fails rather than replace anything that appeared meanwhile
    except FileExistsError:
        raise BadUsage(f"{path} already exists; choose a new file or pass --force to overwrite it") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _overwrite(real: Path, data: bytes, old: os.stat_result) -> None:
    """New contents for an existing regular file, swapped in atomically, keeping its mode and owner."""
    _sweep(real.parent)
    temp = _written_temp(real.parent, data, old)
    try:
        os.replace(temp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
