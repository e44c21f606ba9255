"""asyncio.gather() with nothing to gather, in a plain script where no event loop is running.

    python scripts/gather_without_a_loop.py

gather needs an event loop even when it has nothing to run: it returns a Future, and every Future
belongs to a loop. With no loop running, gather asks asyncio.get_event_loop() for one, and what that
does depends on the Python version: 3.11 creates a loop quietly, 3.12 and 3.13 create one and warn
(DeprecationWarning), 3.14 and later raise RuntimeError. The script prints what happened on yours.
"""

import asyncio
import sys
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        result = asyncio.gather()
    except RuntimeError as error:
        result = error

python = f"Python {sys.version_info[0]}.{sys.version_info[1]}"
if isinstance(result, asyncio.Future):
    print(f"{python}: gather() gave back a Future, already done: {result.done()} | its result: {result.result()}")
    print("the loop it belongs to is running:", result.get_loop().is_running())
    result.get_loop().close()
else:
    print(f"{python}: gather() raised {type(result).__name__}: {result}")
print("warnings:", "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "none")
