"""The bare aiohttp server that fakeapi is benchmarked against (see bench/fakeapi_bench.py).

    python bench/bare_server.py [--host 127.0.0.1] [--port 0]

One route, `GET /delay/{seconds}`: sleep that long, then answer the same small JSON that
fakeapi's `GET /delay/{seconds}` answers ({"delay", "args", "url"}), so both servers put the
same bytes on the wire and the difference measured is fakeapi's own machinery: the journal,
the parameter checks and the chaos, which fakeapi/lifecycle.py wraps around each route's handler
(fakeapi has no middleware). Here: no journal, no checks, no chaos.

Server settings are fakeapi's where they matter for fairness (fakeapi/server.py serve()):
handler_cancellation on, access log off, the same listen backlog and shutdown timeout.
Prints `bare listening on http://HOST:PORT` once it accepts connections; stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import sys

from aiohttp import web

# The same values as fakeapi/server.py, copied rather than imported so this file has no
# dependency on the package it is compared with.
BACKLOG = 4096
SHUTDOWN_TIMEOUT = 0.05


def raise_nofile_limit() -> int:
    """Raise the soft limit of open files to the hard limit (10,000 connections need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def delay(request: web.Request) -> web.Response:
    try:
        seconds = float(request.match_info["seconds"])
    except ValueError:
        return web.json_response({"error": "seconds must be a number"}, status=400)
    if seconds > 0:
        await asyncio.sleep(seconds)
    return web.json_response({"delay": seconds, "args": dict(request.query), "url": str(request.url)})


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/delay/{seconds}", delay)
    return app


async def run(host: str, port: int) -> None:
    runner = web.AppRunner(create_app(), handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT,
                           access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=BACKLOG)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bound = runner.addresses[0][1]
    print(f"bare listening on http://{host}:{bound}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    args = parser.parse_args(argv)
    raise_nofile_limit()
    asyncio.run(run(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
