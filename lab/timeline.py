"""One picture per claim: each request as a bar from its start to its end, drawn from the journal."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .journal import Entry, in_flight_steps, label

COLORS = {"ok": "#2e7d32", "error": "#c62828", "fault": "#ef6c00", "cancelled": "#9e9e9e", None: "#1565c0"}
NAMES = {"ok": "ok", "error": "error (4xx/5xx)", "fault": "fault", "cancelled": "cancelled", None: "in flight"}


def timeline(entries: list[Entry], title: str = "", marks: dict[str, float] | None = None,
             labels: list[str] | None = None, width: float = 8.0, xmax: float | None = None,
             height: float | None = None) -> Figure:
    """A Gantt chart of the requests, in seconds since the first one started.

    marks: named moments on the same clock (time.monotonic() in your cell), drawn as dashed lines.
    labels: one text per entry instead of "METHOD path?query".
    xmax: stretch the time axis to this many seconds (to show where cut-short requests would have ended).
    height: the figure's height in inches (default: 0.32 per request), to give two or three bars room.
    """
    fig = Figure(figsize=(width, height or 0.6 + 0.32 * max(len(entries), 1)))
    ax = fig.add_subplot()
    if not entries:
        ax.set_title(title + " (no requests)")
        return fig
    t0 = min(e["start"] for e in entries)
    last = max([e["end"] for e in entries if e["end"] is not None] + [e["start"] for e in entries])
    for row, e in enumerate(entries):
        end = e["end"] if e["end"] is not None else last
        ax.barh(row, end - e["start"], left=e["start"] - t0, height=0.6, color=COLORS.get(e["outcome"], "#555"))
    ax.set_yticks(range(len(entries)), labels or [label(e) for e in entries], fontsize=8)
    ax.invert_yaxis()
    for name, moment in (marks or {}).items():
        ax.axvline(moment - t0, color="black", linestyle="--", linewidth=1)
        ax.annotate(name, (moment - t0, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", fontsize=8, va="bottom", ha="center")  # above: no bar hidden
    seen = [o for o in COLORS if any(e["outcome"] == o for e in entries)]
    # Outside the plot, on the right: a legend inside would hide the ends of the bars.
    ax.legend(handles=[Patch(color=COLORS[o], label=NAMES[o]) for o in seen], fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.set_xlabel("seconds since the first request started (server's clock)")
    ax.set_title(title, pad=16 if marks else 6)  # room for the marks' names between title and bars
    ax.grid(axis="x", alpha=0.3)
    if xmax is not None:
        ax.set_xlim(0, xmax)
    fig.tight_layout()
    return fig


def in_flight_chart(runs: dict[str, list[Entry]], title: str = "", lines: dict[str, float] | None = None,
                    width: float = 8.0) -> Figure:
    """How many requests the server was handling over time, one step line per run.

    runs: a name per run and its journal entries; each run is timed from its own first request.
    lines: named levels drawn as dotted horizontal lines (a limit, for example).
    For batches too big for `timeline`'s one bar per request.
    """
    fig = Figure(figsize=(width, 3.2))
    ax = fig.add_subplot()
    for name, entries in runs.items():
        if not entries:
            continue
        t0 = min(e["start"] for e in entries)
        times, counts = [0.0], [0]
        for moment, count in in_flight_steps(entries):
            if moment != float("inf"):  # a request still in flight has no end to draw
                times.append(moment - t0)
                counts.append(count)
        ax.step(times, counts, where="post", label=f"{name} (peak {max(counts)})")
    for name, level in (lines or {}).items():
        ax.axhline(level, color="black", linestyle=":", linewidth=1)
        ax.annotate(name, (0, level), xytext=(3, 3), textcoords="offset points", fontsize=8)
    ax.set_xlabel("seconds since the run's first request started (server's clock)")
    ax.set_ylabel("requests in flight")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _draw_figures_in_jupyter() -> None:
    """Let Jupyter show these Figures as PNG images without pyplot (so each one displays once).

    Without pyplot no inline backend is set up, and a Figure shows only its text, "<Figure size ...>".
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


_draw_figures_in_jupyter()
