"""Small helpers for tests that start real servers on this machine (JupyterHub, JupyterLab, make lab)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """True once a GET of `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
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
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # make and the jupyter it started: its own session
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
