"""Binder builds with repo2docker from binder/: a Python with TaskGroup, and the lab installed."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_runtime_pins_a_python_with_taskgroup() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"runtime.txt should read python-3.X, got {runtime!r}"
    assert int(match.group(1)) >= 11, "repo2docker defaults to Python 3.10, which has no TaskGroup"


def test_runtime_is_the_python_of_the_committed_outputs_and_make_test_proves_it() -> None:
    """Binder runs 3.14: the Python whose outputs the lessons commit (docs/AUTHORING.md), and one make test proves."""
    makefile = (ROOT / "Makefile").read_text()
    proven = re.search(r"^PYTHONS \?= (.+)$", makefile, re.M)
    assert proven and "3.14" in proven.group(1).split()
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.14"


def test_post_build_installs_the_pinned_lab() -> None:
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "postBuild must be executable"
    lines = post_build.read_text().splitlines()
    assert any("-r requirements.txt" in line for line in lines)
    assert any(line.rstrip().endswith("-e .") for line in lines), "import fakeapi and lab need the package installed"
    assert "python tools/lab_env.py --configure-here" in lines, (
        "the lab's Jupyter settings (my-lab/, Stop) in the image")
    # With binder/ present repo2docker ignores the root's requirements.txt, so nothing else may hide there.
    assert sorted(p.name for p in BINDER.iterdir()) == ["postBuild", "runtime.txt"]


def test_readme_badge_opens_the_learners_copy_of_the_first_lesson() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/my-lab/00_start_here.ipynb" in readme
