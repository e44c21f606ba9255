"""The `parse` batch of notebooks/deeper/exception_groups.ipynb, run once with the default task
factory and once with eager tasks; prints which except* clauses ran with each.

    python scripts/06_eager_parse.py

asyncio.eager_task_factory exists from Python 3.12. It is set on a loop of this script's own
(never on a notebook's loop, which the kernel shares with everything else).
"""

import asyncio
import sys


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


def run(task_factory=None) -> list[str]:
    loop = asyncio.new_event_loop()
    loop.set_task_factory(task_factory)
    caught: list[str] = []
    task = loop.create_task(batch(caught))  # a task of its own: the group cancels the task it runs in
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass  # 3.12.1 only: the group's own cancel outlives the block (Task.uncancel, fixed by 3.13)
    finally:
        loop.close()
    return caught


print(f"Python {sys.version_info[0]}.{sys.version_info[1]}")
print("default task factory, except* clauses that ran:", run())
eager_task_factory = getattr(asyncio, "eager_task_factory", None)
if eager_task_factory is not None:
    print("eager_task_factory,   except* clauses that ran:", run(eager_task_factory))
else:
    print("eager_task_factory: not in this Python (it arrived in 3.12)")
