"""The faults (`fault=`): what the server does to the connection instead of a normal answer.

    reset      SO_LINGER 0, then abort: the client sees a TCP reset
    close      the connection closed with no answer
    malformed  200 with half a JSON body
    hang       no answer until the client gives up (or the server stops)
    slow       headers at once, the body in SLOW_CHUNKS pieces spread over the latency
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable

from aiohttp import web

from .typedefs import Answer

SLOW_CHUNKS = 10


async def inject_fault(request: web.Request, fault: str, response: Answer, latency: float,
                       commit: Callable[[Answer], None]) -> web.StreamResponse:
    """Run `fault` in place of `response`. For every fault but slow the latency has already passed."""
    if fault == "slow":
        stream = await _dribble(request, response, latency)
        commit(response)  # the latency was spent dribbling: a slow POST is still stored
        return stream
    transport = request.transport
    if fault == "malformed":
        body = response.body if isinstance(response.body, bytes) else b'{"id": 1}'
        return web.Response(body=body[: max(1, len(body) // 2)], status=200, content_type="application/json")
    if fault == "reset" and transport is not None:
        # SO_LINGER 0 makes close() send RST; a plain abort() looks like a clean EOF to the client.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    elif fault == "close" and transport is not None:
        transport.close()
    # reset and close: the connection is gone and handler cancellation ends this handler;
    # hang: no answer until the client gives up (or the server stops).
    await asyncio.Future()
    raise AssertionError("unreachable")


class _Dribble(web.StreamResponse):
    """A streamed answer whose last piece goes out with write_eof, after the handler returned.

    So, as for every other answer, the journal records the end before the client can have it all.
    """

    tail = b""

    async def write_eof(self, data: bytes = b"") -> None:
        await super().write_eof(self.tail + data)


async def _dribble(request: web.Request, response: web.Response, seconds: float) -> web.StreamResponse:
    """fault=slow: headers at once, then the body in SLOW_CHUNKS pieces spread over `seconds`."""
    body = response.body if isinstance(response.body, bytes) else b""
    headers = {name: value for name, value in response.headers.items() if name.startswith("RateLimit-")}
    stream = _Dribble(status=response.status, headers={"Content-Type": "application/json", **headers})
    stream.content_length = len(body)
    await stream.prepare(request)
    size = max(1, -(-len(body) // SLOW_CHUNKS))
    pieces = [body[start:start + size] for start in range(0, len(body), size)]
    for piece in pieces[:-1]:
        await asyncio.sleep(seconds / SLOW_CHUNKS)
        await stream.write(piece)
    await asyncio.sleep(seconds / SLOW_CHUNKS)
    stream.tail = pieces[-1] if pieces else b""
    return stream
