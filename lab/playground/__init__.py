"""The widget playground of 12_playground, in three layers, each its own module:

- `strategies`: the six strategies, plain asyncio; `code_of(fn)` shows a strategy's code, read from it.
- `runner`: one batch with one strategy, no widgets (`Settings`, `run_batch`, `fire`, `Summary`).
- `widgets`: `Playground`, the sliders and buttons around `run_batch`.

A strategy of your own is passed in (`Settings(strategy=my_strategy)`, `Playground(strategies=...)`),
never written into these modules' tables.
"""

from .runner import Run, Settings, Summary, fire, run_batch
from .strategies import STRATEGIES, STRATEGY_CODE, STRATEGY_NAMES, Job, Strategy, code_of, name_of
from .widgets import Playground

__all__ = ["Job", "Playground", "Run", "STRATEGIES", "STRATEGY_CODE", "STRATEGY_NAMES", "Settings", "Strategy",
           "Summary", "code_of", "fire", "name_of", "run_batch"]
