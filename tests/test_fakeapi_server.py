"""Running fakeapi: `fakeapi.start()` in a background thread, and `python -m fakeapi` from a shell."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import fakeapi
from fakeapi.__main__ import main, parse_args
from fakeapi.server import serve
from fakeapi.state import STATE

pytestmark = pytest.mark.timeout(60)  # a fakeapi test that hangs fails within a minute

ROOT = Path(__file__).resolve().parent.parent


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


# ---- fakeapi.start() and the handle ---------------------------------------------------------

def test_start_is_idempotent_and_applies_settings(no_current) -> None:
    api = fakeapi.start(latency_scale=0)
    assert fakeapi.start() is api
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", api.url) and api.port != 0
    assert repr(api) == f"<fakeapi running at {api.url}>"
    seed0 = get_json(api.url + "/users/1/settings")
    assert (api.seed, api.latency_scale) == (0, 0)
    assert fakeapi.start(seed=4, latency_scale=0) is api  # settings passed again are applied
    assert (api.seed, api.latency_scale) == (4, 0)
    assert fakeapi.start(latency_scale=0.5) is api and (api.seed, api.latency_scale) == (4, 0.5)  # the rest kept
    fakeapi.start(latency_scale=0)
    with fakeapi.FakeAPI(seed=4, latency_scale=0) as other:
        assert get_json(api.url + "/users/1/settings") == get_json(other.url + "/users/1/settings") != seed0
    api.stop()
    assert not api.running and repr(api) == f"<fakeapi stopped at {api.url}>"
    with pytest.raises(RuntimeError, match="this fakeapi server has been stopped"):
        api.journal()
    again = fakeapi.start(latency_scale=0)
    assert again is not api and again.running
    assert get_json(again.url + "/users/1")["id"] == 1


@pytest.mark.parametrize("scale", [-1, -0.001, math.nan, math.inf])
def test_start_refuses_a_bad_latency_scale(no_current, scale) -> None:
    with pytest.raises(ValueError, match=f"latency_scale must be 0 or more, got {scale!r}"):
        fakeapi.start(latency_scale=scale)
    assert fakeapi.current() is None


def test_two_servers_two_ports_two_journals() -> None:
    with fakeapi.FakeAPI(latency_scale=0) as a, fakeapi.FakeAPI(latency_scale=0) as b:
        assert a.port != b.port
        get_json(a.url + "/users")
        get_json(a.url + "/todos")
        get_json(b.url + "/posts")
        assert [e["path"] for e in a.journal()] == ["/users", "/todos"]
        assert [e["path"] for e in b.journal()] == ["/posts"]
        assert (a.stats()["requests"], b.stats()["requests"]) == (2, 1)
        b.clear_journal()
        assert len(a.journal()) == 2 and b.journal() == []
    assert not a.running and not b.running


def test_stop_is_fast_with_a_request_in_flight() -> None:
    api = fakeapi.FakeAPI(latency_scale=0)

    async def go() -> tuple[BaseException | None, float]:
        async with aiohttp.ClientSession() as session:
            task = asyncio.create_task(session.get(api.url + "/delay/10"))
            deadline = time.monotonic() + 5
            while api.stats()["in_flight"] < 1:
                assert time.monotonic() < deadline, "the request never reached the server"
                await asyncio.sleep(0.01)
            started = time.monotonic()
            await asyncio.to_thread(api.stop)
            stopped = time.monotonic() - started
            raised = (await asyncio.gather(task, return_exceptions=True))[0]
            return (raised if isinstance(raised, BaseException) else None), stopped

    raised, stopped = asyncio.run(go())
    assert stopped < 1.0  # the spec: stop() within 1 s, even with slow requests in flight
    # the request ends: disconnected (aiohttp then retries a GET once, and finds the port closed)
    assert isinstance(raised, aiohttp.ClientConnectionError), repr(raised)
    assert not api.running


def test_stopping_closes_the_requests_in_flight_as_cancelled_in_the_journal() -> None:
    """What stop() and `python -m fakeapi`'s Ctrl-C both do: the runner's cleanup cancels the handlers."""
    app = fakeapi.create_app(latency_scale=0)

    async def go() -> None:
        runner, port = await serve(app, "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                task = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/delay/10"))
                deadline = time.monotonic() + 5
                while app[STATE].journal.in_flight < 1:  # this loop is the server's: no thread to cross
                    assert time.monotonic() < deadline, "the request never reached the server"
                    await asyncio.sleep(0.01)
                await runner.cleanup()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await runner.cleanup()

    asyncio.run(go())
    [entry] = app[STATE].journal.read()
    assert entry["outcome"] == "cancelled" and entry["end"] is not None


# ---- python -m fakeapi ---------------------------------------------------------------------

def launch(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m fakeapi --port 0 ...`; wait for its one line on stdout; return it and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "fakeapi", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "error"})
    lines: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    if not lines or not lines[0]:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"fakeapi printed no line: {out!r} {err!r}")
    match = re.fullmatch(r"fakeapi listening on (http://[\d.]+:(\d+))\n", lines[0])
    assert match, lines[0]
    assert match.group(2) != "0"
    return proc, match.group(1).replace("0.0.0.0", "127.0.0.1")


def test_cli_two_processes_listen_and_stop_on_a_signal() -> None:
    """Two servers at once: their own ports and journals; each exits 0 within 1 s of SIGINT / SIGTERM."""
    quiet, quiet_url = launch()
    loud, loud_url = launch("--host", "0.0.0.0")
    try:
        assert quiet_url.startswith("http://127.0.0.1:")
        assert quiet_url != loud_url
        get_json(quiet_url + "/users/1")
        assert [e["path"] for e in get_json(quiet_url + "/_journal")] == ["/users/1"]
        assert get_json(loud_url + "/_journal") == []

        slow = [threading.Thread(target=lambda url=url: _abandoned(url + "/delay/20"), daemon=True)
                for url in (quiet_url, loud_url)]
        for thread in slow:
            thread.start()
        for url in (quiet_url, loud_url):
            deadline = time.monotonic() + 10
            while get_json(url + "/_stats")["in_flight"] < 1:
                assert time.monotonic() < deadline, f"no request in flight on {url} after 10 s"
                time.sleep(0.02)

        for proc, sig in ((quiet, signal.SIGINT), (loud, signal.SIGTERM)):
            sent = time.monotonic()
            proc.send_signal(sig)
            status = proc.wait(timeout=10)
            assert time.monotonic() - sent < 1.0, sig  # the spec: exit within 1 s, slow requests in flight
            assert status == 0
        for thread in slow:
            thread.join(timeout=10)
    finally:
        for proc in (quiet, loud):
            if proc.poll() is None:
                proc.kill()
    out, err = quiet.communicate()
    assert (out, err) == ("", "")  # exactly one line on stdout, nothing on stderr, no traceback
    out, err = loud.communicate()
    assert out == ""
    assert err == "fakeapi: warning: listening on 0.0.0.0 exposes this server beyond this machine\n"


def _abandoned(url: str) -> None:
    """A slow request the server will drop when it stops."""
    try:
        urllib.request.urlopen(url, timeout=30).read()
    except OSError:  # RemoteDisconnected / ConnectionResetError: the server went away
        pass


def test_cli_port_in_use_is_one_line_and_status_2(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"fakeapi: port {port} on 127.0.0.1 is already in use; "
                   f"pick another with --port, or --port 0 for a free one\n")


def test_cli_port_in_use_in_a_real_process() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "fakeapi", "--port", str(port)], cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"port {port}" in done.stderr and "--port 0" in done.stderr


def test_cli_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.seed, args.latency_scale) == ("127.0.0.1", 8000, 0, 1.0)
    args = parse_args(["--host", "::1", "--port", "0", "--seed", "3", "--latency-scale", "0"])
    assert (args.host, args.port, args.seed, args.latency_scale) == ("::1", 0, 3, 0.0)


# arguments, the end of argparse's one-line error
BAD_ARGS = [
    (["--port", "abc"], "argument --port: must be a whole number from 0 to 65535, got 'abc'"),
    (["--port", "-1"], "argument --port: must be a whole number from 0 to 65535, got '-1'"),
    (["--port", "65536"], "argument --port: must be a whole number from 0 to 65535, got '65536'"),
    (["--port"], "argument --port: expected one argument"),
    (["--latency-scale", "-1"], "argument --latency-scale: must be a number, 0 or more, got '-1'"),
    (["--latency-scale", "nan"], "argument --latency-scale: must be a number, 0 or more, got 'nan'"),
    (["--latency-scale", "inf"], "argument --latency-scale: must be a number, 0 or more, got 'inf'"),
    (["--latency-scale", "fast"], "argument --latency-scale: must be a number, 0 or more, got 'fast'"),
    (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
]


@pytest.mark.parametrize(("argv", "error"), BAD_ARGS, ids=[" ".join(row[0]) for row in BAD_ARGS])
def test_cli_bad_arguments_exit_2(capsys, argv, error) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == f"python -m fakeapi: error: {error}"


def test_open_file_limit_is_raised_for_big_batches() -> None:
    """1,000 requests to a server in the same process need 2,000 sockets; a 1,024 soft limit is common."""
    resource = pytest.importorskip("resource", reason="Windows has no open-file limit to raise")
    code = ("import resource, fakeapi\n"
            "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
            "resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))\n"
            "api = fakeapi.start()\n"
            "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)\n"
            "api.stop()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    soft, hard = (int(x) for x in out.stdout.split())
    assert soft == (16_384 if hard == resource.RLIM_INFINITY else min(16_384, hard))
