"""Lesson 06's `parse` cell, run once with the default task factory and once with eager tasks.

    python scripts/06_eager_parse.py

asyncio.eager_task_factory exists from Python 3.12. It is set on a loop of this script's own
(never on a notebook's loop, which the kernel shares with everything else).
"""

import asyncio


async def parse(raw):
    return int(raw)


async def batch(caught: list[str]) -> None:
    """Note in `caught` which except* clauses ran, in order."""
    try:
        async with asyncio.TaskGroup() as tg:
            for raw in ["1", "two", None, "4"]:
                coro = parse(raw)
                try:
                    tg.create_task(coro)
                except RuntimeError:
                    coro.close()  # refused: close it, or 3.11 and 3.12 warn "never awaited"
                    raise
    except* ValueError:
        caught.append("ValueError")
    except* TypeError:
        caught.append("TypeError")
    except* RuntimeError as group:
        caught.append(f"RuntimeError ({str(group.exceptions[0]).split('> ')[-1]})")


def run(eager: bool) -> list[str] | None:
    if eager and not hasattr(asyncio, "eager_task_factory"):
        return None  # Python 3.11: no eager tasks
    loop = asyncio.new_event_loop()
    if eager:
        loop.set_task_factory(asyncio.eager_task_factory)
    caught: list[str] = []
    task = loop.create_task(batch(caught))  # a task of its own: the group cancels the task it runs in
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass  # 3.12.1 only: the group's own cancel outlives the block (Task.uncancel, fixed by 3.13)
    finally:
        loop.close()
    return caught


default, eager = run(eager=False), run(eager=True)
print("default factory, except* clauses that ran:", default)
rule = ["ValueError", "RuntimeError (is shutting down)"]
print("eager tasks follow the lesson's rule on this Python:", eager is None or eager == rule)
if eager is not None and eager != rule:
    print("with eager tasks:", eager)
