"""One picture per claim: each request as a bar from its start to its end, drawn from the journal."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .journal import Entry, label

COLORS = {"ok": "#2e7d32", "error": "#c62828", "fault": "#ef6c00", "cancelled": "#9e9e9e", None: "#1565c0"}
NAMES = {"ok": "ok", "error": "error (4xx/5xx)", "fault": "fault", "cancelled": "cancelled", None: "in flight"}


def timeline(entries: list[Entry], title: str = "", marks: dict[str, float] | None = None,
             labels: list[str] | None = None, width: float = 8.0) -> Figure:
    """A Gantt chart of the requests, in seconds since the first one started.

    marks: named moments on the same clock (time.monotonic() in your cell), drawn as dashed lines.
    labels: one text per entry instead of "METHOD path?query".
    """
    fig = Figure(figsize=(width, 0.6 + 0.32 * max(len(entries), 1)))
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
        ax.annotate(name, (moment - t0, 0), xytext=(3, 0), textcoords="offset points", fontsize=8,
                    va="bottom", ha="left")
    seen = [o for o in COLORS if any(e["outcome"] == o for e in entries)]
    ax.legend(handles=[Patch(color=COLORS[o], label=NAMES[o]) for o in seen], fontsize=8, loc="lower right")
    ax.set_xlabel("seconds since the first request started (server's clock)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
