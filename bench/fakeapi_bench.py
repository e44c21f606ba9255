"""Benchmark fakeapi against a bare aiohttp server, side by side in one run.

    .venv/bin/python bench/fakeapi_bench.py            # or: make bench
    .venv/bin/python bench/fakeapi_bench.py --help     # durations, repeats, sizes, load generator

Both servers run as separate processes, started here:
- fakeapi: `python -m fakeapi --port 0 --latency-scale 0` (its port is read from its
  "listening on" line; its journal is always on and is checked to have recorded the load);
- bare:    `python bench/bare_server.py --port 0`: one route, GET /delay/{seconds}, that
  sleeps and answers the same JSON as fakeapi's GET /delay/{seconds}, with fakeapi's
  server settings (backlog, access log off, handler_cancellation).
Both are driven by the same client, on the same URL path, in alternating order. With
`--baseline DIR`, the fakeapi package in DIR (an older commit, `git archive COMMIT fakeapi | tar -x -C DIR`)
runs as a third server in the same rotation of the throughput part: before and after in one run.

1. Throughput: `GET /delay/0`, keep-alive, a fixed number of connections, with wrk when it is
   installed (`apt-get install wrk`), else with an aiohttp client in a separate process
   (which then is the bottleneck: the output says which load generator was used).
2. Gather fidelity: this process gathers N concurrent `GET /delay/0.5` with one aiohttp
   session (connector limit lifted) and reports elapsed / 0.5. For fakeapi, its journal
   also gives when the requests reached the server, which shows how much of the excess is
   the client's own work; client and server CPU time are measured for both.

Each configuration runs --repeats times; the median is reported. The other load on the
machine during the run (CPU used by processes not started here) is measured and printed,
since it skews every figure: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bare_server import raise_nofile_limit  # bench/ is on sys.path: this script's own folder

ROOT = Path(__file__).resolve().parent.parent
BARE_SERVER = Path(__file__).resolve().parent / "bare_server.py"
LISTENING = re.compile(r"listening on (http://\S+)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- CPU accounting

def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class LoadMeter:
    """How much CPU processes not started by this benchmark used during a stretch of time."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers

    def _ours(self) -> float:
        return time.process_time() + children_cpu() + sum(s.cpu() for s in self.servers if s.alive())

    def __enter__(self) -> LoadMeter:
        self.t0, self.busy0, self.ours0 = time.monotonic(), machine_busy(), self._ours()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.t0
        self.others = max(0.0, (machine_busy() - self.busy0) - (self._ours() - self.ours0))

    @property
    def other_cores(self) -> float:
        """Average number of cores used by others while this ran."""
        return self.others / self.elapsed if self.elapsed else 0.0


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, name: str, argv: list[str], cwd: Path = ROOT) -> None:
        self.name = name
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, text=True)
        self.url = self._wait_listening(timeout=20)

    def _wait_listening(self, timeout: float) -> str:
        found: list[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                match = LISTENING.search(line)
                if match:
                    found.append(match.group(1))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not found:
            self.stop()
            raise RuntimeError(f"{self.name} did not print a 'listening on' line within {timeout} s")
        return found[0].rstrip("/")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def settle(self, quiet: float = 0.15, limit: float = 10.0) -> None:
        """Wait until the server stops using CPU (closing thousands of connections takes a while)."""
        deadline = time.monotonic() + limit
        last = self.cpu()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.cpu()
            if now - last < 0.01:
                return
            last = now

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def http_json(method: str, url: str) -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


# ---------------------------------------------------------------- throughput

@dataclass
class Throughput:
    rps: float
    requests: int
    errors: int
    server_cpu: float  # share of one core the server used
    client_cpu: float  # share of one core the load generator used
    server_us: float  # server CPU microseconds per request: steadier than req/s on a busy machine
    latency_p99: str = ""
    journaled: int | None = None  # fakeapi only: requests its journal recorded during the run


def run_wrk(url: str, connections: int, duration: float) -> tuple[int, float, int, str]:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    count, rate = re.search(r"(\d+) requests in", out), re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert count is not None and rate is not None, out
    requests, rps = int(count.group(1)), float(rate.group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in match.groups())
    p99 = re.search(r"99%\s+(\S+)", out)
    return requests, rps, errors, p99.group(1) if p99 else ""


def run_aiohttp_load(url: str, connections: int, duration: float) -> tuple[int, float, int, str]:
    argv = [sys.executable, __file__, "--_load-worker", url, "--connections", str(connections),
            "--duration", str(duration)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["requests"], result["requests"] / result["elapsed"], result["errors"], ""


async def _load_worker(url: str, connections: int, duration: float) -> dict[str, Any]:
    import aiohttp

    counts: dict[str, float] = {"requests": 0, "errors": 0}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.monotonic() + duration

        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        counts["requests" if response.status == 200 else "errors"] += 1
                except aiohttp.ClientError:
                    counts["errors"] += 1

        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        counts["elapsed"] = time.monotonic() - t0
    return counts


def measure_throughput(server: Server, tool: str, connections: int, duration: float,
                       path: str = "/delay/0") -> Throughput:
    url = f"{server.url}{path}"
    load = run_wrk if tool == "wrk" else run_aiohttp_load
    load(url, connections, min(2.0, duration))  # warm-up, not counted
    server.settle()
    before = http_json("GET", f"{server.url}/_stats")["requests"] if server.name != "bare" else None
    cpu0, child0, t0 = server.cpu(), children_cpu(), time.monotonic()
    requests, rps, errors, p99 = load(url, connections, duration)
    elapsed = time.monotonic() - t0
    server_cpu = server.cpu() - cpu0
    result = Throughput(rps, requests, errors, server_cpu / elapsed, (children_cpu() - child0) / elapsed,
                        server_cpu / max(1, requests) * 1e6, p99)
    if before is not None:
        # wrk counts only the answers it read before its deadline; the journal also counts
        # the requests in flight at that moment (at most one per connection).
        result.journaled = http_json("GET", f"{server.url}/_stats")["requests"] - before
    server.settle()
    return result


# ---------------------------------------------------------------- gather fidelity

@dataclass
class Gather:
    n: int
    elapsed: float
    errors: int
    client_cpu: float  # CPU seconds this (client) process used during the gather
    server_cpu: float  # CPU seconds the server used during the gather
    t0: float  # client's monotonic clock at the gather's start (the same clock as the journal's)
    done: float
    first_error: str = ""
    journal: dict[str, float] = field(default_factory=dict)  # fakeapi only, relative to t0


async def _gather(url: str, n: int) -> tuple[float, float, float, int, str]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)  # the default 100 would queue the rest
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def one() -> int:
            async with session.get(url) as response:
                await response.read()
                return response.status

        cpu0, t0 = time.process_time(), time.monotonic()
        results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
        done, cpu = time.monotonic(), time.process_time() - cpu0
    failures = [r for r in results if r != 200]
    first = "" if not failures else repr(failures[0])[:200]
    return t0, done, cpu, len(failures), first


async def _traced_gather(url: str, n: int) -> dict[str, float]:
    """One gather with client-side tracing (not counted in the fidelity figures: tracing costs CPU).

    Returns, relative to the gather's start, when the client had opened its last connection and
    written its last request's headers, when its first answer arrived, and when it was done.
    """
    import aiohttp

    marks: dict[str, list[float]] = {"connected": [], "sent": []}

    async def connected(session: Any, ctx: Any, params: Any) -> None:
        marks["connected"].append(time.monotonic())

    async def sent(session: Any, ctx: Any, params: Any) -> None:
        marks["sent"].append(time.monotonic())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(connected)
    trace.on_request_headers_sent.append(sent)
    answered: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace],
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def one() -> None:
            async with session.get(url) as response:
                answered.append(time.monotonic())
                await response.read()

        t0 = time.monotonic()
        await asyncio.gather(*(one() for _ in range(n)))
        done = time.monotonic()
    return {"last_connected": max(marks["connected"]) - t0, "first_sent": min(marks["sent"]) - t0,
            "last_sent": max(marks["sent"]) - t0, "first_answer": min(answered) - t0,
            "last_answer": max(answered) - t0, "done": done - t0}


def measure_gather(server: Server, n: int, delay: float) -> Gather:
    is_fakeapi = server.name == "fakeapi"
    if is_fakeapi:
        http_json("DELETE", f"{server.url}/_journal")
    server.settle()
    scpu0 = server.cpu()
    t0, done, cpu, errors, first = asyncio.run(_gather(f"{server.url}/delay/{delay:g}", n))
    result = Gather(n, done - t0, errors, cpu, 0.0, t0, done, first)
    server.settle()
    result.server_cpu = server.cpu() - scpu0
    if is_fakeapi:
        entries = http_json("GET", f"{server.url}/_journal")
        starts = [e["start"] for e in entries]
        ends = [e["end"] for e in entries if e["end"] is not None]
        result.journal = {
            "entries": len(entries),
            "first_start": min(starts) - t0,
            "last_start": max(starts) - t0,
            "last_end": max(ends) - t0,
            "ok": sum(e["outcome"] == "ok" for e in entries),
        }
    return result


# ---------------------------------------------------------------- report

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine_line() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    import aiohttp

    return (f"{os.cpu_count()} cores ({model or 'unknown CPU'}), Python {sys.version.split()[0]}, "
            f"aiohttp {aiohttp.__version__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fakeapi vs a bare aiohttp server: throughput and gather fidelity.")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each configuration; the median is reported")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each throughput run (default 10)")
    parser.add_argument("--connections", type=int, default=50, help="connections of the throughput load (default 50)")
    parser.add_argument("--sizes", default="100,1000,10000", help="gather sizes (default 100,1000,10000)")
    parser.add_argument("--delay", type=float, default=0.5, help="injected delay of the gather runs (default 0.5)")
    parser.add_argument("--load", choices=("auto", "wrk", "aiohttp"), default="auto",
                        help="throughput load generator: wrk if installed (auto), or an aiohttp client process")
    parser.add_argument("--skip", choices=("throughput", "gather"), action="append", default=[],
                        help="skip a part (may be given twice)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--baseline", type=Path,
                        help="also measure the fakeapi package found in this folder (for example a `git worktree` "
                             "of an older commit), in the same rotation: before/after figures from one run "
                             "(throughput part only)")
    parser.add_argument("--inprocess", action="store_true",
                        help="only the in-process harness: CPU per request of routing + handler for GET /delay/0, "
                             "no sockets (bare, fakeapi, and --baseline if given); steadier on a busy machine")
    parser.add_argument("--query", default="",
                        help="a query string for the throughput and in-process runs, for example delay=0 "
                             "(GET /delay/0?delay=0: fakeapi parses it as chaos; the bare server echoes it)")
    parser.add_argument("--_load-worker", dest="load_worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.path = "/delay/0" + (f"?{args.query}" if args.query else "")

    if args.inprocess:
        print(f"in process, GET {args.path}: {machine_line()}")
        for name, us in asyncio.run(inprocess_part(args.baseline, args.path)).items():
            print(f"  {name:8} {us:6.2f} us per request (routing + handler, best of 7 x 1,000 requests)")
        return 0

    if args.load_worker:  # the aiohttp load generator, in its own process
        raise_nofile_limit()
        print(json.dumps(asyncio.run(_load_worker(args.load_worker, args.connections, args.duration))))
        return 0

    soft = raise_nofile_limit()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes and max(sizes) > soft - 100:
        print(f"warning: open-file limit {soft} is too low for {max(sizes)} connections", file=sys.stderr)
    tool = args.load
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "aiohttp"
    elif tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")

    print(f"machine: {machine_line()}; open-file limit {soft}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    servers = [
        Server("bare", [sys.executable, str(BARE_SERVER), "--port", "0"]),
        Server("fakeapi", [sys.executable, "-m", "fakeapi", "--port", "0", "--latency-scale", "0"]),
    ]
    if args.baseline:
        servers.append(Server("baseline", [sys.executable, "-m", "fakeapi", "--port", "0", "--latency-scale", "0"],
                              cwd=args.baseline.resolve()))
    by_name = {s.name: s for s in servers}
    record: dict[str, Any] = {"machine": machine_line(), "args": {k: str(v) for k, v in vars(args).items()}}
    try:
        for s in servers:
            print(f"{s.name:8} {s.url}")
        if "throughput" not in args.skip:
            record["throughput"] = throughput_part(servers, by_name, tool, args)
        if "gather" not in args.skip:
            record["gather"] = gather_part([by_name["bare"], by_name["fakeapi"]], by_name, sizes, args)
    finally:
        for s in servers:
            s.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(record, indent=2, default=lambda o: o.__dict__))
    return 0


def order(servers: list[Server], rep: int) -> list[Server]:
    return servers if rep % 2 == 0 else servers[::-1]


def rotation(servers: list[Server], rep: int) -> list[Server]:
    """Each run starts with another server, so none is always measured first or last."""
    shift = rep % len(servers)
    ordered = servers[shift:] + servers[:shift]
    return ordered if (rep // len(servers)) % 2 == 0 else ordered[::-1]


def throughput_part(servers: list[Server], by_name: dict[str, Server], tool: str, args: argparse.Namespace) -> Any:
    generator = ("wrk (-t1, keep-alive)" if tool == "wrk"
                 else "an aiohttp client in a separate process (no wrk, or --load aiohttp): the client, "
                      "not the servers, may limit these figures")
    print(f"\n== throughput: GET {args.path}, {args.connections} connections, {args.duration:g} s per run, "
          f"{args.repeats} runs each; load generator: {generator}")
    runs: dict[str, list[Throughput]] = {s.name: [] for s in servers}
    others = [s.name for s in servers if s.name != "bare"]
    ratios: dict[str, list[float]] = {name: [] for name in others}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in others}
    with LoadMeter(servers) as meter:
        for rep in range(args.repeats):
            for s in rotation(servers, rep):
                runs[s.name].append(measure_throughput(s, tool, args.connections, args.duration, args.path))
            bare = runs["bare"][-1]
            for name in others:
                ratios[name].append(runs[name][-1].rps / bare.rps)
                cpu_ratios[name].append(bare.server_us / runs[name][-1].server_us)
            print(f"  run {rep + 1}: bare {bare.rps:8.0f} req/s, " + ", ".join(
                f"{name} {runs[name][-1].rps:8.0f} req/s (ratio {ratios[name][-1]:.3f}, server CPU per request "
                f"ratio {cpu_ratios[name][-1]:.3f})" for name in others))
    print(f"  {'server':8} {'req/s':>9} {'errors':>7} {'server CPU':>11} {'us/request':>11} {'client CPU':>11} "
          f"{'p99':>8}")
    for name, rs in runs.items():
        print(f"  {name:8} {median([r.rps for r in rs]):9.0f} {sum(r.errors for r in rs):7d} "
              f"{median([r.server_cpu for r in rs]):10.0%} {median([r.server_us for r in rs]):11.1f} "
              f"{median([r.client_cpu for r in rs]):10.0%} {rs[len(rs) // 2].latency_p99:>8}")
    for name in others:
        journaled = [(r.journaled, r.requests) for r in runs[name]]
        print(f"  {name} journal recorded " + ", ".join(f"{j} (client read {n})" for j, n in journaled)
              + " requests in the measured runs")
        print(f"  RATIO {name} / bare: {median(ratios[name]):.3f} req/s (median of per-run ratios; target >= 0.8, "
              f"aim 0.95); by server CPU per request: {median(cpu_ratios[name]):.3f}")
    print(f"  other load during this part: {meter.other_cores:.2f} cores on average")
    return {"runs": runs, "ratios": ratios["fakeapi"], "ratio": median(ratios["fakeapi"]),
            "cpu_ratio": median(cpu_ratios["fakeapi"]), "other_cores": meter.other_cores,
            "all_ratios": ratios, "all_cpu_ratios": cpu_ratios}


def gather_part(servers: list[Server], by_name: dict[str, Server], sizes: list[int],
                args: argparse.Namespace) -> Any:
    delay = args.delay
    print(f"\n== gather fidelity: one aiohttp session (limit=0) gathers N x GET /delay/{delay:g}, "
          f"{args.repeats} runs each; fidelity = elapsed / {delay:g} s")
    runs: dict[tuple[str, int], list[Gather]] = {}
    for s in servers:  # warm-up, not counted: first connections, first imports on both sides
        measure_gather(s, min(sizes), delay)
    with LoadMeter(servers) as meter:
        for n in sizes:
            for rep in range(args.repeats):
                for s in order(servers, rep):
                    g = measure_gather(s, n, delay)
                    runs.setdefault((s.name, n), []).append(g)
                    if g.errors:
                        print(f"  {s.name} n={n}: {g.errors} errors, first: {g.first_error}")
    print(f"  {'N':>6} {'bare':>8} {'fakeapi':>8} {'fakeapi/bare':>13} {'errors':>7}  (median elapsed / delay)")
    summary = {}
    for n in sizes:
        b = median([g.elapsed / delay for g in runs[("bare", n)]])
        f = median([g.elapsed / delay for g in runs[("fakeapi", n)]])
        errors = sum(g.errors for s in servers for g in runs[(s.name, n)])
        summary[n] = {"bare": b, "fakeapi": f, "ratio": f / b, "errors": errors}
        print(f"  {n:6d} {b:8.3f} {f:8.3f} {f / b:13.3f} {errors:7d}")
    worst = max(summary.values(), key=lambda v: abs(v["ratio"] - 1))
    print(f"  worst fakeapi/bare: {worst['ratio']:.3f} (target: within 10% at every size, no errors)")

    n = max(sizes)
    print(f"\n== where the time goes at N={n} (medians; times from the client's start of the gather)")
    for name in ("bare", "fakeapi"):
        gs = runs[(name, n)]
        el = median([g.elapsed for g in gs])
        ccpu = median([g.client_cpu for g in gs])
        scpu = median([g.server_cpu for g in gs])
        print(f"  {name:8} elapsed {el:.3f} s = {delay:g} s delay + {el - delay:.3f} s; "
              f"client CPU {ccpu:.3f} s ({ccpu / n * 1e6:.0f} us/request, {ccpu / el:.0%} of elapsed), "
              f"server CPU {scpu:.3f} s ({scpu / n * 1e6:.0f} us/request)")
    fj = runs[("fakeapi", n)]
    j = {k: median([g.journal[k] for g in fj]) for k in ("first_start", "last_start", "last_end", "entries", "ok")}
    el = median([g.elapsed for g in fj])
    print(f"  fakeapi journal ({j['entries']:.0f} entries, {j['ok']:.0f} ok): first request arrived at "
          f"{j['first_start']:.3f} s, last at {j['last_start']:.3f} s (spread of starts "
          f"{j['last_start'] - j['first_start']:.3f} s); last answer sent at {j['last_end']:.3f} s; "
          f"client had read every answer at {el:.3f} s")
    issue = j["last_start"]
    drain = el - j["last_end"]
    print(f"  => {issue:.3f} s pass before the last of the {n} requests reaches the server (opening {n} "
          f"connections and sending {n} requests) and {drain:.3f} s after the server's last answer before the "
          f"client has read them all: {issue + drain:.3f} s of the {el - delay:.3f} s excess over the delay.")
    for name in ("bare", "fakeapi"):
        gs = runs[(name, n)]
        el = median([g.elapsed for g in gs])
        ccpu = median([g.client_cpu for g in gs])
        scpu = median([g.server_cpu for g in gs])
        side = "client" if ccpu >= scpu else "server"
        print(f"  => {name}: each process has one core, so elapsed >= delay + max(client CPU, server CPU) = "
              f"{delay + max(ccpu, scpu):.3f} s of the {el:.3f} s measured; the larger is the {side}'s "
              f"({max(ccpu, scpu):.3f} s vs {min(ccpu, scpu):.3f} s): the {side} is the bottleneck.")
    print(f"  other load during this part: {meter.other_cores:.2f} cores on average")
    traced = {}
    for s in servers:
        s.settle()
        traced[s.name] = t = asyncio.run(_traced_gather(f"{s.url}/delay/{delay:g}", n))
        s.settle()
        print(f"  traced run ({s.name}, one run, client tracing on): last connection open at "
              f"{t['last_connected']:.3f} s, "
              f"request headers written from {t['first_sent']:.3f} s to {t['last_sent']:.3f} s, answers from "
              f"{t['first_answer']:.3f} s to {t['last_answer']:.3f} s, done at {t['done']:.3f} s")
    return {"runs": {f"{k[0]}:{k[1]}": v for k, v in runs.items()}, "summary": summary,
            "journal_at_max": j, "traced": traced, "other_cores": meter.other_cores}


# ---------------------------------------------------------------- in process

def _fresh_fakeapi(root: Path) -> Any:
    """Import the fakeapi package found in `root` (a new copy of it, whichever was imported before)."""
    for name in [m for m in sys.modules if m == "fakeapi" or m.startswith("fakeapi.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        import fakeapi
    finally:
        sys.path.pop(0)
    return fakeapi


async def inprocess_part(baseline: Path | None, path: str = "/delay/0", n: int = 1_000,
                         reps: int = 7) -> dict[str, float]:
    """Best-of-reps CPU microseconds per request to resolve the route and run the handler (no sockets or parsing).

    Each rep builds n fresh mocked requests (about 2 ms each to build: that is why n is small).
    """
    import bare_server
    from aiohttp.test_utils import make_mocked_request

    apps = {"bare": bare_server.create_app(), "fakeapi": _fresh_fakeapi(ROOT).create_app(latency_scale=0)}
    if baseline is not None:
        apps["baseline"] = _fresh_fakeapi(baseline.absolute()).create_app(latency_scale=0)  # noqa: ASYNC240
    for app in apps.values():
        app.freeze()
    best = {name: float("inf") for name in apps}
    for _ in range(reps):
        for name, app in apps.items():
            requests = [make_mocked_request("GET", path, app=app) for _ in range(n)]
            t0 = time.process_time()
            for request in requests:
                match = await app.router.resolve(request)
                request._match_info = match  # what aiohttp's own _handle does
                await match.handler(request)
            best[name] = min(best[name], (time.process_time() - t0) / n * 1e6)
    return best


if __name__ == "__main__":
    sys.exit(main())
