"""The kz command line: parse options, run a query, render, map errors to exit codes.

This is the only module that knows about exit codes and stderr messages.
"""

import contextlib
import functools
import io
import os
import re
import shutil
import signal
import sqlite3
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from kzcli import __version__
from kzcli.ask import lookups as queries
from kzcli.cli import argv as arguments
from kzcli.cli import pager
from kzcli.cli.help import KzCommand, KzGroup
from kzcli.errors import (
    OUT_OF_MEMORY,
    ExitCode,
    InvalidKB,
    KzError,
    OutputError,
    Terminated,
    is_out_of_memory,
)
from kzcli.index.store import meta, open_index
from kzcli.kb.files import layer_folders, no_progress
from kzcli.show import charts, views
from kzcli.show.environment import Environment
from kzcli.show.render import build_progress, render
from kzcli.show.views import Format, View
from kzcli.textnorm import inert, is_shell_safe, shell_safe

app = typer.Typer(
    name="kz",
    help="Cited facts about the January 2022 unrest in Kazakhstan. Every answer names its sources.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
    cls=KzGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Every command is a KzCommand: plain usage line, Examples section.
command = functools.partial(app.command, cls=KzCommand)

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

    def __init__(
        self, data_dir: Path | None, color: bool, layers: list[Path] | None = None, paged: bool = True
    ) -> None:
        self.env = read_environment(color, paged)
        self.folders = layer_folders(data_dir, layers or [])
        self.color = color
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            shown = (
                build_progress(sys.stderr) if self.env.stderr_is_tty else contextlib.nullcontext(no_progress)
            )
            with shown as progress:
                self._conn = open_index(self.folders, progress, warn=_warn)
        return self._conn


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State(None, color=False)


def _say(message: str) -> None:
    """Every message to stderr, made inert: a layer's ids and file names may hold terminal escapes."""
    print(inert(message, keep="\n"), file=sys.stderr, flush=True)


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
            _stop_listening()
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        return result

    return wrapper  # type: ignore[return-value]


def pick_format(fmt: Format | None, env: Environment, chart: bool = False) -> Format:
    """The format asked for, else a table at a terminal, TSV in a pipe (a chart stays a chart, in ASCII)."""
    if fmt is not None:
        return fmt
    return Format.table if env.stdout_is_tty or chart else Format.tsv


def emit(ctx: typer.Context, view: View, fmt: Format | None, fields: str | None = None) -> None:
    """Render a view to stdout, keeping only `fields` if given; write failures exit 4."""
    if fields is not None:
        if not fields.strip():
            print("\n".join((view.fields or view.flat).columns))
            return
        view = views.select_fields(view, [f.strip() for f in fields.split(",") if f.strip()])
    with _writing_stdout():
        env = _state(ctx).env
        chosen = pick_format(fmt, env, chart=view.text is not None)
        paging = chosen is Format.table and env.stdout_is_tty and env.pager is not None
        out = io.StringIO() if paging else sys.stdout
        render(view, chosen, out, color=env.color, terminal=env.stdout_is_tty, width=env.width)
        if isinstance(out, io.StringIO):
            pager.show(out.getvalue(), env.pager, env.height, warn=_warn)


def emit_text(text: str, keep: str = "\n") -> None:
    """Write text already in its final form (a citation); control characters but `keep` made visible."""
    with _writing_stdout():
        sys.stdout.write(inert(text, keep=keep) + "\n")


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


def _complete(kind: str) -> Callable[[typer.Context, str], list[tuple[str, str]]]:
    """Completion of ids by id, name or alias (`kz actor tok<TAB>` offers kassym-jomart-tokayev).

    Typer keeps only completions that start with what was typed; the function's `kind`
    marks it for KzCommand, which lets every match through.
    """

    def complete(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
        try:
            params = ctx.find_root().params
            data_dir, layers = params.get("data_dir"), params.get("layers") or []
            state = State(Path(data_dir) if data_dir else None, False, _user_layers(layers))
            found = queries.completions(state.conn, kind, incomplete)
            return [(value, shell_safe(label)) for value, label in found if is_shell_safe(value)]
        except (KzError, sqlite3.Error, OSError):
            return []

    complete.kind = kind  # type: ignore[attr-defined]
    return complete


def complete_path(ctx: typer.Context, incomplete: str) -> list[str]:
    """File and folder names for a path option, listed by kz itself (the shell scripts never fall back).

    Only names that are plain words (is_shell_safe) are offered: a name ending in a backslash or
    holding `$(...)` would be shell code in the list zsh evaluates. What was typed is the user's own.
    """
    folder, _, start = incomplete.rpartition("/")
    base = Path(os.path.expanduser(folder or ".") if folder or not incomplete.startswith("/") else "/")
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return []
    prefix = f"{folder}/" if folder or incomplete.startswith("/") else ""
    return [
        f"{prefix}{e.name}{'/' if e.is_dir() else ''}"
        for e in entries
        if e.name.startswith(start)
        and (start.startswith(".") or not e.name.startswith("."))
        and is_shell_safe(e.name)
    ]


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
        "--strict",
        help="Exit 5 (after printing) if a fact shown is one side of a contradiction about what the "
        "view shows (the timeline's dates, the figures' values).",
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


def read_environment(color: bool, paged: bool = True) -> Environment:
    """The terminal facts, read from the operating system here and nowhere else."""
    size = shutil.get_terminal_size((100, 24))
    tty = sys.stdout.isatty()
    return Environment(
        stdout_is_tty=tty,
        stderr_is_tty=sys.stderr.isatty(),
        width=size.columns,
        color=color,
        height=size.lines,
        pager=pager.pager_command(not paged) if tty else None,
    )


def _chart_style(env: Environment) -> tuple[charts.Style, int]:
    """Unicode glyphs at a terminal, ASCII in a pipe; the terminal's width (COLUMNS), else 100."""
    return (charts.UNICODE if env.stdout_is_tty else charts.ASCII), env.width


def _user_layers(with_folders: list[Path]) -> list[Path]:
    """KZ_DATA_PATH's folders (a path list, like PATH), then each --with, in order."""
    listed = os.environ.get("KZ_DATA_PATH", "")
    # Completion hands the raw option strings over on some Typer versions, hence Path() again.
    return [Path(part) for part in listed.split(os.pathsep) if part] + [Path(f) for f in with_folders]


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
            metavar="DIR",
            autocompletion=complete_path,
            show_envvar=False,
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
            autocompletion=complete_path,
            metavar="DIR",
            help="Also load this knowledge-base folder over the one in use; repeatable (also KZ_DATA_PATH).",
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour or styles (also NO_COLOR=1).")
    ] = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Never page long tables (also KZ_PAGER=cat).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Show kz's version and the knowledge base's.")
    ] = False,
) -> None:
    """Cited facts about the January 2022 unrest in Kazakhstan."""
    ctx.obj = State(data_dir, _color_wanted(no_color), _user_layers(layers or []), paged=not no_pager)
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


def _command_name(command: typer.models.CommandInfo) -> str:
    """The name Typer gives a registered command (an explicit name, else the function's, dashed)."""
    return command.name or typer.main.get_command_name(getattr(command.callback, "__name__", ""))


def _global_options() -> tuple[set[str], set[str]]:
    """The root callback's options, read from its signature (never listed by hand): with values, and flags."""
    callback = app.registered_callback.callback if app.registered_callback else None
    with_values: set[str] = set()
    flags: set[str] = set()
    for param, hint in typing.get_type_hints(callback, include_extras=True).items():
        metadata = getattr(hint, "__metadata__", ())
        info = next((m for m in metadata if isinstance(m, typer.models.OptionInfo)), None)
        if info is None:
            continue
        # Typer keeps a declaration given first (`typer.Option("--with")`) as the option's default.
        declared = info.default if isinstance(info.default, str) and info.default.startswith("-") else None
        names = info.param_decls or ((declared,) if declared else (f"--{param.replace('_', '-')}",))
        (flags if typing.get_args(hint)[0] is bool else with_values).update(names)
    return with_values, flags


# click's and pydantic's wordings, put in kz's: (pattern, replacement), applied in order.
_REWORDED: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"^Value error, ", ""),
    (r"Input should be greater than or equal to (\S+)", r"must be at least \1"),
    (r"Input should be less than or equal to (\S+)", r"must be at most \1"),
    (r"Input should be a valid integer.*", "must be a whole number"),
    (r"Input should be (.*)", r"must be \1"),
    (r"^(\S+) is not in the range (\S+)<=x<=(\S+)", r"must be from \2 to \3, not \1"),
    (r"^(\S+) is not in the range x>=(\S+)", r"must be at least \2, not \1"),
    (
        r"'([^']*)' is not one of (.*?)\.?$",
        lambda m: f"must be one of {m[2].replace(chr(39), '')}, not '{m[1]}'",
    ),
    (r"\.$", ""),
]


def _plain(message: str) -> str:
    """click's or pydantic's wording of a bad value, in kz's."""
    for pattern, replacement in _REWORDED:
        message = re.sub(pattern, replacement, message)
    return message


def _option_names(exc: Exception) -> str:
    param = getattr(exc, "param", None)
    opts = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
    if getattr(param, "param_type_name", "") == "argument":
        return (getattr(param, "metavar", None) or getattr(param, "name", "") or "").strip("[]{}").upper()
    return max(opts, key=len, default="") or str(getattr(exc, "param_hint", "") or "a value")


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return str(format_message()) if callable(format_message) else str(exc)


def usage_line(exc: Exception) -> str:
    """A click usage error as one line in kz's words, with a hint: 'unknown option --foo; ...'."""
    kind = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "kz"
    hint = f" (see {where} --help)"
    if kind == "NoSuchOption":
        near = sorted(getattr(exc, "possibilities", None) or [])
        guess = f"; did you mean {' or '.join(near[:3])}?" if near else ""
        return f"unknown option {getattr(exc, 'option_name', '')}{guess}{hint}"
    if kind == "MissingParameter":
        return f"missing {_option_names(exc)}{hint}"
    if kind == "BadParameter":
        return f"{_option_names(exc)}: {_plain(_message(exc).split(': ', 1)[-1])}{hint}"
    message = _plain(_message(exc))
    if message.startswith("No such command"):
        typed = next(iter(re.findall(r"'([^']+)'", message)), "")
        known = (
            ctx.command.list_commands(ctx)
            if ctx is not None and hasattr(ctx.command, "list_commands")
            else []
        )
        import difflib  # only a mistyped command pays for it

        near = difflib.get_close_matches(typed, known, n=1)
        return f"unknown command {typed!r}{f'; did you mean {near[0]}?' if near else ''} (see kz --help)"
    message = re.sub(
        r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$",
        r"unexpected argument(s): \1",
        message,
        flags=re.DOTALL,
    )
    message = re.sub(r"^Option '([^']+)' requires an argument", r"\1 needs a value", message)
    return f"{message[:1].lower()}{message[1:]}{hint}"


def _click_exception() -> type[Exception]:
    """click's ClickException, from whichever click Typer uses (a copy of its own since 0.26)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated


def _stop_listening() -> None:
    """Once kz is stopping, a second Ctrl-C or SIGTERM must not break the clean-up or print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _say_bug(exc: Exception) -> None:
    """A bug's traceback, as Python would print it, but inert: its message may quote a layer's text."""
    import traceback

    _say("".join(traceback.format_exception(exc)).rstrip("\n"))


def main() -> None:
    """Console-script entry point: `kz`."""
    # SIGTERM unwinds like Ctrl-C: workers are killed and temporaries removed on the way out.
    signal.signal(signal.SIGTERM, _on_sigterm)
    with_values, flags = _global_options()
    sys.argv[1:] = arguments.globals_first(arguments.bare_fields(sys.argv[1:]), with_values, flags)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    # Typer converts every command's parameters at each start (about 1.5 ms a command).
    # A run needs only the command it invokes; help and completion still see them all.
    everything = app.registered_commands
    completing = "_KZ_COMPLETE" in os.environ
    if completing:
        # Typer registers its shells' completion classes only with its own --install-completion.
        from typer._completion_classes import completion_init

        completion_init()
    name = None if completing else arguments.invoked_command(sys.argv[1:], with_values)
    chosen = [c for c in everything if _command_name(c) == name]
    if chosen:
        app.registered_commands = chosen
    try:
        code = app(prog_name="kz", standalone_mode=False)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(int(ExitCode.OUTPUT))
    except (KeyboardInterrupt, Terminated) as stop:  # outside a command, or a second signal in its clean-up
        _stop_listening()
        sys.exit(int(ExitCode.TERMINATED if isinstance(stop, Terminated) else ExitCode.INTERRUPTED))
    except _click_exception() as exc:
        _say(f"kz: {inert(usage_line(exc))}")  # a typed newline or escape stays one visible line
        sys.exit(int(ExitCode.USAGE))
    except Exception as exc:
        if type(exc).__name__ == "Abort":  # Ctrl-C or end of input at a prompt, in Typer's words
            _stop_listening()
            sys.exit(int(ExitCode.INTERRUPTED))
        if is_out_of_memory(exc):  # a build, export or late import under a memory limit: one line
            _say(OUT_OF_MEMORY)
            sys.exit(int(ExitCode.NO_MEMORY))
        _say_bug(exc)
        sys.exit(1)
    except BaseException as exc:  # a compiled library's panic is no Exception; out of memory, it is one line
        if not is_out_of_memory(exc):
            raise
        _say(OUT_OF_MEMORY)
        sys.exit(int(ExitCode.NO_MEMORY))
    finally:
        app.registered_commands = everything
    sys.exit(code if isinstance(code, int) else 0)
