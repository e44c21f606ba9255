"""The playground's strategies, proven from the server's journal, and its widgets driven from code."""

from __future__ import annotations

import asyncio
import html
import inspect

import pytest

import fakeapi
import lab.playground.runner
import lab.playground.strategies
from lab.journal import outcomes
from lab.playground import STRATEGIES, STRATEGY_CODE, Playground, Run, Settings, code_of, run_batch


def batch(**settings):
    return asyncio.run(run_batch(Settings(**settings)))


def test_sequential_has_one_request_in_flight_at_a_time():
    summary = batch(strategy="sequential", n=4, latency=0.05)
    assert summary.max_in_flight == 1
    assert summary.run.outcomes == ["ok"] * 4


@pytest.mark.parametrize("strategy", ["gather", "gather_return_exceptions", "taskgroup", "as_completed"])
def test_concurrent_strategies_have_every_request_in_flight_together(strategy):
    summary = batch(strategy=strategy, n=8, latency=0.3)
    assert summary.max_in_flight == 8
    assert outcomes(summary.entries) == {"ok": 8}


@pytest.mark.parametrize("k", [1, 3])
def test_semaphore_caps_the_requests_in_flight_at_k(k):
    summary = batch(strategy="semaphore", n=6, latency=0.1, k=k)
    assert summary.max_in_flight == k
    assert summary.count("ok") == 6


def test_failures_depend_only_on_the_seed():
    first = batch(strategy="gather_return_exceptions", n=10, latency=0.02, fail_rate=0.3, seed=1)
    second = batch(strategy="gather_return_exceptions", n=10, latency=0.02, fail_rate=0.3, seed=1)
    assert first.run.outcomes == second.run.outcomes
    assert [i for i, o in enumerate(first.run.outcomes) if o == "failed"] == [0, 1, 7]
    assert first.run.raised is None


def test_gather_raises_the_first_failure_and_the_others_run_on():
    summary = batch(strategy="gather", n=10, latency=0.05, jitter=0.4, fail_rate=0.3, seed=1)
    assert summary.run.raised == "ClientResponseError"
    assert summary.count("cancelled") == 0 and summary.count("not started") == 0
    finished_later = [e for e in summary.entries if e["end"] > summary.run.raised_at]
    assert finished_later, "some requests should finish after gather raised"
    assert "the strategy raised ClientResponseError after" in str(summary)


def test_taskgroup_cancels_the_others_on_the_first_failure():
    summary = batch(strategy="taskgroup", n=10, latency=0.05, jitter=0.4, fail_rate=0.3, seed=1)
    assert summary.run.raised == "ExceptionGroup"
    assert summary.count("cancelled") >= 1
    assert outcomes(summary.entries).get("cancelled", 0) == summary.count("cancelled")


def test_sequential_stops_at_the_first_failure():
    summary = batch(strategy="sequential", n=6, latency=0.02, fail_rate=0.5, seed=3)
    first_failure = summary.run.outcomes.index("failed")
    assert summary.run.outcomes[first_failure + 1:] == ["not started"] * (6 - first_failure - 1)
    assert summary.run.raised == "ClientResponseError"


def test_as_completed_goes_on_after_a_failure():
    summary = batch(strategy="as_completed", n=10, latency=0.02, fail_rate=0.3, seed=1)
    assert summary.run.raised is None
    assert summary.count("failed") == 3 and summary.count("ok") == 7


def test_summary_text_is_deterministic_but_for_durations():
    summary = batch(strategy="semaphore", n=6, latency=0.02, fail_rate=0.3, seed=1, k=2)
    lines = str(summary).splitlines()
    assert lines[0] == "gather under Semaphore(k) with k=2: 6 requests of 0.02 s, fail_rate 0.3, seed 1"
    assert lines[1].startswith("ok 4 · failed 2 · cancelled 0 · not started 0 · max in flight 2 · elapsed ")


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_stop_cancels_every_request_and_leaves_nothing_running(strategy):
    async def scenario():
        run = Run(Settings(strategy=strategy, n=5, latency=5.0, k=2))
        task = asyncio.create_task(run_batch(run))
        api = fakeapi.start()
        while api.stats()["in_flight"] < (1 if strategy == "sequential" else 2):
            await asyncio.sleep(0.01)
        run.stop_requested = True
        task.cancel()
        summary = await task
        return summary, api.stats()["in_flight"], asyncio.all_tasks() - {asyncio.current_task()}

    summary, in_flight, tasks = asyncio.run(scenario())
    assert summary.run.stopped and in_flight == 0 and not tasks
    assert summary.count("ok") == 0 and summary.count("running") == 0
    assert set(outcomes(summary.entries)) == {"cancelled"}
    assert "stopped by you" in str(summary)


def test_a_cancel_that_is_not_a_stop_propagates():
    async def scenario():
        task = asyncio.create_task(run_batch(Settings(strategy="gather", n=3, latency=5.0)))
        await asyncio.sleep(0.2)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


def test_bad_settings_name_what_is_allowed():
    with pytest.raises(ValueError, match="strategy must be one of"):
        Settings(strategy="threads")


def test_the_widgets_run_the_same_code_path_as_the_button():
    async def scenario():
        playground = Playground()
        summary = await playground.run(strategy="semaphore", n=4, latency=0.05, k=2)
        assert playground.n.value == 4 and playground.strategy.value == "semaphore"
        assert summary.max_in_flight == 2 and playground.progress.value == 4
        assert "max in flight 2" in playground.summary_text.value
        image = playground.timeline_output.outputs[0]["data"]
        assert "image/png" in image
        assert not playground.run_button.disabled and playground.stop_button.disabled

        with pytest.raises(ValueError, match=r"latency must be from 0.05 to 3.0 on the sliders, got 5.0"):
            playground.start(latency=5.0)
        assert playground.latency.value == 0.05 and not playground.running

        playground._click_run(playground.run_button)  # the button's own callback
        await asyncio.sleep(0.05)
        assert playground.running and playground.run_button.disabled and not playground.stop_button.disabled
        with pytest.raises(RuntimeError, match="a run is going on"):
            playground.start()
        playground._click_stop(playground.stop_button)
        stopped = await playground._task
        assert stopped.run.stopped and not playground.running and playground.status.value == "stopped"
        classes = {c for widget in [playground.ui, playground.run_button, playground.stop_button,
                                    playground.timeline_output, playground.summary_text] for c in widget._dom_classes}
        assert {"playground", "playground-run", "playground-stop", "playground-timeline",
                "playground-summary"} <= classes

    asyncio.run(scenario())


@pytest.mark.parametrize("key", sorted(STRATEGIES))
def test_the_code_shown_is_the_code_that_runs(key):
    """The menu shows code_of(the strategy the runner calls); compiled, it names what the function names."""
    strategy = Settings(strategy=key).function()
    assert strategy is STRATEGIES[key] and STRATEGY_CODE[key] == code_of(strategy)
    shown = next(c for c in compile(STRATEGY_CODE[key], "<shown>", "exec").co_consts if hasattr(c, "co_names"))
    assert (shown.co_name, shown.co_names, shown.co_varnames) == \
        (strategy.__code__.co_name, strategy.__code__.co_names, strategy.__code__.co_varnames)

    async def scenario():
        playground = Playground()
        playground.strategy.value = key
        assert html.escape(code_of(strategy)) in playground.code.value

    asyncio.run(scenario())


def test_the_layers_stay_apart():
    """The strategies and the runner import no widgets; only the widget layer does."""
    for module in (lab.playground.strategies, lab.playground.runner):
        source = inspect.getsource(module)
        assert "ipywidgets" not in source and "IPython" not in source, module.__name__


async def mine(jobs, k):
    return await asyncio.gather(*(job() for job in jobs[:2]))


def test_a_strategy_of_your_own_is_passed_in_not_registered():
    before = dict(STRATEGIES)
    summary = batch(strategy=mine, n=4, latency=0.05)
    assert summary.count("ok") == 2 and summary.count("not started") == 2
    assert str(summary).startswith("mine: 4 requests of 0.05 s")
    assert STRATEGIES == before

    async def scenario():
        playground = Playground(strategies={"mine": mine})
        assert ("mine (yours)", "mine") in playground.strategy.options
        playground.strategy.value = "mine"
        assert "async def mine(jobs, k):" in playground.code.value
        summary = await playground.run(strategy="mine", n=3, latency=0.05)
        assert summary.count("ok") == 2 and STRATEGIES == before
        with pytest.raises(ValueError, match="strategy must be one of"):
            playground.start(strategy="yours")

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="a strategy is an `async def` function"):
        Settings(strategy=lambda jobs, k: None)
