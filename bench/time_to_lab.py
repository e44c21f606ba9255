"""What a newcomer waits for: a fresh clone to JupyterLab answering (`make lab`), and to `make test` passing.

    python3 bench/time_to_lab.py                          # make lab, warm then cold cache, 3 runs each
    python3 bench/time_to_lab.py --what test --cache warm --repeats 1 --no-prewarm   # make test: minutes
    python3 bench/time_to_lab.py --installer pip          # the same lock installed by pip instead of uv
    python3 bench/time_to_lab.py --rev 6888bae            # an older commit, measured the same way

Each run clones this repository (its committed HEAD, or --rev) into a new temporary folder and starts
the clock. `lab` runs `make lab` on a free port with no browser and stops the clock when GET
/api/status answers 200; `test` runs `make test` and stops the clock when it exits 0. A warm cache is
the machine's own pip and uv caches (filled by one unmeasured run first); a cold cache is an empty
temporary PIP_CACHE_DIR and UV_CACHE_DIR, so every package is downloaded again. Runs alternate warm
and cold. A benchmark, not a test: the machine's other load makes it slower, never wrong. POSIX only
(it stops make's process group).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from localhost import answers, free_port, stop_session  # noqa: E402  (the tests' helpers for local servers)

DEADLINE = {"lab": 900.0, "test": 5400.0}  # seconds: a cold install is slow, CI's limit is 90 minutes


def one_run(what: str, cache: str, installer: str, rev: str | None, log: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="time-to-lab-") as tmp:
        env = {**os.environ, "LAB_INSTALLER": installer}
        if cache == "cold":
            env["PIP_CACHE_DIR"] = os.path.join(tmp, "pip-cache")
            env["UV_CACHE_DIR"] = os.path.join(tmp, "uv-cache")
            env["npm_config_cache"] = os.path.join(tmp, "npm-cache")
        clone = Path(tmp) / "lab"
        started = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        if rev:
            subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", rev], check=True)
        with open(log, "a") as out:
            out.write(f"\n==== {what} {cache} {installer} {rev or 'HEAD'}\n")
            out.flush()
            if what == "lab":
                port = free_port()
                # The port and token go by environment too, for a --rev whose Makefile has no LAB_ARGS.
                token = os.urandom(8).hex()
                env.update(JUPYTER_PORT=str(port), JUPYTER_TOKEN=token, BROWSER="true")
                args = f"--port {port} --no-browser"
                process = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=clone, env=env,
                                           stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    while not answers(f"http://127.0.0.1:{port}/api/status?token={token}"):
                        if process.poll() is not None:
                            raise SystemExit(f"make lab exited {process.returncode} before answering: see {log}")
                        if time.monotonic() - started > DEADLINE[what]:
                            raise SystemExit(f"JupyterLab did not answer within {DEADLINE[what]:.0f} s: see {log}")
                        time.sleep(0.1)
                    return time.monotonic() - started
                finally:
                    stop_session(process)
            done = subprocess.run(["make", "test"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=DEADLINE[what])
            seconds = time.monotonic() - started
            if done.returncode != 0:  # still worth knowing how long it took; never quoted as a pass
                print(f"  make test FAILED (exit {done.returncode}) after {seconds:.1f} s: see {log}", flush=True)
            return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=["lab", "test"], default="lab")
    parser.add_argument("--cache", choices=["warm", "cold", "both"], default="both")
    parser.add_argument("--installer", choices=["uv", "pip"], default="uv")
    parser.add_argument("--rev", help="measure this commit instead of HEAD")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-prewarm", action="store_true",
                        help="skip the unmeasured first run (when the caches are known to be warm)")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "time_to_lab.log")
    args = parser.parse_args()
    caches = ["warm", "cold"] if args.cache == "both" else [args.cache]
    print(f"make {args.what}, {args.installer}, {args.rev or 'HEAD'}; load average before: "
          f"{os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; log: {args.log}", flush=True)
    if "warm" in caches and not args.no_prewarm:
        one_run(args.what, "warm", args.installer, args.rev, args.log)  # fills the caches, not counted
    times: dict[str, list[float]] = {cache: [] for cache in caches}
    for _ in range(args.repeats):
        for cache in caches:
            seconds = one_run(args.what, cache, args.installer, args.rev, args.log)
            times[cache].append(seconds)
            print(f"  {cache:4} {seconds:7.1f} s   (load average {os.getloadavg()[0]:.2f})", flush=True)
    for cache, values in times.items():
        print(f"{cache} cache: median {statistics.median(values):.1f} s over {len(values)} runs "
              f"({', '.join(f'{v:.1f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
