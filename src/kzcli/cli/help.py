"""kz's help pages: commands in panels, plain metavars, an Examples section, environment and exit codes.

Plain click help (no rich), so that `kz --help | less` and a narrow terminal read well.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import typer
import typer.core

from kzcli.errors import ExitCode

PANELS = ("Lookups", "Research", "The knowledge base", "Shell")

ENVIRONMENT = [
    ("KZ_DATA_DIR", "the knowledge base to use instead of the bundled one (as --data-dir)"),
    ("KZ_DATA_PATH", "more knowledge-base folders loaded over it, separated by ':' (as --with)"),
    ("KZ_CACHE_DIR", "where the compiled index is cached (default: the user's cache folder)"),
    ("KZ_PAGER, PAGER", "the pager for long tables at a terminal (default: less; empty or cat: none)"),
    ("NO_COLOR", "no colour or styles (as --no-color); TERM=dumb does the same"),
    ("COLUMNS", "the width tables are drawn to (default: the terminal's)"),
]

EXIT_CODES = {
    ExitCode.OK: "success",
    ExitCode.NO_MATCH: "nothing matched the name, id or metric given",
    ExitCode.USAGE: "bad usage: an unknown option, a bad value, a refused output file",
    ExitCode.INVALID_KB: "the knowledge base does not validate",
    ExitCode.OUTPUT: "output could not be written (a closed pipe, a full disk)",
    ExitCode.DISPUTED: "--strict: a fact shown is one side of a contradiction",
    ExitCode.NO_MEMORY: "out of memory (a memory limit below what the knowledge base needs)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.TERMINATED: "terminated (SIGTERM)",
}

EXAMPLES: dict[str, list[str]] = {
    "timeline": [
        "kz timeline",
        "kz timeline --from 2022-01-05 --to 2022-01-07 --evidence",
        "kz timeline --actor tokayev -f json | jq -r '.[].title'",
        "kz timeline --chart",
    ],
    "actor": ["kz actor tokayev", "kz actor 'Kassym-Jomart' -f json", "kz actor tokayev --fields id,aliases"],
    "actors": ["kz actors", "kz actors --kind person -f csv > actors.csv"],
    "place": ["kz place almaty", "kz place Amalty --evidence"],
    "places": ["kz places", "kz places -f json | jq length"],
    "figures": [
        "kz figures --casualties",
        "kz figures deaths --by-source",
        "kz figures --summary",
        "kz figures troops --chart",
        "kz figures -f csv | csvstat",
    ],
    "sources": ["kz sources", "kz sources --fields id,key,title"],
    "source": ["kz source PG", "kz source chaos-and-crackdown --evidence"],
    "search": ["kz search almaty", "kz search 'csto troops' -n 5 -f json"],
    "statements": ["kz statements", "kz statements --attributed-to tokayev --evidence"],
    "brief": ["kz brief", "kz brief -f json | jq .key_dates"],
    "gaps": [
        "kz gaps",
        "kz gaps -f csv > gaps.csv",
        "kz gaps --sources-dir ../shared/sources -f tsv | grep 'date not cited'",
    ],
    "cite": ["kz cite csto-help-requested", "kz cite PG --style bibtex"],
    "disputes": ["kz disputes", "kz disputes --agreements", "kz disputes --strict"],
    "schema": ["kz schema events", "kz schema --rules", "kz schema --output"],
    "cache": ["kz cache", "kz cache --clear"],
    "export": [
        "kz export -o kz.json",
        "kz export -f sqlite -o kz.db --metadata metadata.json && datasette kz.db -m metadata.json",
    ],
    "validate": ["kz validate", "kz validate my-layer --sources-dir texts"],
    "completion": ["kz completion bash > ~/.local/share/bash-completion/completions/kz", "kz completion zsh"],
}


def _name_completer(wrapper: Any) -> Any:
    """kz's completer (marked by its `kind`) inside Typer's filtering wrapper, if any."""
    for cell in getattr(wrapper, "__closure__", None) or ():
        contents = cell.cell_contents
        if callable(contents) and isinstance(getattr(contents, "kind", None), str):
            return contents
    return None


def _completion_item() -> Any:
    """click's CompletionItem: Typer's own copy of click since 0.26, click itself before."""
    try:
        return importlib.import_module("typer._completion_classes").CompletionItem
    except AttributeError:
        return importlib.import_module("click.shell_completion").CompletionItem


def _unfiltered(completer: Any) -> Any:
    def complete(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        item = _completion_item()
        # Called as Typer calls an autocompletion: (ctx, args, incomplete), through its wrapper.
        return [item(value, help=label or None) for value, label in completer(ctx, [], incomplete)]

    return complete


def _examples(formatter: Any, lines: list[str]) -> None:
    with formatter.section("Examples"):
        for line in lines:
            formatter.write(f"{' ' * formatter.current_indent}{line}\n")


# Each value's metavar in plain words, by parameter name; any other is the name in capitals.
PLAIN_METAVARS = {
    "start": "DATE",
    "end": "DATE",
    "fmt": "FORMAT",
    "output": "FILE",
    "limit": "N",
    "source": "ID",
    "source_id": "ID",
    "record_id": "ID",
    "sources_dir": "DIR",
    "folder": "DIR",
    "metric_names": "METRIC",
    "actor": "NAME",
    "place": "NAME",
    "text": "WORDS",
}


def plain_metavar(param: Any) -> str:
    """'DATE', 'NAME', 'FORMAT': what a value is, never a Python type (`<str>`, `<list[str]>`)."""
    explicit = param.metavar if isinstance(param.metavar, str) else None
    name = explicit or PLAIN_METAVARS.get(param.name or "", "") or (param.name or "value")
    name = re.sub(r"[\[\]{}]|\.\.\.$", "", name)
    name = name if explicit else name.upper()
    return name + ("..." if param.param_type_name == "argument" and param.nargs == -1 else "")


def _option_record(param: Any, ctx: Any) -> tuple[str, str] | None:
    record = param.get_help_record(ctx)
    if record is None:
        return None
    names = ", ".join(sorted(param.opts, key=len))
    if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
        names += f" {plain_metavar(param)}"
    return names, record[1]


def _parsed(parse: Any, ctx: Any, args: list[str]) -> list[str]:
    """click's parse, with a NUL in a path a usage error: click before 8.2 fails inside os.stat."""
    try:
        return list(parse(ctx, args))
    except ValueError as error:
        if "null byte" not in str(error):
            raise
        raise typer.BadParameter("a path holds a NUL character") from None


class KzCommand(typer.core.TyperCommand):
    """A command whose help ends with its examples and whose usage line names its arguments plainly.

    A parameter completed by a name completer offers every match, not only those that
    start with what was typed (Typer's own filter would drop 'tokayev' for 'tok').
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            completer = _name_completer(getattr(param, "_custom_shell_complete", None))
            if completer is not None:
                param._custom_shell_complete = _unfiltered(completer)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return _parsed(super().parse_args, ctx, args)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                arguments.append((plain_metavar(param), getattr(param, "help", None) or ""))
            elif (record := _option_record(param, ctx)) is not None:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = ["[OPTIONS]"] if self.get_params(ctx) else []
        for param in self.params:
            if param.param_type_name != "argument":
                continue
            name = plain_metavar(param)
            pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        if self.name in EXAMPLES:
            _examples(formatter, EXAMPLES[self.name])


class KzGroup(typer.core.TyperGroup):
    """kz itself: commands listed in panels, then the environment and the exit codes."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return _parsed(super().parse_args, ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        listed = [(name, cmd) for name, cmd in commands if cmd is not None and not cmd.hidden]
        for panel in PANELS:
            rows = [
                # The first paragraph whole, wrapped rather than cut off with "...".
                (name, " ".join((cmd.short_help or cmd.help or "").split("\n\n")[0].split()))
                for name, cmd in listed
                if (getattr(cmd, "rich_help_panel", None) or "Shell") == panel
            ]
            if rows:
                with formatter.section(panel):
                    formatter.write_dl(rows)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Environment"):
            formatter.write_dl(ENVIRONMENT)
        with formatter.section("Exit codes"):
            formatter.write_dl([(str(int(code)), meaning) for code, meaning in EXIT_CODES.items()])
        _examples(formatter, ["kz timeline", "kz actor tokayev", "kz figures --casualties", "kz brief"])
