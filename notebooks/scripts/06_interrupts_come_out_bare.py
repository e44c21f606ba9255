"""What comes out of a TaskGroup, and out of asyncio.run(), when a child raises KeyboardInterrupt
or SystemExit.

    python scripts/06_interrupts_come_out_bare.py

Run as a script: a KeyboardInterrupt or SystemExit raised inside a notebook's kernel would hit
the kernel itself. Each case runs under asyncio.run(), as a program would.
"""

import asyncio


async def raise_it(exc: BaseException) -> None:
    await asyncio.sleep(0.01)
    raise exc


async def main(exc: BaseException, seen: list[str]) -> None:
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(raise_it(exc))
            tg.create_task(asyncio.sleep(1))  # a sibling still running when it happens
    except (KeyboardInterrupt, SystemExit) as caught:
        seen.append(f"the except inside main() caught {caught!r}")


for exc in (KeyboardInterrupt(), SystemExit(3)):
    seen: list[str] = []
    try:
        asyncio.run(main(exc, seen))
        seen.append("asyncio.run() returned")
    except (KeyboardInterrupt, SystemExit) as caught:
        seen.append(f"the except around asyncio.run() caught {caught!r}, the child's own: {caught is exc}")
    print(f"a child raised {exc!r}:", *seen, sep="\n  ")
