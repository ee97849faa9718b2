"""Find and fingerprint the files of a knowledge-base folder (no parsing)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kzcli.errors import InvalidKB

KINDS = ("sources", "events", "actors", "places", "figures")
MAX_FILE_BYTES = 128 * 1024 * 1024
# Bump when the compiled index layout changes, so old caches are not reused.
INDEX_FORMAT = "kz-index-2"


# Reports a long build's progress: (what is happening, steps done, steps in all).
ProgressFn = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The default: report nothing."""


@dataclass(frozen=True)
class KBFiles:
    """The raw bytes of each kind's YAML file in one folder, and their fingerprint."""

    folder: Path
    paths: dict[str, Path]
    contents: dict[str, bytes]
    fingerprint: str


def bundled_data_dir() -> Path:
    """The KB shipped in the wheel, or the repo's data/ when run from a checkout."""
    packaged = Path(__file__).resolve().parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


def locate_kb(folder: Path) -> dict[str, Path]:
    """The kind files present in `folder`; refuse a folder that is not a KB, or oversized files."""
    try:
        if not folder.is_dir():
            reason = "does not exist" if not folder.exists() else "is not a folder"
            raise InvalidKB([f"{folder}: knowledge-base folder {reason}"])
        names = set(os.listdir(folder))
    except OSError as exc:
        raise InvalidKB([f"{folder}: cannot read folder ({exc.strerror})"]) from None
    expected = ", ".join(k + ".yaml" for k in KINDS)
    problems = [
        f"{folder / name}:1: unknown knowledge-base file; expected {expected}"
        for name in sorted(names)
        if name.endswith((".yaml", ".yml")) and name.removesuffix(".yaml") not in KINDS
    ]
    paths = {kind: folder / f"{kind}.yaml" for kind in KINDS if f"{kind}.yaml" in names}
    for kind, path in list(paths.items()):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(f"{path}:1: file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        except OSError as exc:
            problems.append(f"{path}:1: cannot read file ({exc.strerror})")
            del paths[kind]
    if not paths and not problems:
        problems.append(f"{folder}: no knowledge-base files ({expected})")
    if problems:
        raise InvalidKB(problems)
    return paths


def signature(paths: dict[str, Path]) -> dict[str, list[int]]:
    """Size, mtime, ctime and inode of each file: what a quick 'unchanged?' check compares."""
    result = {}
    for kind, path in paths.items():
        info = path.stat()
        result[kind] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    return result


def read_kb(folder: Path) -> KBFiles:
    """Read every kind file in `folder` and fingerprint their bytes."""
    paths = locate_kb(folder)
    contents: dict[str, bytes] = {}
    problems = []
    digest = hashlib.sha256(INDEX_FORMAT.encode())
    for kind, path in paths.items():
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(f"{path}:1: cannot read file ({exc.strerror})")
            continue
        contents[kind] = data
        digest.update(f"\0{kind}\0{len(data)}\0".encode())
        digest.update(data)
    if problems:
        raise InvalidKB(problems)
    return KBFiles(folder, paths, contents, digest.hexdigest())
