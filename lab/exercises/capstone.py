"""Checks and parts for 11_capstone_dashboard: a dashboard of six panels that survives its services.

    from lab.exercises.capstone import PANELS, PANEL_TIMEOUT, Panel, Dashboard, troubled_session

PANELS names each panel and the path it reads; Panel is one panel's record (ok, failed with a
reason, or timed out); Dashboard(panels) draws them as HTML cards. troubled_session(trouble)
is an ordinary aiohttp.ClientSession that adds chaos parameters to the paths you name, so a
dashboard written for healthy services can be tried against broken ones without changing a URL.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    Observation,
    all_together,
    check_server,
    check_session,
    observe,
    passed,
    require_async,
)
from lab.journal import label

PANEL_TIMEOUT = 0.6  # seconds one panel may take before it shows "timed out"

PANELS = {  # panel name -> the path it reads, with {user_id} filled in
    "profile": "/users/{user_id}",
    "orders": "/users/{user_id}/orders?limit=3",
    "settings": "/users/{user_id}/settings",
    "payments": "/payments?user={user_id}",
    "reviews": "/reviews?user={user_id}",
    "notifications": "/notifications",
}

STATUSES = ("ok", "failed", "timed out")


@dataclass
class Panel:
    """One panel of the dashboard: status is "ok" (with data), "failed" or "timed out" (with a reason)."""

    name: str
    status: str
    data: Any = None
    reason: str = ""


def troubled_session(trouble: dict[str, dict[str, str]], **session_args: Any) -> aiohttp.ClientSession:
    """A ClientSession whose requests to the paths in `trouble` carry those chaos parameters.

    troubled_session({"/payments": {"delay": "30"}}) makes every GET /payments take 30 s; the
    journal shows the parameters, so you can always see what was asked of the server.
    """

    async def add_trouble(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        params = trouble.get(request.url.path)
        if params:
            request.url = request.url.update_query(params)
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(add_trouble,), **session_args)


# ---- drawing the dashboard --------------------------------------------------------------------

STATUS_STYLE = {"ok": ("#e8f5e9", "#2e7d32", "● ok"), "failed": ("#ffebee", "#c62828", "● failed"),
                "timed out": ("#fff3e0", "#ef6c00", "● timed out")}


def summary(name: str, data: Any) -> str:
    """One line that a dashboard card shows for a panel's data."""
    if name == "profile" and isinstance(data, dict):
        return f"{data.get('name')} · {data.get('city')} · member since {data.get('member_since')}"
    if name == "settings" and isinstance(data, dict):
        return f"theme {data.get('theme')} · language {data.get('language')} · {data.get('timezone')}"
    if isinstance(data, list):
        if name in ("orders", "payments") and all(isinstance(r, dict) and "amount" in r for r in data):
            total = sum(r["amount"] for r in data)
            return f"{len(data)} {name} · total {total:.2f}"
        if name == "reviews" and all(isinstance(r, dict) and "rating" in r for r in data):
            stars = ", ".join(f"{r['rating']}★" for r in data)
            return f"{len(data)} reviews · {stars}" if data else "no reviews yet"
        return f"{len(data)} {name}" if data else f"no {name}"
    return repr(data)[:80]  # plain text: the HTML card escapes it, once


class Dashboard:
    """Panels drawn as cards (HTML in Jupyter, one line per panel as text)."""

    def __init__(self, panels: list[Panel]) -> None:
        self.panels = list(panels)

    def _line(self, p: Panel) -> str:
        return p.reason if p.status != "ok" else summary(p.name, p.data)

    def __repr__(self) -> str:
        width = max((len(p.name) for p in self.panels), default=0)
        return "\n".join(f"{p.name:<{width}}  {p.status:<9}  {self._line(p)}" for p in self.panels)

    def _repr_html_(self) -> str:
        cards = []
        for p in self.panels:
            background, color, badge = STATUS_STYLE.get(p.status, ("#eeeeee", "#555555", html.escape(p.status)))
            cards.append(
                f'<div style="background:{background};border-left:6px solid {color};border-radius:6px;'
                f'padding:8px 12px;min-height:64px">'
                f'<div style="font-weight:bold;text-transform:capitalize">{html.escape(p.name)}</div>'
                f'<div style="color:{color};font-size:90%">{badge}</div>'
                f'<div style="font-size:90%;margin-top:4px">{html.escape(self._line(p))}</div></div>')
        return ('<div class="capstone-dashboard" style="display:grid;grid-template-columns:repeat(3,minmax(180px,1fr));'
                f'gap:10px;max-width:760px;font-family:sans-serif;color:#222">{"".join(cards)}</div>')


# ---- the check --------------------------------------------------------------------------------

CHECK_USER = 2
# Every healthy service answers after a latency of its own, so the panels overlap clearly and finish in
# another order (reviews, orders, notifications, settings, profile) than PANELS.
CHECK_TROUBLE = {
    "/users/2": {"delay": "0.3"},
    "/users/2/orders": {"delay": "0.15"},
    "/users/2/settings": {"delay": "0.25"},
    "/payments": {"delay": "30"},  # as good as hung: no dashboard waits that long
    "/reviews": {"delay": "0.1", "status": "503"},
    "/notifications": {"delay": "0.2"},
}
GUARD = 3.0  # the check gives up on a dashboard after this many seconds


def _paths(user_id: int) -> dict[str, str]:
    return {name: path.format(user_id=user_id).split("?")[0] for name, path in PANELS.items()}


async def check_build_dashboard(build_dashboard: Callable[[aiohttp.ClientSession, str, int], Awaitable[Any]]) -> None:
    """build_dashboard(session, base_url, user_id) -> six Panel records, in PANELS order.

    The check runs it for user 2 while /payments takes 30 s and /reviews answers 503.
    """
    require_async(build_dashboard)
    api = check_server()
    async with check_session(CHECK_TROUBLE) as session:
        seen = await observe(build_dashboard, session, api.url, CHECK_USER, settle=1.0, deadline=GUARD)
    panels = _judge(seen)
    passed("six panels fetched together: 4 ok, reviews failed (503), payments timed out and was cancelled; "
           "nothing left running.")
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the text form is enough
        print(Dashboard(panels))
    else:
        display(Dashboard(panels))


def _judge(seen: Observation) -> list[Panel]:
    seen.loop_problems("Here /payments takes 30 s to answer. Give each panel its own timeout (`async with "
                       "asyncio.timeout(PANEL_TIMEOUT):` around its request), so a hung service costs one panel, "
                       "not the whole page.")
    error = seen.error
    if isinstance(error, TimeoutError):
        raise CheckFailed("build_dashboard raised TimeoutError, so the learner sees no dashboard at all: the timeout "
                          "sits around every panel together. Put it inside each panel's fetch and turn its "
                          "TimeoutError into Panel(name, 'timed out', reason=...).")
    if isinstance(error, BaseExceptionGroup):
        inner = ", ".join(sorted({type(e).__name__ for e in error.exceptions}))
        raise CheckFailed(f"one failing panel sank the whole dashboard: your TaskGroup raised {type(error).__name__} "
                          f"({inner}) because a panel task let its error out. Catch errors inside each panel's "
                          "coroutine and return a Panel with status 'failed' or 'timed out' instead.")
    if error is not None:
        raise CheckFailed(f"one failing panel sank the whole dashboard: build_dashboard raised "
                          f"{type(error).__name__}. An exception in one gathered panel propagates out of gather; "
                          "catch it inside that panel's coroutine and return Panel(name, 'failed', reason=...).")
    late = seen.still_running_at_return
    if seen.leftover_tasks or late:
        raise CheckFailed("a panel was still running when build_dashboard returned (the server kept working on "
                          f"{', '.join(sorted({e['path'] for e in late})) or 'a request'}). "
                          "Cancel what you give up on: asyncio.timeout cancels for you; asyncio.wait(timeout=...) "
                          "does not.")
    paths = _paths(CHECK_USER)
    seen_paths = [e["path"] for e in seen.entries]
    missing = [f"GET {p}" for p in paths.values() if p not in seen_paths]
    if missing:
        raise CheckFailed(f"the server never saw {', '.join(missing)}; fetch every panel in PANELS for the user_id "
                          f"you are given (the check asks for user {CHECK_USER}).")
    first = [next(e for e in seen.entries if e["path"] == p) for p in paths.values()]
    if not all_together(first):
        late = max(first, key=lambda e: e["start"])
        raise CheckFailed(f"the panels were not fetched together: {label(late)} started only after another panel "
                          f"had finished (the server saw at most {seen.max_in_flight} in flight). Start every "
                          "panel at once, with asyncio.gather or a TaskGroup.")
    result = seen.result
    if not isinstance(result, (list, tuple)):
        raise CheckFailed(f"build_dashboard returned {type(result).__name__}; return a list of six Panel records.")
    errors = [r for r in result if isinstance(r, BaseException)]
    if errors:
        kinds = ", ".join(sorted({type(r).__name__ for r in errors}))
        raise CheckFailed(f"your list holds exceptions ({kinds}) where panels belong: turn each one into "
                          "Panel(name, 'failed' or 'timed out', reason=...).")
    if not all(isinstance(r, Panel) for r in result):
        kinds = ", ".join(sorted({type(r).__name__ for r in result if not isinstance(r, Panel)}))
        raise CheckFailed(f"build_dashboard returned {kinds} items; return Panel records: Panel(name, status, data, reason).")
    names = [p.name for p in result]
    if sorted(names) != sorted(PANELS):
        raise CheckFailed(f"expected one panel for each of {list(PANELS)}, got {names}.")
    if names != list(PANELS):
        raise CheckFailed(f"the panels came back in the order {names}; return them in PANELS order "
                          "(gather keeps the order of its arguments; as_completed gives finishing order).")
    by_name = {p.name: p for p in result}
    bad = [p for p in result if p.status not in STATUSES]
    if bad:
        raise CheckFailed(f"panel {bad[0].name} has status {bad[0].status!r}; use one of {list(STATUSES)}.")
    payments, reviews = by_name["payments"], by_name["reviews"]
    if payments.status != "timed out":
        raise CheckFailed(f"/payments did not answer in time, so its panel should say 'timed out', not {payments.status!r}. "
                          "TimeoutError is an Exception too: catch it before a general `except Exception`.")
    if reviews.status != "failed":
        raise CheckFailed(f"/reviews answered 503 but your reviews panel says {reviews.status!r}: call "
                          "response.raise_for_status() so an error status becomes an exception, and mark it 'failed'.")
    if "503" not in str(reviews.reason):
        raise CheckFailed(f"the reviews panel failed, but its reason {reviews.reason!r} does not say why: "
                          "include the status, for example reason=f'HTTP {exc.status}'.")
    for name in ("profile", "orders", "settings", "notifications"):
        if by_name[name].status != "ok":
            raise CheckFailed(f"/{name} answered fine, but your {name} panel says {by_name[name].status!r} "
                              f"({by_name[name].reason!r}).")
    profile = by_name["profile"].data
    if not isinstance(profile, dict) or profile.get("id") != CHECK_USER:
        raise CheckFailed(f"the profile panel should hold the JSON of /users/{CHECK_USER} (a dict with 'id': "
                          f"{CHECK_USER}); it holds {profile!r:.80}.")
    return list(result)
