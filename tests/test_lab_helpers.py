# mypy: disable-error-code="attr-defined, union-attr, index, type-var, arg-type"
# (matplotlib types artists, legends and line data loosely: Patch has no get_x, a legend may be None, ...;
# these tests read what the figures really hold.)
"""lab.journal and lab.timeline: the helpers every lesson's proof goes through."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import lab


def entry(start: float, end: float | None, outcome: str | None = "ok", path: str = "/users/1",
          query: dict[str, str] | None = None) -> dict:
    return {"method": "GET", "path": path, "query": query or {}, "status": 200 if outcome == "ok" else None,
            "outcome": outcome, "start": start, "end": end}


@pytest.mark.parametrize("intervals, expected", [
    ([], 0),
    ([(0, 1)], 1),
    ([(0, 1), (1, 2), (2, 3)], 1),             # one after another, touching: never together
    ([(0, 1), (0.5, 1.5), (0.9, 2)], 3),
    ([(0, 1), (0.5, 1.5), (1.2, 2)], 2),
    ([(0, None), (5, 6)], 2),                  # still in flight counts until the end of time
])
def test_max_in_flight(intervals: list, expected: int) -> None:
    assert lab.max_in_flight([entry(s, e) for s, e in intervals]) == expected


def test_all_overlapped_and_overlapped() -> None:
    together = [entry(0, 1), entry(0.1, 1.1), entry(0.2, 0.9)]
    apart = [entry(0, 1), entry(1, 2)]
    assert lab.all_overlapped(together)
    assert not lab.all_overlapped(apart)
    assert not lab.all_overlapped([])
    assert lab.overlapped(together[0], together[1])
    assert not lab.overlapped(apart[0], apart[1])
    assert lab.overlapped(entry(0, None), entry(10, 11))


def test_outcomes_counts_every_kind() -> None:
    entries = [entry(0, 1), entry(0, 1, "error"), entry(0, 1, "cancelled"), entry(0, 1, "ok"), entry(0, None, None)]
    assert lab.outcomes(entries) == {"cancelled": 1, "error": 1, "in flight": 1, "ok": 2}


def test_show_journal_prints_relative_times(capsys: pytest.CaptureFixture[str]) -> None:
    lab.show_journal([entry(10.0, 10.25, path="/users/1", query={"delay": "0.25"}), entry(10.5, None, None)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["GET", "/users/1?delay=0.25", "0.00", "s", "->", "0.25", "s", "200", "ok"]
    assert lines[1].split()[-3:] == ["-", "in", "flight"]
    lab.show_journal([])
    assert capsys.readouterr().out == "(the journal is empty)\n"


def test_timeline_draws_one_bar_per_request_with_marks() -> None:
    entries = [entry(1.0, 1.3), entry(1.0, 1.2, "error"), entry(1.1, 1.4, "cancelled")]
    fig = lab.timeline(entries, title="three", marks={"gather raised": 1.2})
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 3
    assert [round(b.get_x(), 2) for b in bars] == [0.0, 0.0, 0.1]        # seconds since the first start
    assert [round(b.get_width(), 2) for b in bars] == [0.3, 0.2, 0.3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ok", "error (4xx/5xx)", "cancelled"]
    assert ax.get_title() == "three"
    assert any(line.get_xdata()[0] == pytest.approx(0.2) for line in ax.get_lines())


def test_timeline_of_nothing_says_so() -> None:
    assert lab.timeline([], title="empty").axes[0].get_title() == "empty (no requests)"


def test_in_flight_chart_steps_up_and_down_per_run() -> None:
    runs = {"gather": [entry(0, 1), entry(0, 1), entry(0.5, 1.5)], "sequential": [entry(0, 1), entry(1, 2)]}
    fig = lab.in_flight_chart(runs, title="in flight", lines={"limit": 2})
    ax = fig.axes[0]
    gather, sequential = ax.get_lines()[:2]
    assert max(gather.get_ydata()) == 3 and list(gather.get_ydata())[-1] == 0
    assert max(sequential.get_ydata()) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gather (peak 3)", "sequential (peak 1)"]


# Figures everyone can read: Okabe-Ito colours, one hatching per outcome, a text summary from the journal.

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
EVERY_OUTCOME = [entry(0.0, 0.3), entry(0.0, 0.2, "error"), entry(0.05, 0.25, "fault"),
                 entry(0.1, 0.35, "cancelled"), entry(0.1, None, None)]


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG): what is left of a colour in grey scale."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_timeline_bars_use_okabe_ito_colours_and_one_hatch_per_outcome() -> None:
    from matplotlib.colors import to_hex

    ax = lab.timeline(EVERY_OUTCOME, title="every outcome").axes[0]
    bars = ax.patches
    colours = [to_hex(b.get_facecolor()).upper() for b in bars]
    hatches = [b.get_hatch() or "" for b in bars]
    assert set(colours) <= OKABE_ITO
    assert len(set(colours)) == len(EVERY_OUTCOME)            # five outcomes, five colours
    assert len(set(hatches)) == len(EVERY_OUTCOME)            # and five patterns: apart without colour
    assert hatches[0] == ""                                  # ok is the one solid bar
    legend = ax.get_legend()
    assert [p.get_hatch() or "" for p in legend.get_patches()] == hatches   # the legend shows the same cue
    assert [t.get_text() for t in legend.get_texts()] == ["ok", "error (4xx/5xx)", "fault", "cancelled", "in flight"]


def test_ok_and_error_differ_in_grey_scale_by_pattern_not_only_by_shade() -> None:
    from lab.timeline import STYLES

    assert "red" not in str(STYLES) and "#c62828" not in str(STYLES).lower()
    (ok_colour, ok_hatch), (error_colour, error_hatch) = STYLES["ok"], STYLES["error"]
    assert ok_hatch != error_hatch
    # the two shades alone would be too close to tell apart in grey scale: that is why the hatch is there
    assert abs(luminance(ok_colour) - luminance(error_colour)) < 0.1


def test_in_flight_chart_runs_differ_by_line_style_too() -> None:
    runs = {name: [entry(0, 1)] for name in ("a", "b", "c")}
    lines = lab.in_flight_chart(runs).axes[0].get_lines()[:3]
    assert len({str(line.get_linestyle()) for line in lines}) == 3
    from matplotlib.colors import to_hex
    assert {to_hex(line.get_color()).upper() for line in lines} <= OKABE_ITO


@pytest.mark.parametrize("entries, marks, expected", [
    ([], None, "Timeline: no requests."),
    ([entry(0, 1)], None, "Timeline: 1 request; outcomes: ok 1."),
    ([entry(0, 1), entry(1, 2), entry(2, 3)], None, "Timeline: 3 requests, one at a time; outcomes: ok 3."),
    ([entry(0, 1), entry(0.1, 1.1, "error"), entry(0.2, 0.9)], {"gather raised": 0.5},
     "Timeline: 3 requests, all 3 in flight together; outcomes: error 1, ok 2; marked: gather raised."),
    ([entry(0, 1), entry(0.5, 1.5), entry(1.2, 2, "cancelled")], {"a": 0, "b": 1},
     "Timeline: 3 requests, at most 2 in flight at once; outcomes: cancelled 1, ok 2; marked: a, b."),
])
def test_timeline_summary_is_derived_from_the_entries(entries: list, marks: dict | None, expected: str) -> None:
    assert lab.timeline(entries, title="t", marks=marks).lab_summary == expected


def test_in_flight_summary_names_each_run_and_its_peak() -> None:
    runs = {"gather": [entry(0, 1), entry(0, 1), entry(0.5, 1.5)], "sequential": [entry(0, 1), entry(1, 2)]}
    fig = lab.in_flight_chart(runs, lines={"limit": 2})
    assert fig.lab_summary == ("Requests in flight: gather: 3 requests, at most 3 in flight; "
                               "sequential: 2 requests, at most 1 in flight; marked levels: limit.")


def test_in_jupyter_the_summary_is_shown_as_text_under_the_image() -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from lab.timeline import _draw_figures_in_jupyter

    shell = InteractiveShell.instance()
    _draw_figures_in_jupyter()
    fig = lab.timeline([entry(0, 1), entry(0.5, 1.5, "error")], title="two")
    with capture_output() as captured:
        assert shell.display_formatter.format(fig) == ({}, {})     # the figure displayed itself
    image, text = captured.outputs
    assert "image/png" in image.data and image.data["text/plain"] == fig.lab_summary
    assert text.data == {"text/plain": "Timeline: 2 requests, all 2 in flight together; outcomes: error 1, ok 1."}


def test_a_request_shorter_than_the_tolerance_still_counts() -> None:
    """Lesson 07's one-at-a-time loop: seven 3 ms requests in a row were in flight one at a time, not zero."""
    row = [entry(i * 0.004, i * 0.004 + 0.003) for i in range(7)]
    assert lab.max_in_flight(row) == 1
    assert lab.max_in_flight([entry(0, 1), entry(0.5, 0.505)]) == 2  # a short one inside a long one overlaps it
