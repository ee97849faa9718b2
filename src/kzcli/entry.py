"""The `kz` command's first code: a Ctrl-C or SIGTERM while kz is still loading ends it quietly.

Loading kz's modules takes a tenth of a second or so. A signal then has nothing to
clean up, so it ends the process at once with the documented code, not with a
traceback from inside an import. Once loaded, `kzcli.cli.app.main` takes over.
"""

from __future__ import annotations

import os
import signal

from kzcli.errors import OUT_OF_MEMORY, ExitCode, is_out_of_memory


def _end_now(signum: int, _frame: object) -> None:
    os._exit(int(ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED))


def _out_of_memory() -> None:
    os.write(2, OUT_OF_MEMORY.encode() + b"\n")
    os._exit(int(ExitCode.NO_MEMORY))


# Below this address-space limit kz cannot load and build even the bundled knowledge base, and
# what fails first (a compiled library, a thread) varies: the answer is the same line at once.
MIN_ADDRESS_SPACE = 64 * 1024 * 1024


def _too_little_memory() -> bool:
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return False
    return soft != resource.RLIM_INFINITY and soft < MIN_ADDRESS_SPACE


def main() -> None:
    """Console-script entry point: `kz`."""
    signal.signal(signal.SIGINT, _end_now)
    signal.signal(signal.SIGTERM, _end_now)
    if _too_little_memory():
        _out_of_memory()
    try:
        from kzcli.cli import main as run
    except BaseException as error:  # a limit too low even to load kz (or a compiled panic): one line
        if not is_out_of_memory(error):
            raise
        _out_of_memory()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run()
