"""What comes out of a TaskGroup when a child raises KeyboardInterrupt or SystemExit.

    python scripts/06_interrupts_come_out_bare.py

Run as a script: a KeyboardInterrupt or SystemExit raised inside a notebook's kernel would hit
the kernel itself. Each case runs on an event loop of its own.
"""

import asyncio


async def raise_it(exc: BaseException) -> None:
    await asyncio.sleep(0.01)
    raise exc


async def page(exc: BaseException) -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(raise_it(exc))
        tg.create_task(asyncio.sleep(1))  # a sibling still running when it happens


def what_comes_out(exc: BaseException) -> BaseException:
    """Run page(exc) on a loop of its own; return what the TaskGroup itself raised."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(page(exc))
    came_out = None
    for _ in range(5):  # the loop stops at the child's raise; run it on until the group has raised too
        try:
            loop.run_until_complete(task)
        except BaseException as raised:  # noqa: BLE001 - seeing what comes out is the point
            came_out = raised
        if task.done():
            break
    task.exception()  # retrieved: no "exception was never retrieved" at exit
    loop.close()
    return came_out


for exc in (KeyboardInterrupt(), SystemExit(3)):
    came_out = what_comes_out(exc)
    print(f"a child raised {type(exc).__name__}: the group raised {type(came_out).__name__}, "
          f"bare (not in a group): {came_out is exc}")
