"""make test's version matrix: the notebooks, the version claims and the exercise checks on each Python.

    python tools/matrix.py --main-venv .venv 3.11 3.12 3.13 3.14 3.15

For each version X.Y other than the main venv's (where make test has just run the whole suite), it
finds a Python X.Y (tools/lab_env.py --find), sets up .venv-X.Y from the tests' lock and runs LEG
there under strict nbval (its flags are pytest's addopts in pyproject.toml, so `pytest notebooks` is
strict nbval). Each notebook runs once per leg: the second run in one kernel (--run-twice) is the main
run's, on the main venv only. A version with no Python here is reported in a loud line: in CI (CI set
and not "false") or with REQUIRE_PYTHONS=1 that fails the run; elsewhere it is skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_env import ROOT, executable, find_python  # noqa: E402

# What differs between Pythons: the notebooks' outputs, the version claims, the exercise checks,
# the portability paths and the lock. (The fakeapi, hub and browser tests run once, on the main venv.)
LEG = ["tests/test_version_claims.py", "tests/test_portability.py", "tests/test_lock.py",
       *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_exercises_*.py")), "notebooks"]


# Once, on the newest Python with a leg (what most learners install): every lesson's learner copy, top to bottom with
# its exercises skipped. Not on the main venv, where each lesson already runs twice.
NEWEST_ONLY = ["--learner-copies", "tests/test_learner_copies.py"]


def version_of(python: Path | str) -> str:
    out = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def loud(message: str) -> None:
    bar = "=" * 20
    print(f"\n{bar} matrix: {message} {bar}", flush=True)


def leg(version: str, newest: bool = False) -> str:
    """Run LEG (and NEWEST_ONLY if `newest`) on Python `version`; return 'passed', 'FAILED' or 'MISSING'."""
    python = find_python(version)
    if python is None:
        pyenv = os.environ.get("PYENV_ROOT", "~/.pyenv")
        loud(f"MISSING Python {version}: no python{version} on PATH"
             f"{', no py -' + version if os.name == 'nt' else ''}, none under {pyenv}/versions/{version}.*")
        return "MISSING"
    venv_dir = ROOT / f".venv-{version}"
    loud(f"Python {version} ({python}) in {venv_dir.name}")
    setup = subprocess.run([python, str(ROOT / "tools" / "lab_env.py"), "--venv", str(venv_dir), "--dev"], cwd=ROOT)
    if setup.returncode != 0:
        return "FAILED"
    tests = subprocess.run([str(executable(venv_dir, "python")), "-m", "pytest", "-n", "2", "--dist", "loadscope",
                            *LEG, *(NEWEST_ONLY if newest else [])], cwd=ROOT)
    return "passed" if tests.returncode == 0 else "FAILED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--main-venv", type=Path, help="the venv that ran the whole suite: its Python is not run again")
    parser.add_argument("versions", nargs="+", metavar="X.Y")
    args = parser.parse_args(argv)
    main_version = version_of(executable(args.main_venv, "python")) if args.main_venv else None
    results: dict[str, str] = {}
    legs = [v for v in args.versions if v != main_version]
    newest = max(legs, key=lambda v: tuple(map(int, v.split("."))), default=None)
    for version in args.versions:
        if version == main_version:
            results[version] = f"the whole suite, in {args.main_venv.name} (its result is above)"
            continue
        started = time.monotonic()
        outcome = leg(version, newest=version == newest)
        results[version] = outcome if outcome == "MISSING" else f"{outcome} in {time.monotonic() - started:.0f} s"
    strict = os.environ.get("CI", "") not in {"", "0", "false"} or os.environ.get("REQUIRE_PYTHONS") == "1"
    loud("; ".join(f"Python {v}: {r}" for v, r in results.items()))
    missing = [v for v, r in results.items() if r == "MISSING"]
    if missing and not strict:
        print(f"matrix: Python {', '.join(missing)} not found here, so not proven: install it "
              f"(pyenv, python.org, or your package manager) or set REQUIRE_PYTHONS=1 to make this fail", flush=True)
    failed = [v for v, r in results.items() if r.startswith("FAILED")] + (missing if strict else [])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
