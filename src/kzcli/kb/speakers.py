"""Who speaks in each paragraph, and whether a citation credits the right voice.

In an interview a paragraph is the piece's introduction, the interviewer's question or an
interviewee's answer. A question is no evidence of a fact, and an answer is its speaker's claim,
not the magazine's: every record citing an answer names that person, and every record citing a
question says that it is about the question (`speaker: question`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The value of a citation's `speaker` that says the record is about the question itself.
QUESTION = "question"


@dataclass(frozen=True)
class Voice:
    """One paragraph's voice: introduction, question, answer (with its person), caption, credit, biography."""

    voice: str
    person: str | None
    actor: str | None

    def words(self) -> str:
        """The voice as the source profile shows it: "Cyrille Bret's answer", "question"."""
        return f"{self.person}'s answer" if self.person else str(self.voice)


def voice_map(source: Mapping[str, Any]) -> dict[int, Voice]:
    """Each paragraph of `source` that its speaker map gives a voice, by number."""
    return {
        paragraph: Voice(entry["voice"], entry.get("person"), entry.get("actor"))
        for entry in source.get("speakers") or []
        for paragraph in entry["paragraphs"]
    }


@dataclass(frozen=True)
class SpeakerCheck:
    """The speaker maps of every source and the actors their people are, ready to check citations."""

    maps: dict[str, dict[int, Voice]]

    @classmethod
    def of(cls, sources: Iterable[Mapping[str, Any]]) -> SpeakerCheck:
        return cls({s["id"]: voice_map(s) for s in sources if s.get("speakers")})

    def problem(self, cite: Mapping[str, Any], originator: str | None, filed: str) -> str | None:
        """What is wrong with one citation's voice, or None.

        `originator` is whoever the record itself credits (a statement's actor, a figure's
        `attributed_to`), and `filed` says how ("the statement is filed under").
        """
        voices = self.maps.get(cite["source"])
        speaker = cite.get("speaker")
        if voices is None:
            return None if speaker != QUESTION else f"speaker: {cite['source']} has no speaker map"
        where = f"{cite['source']} paragraph {cite['paragraph']}"
        voice = voices.get(cite["paragraph"])
        if voice is None or voice.voice not in ("question", "answer"):
            if speaker is None:
                return None
            what = f"the {voice.voice}" if voice else "the text's own voice"
            return f"speaker: {where} is {what}, not an answer"
        if voice.voice == "question":
            if speaker == QUESTION:
                return None
            return f"{where} is a question, no evidence of a fact (speaker: question marks a record about it)"
        return self._answer_problem(voice, where, speaker, originator, filed)

    def _answer_problem(
        self, voice: Voice, where: str, speaker: str | None, originator: str | None, filed: str
    ) -> str | None:
        person, actor = voice.person, voice.actor
        if speaker is not None:
            return None if speaker == actor else f"speaker: {where} is {person}'s answer, not {speaker!r}'s"
        if originator == actor:
            return None
        if originator is not None:
            fix = f"credit {actor}, or add speaker: {actor}"
            return f"{where} is {person}'s answer, but {filed} {originator!r} ({fix})"
        return f"{where} is {person}'s answer: name the speaker (speaker: {actor})"


Located = tuple[tuple[int | str, ...], dict[str, Any]]


def record_problems(
    check: SpeakerCheck, kind: str, record: Mapping[str, Any], citations: Iterable[Located]
) -> Iterator[tuple[tuple[int | str, ...], str]]:
    """Each citation of `record` whose voice is wrong, as (where in the record, message)."""
    for loc, cite in citations:
        if loc[0] == "statements":
            originator, filed = record["id"], "the statement is filed under"
        elif kind == "figures":
            originator, filed = record.get("attributed_to"), "the figure is attributed to"
        else:
            originator, filed = None, ""
        message = check.problem(cite, originator, filed)
        if message is not None:
            yield loc, f"{'.'.join(map(str, loc))}: {message}"
