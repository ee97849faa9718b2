"""Benchmark kz against a Typer floor measured in the same run: `python bench/run.py`.

Every figure is the median of --runs runs of the real `kz` console script as a
subprocess. Commands are timed round-robin with the floor (a one-command Typer app
that prints a word, in this venv), so drift on a noisy machine hits all alike.
Then the same lookups run on generated KBs of each --sizes N (bench/synth.py).
Peak RSS is the median of the per-run peaks (os.wait4). Prints tables; --json FILE
also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SYNTH = Path(__file__).resolve().parent / "synth.py"

FLOOR_APP = """
import typer

app = typer.Typer()


@app.command()
def hello() -> None:
    print("word")


app()
"""

BUNDLED_COMMANDS = {
    "actor tokayev -f json": ["actor", "tokayev", "-f", "json"],
    "timeline -f tsv": ["timeline", "-f", "tsv"],
    "figures --casualties -f json": ["figures", "--casualties", "-f", "json"],
    "search almaty -f json": ["search", "almaty", "-f", "json"],
    "figures --casualties -f table": ["figures", "--casualties", "-f", "table"],
    "timeline one day -f json": ["timeline", "--from", "2022-01-05", "--to", "2022-01-05", "-f", "json"],
    "figures deaths -f json": ["figures", "deaths", "-f", "json"],
    "brief": ["brief"],
}
# One question with many claims (bench/synth.py one_question), laid over the bundled KB with --with:
# the share of claims that agree picks how the compiler judges them (counted, or pair by pair).
ONE_QUESTION_SHARES = {"all agreeing": 1.0, "half agreeing": 0.5}
ONE_QUESTION_COMMANDS = {
    "figures deaths -f json": ["figures", "deaths", "-f", "json"],
    "brief": ["brief"],
}
SCALE_COMMANDS = {
    "actor": (["actor", "actor-7", "-f", "json"], "actor tokayev -f json"),
    "figures --casualties": (["figures", "--casualties", "-f", "json"], "figures --casualties -f json"),
    "timeline one day": (
        ["timeline", "--from", "2005-03-03", "--to", "2005-03-03", "-f", "json"],
        "timeline one day -f json",
    ),
    "search -n 20": (["search", "river", "-n", "20", "-f", "json"], "search almaty -f json"),
}


BATCH = "warm: kz actor (1,000 names, one call) -f jsonl"


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time in ms and peak RSS in KiB of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter() - started) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss


def measure(cases: dict[str, tuple[list[str], dict[str, str], Callable[[], None] | None]], runs: int) -> dict:
    """Round-robin runs of every case; median time and peak RSS per case."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    rss: dict[str, list[int]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (cmd, env, prepare) in cases.items():
            if prepare:
                prepare()
            elapsed, peak = run_once(cmd, env)
            times[name].append(elapsed)
            rss[name].append(peak)
    return {
        name: {"ms": statistics.median(values), "rss_kib": int(statistics.median(rss[name]))}
        for name, values in times.items()
    }


def edit_to_answer(kz: str, folder: Path, env: dict[str, str]) -> dict[str, float]:
    """The next lookup's time after one event is changed, one added, and one deleted (ms each)."""
    files = sorted(folder.glob("events/*.yaml")) or [folder / "events.yaml"]
    target = files[-1]
    original = target.read_text(encoding="utf-8")
    first = original.index("\n") + 1
    added = original[:first].replace('"id": "event-', '"id": "event-added-', 1)
    edits = {
        "changed": original.replace('"title": "', '"title": "Edited ', 1),
        "added": original + added,
        "deleted": original[first:],
    }
    timings = {}
    try:
        for name, text in edits.items():
            target.write_text(text, encoding="utf-8")
            timings[name] = run_once([kz, "actor", "actor-7", "-f", "json"], env)[0]
    finally:
        target.write_text(original, encoding="utf-8")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per figure (median); default 15")
    parser.add_argument("--sizes", default="1000,10000,100000", help="generated KB sizes; '' to skip")
    parser.add_argument(
        "--one-question", type=int, default=6000, help="death figures on one question; 0 to skip"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    kz = shutil.which("kz", path=str(Path(sys.executable).parent))
    if kz is None:
        raise SystemExit("no kz next to this Python; run the README's set-up line first")
    work = Path(tempfile.mkdtemp(prefix="kz-bench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("KZ_")} | {"COLUMNS": "100"}
    floor_py = work / "floor.py"
    floor_py.write_text(FLOOR_APP, encoding="utf-8")
    warm_env = base | {"KZ_CACHE_DIR": str(work / "warm")}
    cold_dir = work / "cold"
    cold_env = base | {"KZ_CACHE_DIR": str(cold_dir)}
    run_once([kz, "timeline"], warm_env)

    def empty_cold() -> None:
        shutil.rmtree(cold_dir, ignore_errors=True)

    cases = {
        "floor: one-command Typer app": ([sys.executable, str(floor_py)], base, None),
        'python -c "pass"': ([sys.executable, "-c", "pass"], base, None),
        'python -c "import typer"': ([sys.executable, "-c", "import typer"], base, None),
    }
    for name, argv in BUNDLED_COMMANDS.items():
        cases[f"warm: kz {name}"] = ([kz, *argv], warm_env, None)
        cases[f"cold: kz {name}"] = ([kz, *argv], cold_env, empty_cold)
    # A spreadsheet column of 1,000 names answered by one process (kz actor A B C ...).
    listed = subprocess.run(
        [kz, "actors", "-f", "tsv", "--fields", "id"], env=warm_env, capture_output=True, text=True
    )
    ids = listed.stdout.split()[1:]
    thousand = (ids * (1000 // len(ids) + 1))[:1000]
    cases[BATCH] = ([kz, "actor", *thousand, "-f", "jsonl"], warm_env, None)
    results: dict[str, object] = {"runs": args.runs, "bundled": measure(cases, args.runs)}
    bundled = results["bundled"]
    assert isinstance(bundled, dict)
    floor = bundled["floor: one-command Typer app"]["ms"]
    print(
        f"kz benchmark: median of {args.runs} runs, round-robin; ratios are to the floor ({floor:.0f} ms)\n"
    )
    print(f"{'command':46} {'ms':>7} {'x floor':>8} {'peak RSS':>10}")
    for name, figures in bundled.items():
        print(
            f"{name:46} {figures['ms']:7.0f} {figures['ms'] / floor:8.2f} {figures['rss_kib'] / 1024:8.1f} MB"
        )
    one = bundled["warm: kz actor tokayev -f json"]["ms"]
    print(f"\n1,000 lookups in one call / one lookup: {bundled[BATCH]['ms'] / one:.2f}x (target 2)")

    scale: dict[str, dict[str, object]] = {}
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        folder = work / f"synth-{size}"
        # In a child process: ru_maxrss counts pages a child shares with this process
        # before exec, so a large KB held here would inflate every later measurement.
        subprocess.run(
            [sys.executable, str(SYNTH), str(size), str(folder)], check=True, stdout=subprocess.DEVNULL
        )
        # Files changed within 2 s of a cache stamp are re-hashed on every run (the racy-git
        # rule); a user's KB is rarely that fresh, so let the generated files age past it.
        time.sleep(3)
        cache = work / f"cache-{size}"
        env = base | {"KZ_CACHE_DIR": str(cache), "KZ_DATA_DIR": str(folder)}
        build_ms, build_rss = run_once([kz, "actor", "actor-7", "-f", "json"], env)
        run_once([kz, "actor", "actor-7", "-f", "json"], env)  # warm-up: the stamp is now trusted
        index_bytes = next(cache.glob("kz-index-*.sqlite")).stat().st_size
        lookups = measure(
            {name: ([kz, *argv], env, None) for name, (argv, _) in SCALE_COMMANDS.items()}, args.runs
        )
        scale[str(size)] = {
            "build_ms": build_ms,
            "build_rss_kib": build_rss,
            "index_bytes": index_bytes,
            "yaml_bytes": sum(p.stat().st_size for p in folder.rglob("*.yaml")),
            "lookups": lookups,
            "edit_ms": edit_to_answer(kz, folder, env),
        }
        print(
            f"\nN = {size:,} events: YAML {scale[str(size)]['yaml_bytes'] / 2**20:.1f} MB, "
            f"index {index_bytes / 2**20:.1f} MB, cold build {build_ms / 1000:.1f} s "
            f"(peak {build_rss / 1024:.0f} MB)"
        )
        print(f"  {'warm lookup':30} {'ms':>7} {'x floor':>8} {'x bundled':>10} {'peak RSS':>10}")
        for name, (_, same_on_bundled) in SCALE_COMMANDS.items():
            ms, peak = lookups[name]["ms"], lookups[name]["rss_kib"]
            ref = bundled.get(f"warm: kz {same_on_bundled}", {}).get("ms") if same_on_bundled else None
            versus = f"{ms / ref:10.2f}" if ref else f"{'':>10}"
            print(f"  {name:30} {ms:7.0f} {ms / floor:8.2f} {versus} {peak / 1024:8.1f} MB")
        edits = scale[str(size)]["edit_ms"]
        assert isinstance(edits, dict)
        print(
            "  edit-to-answer: "
            + ", ".join(f"one record {k} {v / 1000:.1f} s" for k, v in edits.items())
            + " (target at 100,000: 2 s)"
        )
    if scale:
        print("\ncold build targets: 100,000 events in 8 s and 300 MB; 1,000,000 in 90 s and 500 MB")
    results["scale"] = scale
    if args.one_question:
        results["one_question"] = one_question(kz, args.one_question, work, base, bundled, args.runs)
    results["floor_ms"] = floor
    results["floor_rss_kib"] = bundled["floor: one-command Typer app"]["rss_kib"]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


def one_question(kz: str, claims: int, work: Path, base: dict[str, str], bundled: dict, runs: int) -> dict:
    """Cold build and warm views of `claims` death figures on one question, per share agreeing,
    as ratios to the same commands on the bundled KB (measured in this run)."""
    found: dict[str, object] = {}
    cold_ref = bundled["cold: kz figures deaths -f json"]["ms"]
    for label, share in ONE_QUESTION_SHARES.items():
        layer = work / f"one-question-{share}"
        make = f"import sys; sys.path.insert(0, {str(SYNTH.parent)!r}); import synth, pathlib; "
        make += f"synth.one_question({claims}, pathlib.Path({str(layer)!r}), agreeing={share})"
        subprocess.run([sys.executable, "-c", make], check=True)  # a child: see the sizes' RSS note
        time.sleep(3)  # past the racy-git window, as for the generated KBs
        env = base | {"KZ_CACHE_DIR": str(work / f"cache-one-question-{share}")}
        with_layer = [kz, "--with", str(layer)]
        build_ms, build_rss = run_once([*with_layer, "figures", "deaths", "-f", "json"], env)
        views = measure(
            {name: ([*with_layer, *argv], env, None) for name, argv in ONE_QUESTION_COMMANDS.items()}, runs
        )
        found[label] = {"build_ms": build_ms, "build_rss_kib": build_rss, "views": views}
        print(
            f"\n{claims:,} death figures on one question, {label}: cold build {build_ms / 1000:.1f} s "
            f"({build_ms / cold_ref:.1f}x bundled, peak {build_rss / 1024:.0f} MB)"
        )
        print(f"  {'warm view':30} {'ms':>7} {'x bundled':>10} {'peak RSS':>10}")
        for name, figures in views.items():
            ratio = figures["ms"] / bundled[f"warm: kz {name}"]["ms"]
            print(f"  {name:30} {figures['ms']:7.0f} {ratio:10.2f} {figures['rss_kib'] / 1024:8.1f} MB")
    return found


if __name__ == "__main__":
    main()
