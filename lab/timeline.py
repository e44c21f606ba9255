"""One picture per claim: each request as a bar from its start to its end, drawn from the journal.

Readable by everyone: the colours are Okabe and Ito's colour-blind-safe palette, each outcome also has
its own hatching (so the bars stay apart in grey scale and in print), and in Jupyter every figure is
followed by a one-line text summary of what it shows, derived from the same journal entries, for
screen-reader users and for anyone reading the notebook as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .journal import Entry, all_overlapped, in_flight_steps, label, max_in_flight, outcomes

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "black": "#000000"}
# outcome -> (colour, hatch): ok is the only solid bar; the others differ by pattern as well as by colour.
STYLES = {
    "ok": (OKABE_ITO["bluish green"], ""),
    "error": (OKABE_ITO["vermillion"], "xxx"),
    "fault": (OKABE_ITO["orange"], "///"),
    "cancelled": (OKABE_ITO["sky blue"], "..."),
    None: (OKABE_ITO["yellow"], "---"),
}
COLORS = {outcome: colour for outcome, (colour, _) in STYLES.items()}
HATCHES = {outcome: hatch for outcome, (_, hatch) in STYLES.items()}
NAMES = {"ok": "ok", "error": "error (4xx/5xx)", "fault": "fault", "cancelled": "cancelled", None: "in flight"}
# in_flight_chart: one colour and one line style per run, so runs differ without colour too.
RUN_STYLES = [(OKABE_ITO["blue"], "-"), (OKABE_ITO["vermillion"], "--"), (OKABE_ITO["bluish green"], "-."),
              (OKABE_ITO["reddish purple"], (0, (5, 1, 1, 1, 1, 1)))]


def _requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s")


def _outcome_counts(entries: Iterable[Entry]) -> str:
    return ", ".join(f"{name} {count}" for name, count in outcomes(entries).items())


def timeline_summary(entries: list[Entry], marks: dict[str, float] | None = None) -> str:
    """One line saying what a timeline of these entries shows, from the journal alone (no times)."""
    if not entries:
        return "Timeline: no requests."
    n, peak = len(entries), max_in_flight(entries)
    if n == 1:
        together = ""
    elif peak == 1:
        together = ", one at a time"
    elif all_overlapped(entries):
        together = f", all {n} in flight together"
    else:
        together = f", at most {peak} in flight at once"
    text = f"Timeline: {_requests(n)}{together}; outcomes: {_outcome_counts(entries)}"
    if marks:
        text += "; marked: " + ", ".join(marks)
    return text + "."


def in_flight_summary(runs: dict[str, list[Entry]], lines: dict[str, float] | None = None) -> str:
    """One line saying what an in_flight_chart of these runs shows: per run, its requests and its peak."""
    parts = [f"{name}: {_requests(len(entries))}, at most {max_in_flight(entries)} in flight"
             for name, entries in runs.items()]
    text = "Requests in flight: " + ("; ".join(parts) if parts else "no runs")
    if lines:
        text += "; marked levels: " + ", ".join(lines)
    return text + "."


def timeline(entries: list[Entry], title: str = "", marks: dict[str, float] | None = None,
             labels: list[str] | None = None, width: float = 8.0, xmax: float | None = None,
             height: float | None = None) -> Figure:
    """A Gantt chart of the requests, in seconds since the first one started.

    marks: named moments on the same clock (time.monotonic() in your cell), drawn as dashed lines.
    labels: one text per entry instead of "METHOD path?query".
    xmax: stretch the time axis to this many seconds (to show where cut-short requests would have ended).
    height: the figure's height in inches (default: 0.32 per request, at least 1.6), to give two or three bars room.
    The figure's `lab_summary` is the one-line text shown under it in Jupyter (see timeline_summary).
    """
    # at least 1.6 in: a shorter figure has no room for title, axis and labels (tight_layout would warn)
    fig = Figure(figsize=(width, height or max(1.6, 0.6 + 0.32 * len(entries))))
    fig.lab_summary = timeline_summary(entries, marks)  # type: ignore[attr-defined]
    ax = fig.add_subplot()
    if not entries:
        ax.set_title(title + " (no requests)")
        return fig
    t0 = min(e["start"] for e in entries)
    last = max([e["end"] for e in entries if e["end"] is not None] + [e["start"] for e in entries])
    for row, e in enumerate(entries):
        end = e["end"] if e["end"] is not None else last
        colour, hatch = STYLES.get(e["outcome"], ("#555555", "oo"))
        ax.barh(row, end - e["start"], left=e["start"] - t0, height=0.6, color=colour, hatch=hatch,
                edgecolor="black", linewidth=0.6)
    ax.set_yticks(range(len(entries)), labels or [label(e) for e in entries], fontsize=8)
    ax.invert_yaxis()
    for name, moment in (marks or {}).items():
        ax.axvline(moment - t0, color="black", linestyle="--", linewidth=1)
        ax.annotate(name, (moment - t0, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                    textcoords="offset points", fontsize=8, va="bottom", ha="center")  # above: no bar hidden
    seen = [o for o in STYLES if any(e["outcome"] == o for e in entries)]
    # Outside the plot, on the right: a legend inside would hide the ends of the bars.
    ax.legend(handles=[Patch(facecolor=COLORS[o], hatch=HATCHES[o], edgecolor="black", linewidth=0.6,
                             label=NAMES[o]) for o in seen],
              fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, handleheight=1.4)
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
    The figure's `lab_summary` is the one-line text shown under it in Jupyter (see in_flight_summary).
    """
    fig = Figure(figsize=(width, 3.2))
    fig.lab_summary = in_flight_summary(runs, lines)  # type: ignore[attr-defined]
    ax = fig.add_subplot()
    for index, (name, entries) in enumerate(runs.items()):
        if not entries:
            continue
        t0 = min(e["start"] for e in entries)
        times, counts = [0.0], [0]
        for moment, count in in_flight_steps(entries):
            if moment != float("inf"):  # a request still in flight has no end to draw
                times.append(moment - t0)
                counts.append(count)
        colour, linestyle = RUN_STYLES[index % len(RUN_STYLES)]
        ax.step(times, counts, where="post", label=f"{name} (peak {max(counts)})", color=colour,
                linestyle=linestyle, linewidth=1.6)
    for name, level in (lines or {}).items():
        ax.axhline(level, color="black", linestyle=":", linewidth=1)
        ax.annotate(name, (0, level), xytext=(3, 3), textcoords="offset points", fontsize=8)
    ax.set_xlabel("seconds since the run's first request started (server's clock)")
    ax.set_ylabel("requests in flight")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best", handlelength=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def show_figures_in_jupyter(shell: Any = None) -> None:
    """Show timeline() and in_flight_chart() figures in this IPython shell as their image, then their
    one-line summary as text (the image's own text form is the summary too, for text-only front ends).

    The lab's kernel does this when it starts (lab_setup, configured by tools/lab_env.py); call it
    in a kernel set up otherwise. It applies only to figures that carry a summary (`lab_summary`):
    any other Figure is shown as IPython would show it anyway. Importing lab.timeline changes nothing.
    """
    import lab_setup

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is not None:
        lab_setup.show_figures(shell)


_draw_figures_in_jupyter = show_figures_in_jupyter  # the name tests/test_lab_helpers.py calls
