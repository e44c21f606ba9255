"""The lab on Windows and macOS, proven here as far as Linux allows.

Windows has no `resource` module, and its event loops raise NotImplementedError from
`loop.add_signal_handler`; macOS refuses a soft open-file limit above OPEN_MAX (10,240). Each test
puts a Linux process in that situation (a sitecustomize that hides `resource` and makes the loop
refuse signal handlers, or a stand-in `resource` module) and checks what fakeapi then does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import fakeapi.server

ROOT = Path(__file__).resolve().parent.parent

# Loaded by every Python started with PYTHONPATH=<its folder>: a Linux process that looks like
# Windows to fakeapi. It says on stderr each time the loop refuses a signal handler.
WINDOWS_LIKE = '''
import sys
sys.modules["resource"] = None  # `import resource` now raises ImportError, as on Windows

import asyncio

def add_signal_handler(self, sig, callback, *args):
    print(f"refused add_signal_handler({int(sig)})", file=sys.stderr, flush=True)
    raise NotImplementedError

asyncio.SelectorEventLoop.add_signal_handler = add_signal_handler
'''


@pytest.fixture
def windows_like(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "sitecustomize.py").write_text(WINDOWS_LIKE)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_fakeapi_imports_and_serves_without_resource(windows_like: dict[str, str]) -> None:
    code = ("import json, urllib.request, fakeapi, fakeapi.server\n"
            "api = fakeapi.start()\n"
            "with urllib.request.urlopen(api.url + '/users/1', timeout=10) as r:\n"
            "    user = json.load(r)\n"
            "print(json.dumps({'resource': repr(fakeapi.server.resource), 'name': user['name'],\n"
            "                  'limit': fakeapi.server.raise_open_file_limit(),\n"
            "                  'journal': [e['status'] for e in api.journal()]}))\n"
            "api.stop()\n")
    done = subprocess.run([sys.executable, "-c", code], env=windows_like, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"resource": "None", "name": "Ada Lovelace", "limit": None,
                                       "journal": [200]}


def read_first_line(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The process's first line on stdout, or a failure after `timeout` seconds (no endless wait)."""
    line: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line:
        proc.kill()
        pytest.fail(f"no line from {proc.args!r} within {timeout} s")
    return line[0]


@contextlib.contextmanager
def cli(env: dict[str, str], **popen: Any) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m fakeapi --port 0` and its URL; killed at the end if it is still running."""
    with subprocess.Popen([sys.executable, "-m", "fakeapi", "--port", "0", "--latency-scale", "0"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **popen) as proc:
        try:
            line = read_first_line(proc)
            match = re.fullmatch(r"fakeapi listening on (http://127\.0\.0\.1:\d+)\n", line)
            assert match, (line, proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
            yield proc, match.group(1)
        finally:
            if proc.poll() is None:
                proc.kill()


def stop_with(proc: subprocess.Popen[str], url: str, sig: int) -> tuple[int, str]:
    """Send `sig` once the server has answered; its exit code and stderr (at most 10 s later)."""
    assert get_json(f"{url}/users/1")["name"] == "Ada Lovelace"
    proc.send_signal(sig)
    code = proc.wait(timeout=10)
    assert proc.stderr is not None
    return code, proc.stderr.read()


@pytest.mark.skipif(sys.platform == "win32", reason="these signals are POSIX; Windows has its own test below")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_stops_cleanly_when_the_loop_has_no_signal_handlers(windows_like: dict[str, str], sig) -> None:
    with cli(windows_like) as (proc, url):
        code, err = stop_with(proc, url, sig)
    assert code == 0, err
    assert f"refused add_signal_handler({int(signal.SIGINT)})" in err  # the fallback path really ran
    assert "Traceback" not in err
    with pytest.raises(OSError):  # the port is closed: the server really stopped
        get_json(f"{url}/users/1")


@pytest.mark.skipif(sys.platform != "win32", reason="Ctrl-Break reaches a process group on Windows only")
def test_cli_stops_cleanly_on_ctrl_break_on_windows() -> None:
    new_group = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]  # (Windows only)
    with cli(dict(os.environ), creationflags=new_group) as (proc, url):
        code, err = stop_with(proc, url, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
    assert code == 0, err
    assert "Traceback" not in err


class StandInResource(SimpleNamespace):
    """`resource` as macOS or Linux behaves: it records setrlimit calls and refuses what the OS refuses."""

    RLIMIT_NOFILE = 7
    RLIM_INFINITY = -1

    def __init__(self, soft: int, hard: int, ceiling: int | None = None) -> None:
        super().__init__(limits=(soft, hard), ceiling=ceiling, calls=[])

    def getrlimit(self, which: int) -> tuple[int, int]:
        assert which == self.RLIMIT_NOFILE
        return self.limits

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        self.calls.append(limits)
        if self.ceiling is not None and limits[0] > self.ceiling:
            raise ValueError("current limit exceeds maximum limit")  # what CPython raises for EINVAL
        self.limits = limits


@pytest.mark.parametrize(("soft", "hard", "ceiling", "now", "calls"), [
    (256, -1, 10_240, 10_240, [(16_384, -1), (10_240, -1)]),  # macOS: unlimited hard, OPEN_MAX ceiling
    (1_024, 4_096, None, 4_096, [(4_096, 4_096)]),            # Linux: never above the hard limit
    (1_024, -1, None, 16_384, [(16_384, -1)]),
    (65_536, -1, None, 65_536, []),                            # high enough already: left alone
    (-1, -1, None, -1, []),
], ids=["macos", "linux-hard-4096", "linux-unlimited", "already-high", "soft-unlimited"])
def test_open_file_limit_on_each_platform(monkeypatch: pytest.MonkeyPatch, soft, hard, ceiling, now, calls) -> None:
    stand_in = StandInResource(soft, hard, ceiling)
    monkeypatch.setattr(fakeapi.server, "resource", stand_in)
    assert fakeapi.server.raise_open_file_limit() == now
    assert stand_in.calls == calls
    assert stand_in.limits[0] == now


def test_open_file_limit_where_nothing_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = StandInResource(256, -1, ceiling=128)  # refuses even the macOS ceiling
    monkeypatch.setattr(fakeapi.server, "resource", stand_in)
    assert fakeapi.server.raise_open_file_limit() == 256
    assert len(stand_in.calls) == 2


# What runs where a learner's kernel runs must not assume a POSIX shell or POSIX paths.
POSIX_ONLY = {
    r"['\"]/tmp\b": "/tmp: use tempfile",
    r"['\"]/proc/": "/proc exists on Linux only",
    r"^import (resource|fcntl|termios|pwd|grp)\b": "a POSIX-only module imported outside a try",
    r"\bos\.(fork|killpg|setsid|getuid)\b": "a POSIX-only call",
    r"\bshell=True\b": "a shell command line differs between sh and cmd.exe",
    r"^\s*%%(bash|sh)\b": "a POSIX shell cell",
    r"^\s*!(?!\"\{sys\.executable\}\")": "a shell escape other than !\"{sys.executable}\" (cmd.exe on Windows)",
}


def kernel_side_sources() -> list[tuple[str, str]]:
    sources = [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
               for folder in ("fakeapi", "lab", "tools", "notebooks/scripts")
               for path in sorted((ROOT / folder).rglob("*.py"))]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources += [(f"{path.name} cell {i}", "".join(cell["source"]))
                    for i, cell in enumerate(cells) if cell["cell_type"] == "code"]
    return sources


def test_nothing_where_the_kernel_runs_assumes_posix() -> None:
    sources = kernel_side_sources()
    assert any(".ipynb cell" in name for name, _ in sources) and any(n.startswith("fakeapi") for n, _ in sources)
    found = [f"{name}: {line.strip()!r} ({why})"
             for name, text in sources for line in text.splitlines()
             for pattern, why in POSIX_ONLY.items() if re.search(pattern, line)]
    assert found == []
