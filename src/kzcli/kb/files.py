"""Find and fingerprint the files of a knowledge-base folder (no parsing)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kzcli.errors import InvalidKB

# "aliases" adds spellings to actors or places defined in any layer (often the bundled KB).
# "scopes", "comparisons" and "slips" feed the comparison model (kz disputes).
KINDS = ("sources", "events", "actors", "places", "figures", "aliases", "scopes", "comparisons", "slips")
MAX_FILE_BYTES = 128 * 1024 * 1024
# Bump when the compiled index layout changes, so old caches are not reused.
INDEX_FORMAT = "kz-index-4"


# Reports a long build's progress: (what is happening, steps done, steps in all).
ProgressFn = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The default: report nothing."""


class ChangedWhileReading(InvalidKB):
    """A KB file's bytes differ from those fingerprinted moments before: it was saved meanwhile."""

    def __init__(self, path: Path) -> None:
        super().__init__([f"{path}: changed while kz was reading it; run kz again"])


def digest(data: bytes) -> str:
    """A file's or piece's key: a hash of its bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class KBFile:
    """One kind file of one layer: its path, and the size and hash of its bytes when fingerprinted.

    The bytes are not kept (a large KB need not fit in memory twice): `data`
    reads them again, and refuses bytes other than those fingerprinted.
    """

    kind: str
    path: Path
    layer: int
    size: int
    digest: str

    @property
    def data(self) -> bytes:
        """The file's bytes, as fingerprinted; ChangedWhileReading if they are not."""
        try:
            data = read_limited(self.path, MAX_FILE_BYTES)
        except OSError:
            raise ChangedWhileReading(self.path) from None
        if len(data) != self.size or digest(data) != self.digest:
            raise ChangedWhileReading(self.path)
        return data


@dataclass(frozen=True)
class KBFiles:
    """The raw bytes of every kind file in the KB's layers, and their fingerprint.

    Layer 0 is the base KB (bundled, or --data-dir); later layers are the user's
    folders from KZ_DATA_PATH and --with, in that order.
    """

    folders: list[Path]
    files: list[KBFile]
    fingerprint: str

    def of_kind(self, kind: str) -> list[KBFile]:
        """The files of one kind, base layer first."""
        return [f for f in self.files if f.kind == kind]


def bundled_data_dir() -> Path:
    """The KB shipped in the wheel, or the repo's data/ when run from a checkout."""
    package = Path(__file__).resolve().parents[1]  # kzcli/, where the wheel puts data/
    packaged = package / "data"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "data"


def kind_of(name: str) -> str:
    """The record kind of a KB file's name: 'events' for events.yaml and for events/2022-01.yaml."""
    return name.split("/", 1)[0]


# Editors and file managers leave these beside the files they open (Emacs's `.#x` lock link, macOS's
# `._x` resource fork, vim's swap, backup copies): they are never the user's knowledge base.
_LEFTOVER_ENDINGS = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".rej")


def is_leftover(name: str) -> bool:
    """A hidden file or an editor's leftover, which every KB folder ignores."""
    return name.startswith((".", "#")) or name.endswith(_LEFTOVER_ENDINGS) or name == "4913"


# A knowledge-base file is YAML by its suffix, at the top of a layer and in a kind's folder alike.
_YAML_SUFFIXES = (".yaml", ".yml")
_EXPECTED = ", ".join(k + ".yaml" for k in KINDS) + " (or .yml), or KIND/*.yaml"


def _yaml_files(folder: Path, names: list[str], prefix: str = "") -> tuple[dict[str, Path], list[str]]:
    """The YAML files among `names` in `folder`, by name without the suffix (after `prefix`).

    One rule wherever kz looks: leftovers are ignored, other suffixes are not KB files; a
    suffix in another case (`.YAML`) and two files of one name (`jan.yaml` beside `jan.yml`)
    are refused with their paths, never skipped: either would leave records unread without a word.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    for name in sorted(names):
        stem, suffix = os.path.splitext(name)
        if is_leftover(name) or suffix.lower() not in _YAML_SUFFIXES:
            continue
        path = folder / name
        if suffix not in _YAML_SUFFIXES:
            problems.append(f"{path}:1: not read: write the suffix as .yaml or .yml")
        elif prefix + stem in found:
            problems.append(f"{path}:1: {found[prefix + stem]} holds the same name; keep one of the two")
        else:
            found[prefix + stem] = path
    return found, problems


def _kind_folder(folder: Path, kind: str) -> tuple[dict[str, Path], list[str]]:
    """A kind kept in many files: `events/*.yaml` beside (or instead of) `events.yaml`, in name order.

    A folder inside a kind's folder is refused, never skipped.
    """
    names = [path.name for path in (folder / kind).iterdir()]
    found, problems = _yaml_files(folder / kind, names, prefix=f"{kind}/")
    inner = [name for name in sorted(names) if not is_leftover(name) and (folder / kind / name).is_dir()]
    problems += [
        f"{folder / kind / name}:1: a folder inside {kind}/ is not read; move its files up" for name in inner
    ]
    return {key: path for key, path in found.items() if not path.is_dir()}, problems


def locate_kb(folder: Path) -> dict[str, Path]:
    """The KB files in `folder` by name (`events`, `events/2022-01`); refuse a non-KB folder, oversized files.

    A kind is read from `KIND.yaml` (or `KIND.yml`) and from every `KIND/*.yaml`, so a large layer
    can be kept in small files that review well; other folders (the source texts, say) are ignored.
    """
    try:
        if not folder.is_dir():
            reason = "does not exist" if not folder.exists() else "is not a folder"
            raise InvalidKB([f"{folder}: knowledge-base folder {reason}"])
        names = os.listdir(folder)
        top, problems = _yaml_files(folder, names)
        paths = {kind: top[kind] for kind in KINDS if kind in top}
        for kind in KINDS:
            if kind in names and (folder / kind).is_dir():
                split, refused = _kind_folder(folder, kind)
                paths |= split
                problems += refused
    except OSError as exc:
        raise InvalidKB([f"{folder}: cannot read folder ({exc.strerror})"]) from None
    problems += [
        f"{path}:1: unknown knowledge-base file; expected {_EXPECTED}"
        for name, path in top.items()
        if name not in KINDS
    ]
    for name, path in list(paths.items()):
        try:
            info = path.stat()  # follows symlinks, never opens: a FIFO cannot block here
        except OSError as exc:
            problems.append(f"{path}:1: cannot read file ({exc.strerror})")
            del paths[name]
            continue
        if not stat.S_ISREG(info.st_mode):
            problems.append(f"{path}: not a regular file")
            del paths[name]
        elif info.st_size > MAX_FILE_BYTES:
            problems.append(_too_large(path))
    if not paths and not problems:
        problems.append(f"{folder}: no knowledge-base files ({_EXPECTED})")
    if problems:
        raise InvalidKB(problems)
    return paths


def _too_large(path: Path) -> str:
    return f"{path}:1: file is larger than {MAX_FILE_BYTES // 2**20} MiB"


class NotRegularFile(OSError):
    """A path that names a device, FIFO, socket or folder rather than a regular file."""


class TooLarge(OSError):
    """A file that holds more bytes than the limit allows."""


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), refusing more than `limit`.

    Opened non-blocking and checked with fstat before any read, so a FIFO or device
    swapped in after a stat is refused rather than hung on or read without end; the
    limit applies to the bytes actually read, not to what stat reported.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{path}: not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise TooLarge(f"{path}: more than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def signature(folders: list[dict[str, Path]]) -> dict[str, list[int]]:
    """Size, mtime, ctime and inode of each layer's files: what a quick 'unchanged?' check compares."""
    result = {}
    for layer, paths in enumerate(folders):
        for name, path in paths.items():
            info = path.stat()
            result[f"{layer}:{name}"] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    return result


def read_kb(folders: list[Path]) -> KBFiles:
    """Read every kind file of every layer and fingerprint their bytes (and the layer order).

    The bytes are hashed and let go, one file at a time.
    """
    files: list[KBFile] = []
    problems = []
    fingerprint = hashlib.sha256(INDEX_FORMAT.encode())
    for layer, folder in enumerate(folders):
        for name, path in locate_kb(folder).items():
            kind = kind_of(name)
            try:
                data = read_limited(path, MAX_FILE_BYTES)
            except NotRegularFile:
                problems.append(f"{path}: not a regular file")
                continue
            except TooLarge:
                problems.append(_too_large(path))
                continue
            except OSError as exc:
                problems.append(f"{path}:1: cannot read file ({exc.strerror})")
                continue
            file = KBFile(kind, path, layer, len(data), digest(data))
            files.append(file)
            fingerprint.update(f"\0{layer}\0{name}\0{file.size}\0{file.digest}".encode())
    if problems:
        raise InvalidKB(problems)
    return KBFiles(list(folders), files, fingerprint.hexdigest())


def layer_folders(base: Path | None, extra: list[Path]) -> list[Path]:
    """The KB's folders: the base (bundled unless given), then the user's layers, without repeats."""
    folders = [base if base is not None else bundled_data_dir()]
    for folder in extra:
        if all(folder.resolve() != seen.resolve() for seen in folders):
            folders.append(folder)
    return folders


def source_texts(folder: Path) -> tuple[dict[str, str], list[str]]:
    """Every file in a folder of source texts, by the sha256 of its bytes (how sources.yaml names them).

    Also returns a line for each file that could not be read; a missing folder raises InvalidKB.
    """
    texts: dict[str, str] = {}
    unreadable: list[str] = []
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError as exc:
        raise InvalidKB([f"{folder}: cannot read sources folder ({exc.strerror})"]) from None
    for path in files:
        try:
            data = read_limited(path, MAX_FILE_BYTES)
        except OSError as exc:
            unreadable.append(f"{path}: cannot read source text ({exc.strerror or exc})")
            continue
        texts.setdefault(hashlib.sha256(data).hexdigest(), data.decode("utf-8", "replace"))
    return texts, unreadable
