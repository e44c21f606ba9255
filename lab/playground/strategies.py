"""The playground's six strategies: each gets the batch as a list of jobs (call one to get its coroutine)
and k (the Semaphore's limit; only `semaphore` uses it).

The playground shows each strategy's code with `code_of`, read from the function itself
(inspect.getsource): what you read is what runs. A strategy of your own has the same signature,
`async def my_strategy(jobs, k)`, and is passed in: `Playground(strategies={"mine": my_strategy})`
or `Settings(strategy=my_strategy)`.
"""

from __future__ import annotations

import asyncio
import inspect
import textwrap
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

Job = Callable[[], Coroutine[Any, Any, Any]]
Strategy = Callable[[list[Job], int], Awaitable[Any]]


async def sequential(jobs: list[Job], k: int) -> None:
    for job in jobs:
        await job()  # the first failure stops the loop


async def gather(jobs: list[Job], k: int) -> None:
    # the first failure raises; the others keep running
    await asyncio.gather(*(job() for job in jobs))


async def gather_return_exceptions(jobs: list[Job], k: int) -> None:
    # failures come back as results; nothing is cancelled
    await asyncio.gather(*(job() for job in jobs), return_exceptions=True)


async def taskgroup(jobs: list[Job], k: int) -> None:
    # the first failure cancels the others
    async with asyncio.TaskGroup() as tg:
        for job in jobs:
            tg.create_task(job())


async def semaphore(jobs: list[Job], k: int) -> None:
    limit = asyncio.Semaphore(k)

    async def limited(job: Job) -> Any:
        async with limit:
            return await job()

    await asyncio.gather(*(limited(job) for job in jobs), return_exceptions=True)


async def as_completed(jobs: list[Job], k: int) -> None:
    for next_done in asyncio.as_completed([job() for job in jobs]):
        try:
            await next_done  # in finishing order
        except Exception:
            pass  # counted as failed by the job itself; the loop goes on with the next one


STRATEGIES: dict[str, Strategy] = {
    "sequential": sequential,
    "gather": gather,
    "gather_return_exceptions": gather_return_exceptions,
    "taskgroup": taskgroup,
    "semaphore": semaphore,
    "as_completed": as_completed,
}

STRATEGY_NAMES = {  # what the menu shows
    "sequential": "sequential (await one by one)",
    "gather": "gather",
    "gather_return_exceptions": "gather(return_exceptions=True)",
    "taskgroup": "TaskGroup",
    "semaphore": "gather under Semaphore(k)",
    "as_completed": "as_completed",
}


def code_of(strategy: Strategy) -> str:
    """The strategy's code as the playground shows it: its source, read from the function itself."""
    try:
        return textwrap.dedent(inspect.getsource(strategy)).rstrip() + "\n"
    except (OSError, TypeError):  # defined where no source is kept (exec'd, a C function)
        return f"# the source of {getattr(strategy, '__qualname__', strategy)!s} is not available\n"


def name_of(strategy: str | Strategy) -> str:
    """What a summary calls the strategy: the menu's name, or a learner's function's own name."""
    if isinstance(strategy, str):
        return STRATEGY_NAMES.get(strategy, strategy)
    return getattr(strategy, "__name__", repr(strategy))


STRATEGY_CODE = {key: code_of(fn) for key, fn in STRATEGIES.items()}  # derived, never written by hand
