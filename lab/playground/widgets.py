"""The playground's widgets: sliders, a strategy menu, Run and Stop around run_batch.

    playground = Playground()                                   # the six strategies
    playground = Playground(strategies={"mine": my_strategy})  # and one of yours in the menu
    playground                                                  # show it
    summary = await playground.run(strategy="gather", n=20, fail_rate=0.2, seed=1)   # what Run does

Run schedules the batch as a task on the kernel's event loop and keeps a reference to it; Run is
disabled while it runs; Stop cancels it and every request it started, so nothing keeps running
behind your back.

CSS classes of the widgets (stable names, for styling and browser tests):
    playground             the whole interface (a VBox)
    playground-n, playground-latency, playground-jitter, playground-fail-rate, playground-seed,
    playground-strategy, playground-k                                   the controls
    playground-run         the Run button          playground-stop      the Stop button
    playground-progress    the progress bar        playground-status    the live status line
    playground-code        the selected strategy's code (read from the function: code_of)
    playground-timeline    an Output widget holding the timeline as an image/png output
    playground-summary     the summary of the last run
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import fakeapi

from .runner import Run, Settings, Summary, run_batch
from .strategies import STRATEGIES, STRATEGY_NAMES, Strategy, code_of


class Playground:
    """Sliders, a strategy menu, Run and Stop around run_batch; shows progress, a timeline and a summary."""

    def __init__(self, api: fakeapi.FakeAPI | None = None, strategies: dict[str, Strategy] | None = None,
                 **defaults: Any) -> None:
        """`strategies` adds your own to the menu: Playground(strategies={"mine": my_strategy})."""
        import ipywidgets as w

        self.api = api or fakeapi.start()
        self.strategies: dict[str, Strategy] = {**STRATEGIES, **(strategies or {})}
        self.names = {key: STRATEGY_NAMES.get(key) or f"{key} (yours)" for key in self.strategies}
        self._loop = asyncio.get_running_loop()  # build it in a notebook cell: Run schedules tasks here
        self._task: asyncio.Task[Summary] | None = None
        self._run: Run | None = None
        self.summary: Summary | None = None
        d = Settings(**defaults)
        style = {"description_width": "110px"}
        layout = w.Layout(width="420px")
        self.n = w.IntSlider(d.n, min=1, max=50, description="requests", style=style, layout=layout)
        self.latency = w.FloatSlider(d.latency, min=0.05, max=3.0, step=0.05, description="latency (s)",
                                     style=style, layout=layout)
        self.jitter = w.FloatSlider(d.jitter, min=0.0, max=1.0, step=0.05, description="jitter (s)",
                                    style=style, layout=layout)
        self.fail_rate = w.FloatSlider(d.fail_rate, min=0.0, max=1.0, step=0.05, description="fail rate",
                                       style=style, layout=layout)
        self.seed = w.IntSlider(d.seed, min=0, max=99, description="seed", style=style, layout=layout)
        self.strategy = w.Dropdown(options=[(name, key) for key, name in self.names.items()], value=d.strategy,
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
        bundle["text/plain"] = f"Playground: {len(self.strategies)} strategies, Run fires a batch at {self.api.url}"
        return bundle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def settings(self) -> Settings:
        """The sliders' values; the strategy as the menu's name (one of STRATEGIES) or your function."""
        key = self.strategy.value
        return Settings(strategy=key if key in STRATEGIES else self.strategies[key], n=self.n.value,
                        latency=self.latency.value, jitter=self.jitter.value, fail_rate=self.fail_rate.value,
                        seed=self.seed.value, k=self.k.value)

    # the one way a run starts: the Run button calls start(), and so does run()
    def start(self, **settings: Any) -> asyncio.Task[Summary]:
        """Set the controls from `settings` (names as in Settings), then start a run as a task on the loop."""
        if self.running:
            raise RuntimeError("a run is going on: wait for it, or press Stop")
        if "strategy" in settings and settings["strategy"] not in self.strategies:
            raise ValueError(f"strategy must be one of {list(self.strategies)}, got {settings['strategy']!r}")
        # values checked first
        Settings(**{**vars(self.settings()), **{k: v for k, v in settings.items() if k != "strategy"}})
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

        code = code_of(self.strategies[self.strategy.value])
        self.code.value = (f"<pre style='margin:0 0 0 16px;font-size:85%'>{html.escape(code)}"
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
