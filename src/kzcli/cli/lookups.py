"""Lookup commands: what happened and when, who, where, how many, which source, what was said."""

import datetime as dt
import sqlite3
from enum import Enum
from typing import Annotated, Any

import typer

from kzcli.ask import lookups as queries
from kzcli.ask import summaries as research
from kzcli.cli import batch
from kzcli.cli.app import (
    CHART_FIRST_DAY,
    CHART_LAST_DAY,
    EVERY_ERA,
    MAX_CHART_DAYS,
    UNREST_ONLY,
    AttributedToOption,
    BackgroundOption,
    ChartOption,
    EvidenceOption,
    FieldsOption,
    FormatOption,
    MinSourcesOption,
    State,
    StrictOption,
    _chart_style,
    _complete,
    _say,
    _state,
    command,
    emit,
    handles_errors,
)
from kzcli.compare import ABOUT_DATE, ABOUT_VALUE, contradictions
from kzcli.dates import parse_user_date
from kzcli.errors import BadUsage, DisputedFacts, NoMatch
from kzcli.kb.files import bundled_data_dir
from kzcli.show import charts, views
from kzcli.show import summary_views as research_views
from kzcli.show.views import Format, View


def _refuse_disputed(docs: list[dict[str, Any]], about: str, noun: str) -> None:
    """--strict: the answer is out; now fail if any of it is one side of a contradiction about what
    the view shows (`about`: the timeline's dates, the figures' values), naming those contradictions."""
    found = [ids for doc in docs if (ids := contradictions(doc["disputes"], about))]
    if found:
        count = len(found)
        plural = f"{count} {noun}s shown are" if count > 1 else f"1 {noun} shown is"
        named = list(dict.fromkeys(cid for ids in found for cid in ids))
        of = "one side of a contradiction" if len(named) == 1 else f"sides of {len(named)} contradictions"
        raise DisputedFacts(f"--strict: {plural} {of}: {', '.join(named)} (see kz disputes)")


def _in_eras(
    records: list[dict[str, Any]], eras: tuple[str, ...], noun: str
) -> tuple[list[dict[str, Any]], int]:
    """The records of those eras, and how many were left out; an answer emptied by it says so on stderr."""
    kept = [r for r in records if r["era"] in eras]
    left_out = len(records) - len(kept)
    if not kept and left_out:
        plural = noun if left_out == 1 else noun + "s"
        _say(f"kz: note: {left_out} background {plural} (before or after the unrest) match; add --background")
    return kept, left_out


def _links(
    state: State, actor: str | None, place: str | None, source: str | None, tag: str | None
) -> dict[str, str]:
    links = {}
    for kind, value in (("actor", actor), ("place", place), ("source", source)):
        if value is not None:
            links[kind] = queries.resolve(state.conn, kind, value)
    if tag is not None:
        links["tag"] = queries.asked("tag", tag)
    return links


@command(rich_help_panel="Lookups")
@handles_errors
def timeline(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", help="Earliest date (YYYY, YYYY-MM or YYYY-MM-DD).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Latest date, inclusive.")] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            help="Only events involving this actor (name or alias).", autocompletion=_complete("actor")
        ),
    ] = None,
    place: Annotated[
        str | None, typer.Option(help="Only events at this place.", autocompletion=_complete("place"))
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only events this source reports.", autocompletion=_complete("source"))
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only events with this tag.")] = None,
    min_sources: MinSourcesOption = 1,
    strict: StrictOption = False,
    background: BackgroundOption = False,
    chart: Annotated[
        bool,
        typer.Option(
            "--chart",
            help="Draw a day-by-day strip (1-11 January 2022 unless --from/--to); ASCII when piped.",
        ),
    ] = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """What happened and when, in date order. Disputed dates show each source's version.

    The January 2022 unrest by default; --background (or --from/--to) adds the history before it.
    """
    state = _state(ctx)
    eras = EVERY_ERA if background or start or end else UNREST_ONLY
    if chart:
        start, end = start or CHART_FIRST_DAY, end or CHART_LAST_DAY
    low = parse_user_date("--from", start)[0] if start else "0000-01-01"
    high = parse_user_date("--to", end)[1] if end else "9999-12-31"
    if low > high:
        raise BadUsage(f"--from {start} is after --to {end}")
    events = queries.timeline(state.conn, start=low, end=high, links=_links(state, actor, place, source, tag))
    events, left_out = _in_eras(research.with_min_sources(events, min_sources), eras, "event")
    sources = queries.source_docs(state.conn)
    if chart:
        if (dt.date.fromisoformat(high) - dt.date.fromisoformat(low)).days >= MAX_CHART_DAYS:
            raise BadUsage(f"--chart draws at most {MAX_CHART_DAYS} days; narrow --from/--to")
        _no_evidence_in_charts(evidence)
        view = charts.timeline_view(events, sources, low, high, *_chart_style(state.env))
    else:
        places = queries.names_of(state.conn, "place", {p for e in events for p in e["places"]})
        view = views.timeline(events, places, sources, evidence, left_out)
    emit(ctx, view, fmt, fields)
    if strict:
        _refuse_disputed(events, ABOUT_DATE, "event date")


def _profile(
    ctx: typer.Context, kind: str, names: list[str], fmt: Format | None, fields: str | None, evidence: bool
) -> None:
    """One profile, or (several names, or `-`) one answer per name in the chosen format."""
    state = _state(ctx)

    def lookup(name: str) -> dict[str, Any]:
        return queries.profile(state.conn, kind, queries.resolve(state.conn, kind, name))

    if batch.is_batch(names):
        table = lambda docs: views.listing(kind, docs, evidence)  # noqa: E731 - one line, read where it is used
        batch.answer_all(ctx, f"{kind} names", names, lookup, table, fmt, fields)
        return
    doc = lookup(names[0])
    places = queries.names_of(state.conn, "place", {p for e in doc["events"] for p in e["places"]})
    emit(ctx, views.profile(kind, doc, places, queries.source_docs(state.conn), evidence), fmt, fields)


NamesHelp = (
    "Ids, names or aliases (case, accents and spelling variants ignored); - reads one a line from stdin."
)


@command(rich_help_panel="Lookups")
@handles_errors
def actor(
    ctx: typer.Context,
    names: Annotated[
        list[str],
        typer.Argument(metavar="NAME", help=NamesHelp, autocompletion=_complete("actor")),
    ],
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """Who someone is: profile, roles, events, statements and sources.

    Several names (or - and one name a line on stdin) give one answer each: JSON Lines and TSV
    stream, a table is one table, and a name that matches nothing is reported on stderr (exit 1).
    """
    _profile(ctx, "actor", names, fmt, fields, evidence)


# The actor kinds of the schema, as choices for --kind (kb.schema stays off the warm path).
ActorKind = Enum(
    "ActorKind",
    [("person", "person"), ("organisation", "organisation"), ("state", "state"), ("group", "group")],
)


@command(rich_help_panel="Lookups")
@handles_errors
def actors(
    ctx: typer.Context,
    kind: Annotated[
        ActorKind | None, typer.Option("--kind", "--type", metavar="KIND", help="Only this kind of actor.")
    ] = None,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """List every actor."""
    docs = queries.listing(_state(ctx).conn, "actor", kind.value if kind else None)
    emit(ctx, views.listing("actor", research.with_min_sources(docs, min_sources), evidence), fmt, fields)


@command(rich_help_panel="Lookups")
@handles_errors
def place(
    ctx: typer.Context,
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME", help=NamesHelp + " Amalty finds Almaty.", autocompletion=_complete("place")
        ),
    ],
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """A place: its spellings, region and the events there.

    Several names (or - and one name a line on stdin) give one answer each, as kz actor does.
    """
    _profile(ctx, "place", names, fmt, fields, evidence)


@command(rich_help_panel="Lookups")
@handles_errors
def places(
    ctx: typer.Context,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """List every place."""
    docs = research.with_min_sources(queries.listing(_state(ctx).conn, "place"), min_sources)
    emit(ctx, views.listing("place", docs, evidence), fmt, fields)


def _no_evidence_in_charts(evidence: bool) -> None:
    """A chart draws bars, not quotations: say so rather than drop --evidence silently."""
    if evidence:
        _say("kz: note: --evidence does not apply to --chart; drop --chart (or use -f json) for the excerpts")


def _wanted_metrics(named: list[str], casualties: bool, flags: dict[str, bool]) -> list[str]:
    """The metrics asked for: by name, --casualties, and the one-metric flags."""
    wanted = named + (list(queries.CASUALTY_METRICS) if casualties else [])
    return wanted + [name for name, chosen in flags.items() if chosen]


def _metric_summary(conn: sqlite3.Connection, eras: tuple[str, ...]) -> View:
    """One line per metric, and how many background figures the eras left out."""
    summary = queries.metric_summary(conn, eras)
    everything = queries.metric_summary(conn, EVERY_ERA)
    left_out = sum(r["figures"] for r in everything) - sum(r["figures"] for r in summary)
    return views.metric_summary(summary, left_out)


def _figure_rows(
    state: State, wanted: list[str], attributed: str | None, min_sources: int
) -> list[dict[str, Any]]:
    """The figures of the wanted metrics (every metric if none), by originator and support."""
    known = set(queries.metrics(state.conn))
    asked = [queries.asked("metric", m) for m in wanted]
    unknown = [m for m in asked if m not in known and m not in queries.CASUALTY_METRICS]
    if unknown:
        raise NoMatch(f"no figures for metric {unknown[0]!r}; known metrics: {', '.join(sorted(known))}")
    rows = queries.figures(state.conn, list(dict.fromkeys(wanted or sorted(known))))
    if attributed:
        rows = research.attributed_to(rows, queries.resolve(state.conn, "actor", attributed))
    return research.with_min_sources(rows, min_sources)


def _figures_view(
    state: State, rows: list[dict[str, Any]], shape: str, evidence: bool, left_out: int
) -> View:
    """The figures as a chart, a by-source matrix, or a table with its closing answer lines."""
    names = {
        "place": queries.names_of(state.conn, "place", {f["place"] for f in rows if f["place"]}),
        "actor": queries.names_of(
            state.conn, "actor", {f["attributed_to"] for f in rows if f["attributed_to"]}
        ),
    }
    sources = queries.source_docs(state.conn)
    stored = queries.figure_comparisons(state.conn)
    matrix = research.by_source(rows, queries.scopes(state.conn), views.source_keys(sources), stored)
    if shape == "chart":
        _no_evidence_in_charts(evidence)
        return charts.figures_view(matrix, sources, names["actor"], *_chart_style(state.env))
    if shape == "by-source":
        return research_views.by_source(matrix, sources, names["actor"], evidence)
    return views.figures(rows, matrix, names, sources, evidence, left_out)


MetricsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="METRIC",
        help="Metrics to show (kz figures --summary lists them).",
        autocompletion=_complete("metric"),
    ),
]


@command(rich_help_panel="Lookups")
@handles_errors
def figures(
    ctx: typer.Context,
    metric_names: MetricsArgument = None,
    casualties: Annotated[bool, typer.Option("--casualties", help="Deaths and injuries.")] = False,
    deaths: Annotated[bool, typer.Option("--deaths", help="Deaths only.")] = False,
    injured: Annotated[bool, typer.Option("--injured", help="Injuries only.")] = False,
    arrests: Annotated[bool, typer.Option("--arrests", help="Arrests only.")] = False,
    troops: Annotated[bool, typer.Option("--troops", help="Troop deployments only.")] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="Any metric by name; repeatable.", autocompletion=_complete("metric")),
    ] = None,
    by_source: Annotated[
        bool, typer.Option("--by-source", help="One row per scope, one column per source, then the spread.")
    ] = False,
    summary: Annotated[
        bool, typer.Option("--summary", help="One row per metric: how many figures, the range, the sources.")
    ] = False,
    attributed: AttributedToOption = None,
    min_sources: MinSourcesOption = 1,
    strict: StrictOption = False,
    background: BackgroundOption = False,
    chart: ChartOption = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """How many were killed, injured, arrested or deployed, with every source's number.

    Every figure of the January 2022 unrest by default (--summary: one row per metric);
    --background adds earlier and later ones.
    Each question closes with one line: every source's answer, a derived sum, the verdict and why
    (the question's, over all its claims, even when a filter shows fewer).
    """
    eras = EVERY_ERA if background else UNREST_ONLY
    flags = {"deaths": deaths, "injured": injured, "arrests": arrests, "troops": troops}
    wanted = _wanted_metrics([*(metric_names or []), *(metric or [])], casualties, flags)
    state = _state(ctx)
    if summary:
        if wanted or attributed or by_source or chart:
            raise BadUsage(
                "--summary covers every metric; drop the metric, --by-source, --chart and --attributed-to"
            )
        emit(ctx, _metric_summary(state.conn, eras), fmt, fields)
        return
    if not wanted and not attributed and (by_source or chart):
        flag = "--chart" if chart else "--by-source"
        raise BadUsage(
            f"name a metric to compare: kz figures deaths {flag} (kz figures --summary lists them)"
        )
    rows, left_out = _in_eras(_figure_rows(state, wanted, attributed, min_sources), eras, "figure")
    shape = "chart" if chart else "by-source" if by_source else "table"
    emit(ctx, _figures_view(state, rows, shape, evidence, left_out), fmt, fields)
    if strict:
        _refuse_disputed(rows, ABOUT_VALUE, "figure")


@command(rich_help_panel="Lookups")
@handles_errors
def sources(ctx: typer.Context, fmt: FormatOption = None, fields: FieldsOption = None) -> None:
    """List the source documents with their metadata and how many facts cite each."""
    emit(ctx, views.sources(queries.sources(_state(ctx).conn), str(bundled_data_dir())), fmt, fields)


@command(rich_help_panel="Lookups")
@handles_errors
def source(
    ctx: typer.Context,
    source_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID",
            help="Source ids, keys (TWA) or file names; - reads one a line from stdin.",
            autocompletion=_complete("source"),
        ),
    ],
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """One source: metadata, fingerprint, and every fact that cites it (several: one answer each)."""
    conn = _state(ctx).conn

    def lookup(name: str) -> dict[str, Any]:
        return queries.source_detail(conn, queries.resolve(conn, "source", name))

    if batch.is_batch(source_ids):
        bundled = str(bundled_data_dir())
        table = lambda docs: views.sources(docs, bundled)  # noqa: E731 - one line, read where it is used
        batch.answer_all(ctx, "source ids", source_ids, lookup, table, fmt, fields)
        return
    emit(ctx, views.source_detail(lookup(source_ids[0]), evidence), fmt, fields)


@command(rich_help_panel="Lookups")
@handles_errors
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to find; each word also matches as a prefix.")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=10000, help="At most this many hits.")
    ] = 20,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """Full-text search across events, actors, places, figures, statements and excerpts."""
    hits, ranked = queries.search(_state(ctx).conn, text, limit)
    if ranked is not None:
        _say(
            f"kz: note: more than {ranked:,} entries match; these hits are the best of the first {ranked:,}"
            " (records before excerpts). Add words to narrow the search."
        )
    emit(ctx, views.search(hits), fmt, fields)


@command(rich_help_panel="Lookups")
@handles_errors
def statements(
    ctx: typer.Context,
    attributed: AttributedToOption = None,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """Claims and remarks, each shown as its originator's, via the documents that report it."""
    state = _state(ctx)
    actor_id = queries.resolve(state.conn, "actor", attributed) if attributed else None
    docs = research.with_min_sources(queries.statements(state.conn, actor_id), min_sources)
    emit(ctx, research_views.statements(docs, queries.source_docs(state.conn), evidence), fmt, fields)
