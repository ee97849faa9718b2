"""Ready-made citations of a fact or a source: plain text, Markdown, BibTeX or CSL-JSON.

Pure formatting. Metadata appears only as the source record states it: a
missing title stays missing (the text never had one), and inferred metadata
says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from kzcli.compare import mark_reason as reason
from kzcli.show import inferred as inferring

Record = dict[str, Any]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CSL_TYPES = {"interview": "interview", "briefing": "report", "analysis": "article", "commentary": "article"}


class Style(str, Enum):
    """Citation styles of `kz cite --style`."""

    text = "text"
    markdown = "markdown"
    bibtex = "bibtex"
    csl_json = "csl-json"


def _people(source: Record) -> str:
    people = ", ".join(f"{p['name']} ({p['role']})" for p in source["people"])
    return people + (" (inferred)" if "people" in source["inferred"] else "")


def _published(source: Record) -> str:
    if not source["published"]:
        return "date not stated"
    inferred = ", inferred" if "published" in source["inferred"] else ""
    return f"{source['published']}{inferred}"


def _untitled(source: Record) -> str:
    """A bracketed description, so an untitled text never seems to have a title."""
    return f"[untitled {source['kind']}]"


def _about(fact: Record, item: Record) -> str:
    """What a citation supports: its side of a dispute, else the fact itself."""
    if item.get("claim"):
        return f"{item['claim']} (one side of: {fact['label']})"
    return "" if fact["type"] == "source" else str(fact["label"])


def _document(source: Record) -> str:
    """'Title, Publisher, people (kind, 2022-01)': only what the record states."""
    parts = [f"“{source['title']}”" if source["title"] else _untitled(source)]
    if source["publisher"]:
        parts.append(source["publisher"])
    if source["people"]:
        parts.append(_people(source))
    return f"{', '.join(parts)} ({_published(source)}) [{source['id']}]"


def _side(item: Record) -> str:
    """What one citation supports, when a fact has several sides."""
    return f"{item['claim']}: " if item.get("claim") else ""


def _entries(items: list[Record], sources: dict[str, Record], escape: Callable[[str], str]) -> list[str]:
    """Each citation as 'side: document, ¶N: “excerpt”', every part passed through `escape`."""
    entries = []
    for item in items:
        where = f", ¶{item['paragraph']}{_voice(item)}" if item.get("paragraph") else ""
        quote = f": “{escape(item['excerpt'])}”" if item.get("excerpt") else ""
        entries.append(f"{escape(_side(item))}{escape(_document(sources[item['source']]))}{where}{quote}")
    return entries


def _then(note: str, more: str) -> str:
    """`note` and one more sentence, without a doubled full stop."""
    return f"{note.rstrip('.')}. {more}"


def _voice(item: Record) -> str:
    """Whose words the paragraph is, when the record says (an interviewee's answer, a question)."""
    speaker = item.get("speaker")
    if not speaker:
        return ""
    return " (the interviewer's question)" if speaker == "question" else f" (spoken by {speaker})"


def _inferences(fact: Record) -> str:
    """The reasons a fact's inferred values are inferred, after its citations (empty if none)."""
    return ". ".join(inferring.reason_lines(fact))


def as_text(fact: Record, items: list[Record], sources: dict[str, Record]) -> str:
    """One line per citation: document, paragraph, quoted excerpt; then what is inferred, and why."""
    head = f"{fact['label']} [{fact['id']}]{_verdicts(fact, ' (in dispute: every side is cited)')}"
    head += f" {inferring.MARK}" if fact.get("inferred") else ""
    lines = [head, *(f"  {entry}" for entry in _entries(items, sources, str))]
    lines += [f"  {line}" for line in inferring.reason_lines(fact)]
    lines += [
        f"  {m['verdict']} ({m['id']}, {reason(m)}): {m['explanation']}" for m in fact.get("disputes", [])
    ]
    return "\n".join(lines)


def _verdicts(fact: Record, said: str) -> str:
    """The dispute mark for a citation's heading: what kind of dispute, and that every side is cited."""
    return said if fact["disputed"] else ""


def as_markdown(fact: Record, items: list[Record], sources: dict[str, Record]) -> str:
    """A Markdown list, excerpts as quotations."""
    head = f"**{_md(fact['label'])}** (`{fact['id']}`){_verdicts(fact, ' — in dispute; every side is cited')}"
    head += f" {inferring.MARK}" if fact.get("inferred") else ""
    lines = [head, *(f"- {entry}" for entry in _entries(items, sources, _md))]
    lines += [f"- {_md(line)}" for line in inferring.reason_lines(fact)]
    lines += [
        f"- *{m['verdict']}* (`{m['id']}`, {_md(reason(m))}): {_md(m['explanation'])}"
        for m in fact.get("disputes", [])
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)


def _bib(text: str) -> str:
    """Text safe inside a BibTeX brace-delimited field."""
    escaped = text.replace("\\", r"\textbackslash{}")
    escaped = re.sub(r"([{}&%$#_])", r"\\\1", escaped)
    return escaped.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def as_bibtex(fact: Record, items: list[Record], sources: dict[str, Record]) -> str:
    """One @misc entry per citation; the note holds the paragraph and excerpt."""
    entries = []
    for n, item in enumerate(items, start=1):
        source = sources[item["source"]]
        fields = {"title": source["title"] or _untitled(source)}
        authors = [p["name"] for p in source["people"] if p["role"] == "author"]
        if authors:
            fields["author"] = " and ".join(authors)
        if source["publisher"]:
            fields["publisher"] = source["publisher"]
        if source["published"]:
            fields["year"] = source["published"][:4]
        note = _about(fact, item)
        if item.get("paragraph"):
            note += f". Paragraph {item['paragraph']}"
        if item.get("excerpt"):
            note += f": “{item['excerpt']}”"
        if "published" in source["inferred"]:
            note += ". Date inferred: " + source["inferred"]["published"]
        if "people" in source["inferred"] and fields.get("author"):
            note = _then(note, "Author inferred: " + source["inferred"]["people"])
        if fact.get("inferred"):
            note = _then(note, _inferences(fact))
        if note:
            fields["note"] = note.removeprefix(". ")
        body = ",\n".join(f"  {name} = {{{_bib(value)}}}" for name, value in fields.items())
        month = source["published"][5:7] if source["published"] and len(source["published"]) >= 7 else ""
        if month:
            body += f",\n  month = {_MONTHS[int(month) - 1]}"
        key = f"kz:{fact['id']}:{n}" if len(items) > 1 else f"kz:{fact['id']}"
        entries.append(f"@misc{{{key},\n{body}\n}}")
    return "\n\n".join(entries)


def as_csl(fact: Record, items: list[Record], sources: dict[str, Record]) -> str:
    """CSL-JSON items (for Zotero, Pandoc, citeproc); locator and excerpt in `note`."""
    result = []
    for n, item in enumerate(items, start=1):
        source = sources[item["source"]]
        entry: Record = {
            "id": f"kz:{fact['id']}:{n}" if len(items) > 1 else f"kz:{fact['id']}",
            "type": _CSL_TYPES.get(source["kind"], "document"),
        }
        if source["title"]:
            entry["title"] = source["title"]
        authors = [p for p in source["people"] if p["role"] == "author"]
        if authors:
            entry["author"] = [{"literal": p["name"]} for p in authors]
        if source["publisher"]:
            entry["publisher"] = source["publisher"]
        if source["published"]:
            entry["issued"] = {"date-parts": [[int(part) for part in source["published"].split("-")]]}
        note = _about(fact, item)
        if item.get("paragraph"):
            note += f"; paragraph {item['paragraph']}"
        if item.get("excerpt"):
            note += f": “{item['excerpt']}”"
        if fact.get("inferred"):
            note += "; " + _inferences(fact)
        if note:
            entry["note"] = note.removeprefix("; ")
        entry["language"] = source["language"]
        result.append(entry)
    return json.dumps(result, ensure_ascii=False, indent=2)


FORMATTERS = {
    Style.text: as_text,
    Style.markdown: as_markdown,
    Style.bibtex: as_bibtex,
    Style.csl_json: as_csl,
}
