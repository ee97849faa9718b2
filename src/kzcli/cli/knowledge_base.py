"""Knowledge-base commands: the codebook, the cache, export and validation."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kzcli.cli.app import (
    FieldsOption,
    FormatOption,
    _state,
    _warn,
    command,
    complete_path,
    emit,
    emit_text,
    handles_errors,
)
from kzcli.errors import BadUsage, InvalidKB
from kzcli.kb.files import read_kb
from kzcli.show import export as exporting
from kzcli.show import views

# The record kinds of `kz schema KIND`, for completion (kb.schema, with pydantic, stays unloaded).
SCHEMA_KINDS = (
    "sources",
    "events",
    "actors",
    "places",
    "figures",
    "aliases",
    "scopes",
    "comparisons",
    "slips",
)


@command(rich_help_panel="The knowledge base")
@handles_errors
def schema(
    json_schema: Annotated[
        bool, typer.Option("--json-schema", help="Write a JSON Schema (for editors) instead of the codebook.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Argument(
            metavar="KIND",
            help="sources, events, actors, places, figures, scopes, ...",
            autocompletion=lambda incomplete: [k for k in SCHEMA_KINDS if k.startswith(incomplete)],
        ),
    ] = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="How kz compares claims: each rule, with an example.")
    ] = False,
    output: Annotated[
        bool, typer.Option("--output", help="The JSON shape of every command's answer, field by field.")
    ] = False,
) -> None:
    """The knowledge-base codebook: every field, its type and vocabulary, from the schema itself."""
    if output:
        from kzcli.show.shapes import describe

        emit_text(describe())
        return
    if rules:
        emit_text(_rules())
        return
    from kzcli.kb import codebook  # pydantic models: only this command and cold builds need them

    emit_text(codebook.json_schema(kind) if json_schema else codebook.describe(kind))


def _rules() -> str:
    """The rules with their examples, read from the bundled knowledge base's index whatever KB is in use."""
    from kzcli.ask import lookups as queries
    from kzcli.compare import VERDICTS, rules_text
    from kzcli.index.store import open_index
    from kzcli.kb.files import bundled_data_dir

    conn = open_index([bundled_data_dir()], warn=_warn)
    try:
        found = queries.disputes(conn, VERDICTS)
    finally:
        conn.close()
    return rules_text({comparison["id"]: comparison for comparison in found})


@command(rich_help_panel="The knowledge base")
@handles_errors
def cache(
    ctx: typer.Context,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove kz's own files from the cache folder (nothing else).")
    ] = False,
    fmt: FormatOption = None,
    fields: FieldsOption = None,
) -> None:
    """The index cache: its folder, size and entries; --clear empties it of kz's files."""
    from kzcli.index import cache as caching

    folder = caching.private_folder(_warn)
    removed = caching.clear(folder) if clear and folder is not None else None
    info = caching.describe(folder)
    if removed is not None:
        info["removed"] = len(removed)
    emit(ctx, views.cache(info), fmt, fields)


class ExportFormat(str, Enum):
    """Whole-KB export formats."""

    json = "json"
    sqlite = "sqlite"


@command(rich_help_panel="The knowledge base")
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
        typer.Option(
            "--output",
            "-o",
            help="Write to this new file, a FIFO or device, or - for stdout.",
            autocompletion=complete_path,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing regular file's contents (mode kept).")
    ] = False,
    metadata: Annotated[
        Path | None,
        typer.Option(
            "--metadata",
            metavar="FILE",
            help="With -f sqlite: also write datasette's metadata.json (titles, licence, column meanings).",
            autocompletion=complete_path,
        ),
    ] = None,
) -> None:
    """Export the whole knowledge base as JSON or as an SQLite dataset (tables, links, search, views)."""
    conn = _state(ctx).conn
    if fmt is ExportFormat.sqlite:
        exporting.to_sqlite(conn, output, force=force, metadata=metadata)
    elif metadata is not None:
        raise BadUsage("--metadata describes an SQLite dataset; add -f sqlite")
    else:
        exporting.to_json(conn, output, force=force)


@command(rich_help_panel="The knowledge base")
@handles_errors
def validate(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="Knowledge-base folder (default: the one in use).",
            autocompletion=complete_path,
        ),
    ] = None,
    sources_dir: Annotated[
        Path | None,
        typer.Option(
            "--sources-dir",
            help="Also check every excerpt against the source texts in this folder.",
            autocompletion=complete_path,
        ),
    ] = None,
) -> None:
    """Check a knowledge base: YAML, schema, references, and (with --sources-dir) excerpts."""
    # validate pulls in yaml and pydantic: only this command and cold builds pay for them.
    from kzcli.kb.validate import validate as check

    state = _state(ctx)
    folders = [folder, *state.folders[1:]] if folder else state.folders
    kb = read_kb(folders)
    target = ", ".join(map(str, folders))
    if sources_dir is not None and not sources_dir.is_dir():
        raise InvalidKB([f"{sources_dir}: sources folder does not exist or is not a folder"])
    records = check(kb, sources_dir).records
    summary = ", ".join(f"{len(items)} {kind}" for kind, items in records.items())
    checked = " and every excerpt against the source texts" if sources_dir else ""
    emit_text(f"ok: {target}: {summary}; schema, references{checked} are valid", keep="")  # one line
