"""The learner's copies of the lessons: solutions replaced by a stub, outputs cleared (lab_setup/workspace.py).

    python tools/workshop.py                  # bring my-lab/ up to date (the lab's server does it too)
    python tools/workshop.py --reset 03       # a fresh copy of lesson 03 in my-lab/ (old one kept in my-lab/.backup/)
    python tools/workshop.py OUT              # learner copies in OUT, for an instructor to hand out (make workshop)

Never overwrites a copy the learner changed: lessons added since appear, changed ones stay; only
--reset replaces one, and keeps the old one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # lab_setup, also before the lab is installed

from lab_setup.workspace import (  # noqa: E402
    LEARNER_DIR,
    MarkerError,
    has_solution,
    learner_copy,
    reset,
    strip_solutions,
    sync,
)

__all__ = ["MarkerError", "has_solution", "learner_copy", "main", "strip_solutions"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / LEARNER_DIR,
                        help=f"the folder for the learner copies (default {LEARNER_DIR}/)")
    parser.add_argument("--reset", metavar="LESSON", help="replace the copy of one lesson (03, 03_error_propagation)")
    args = parser.parse_args(argv)
    try:
        if args.reset:
            fresh, old = reset(ROOT, args.reset, args.out)
            print(f"a fresh copy: {fresh}" + (f" (your previous one is {old})" if old else ""))
            return 0
        done = sync(ROOT, args.out)
    except MarkerError as exc:
        print(f"workshop: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"workshop: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {len(done.created)} new, {len(done.refreshed)} refreshed, "
          f"{len(done.kept)} of your changed files kept as they are")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
