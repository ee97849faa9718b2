"""A knowledge base cut into pieces, each keyed by a hash of its bytes: what an edit changed.

The kinds that grow large (events, actors, places, figures) are cut into their
top-level records; a file that is not simply a list of records is one piece.
The other kinds are small and are compared file by file.
"""

from __future__ import annotations

from dataclasses import dataclass

from kzcli.kb.files import KBFile, KBFiles, digest
from kzcli.kb.yamlload import top_level_items

PIECEWISE = frozenset({"events", "actors", "places", "figures"})


@dataclass(frozen=True)
class Piece:
    """One top-level record's text (or a whole file's), where it starts, and its hash."""

    line: int
    text: str
    digest: str


def file_key(kb: KBFiles, file: KBFile) -> str:
    """A file's name in the index: its layer and its path inside the layer's folder."""
    try:
        inside = file.path.relative_to(kb.folders[file.layer]).as_posix()
    except ValueError:
        inside = file.path.name
    return f"{file.layer}:{inside}"


def text_of(file: KBFile) -> str | None:
    """The file's text as the loader reads it, or None if it is not UTF-8 (validation reports that)."""
    try:
        return file.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def pieces_of(file: KBFile) -> list[Piece]:
    """The file's top-level records as pieces, or the whole file as one piece."""
    text = text_of(file)
    items = top_level_items(text) if text is not None else None
    if not items:
        return [Piece(1, text or "", file.digest)]
    return [Piece(line, item, digest(item.encode())) for line, item in items]
