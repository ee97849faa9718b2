"""Domain errors. Only cli.py turns them into exit codes and messages."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    NO_MATCH = 1
    USAGE = 2
    INVALID_KB = 3
    OUTPUT = 4
    DISPUTED = 5
    NO_MEMORY = 6
    INTERRUPTED = 130
    TERMINATED = 143


# Said wherever memory runs out: loading kz, building, exporting.
OUT_OF_MEMORY = "kz: out of memory; raise the memory limit (ulimit -v) or use a smaller knowledge base"


def is_out_of_memory(error: BaseException) -> bool:
    """True for a MemoryError, a compiled module that could not be mapped under a memory limit, or
    a compiled library's panic that wraps one."""
    if isinstance(error, MemoryError):
        return True
    text = str(error)
    if type(error).__name__ == "PanicException":  # pydantic-core's Rust side, out of memory in it
        return "MemoryError" in text or "memory allocation" in text
    return isinstance(error, ImportError) and ("failed to map segment" in text or "allocate memory" in text)


class Terminated(BaseException):
    """SIGTERM arrived: raised like Ctrl-C's KeyboardInterrupt, so every clean-up runs on the way out."""


class KzError(Exception):
    """Base of every error a user can cause; carries its exit code."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoMatch(KzError):
    """A lookup found nothing, or more than one thing, for the name given."""

    exit_code = ExitCode.NO_MATCH


class BadUsage(KzError):
    """An option value that parses but makes no sense (bad date, from after to)."""

    exit_code = ExitCode.USAGE


class InvalidKB(KzError):
    """The knowledge base failed validation; `problems` holds one line per failure."""

    exit_code = ExitCode.INVALID_KB

    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        super().__init__(f"knowledge base is invalid ({count} problem{'s' * (count != 1)})")
        self.problems = problems


class OutputError(KzError):
    """Standard output could not be written (closed pipe, full disk)."""

    exit_code = ExitCode.OUTPUT


class DisputedFacts(KzError):
    """--strict: the answer was printed, but some fact in it is disputed between sources."""

    exit_code = ExitCode.DISPUTED
