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
