"""How the lab sets up Jupyter: this module is the kernel's IPython extension (`import lab` is not needed);
workspace.py makes the learner's copies of the lessons; server.py is the server's contents manager.

tools/lab_env.py configures every kernel of the lab's environment to load this IPython extension
(`<env>/etc/ipython/ipython_kernel_config.py`: `c.InteractiveShellApp.extensions.append("lab_setup")`),
so it applies to every notebook of that kernel, a learner's new one included, and to nothing outside
that environment (never the learner's home directory). It does two things:

- **Stop reaches a cell while it awaits** (`install_stop_wakeup`, run before each cell; see
  lab/kernel.py for why ipykernel needs it).
- **A figure with a one-line summary** (`fig.lab_summary`, set by lab.timeline and by lessons that
  draw their own) is shown as its PNG image and then its summary as text (`show_figures`). It is
  registered by name for matplotlib's Figure, so matplotlib is not imported until a figure is shown;
  a figure without a summary is displayed as matplotlib and IPython would display it anyway.

This module imports nothing heavy (no lab, no matplotlib): it runs at every kernel start.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import sys
import threading
import weakref
from typing import Any

__all__ = ["install_stop_wakeup", "load_ipython_extension", "show_figures"]

_WAKE_SIGNAL = getattr(signal, "SIGWINCH", None)
_woken_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def install_stop_wakeup() -> bool:
    """Make Stop (a kernel interrupt) reach a cell while it awaits. True if the wake-up is in place.

    Registers a no-op SIGWINCH handler through the running loop, which makes asyncio install its
    self-pipe as the process's wake-up fd: every signal, SIGINT included, then wakes the selector.
    Idempotent. A no-op (False) outside a Jupyter kernel, off the main thread, with no running
    loop, or where the loop cannot add signal handlers (Windows).
    """
    if _WAKE_SIGNAL is None or threading.current_thread() is not threading.main_thread() or not _in_kernel():
        return False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    if loop in _woken_loops:
        return True
    try:
        loop.add_signal_handler(_WAKE_SIGNAL, _nothing)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    _woken_loops.add(loop)
    return True


def _nothing() -> None:
    """The SIGWINCH handler: nothing to do; registering it is what installs the wake-up fd."""


def _show_summarised_figure(fig: Any) -> bool:
    """Display a Figure that carries `lab_summary` as PNG, then the summary as text; any other Figure as
    IPython would without this printer. The result tells whether the summary was shown."""
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    summary = getattr(fig, "lab_summary", None)
    png = print_figure(fig, "png", bbox_inches="tight") if summary else None
    if png is None:  # not summarised, or nothing drawn: what IPython shows without this printer
        _show_as_ipython_would(fig)
        return False
    display({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": summary}, raw=True)
    display({"text/plain": summary}, raw=True)
    return True


def _show_as_ipython_would(obj: Any) -> None:
    from IPython import get_ipython
    from IPython.display import display

    formatter = get_ipython().display_formatter
    formatter.ipython_display_formatter.enabled = False
    try:
        data, metadata = formatter.format(obj)
    finally:
        formatter.ipython_display_formatter.enabled = True
    display(data, raw=True, metadata=metadata)


def show_figures(shell: Any) -> None:
    """In this IPython shell, show summarised matplotlib Figures as image + summary (see the docstring)."""
    shell.display_formatter.ipython_display_formatter.for_type_by_name(
        "matplotlib.figure", "Figure", _show_summarised_figure)


def load_ipython_extension(shell: Any) -> None:
    """IPython calls this when the kernel starts (the environment's ipython_kernel_config.py)."""
    shell.events.register("pre_run_cell", _before_each_cell)
    show_figures(shell)


def _before_each_cell(*_: Any) -> None:
    install_stop_wakeup()
