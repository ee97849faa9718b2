"""Count and run every hostile-input test: `python tests/tally_bad_inputs.py`.

Each parametrised case of a test marked `hostile` is one bad input, hostile
file or broken environment. Prints how many were exercised, by area, and
whether all passed; exits non-zero if any failed.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "hostile", "--collect-only", "-q", str(HERE)],
        capture_output=True,
        text=True,
        check=False,
    )
    cases = [line for line in collected.stdout.splitlines() if "::" in line]
    by_area = Counter(line.split("::")[0].removeprefix("tests/").removesuffix(".py") for line in cases)
    print(f"{len(cases)} hostile inputs and environments:")
    for area, count in sorted(by_area.items()):
        print(f"  {count:4d}  {area}")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "hostile", "-q", str(HERE)],
        capture_output=True,
        text=True,
        check=False,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "no output"
    print("  (each property test draws 40 generated inputs in CI; KZ_HYPOTHESIS=thorough draws 2000)")
    print(f"result: {summary}")
    print("all passed" if run.returncode == 0 else "SOME FAILED: run pytest -m hostile to see which")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
