"""Show exception groups in Jupyter as errors, like any other exception.

IPython 9 cannot yet format an ExceptionGroup with its own traceback printer: it falls back to
printing the standard traceback as plain text on stderr, and sends no error (no name, no value)
to the notebook. That text holds the kernel's temporary file names, which change on every run,
so a notebook that shows a failing TaskGroup could never be compared by nbval.
`show_exception_groups()` hands exception groups to a handler that sends them as a normal error:
the name and message of the group, and the standard traceback with every sub-exception.
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Any


def _as_error(shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None,
              tb_offset: int | None = None) -> list[str]:
    frames = tb.tb_next if tb is not None and tb.tb_next is not None else tb  # skip IPython's own run_code frame
    stb = "".join(traceback.format_exception(etype, value, frames)).rstrip("\n").splitlines()
    shell._showtraceback(etype, value, stb)  # what IPython does for every other exception: an error output
    return stb


def show_exception_groups() -> None:
    """In IPython, display a BaseExceptionGroup that escapes a cell as an error output. Elsewhere, nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((BaseExceptionGroup,), _as_error)
