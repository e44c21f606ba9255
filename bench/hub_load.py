"""A class on one JupyterHub: N learners log in within the same minute and run lessons through the hub.

    .venv/bin/python bench/hub_load.py --learners 5 10 20      # after `make test` installed the hub tools once
    .venv/bin/python bench/hub_load.py --help

For each N it starts a fresh JupyterHub on loopback (the stack of tests/test_jupyterhub.py: dummy
authenticator, simple local process spawner, npm's configurable-http-proxy), then:

1. alone, before: one learner logs in, starts a server and runs every code cell of the lessons
   (default 00 and 01, one kernel per notebook, left open as learners leave them), timing each cell
   from execute_request to the kernel's idle status, over the proxy's websocket as JupyterLab does;
2. the class: N learners arrive at random moments within --spread seconds (default 40), each logs in
   through the login form, starts a server (timed from the start request to "ready"), and runs the
   same cells the same way;
3. isolation: every learner's kernel, at the same time, clears its fakeapi journal and sends its own
   number of requests (1, 2 or 3); each journal must hold exactly its own, and no two learners may
   share a fakeapi URL or a kernel process;
4. settled: 10 s later, memory is read again with the kernels idle;
5. alone, after: the class's servers are stopped and one more learner runs the lessons alone.

A sampler reads, every second, the resident memory (RSS) of every learner's server and kernels and the
CPU time of the hub and the proxy (psutil), plus the CPU used by processes this script did not start
("other load": the machine is shared). Everything started is stopped at the end, also on errors or
when --deadline runs out. Figures are noisy on a shared 2-core machine: compare "alone" and "class"
from the same run, and read the other-load line before quoting anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hub"))
from hubstack import (  # noqa: E402
    JUPYTERHUB,
    PROBE,
    PROXY,
    Hub,
    Kernel,
    browser,
    code_cells,
    kernel_ws_url,
    open_notebook,
    start_server,
    user_token,
    wait_for_server,
)

MiB = 1024 * 1024
MEMORY_GUARD = 3 * 1024 * MiB   # stop a run when less than this is available (this machine has no swap)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class Sampler:
    """Once a second: RSS per learner (server, kernels), CPU of hub and proxy, other load, free memory."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.hub_ps = psutil.Process(hub.process.pid)
        self.peak: dict[str, dict[str, float]] = {}      # user -> {"server", "kernels", "total"} max RSS
        self.last: dict[str, dict[str, float]] = {}
        self.cpu: list[tuple[float, float, float, float, float]] = []   # (t, hub, proxy, learners, other) cumulative
        self.hub_rss = self.proxy_rss = 0.0   # peaks
        self.min_available = psutil.virtual_memory().available
        self.baseline_used = psutil.virtual_memory().total - psutil.virtual_memory().available
        self.peak_used = self.baseline_used
        self.guard_tripped = False
        self._ours_cpu: dict[int, float] = {}
        self._stop = asyncio.Event()

    def classify(self) -> tuple[dict[str, dict[str, float]], float, float, float]:
        usage: dict[str, dict[str, float]] = {}
        proxy_cpu = learners_cpu = 0.0
        for proc in self.hub.descendants():
            try:
                cmd = " ".join(proc.cmdline())
                rss = proc.memory_info().rss
                cpu = sum(proc.cpu_times()[:2])
                self._ours_cpu[proc.pid] = cpu
                if "configurable-http-proxy" in cmd:
                    proxy_cpu += cpu
                    self.proxy_rss = max(self.proxy_rss, rss)
                    continue
                if "jupyterhub-singleuser" in cmd:
                    kind, owner = "server", proc
                elif "ipykernel" in cmd:
                    kind, owner = "kernels", proc.parent()
                else:
                    continue
                user = owner.environ().get("JUPYTERHUB_USER", "?")
                learners_cpu += cpu
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                continue
            entry = usage.setdefault(user, {"server": 0.0, "kernels": 0.0, "nkernels": 0})
            entry[kind] += rss
            if kind == "kernels":
                entry["nkernels"] += 1
        self.hub_rss = max(self.hub_rss, self.hub_ps.memory_info().rss)
        return usage, sum(self.hub_ps.cpu_times()[:2]), proxy_cpu, learners_cpu

    def sample(self) -> None:
        usage, hub_cpu, proxy_cpu, learners_cpu = self.classify()
        for user, entry in usage.items():
            entry["total"] = entry["server"] + entry["kernels"]
            peak = self.peak.setdefault(user, {"server": 0.0, "kernels": 0.0, "total": 0.0, "nkernels": 0})
            for key in peak:
                peak[key] = max(peak[key], entry[key])
        self.last = usage
        memory = psutil.virtual_memory()
        self.min_available = min(self.min_available, memory.available)
        self.peak_used = max(self.peak_used, memory.total - memory.available)
        if memory.available < MEMORY_GUARD:
            self.guard_tripped = True
        busy = psutil.cpu_times()
        busy_total = busy.user + busy.nice + busy.system + busy.irq + busy.softirq + busy.steal
        me = sum(psutil.Process().cpu_times()[:2])
        ours = me + hub_cpu + sum(self._ours_cpu.values())
        self.cpu.append((time.monotonic(), hub_cpu, proxy_cpu, learners_cpu, busy_total - ours))

    async def run(self) -> None:
        while not self._stop.is_set():
            await asyncio.to_thread(self.sample)
            try:
                await asyncio.wait_for(self._stop.wait(), 1.0)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()

    def cores(self, start: float, end: float) -> dict[str, float]:
        """Average cores used between two moments, per column of self.cpu."""
        window = [row for row in self.cpu if start <= row[0] <= end]
        if len(window) < 2:
            return {}
        (t0, *a), (t1, *b) = window[0], window[-1]
        names = ("hub", "proxy", "learners", "other")
        result = {name: (y - x) / (t1 - t0) for name, x, y in zip(names, a, b)}
        # The busiest second of the hub and the proxy.
        for i, name in ((1, "hub"), (2, "proxy")):
            result[name + "_peak"] = max((r[i] - q[i]) / (r[0] - q[0]) for q, r in zip(window, window[1:]))
        return result


async def run_lessons(url: str, user: str, token: str, lessons: list[Path], errors: list[str],
                      where: list[str] | None = None) -> dict[str, Any]:
    """Run every code cell of every lesson in a kernel of its own; return per-cell seconds and probe facts."""
    where = where if where is not None else []
    base = f"{url}/user/{user}"
    latencies: dict[str, float] = {}
    facts: dict[str, Any] = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
        for lesson in lessons:
            where[:] = [f"opening {lesson.stem}"]
            kernel_id = await open_notebook(http, base, lesson.name)
            async with http.ws_connect(kernel_ws_url(base, kernel_id), max_msg_size=0) as ws:
                kernel = Kernel(ws)
                for index, source, fails_on_purpose in code_cells(lesson):
                    where[:] = [f"{lesson.stem} cell {index}"]
                    started = time.monotonic()
                    outcome = await asyncio.wait_for(kernel.run(source), 180)
                    latencies[f"{lesson.stem}[{index}]"] = time.monotonic() - started
                    if outcome["status"] != ("error" if fails_on_purpose else "ok"):
                        errors.append(f"{user} {lesson.stem} cell {index}: {outcome['errors'] or 'no error'}")
                if lesson == lessons[-1]:
                    probe = await kernel.run(PROBE)
                    facts = json.loads(probe["stdout"].strip().splitlines()[-1])
            facts["kernel"] = kernel_id
    return {"latencies": latencies, **facts}


async def own_journal(url: str, user: str, token: str, kernel_id: str, requests: int) -> dict[str, Any]:
    """In the learner's kernel: clear the journal, send `requests` requests, read the journal back."""
    code = ("import aiohttp, asyncio, json, os\n"
            "api.clear_journal()\n"
            "async with aiohttp.ClientSession() as s:\n"
            f"    for i in range(1, {requests} + 1):\n"
            "        async with s.get(f'{api.url}/users/{i}') as r: await r.read()\n"
            "await asyncio.sleep(1)   # the other learners send theirs meanwhile\n"
            "print(json.dumps({'url': api.url, 'pid': os.getpid(), 'journal': len(api.journal())}))")
    base = f"{url}/user/{user}"
    async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http, \
            http.ws_connect(kernel_ws_url(base, kernel_id)) as ws:
        outcome = await asyncio.wait_for(Kernel(ws).run(code), 120)
    assert outcome["status"] == "ok", outcome["errors"]
    return json.loads(outcome["stdout"].strip().splitlines()[-1])


class Learner:
    def __init__(self, name: str, offset: float) -> None:
        self.name = name
        self.offset = offset
        self.start_seconds: float | None = None
        self.result: dict[str, Any] = {}
        self.token = ""


async def attend(hub: Hub, api: aiohttp.ClientSession, learner: Learner, lessons: list[Path],
                 errors: list[str], t0: float) -> None:
    await asyncio.sleep(max(0.0, t0 + learner.offset - time.monotonic()))
    where = ["logging in"]
    try:
        session = await browser(hub.url, learner.name)
        await session.close()
        started = time.monotonic()
        where[:] = ["starting the server"]
        await start_server(api, hub.url, learner.name, timeout=240)
        learner.start_seconds = time.monotonic() - started
        learner.token = await user_token(api, hub.url, learner.name)
        learner.result = await run_lessons(hub.url, learner.name, learner.token, lessons, errors, where)
    except Exception as error:   # counted, reported, and the run goes on
        errors.append(f"{learner.name} ({where[0]}, {time.monotonic() - t0:.1f} s into the class): "
                      f"{type(error).__name__}: {error}")


def prepare_home(workdir: Path, user: str, lessons: list[Path]) -> None:
    home = workdir / "home" / user
    home.mkdir(parents=True, exist_ok=True)
    for lesson in lessons:
        shutil.copy(lesson, home / lesson.name)
    if (lessons[0].parent / "scripts").is_dir():
        shutil.copytree(lessons[0].parent / "scripts", home / "scripts", dirs_exist_ok=True)


async def alone(hub: Hub, api: aiohttp.ClientSession, user: str, lessons: list[Path],
                errors: list[str]) -> dict[str, Any]:
    prepare_home(hub.workdir, user, lessons)
    learner = Learner(user, 0)
    await attend(hub, api, learner, lessons, errors, time.monotonic())
    await stop_server(api, hub.url, user)
    return {"start": learner.start_seconds, **learner.result}


async def stop_server(api: aiohttp.ClientSession, url: str, user: str) -> None:
    async with api.delete(f"{url}/hub/api/users/{user}/server") as response:
        assert response.status in (202, 204), await response.text()
    await wait_for_server(api, url, user, ready=False, timeout=60)


async def one_class(n: int, lessons: list[Path], spread: float, seed: int, workdir: Path,
                    source: Path) -> dict[str, Any]:
    errors: list[str] = []
    extra = "" if source == ROOT else f"c.Spawner.environment = {{'PYTHONPATH': {str(source)!r}}}\n"
    hub = Hub(workdir, extra)
    sampler = Sampler(hub)
    sampling = asyncio.create_task(sampler.run())
    marks: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"token {hub.token}"}) as api:
            before = await alone(hub, api, "alone-before", lessons, errors)
            rng = random.Random(seed)
            learners = [Learner(f"learner{i:03d}", rng.uniform(0, spread)) for i in range(n)]
            for learner in learners:
                prepare_home(workdir, learner.name, lessons)
            marks["class_start"] = t0 = time.monotonic()
            await asyncio.gather(*(attend(hub, api, learner, lessons, errors, t0) for learner in learners))
            marks["class_end"] = time.monotonic()
            ran = [learner for learner in learners if learner.result.get("kernel")]
            isolation = await asyncio.gather(*(
                own_journal(hub.url, learner.name, learner.token, learner.result["kernel"], 1 + i % 3)
                for i, learner in enumerate(ran)), return_exceptions=True)
            own = 0
            for i, (learner, seen) in enumerate(zip(ran, isolation)):
                if isinstance(seen, BaseException):
                    errors.append(f"{learner.name} isolation: {type(seen).__name__}: {seen}")
                elif seen["journal"] == 1 + i % 3 and seen["url"] == learner.result["url"]:
                    own += 1
                else:
                    errors.append(f"{learner.name}'s journal held {seen['journal']} entries, not {1 + i % 3}")
            urls = {learner.result["url"] for learner in ran}
            pids = {learner.result["pid"] for learner in ran}
            await asyncio.sleep(10)
            await asyncio.to_thread(sampler.sample)
            settled = {user: dict(entry, total=entry["server"] + entry["kernels"])
                       for user, entry in sampler.last.items() if user.startswith("learner")}
            settled_used = psutil.virtual_memory().total - psutil.virtual_memory().available
            peak = {user: entry for user, entry in sampler.peak.items() if user.startswith("learner")}
            await asyncio.gather(*(stop_server(api, hub.url, learner.name) for learner in learners
                                   if learner.start_seconds is not None), return_exceptions=True)
            after = await alone(hub, api, "alone-after", lessons, errors)
    finally:
        sampler.stop()
        await sampling
        hub.stop()
    if sampler.guard_tripped:
        errors.append(f"memory guard: less than {MEMORY_GUARD // MiB} MiB available at some point")
    return summarize(n, learners, before, after, errors, sampler, marks, peak, settled, settled_used,
                     own, len(urls), len(pids))


def summarize(n: int, learners: list[Learner], before: dict[str, Any], after: dict[str, Any], errors: list[str],
              sampler: Sampler, marks: dict[str, float], peak: dict[str, dict[str, float]],
              settled: dict[str, dict[str, float]], settled_used: float, own: int, urls: int,
              pids: int) -> dict[str, Any]:
    starts = [learner.start_seconds for learner in learners if learner.start_seconds is not None]
    ratios, added = [], []
    reference = {cell: min(before.get("latencies", {}).get(cell, float("inf")),
                           after.get("latencies", {}).get(cell, float("inf")))
                 for cell in before.get("latencies", {})}
    lesson_loaded = []
    for learner in learners:
        cells = learner.result.get("latencies", {})
        if cells:
            lesson_loaded.append(sum(cells.values()))
        for cell, seconds in cells.items():
            alone_s = reference.get(cell)
            if alone_s and alone_s != float("inf"):
                ratios.append(seconds / alone_s)
                added.append(seconds - alone_s)
    cpu = sampler.cores(marks.get("class_start", 0), marks.get("class_end", 0))
    offsets = sorted(learner.offset for learner in learners)
    return {
        "learners": n,
        "arrivals_within_s": round(offsets[-1] - offsets[0], 1) if offsets else 0,
        "class_seconds": round(marks.get("class_end", 0) - marks.get("class_start", 0), 1),
        "start_p50_s": percentile(starts, 50), "start_p95_s": percentile(starts, 95),
        "start_max_s": max(starts, default=float("nan")),
        "start_alone_s": [before.get("start"), after.get("start")],
        "lesson_alone_s": [sum(before.get("latencies", {}).values()), sum(after.get("latencies", {}).values())],
        "lesson_class_p50_s": percentile(lesson_loaded, 50), "lesson_class_p95_s": percentile(lesson_loaded, 95),
        "cell_ratio_p50": percentile(ratios, 50), "cell_ratio_p95": percentile(ratios, 95),
        "cell_added_p50_ms": 1000 * percentile(added, 50), "cell_added_p95_ms": 1000 * percentile(added, 95),
        "peak_total_mib_p50": percentile([e["total"] / MiB for e in peak.values()], 50),
        "peak_total_mib_max": max((e["total"] / MiB for e in peak.values()), default=float("nan")),
        "peak_server_mib_max": max((e["server"] / MiB for e in peak.values()), default=float("nan")),
        "peak_kernels_mib_max": max((e["kernels"] / MiB for e in peak.values()), default=float("nan")),
        "kernels_per_learner": max((e["nkernels"] for e in peak.values()), default=0),
        "settled_total_mib_p50": percentile([e["total"] / MiB for e in settled.values()], 50),
        "settled_total_mib_max": max((e["total"] / MiB for e in settled.values()), default=float("nan")),
        "machine_used_delta_mib_per_learner_peak": (sampler.peak_used - sampler.baseline_used) / MiB / max(n, 1),
        "machine_used_delta_mib_per_learner_settled": (settled_used - sampler.baseline_used) / MiB / max(n, 1),
        "min_available_gib": sampler.min_available / 1024 / MiB,
        "hub_proxy_rss_mib": [sampler.hub_rss / MiB, sampler.proxy_rss / MiB],
        "cores": cpu,
        "errors": errors,
        "journals_own": f"{own}/{n}", "distinct_fakeapi_urls": urls, "distinct_kernel_pids": pids,
    }


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        ("learners (N)", lambda r: f"{r['learners']}"),
        ("arrivals spread over", lambda r: f"{r['arrivals_within_s']} s"),
        ("server start p50 / p95 (max)",
         lambda r: f"{r['start_p50_s']:.1f} / {r['start_p95_s']:.1f} ({r['start_max_s']:.1f}) s"),
        ("server start alone (before, after)",
         lambda r: " , ".join(f"{s:.1f}" if s else "-" for s in r["start_alone_s"]) + " s"),
        ("lessons alone (before, after)", lambda r: " , ".join(f"{s:.1f}" for s in r["lesson_alone_s"]) + " s"),
        ("lessons in class p50 / p95", lambda r: f"{r['lesson_class_p50_s']:.1f} / {r['lesson_class_p95_s']:.1f} s"),
        ("per cell, class / alone p50 / p95", lambda r: f"{r['cell_ratio_p50']:.2f} / {r['cell_ratio_p95']:.2f}"),
        ("per cell, added p50 / p95", lambda r: f"{r['cell_added_p50_ms']:.0f} / {r['cell_added_p95_ms']:.0f} ms"),
        ("RSS per learner, peak p50 / max",
         lambda r: f"{r['peak_total_mib_p50']:.0f} / {r['peak_total_mib_max']:.0f} MiB"),
        ("  of which server / kernels (max)",
         lambda r: f"{r['peak_server_mib_max']:.0f} / {r['peak_kernels_mib_max']:.0f} MiB "
                   f"({r['kernels_per_learner']} kernels)"),
        ("RSS per learner, settled p50 / max",
         lambda r: f"{r['settled_total_mib_p50']:.0f} / {r['settled_total_mib_max']:.0f} MiB"),
        ("machine memory used / N, peak / settled",
         lambda r: f"{r['machine_used_delta_mib_per_learner_peak']:.0f} / "
                   f"{r['machine_used_delta_mib_per_learner_settled']:.0f} MiB"),
        ("least memory available", lambda r: f"{r['min_available_gib']:.1f} GiB"),
        ("hub CPU, mean / busiest second",
         lambda r: f"{r['cores'].get('hub', 0):.2f} / {r['cores'].get('hub_peak', 0):.2f} cores"),
        ("proxy CPU, mean / busiest second",
         lambda r: f"{r['cores'].get('proxy', 0):.2f} / {r['cores'].get('proxy_peak', 0):.2f} cores"),
        ("learners' servers+kernels CPU, mean", lambda r: f"{r['cores'].get('learners', 0):.2f} cores"),
        ("  = CPU per learner (start + lessons)",
         lambda r: f"{r['cores'].get('learners', 0) * r['class_seconds'] / r['learners']:.1f} core-s"),
        ("hub / proxy RSS, peak", lambda r: f"{r['hub_proxy_rss_mib'][0]:.0f} / {r['hub_proxy_rss_mib'][1]:.0f} MiB"),
        ("other load (not ours), mean", lambda r: f"{r['cores'].get('other', 0):.2f} cores"),
        ("errors", lambda r: f"{len(r['errors'])}"),
        ("journals their own / fakeapi URLs / kernel pids",
         lambda r: f"{r['journals_own']} / {r['distinct_fakeapi_urls']} / {r['distinct_kernel_pids']}"),
    ]
    lines = ["| | " + " | ".join(f"N={r['learners']}" for r in results) + " |",
             "|---|" + "---|" * len(results)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    source = args.source.resolve()
    lessons = [next((source / "notebooks").glob(f"{prefix}_*.ipynb")) for prefix in args.lessons]
    results = []
    for n in args.learners:
        with tempfile.TemporaryDirectory(prefix=f"hub-load-{n}-") as tmp:
            print(f"N={n}: starting ({', '.join(p.name for p in lessons)}, arrivals within {args.spread} s)",
                  flush=True)
            try:
                result = await asyncio.wait_for(one_class(n, lessons, args.spread, args.seed, Path(tmp), source),
                                                args.deadline)
            except TimeoutError:
                print(f"N={n}: stopped after the {args.deadline} s deadline", flush=True)
                break
            results.append(result)
            if result["errors"]:   # keep the hub's log (it holds every server's log too) before tmp goes
                kept = Path(tempfile.gettempdir()) / f"hub_load-N{n}-{time.strftime('%Y%m%dT%H%M%S')}.log"
                shutil.copy(Path(tmp) / "hub.log", kept)
                print(f"N={n}: the hub's log is kept in {kept}", flush=True)
            print(f"N={n}: done in {result['class_seconds']} s, {len(result['errors'])} errors", flush=True)
            for error in result["errors"][:10]:
                print("   ", error, flush=True)
            if result["min_available_gib"] * 1024 < 2 * MEMORY_GUARD / MiB:
                print(f"N={n}: less than {2 * MEMORY_GUARD // MiB} MiB was left available: not trying a larger N")
                break
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[5, 10, 20], help="class sizes to run, in order")
    parser.add_argument("--lessons", nargs="+", default=["00", "01"], help="lesson numbers each learner runs")
    parser.add_argument("--spread", type=float, default=40.0, help="learners arrive within this many seconds")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds allowed per class size")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="a checkout whose notebooks/, fakeapi and lab the learners use (default: this one)")
    args = parser.parse_args()
    if not (JUPYTERHUB.exists() and PROXY.exists()):
        sys.exit("needs jupyterhub (requirements-dev.txt) and tests/hub/node_modules (npm ci --prefix tests/hub): "
                 "run `make test` once")
    load = psutil.getloadavg()
    print(f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 1024 / MiB:.1f} GiB, "
          f"load average {load[0]:.2f} before the run", flush=True)
    results = asyncio.run(main_async(args))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
