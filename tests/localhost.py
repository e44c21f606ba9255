"""Small helpers for tests that start real servers on this machine (JupyterHub, JupyterLab, make lab)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """True once a GET of `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        error.close()   # or Python 3.14 warns when it is collected (an error under filterwarnings=error)
        return False
    except OSError:
        return False


def checkout_copy(root: Path, into: Path) -> Path:
    """A git checkout of `root`'s working tree as it is now (tracked and new files, not ignored ones),
    everything committed, as a fresh clone would be: `git status` there is empty to begin with."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (root / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, into / name)
    git(into, "init", "-q", "-b", "main")
    git(into, "add", "-A")
    git(into, "commit", "-q", "-m", "the lab")
    return into


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Learner", "-c", "user.email=learner@example.org", *args],
                          cwd=cwd, check=True, capture_output=True, text=True, timeout=60).stdout


class MakeLab:
    """`make lab` in a checkout (with the venv `venv`, already set up), on a free port, no token, no browser."""

    def __init__(self, checkout: Path, venv: Path) -> None:
        self.checkout, self.venv = checkout, venv
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = checkout.parent / f"make-lab-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> MakeLab:
        args = (f"--no-browser --port={self.port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token= "
                "--ServerApp.password= --ServerApp.disable_check_xsrf=True")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["make", "--no-print-directory", "lab", f"VENV={self.venv}",
                                             f"PYTHON={sys.executable}", f"LAB_ARGS={args}"],
                                            cwd=self.checkout, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while not answers(f"{self.url}/api/status"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("make lab did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.3)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        stop_session(self.process)  # make and the jupyter it started: its own session
        self.process = None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_session(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """End `process`, started with start_new_session=True, and everything in its session, and wait until
    all of it has exited: `make lab` exits at once while the Jupyter server it started is still writing
    into its folder, which then could not be removed."""
    if _group_alive(process.pid):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _group_alive(process.pid) and time.monotonic() < deadline:
        process.poll()  # reaps the leader once it exits (a zombie would keep the group alive)
        time.sleep(0.1)
    if _group_alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# What the learner's copy of a lesson must be (lab_setup/workspace.py), checked from the outside.

def cell_source(cell: dict[str, Any]) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def solution_blocks(text: str) -> list[str]:
    return [block.split("\n", 1)[1].rsplit("\n", 1)[0] for block in
            re.findall(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n.*?\n[ \t]*### END SOLUTION[ \t]*$", text, re.M | re.S)]


def assert_unsolved(copy: dict[str, Any], reference: dict[str, Any], name: str) -> None:
    """`copy` is `reference` with every exercise's solution gone (the stub in its place) and every output cleared."""
    solved = {index: solution_blocks(cell_source(cell)) for index, cell in enumerate(reference["cells"])
              if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in cell_source(cell)}
    assert solved and all(solved.values()), f"reference {name} has no exercise: nothing to check"
    assert any(cell.get("outputs") for cell in reference["cells"]), f"reference {name} has no output: nothing to check"
    assert len(copy["cells"]) == len(reference["cells"]), f"{name}: the learner's copy lost or gained cells"
    for index, blocks in solved.items():
        mine = cell_source(copy["cells"][index])
        assert "### BEGIN SOLUTION" not in mine and "raise NotImplementedError" in mine, f"{name}, cell {index}: {mine}"
        for block in blocks:
            assert block.strip() not in mine, f"{name}, cell {index}: the learner's copy shows the solution"
    for index, cell in enumerate(copy["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{name}, cell {index} kept its output"
