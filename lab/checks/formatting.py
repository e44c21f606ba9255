"""Words for hints: a function's name, a value cut short, an exception a learner need not decode.

`explain(error)` turns the raw errors typical async mistakes raise (a coroutine used as its result,
a plain `for` over `as_completed` used as a key, `task.result()` too early...) into what happened
and what to do. `not_a_value(value)` says when an answer returned an awaitable, a task or a response
object instead of what it stands for, wherever it sits in a dict, list or tuple.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

import aiohttp


def function_name(fn: Any) -> str:
    """The name a hint calls the learner's function by (its __name__, else its repr)."""
    return getattr(fn, "__name__", None) or repr(fn)


def require_async(fn: Any) -> None:
    """The learner's function must be a coroutine function: say so before running anything."""
    from .verdicts import CheckFailed

    if not inspect.iscoroutinefunction(fn):
        raise CheckFailed(f"{function_name(fn)} should be defined with `async def`, so that it can await requests.")


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(error: BaseException | None) -> str:
    """`ValueError: the message` (or just the type when the message is empty)."""
    if error is None:
        return "nothing"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def leaves(error: BaseException | None) -> list[BaseException]:
    """The exceptions inside an ExceptionGroup, flattened (or the error itself)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [] if error is None else [error]


def _coroutine_name(value: Any) -> str:
    return getattr(value, "__qualname__", None) or type(value).__name__


def explain(error: BaseException) -> str:
    """What a raw error means, for the errors typical async mistakes raise ("" when there is nothing to add)."""
    text = str(error)
    if isinstance(error, KeyError) and error.args and inspect.isawaitable(error.args[0]):
        key = error.args[0]
        if inspect.iscoroutine(key):
            key.close()  # never awaited by anyone now: no "never awaited" warning later
        if "_wait_for_one" in _coroutine_name(key) or "as_completed" in _coroutine_name(key):
            return ("a plain `for` over asyncio.as_completed(...) yields new awaitables, not the tasks you gave "
                    "it, so they are not keys of your {task: ...} dict. Put what you need into the result "
                    "instead (a small coroutine that returns (user_id, await fetch_user(user_id))), or, on "
                    "Python 3.13+, use `async for task in asyncio.as_completed(tasks)`, which yields your tasks.")
        return f"the key was {short(key, 60)}, an awaitable: await it first, or key your dict by something else."
    if isinstance(error, (TypeError, AttributeError)) and "coroutine" in text:
        return ("a coroutine was used as if it were its result: call it with `await` in front "
                "(`await fetch(...)`), or gather the calls and use what gather returns.")
    if isinstance(error, TypeError) and "can't be used in 'await' expression" in text:
        return "only awaitables can be awaited (coroutines, tasks, futures): that value is already a result."
    if isinstance(error, RuntimeError) and "cannot reuse already awaited coroutine" in text:
        return "a coroutine runs once: await each call once (or wrap it in a task and await the task twice)."
    if isinstance(error, asyncio.InvalidStateError):
        return "task.result() was called before the task finished: await the task (or gather it) first."
    if isinstance(error, RuntimeError) and "Session is closed" in text:
        return "use the session you are given and do not close it: the caller owns it."
    if isinstance(error, RuntimeError) and "cannot be called from a running event loop" in text:
        return "you are already inside a running event loop: await the coroutine instead of asyncio.run(...)."
    return ""


def explained(error: BaseException) -> str:
    """`KeyError: ... (what it means)`: describe() plus explain() when there is something to add."""
    why = explain(error)
    return f"{describe(error)}. {why[0].upper()}{why[1:]}" if why else describe(error)


def not_a_value(value: Any) -> str | None:
    """A hint when `value` (or an item of a dict, list or tuple it is) is an awaitable, a task or a response
    object instead of what it stands for; None when it holds plain values. Closes stray coroutines found."""
    found = _first_unfinished(value, depth=2)
    if found is None:
        return None
    _close_coroutines(value, depth=2)  # nobody will await them now: no "never awaited" warning later
    path, item = found
    what = "you returned" if not path else f"{path[1:-1] if path.count('[') == 1 else 'what you returned' + path} is"
    if isinstance(item, asyncio.Task):
        return (f"{what} a task, not its result: await the task (or gather the tasks) and return what it gives, "
                "for example task.result() once it is done.")
    if isinstance(item, asyncio.Future):
        return f"{what} a future, not its result: await it and return what it gives."
    if inspect.iscoroutine(item):
        return (f"{what} a coroutine ({_coroutine_name(item)}) that never ran: you forgot to await it. "
                "Await each call (or gather them) and return the results.")
    if isinstance(item, aiohttp.ClientResponse):
        return f"{what} the response object; return its body: await response.json()."
    if _is_httpx_response(item):
        return f"{what} the response object; return its body: response.json()."
    return f"{what} an awaitable ({type(item).__name__}), not its result: await it."


def _is_httpx_response(item: Any) -> bool:
    cls = type(item)
    return cls.__name__ == "Response" and cls.__module__.startswith("httpx")


def _close_coroutines(value: Any, depth: int) -> None:
    if inspect.iscoroutine(value):
        value.close()
    elif depth > 0 and isinstance(value, dict):
        for item in value.values():
            _close_coroutines(item, depth - 1)
    elif depth > 0 and isinstance(value, (list, tuple)):
        for item in value:
            _close_coroutines(item, depth - 1)


def _first_unfinished(value: Any, depth: int) -> tuple[str, Any] | None:
    if isinstance(value, (Awaitable, aiohttp.ClientResponse)) or _is_httpx_response(value):
        return "", value
    if depth == 0:
        return None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(f"[{k!r}]", v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    for where, item in items:
        found = _first_unfinished(item, depth - 1)
        if found is not None:
            return where + found[0], found[1]
    return None
