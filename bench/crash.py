"""SIGKILL kz at random moments of a cold build or an export, and check it recovers.

`python bench/crash.py [--kills N] [--events N] [--seed S]`
`python bench/crash.py --signals N [--events N]`: N Ctrl-Cs and SIGTERMs instead (see `signal_rounds`).

Each round starts `kz timeline` on a cold cache (or `kz export -f sqlite -o FILE --force`)
of a generated KB in its own process group, kills it with SIGKILL after a random delay,
then checks three things:

- no process of that group (the forked YAML worker included) is still alive;
- the next run gives exactly the answer of an undisturbed run;
- after that run, no temporary (or -journal) file is left in the cache or output folder.

The YAML thresholds are lowered for these runs so that even a small KB is loaded in parts
with the forked worker, the part most likely to leave something behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synth import synthesise  # noqa: E402  (bench/ is not a package)

# Runs kz's entry point with the parallel YAML loader switched on for small files.
PRELUDE = (
    "import sys, kzcli.kb.yamlload as y; y.PART_THRESHOLD = y.PARALLEL_THRESHOLD = 1; y.ITEMS_PER_PART = 50; "
    "sys.argv[0] = 'kz'; from kzcli.entry import main; main()"
)
OWN_FILES = ("kz-index-", "kz-stamp-")


def kz_argv(*args: str) -> list[str]:
    """The command line of a kz run whose YAML loading always uses the forked worker."""
    return [sys.executable, "-c", PRELUDE, *args]


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in process group `pgid`, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def wait_group_gone(pgid: int, seconds: float = 5.0) -> list[int]:
    """Wait until no process of the group is left; return any still alive after `seconds`."""
    deadline = time.monotonic() + seconds
    left = group_members(pgid)
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = group_members(pgid)
    return left


def leftovers(*folders: Path) -> list[str]:
    """Files in the folders that are not a finished kz file or an export (temps, journals)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_dir():
                continue
            name = path.name
            if name.startswith(OWN_FILES) or (name == "kb.sqlite" and path.parent.name == "out"):
                continue
            found.append(str(path))
    return found


@dataclass
class Tally:
    """What the rounds found."""

    kills: int = 0
    recovered: int = 0
    orphans: list[int] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


class Crasher:
    """Runs kill-and-recover rounds against one generated KB in a scratch folder."""

    def __init__(self, work: Path, events: int) -> None:
        self.kb, self.cache, self.out = work / "kb", work / "cache", work / "out"
        synthesise(events, self.kb)
        self.out.mkdir()
        self.env = {**os.environ, "KZ_CACHE_DIR": str(self.cache), "KZ_DATA_DIR": str(self.kb)}
        self.env.pop("KZ_DATA_PATH", None)
        started = time.monotonic()
        self.expected = self.run("timeline", "-f", "json").stdout
        self.cold_s = time.monotonic() - started
        self.tally = Tally()

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(kz_argv(*args), env=self.env, capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kz {' '.join(args)} failed: {done.stderr.decode()}")
        return done

    def _killed(self, args: list[str], delay: float) -> None:
        proc = subprocess.Popen(
            kz_argv(*args),
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        if proc.poll() is None:
            self.tally.kills += 1
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.tally.orphans += wait_group_gone(proc.pid)

    def round(self, rng: random.Random, export: bool) -> None:
        """One kill at a random moment, then the recovery checks."""
        if not export or rng.random() < 0.5:
            self.run("cache", "--clear")
        args = ["export", "-f", "sqlite", "-o", str(self.out / "kb.sqlite"), "--force"]
        self._killed(args if export else ["timeline", "-f", "json"], rng.uniform(0, self.cold_s * 1.1))
        answer = self.run("timeline", "-f", "json").stdout
        if export:
            self.run(*args)
            exported = (self.out / "kb.sqlite").read_bytes()
            if not exported.startswith(b"SQLite format 3\x00"):
                self.tally.wrong.append("export is not an SQLite database")
        if answer == self.expected:
            self.tally.recovered += 1
        else:
            self.tally.wrong.append(f"answer differs ({len(answer)} bytes, expected {len(self.expected)})")
        self.tally.leftover += leftovers(self.cache, self.out)


def crash_rounds(work: Path, events: int, kills: int, seed: int) -> Tally:
    """Run `kills` rounds, alternating cold builds and exports; return the tally."""
    crasher = Crasher(work, events)
    rng = random.Random(seed)
    for i in range(kills):
        crasher.round(rng, export=i % 2 == 1)
    return crasher.tally


@dataclass
class SignalTally:
    """What the signal rounds saw: how runs ended, and what went wrong."""

    exits: dict[int, int] = field(default_factory=dict)
    hung: int = 0
    tracebacks: int = 0
    orphans: list[int] = field(default_factory=list)
    slowest_exit_s: float = 0.0


def block_yaml_kb(work: Path, events: int) -> Path:
    """A generated KB whose events are one block-style YAML file, the shape loaded in parts by the pool."""
    import yaml  # noqa: TID251  (the bench writes the block style a user's editor would; kz's warm path is not here)

    kb = work / "kb"
    synthesise(events, kb)
    loaded = []
    for path in sorted([kb / "events.yaml", *sorted((kb / "events").glob("*.yaml"))]):
        if path.exists():
            loaded += yaml.safe_load(path.read_text(encoding="utf-8"))
            path.unlink()
    if (kb / "events").exists():
        (kb / "events").rmdir()
    block = yaml.safe_dump(loaded, allow_unicode=True, sort_keys=False)
    (kb / "events.yaml").write_text(block, encoding="utf-8")
    return kb


def signal_rounds(work: Path, events: int, rounds: int, seed: int, command: tuple[str, ...]) -> SignalTally:
    """Ctrl-C the process group (once, or twice in quick succession) or SIGTERM kz alone, at random moments.

    Every run must end within 20 s of the signal, with 130 (Ctrl-C), 143 (SIGTERM) or,
    if it finished first, its own code; with no traceback; and leave no process behind.
    """
    kb = block_yaml_kb(work, events)
    env = {**os.environ, "KZ_CACHE_DIR": str(work / "cache"), "KZ_DATA_DIR": str(kb)}
    env.pop("KZ_DATA_PATH", None)
    started = time.monotonic()
    subprocess.run(kz_argv(*command), env=env, capture_output=True, check=False, timeout=600)
    whole_s = time.monotonic() - started
    rng, tally = random.Random(seed), SignalTally()
    for i in range(rounds):
        subprocess.run(kz_argv("cache", "--clear"), env=env, capture_output=True, check=False)
        _signal_round(kz_argv(*command), env, rng.uniform(0.1, whole_s), i % 3, tally)
    return tally


def _signal_round(argv: list[str], env: dict[str, str], delay: float, how: int, tally: SignalTally) -> None:
    """One run, one signal (how: 0 Ctrl-C, 1 two Ctrl-Cs, 2 SIGTERM to kz alone), and what followed."""
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    time.sleep(delay)
    sent = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        if how == 2:
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
            if how == 1:
                time.sleep(0.05)
                os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        tally.hung += 1
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    tally.slowest_exit_s = max(tally.slowest_exit_s, time.monotonic() - sent)
    tally.exits[proc.returncode] = tally.exits.get(proc.returncode, 0) + 1
    tally.tracebacks += b"Traceback" in err
    tally.orphans += wait_group_gone(proc.pid)


def _report_signals(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="kz-signals-") as work:
        tally = signal_rounds(Path(work), args.events, args.signals, args.seed, ("validate",))
    print(f"signal rounds: {args.signals} (kz validate, {args.events} block-YAML events, seed {args.seed})")
    print(f"exit codes: {dict(sorted(tally.exits.items()))}")
    print(f"hung past 20 s: {tally.hung}; tracebacks: {tally.tracebacks}; left alive: {len(tally.orphans)}")
    print(f"slowest exit after the signal: {tally.slowest_exit_s:.2f} s")
    return 0 if not (tally.hung or tally.tracebacks or tally.orphans) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=0, help="signal rounds instead of kill rounds")
    parser.add_argument("--kills", type=int, default=40, help="rounds (each kills one kz run)")
    parser.add_argument("--events", type=int, default=3000, help="events in the generated KB")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if args.signals:
        return _report_signals(args)
    with tempfile.TemporaryDirectory(prefix="kz-crash-") as work:
        tally = crash_rounds(Path(work), args.events, args.kills, args.seed)
    print(f"rounds: {args.kills} ({args.events} events, seed {args.seed})")
    print(f"kills (still running when killed): {tally.kills}")
    print(f"correct recoveries: {tally.recovered} of {args.kills}")
    print(f"wrong answers: {len(tally.wrong)} {tally.wrong[:3]}")
    print(f"leftover files after the next run: {len(tally.leftover)} {tally.leftover[:3]}")
    print(f"processes left alive: {len(tally.orphans)} {tally.orphans[:3]}")
    return 0 if not (tally.wrong or tally.leftover or tally.orphans) else 1


if __name__ == "__main__":
    raise SystemExit(main())
