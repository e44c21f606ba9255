"""The shape of the error example in the article this lab answers: two calls that succeed, one that fails.

The article says the two others "finish in the background". Run it as a script and see:

    python scripts/03_article_error_example.py
"""

import asyncio

fate = {}  # what happened to each succeed() call, filled in by the calls themselves


async def succeed(name, delay):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        fate[name] = "cancelled"
        raise
    fate[name] = "finished"
    return name


async def fail(delay):
    await asyncio.sleep(delay)
    raise ValueError("something went wrong")


async def main():
    try:
        await asyncio.gather(succeed("first", 0.6), fail(0.1), succeed("second", 0.5))
    except ValueError as exc:
        print(f"main() caught: {exc}")
    print("main() returns; still running:", sorted(name for name in ("first", "second") if name not in fate))


if __name__ == "__main__":
    asyncio.run(main())
    print("after asyncio.run():", dict(sorted(fate.items())))
