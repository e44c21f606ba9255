"""Lesson 13's figures and arithmetic, so that its cells show asyncio and the journal, not matplotlib.

Each figure carries a one-line text summary (`fig.lab_summary`) derived from the same numbers it draws,
and reads in grey scale: hatching and line styles as well as Okabe and Ito's colours.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from .timeline import OKABE_ITO, RUN_STYLES


def percentile(values: Sequence[float], p: float) -> float:
    """The value that `p` percent of `values` are at or below (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _figure(summary: str, width: float = 8, height: float = 3.2) -> Figure:
    fig = Figure(figsize=(width, height))
    fig.lab_summary = summary  # type: ignore[attr-defined]  # shown as text under the image
    return fig


def latency_histogram(latencies: Sequence[float], marks: Mapping[str, float]) -> Figure:
    """A histogram of latencies in seconds on a log axis, with named vertical lines (e.g. p50, p99)."""
    fig = _figure(f"Histogram of {len(latencies)} latencies drawn by the server: "
                  f"median {percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms.")
    ax = fig.subplots()
    bins = [0.001 * 1.25 ** i for i in range(40)]
    ax.hist(latencies, bins=bins, color=OKABE_ITO["sky blue"], edgecolor="black", hatch="//")
    for (name, value), style in zip(marks.items(), ("--", ":", "-.")):
        ax.axvline(value, color="black", linestyle=style, label=f"{name} = {value} s")
    ax.set(xscale="log", xlabel="latency (s, log scale)", ylabel="requests", title="One endpoint's latencies")
    ax.legend()
    return fig


def finished_share(runs: Mapping[str, Sequence[float]], line: tuple[str, float] | None = None) -> Figure:
    """One step curve per named set of durations: the share of runs finished by each time (log axis)."""
    fig = _figure("Gather latency, measured: " + "; ".join(
        f"{name}: median {statistics.median(times) * 1000:.0f} ms over {len(times)} runs"
        for name, times in runs.items()) + ".")
    ax = fig.subplots()
    for (name, times), (colour, style), marker in zip(runs.items(), RUN_STYLES, "os^D"):
        xs = sorted(times)
        ax.step(xs, [(i + 1) / len(xs) for i in range(len(xs))], where="post", color=colour, linestyle=style,
                marker=marker, label=name)
    if line:
        ax.axvline(line[1], color="black", linestyle=":", label=line[0])
    ax.set(xscale="log", xlabel="gather latency (s, log scale)", ylabel="share of gathers finished",
           title="A gather waits for its slowest call")
    ax.legend()
    return fig


def extra_requests(requests: Mapping[str, int], calls: int) -> Figure:
    """Stacked bars per threshold: first requests, then the extra (backup) requests, per 100 calls."""
    extra = {name: (count - calls) / calls * 100 for name, count in requests.items()}
    fig = _figure("Bar chart: requests the server saw per 100 hedged calls " + " and ".join(extra)
                  + ", split into first requests and backups; read off the journal.")
    ax = fig.subplots()
    names = list(extra)
    ax.bar(names, [100] * len(names), color=OKABE_ITO["bluish green"], edgecolor="black", label="first requests")
    ax.bar(names, [extra[n] for n in names], bottom=100, color=OKABE_ITO["orange"], edgecolor="black",
           hatch="//", label="backups")
    for i, name in enumerate(names):
        ax.annotate(f"+{extra[name]:.0f}", (i, 100 + extra[name]), ha="center", va="bottom")
    ax.set(ylabel="requests per 100 calls", title="The cost of hedging")
    ax.legend(loc="lower right")
    return fig
