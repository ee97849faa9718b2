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
    "price_change",
    "wealth",
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


class Citation(_Record):
    """Where a fact is stated: a source, a 1-based paragraph, and a verbatim excerpt."""

    source: Id
    paragraph: Annotated[int, Field(ge=1)]
    excerpt: Excerpt
    note: Text | None = None


Citations = Annotated[list[Citation], Field(min_length=1)]


class Person(_Record):
    """Someone the text itself names, with the part they played in it."""

    name: Name
    role: PersonRole
    note: Text | None = None


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

    @model_validator(mode="after")
    def _inferred_names_fields(self) -> Source:
        unknown = sorted(set(self.inferred) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"inferred names unknown fields: {', '.join(unknown)}")
        return self


class DateClaim(_Record):
    """One source's date for an event; an event with differing claims is disputed."""

    date: PartialDate
    source: Id
    paragraph: Annotated[int, Field(ge=1)]
    excerpt: Excerpt
    note: Text | None = None


class Event(_Record):
    """Something that happened on a (possibly partial) date, in our own words."""

    id: Id
    date: PartialDate | None = None
    date_claims: list[DateClaim] | None = None
    end_date: PartialDate | None = None
    time: TimeOfDay | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=160)]
    summary: Text
    places: list[Id] = []
    actors: list[Id] = []
    tags: list[Id] = []
    citations: list[Citation] = []

    @model_validator(mode="after")
    def _one_way_to_date(self) -> Event:
        if (self.date is None) == (not self.date_claims):
            raise ValueError("give either date (with citations) or date_claims, not both")
        if self.date is not None and not self.citations:
            raise ValueError("citations: an event with a date needs at least one citation")
        if self.date_claims and len(self.date_claims) < 2:
            raise ValueError("date_claims: list at least two claims, or use date")
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


class Statement(_Record):
    """A claim or remark attributed to an actor, summarised in our own words."""

    id: Id
    date: PartialDate | None = None
    summary: Text
    citations: Citations


class Actor(_Record):
    """A person, organisation, state or group with a part in the story."""

    id: Id
    name: Name
    type: ActorType
    aliases: list[Name] = []
    description: Text
    roles: list[Role] = []
    statements: list[Statement] = []
    citations: Citations


class Place(_Record):
    """A city, region or site, with every spelling the texts use."""

    id: Id
    name: Name
    kind: PlaceKind
    aliases: list[Name] = []
    region: Name | None = None
    note: Text | None = None
    citations: Citations


class Figure(_Record):
    """A number one source reports, with its qualifier exactly as worded."""

    id: Id
    metric: Metric
    value: int | float
    qualifier: Qualifier
    unit: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_%$]+$", max_length=40)]
    scope: Annotated[Id, Field(description="What is counted: total, protesters, russia...")]
    as_of: PartialDate | None = Field(default=None, description="The date the number refers to, if stated.")
    place: Id | None = Field(default=None, description="A place id, when the figure is about one place.")
    # Figures worded differently (deaths vs "casualties") that count the same thing share a
    # group, so disputes compare them; without one, metric, scope and place decide.
    group: Id | None = Field(default=None, description="Figures in one group are compared as one count.")
    # Who the figure comes from (an actor id), when the text names an originator apart
    # from the document itself: "officially almost 8,000" -> kazakh-officials.
    attributed_to: Id | None = Field(
        default=None, description="An actor id: who the source says the figure comes from."
    )
    note: Text | None = None
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
}
