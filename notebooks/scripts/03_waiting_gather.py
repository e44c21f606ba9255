"""A script whose gather is waiting, to look at from outside with Python 3.14's asyncio tools:

    python scripts/03_waiting_gather.py &
    python -m asyncio ps PID       # a table of its tasks
    python -m asyncio pstree PID   # the same as a tree of who awaits whom

It prints its PID once both requests are waiting, then waits 30 s (or until it is ended).
"""

import asyncio
import os

waiting = 0


async def fetch(seconds):
    global waiting
    waiting += 1
    if waiting == 2:
        print("both requests waiting; PID", os.getpid(), flush=True)
    await asyncio.sleep(seconds)


async def load_users():
    await asyncio.gather(fetch(30), fetch(30))


async def main():
    await asyncio.create_task(load_users(), name="load_users")


if __name__ == "__main__":
    asyncio.run(main())
