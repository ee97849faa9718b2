"""The kz command line: parse options, run a query, render, map errors to exit codes.

This is the only module that knows about exit codes and stderr messages.
"""

import contextlib
import datetime as dt
import functools
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from kzcli import __version__, charts, exporting, queries, research, research_views, views
from kzcli import cite as citing
from kzcli.dates import parse_user_date
from kzcli.errors import BadUsage, DisputedFacts, ExitCode, InvalidKB, KzError, NoMatch, OutputError
from kzcli.index import meta, open_index
from kzcli.kbfiles import bundled_data_dir, layer_folders, no_progress, read_kb, source_texts
from kzcli.render import build_progress, render
from kzcli.textnorm import excerpt_key, inert, split_paragraphs
from kzcli.views import Format, View

app = typer.Typer(
    name="kz",
    help="Cited facts about the January 2022 unrest in Kazakhstan. Every answer names its sources.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

F = TypeVar("F", bound=Callable[..., Any])
MAX_PROBLEMS_SHOWN = 20
CHART_FIRST_DAY, CHART_LAST_DAY = "2022-01-01", "2022-01-11"
BRIEF_WIDTH, BRIEF_LINES = 100, 40
# (events, key dates, actors, headline questions), largest first; the death toll is always the first question.
BRIEF_SIZES = [
    (3, 8, 5, 3),
    (3, 6, 5, 3),
    (2, 6, 4, 3),
    (2, 6, 4, 2),
    (2, 5, 3, 2),
    (2, 4, 3, 2),
    (1, 4, 3, 2),
]
BRIEF_SIZES += [(1, 3, 3, 1)]
MAX_CHART_DAYS = 366


class State:
    """Global options, shared with every command through the Typer context."""

    def __init__(self, data_dir: Path | None, color: bool, layers: list[Path] | None = None) -> None:
        self.folders = layer_folders(data_dir, layers or [])
        self.color = color
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            shown = build_progress(sys.stderr) if sys.stderr.isatty() else contextlib.nullcontext(no_progress)
            with shown as progress:
                self._conn = open_index(self.folders, progress, warn=_warn)
        return self._conn


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State(None, color=False)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _warn(message: str) -> None:
    _say(f"kz: warning: {message}")


def _fail(exc: KzError) -> NoReturn:
    if isinstance(exc, InvalidKB):
        for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
            _say(problem)
        hidden = len(exc.problems) - MAX_PROBLEMS_SHOWN
        if hidden > 0:
            _say(f"... and {hidden} more (kz validate lists them all)")
    _say(f"kz: {exc.message}")
    raise typer.Exit(int(exc.exit_code))


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at devnull so the final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def handles_errors(command: F) -> F:
    """Run a command, turning domain and output errors into documented exits."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()
        except KzError as exc:
            _fail(exc)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(int(ExitCode.OUTPUT)) from None
        except OSError as exc:
            _fail(OutputError(f"cannot write output: {exc.strerror or exc}"))
        except KeyboardInterrupt:
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        return result

    return wrapper  # type: ignore[return-value]


def _pick_format(fmt: Format | None, view: View) -> Format:
    if fmt is not None:
        return fmt
    # A chart stays a chart when piped, drawn in ASCII (see _chart_style).
    return Format.table if sys.stdout.isatty() or view.text is not None else Format.tsv


def emit(ctx: typer.Context, view: View, fmt: Format | None, fields: str | None = None) -> None:
    """Render a view to stdout, keeping only `fields` if given; write failures exit 4."""
    if fields is not None:
        if not fields.strip():
            print("\n".join(view.flat.columns))
            return
        view = views.select_fields(view, [f.strip() for f in fields.split(",") if f.strip()])
    with _writing_stdout():
        render(view, _pick_format(fmt, view), sys.stdout, color=_state(ctx).color)


def emit_text(text: str) -> None:
    """Write text that is already in its final form (a citation); control characters made visible."""
    with _writing_stdout():
        sys.stdout.write(inert(text, keep="\n") + "\n")


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    """Write to stdout, then flush; a failed write is OutputError (exit 4), a closed pipe stays itself."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror or exc}") from None


def _complete(kind: str) -> Callable[[typer.Context, str], list[str]]:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            params = ctx.find_root().params
            data_dir, layers = params.get("data_dir"), params.get("layers") or []
            state = State(Path(data_dir) if data_dir else None, False, _user_layers(layers))
            return queries.completions(state.conn, kind, incomplete)
        except (KzError, sqlite3.Error, OSError):
            return []

    return complete


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="table at a terminal, tsv when piped; also csv, json, jsonl, md.",
    ),
]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--fields",
        metavar="NAME,...",
        help="Only these fields, in this order, in every format; a bare --fields lists the names.",
    ),
]
MinSourcesOption = Annotated[
    int, typer.Option("--min-sources", min=1, metavar="N", help="Only facts that at least N sources support.")
]
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict", help="Exit 5 (after printing) if any fact shown is one side of a contradiction."
    ),
]
BackgroundOption = Annotated[
    bool,
    typer.Option(
        "--background",
        help="Also show the background: history before the January 2022 unrest and its aftermath.",
    ),
]
UNREST_ONLY, EVERY_ERA = ("unrest",), ("unrest", "background")
ChartOption = Annotated[
    bool, typer.Option("--chart", help="Draw a chart: Unicode at a terminal, plain ASCII when piped.")
]
AttributedToOption = Annotated[
    str | None,
    typer.Option(
        "--attributed-to",
        metavar="NAME",
        help="Only what the sources attribute to this actor (name or alias, e.g. officials).",
        autocompletion=_complete("actor"),
    ),
]
EvidenceOption = Annotated[
    bool,
    typer.Option("--evidence", help="Add each citation's paragraph and verbatim excerpt."),
]


def _user_layers(with_folders: list[Path]) -> list[Path]:
    """KZ_DATA_PATH's folders (a path list, like PATH), then each --with, in order."""
    listed = os.environ.get("KZ_DATA_PATH", "")
    return [Path(part) for part in listed.split(os.pathsep) if part] + list(with_folders)


def _color_wanted(no_color: bool) -> bool:
    return not no_color and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


@app.callback()
@handles_errors
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="KZ_DATA_DIR",
            help="Use the knowledge base in this folder instead of the bundled one.",
            file_okay=True,
            dir_okay=True,
            resolve_path=False,
        ),
    ] = None,
    layers: Annotated[
        list[Path] | None,
        typer.Option(
            "--with",
            metavar="DIR",
            help="Also load this knowledge-base folder over the one in use; repeatable (also KZ_DATA_PATH).",
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour or styles (also NO_COLOR=1).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Show kz's version and the knowledge base's.")
    ] = False,
) -> None:
    """Cited facts about the January 2022 unrest in Kazakhstan."""
    ctx.obj = State(data_dir, _color_wanted(no_color), _user_layers(layers or []))
    if version:
        info = meta(ctx.obj.conn)
        counts = info["counts"]
        detail = ", ".join(
            f"{counts[k]} {k}" for k in ("sources", "events", "actors", "places", "figures", "statements")
        )
        print(
            f"kz {__version__}\nknowledge base {info['fingerprint'][:12]}: {counts['facts']} facts ({detail})"
        )
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        print(ctx.get_help())
        raise typer.Exit(0)


def _chart_style() -> tuple[charts.Style, int]:
    """Unicode glyphs at a terminal, ASCII in a pipe; the terminal's width (COLUMNS), else 100."""
    width = shutil.get_terminal_size((100, 24)).columns
    return (charts.UNICODE if sys.stdout.isatty() else charts.ASCII), width


def _refuse_disputed(count: int, noun: str) -> None:
    """--strict: the answer is out; now fail if any of it is one side of a contradiction."""
    if count:
        plural = f"{count} {noun}s shown are" if count > 1 else f"1 {noun} shown is"
        raise DisputedFacts(f"--strict: {plural} contradicted by another source (see kz disputes)")


def _contradicted(record: dict[str, Any]) -> bool:
    return any(m["verdict"] == "contradiction" for m in record.get("disputes", []))


def _in_eras(records: list[dict[str, Any]], eras: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:
    """The records of those eras, and how many were left out."""
    kept = [r for r in records if r["era"] in eras]
    return kept, len(records) - len(kept)


def _links(
    state: State, actor: str | None, place: str | None, source: str | None, tag: str | None
) -> dict[str, str]:
    links = {}
    for kind, value in (("actor", actor), ("place", place), ("source", source)):
        if value is not None:
            links[kind] = queries.resolve(state.conn, kind, value)
    if tag is not None:
        links["tag"] = tag
    return links


@app.command()
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
    events, left_out = _in_eras(research.with_min_sources(events, min_sources), eras)
    sources = queries.source_docs(state.conn)
    if chart:
        if (dt.date.fromisoformat(high) - dt.date.fromisoformat(low)).days >= MAX_CHART_DAYS:
            raise BadUsage(f"--chart draws at most {MAX_CHART_DAYS} days; narrow --from/--to")
        view = charts.timeline_view(events, sources, low, high, *_chart_style())
    else:
        places = queries.names_of(state.conn, "place", {p for e in events for p in e["places"]})
        view = views.timeline(events, places, sources, evidence, left_out)
    emit(ctx, view, fmt, fields)
    if strict:
        _refuse_disputed(sum(_contradicted(e) for e in events), "event date")


def _profile(ctx: typer.Context, kind: str, name: str, fmt: Format | None, evidence: bool) -> None:
    state = _state(ctx)
    doc = queries.profile(state.conn, kind, queries.resolve(state.conn, kind, name))
    places = queries.names_of(state.conn, "place", {p for e in doc["events"] for p in e["places"]})
    emit(ctx, views.profile(kind, doc, places, queries.source_docs(state.conn), evidence), fmt)


@app.command()
@handles_errors
def actor(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="Id, name or alias; case, accents and punctuation are ignored.",
            autocompletion=_complete("actor"),
        ),
    ],
    fmt: FormatOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """Who someone is: profile, roles, events, statements and sources."""
    _profile(ctx, "actor", name, fmt, evidence)


class ActorType(str, Enum):
    """Actor types in the schema."""

    person = "person"
    organisation = "organisation"
    state = "state"
    group = "group"


@app.command()
@handles_errors
def actors(
    ctx: typer.Context,
    type_: Annotated[ActorType | None, typer.Option("--type", help="Only this type of actor.")] = None,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """List every actor."""
    docs = queries.listing(_state(ctx).conn, "actor", type_.value if type_ else None)
    emit(ctx, views.listing("actor", research.with_min_sources(docs, min_sources)), fmt, fields)


@app.command()
@handles_errors
def place(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(help="Id, name or any spelling (Almaty, Amalty).", autocompletion=_complete("place")),
    ],
    fmt: FormatOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """A place: its spellings, region and the events there."""
    _profile(ctx, "place", name, fmt, evidence)


@app.command()
@handles_errors
def places(
    ctx: typer.Context,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """List every place."""
    docs = research.with_min_sources(queries.listing(_state(ctx).conn, "place"), min_sources)
    emit(ctx, views.listing("place", docs), fmt, fields)


@app.command()
@handles_errors
def figures(
    ctx: typer.Context,
    metric_names: Annotated[
        list[str] | None, typer.Argument(metavar="[METRIC]...", help="Metrics to show (see kz figures).")
    ] = None,
    casualties: Annotated[bool, typer.Option("--casualties", help="Deaths and injuries.")] = False,
    deaths: Annotated[bool, typer.Option("--deaths", help="Deaths only.")] = False,
    injured: Annotated[bool, typer.Option("--injured", help="Injuries only.")] = False,
    arrests: Annotated[bool, typer.Option("--arrests", help="Arrests only.")] = False,
    troops: Annotated[bool, typer.Option("--troops", help="Troop deployments only.")] = False,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Any metric by name; repeatable.")
    ] = None,
    by_source: Annotated[
        bool, typer.Option("--by-source", help="One row per scope, one column per source, then the spread.")
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

    Figures of the January 2022 unrest by default; --background adds earlier and later ones.
    Each question closes with one line: every source's answer, a derived sum, the verdict and why.
    """
    eras = EVERY_ERA if background else UNREST_ONLY
    wanted = [*(metric_names or []), *(metric or [])]
    wanted += list(queries.CASUALTY_METRICS) if casualties else []
    flags = (("deaths", deaths), ("injured", injured), ("arrests", arrests), ("troops", troops))
    wanted += [name for name, chosen in flags if chosen]
    state = _state(ctx)
    if not wanted and not attributed:
        if by_source or chart:
            flag = "--chart" if chart else "--by-source"
            raise BadUsage(f"name a metric to compare: kz figures deaths {flag} (see kz figures)")
        summary = queries.metric_summary(state.conn, eras)
        left_out = sum(r["figures"] for r in queries.metric_summary(state.conn, EVERY_ERA)) - sum(
            r["figures"] for r in summary
        )
        emit(ctx, views.metric_summary(summary, left_out), fmt, fields)
        return
    known = set(queries.metrics(state.conn))
    unknown = [m for m in wanted if m not in known and m not in queries.CASUALTY_METRICS]
    if unknown:
        raise NoMatch(f"no figures for metric {unknown[0]!r}; known metrics: {', '.join(sorted(known))}")
    rows = queries.figures(state.conn, list(dict.fromkeys(wanted or sorted(known))))
    if attributed:
        rows = research.attributed_to(rows, queries.resolve(state.conn, "actor", attributed))
    rows, left_out = _in_eras(research.with_min_sources(rows, min_sources), eras)
    names = {
        "place": queries.names_of(state.conn, "place", {f["place"] for f in rows if f["place"]}),
        "actor": queries.names_of(
            state.conn, "actor", {f["attributed_to"] for f in rows if f["attributed_to"]}
        ),
    }
    sources = queries.source_docs(state.conn)
    matrix = research.by_source(rows, queries.scopes(state.conn), views.source_keys(sources))
    if chart:
        view = charts.figures_view(matrix, sources, names["actor"], *_chart_style())
    elif by_source:
        view = research_views.by_source(matrix, sources, names["actor"])
    else:
        view = views.figures(rows, matrix, names, sources, evidence, left_out)
    emit(ctx, view, fmt, fields)
    if strict:
        _refuse_disputed(sum(_contradicted(f) for f in rows), "figure")


@app.command()
@handles_errors
def sources(ctx: typer.Context, fmt: FormatOption = None, fields: FieldsOption = None) -> None:
    """List the source documents with their metadata and how many facts cite each."""
    emit(ctx, views.sources(queries.sources(_state(ctx).conn), str(bundled_data_dir())), fmt, fields)


@app.command()
@handles_errors
def source(
    ctx: typer.Context,
    source_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Source id (see kz sources) or file name.", autocompletion=_complete("source")
        ),
    ],
    fmt: FormatOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """One source: metadata, fingerprint, and every fact that cites it."""
    conn = _state(ctx).conn
    doc = queries.source_detail(conn, queries.resolve(conn, "source", source_id))
    emit(ctx, views.source_detail(doc, evidence), fmt)


@app.command()
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


@app.command()
@handles_errors
def statements(
    ctx: typer.Context,
    attributed: AttributedToOption = None,
    min_sources: MinSourcesOption = 1,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """Claims and remarks, each shown as its originator's, via the documents that report it."""
    state = _state(ctx)
    actor_id = queries.resolve(state.conn, "actor", attributed) if attributed else None
    docs = research.with_min_sources(queries.statements(state.conn, actor_id), min_sources)
    emit(ctx, research_views.statements(docs, queries.source_docs(state.conn)), fmt, fields)


@app.command()
@handles_errors
def brief(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """One screen for a newcomer: what happened, key dates and actors, headline figures; all cited."""
    state = _state(ctx)
    kb = queries.export(state.conn, {})
    originators = queries.names_of(state.conn, "actor", {f["attributed_to"] for f in kb["figures"]} - {None})
    width = min(_chart_style()[1], BRIEF_WIDTH)
    scopes = queries.scopes(state.conn)
    # Smaller sections until the brief fits one screen (wrapping depends on the width).
    for happened, dates, actors, figures in BRIEF_SIZES:
        sizes = {"happened": happened, "dates": dates, "actors": actors, "figures": figures}
        summary = research.brief(kb, scopes, sizes)
        view = research_views.brief(summary, kb["sources"], originators, width)
        if len(view.text or []) <= BRIEF_LINES:
            break
    emit(ctx, view, fmt)


@app.command()
@handles_errors
def gaps(
    ctx: typer.Context,
    sources_dir: Annotated[
        Path | None,
        typer.Option(
            "--sources-dir",
            metavar="DIR",
            help="Also list paragraphs of the texts in DIR that no record cites and no reason excuses.",
        ),
    ] = None,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """What to strengthen: single-source facts, loose dates, unstated metadata, uncited paragraphs."""
    kb = queries.export(_state(ctx).conn, {})
    found = research.gaps(kb)
    if sources_dir is not None:
        found += research.coverage(kb, _paragraphs_by_source(kb["sources"], sources_dir))
    emit(ctx, research_views.gaps(found), fmt, fields)


def _paragraphs_by_source(sources: list[dict[str, Any]], folder: Path) -> dict[str, list[str]]:
    """Each source's paragraphs, from the text in `folder` whose sha256 the source records."""
    texts, _unreadable = source_texts(folder)  # an unreadable file shows as the source it should be
    missing = [s["id"] for s in sources if s["sha256"] not in texts]
    if missing:
        raise BadUsage(f"--sources-dir: no file in {folder} has the fingerprint of {', '.join(missing)}")
    return {s["id"]: [excerpt_key(p) for p in split_paragraphs(texts[s["sha256"]])] for s in sources}


@app.command()
@handles_errors
def schema(
    json_schema: Annotated[
        bool, typer.Option("--json-schema", help="Write a JSON Schema (for editors) instead of the codebook.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Argument(metavar="[KIND]", help="sources, events, actors, places, figures, scopes, ..."),
    ] = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="How kz compares claims: each rule, with an example.")
    ] = False,
) -> None:
    """The knowledge-base codebook: every field, its type and vocabulary, from the schema itself."""
    if rules:
        from kzcli.compare import rules_text

        emit_text(rules_text())
        return
    from kzcli import codebook  # pydantic models: only this command and cold builds need them

    emit_text(codebook.json_schema(kind) if json_schema else codebook.describe(kind))


@app.command()
@handles_errors
def cite(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID", help="A source, event, figure or statement id.")],
    style: Annotated[
        citing.Style, typer.Option("--style", "-s", case_sensitive=False, help="Citation style.")
    ] = citing.Style.text,
) -> None:
    """A ready citation of a fact or source: document, paragraph and excerpt; every side if disputed."""
    fact, items, cited = queries.cite_target(_state(ctx).conn, record_id)
    text = citing.FORMATTERS[style](fact, items, {s["id"]: s for s in cited})
    emit_text(text)


@app.command()
@handles_errors
def disputes(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
    agreements: Annotated[
        bool, typer.Option("--agreements", help="Also list the comparisons whose claims agree.")
    ] = False,
) -> None:
    """Where the sources differ, each side cited, with a verdict: contradiction, differs, or slip.

    Figures, dates, names and whether something happened are compared; slips within one
    text are listed after them. --agreements adds the comparisons whose claims agree.
    """
    conn = _state(ctx).conn
    verdicts = ("contradiction", "differs", "slip") + (("agrees",) if agreements else ())
    found = queries.disputes(conn, verdicts)
    emit(ctx, views.disputes(found, queries.source_docs(conn), evidence), fmt, fields)


@app.command()
@handles_errors
def cache(
    ctx: typer.Context,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove kz's own files from the cache folder (nothing else).")
    ] = False,
    fmt: FormatOption = None,
) -> None:
    """The index cache: its folder, size and entries; --clear empties it of kz's files."""
    from kzcli import cache as caching

    folder = caching.private_folder(_warn)
    removed = caching.clear(folder) if clear and folder is not None else None
    info = caching.describe(folder)
    if removed is not None:
        info["removed"] = len(removed)
    emit(ctx, views.cache(info), fmt)


class ExportFormat(str, Enum):
    """Whole-KB export formats."""

    json = "json"
    sqlite = "sqlite"


@app.command()
@handles_errors
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="json (stdout or -o) or sqlite (needs -o).",
        ),
    ] = ExportFormat.json,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this new file, a FIFO or device, or - for stdout."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing regular file's contents (mode kept).")
    ] = False,
) -> None:
    """Export the whole knowledge base as JSON or as an SQLite database."""
    conn = _state(ctx).conn
    if fmt is ExportFormat.sqlite:
        exporting.to_sqlite(conn, output, force=force)
    else:
        exporting.to_json(conn, output, force=force)


@app.command()
@handles_errors
def validate(
    ctx: typer.Context,
    folder: Annotated[
        Path | None, typer.Argument(metavar="[DIR]", help="Knowledge-base folder (default: the one in use).")
    ] = None,
    sources_dir: Annotated[
        Path | None,
        typer.Option(
            "--sources-dir", help="Also check every excerpt against the source texts in this folder."
        ),
    ] = None,
) -> None:
    """Check a knowledge base: YAML, schema, references, and (with --sources-dir) excerpts."""
    # validate pulls in yaml and pydantic: only this command and cold builds pay for them.
    from kzcli.validate import validate as check

    state = _state(ctx)
    folders = [folder, *state.folders[1:]] if folder else state.folders
    kb = read_kb(folders)
    target = ", ".join(map(str, folders))
    if sources_dir is not None and not sources_dir.is_dir():
        raise InvalidKB([f"{sources_dir}: sources folder does not exist or is not a folder"])
    records = check(kb, sources_dir).records
    summary = ", ".join(f"{len(items)} {kind}" for kind, items in records.items())
    checked = " and every excerpt against the source texts" if sources_dir else ""
    print(f"ok: {target}: {summary}; schema, references{checked} are valid")


def _command_name(command: typer.models.CommandInfo) -> str:
    """The name Typer gives a registered command (an explicit name, else the function's, dashed)."""
    return command.name or typer.main.get_command_name(getattr(command.callback, "__name__", ""))


def _invoked_command(argv: list[str]) -> str | None:
    """The subcommand named on the command line, skipping global options and their values."""
    args = iter(argv)
    for arg in args:
        if arg in ("--data-dir", "--with"):
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _bare_fields(argv: list[str]) -> list[str]:
    """`--fields` given no value (last, or before another option) becomes `--fields=`: list the names.

    Click options cannot take an optional value, and a field name never starts with "-".
    """
    result: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return result + argv[i:]
        following = argv[i + 1] if i + 1 < len(argv) else None
        bare = arg == "--fields" and (following is None or following.startswith("-"))
        result.append("--fields=" if bare else arg)
    return result


def main() -> None:
    """Console-script entry point: `kz`."""
    sys.argv[1:] = _bare_fields(sys.argv[1:])
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    # Typer converts every command's parameters at each start (about 1.5 ms a command).
    # A run needs only the command it invokes; help and completion still see them all.
    everything = app.registered_commands
    name = None if "_KZ_COMPLETE" in os.environ else _invoked_command(sys.argv[1:])
    chosen = [c for c in everything if _command_name(c) == name]
    if chosen:
        app.registered_commands = chosen
    try:
        app(prog_name="kz")
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(int(ExitCode.OUTPUT))
    finally:
        app.registered_commands = everything
