"""The journal: one entry per request, with start and end on the server's monotonic clock.

It is the lab's proof of what happened: which requests overlapped (their [start, end]
intervals), how many were in flight at once, and which the client abandoned (`cancelled`).
A ring buffer of JOURNAL_SIZE entries keeps memory flat under any load.

Sequence numbers: the journal counts its changes, from 1 over the server's life (a clear
does not restart the count). A request's start is one change and its end another: an entry's
`id` is the number of its start, its `seq` the number of its latest change (its end, once it
has ended). So `read(since=n)` returns every entry that started or ended after change n, and
`entry["id"] > n` tells which of them started after it.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

JOURNAL_SIZE = 10_000

OK, ERROR, FAULT, CANCELLED = "ok", "error", "fault", "cancelled"


class Entry:
    __slots__ = ("id", "seq", "method", "path", "query", "route", "status", "outcome", "fault", "start", "end",
                 "latency")

    def __init__(self, seq: int, method: str, path: str, query: str, route: str | None, start: float) -> None:
        self.id = seq
        self.seq = seq
        self.method = method
        self.path = path
        self.query = query  # the raw query string: parsed only when the journal is read
        self.route = route
        self.status: int | None = None
        self.outcome: str | None = None  # None while in flight
        self.fault: str | None = None  # the fault injected, as soon as it is
        self.start = start
        self.end: float | None = None
        self.latency: float | None = None  # seconds the server waited (or dribbled) before answering; 0 at once

    def as_json(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields["query"] = query_dict(self.query)
        return fields


def query_dict(query_string: str) -> dict[str, str]:
    """A query string as a dict (a repeated name is answered 400; here its first value is kept)."""
    query: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(name, value)
    return query


class Journal:
    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self.entries: deque[Entry] = deque(maxlen=size)
        self.requests = 0  # recorded since the last clear, including those the ring buffer dropped
        self.in_flight = 0
        self.max_in_flight = 0
        self.seq = 0  # the number of the latest change (a start or an end); never restarted

    def open(self, method: str, path: str, query: str, route: str | None) -> Entry:
        self.seq += 1
        entry = Entry(self.seq, method, path, query, route, time.monotonic())
        self.entries.append(entry)
        self.requests += 1
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
        return entry

    def close(self, entry: Entry, outcome: str, status: int | None) -> None:
        """End the entry: its outcome and the status the client got (its fault and latency are set on it)."""
        entry.end = time.monotonic()
        entry.outcome = outcome
        entry.status = status
        self.seq += 1
        entry.seq = self.seq
        self.in_flight -= 1

    def clear(self) -> None:
        """Forget every entry; requests still in flight are counted on from here."""
        self.entries.clear()
        self.requests = 0
        self.max_in_flight = self.in_flight

    def read(self, since: int | None = None) -> list[dict[str, Any]]:
        """Every entry, oldest first; with `since`, only those that started or ended after change `since`."""
        if since is None:
            return [entry.as_json() for entry in self.entries]
        if since >= self.seq:
            return []
        return [entry.as_json() for entry in self.entries if entry.seq > since]

    def stats(self) -> dict[str, Any]:
        outcomes: dict[str, int] = {}
        for entry in self.entries:
            key = entry.outcome or "in_flight"
            outcomes[key] = outcomes.get(key, 0) + 1
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "outcomes": outcomes,
            "journal_size": self.entries.maxlen,
        }
