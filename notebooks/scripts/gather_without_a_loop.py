"""asyncio.gather() with nothing to gather, in a plain script where no event loop is running.

    python scripts/gather_without_a_loop.py

gather needs an event loop even when it has nothing to run: it returns a Future, and every Future
belongs to a loop. With no loop running, gather asks asyncio.get_event_loop() for one, and what that
does depends on the Python version (the rule below). The script prints whether your Python followed it.
"""

import asyncio
import sys
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        result = asyncio.gather()
    except RuntimeError as error:  # Python 3.14 and later (What's New in Python 3.14)
        result = error

if isinstance(result, asyncio.Future):
    print("gather() gave back a Future, already done:", result.done(), "| its result:", result.result())
    print("the loop it belongs to is running:", result.get_loop().is_running())
    result.get_loop().close()

# The rule: 3.11 creates a loop quietly; 3.12 and 3.13 create one and warn (DeprecationWarning
# "There is no current event loop"); 3.14 creates none and raises RuntimeError.
warned = [w.category for w in caught]
if sys.version_info >= (3, 14):
    as_the_rule_says = isinstance(result, RuntimeError)
elif sys.version_info >= (3, 12):
    as_the_rule_says = isinstance(result, asyncio.Future) and warned == [DeprecationWarning]
else:
    as_the_rule_says = isinstance(result, asyncio.Future) and warned == []
print("what happened follows the rule for your Python:", as_the_rule_says)
if not as_the_rule_says:
    print("what happened:", repr(result), [f"{w.category.__name__}: {w.message}" for w in caught])
