"""The version-dependent asyncio behaviour the notebooks state, proven on the Python that runs it.

The Python running pytest runs PROBE once in a subprocess (make test runs this file on 3.11, 3.12
and 3.13, see tools/matrix.py); PROBE prints one JSON object, and each test reads its field.
VERSION_CLAIMS_PYTHONS="3.12 3.13" adds those Pythons to one run; one not found is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from lab_env import find_python  # noqa: E402

PROBE = r'''
import asyncio, contextvars, gc, inspect, json, sys, warnings

facts = {"version": list(sys.version_info[:2])}
where = contextvars.ContextVar("where", default="unset")


async def sleep_then(seconds, value):
    await asyncio.sleep(seconds)
    return value


async def as_completed_async_for():
    tasks = [asyncio.create_task(sleep_then(0.05, "slow")), asyncio.create_task(sleep_then(0.0, "fast"))]
    try:
        seen = []
        async for task in asyncio.as_completed(tasks):
            seen.append([any(task is t for t in tasks), task.result()])
        return {"works": True, "yields_original_tasks_in_completion_order": seen}
    except TypeError as exc:
        await asyncio.gather(*tasks)
        return {"works": False, "error": f"TypeError: {exc}"}


async def as_completed_plain_for_yields_new_awaitables():
    tasks = [asyncio.create_task(sleep_then(0.0, 1))]
    for next_done in asyncio.as_completed(tasks):
        same = next_done is tasks[0]
        await next_done
    return same


async def as_completed_timeout():
    task = asyncio.create_task(sleep_then(0.1, "late"))
    try:
        for next_done in asyncio.as_completed([task], timeout=0.01):
            await next_done
        raised = None
    except TimeoutError as exc:
        raised = type(exc).__name__
    state = {"raised": raised, "cancelled_by_timeout": task.cancelled()}
    state["finished_later"] = await task
    return state


async def wait_rejects_coroutines():
    coroutine = sleep_then(0, 0)
    try:
        await asyncio.wait([coroutine])
        return "accepted"
    except TypeError as exc:
        return f"TypeError: {exc}"
    finally:
        coroutine.close()


async def wait_cancels_nothing():
    async def fail():
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    failing = asyncio.create_task(fail())
    slow = asyncio.create_task(sleep_then(0.1, "slow"))
    done, pending = await asyncio.wait([failing, slow], return_when=asyncio.FIRST_EXCEPTION)
    state = {"done": len(done), "pending": len(pending), "slow_still_running": not slow.done()}
    failing.exception()
    slow.cancel()
    await asyncio.gather(slow, return_exceptions=True)
    return state


async def run_inside_running_loop():
    coroutine = sleep_then(0, 0)
    try:
        asyncio.run(coroutine)
        return "no error"
    except RuntimeError as exc:
        return str(exc)
    finally:
        coroutine.close()


async def wait_for_runs_in_the_callers_task():
    caller = asyncio.current_task()

    async def inside():
        where.set("set inside wait_for")
        return asyncio.current_task() is caller

    same_task = await asyncio.wait_for(inside(), timeout=1)
    return {"same_task": same_task, "contextvar_after": where.get()}


async def never_awaited():
    return 1


def taskgroup_refuses(tg):
    coroutine = never_awaited()
    try:
        tg.create_task(coroutine)
        error = "accepted"
    except RuntimeError as exc:
        error = "RuntimeError: " + str(exc).split(">")[-1].strip()  # the repr between <> holds task counts
    state = inspect.getcoroutinestate(coroutine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del coroutine
        gc.collect()
    return {"error": error, "state": state, "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}


async def taskgroup_refused_coroutines():
    async with asyncio.TaskGroup() as tg:
        pass
    refused = {"finished": taskgroup_refuses(tg)}

    async def fail():
        raise ValueError("boom")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail())
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                refused["shutting_down"] = taskgroup_refuses(tg)
                raise
    except* ValueError:
        pass
    return refused


async def timeout_with_cancel_swallowed():
    try:
        async with asyncio.timeout(0.01) as cm:
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                pass
        return {"raised": None, "expired": cm.expired()}
    except BaseException as exc:
        return {"raised": type(exc).__name__}


async def timeout_outside_a_task():
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def callback():  # a plain callback of the loop: no current task
        entering = asyncio.timeout(1).__aenter__()
        try:
            entering.send(None)
            done.set_result("entered")
        except RuntimeError as exc:
            done.set_result(f"RuntimeError: {exc}")
        except StopIteration:
            done.set_result("entered")
        finally:
            entering.close()

    loop.call_soon(callback)
    return await done


async def gather_edge_cases():
    runs = []

    async def once():
        runs.append(1)
        return "value"

    coroutine = once()
    twice = await asyncio.gather(coroutine, coroutine)
    return {"same_coroutine_twice": twice, "runs": len(runs), "no_arguments": await asyncio.gather()}


async def gather_cancelled_child():
    child = asyncio.create_task(asyncio.sleep(1))
    asyncio.get_running_loop().call_later(0.01, child.cancel)
    results = await asyncio.gather(child, asyncio.sleep(0.02, "ok"), return_exceptions=True)
    return {"results": [type(r).__name__ if isinstance(r, BaseException) else r for r in results],
            "isinstance_exception": isinstance(results[0], Exception),
            "isinstance_base_exception": isinstance(results[0], BaseException)}


async def outside_cancel_during_child_failure():
    """A cancel() from outside that arrives while a TaskGroup handles a child's failure (06_taskgroup)."""
    async def fail():
        await asyncio.sleep(0)
        raise ValueError("child failed")

    progress = []

    async def parent():
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(fail())
                await asyncio.sleep(1)
        except* ValueError:
            progress.append("except*")
        await asyncio.sleep(0)
        progress.append("ran on")

    task = asyncio.create_task(parent())
    await asyncio.sleep(0)  # the parent enters the group and starts the child
    await asyncio.sleep(0)  # the child fails: the group cancels the parent's body
    task.cancel()           # and now a cancel from outside
    try:
        await task
        outcome = "ran on"
    except asyncio.CancelledError:
        outcome = "cancelled"
    return {"outcome": outcome, "progress": progress}


async def no_waiting():
    return "finished"


async def eager_tasks():
    """Is a task eager (done inside the call, for a coroutine that never waits) made each way?"""
    loop = asyncio.get_running_loop()
    found = {}
    makers = {"task_eager_start": lambda coro: asyncio.Task(coro, loop=loop, eager_start=True),
              "create_task_eager_start": lambda coro: asyncio.create_task(coro, eager_start=True)}
    for name, make in makers.items():
        coro = no_waiting()
        try:
            found[name] = make(coro).done()
        except TypeError:
            coro.close()
            found[name] = "TypeError"
    if hasattr(asyncio, "eager_task_factory"):
        loop.set_task_factory(asyncio.eager_task_factory)
        try:
            found["eager_factory"] = asyncio.create_task(no_waiting()).done()
        finally:
            loop.set_task_factory(None)
    task = asyncio.create_task(no_waiting())
    found["default_factory"] = task.done()
    await task
    return found
async def queue_shutdown():
    """15: Queue.shutdown() (3.13+): get() hands out what is left, then raises QueueShutDown; put() raises at once."""
    queue = asyncio.Queue()
    if not hasattr(queue, "shutdown"):
        return {"exists": False, "queue_shut_down": hasattr(asyncio, "QueueShutDown")}
    await queue.put(1)
    queue.shutdown()
    got = await queue.get()
    raised = {}
    for name, call in (("get", queue.get()), ("put", queue.put(2))):
        try:
            await call
        except asyncio.QueueShutDown as exc:
            raised[name] = type(exc).__name__
    return {"exists": True, "first_get": got, "raised": raised}
async def call_graph():
    """What a gather's children and a default gather's leftover show (deeper/cancellation)."""
    async def child(seconds):
        await asyncio.sleep(seconds)

    async def parent():
        await asyncio.gather(child(0.05), child(0.05))

    async def fail():
        await asyncio.sleep(0.01)
        raise ValueError("failed")

    def others():
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    loader = asyncio.create_task(parent(), name="parent")
    await asyncio.sleep(0.01)
    children = [t for t in others() if t is not loader]
    graph = {"repr_names_gathers_callback": all("gather.<locals>._done_callback" in repr(t) for t in children)}
    if hasattr(asyncio, "capture_call_graph"):
        graph["children_awaited_by"] = sorted(a.future.get_name() for t in children
                                              for a in asyncio.capture_call_graph(t).awaited_by)
        graph["child_stack"] = [e.frame.f_code.co_name for e in asyncio.capture_call_graph(children[0]).call_stack]
        graph["formats"] = all(isinstance(asyncio.format_call_graph(t), str) for t in children)
    await loader
    try:
        await asyncio.gather(fail(), child(0.05))
    except ValueError:
        (leftover,) = others()
        if hasattr(asyncio, "capture_call_graph"):
            graph["leftover_awaited_by"] = len(asyncio.capture_call_graph(leftover).awaited_by)
    await leftover
    graph["functions"] = [hasattr(asyncio, f) for f in ("capture_call_graph", "format_call_graph", "print_call_graph")]
    return graph


async def gather_one_cancelled_child():
    """Default gather, one child cancelled: CancelledError reaches an awaiter nobody cancelled (deeper/cancellation)."""
    tasks = [asyncio.create_task(asyncio.sleep(0.05, i)) for i in range(3)]
    asyncio.get_running_loop().call_later(0.01, tasks[0].cancel)
    try:
        await asyncio.gather(*tasks)
        raised = None
    except asyncio.CancelledError:
        raised = "CancelledError"
        state = {"done": [t.done() for t in tasks], "cancelling": asyncio.current_task().cancelling()}
    state["raised"] = raised
    state["siblings"] = [await t for t in tasks[1:]]
    return state


def asyncio_commands():
    """`python -m asyncio ps|pstree --help`: the commands exist (3.14+), or the asyncio REPL starts instead."""
    import subprocess
    seen = {}
    for command in ("ps", "pstree"):
        done = subprocess.run([sys.executable, "-m", "asyncio", command, "--help"], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=30)
        if done.stdout.startswith("usage:"):
            seen[command] = "usage"
        else:
            seen[command] = "asyncio REPL" if "asyncio REPL" in done.stderr + done.stdout else done.stdout[:80]
    return seen


async def main():
    facts["call_graph_shown"] = await call_graph()
    facts["gather_one_cancelled_child"] = await gather_one_cancelled_child()
    facts["as_completed_async_for"] = await as_completed_async_for()
    facts["as_completed_plain_for_same_object"] = await as_completed_plain_for_yields_new_awaitables()
    facts["as_completed_timeout"] = await as_completed_timeout()
    facts["wait_coroutine"] = await wait_rejects_coroutines()
    facts["wait_first_exception"] = await wait_cancels_nothing()
    facts["run_in_running_loop"] = await run_inside_running_loop()
    facts["wait_for_task"] = await wait_for_runs_in_the_callers_task()
    facts["taskgroup_refused"] = await taskgroup_refused_coroutines()
    facts["timeout_swallowed_cancel"] = await timeout_with_cancel_swallowed()
    facts["timeout_outside_task"] = await timeout_outside_a_task()
    facts["gather_edge_cases"] = await gather_edge_cases()
    facts["gather_cancelled_child"] = await gather_cancelled_child()
    facts["outside_cancel"] = await outside_cancel_during_child_failure()
    facts["eager_tasks"] = await eager_tasks()
    facts["queue_shutdown"] = await queue_shutdown()


asyncio.run(main())
facts["asyncio_commands"] = asyncio_commands()
facts["eager_task_factory"] = hasattr(asyncio, "eager_task_factory")
facts["taskgroup_cancel"] = hasattr(asyncio.TaskGroup, "cancel")
facts["call_graph"] = hasattr(asyncio, "print_call_graph") and hasattr(asyncio, "capture_call_graph")
facts["is_gil_enabled"] = hasattr(sys, "_is_gil_enabled")
facts["asyncio_timeout"] = hasattr(asyncio, "timeout")
facts["timeout_error_is_builtin"] = asyncio.TimeoutError is TimeoutError
facts["cancelled_error"] = {"base_exception": issubclass(asyncio.CancelledError, BaseException),
                            "exception": issubclass(asyncio.CancelledError, Exception)}
# 06_taskgroup and notebooks/deeper/exception_groups.ipynb (its scripts are run by the tests below)
async def taskgroup_cancel_first_answer():
    order = []

    async def answer(seconds):
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            order.append(f"cancelled {seconds}")
            raise
        order.append(f"answered {seconds}")
        tg.cancel()

    async with asyncio.TaskGroup() as tg:
        for seconds in (0.01, 0.3, 0.2):
            tg.create_task(answer(seconds))
    order.append("after the block")
    return {"order": sorted(order[:-1]) + order[-1:], "cancelling": asyncio.current_task().cancelling()}


facts["taskgroup_cancel_run"] = (asyncio.run(taskgroup_cancel_first_answer())
                                 if hasattr(asyncio.TaskGroup, "cancel") else None)

try:
    compile("try:\n    pass\nexcept* ValueError, TypeError:\n    pass\n", "pep758", "exec")
    facts["except_star_without_parentheses"] = "compiles"
except SyntaxError as exc:
    facts["except_star_without_parentheses"] = "SyntaxError"

try:
    compile("def f():\n    try:\n        pass\n    except* ValueError:\n        return None\n", "ret", "exec")
    facts["return_in_except_star"] = "compiles"
except SyntaxError as exc:
    facts["return_in_except_star"] = "SyntaxError: " + exc.msg

# Lesson 08: `return` in `finally` (PEP 765 warns from 3.14).
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    compile("def f():\n    try:\n        return 1\n    finally:\n        return None\n", "<cell>", "exec")
facts["return_in_finally_warning"] = [f"{w.category.__name__}: {w.message}" for w in caught]
# Lesson 01: gather(list) without the star.
async def gather_a_list():
    async def one():
        return 1
    calls = [one()]
    try:
        await asyncio.gather(calls)
    except TypeError as exc:
        return f"TypeError: {exc}"
    finally:
        calls[0].close()
facts["gather_a_list"] = asyncio.run(gather_a_list())
print(json.dumps(facts))
'''

def interpreters() -> list[Any]:
    """The Python running pytest (make test runs this file on each Python of its matrix), plus any
    X.Y listed in VERSION_CLAIMS_PYTHONS (e.g. "3.12 3.13"), found as tools/lab_env.py finds them."""
    current = f"{sys.version_info[0]}.{sys.version_info[1]}"
    params = [pytest.param(sys.executable, id=current)]
    for minor in os.environ.get("VERSION_CLAIMS_PYTHONS", "").split():
        if minor != current:
            python = find_python(minor)
            missing = pytest.mark.skip(reason=f"VERSION_CLAIMS_PYTHONS names {minor}, but no Python {minor} was found")
            params.append(pytest.param(python, id=minor, marks=[missing] if not python else []))
    return params


@cache
def facts_of(python: str) -> dict:
    done = subprocess.run([python, "-W", "error", "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, f"{python} failed the probe:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(params=interpreters())
def python(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def facts(python: str) -> dict:
    return facts_of(python)


SCRIPTS = Path(__file__).resolve().parent.parent / "notebooks" / "scripts"


@cache
def script_output(python: str, name: str) -> str:
    """What a lesson's script prints on `python` (run from notebooks/, as the lessons run it)."""
    done = subprocess.run([python, "-W", "error", str(SCRIPTS / name)], capture_output=True, text=True,
                          timeout=60, cwd=SCRIPTS.parent)
    assert done.returncode == 0 and not done.stderr, f"{python} {name} failed:\n{done.stderr}"
    return done.stdout


def test_as_completed_async_for_needs_313(facts: dict) -> None:
    got = facts["as_completed_async_for"]
    if tuple(facts["version"]) >= (3, 13):
        assert got == {"works": True, "yields_original_tasks_in_completion_order": [[True, "fast"], [True, "slow"]]}
    else:
        assert got["works"] is False
        assert got["error"].startswith("TypeError: 'async for' requires an object with __aiter__ method")


def test_as_completed_plain_for_yields_new_awaitables(facts: dict) -> None:
    assert facts["as_completed_plain_for_same_object"] is False


def test_as_completed_timeout_raises_and_cancels_nothing(facts: dict) -> None:
    assert facts["as_completed_timeout"] == {"raised": "TimeoutError", "cancelled_by_timeout": False,
                                             "finished_later": "late"}


def test_wait_rejects_bare_coroutines(facts: dict) -> None:
    assert facts["wait_coroutine"] == "TypeError: Passing coroutines is forbidden, use tasks explicitly."


def test_wait_first_exception_cancels_nothing(facts: dict) -> None:
    assert facts["wait_first_exception"] == {"done": 1, "pending": 1, "slow_still_running": True}


def test_asyncio_run_inside_a_running_loop(facts: dict) -> None:
    assert facts["run_in_running_loop"] == "asyncio.run() cannot be called from a running event loop"


def test_eager_task_factory_from_312(facts: dict) -> None:
    assert facts["eager_task_factory"] is (tuple(facts["version"]) >= (3, 12))


def test_taskgroup_cancel_absent_before_315(facts: dict) -> None:
    assert facts["taskgroup_cancel"] is (tuple(facts["version"]) >= (3, 15))


def test_asyncio_timeout_and_timeout_error(facts: dict) -> None:
    assert facts["asyncio_timeout"] is True
    assert facts["timeout_error_is_builtin"] is True


def test_cancelled_error_is_base_exception_only(facts: dict) -> None:
    assert facts["cancelled_error"] == {"base_exception": True, "exception": False}


def test_wait_for_runs_in_the_callers_task_from_312(facts: dict) -> None:
    if tuple(facts["version"]) >= (3, 12):
        assert facts["wait_for_task"] == {"same_task": True, "contextvar_after": "set inside wait_for"}
    else:  # 3.11 wraps the awaitable in a new task, with a copy of the context
        assert facts["wait_for_task"] == {"same_task": False, "contextvar_after": "unset"}


def test_taskgroup_closes_a_refused_coroutine_from_313(facts: dict) -> None:
    refused = facts["taskgroup_refused"]
    assert refused["finished"]["error"] == "RuntimeError: is finished"
    assert refused["shutting_down"]["error"] == "RuntimeError: is shutting down"
    for case in refused.values():
        if tuple(facts["version"]) >= (3, 13):
            assert case["state"] == "CORO_CLOSED" and case["warnings"] == []
        else:
            assert case["state"] == "CORO_CREATED"
            assert case["warnings"] == ["RuntimeWarning: coroutine 'never_awaited' was never awaited"]


def test_swallowing_cancelled_error_inside_timeout_raises_no_timeout_error(facts: dict) -> None:
    assert facts["timeout_swallowed_cancel"] == {"raised": None, "expired": True}


def test_timeout_outside_a_task(facts: dict) -> None:
    assert facts["timeout_outside_task"] == "RuntimeError: Timeout should be used inside a task"


def test_gather_same_coroutine_twice_and_no_arguments(facts: dict) -> None:
    assert facts["gather_edge_cases"] == {"same_coroutine_twice": ["value", "value"], "runs": 1, "no_arguments": []}


def test_gather_return_exceptions_keeps_cancelled_error_which_is_no_exception(facts: dict) -> None:
    assert facts["gather_cancelled_child"] == {"results": ["CancelledError", "ok"], "isinstance_exception": False,
                                               "isinstance_base_exception": True}


def test_taskgroup_keeps_an_outside_cancel_during_a_child_failure_from_313(facts: dict) -> None:
    if tuple(facts["version"]) >= (3, 13):
        assert facts["outside_cancel"] == {"outcome": "cancelled", "progress": ["except*"]}
    else:  # lost: the task runs on after except*
        assert facts["outside_cancel"] == {"outcome": "ran on", "progress": ["except*", "ran on"]}


# -- lesson 00 and notebooks/deeper/tasks_and_futures.ipynb ------------------------------------------

def test_eager_tasks_by_factory_from_312_and_per_task(facts: dict) -> None:
    version = tuple(facts["version"])
    expected = {"default_factory": False,
                "task_eager_start": True if version >= (3, 12) else "TypeError",
                "create_task_eager_start": True if version >= (3, 14) else "TypeError"}
    if version >= (3, 12):
        expected["eager_factory"] = True
    assert facts["eager_tasks"] == expected


def test_call_graph_from_314(facts: dict) -> None:
    assert facts["call_graph"] is (tuple(facts["version"]) >= (3, 14))


def test_return_in_finally_warns_from_314(facts: dict) -> None:
    expected = ["SyntaxWarning: 'return' in a 'finally' block"] if tuple(facts["version"]) >= (3, 14) else []
    assert facts["return_in_finally_warning"] == expected


def test_is_gil_enabled_from_313(facts: dict) -> None:
    assert facts["is_gil_enabled"] is (tuple(facts["version"]) >= (3, 13))


@pytest.mark.parametrize("python", interpreters())
def test_gather_without_a_loop_by_version(python: str) -> None:
    """notebooks/scripts/gather_without_a_loop.py: 3.11 makes a loop quietly, 3.12 and 3.13 warn, 3.14+ raise."""
    script = Path(__file__).resolve().parent.parent / "notebooks" / "scripts" / "gather_without_a_loop.py"
    done = subprocess.run([python, "-W", "error", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    major, minor = (int(part) for part in done.stdout.split(":")[0].removeprefix("Python ").split("."))
    lines = done.stdout.splitlines()
    future = [f"Python {major}.{minor}: gather() gave back a Future, already done: True | its result: []",
              "the loop it belongs to is running: False"]
    if (major, minor) >= (3, 14):
        assert lines == [f"Python {major}.{minor}: gather() raised RuntimeError: "
                         "There is no current event loop in thread 'MainThread'.", "warnings: none"]
    elif (major, minor) >= (3, 12):
        assert lines == [*future, "warnings: DeprecationWarning: There is no current event loop"]
    else:
        assert lines == [*future, "warnings: none"]


# -- lessons 05 and 06, notebooks/deeper/exception_groups.ipynb ---------------------------------------

def test_eager_parse_batch_per_python(facts: dict, python: str) -> None:
    """notebooks/scripts/06_eager_parse.py: both clauses run with the default factory; with eager tasks
    3.12 and 3.13 refuse the next create_task, 3.14+ run both clauses as well."""
    lines = script_output(python, "06_eager_parse.py").splitlines()
    assert lines[1] == "default task factory, except* clauses that ran: ['ValueError', 'TypeError']"
    eager = "eager_task_factory,   except* clauses that ran: "
    version = tuple(facts["version"])
    if version < (3, 12):
        assert lines[2] == "eager_task_factory: not in this Python (it arrived in 3.12)"
    elif version < (3, 14):
        assert lines[2] == eager + "['ValueError', 'RuntimeError (is shutting down)']"
    else:
        assert lines[2] == eager + "['ValueError', 'TypeError']"


def test_taskgroup_cancel_ends_the_block_quietly_from_315(facts: dict) -> None:
    """06: tg.cancel() from the first task to answer cancels the others; the block ends without raising."""
    if tuple(facts["version"]) >= (3, 15):
        assert facts["taskgroup_cancel_run"] == {
            "order": ["answered 0.01", "cancelled 0.2", "cancelled 0.3", "after the block"], "cancelling": 0}
    else:
        assert facts["taskgroup_cancel_run"] is None


def test_except_star_without_parentheses_from_314(facts: dict) -> None:
    """PEP 758: `except* A, B:` compiles on 3.14+, a SyntaxError before."""
    expected = "compiles" if tuple(facts["version"]) >= (3, 14) else "SyntaxError"
    assert facts["except_star_without_parentheses"] == expected


def test_return_in_except_star_is_a_syntax_error(facts: dict) -> None:
    assert facts["return_in_except_star"].startswith("SyntaxError: ")
    assert "except*" in facts["return_in_except_star"]


def test_interrupts_come_out_bare_and_asyncio_run_raises_them(python: str) -> None:
    """notebooks/scripts/06_interrupts_come_out_bare.py: main's except sees the child's KeyboardInterrupt
    or SystemExit bare, and asyncio.run() raises it again to the except around it."""
    expected = []
    for exc in ("KeyboardInterrupt()", "SystemExit(3)"):
        expected += [f"a child raised {exc}:", f"  the except inside main() caught {exc}",
                     f"  the except around asyncio.run() caught {exc}, the child's own: True"]
    assert script_output(python, "06_interrupts_come_out_bare.py").splitlines() == expected
def test_queue_shutdown_from_313(facts: dict) -> None:
    """15: on 3.13+ a shut-down queue still hands out its items, then get() and put() raise QueueShutDown;
    before 3.13 there is neither shutdown() nor QueueShutDown, and a sentinel stops the workers."""
    if tuple(facts["version"]) >= (3, 13):
        assert facts["queue_shutdown"] == {"exists": True, "first_get": 1,
                                           "raised": {"get": "QueueShutDown", "put": "QueueShutDown"}}
    else:
        assert facts["queue_shutdown"] == {"exists": False, "queue_shut_down": False}
def test_call_graph_from_314_and_the_task_repr_before(facts: dict) -> None:
    got = facts["call_graph_shown"]
    assert got["repr_names_gathers_callback"] is True  # the tool before 3.14: the task's repr
    if tuple(facts["version"]) >= (3, 14):
        assert got["functions"] == [True, True, True]
        assert got["children_awaited_by"] == ["parent", "parent"]
        assert got["child_stack"] == ["sleep", "child"]
        assert got["formats"] is True
        assert got["leftover_awaited_by"] == 0  # a default gather's leftover: nobody awaits it
    else:
        assert got["functions"] == [False, False, False]
        assert "children_awaited_by" not in got


def test_asyncio_ps_and_pstree_commands_from_314(facts: dict) -> None:
    want = "usage" if tuple(facts["version"]) >= (3, 14) else "asyncio REPL"
    assert facts["asyncio_commands"] == {"ps": want, "pstree": want}


def test_gather_one_cancelled_child_raises_into_an_uncancelled_caller(facts: dict) -> None:
    assert facts["gather_one_cancelled_child"] == {"raised": "CancelledError", "done": [True, False, False],
                                                   "cancelling": 0, "siblings": [1, 2]}


def test_gather_of_a_list_is_a_type_error(facts: dict) -> None:
    """01: forgetting the * hands gather one list; the message names it unhashable, worded anew in 3.14."""
    if tuple(facts["version"]) >= (3, 14):
        assert facts["gather_a_list"] == "TypeError: cannot use 'list' as a dict key (unhashable type: 'list')"
    else:
        assert facts["gather_a_list"] == "TypeError: unhashable type: 'list'"
