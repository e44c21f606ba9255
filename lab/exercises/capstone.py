"""Checks and parts for 11_capstone_dashboard: a dashboard that bounds, times out, retries, streams and stops.

    from lab.exercises.capstone import (PANELS, MAX_IN_FLIGHT, PANEL_TIMEOUT, ATTEMPTS, BACKOFF, IDEMPOTENT,
                                        Panel, Dashboard, show_panel, panel_requests, troubled_session, trouble_for)

PANELS names each panel with the method and path it calls; panel_requests(base_url, user_id) spells out
each panel's request. Panel is one panel's record (ok, failed with a reason, or timed out);
Dashboard(panels) draws them as HTML cards, show_panel(panel) draws one card as soon as it is ready.
troubled_session(trouble) is an ordinary aiohttp.ClientSession that adds chaos parameters to the paths
you name, so a dashboard written for healthy services can be tried against broken ones without changing a URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    Observation,
    check_server,
    check_session,
    observe,
    passed,
    require_async,
)
from lab.journal import Entry, label

# ---- the dashboard's rules ----------------------------------------------------------------------

MAX_IN_FLIGHT = 3  # requests the dashboard may have in flight at once (an asyncio.Semaphore)
PANEL_TIMEOUT = 1.0  # seconds one panel may work (all its attempts) once it holds a slot
ATTEMPTS = 3  # tries of an idempotent request before its panel says "failed"
BACKOFF = 0.1  # seconds before the second try, doubled before each next one
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})  # RFC 9110, section 9.2.2

PANELS = {  # panel name -> (method, path with {user_id} filled in)
    "profile": ("GET", "/users/{user_id}"),
    "orders": ("GET", "/users/{user_id}/orders?limit=3"),
    "settings": ("GET", "/users/{user_id}/settings"),
    "payments": ("GET", "/payments?user={user_id}"),
    "reviews": ("GET", "/reviews?user={user_id}"),
    "visit": ("POST", "/notifications"),  # records the visit: a POST, so never retried
}

# Today's trouble, as the lesson and the check both set it up (every path of a panel named):
# payments is as good as hung, reviews fails twice with 503 then answers, recording the visit fails once
# with 503 (and the server has stored it all the same, as a real service often has). The healthy panels end
# at least 0.15 s apart, so the order they finish in is the same on a loaded machine.
TROUBLE = {
    "/users/{user_id}": {"delay": "0.5"},
    "/users/{user_id}/orders": {"delay": "0.3"},
    "/users/{user_id}/settings": {"delay": "0.1"},
    "/payments": {"delay": "30"},
    "/reviews": {"delay": "0.05", "fail_first": "2"},
    "/notifications": {"delay": "0.1", "fail_first": "1"},
}

STATUSES = ("ok", "failed", "timed out")


def panel_requests(base_url: str, user_id: int) -> dict[str, tuple[str, str, Any]]:
    """name -> (method, url, JSON body or None) of each panel of PANELS, for one user."""
    return {name: (method, base_url + path.format(user_id=user_id),
                   {"message": "dashboard opened", "user": user_id} if method == "POST" else None)
            for name, (method, path) in PANELS.items()}


def trouble_for(user_id: int) -> dict[str, dict[str, str]]:
    """TROUBLE with the user's id in its paths, for troubled_session()."""
    return {path.format(user_id=user_id): dict(params) for path, params in TROUBLE.items()}


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
    if name == "visit" and isinstance(data, dict):
        return f"recorded as notification {data.get('id')}"
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


def finishing_order(entries: list[Entry], user_id: int) -> list[str]:
    """The panels of PANELS by the end of their last request in the journal (the server's view of "finished")."""
    paths = {path.format(user_id=user_id).split("?")[0]: name for name, (_, path) in PANELS.items()}
    last: dict[str, float] = {}
    for e in entries:
        if e["path"] in paths:
            last[paths[e["path"]]] = max(last.get(paths[e["path"]], 0.0), e["end"] or float("inf"))
    return sorted(last, key=last.__getitem__)


def show_panel(panel: Panel) -> None:
    """Draw one panel's card now (in Jupyter; its text line elsewhere): pass it as `show` to stream a dashboard."""
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the text form is enough
        print(Dashboard([panel]))
    else:
        display(Dashboard([panel]))


# ---- the check --------------------------------------------------------------------------------

CHECK_USER = 2
CHECK_TROUBLE = trouble_for(CHECK_USER)
GUARD = 4.0  # the check gives up on a dashboard after this many seconds
LEAVE_AFTER = 0.4  # the second run: the check leaves this long after the server saw the first request
MIN_BACKOFF = 0.05  # a retry sent sooner than this after the last answer was sent at once
STREAM_GAP = 0.1  # a panel done this much before another must be shown before it
TIMEOUT_SLACK = 0.3  # a timed-out request may end this much after PANEL_TIMEOUT (the server notices late)

Dashboard_ = Callable[[aiohttp.ClientSession, str, int, Callable[[Panel], None]], Awaitable[Any]]


class _Screen:
    """The check's `show`: notes which panel was shown when."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, Any]] = []

    def __call__(self, panel: Any) -> None:
        self.shown.append((time.monotonic(), panel))


async def check_build_dashboard(build_dashboard: Dashboard_) -> None:
    """build_dashboard(session, base_url, user_id, show): call show(panel) once for each panel of PANELS
    as soon as it is ready.

    The check runs it twice for user 2 against CHECK_TROUBLE (payments hangs, reviews fails twice, the
    visit's POST fails once): once to the end, once leaving LEAVE_AFTER s after its first request.
    """
    require_async(build_dashboard)
    api = check_server()
    screen = _Screen()
    async with check_session(CHECK_TROUBLE) as session:
        seen = await observe(build_dashboard, session, api.url, CHECK_USER, screen, settle=1.0, deadline=GUARD)
    panels = _judge(seen, screen)
    left = _Screen()
    async with check_session(CHECK_TROUBLE) as session:
        early = await observe(build_dashboard, session, api.url, CHECK_USER, left, settle=1.0, deadline=GUARD,
                              cancel_after_request=LEAVE_AFTER)
    _judge_leaving(early)
    passed(f"at most {seen.max_in_flight} requests in flight, each panel shown as it finished, reviews retried "
           "with backoff, the POST sent once, payments timed out; leaving early cancelled everything.")
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the text form is enough
        print(Dashboard(panels))
    else:
        display(Dashboard(panels))


def _by_path(seen: Observation) -> dict[str, list[Entry]]:
    paths: dict[str, list[Entry]] = {}
    for entry in sorted(seen.entries, key=lambda e: e["start"]):
        paths.setdefault(entry["path"], []).append(entry)
    return paths


def _path(name: str) -> str:
    return PANELS[name][1].format(user_id=CHECK_USER).split("?")[0]


def _judge(seen: Observation, screen: _Screen) -> list[Panel]:
    name = seen.name
    seen.loop_problems("Here /payments takes 30 s to answer. Give each panel its own timeout (`async with "
                       "asyncio.timeout(PANEL_TIMEOUT):` around its work), so a hung service costs one panel, "
                       "not the whole page.")
    error = seen.error
    if isinstance(error, TimeoutError):
        raise CheckFailed(f"{name} raised TimeoutError, so the learner sees no dashboard at all: your timeout "
                          "sits around every panel together. Put it inside each panel's work and turn its "
                          "TimeoutError into Panel(name, 'timed out', reason=...).")
    if error is not None:
        inner = ""
        if isinstance(error, BaseExceptionGroup):
            inner = " (" + ", ".join(sorted({type(e).__name__ for e in error.exceptions})) + ")"
        raise CheckFailed(f"one failing panel sank the whole dashboard: {name} raised {type(error).__name__}{inner}. "
                          "Catch errors inside each panel's coroutine and show a Panel with status 'failed' or "
                          "'timed out' instead.")
    seen.no_leftovers("a dashboard waits for every panel it started (a TaskGroup does), or cancels it and waits.")
    by_path = _by_path(seen)
    missing = [f"{PANELS[n][0]} {_path(n)}" for n in PANELS if _path(n) not in by_path]
    if missing:
        raise CheckFailed(f"the server never saw {', '.join(missing)}: call every panel of PANELS for the user_id "
                          f"you are given (the check asks for user {CHECK_USER}); panel_requests() spells them out.")
    peak = seen.max_in_flight
    if peak > MAX_IN_FLIGHT:
        raise CheckFailed(f"the server saw {peak} requests in flight at once; the dashboard may have at most "
                          f"MAX_IN_FLIGHT = {MAX_IN_FLIGHT}. Share one asyncio.Semaphore(MAX_IN_FLIGHT) between the "
                          "panels and hold it around each panel's requests.")
    if peak < 2:
        raise CheckFailed(f"the server never saw two requests in flight together: {name} ran its panels one after "
                          "another. Start them all (a TaskGroup), and let the Semaphore do the limiting.")
    posts = [e for e in seen.entries if e["method"] == "POST"]
    if len(posts) > 1:
        raise CheckFailed(f"the visit was sent {len(posts)} times, and the server stored it {len(posts)} times: "
                          "a POST is not idempotent, and its 503 came after the server had stored it. Retry only "
                          "methods in IDEMPOTENT; let the visit panel say 'failed'.")
    payments = by_path[_path("payments")]
    held = max(e["end"] or float("inf") for e in payments) - payments[0]["start"]
    if held > PANEL_TIMEOUT + TIMEOUT_SLACK:
        raise CheckFailed(f"the payments panel kept working for {held:.1f} s ({len(payments)} request(s)), longer "
                          f"than PANEL_TIMEOUT = {PANEL_TIMEOUT} s: put one asyncio.timeout(PANEL_TIMEOUT) around "
                          "the panel's whole work, every attempt included, not one around each attempt.")
    reviews = by_path[_path("reviews")]
    if len(reviews) < ATTEMPTS:
        raise CheckFailed(f"/reviews answered 503 and was tried {len(reviews)} time(s); it answers on the third "
                          f"try. A 503 is worth retrying on a GET: try up to ATTEMPTS = {ATTEMPTS} times.")
    for before, after in zip(reviews, reviews[1:]):
        gap = after["start"] - (before["end"] or after["start"])
        if gap < MIN_BACKOFF:
            raise CheckFailed(f"{label(after)} was sent {gap * 1000:.0f} ms after the previous 503: retrying at "
                              "once hammers a service that is already struggling. Sleep between tries "
                              f"(`await asyncio.sleep(BACKOFF * 2 ** attempt)`), longer each time.")
    return _judge_panels(seen, screen, by_path)


def _judge_panels(seen: Observation, screen: _Screen, by_path: dict[str, list[Entry]]) -> list[Panel]:
    name = seen.name
    if not screen.shown:
        raise CheckFailed(f"{name} never called show(panel): call it with each Panel as soon as that panel is "
                          "ready, so the learner sees the quick panels at once.")
    odd = [p for _, p in screen.shown if not isinstance(p, Panel)]
    if odd:
        raise CheckFailed(f"show() was called with {type(odd[0]).__name__} items; call it with Panel records: "
                          "Panel(name, status, data, reason).")
    names = [p.name for _, p in screen.shown]
    if sorted(names) != sorted(PANELS):
        raise CheckFailed(f"show() should get one panel for each of {list(PANELS)}, once each; it got {names}.")
    panels = {p.name: p for _, p in screen.shown}
    bad = [p for p in panels.values() if p.status not in STATUSES]
    if bad:
        raise CheckFailed(f"panel {bad[0].name} has status {bad[0].status!r}; use one of {list(STATUSES)}.")
    payments, visit = panels["payments"], panels["visit"]
    if payments.status != "timed out":
        raise CheckFailed(f"/payments did not answer in time, so its panel should say 'timed out', not "
                          f"{payments.status!r}. TimeoutError is an Exception too: catch it before a general "
                          "`except Exception`.")
    for healthy in ("profile", "orders", "settings", "reviews"):
        if panels[healthy].status != "ok":
            extra = (" (it answers on the third try, well within PANEL_TIMEOUT once the panel holds its slot: "
                     "does your timeout also count the wait for a slot?)" if healthy == "reviews" else "")
            raise CheckFailed(f"/{healthy} answered in the end, but your {healthy} panel says "
                              f"{panels[healthy].status!r} ({panels[healthy].reason!r}){extra}.")
    if visit.status != "failed" or "503" not in str(visit.reason):
        raise CheckFailed(f"recording the visit answered 503, so the visit panel should say 'failed' with the "
                          f"status in its reason; it says {visit.status!r} ({visit.reason!r}). Call "
                          "response.raise_for_status(), and give reason=f'HTTP {exc.status}'.")
    profile = panels["profile"].data
    if not isinstance(profile, dict) or profile.get("id") != CHECK_USER:
        raise CheckFailed(f"the profile panel should hold the JSON of /users/{CHECK_USER} (a dict with 'id': "
                          f"{CHECK_USER}); it holds {profile!r:.80}.")
    done = {n: max(e["end"] or float("inf") for e in by_path[_path(n)]) for n in PANELS}
    shown = {p.name: at for at, p in screen.shown}
    for a in PANELS:
        for b in PANELS:
            if done[a] + STREAM_GAP <= done[b] and shown[a] > shown[b]:
                raise CheckFailed(f"the {a} panel was ready {done[b] - done[a]:.1f} s before the {b} panel, yet "
                                  f"shown after it: show each panel as it finishes (asyncio.as_completed, or a "
                                  "TaskGroup whose panel tasks call show), not all at the end or in PANELS order.")
    return [panels[n] for n in PANELS]


def _judge_leaving(seen: Observation) -> None:
    name = seen.name
    leave = (f"When the learner leaves (Stop, or a cancel from outside) {LEAVE_AFTER} s after the first request")
    seen.loop_problems()
    if not seen.cancelled:
        how = "returned" if seen.error is None else f"raised {type(seen.error).__name__}"
        raise CheckFailed(f"{leave}, {name} {how} instead of ending cancelled: let CancelledError through "
                          "(re-raise it after any clean-up), so the caller knows the dashboard was abandoned.")
    seen.no_leftovers("a cancelled dashboard must take its panels down with it: start them in a TaskGroup (its "
                      "cancel reaches every child), or cancel the tasks you started in a `finally:` and wait "
                      "for them.")


# ---- a correct answer, for the registry of checks (the lesson's own solution) ----------------------


async def reference_fetch_with_retry(session: aiohttp.ClientSession, method: str, url: str, body: Any = None,
                                     attempts: int = ATTEMPTS) -> Any:
    """One request's JSON; an idempotent one is tried `attempts` times on a 5xx, with a doubling backoff."""
    tries = attempts if method in IDEMPOTENT else 1
    for attempt in range(tries):
        try:
            async with session.request(method, url, json=body) as response:
                response.raise_for_status()
                return await response.json()
        except aiohttp.ClientResponseError as exc:
            if exc.status < 500 or attempt == tries - 1:
                raise
        await asyncio.sleep(BACKOFF * 2 ** attempt)


Fetch = Callable[[aiohttp.ClientSession, str, str, Any], Awaitable[Any]]


async def reference_load_panel(session: aiohttp.ClientSession, limit: contextlib.AbstractAsyncContextManager[Any],
                               name: str, method: str, url: str, body: Any = None,
                               fetch: Fetch = reference_fetch_with_retry) -> Panel:
    """One panel: a slot of `limit`, then its fetch within PANEL_TIMEOUT, turned into what the panel shows."""
    async with limit:
        try:
            async with asyncio.timeout(PANEL_TIMEOUT):
                return Panel(name, "ok", await fetch(session, method, url, body))
        except TimeoutError:
            return Panel(name, "timed out", reason=f"no answer within {PANEL_TIMEOUT} s")
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"HTTP {exc.status}")
        except (aiohttp.ClientError, ValueError) as exc:
            return Panel(name, "failed", reason=type(exc).__name__)


async def reference_build_dashboard(session: aiohttp.ClientSession, base_url: str, user_id: int,
                                    show: Callable[[Panel], None]) -> None:
    """The lesson's solution: every panel in a TaskGroup, at most MAX_IN_FLIGHT at once, each shown when done."""
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def panel(name: str, method: str, url: str, body: Any) -> None:
        show(await reference_load_panel(session, limit, name, method, url, body))

    async with asyncio.TaskGroup() as tg:
        for name, (method, url, body) in panel_requests(base_url, user_id).items():
            tg.create_task(panel(name, method, url, body))


CHECKS = (ExerciseCheck(check_build_dashboard, reference=reference_build_dashboard, writes=True),)
