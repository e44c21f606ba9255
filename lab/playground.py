"""The widget playground of 12_playground: fire a batch of requests with one strategy, watch it run.

    from lab.playground import Playground
    playground = Playground()          # sliders, a strategy menu, Run and Stop
    playground                         # show it
    summary = await playground.run(strategy="gather", n=20, fail_rate=0.2, seed=1)   # what Run does

Two layers, both meant to be read:
- `fire(session, url, settings, ...)` runs one batch with one strategy, in plain asyncio: no widgets.
  STRATEGY_CODE shows each strategy exactly as `STRATEGIES` runs it.
- `Playground` puts widgets around it. Run schedules the batch as a task on the kernel's event
  loop and keeps a reference to it; Run is disabled while it runs; Stop cancels it and every
  request it started, so nothing keeps running behind your back.

CSS classes of the widgets (stable names, for styling and browser tests):
    playground             the whole interface (a VBox)
    playground-n, playground-latency, playground-jitter, playground-fail-rate, playground-seed,
    playground-strategy, playground-k                                   the controls
    playground-run         the Run button          playground-stop      the Stop button
    playground-progress    the progress bar        playground-status    the live status line
    playground-code        the selected strategy's code
    playground-timeline    an Output widget holding the timeline as an image/png output
    playground-summary     the summary of the last run
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import aiohttp

import fakeapi

from .journal import Entry, max_in_flight
from .timeline import timeline

Job = Callable[[], Awaitable[Any]]


# ---- the strategies: each gets the batch as a list of jobs (call one to get its coroutine) ----

async def sequential(jobs: list[Job], k: int) -> None:
    for job in jobs:
        await job()


async def gather(jobs: list[Job], k: int) -> None:
    await asyncio.gather(*(job() for job in jobs))


async def gather_return_exceptions(jobs: list[Job], k: int) -> None:
    await asyncio.gather(*(job() for job in jobs), return_exceptions=True)


async def taskgroup(jobs: list[Job], k: int) -> None:
    async with asyncio.TaskGroup() as tg:
        for job in jobs:
            tg.create_task(job())


async def semaphore(jobs: list[Job], k: int) -> None:
    limit = asyncio.Semaphore(k)

    async def limited(job: Job) -> Any:
        async with limit:
            return await job()

    await asyncio.gather(*(limited(job) for job in jobs), return_exceptions=True)


async def as_completed(jobs: list[Job], k: int) -> None:
    for next_done in asyncio.as_completed([job() for job in jobs]):
        try:
            await next_done
        except Exception:
            pass  # counted as failed by the job itself; the loop goes on with the next one


STRATEGIES: dict[str, Callable[[list[Job], int], Awaitable[None]]] = {
    "sequential": sequential,
    "gather": gather,
    "gather_return_exceptions": gather_return_exceptions,
    "taskgroup": taskgroup,
    "semaphore": semaphore,
    "as_completed": as_completed,
}

STRATEGY_NAMES = {  # what the menu shows
    "sequential": "sequential (await one by one)",
    "gather": "gather",
    "gather_return_exceptions": "gather(return_exceptions=True)",
    "taskgroup": "TaskGroup",
    "semaphore": "gather under Semaphore(k)",
    "as_completed": "as_completed",
}

STRATEGY_CODE = {
    "sequential": "for job in jobs:\n    await job()        # the first failure stops the loop",
    "gather": "await asyncio.gather(*(job() for job in jobs))\n"
              "# the first failure raises; the others keep running",
    "gather_return_exceptions": "await asyncio.gather(*(job() for job in jobs), return_exceptions=True)\n"
                                "# failures come back as results; nothing is cancelled",
    "taskgroup": "async with asyncio.TaskGroup() as tg:\n    for job in jobs:\n        tg.create_task(job())\n"
                 "# the first failure cancels the others",
    "semaphore": "limit = asyncio.Semaphore(k)\n\nasync def limited(job):\n    async with limit:\n"
                 "        return await job()\n\n"
                 "await asyncio.gather(*(limited(job) for job in jobs), return_exceptions=True)",
    "as_completed": "for next_done in asyncio.as_completed([job() for job in jobs]):\n    try:\n"
                    "        await next_done    # in finishing order\n    except Exception:\n        pass",
}


# ---- one batch, without widgets -----------------------------------------------------------------

@dataclass
class Settings:
    strategy: str = "gather"
    n: int = 10
    latency: float = 0.3
    jitter: float = 0.0
    fail_rate: float = 0.0
    seed: int = 0
    k: int = 3

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {self.strategy!r}")
        if not 1 <= self.n <= 100:
            raise ValueError(f"n must be from 1 to 100, got {self.n!r}")
        if self.k < 1:
            raise ValueError(f"k must be 1 or more, got {self.k!r}")

    def path(self, i: int) -> str:
        """Request i of the batch: a todo, answered after `latency` (+ jitter), failing at `fail_rate`.

        Each request has its own seed (seed + i), so which ones fail depends only on the settings.
        """
        return (f"/todos/{i % 10 + 1}?delay={self.latency:g}&jitter={self.jitter:g}"
                f"&fail_rate={self.fail_rate:g}&seed={self.seed + i}")


@dataclass
class Run:
    """One run in progress: each request's outcome so far, and what the strategy raised."""

    settings: Settings
    outcomes: list[str] = field(default_factory=list)  # "not started", "running", "ok", "failed", "cancelled"
    started: float = 0.0
    raised: str | None = None
    raised_at: float | None = None
    stop_requested: bool = False
    stopped: bool = False

    def __post_init__(self) -> None:
        self.outcomes = ["not started"] * self.settings.n

    def count(self, outcome: str) -> int:
        return self.outcomes.count(outcome)


@dataclass
class Summary:
    """What one run did: the client's count of outcomes, and the server's journal."""

    run: Run
    elapsed: float
    max_in_flight: int
    entries: list[Entry] = field(default_factory=list, repr=False)

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def count(self, outcome: str) -> int:
        return self.run.count(outcome)

    def __str__(self) -> str:
        s, run = self.settings, self.run
        lines = [STRATEGY_NAMES[s.strategy] + (f" with k={s.k}" if s.strategy == "semaphore" else "")
                 + f": {s.n} requests of {s.latency:.2f} s" + (f" + jitter up to {s.jitter:.2f} s" if s.jitter else "")
                 + f", fail_rate {s.fail_rate:g}, seed {s.seed}"]
        if run.stopped:
            lines.append("stopped by you: every request still running was cancelled")
        elif run.raised and run.raised_at is not None:
            lines.append(f"the strategy raised {run.raised} after {run.raised_at - run.started:.2f} s")
        lines.append(f"ok {self.count('ok')} · failed {self.count('failed')} · cancelled {self.count('cancelled')}"
                     f" · not started {self.count('not started')} · max in flight {self.max_in_flight}"
                     f" · elapsed {self.elapsed:.2f} s")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def figure(self) -> Any:
        """The run's timeline: one bar per request (labelled #i), colored by how it ended."""
        s, run = self.settings, self.run
        labels = [f"#{int(e['query'].get('seed', s.seed)) - s.seed}" for e in self.entries]
        marks = {}
        if run.raised and run.raised_at is not None:
            marks[f"{run.raised} raised"] = run.raised_at
        if run.stopped and run.raised_at is not None:
            marks["Stop"] = run.raised_at
        title = f"{STRATEGY_NAMES[s.strategy]}: {s.n} requests, at most {self.max_in_flight} in flight"
        return timeline(self.entries, title=title, marks=marks, labels=labels)


async def fire(session: aiohttp.ClientSession, base_url: str, run: Run,
               on_change: Callable[[Run], None] | None = None) -> None:
    """Run the batch with run.settings.strategy, recording each request's outcome in `run`.

    Requests the strategy leaves running (gather's others after a failure) are awaited, and
    cancelled if this coroutine is cancelled: when fire is over, nothing it started is running.
    """
    settings = run.settings
    running: set[asyncio.Task[Any]] = set()
    closing = False  # set once fire is cancelled: a request that had not begun yet never begins

    def mark(i: int, outcome: str) -> None:
        run.outcomes[i] = outcome
        if on_change is not None:
            on_change(run)

    async def request(i: int) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        mark(i, "running")
        try:
            if closing:
                raise asyncio.CancelledError
            async with session.get(base_url + settings.path(i)) as response:
                response.raise_for_status()
                await response.read()
        except asyncio.CancelledError:
            mark(i, "cancelled")
            raise
        except Exception:
            mark(i, "failed")
            raise
        else:
            mark(i, "ok")
        finally:
            running.discard(task)

    def job(i: int) -> Job:
        return lambda: request(i)

    try:
        await STRATEGIES[settings.strategy]([job(i) for i in range(settings.n)], settings.k)
    except Exception as exc:  # an ExceptionGroup from TaskGroup too
        run.raised, run.raised_at = type(exc).__name__, time.monotonic()
    except asyncio.CancelledError:
        run.raised_at = time.monotonic()
        closing = True
        for task in running:
            task.cancel()
        raise
    finally:
        while running:  # gather's other requests run on after a failure: wait for them, as the loop would
            await asyncio.gather(*running, return_exceptions=True)


async def run_batch(run: Run | Settings, api: fakeapi.FakeAPI | None = None,
                    on_change: Callable[[Run], None] | None = None) -> Summary:
    """One complete run on a clean journal: fire the batch, wait until the server is idle, summarize.

    Setting run.stop_requested before cancelling the task running this makes it a Stop: the
    requests are cancelled and a summary is still returned.
    """
    run = run if isinstance(run, Run) else Run(run)
    api = api or fakeapi.start()
    run.started = time.monotonic()
    try:
        await api.wait_idle()
        api.clear_journal()
        run.started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            await fire(session, api.url, run, on_change)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not run.stop_requested or task is None:
            raise
        task.uncancel()
        run.stopped = True
        run.raised_at = run.raised_at or time.monotonic()
    elapsed = time.monotonic() - run.started
    await api.wait_idle()
    entries = api.journal()
    return Summary(run, elapsed, max_in_flight(entries), entries)


# ---- the widgets --------------------------------------------------------------------------------

class Playground:
    """Sliders, a strategy menu, Run and Stop around run_batch; shows progress, a timeline and a summary."""

    def __init__(self, api: fakeapi.FakeAPI | None = None, **defaults: Any) -> None:
        import ipywidgets as w

        self.api = api or fakeapi.start()
        self._loop = asyncio.get_running_loop()  # build it in a notebook cell: Run schedules tasks here
        self._task: asyncio.Task[Summary] | None = None
        self._run: Run | None = None
        self.summary: Summary | None = None
        d = Settings(**defaults)
        style = {"description_width": "110px"}
        layout = w.Layout(width="420px")
        self.n = w.IntSlider(d.n, min=1, max=50, description="requests", style=style, layout=layout)
        self.latency = w.FloatSlider(d.latency, min=0.05, max=1.0, step=0.05, description="latency (s)",
                                     style=style, layout=layout)
        self.jitter = w.FloatSlider(d.jitter, min=0.0, max=1.0, step=0.05, description="jitter (s)",
                                    style=style, layout=layout)
        self.fail_rate = w.FloatSlider(d.fail_rate, min=0.0, max=1.0, step=0.05, description="fail rate",
                                       style=style, layout=layout)
        self.seed = w.IntSlider(d.seed, min=0, max=99, description="seed", style=style, layout=layout)
        self.strategy = w.Dropdown(options=[(name, key) for key, name in STRATEGY_NAMES.items()], value=d.strategy,
                                   description="strategy", style=style, layout=layout)
        self.k = w.IntSlider(d.k, min=1, max=10, description="k (Semaphore)", style=style, layout=layout)
        self.run_button = w.Button(description="Run", button_style="success", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.progress = w.IntProgress(0, min=0, max=d.n, description="done", style=style, layout=layout)
        self.status = w.Label("ready: choose a strategy and press Run")
        self.code = w.HTML()
        self.timeline_output = w.Output(layout=w.Layout(min_height="60px"))
        self.summary_text = w.HTML("<pre>no run yet</pre>")
        for widget, name in [(self.n, "n"), (self.latency, "latency"), (self.jitter, "jitter"),
                             (self.fail_rate, "fail-rate"), (self.seed, "seed"), (self.strategy, "strategy"),
                             (self.k, "k"), (self.run_button, "run"), (self.stop_button, "stop"),
                             (self.progress, "progress"), (self.status, "status"), (self.code, "code"),
                             (self.timeline_output, "timeline"), (self.summary_text, "summary")]:
            widget.add_class(f"playground-{name}")
        self.strategy.observe(self._show_code, names="value")
        self._show_code()
        self.run_button.on_click(self._click_run)
        self.stop_button.on_click(self._click_stop)
        controls = w.VBox([self.strategy, self.k, self.n, self.latency, self.jitter, self.fail_rate, self.seed])
        self.ui = w.VBox([w.HBox([controls, self.code]), w.HBox([self.run_button, self.stop_button]),
                          self.progress, self.status, self.timeline_output, self.summary_text])
        self.ui.add_class("playground")

    # what the notebook shows
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.ui._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"Playground: {len(STRATEGIES)} strategies, Run fires a batch at {self.api.url}"
        return bundle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def settings(self) -> Settings:
        return Settings(strategy=self.strategy.value, n=self.n.value, latency=self.latency.value,
                        jitter=self.jitter.value, fail_rate=self.fail_rate.value, seed=self.seed.value, k=self.k.value)

    # the one way a run starts: the Run button calls start(), and so does run()
    def start(self, **settings: Any) -> asyncio.Task[Summary]:
        """Set the controls from `settings` (names as in Settings), then start a run as a task on the loop."""
        if self.running:
            raise RuntimeError("a run is going on: wait for it, or press Stop")
        Settings(**{**vars(self.settings()), **settings})  # check the values before touching a widget
        for name, value in settings.items():
            control = getattr(self, name)
            if hasattr(control, "max") and not control.min <= value <= control.max:
                raise ValueError(f"{name} must be from {control.min} to {control.max} on the sliders, got {value!r}")
        for name, value in settings.items():
            getattr(self, name).value = value
        self._run = Run(self.settings())
        self._task = self._loop.create_task(self._execute(self._run))  # kept: the loop holds only weak references
        self._task.add_done_callback(self._finished)
        return self._task

    async def run(self, **settings: Any) -> Summary:
        """What the Run button does, awaited: `summary = await playground.run(strategy="gather", n=20)`."""
        return await self.start(**settings)

    def stop(self) -> None:
        """What the Stop button does: cancel the run and every request it started (a summary still comes)."""
        if self.running and self._run is not None and self._task is not None:
            self._run.stop_requested = True
            self._task.cancel()

    # behind the buttons
    def _click_run(self, button: Any) -> None:
        self._loop.call_soon_threadsafe(self._start_from_button)

    def _start_from_button(self) -> None:
        try:
            self.start()
        except (RuntimeError, ValueError) as exc:
            self.status.value = f"not started: {exc}"

    def _click_stop(self, button: Any) -> None:
        self._loop.call_soon_threadsafe(self.stop)

    def _show_code(self, change: Any = None) -> None:
        import html

        self.code.value = (f"<pre style='margin:0 0 0 16px;font-size:85%'>{html.escape(STRATEGY_CODE[self.strategy.value])}"
                           "</pre>")

    def _busy(self, busy: bool) -> None:
        self.run_button.disabled = busy
        self.stop_button.disabled = not busy
        for control in (self.n, self.latency, self.jitter, self.fail_rate, self.seed, self.strategy, self.k):
            control.disabled = busy

    def _progress(self, run: Run) -> None:
        done = run.count("ok") + run.count("failed") + run.count("cancelled")
        self.progress.value = done
        self.status.value = (f"running: {done}/{run.settings.n} done · {run.count('running')} in flight · "
                             f"{run.count('failed')} failed · {run.count('cancelled')} cancelled")

    async def _execute(self, run: Run) -> Summary:
        self._busy(True)
        self.progress.max, self.progress.value = run.settings.n, 0
        self.status.value = "starting"
        try:
            summary = await run_batch(run, self.api, on_change=self._progress)
            self.summary = summary
            self._show(summary)
            return summary
        finally:
            self._busy(False)

    def _show(self, summary: Summary) -> None:
        from IPython.display import Image

        figure = summary.figure()
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=90)
        self.timeline_output.outputs = ()
        self.timeline_output.append_display_data(Image(data=png.getvalue(), format="png"))
        self.summary_text.value = f"<pre>{summary}</pre>"
        self.status.value = "stopped" if summary.run.stopped else "done"

    def _finished(self, task: asyncio.Task[Summary]) -> None:
        if task.cancelled():
            self.status.value = "cancelled"
        elif task.exception() is not None:  # retrieved here, so a Run click never logs "never retrieved"
            self.status.value = f"failed: {type(task.exception()).__name__}: {task.exception()}"
