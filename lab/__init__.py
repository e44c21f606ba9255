"""Notebook plumbing for the asyncio lab: reading the journal, drawing it, checking exercises.

Nothing here hides a concept a lesson teaches: requests are always written out in the notebooks.
"""

from .checks import CheckFailed, NotSolvedYet, Observation, observe, passed
from .compare import BatchRun, comparison_table, measure_batch
from .journal import all_overlapped, label, max_in_flight, outcomes, overlapped, show_journal
from .kernel import notebook_session, still_running, stop_everything
from .logs import Stopwatch, timed_logger
from .showing import asyncio_debug, show_warnings
from .timeline import in_flight_chart, timeline

__all__ = ["CheckFailed", "NotSolvedYet", "Observation", "all_overlapped", "in_flight_chart", "label",
           "max_in_flight", "notebook_session", "observe", "outcomes", "overlapped", "passed", "show_journal",
           "still_running", "stop_everything", "timeline"]
__all__ += ["BatchRun", "Stopwatch", "comparison_table", "measure_batch", "timed_logger"]  # 05, 06
__all__ += ["asyncio_debug", "show_warnings"]  # lesson 01

# Importing lab changes nothing in the kernel: the Stop wake-up and the display of summarised figures
# are the kernel's own set-up (lab_setup, configured in the environment by tools/lab_env.py).
