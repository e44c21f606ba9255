"""lab.logs (lesson 05's timed log) and lab.compare (lesson 06's side-by-side runs of a failing batch)."""

from __future__ import annotations

import asyncio
import io
import logging
import time

import aiohttp
import pytest

import fakeapi
import lab


def test_timed_logger_stamps_seconds_since_restart() -> None:
    clock, out = lab.Stopwatch(), io.StringIO()
    log = lab.timed_logger("test.timed", clock, stream=out)
    clock.started = time.monotonic() - 2.5  # as if the page had started 2.5 s ago
    log.info("%-8s ok", "profile")
    log.warning("settings failed")
    log.debug("not at INFO")
    first, second = out.getvalue().splitlines()
    seconds, rest = first.split(" s  ", 1)
    assert 2.5 <= float(seconds) < 10 and rest == "INFO    profile  ok"
    assert second.endswith("WARNING settings failed")
    clock.restart()
    log.info("again")
    assert float(out.getvalue().splitlines()[-1].split(" s  ")[0]) < 2.5


def test_timed_logger_twice_keeps_one_handler_and_does_not_propagate() -> None:
    clock, out = lab.Stopwatch(), io.StringIO()
    lab.timed_logger("test.twice", clock, stream=io.StringIO())
    log = lab.timed_logger("test.twice", clock, stream=out)  # a re-run cell
    assert len(log.handlers) == 1 and not log.propagate and log.level == logging.INFO
    log.info("once")
    assert out.getvalue().count("once") == 1


def test_stopwatch_restart_returns_its_start() -> None:
    clock = lab.Stopwatch()
    started = clock.restart()
    assert started == clock.started and 0 <= clock.elapsed() < 60


@pytest.mark.parametrize("rows, columns, expected", [
    ({}, ["a"], ["| approach | a |", "|---|---|"]),
    ({"gather": {"a": 1, "b": "x"}, "TaskGroup": {"b": 2}}, ["a", "b"],
     ["| approach | a | b |", "|---|---|---|", "| gather | 1 | x |", "| TaskGroup | 0 | 2 |"]),
])
def test_comparison_table(rows: dict, columns: list, expected: list) -> None:
    table = lab.comparison_table(rows, columns)
    assert getattr(table, "data", table).splitlines() == expected


BATCH = ["/users/1", "/users/1/settings?delay=0.1&status=503", "/orders?user=1&delay=0.3"]


async def fetch_json(session: aiohttp.ClientSession, url: str) -> object:
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


def run_both() -> dict[str, lab.BatchRun]:
    async def go() -> dict[str, lab.BatchRun]:
        with fakeapi.FakeAPI() as api:
            async with aiohttp.ClientSession() as session:
                async def with_gather(tasks: list) -> None:
                    tasks += [asyncio.create_task(fetch_json(session, api.url + p)) for p in BATCH]
                    await asyncio.gather(*tasks)

                async def with_taskgroup(tasks: list) -> None:
                    async with asyncio.TaskGroup() as tg:
                        tasks += [tg.create_task(fetch_json(session, api.url + p)) for p in BATCH]

                async def quiet(tasks: list) -> None:
                    return None

                runs = {"gather": await asyncio.wait_for(lab.measure_batch(api, with_gather), 10),
                        "TaskGroup": await asyncio.wait_for(
                            lab.measure_batch(api, with_taskgroup, order=sorted_by_path), 10)}
                with pytest.raises(AssertionError, match="did not raise"):
                    await lab.measure_batch(api, quiet)
                return runs
    return asyncio.run(go())


def sorted_by_path(entries: list) -> list:
    return sorted(entries, key=lambda e: e["path"])


def test_measure_batch_counts_what_each_approach_left_behind() -> None:
    runs = run_both()
    gather, group = runs["gather"], runs["TaskGroup"]
    assert isinstance(gather.error, aiohttp.ClientResponseError) and isinstance(group.error, ExceptionGroup)
    assert gather.row["tasks running when it raised"] == 1 and gather.row["ok after it raised"] == 1
    assert gather.row["ok"] == 2 and gather.row["error"] == 1 and "cancelled" not in gather.row
    assert group.row["tasks running when it raised"] == 0 and group.row["ok after it raised"] == 0
    assert group.row["cancelled"] == 1 and group.row["ok"] == 1
    assert gather.row["raised"].startswith("ClientResponseError after 0.")
    assert group.row["raised"].startswith("ExceptionGroup after 0.")
    assert [e["path"] for e in group.entries] == sorted(e["path"] for e in group.entries)
    assert group.origin == min(e["start"] for e in group.entries) <= group.raised
