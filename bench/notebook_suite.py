"""How long the whole notebook suite takes under strict nbval, the way `make test` runs it.

    .venv/bin/python bench/notebook_suite.py [--repeats 3] [--workers 2] [--run-twice]

nbval's flags come from pyproject.toml's addopts; --run-twice adds the main run's second run of each
notebook in the same kernel (conftest.py), so the time is the main run's notebook share.

Prints the wall time of each run, the median, and each notebook's own time (the sum of its
cells' setup, call and teardown, from a JUnit report). A benchmark, not a test: a busy machine makes
it slower, never wrong.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_suite(workers: int, report: Path, twice: bool = False) -> tuple[float, int]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers),
               "--dist", "loadscope", "notebooks", f"--junitxml={report}", *(["--run-twice"] if twice else [])]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.monotonic() - started, result.returncode


def per_notebook(report: Path) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        seconds[case.get("classname", "?").removeprefix("notebooks.")] += float(case.get("time", 0))
    return dict(sorted(seconds.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run-twice", action="store_true", help="each notebook twice in one kernel, as make test")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the first run")
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        for run in range(1, args.repeats + 1):
            wall, code = run_suite(args.workers, report, args.run_twice)
            walls.append(wall)
            print(f"run {run}: {wall:.1f} s wall, pytest exit {code}")
            if code != 0:
                print("the suite failed: run `make test` to see why")
                return 1
        notebooks = per_notebook(report)
    print(f"median of {len(walls)} runs: {statistics.median(walls):.1f} s with {args.workers} workers")
    print("each notebook in the last run (its cells' setup + call + teardown):")
    for name, seconds in notebooks.items():
        print(f"  {name:<48} {seconds:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
