"""Typed application state, stored in the app under one key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .data import Dataset, make_dataset
from .journal import JOURNAL_SIZE, Journal
from .typedefs import Route


@dataclass
class State:
    seed: int = 0
    latency_scale: float = 1.0
    journal_size: int = JOURNAL_SIZE
    data: Dataset = field(init=False)
    journal: Journal = field(init=False)
    routes: list[Route] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    next_notification_id: int = 1  # taken when a POST arrives, so concurrent POSTs never share an id
    in_flight_by_route: dict[str, int] = field(default_factory=dict)  # for max_concurrent
    url_counts: dict[str, int] = field(default_factory=dict)  # how often each URL with random draws was seen
    rate_windows: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)  # rate_limit: [start, count]

    def __post_init__(self) -> None:
        self.data = make_dataset(self.seed)
        self.journal = Journal(self.journal_size)

    def reconfigure(self, seed: int, latency_scale: float) -> None:
        if seed != self.seed:
            self.seed = seed
            self.data = make_dataset(seed)
        self.latency_scale = latency_scale

    def clear_notifications(self) -> None:
        self.notifications.clear()
        self.next_notification_id = 1

    def clear_journal(self) -> None:
        """Clear the journal and what counts from it (each URL's count of the seeded draws and fail_first,
        the rate_limit windows), so an experiment can be repeated: DELETE /_journal, api.clear_journal()."""
        self.journal.clear()
        self.url_counts.clear()
        self.rate_windows.clear()


STATE = web.AppKey("state", State)
