"""Reading fakeapi's journal: how many requests were in flight together, and a compact table.

Journal times are on the server's monotonic clock; in a notebook the server runs in the
kernel's process, so they are on the same clock as `time.monotonic()` in your cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Entry = dict[str, Any]


def in_flight_steps(entries: Iterable[Entry]) -> list[tuple[float, int]]:
    """How many requests were in flight after each start and each end: (moment, count), in time order.

    At the same instant an end comes before a start; a request still in flight ends at infinity.
    """
    events = []
    for e in entries:
        events.append((e["start"], 1))
        events.append((e["end"] if e["end"] is not None else float("inf"), -1))
    events.sort()
    steps, now = [], 0
    for moment, step in events:
        now += step
        steps.append((moment, now))
    return steps


OVERLAP_TOLERANCE = 0.01
"""Seconds two requests must share before they count as in flight together. On Python 3.12+ aiohttp's
server starts a handler eagerly, and a server notices a client that gave up only a moment later, so a
request sent right after the previous one ended or was cancelled can be journaled a fraction of a
millisecond before the previous one is closed: one at a time, not two in flight."""


def max_in_flight(entries: Iterable[Entry], tolerance: float = OVERLAP_TOLERANCE) -> int:
    """The largest number of requests the server was handling at the same moment.

    Overlaps of at most `tolerance` seconds (a request closed just after the next one started) do not
    count; pass `tolerance=0` for the raw count.
    """
    # Each request keeps a sliver of its own (a request shorter than the tolerance still counts as one).
    shrunk = [{**e, "end": max(e["start"] + 1e-9, e["end"] - tolerance)} if e["end"] is not None else e
              for e in entries]
    return max((count for _, count in in_flight_steps(shrunk)), default=0)


def overlapped(a: Entry, b: Entry) -> bool:
    """True if the two requests were in flight at the same time on the server."""
    a_end = a["end"] if a["end"] is not None else float("inf")
    b_end = b["end"] if b["end"] is not None else float("inf")
    return a["start"] < b_end and b["start"] < a_end


def all_overlapped(entries: list[Entry], tolerance: float = OVERLAP_TOLERANCE) -> bool:
    """True if every request was in flight at one common moment, for more than `tolerance` seconds
    (they all ran together). The same rule as max_in_flight's: pass `tolerance=0` for the raw test."""
    return bool(entries) and max(e["start"] for e in entries) + tolerance < min(
        e["end"] if e["end"] is not None else float("inf") for e in entries)


def outcomes(entries: Iterable[Entry]) -> dict[str, int]:
    """How many requests ended ok, error, fault or cancelled (or are still in flight)."""
    counts: dict[str, int] = {}
    for e in entries:
        key = e["outcome"] or "in flight"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def label(entry: Entry) -> str:
    query = "&".join(f"{k}={v}" for k, v in entry["query"].items())
    return f"{entry['method']} {entry['path']}" + (f"?{query}" if query else "")


def show_journal(entries: list[Entry], origin: float | None = None) -> None:
    """Print one line per request: when it started and ended (seconds from `origin`), and how."""
    if not entries:
        print("(the journal is empty)")
        return
    t0 = min(e["start"] for e in entries) if origin is None else origin
    width = max(len(label(e)) for e in entries)
    for e in entries:
        end = f"{e['end'] - t0:5.2f} s" if e["end"] is not None else "  ...  "
        status = e["status"] if e["status"] is not None else "-"
        print(f"{label(e):<{width}}  {e['start'] - t0:5.2f} s -> {end}  {status!s:>3}  {e['outcome'] or 'in flight'}")
