"""Research commands: the brief, gaps and coverage, citations, and where the sources differ."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from kzcli.ask import lookups as queries
from kzcli.ask import summaries as research
from kzcli.ask.coverage import uncited_facts
from kzcli.cli import batch
from kzcli.cli.app import (
    BRIEF_LINES,
    BRIEF_SIZES,
    BRIEF_WIDTH,
    EvidenceOption,
    FieldsOption,
    FormatOption,
    StrictOption,
    _chart_style,
    _complete,
    _say,
    _state,
    command,
    complete_path,
    emit,
    emit_text,
    handles_errors,
)
from kzcli.errors import BadUsage, DisputedFacts
from kzcli.kb.files import source_texts
from kzcli.show import cite as citing
from kzcli.show import summary_views as research_views
from kzcli.show import views
from kzcli.textnorm import excerpt_key, split_paragraphs


@command(rich_help_panel="Research")
@handles_errors
def brief(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
) -> None:
    """One screen for a newcomer: what happened, key dates and actors, headline figures; all cited."""
    if evidence:
        _say(
            "kz: note: the brief has no room for excerpts; kz cite ID gives any fact's paragraph and excerpt"
        )
    state = _state(ctx)
    kb = queries.export(state.conn, {})
    originators = queries.names_of(state.conn, "actor", {f["attributed_to"] for f in kb["figures"]} - {None})
    width = min(_chart_style(state.env)[1], BRIEF_WIDTH)
    scopes = queries.scopes(state.conn)
    rows = research.headline_rows(kb, scopes, queries.figure_comparisons(state.conn))
    # Smaller sections until the brief fits one screen (wrapping depends on the width).
    for happened, dates, actors, figures in BRIEF_SIZES:
        sizes = {"happened": happened, "dates": dates, "actors": actors, "figures": figures}
        summary = research.brief(kb, sizes, rows)
        view = research_views.brief(summary, kb["sources"], originators, width)
        if len(view.text or []) <= BRIEF_LINES:
            break
    emit(ctx, view, fmt, fields)


@command(rich_help_panel="Research")
@handles_errors
def gaps(
    ctx: typer.Context,
    sources_dir: Annotated[
        Path | None,
        typer.Option(
            "--sources-dir",
            metavar="DIR",
            help="Also list paragraphs of the texts in DIR that no record cites and no reason excuses, "
            "and each date, number and name a paragraph holds that no excerpt of it quotes (one row each).",
            autocompletion=complete_path,
        ),
    ] = None,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """What to strengthen: single-source facts, loose dates, unstated metadata, uncited paragraphs.

    With --sources-dir, a paragraph's date, number or name that no excerpt of it quotes is a row
    of its own (type paragraph, id SOURCE#N, gap "date not cited"): a fact nobody recorded shows up.
    """
    kb = queries.export(_state(ctx).conn, {})
    found = research.gaps(kb)
    if sources_dir is not None:
        texts = _paragraphs_by_source(kb["sources"], sources_dir)
        found += research.coverage(kb, texts) + uncited_facts(kb, texts)
    emit(ctx, research_views.gaps(found), fmt, fields)


def _paragraphs_by_source(sources: list[dict[str, Any]], folder: Path) -> dict[str, list[str]]:
    """Each source's paragraphs, from the text in `folder` whose sha256 the source records."""
    texts, _unreadable = source_texts(folder)  # an unreadable file shows as the source it should be
    missing = [s["id"] for s in sources if s["sha256"] not in texts]
    if missing:
        raise BadUsage(f"--sources-dir: no file in {folder} has the fingerprint of {', '.join(missing)}")
    return {s["id"]: [excerpt_key(p) for p in split_paragraphs(texts[s["sha256"]])] for s in sources}


@command(rich_help_panel="Research")
@handles_errors
def cite(
    ctx: typer.Context,
    record_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID",
            help="Source, event, figure or statement ids; - reads one a line from stdin.",
            autocompletion=_complete("cite"),
        ),
    ],
    style: Annotated[
        citing.Style,
        typer.Option("--style", "-s", case_sensitive=False, help="text, markdown, bibtex or csl-json."),
    ] = citing.Style.text,
) -> None:
    """A ready citation of a fact or source: document, paragraph and excerpt; every side if disputed.

    Several ids give one citation each (csl-json: one list of every item); an id that
    matches nothing is reported on stderr and the others are still cited (exit 1).
    """
    conn = _state(ctx).conn

    def lookup(record_id: str) -> dict[str, Any]:
        fact, items, cited = queries.cite_target(conn, record_id)
        return {"text": citing.FORMATTERS[style](fact, items, {s["id"]: s for s in cited})}

    answers = batch.Answers("ids", lookup, single=not batch.is_batch(record_ids))
    texts = (answer["text"] for answer in answers.each(batch.names_given(record_ids)))
    if style is citing.Style.csl_json:
        items = [item for text in texts for item in json.loads(text)]
        if items or not answers.failed:
            emit_text(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        batch.emit_texts(texts)
    answers.check()


@command(rich_help_panel="Research")
@handles_errors
def disputes(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
    evidence: EvidenceOption = False,
    agreements: Annotated[
        bool, typer.Option("--agreements", help="Also list the comparisons whose claims agree.")
    ] = False,
    strict: StrictOption = False,
) -> None:
    """Where the sources differ, each side cited, with a verdict: contradiction, differs, or slip.

    Figures, dates, names and whether something happened are compared; slips within one
    text are listed after them. --agreements adds the comparisons whose claims agree;
    --strict exits 5, after the list, when any of them is a contradiction.
    """
    conn = _state(ctx).conn
    verdicts = ("contradiction", "differs", "slip") + (("agrees",) if agreements else ())
    found = queries.disputes(conn, verdicts)
    emit(ctx, views.disputes(found, queries.source_docs(conn), evidence), fmt, fields)
    contradictions = [c["id"] for c in found if c["verdict"] == "contradiction"]
    if strict and contradictions:
        count = (
            f"{len(contradictions)} comparisons listed are"
            if len(contradictions) > 1
            else "1 comparison listed is"
        )
        raise DisputedFacts(f"--strict: {count} a contradiction: {', '.join(contradictions)}")
