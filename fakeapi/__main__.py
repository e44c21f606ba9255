"""python -m fakeapi [--host 127.0.0.1] [--port 8000] [--seed N] [--latency-scale F]"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import ipaddress
import math
import signal
import sys
from collections.abc import Callable

from .app import create_app
from .server import raise_open_file_limit, serve


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 65535, got {raw!r}")
    return port


def _scale(raw: str) -> float:
    try:
        scale = float(raw)
    except ValueError:
        scale = -1.0
    if not 0 <= scale < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number, 0 or more, got {raw!r}")
    return scale


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fakeapi", description="The asyncio lab's local fake HTTP API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=_port, default=8000, help="port to bind; 0 picks a free one (default 8000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the random draws (default 0)")
    parser.add_argument("--latency-scale", type=_scale, default=1.0,
                        help="multiply every default latency by this; 0 makes them instant (default 1)")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    raise_open_file_limit()
    app = create_app(seed=args.seed, latency_scale=args.latency_scale)
    try:
        runner, port = await serve(app, args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"fakeapi: port {args.port} on {args.host} is already in use; "
                  f"pick another with --port, or --port 0 for a free one", file=sys.stderr)
        else:
            print(f"fakeapi: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    restore = _stop_on_signals(stop)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"fakeapi listening on http://{host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        restore()
        await runner.cleanup()
    return 0


def _stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Set `stop` on SIGINT or SIGTERM (and Ctrl-Break on Windows); return a function that undoes it.

    The loop's own signal handlers exist only on POSIX; Windows' event loops raise
    NotImplementedError, so there a plain signal.signal handler hands the signal to the loop.
    """
    loop = asyncio.get_running_loop()
    signals = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
    except NotImplementedError:
        previous = {sig: signal.signal(sig, lambda signum, frame: loop.call_soon_threadsafe(stop.set))
                    for sig in signals}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    else:
        def restore() -> None:
            for sig in signals:
                loop.remove_signal_handler(sig)
    return restore


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not _is_loopback(args.host):
        print(f"fakeapi: warning: listening on {args.host} exposes this server beyond this machine",
              file=sys.stderr)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:  # Ctrl-C before the handlers above were in place
        return 0


if __name__ == "__main__":
    status = main()
    gc.freeze()  # exit at once: collecting aiohttp's modules at interpreter shutdown costs about 0.25 s
    sys.exit(status)
