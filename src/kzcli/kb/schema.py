"""The knowledge-base schema: one pydantic model per record kind.

Imported only to validate and compile the KB, never by a warm lookup.
`kz schema` (and the README's data guide) are generated from these models.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from kzcli.kb.inference import INFERRED_LINK

MAX_EXCERPT_WORDS = 25

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _check_partial_date(value: str) -> str:
    match = _PARTIAL_DATE.match(value)
    if not match:
        raise ValueError("must be an ISO date: YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date") from None
    return value


def _check_excerpt(value: str) -> str:
    words = len(value.split())
    if words > MAX_EXCERPT_WORDS:
        raise ValueError(f"excerpt has {words} words; at most {MAX_EXCERPT_WORDS} are allowed")
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# The validator gives the clearer message; the JSON Schema still gets the pattern for editors.
PartialDate = Annotated[
    str,
    AfterValidator(_check_partial_date),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}),
]
Excerpt = Annotated[str, StringConstraints(min_length=1, max_length=400), AfterValidator(_check_excerpt)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

SourceKind = Literal["interview", "briefing", "analysis", "commentary"]
PersonRole = Literal[
    "author", "interviewer", "interviewee", "editor", "translator", "cartographer", "photographer"
]
TimeOfDay = Literal["night", "morning", "afternoon", "evening"]
# How a source words a date: "by 11 January" is a latest date, "after" an earliest, "around" a day or so.
DateQualifier = Literal["by", "after", "around"]
# Whether a record belongs to the January 2022 unrest or to its background (history before, aftermath after).
Era = Literal["unrest", "background"]
# What a recorded (non-numeric) comparison is about, and what kz makes of it.
Verdict = Literal["contradiction", "differs", "agrees"]
# name: how a thing is named or spelled; wording: how a fact is put; attribution: to whom something
# went or is credited; happened (occurrence is its older word): whether something happened; where:
# whether it happened somewhere; who: who did it; interval: how long between two events; order:
# which of two events came first.
ComparedKind = Literal[
    "name", "wording", "attribution", "happened", "occurrence", "where", "who", "interval", "order"
]
SlipKind = Literal["self-contradiction", "misspelling", "typo"]
EraField = Annotated[
    Era | None,
    Field(
        description="unrest (January 2022) or background (history before, aftermath after); "
        "a record left unmarked is shown with the unrest."
    ),
]
ActorType = Literal["person", "organisation", "state", "group"]
PlaceKind = Literal["city", "town", "region", "country", "site"]
Qualifier = Literal["exact", "about", "over", "more_than", "at_least", "nearly", "almost", "up_to"]
Metric = Literal[
    "deaths",
    "injured",
    "casualties",
    "arrests",
    "troops",
    "aircraft",
    "protesters",
    "alleged_infiltrators",
    "price_change",
    "wealth",
    "spending",
    "population",
    "population_share",
    "territory",
    "reserves_rank",
    "size_rank",
    "election_wins",
    "years_in_power",
    "age",
    "duration",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Values read between the lines, on every kind of fact; the rules are kzcli.kb.inference's.
InferredMarks = Annotated[
    dict[str, Text],
    Field(
        description="Values read between the lines, each field with its reason; `link` when the record "
        "joins two texts' facts by inference. kz shows the mark wherever the value shows. "
        "`kz validate --sources-dir` requires it for a figure's as_of or an event's date (or date claim) "
        "that no cited paragraph writes out, and (as `link`) for an actor or place citing two or more "
        "sources when one cited paragraph names it by none of its names or aliases."
    ),
]


class _Inferable(_Record):
    """A record that may mark values as inferred: each key one of its fields, or `link`."""

    @model_validator(mode="after")
    def _inferred_names_fields(self) -> _Inferable:
        inferred: dict[str, str] = getattr(self, "inferred", {})
        fields = {info.alias or name for name, info in type(self).model_fields.items()}
        unknown = sorted(set(inferred) - fields - {INFERRED_LINK})
        if unknown:
            raise ValueError(f"inferred names unknown fields: {', '.join(unknown)}")
        return self


class Citation(_Record):
    """Where a fact is stated: a source, a 1-based paragraph, and a verbatim excerpt."""

    source: Id
    paragraph: Annotated[int, Field(ge=1)]
    excerpt: Excerpt
    note: Text | None = None
    speaker: Id | None = Field(
        default=None,
        description="Whose words the cited paragraph is, where the source's speaker map gives it to a "
        "voice: the actor id of the interviewee whose answer it is, or `question` for the interviewer's "
        "question (cited only where the record is about the question itself, such as a slip in it).",
    )


Citations = Annotated[list[Citation], Field(min_length=1)]


class Person(_Record):
    """Someone the text itself names, with the part they played in it."""

    name: Name
    role: PersonRole
    note: Text | None = None


ElementKind = Literal["title", "heading", "credit", "caption", "editorial-note", "biography", "dateline"]


class TextElement(_Record):
    """A title, heading, credit, caption or editorial note as the text prints it, with its paragraph."""

    kind: ElementKind
    paragraph: Annotated[int, Field(ge=1)]
    text: Excerpt


Voice = Literal["introduction", "question", "answer", "caption", "credit", "biography"]


class Speaker(_Record):
    """Who speaks in some paragraphs of a text with several voices: an answer names its person.

    Validation: a record citing an answer credits its person (a statement filed under that actor,
    a figure attributed to them, or the citation's `speaker`); a record citing a question says
    it is about the question (`speaker: question`), since a question is no evidence of a fact.
    """

    paragraphs: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)] = Field(
        description="Every paragraph this voice holds; an answer lists each paragraph it runs over."
    )
    voice: Voice
    person: Name | None = Field(
        default=None, description="For an answer: who gives it, a name listed in the source's people."
    )
    actor: Id | None = Field(default=None, description="For an answer: the person's actor id.")

    @model_validator(mode="after")
    def _answer_has_person(self) -> Speaker:
        if (self.voice == "answer") != (self.person is not None) or (self.person is None) != (
            self.actor is None
        ):
            raise ValueError("person, actor: an answer names its person and actor, and only an answer does")
        return self


class Uncited(_Record):
    """A paragraph that states a date, number or name but that no record cites, and why."""

    paragraph: Annotated[int, Field(ge=1)]
    reason: Text


class Source(_Record):
    """One source document, identified by the sha256 of its exact bytes."""

    id: Id
    key: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,7}$")] | None = None
    title: Name | None
    publisher: Name | None
    people: list[Person] = []
    published: PartialDate | None
    kind: SourceKind
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"
    sha256: Sha256
    file: Name | None = None
    inferred: dict[str, Text] = {}
    note: Text | None = None
    elements: list[TextElement] = Field(
        default=[], description="Headings, credits, captions and notes as printed; kz search finds them."
    )
    uncited: list[Uncited] = Field(
        default=[], description="Paragraphs no record cites, each with the reason it is left out."
    )
    speakers: list[Speaker] = Field(
        default=[],
        description="Who speaks where in a text of several voices; a paragraph not listed is the text's own.",
    )

    @model_validator(mode="after")
    def _inferred_names_fields(self) -> Source:
        unknown = sorted(set(self.inferred) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"inferred names unknown fields: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _speakers_are_people(self) -> Source:
        seen: set[int] = set()
        for speaker in self.speakers:
            twice = sorted(seen & set(speaker.paragraphs))
            if twice:
                raise ValueError(f"speakers: paragraph {twice[0]} is given two voices")
            seen.update(speaker.paragraphs)
            if speaker.person is not None and speaker.person not in {p.name for p in self.people}:
                raise ValueError(f"speakers: {speaker.person!r} is not one of the source's people")
        return self


class DateClaim(Citation):
    """One source's date for an event, with its precision: a day, month or year, a bound, or "around"."""

    date: PartialDate
    qualifier: DateQualifier | None = Field(
        default=None, description='"by" (on or before), "after" (on or after), or "around" (a day or two).'
    )
    end_date: PartialDate | None = Field(default=None, description="Last day, for a claim spanning days.")
    refers_to: Text | None = Field(
        default=None,
        description="What this source dates, when it is not quite what the others date (another office).",
    )


class Event(_Inferable):
    """Something that happened on a (possibly partial) date, in our own words."""

    id: Id
    era: EraField = None
    date: PartialDate | None = None
    date_qualifier: DateQualifier | None = Field(
        default=None, description='How the sources word `date`: "by", "after" or "around" it.'
    )
    date_claims: list[DateClaim] | None = None
    end_date: PartialDate | None = None
    time: TimeOfDay | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=160)]
    summary: Text
    places: list[Id] = []
    actors: list[Id] = []
    tags: list[Id] = []
    citations: list[Citation] = []
    inferred: InferredMarks = {}

    @model_validator(mode="after")
    def _one_way_to_date(self) -> Event:
        if (self.date is None) == (not self.date_claims):
            raise ValueError("give either date (with citations) or date_claims, not both")
        if self.date is not None and not self.citations:
            raise ValueError("citations: an event with a date needs at least one citation")
        if self.date_claims and len(self.date_claims) < 2:
            raise ValueError("date_claims: list at least two claims, or use date")
        if self.date_qualifier is not None and self.date is None:
            raise ValueError("date_qualifier: goes with date; a date claim has its own qualifier")
        start = self.date or min(claim.date for claim in self.date_claims or [])
        if self.end_date is not None and self.end_date < start:
            raise ValueError(f"end_date {self.end_date} is before date {start}")
        return self


class Role(_Record):
    """A position an actor held, with optional from/to dates."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    title: Name
    from_: PartialDate | None = Field(default=None, alias="from")
    to: PartialDate | None = None
    citations: Citations


class Statement(_Inferable):
    """A claim or remark attributed to an actor, summarised in our own words."""

    id: Id
    date: PartialDate | None = None
    summary: Text
    also_of: list[Id] = Field(
        default=[],
        description="Other actors (ids) whose statement this also is: the body the speaker spoke for "
        "(Blinken for the United States) or a co-speaker the text names (Moscow and Minsk). "
        "The statement shows in their profiles and under kz statements --attributed-to too.",
    )
    citations: Citations
    inferred: InferredMarks = {}


class Actor(_Inferable):
    """A person, organisation, state or group with a part in the story."""

    id: Id
    name: Name
    kind: ActorType
    aliases: list[Name] = []
    description: Text
    roles: list[Role] = []
    statements: list[Statement] = []
    citations: Citations
    inferred: InferredMarks = {}


class Place(_Inferable):
    """A city, region or site, with every spelling the texts use."""

    id: Id
    name: Name
    kind: PlaceKind
    aliases: list[Name] = []
    region: Name | None = None
    note: Text | None = None
    citations: Citations
    inferred: InferredMarks = {}


class Figure(_Inferable):
    """A number one source reports, with its qualifier exactly as worded."""

    id: Id
    era: EraField = None
    metric: Metric
    value: int | float
    qualifier: Qualifier
    unit: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_%$]+$", max_length=40)]
    scope: Annotated[Id, Field(description="What is counted: total, protesters, russia...")]
    as_of: PartialDate | None = Field(default=None, description="The date the number refers to, if stated.")
    as_of_qualifier: DateQualifier | None = Field(
        default=None, description='"by" when the count is as of a latest date ("by mid-January").'
    )
    place: Id | None = Field(default=None, description="A place id, when the figure is about one place.")
    # Who the figure comes from (an actor id), when the text names an originator apart
    # from the document itself: "officially almost 8,000" -> kazakh-officials.
    attributed_to: Id | None = Field(
        default=None, description="An actor id: who the source says the figure comes from."
    )
    note: Text | None = None
    citations: Citations
    inferred: InferredMarks = {}


class Scope(_Record):
    """How the scopes of one question nest: a part within its whole, and the parts that make a whole."""

    id: Id
    title: Name = Field(description="The scope in words: 'security forces', 'the whole CSTO force'.")
    part_of: Id | None = Field(default=None, description="The scope this one is a part of.")
    parts: list[Id] = Field(
        default=[],
        description="Scopes that together make this whole: a source giving all of them gives a derived sum.",
    )


class ComparedClaim(Citation):
    """One source's answer in words, cited; a derived one cites its first fact here, the others in parts."""

    value: Name
    derivation: Text | None = Field(
        default=None, description="How a value the source does not state is worked out from its parts."
    )
    parts: list[Citation] = Field(
        default=[], description="A derived claim's further citations, from the claim's own source."
    )
    inferred: Text | None = Field(
        default=None, description="Why, when the value is read between the lines rather than stated."
    )

    @model_validator(mode="after")
    def _derived_with_its_parts(self) -> ComparedClaim:
        if self.derivation and not self.parts:
            raise ValueError("a derived claim needs parts: the further citations it is worked out from")
        if self.parts and not self.derivation:
            raise ValueError("parts: a derived claim says how it is worked out from them (derivation)")
        others = sorted({part.source for part in self.parts} - {self.source})
        if others:
            raise ValueError(f"parts: a derived claim's parts come from its own source, not {others[0]}")
        return self


class Comparison(_Record):
    """A question the sources answer in words, with a verdict, each side cited."""

    id: Id
    kind: ComparedKind = Field(
        description="name, wording, attribution (to whom), happened (or occurrence), where, who, "
        "interval (how long between two events) or order (which came first)."
    )
    subject: Name = Field(description="The question, worded so that the verdict answers it.")
    about: list[Id] = Field(default=[], description="The events, actors or places the question is about.")
    verdict: Verdict
    explanation: Text = Field(description="One line, in our words: why the verdict is what it is.")
    claims: Annotated[list[ComparedClaim], Field(min_length=2)]

    @model_validator(mode="after")
    def _cited_on_two_sides(self) -> Comparison:
        if len({claim.source for claim in self.claims}) < 2:
            raise ValueError("claims: a comparison sets two sources side by side (an error in one is a slip)")
        return self


class Slip(_Record):
    """An error within one text: a self-contradiction, a misspelt name, a typo that changes a fact."""

    id: Id
    kind: SlipKind
    source: Id
    summary: Text
    about: list[Id] = Field(default=[], description="The records the slip touches.")
    citations: Citations


class AliasSet(_Record):
    """More spellings of an actor or place defined elsewhere, e.g. in the bundled KB."""

    id: Annotated[Id, Field(description="The id of an existing actor or place.")]
    aliases: Annotated[list[Name], Field(min_length=1)]
    citations: list[Citation] = []


MODELS: dict[str, type[_Record]] = {
    "sources": Source,
    "events": Event,
    "actors": Actor,
    "places": Place,
    "figures": Figure,
    "aliases": AliasSet,
    "scopes": Scope,
    "comparisons": Comparison,
    "slips": Slip,
}
