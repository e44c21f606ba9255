"""Checks for 12_playground.

The learner's strategy runs through the playground's own machinery: it is passed to
`run_batch` (`Settings(strategy=...)`), which fires a batch with it against fakeapi, the same way
the Run button does. Each job
is wrapped so that it returns its request number when its request succeeds: that makes the
order of the learner's results visible. The answer is judged from the server's journal and
from what each request was doing at the moment the strategy returned.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from lab import playground
from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    explained,
    function_name,
    idle_check_server,
    not_a_value,
    observe,
    passed,
)

N, K = 8, 3
SECOND_K = 5  # a second run with another k, so a bound written as a number instead of `k` shows
# Seed 16 makes request #2 fail (500), and request #0 (0.28 s) finish after #1, #2 and #3:
# an answer that collects results as they finish puts them in another order.
SETTINGS: dict[str, Any] = dict(n=N, latency=0.1, jitter=0.2, fail_rate=0.25, seed=16)

Strategy = Callable[[list[playground.Job], int], Awaitable[Any]]


class _Attempt:
    """What happened inside the strategy: its result or error, and each request's state when it returned."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.outcomes_at_return: list[str] = []
        self.run: playground.Run | None = None


def _numbered(i: int, job: playground.Job) -> playground.Job:
    async def request_number() -> int:
        await job()  # the playground's request #i: raises ClientResponseError if the server answers 500
        return i

    return request_number


async def check_my_strategy(my_strategy: Strategy) -> None:
    """my_strategy(jobs, k): every job run, at most k at once, results (or exceptions) in job order.

    Run twice, with k = K and then k = SECOND_K, so a bound written as a number instead of `k` shows.
    """
    name = function_name(my_strategy)
    if not inspect.iscoroutinefunction(my_strategy):
        raise CheckFailed(f"{name} should be defined with `async def`, so that it can await the jobs.")
    failed, result = await _judge(my_strategy, name, K)
    await _judge(my_strategy, name, SECOND_K)
    which = ", ".join(f"#{i}" for i in failed)
    passed(f"{N} requests, never more than k in flight (k = {K}, then {SECOND_K}); request {which} failed and its "
           f"{type(result[failed[0]]).__name__} came back in its place; results in job order, nothing left running.")


async def _judge(my_strategy: Strategy, name: str, k: int) -> tuple[list[int], Any]:
    """One batch with this k, judged from the journal and from each request's state when the strategy
    returned. Returns the numbers of the requests that failed, and what the strategy returned."""
    api = await idle_check_server()  # run_batch needs an idle server: an earlier answer's leftover is ended
    attempt = _Attempt()

    async def strategy(jobs: list[playground.Job], k: int) -> None:
        try:
            attempt.result = await my_strategy([_numbered(i, job) for i, job in enumerate(jobs)], k)
        except BaseException as exc:
            attempt.error = exc
            raise
        finally:
            assert attempt.run is not None
            attempt.outcomes_at_return = list(attempt.run.outcomes)

    strategy.__name__ = name  # the summary calls it by the learner's name

    @functools.wraps(my_strategy)
    async def run_it() -> playground.Summary:
        attempt.run = playground.Run(playground.Settings(strategy=strategy, k=k, **SETTINGS))
        summary = await playground.run_batch(attempt.run, api)
        if isinstance(attempt.error, NotImplementedError):
            raise attempt.error  # observe turns it into NotSolvedYet
        return summary

    seen = await observe(run_it, deadline=10.0, api=api)
    seen.loop_problems("Await every job, and return once they are all over.")
    if seen.error is not None:
        raise seen.error  # the check's own machinery failed, not the learner's strategy
    run = attempt.run
    assert run is not None
    outcomes_at_return = attempt.outcomes_at_return
    error = attempt.error
    if not seen.entries:
        if error is not None:
            raise CheckFailed(f"{name} raised {explained(error)}")
        raise CheckFailed("the server saw no request: call each job (`job()`) and await what it returns.")

    peak = seen.max_in_flight
    if peak == 1:
        raise CheckFailed(f"one at a time: the server saw at most 1 request in flight, your k was {k}. "
                          "Start the jobs together (asyncio.gather) and let an asyncio.Semaphore(k) hold back "
                          "the extra ones.")
    if peak > k:
        raise CheckFailed(f"unbounded: the server saw {peak} requests in flight, your k was {k}: create one "
                          "asyncio.Semaphore(k) from the `k` argument (not a number of your own, nor one made "
                          "before the call) and await each job inside `async with semaphore:`.")
    if peak < k:
        raise CheckFailed(f"the server saw at most {peak} requests in flight, your k was {k}: "
                          "let exactly k requests run at once, with asyncio.Semaphore(k) made from the `k` argument.")

    failed = [i for i, outcome in enumerate(run.outcomes) if outcome == "failed"]
    which = ", ".join(f"#{i}" for i in failed)
    if error is not None:
        if isinstance(error, Exception) and any(outcome == "failed" for outcome in outcomes_at_return):
            raise CheckFailed(f"the first failure stopped the batch: request {which} failed and {name} raised "
                              f"{type(error).__name__} instead of returning it. Keep going: put each failure "
                              "in its place in the results (asyncio.gather(..., return_exceptions=True)).")
        raise CheckFailed(f"{name} raised {explained(error)}")
    cancelled = run.count("cancelled")
    if len(seen.entries) < N or cancelled:
        reached = len(seen.entries)
        raise CheckFailed(f"the first failure stopped the batch: {reached} of {N} requests reached the server"
                          + (f" and {cancelled} were cancelled" if cancelled else "")
                          + ". Every job should run to its end, whatever the others do.")

    unfinished = [i for i, outcome in enumerate(outcomes_at_return) if outcome in ("running", "not started")]
    if unfinished:
        raise CheckFailed(f"{len(unfinished)} of {N} requests had not finished when {name} returned "
                          f"({', '.join(f'#{i}' for i in unfinished)}): await every job before you return.")
    if seen.leftover_tasks:
        raise CheckFailed(f"{len(seen.leftover_tasks)} task(s) were still running after {name} returned: "
                          "await every task you start before returning.")

    result = attempt.result
    problem = not_a_value(result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    if not isinstance(result, (list, tuple)) or len(result) != N:
        count = f"{len(result)} items" if isinstance(result, (list, tuple)) else type(result).__name__
        raise CheckFailed(f"return a list with one result per job, in job order ({N} items); got {count}.")
    expected: list[Any] = [i for i in range(N)]
    for i in failed:
        expected[i] = "an exception"

    def shape(value: Any) -> Any:
        return "an exception" if isinstance(value, BaseException) else value

    got = [shape(value) for value in result]
    if got != expected:
        if sorted(map(repr, got)) == sorted(map(repr, expected)):
            raise CheckFailed(f"results in the wrong order: you returned {got}; return them in job order "
                              "(result i for jobs[i], as gather does), not in the order they finished.")
        for i in failed:
            if got[i] != "an exception":
                raise CheckFailed(f"request #{i} failed, so place {i} of your results should hold the exception "
                                  f"its job raised; it holds {result[i]!r:.80}.")
        raise CheckFailed(f"each job returns its request number: expected {expected}, got {got}.")
    for i in failed:
        if not isinstance(result[i], Exception):
            raise CheckFailed(f"place {i} holds {type(result[i]).__name__}: the failed request's own exception "
                              "should be there.")
    return failed, result


async def reference_strategy(jobs: list[playground.Job], k: int) -> list[Any]:
    semaphore = asyncio.Semaphore(k)

    async def bounded(job: playground.Job) -> Any:
        async with semaphore:
            return await job()

    return list(await asyncio.gather(*(bounded(job) for job in jobs), return_exceptions=True))


CHECKS = (ExerciseCheck(check_my_strategy, reference=reference_strategy),)
