"""`make bench` (`python -m bench [--scale 1.0]`): the goals of issue #14, measured and printed
with met / not met. Figures to bench/results/bench.json and docs/bench.md. Not a test: the
goals are reported, not asserted. Every request goes to 127.0.0.1.

Three phases, each on its own system of four apps (gateway, indicators, support_cases,
training), load from a separate driver process:

1. ``pg``: PostgreSQL, one worker per app, national data (1,741 municipalities × 100 items ×
   2 grants × 3 years, 20,000 registrations). The service calls each gateway view makes are
   learnt by a recording pass-through in front of the services (bench/recorder.py) and then
   measured one by one. Then the writes: the national score import with its read-model
   refresh, and 200 registrations at once for 30 seats.
2. ``workers``: the same databases, the apps restarted with ``<APP>_WORKERS=2``; the views
   at 20 clients again.
3. ``sqlite``: the embedded default, as ``make run`` runs it (SQLite files, the apps under
   the supervisor script, or honcho where there is none), with the same national data loaded
   through the API (the registrations, as in phase 1, straight into the training database).

--scale shrinks the support cases, training sessions and registrations and the request
budgets (the 1,741 municipalities × 100 items × 3 years × 2 grants stay).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import procs, seed
from bench import report as md
from drills.base import DEGRADED_NOTICE, login, token
from services.common.db import Database
from services.common.models import utcnow
from services.common.registry import get_registry
from tests.e2e.system import APPS, ROOT, System, free_port

PG = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_bench"
)
FY = 2025
CODE = "131016"
SERVICES = ("indicators", "support_cases", "training")
PHASES = ("pg", "workers", "sqlite")
WORKERS = 2

# The gateway views the goals name: key → (label, path, kind). "page" needs the session
# cookie and is degraded when it shows the notice; "json" needs the API token and is
# degraded when its ``unavailable`` list is not empty.
VIEWS: dict[str, tuple[str, str, str]] = {
    "dashboard": ("dashboard page /", "/", "page"),
    "profile": (f"municipality page /municipalities/{CODE}", f"/municipalities/{CODE}", "page"),
    "overview": (
        "overview JSON",
        f"/api/v1/municipalities/{CODE}/overview?fiscal_year={FY}",
        "json",
    ),
    "grant_report": ("grant report JSON (Tokyo)", f"/api/v1/grant-report/{FY}", "json"),
}
SQLITE_VIEWS = ("dashboard", "profile", "overview")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- /metrics (request counts per service route; meaningful with one worker per app) --------

_LINE = re.compile(r"^(\w+)\{(.*)\} ([0-9.eE+-]+)$")


NOT_MODIFIED = ("304", "")


def metrics(text: str) -> dict[tuple[str, str], float]:
    """(method, route) → requests served, from http_request_duration_seconds_count."""
    out: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m.group(1) == "http_requests_total" and 'status="304"' in m.group(2):
            # conditional reads answered "not modified" (services/common/conditional.py)
            out[NOT_MODIFIED] = out.get(NOT_MODIFIED, 0.0) + float(m.group(3))
            continue
        if not m or m.group(1) != "http_request_duration_seconds_count":
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        key = (labels.get("method", ""), labels.get("route", ""))
        out[key] = out.get(key, 0.0) + float(m.group(3))
    return out


def scrape(system: System) -> dict[str, dict[tuple[str, str], float]]:
    with httpx.Client(timeout=60) as c:
        return {app: metrics(c.get(f"{system.service_url(app)}/metrics").text) for app in SERVICES}


def settle(system: System, limit: float = 120) -> float:
    """Wait until every service answers /healthz promptly: work the gateway gave up on
    (timed out) is still being computed and would slow the next row."""
    t0 = time.monotonic()
    with httpx.Client(timeout=limit) as c:
        while time.monotonic() - t0 < limit:
            t = time.monotonic()
            for app in SERVICES:
                c.get(f"{system.service_url(app)}/healthz")
            if time.monotonic() - t < 0.1:
                break
            time.sleep(0.5)
    return time.monotonic() - t0


# --- the processes ----------------------------------------------------------------------------


def cpu_delta(cpu0: dict[str, Any], cpu1: dict[str, Any]) -> dict[str, float]:
    """Seconds of CPU per process group between two readings (PostgreSQL: per backend,
    a backend that appeared in between counted whole)."""
    out = {}
    for name, v1 in cpu1.items():
        if isinstance(v1, dict):
            v0 = cpu0.get(name) or {}
            out[name] = sum(c - v0.get(pid, 0.0) for pid, c in v1.items())
        else:
            out[name] = v1 - cpu0.get(name, 0.0)
    return out


class Running:
    """The apps of one phase as process trees (an app with workers is several processes);
    ``extra`` are single processes (the supervisor, whose tree holds the apps, counts alone)."""

    def __init__(
        self,
        roots: dict[str, int],
        extra: dict[str, int] | None = None,
        postgres: PgBackends | None = None,
    ) -> None:
        self.roots = dict(roots)
        self.extra = dict(extra or {})
        self.postgres = postgres

    def cpu(self) -> dict[str, Any]:
        kids = procs.children_map()
        out: dict[str, Any] = {
            name: procs.tree_cpu_seconds(pid, kids) for name, pid in self.roots.items()
        }
        out.update({name: procs.cpu_seconds(pid) for name, pid in self.extra.items()})
        if self.postgres:
            out["postgresql"] = self.postgres.cpu()
        return out

    def memory(self) -> dict[str, list[dict[str, Any]]]:
        kids = procs.children_map()
        out = {
            name: [m.as_dict() for m in procs.tree_memory(pid, kids)]
            for name, pid in self.roots.items()
        }
        out.update(
            {
                name: [m.as_dict() for m in procs.tree_memory(pid, {})]
                for name, pid in self.extra.items()
            }
        )
        return out

    def workers(self) -> dict[str, int]:
        kids = procs.children_map()
        return {name: procs.workers(pid, kids) for name, pid in self.roots.items()}

    def identities(self) -> list[tuple[int, int]]:
        """(pid, start time) of every process of the apps (not the floor: it lives on)."""
        kids = procs.children_map()
        return procs.identities([p for root in self.roots.values() for p in procs.tree(root, kids)]
                                + [pid for name, pid in self.extra.items() if name != "floor"])  # fmt: skip


class Driver:
    """The load driver (bench/driver.py) in its own process; CPU time of the apps is read
    around the measured part of each row only (warm-up excluded)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.driver"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.running: Running | None = None

    def run(
        self, cmd: dict[str, Any], around: Callable[[], Any] | None = None
    ) -> tuple[dict[str, Any], Any, Any]:
        """The row's figures, and what ``around()`` returned just before and just after it."""
        assert self.proc.stdin and self.proc.stdout and self.running
        self.proc.stdin.write(json.dumps(cmd, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        warm = json.loads(self.proc.stdout.readline())
        assert warm.get("warm"), warm
        before = around() if around else None
        cpu0 = self.running.cpu()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        cpu1 = self.running.cpu()
        after = around() if around else None
        n = max(result["requests"], 1)
        result["cpu_ms_per_request"] = {
            app: round(d / n * 1000, 2) for app, d in cpu_delta(cpu0, cpu1).items()
        }
        return result, before, after

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)


def stop_leftovers(idents: list[tuple[int, int]]) -> None:
    """Last resort for processes this run started that outlived their parent's shutdown
    (each checked by pid and start time, so a reused pid is left alone)."""
    time.sleep(0.5)
    if procs.kill_if_same(idents, signal.SIGKILL):
        log("(stopped processes that outlived their app)")


# --- PostgreSQL -------------------------------------------------------------------------------


async def pg_admin(statements: list[str], fetch: str | None = None) -> Any:
    """Run ``statements`` on the server's ``postgres`` database; return ``fetch``'s rows."""
    u = make_url(PG)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    try:
        for s in statements:
            await conn.execute(s)
        return await conn.fetch(fetch) if fetch else None
    finally:
        await conn.close()


class PgBackends:
    """CPU time of the PostgreSQL backends serving this run's databases (pg_stat_activity
    names them; /proc has their CPU). A backend that closed during a row takes its CPU with
    it, so the figure is a lower bound; the apps' pools keep theirs open."""

    def __init__(self, databases: list[str]) -> None:
        self.databases = databases

    def cpu(self) -> dict[int, float]:
        rows = asyncio.run(pg_admin([], fetch="SELECT pid, datname FROM pg_stat_activity"))
        return {
            r["pid"]: procs.cpu_seconds(r["pid"]) for r in rows if r["datname"] in self.databases
        }


def pg_urls() -> dict[str, str]:
    u = make_url(PG)
    return {
        a: u.set(database=f"{u.database}_{a}").render_as_string(hide_password=False) for a in APPS
    }


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    try:
        pg = str(asyncio.run(pg_admin([], fetch="SHOW server_version"))[0][0]).split()[0]
    except OSError:
        pg = None
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_mb": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- credentials ------------------------------------------------------------------------------


async def api_token(gateway_db_url: str) -> str:
    from gateway.auth import service

    db = Database(gateway_db_url)
    try:
        async with db.session(write=True) as s:
            raw, _, _ = await service.create_token(
                s, name="ベンチ", user_id=None, expires_in_days=1, by="bench", now=utcnow()
            )
            await s.commit()
        return raw
    finally:
        await db.dispose()


async def session_cookies(base_url: str) -> dict[str, str]:
    c = await login(base_url)
    try:
        return {name: value for name, value in c.cookies.items() if name == "banso_session"}
    finally:
        await c.aclose()


# --- data -------------------------------------------------------------------------------------


async def load(system: System, workdir: Path, k: float) -> dict[str, Any]:
    """National data through the services' APIs (registrations straight into the training
    database, see bench/seed.py)."""
    t0 = time.perf_counter()
    headers = token(system)
    limits = httpx.Limits(max_connections=20)
    clients = {
        app: httpx.AsyncClient(
            base_url=system.service_url(app), headers=headers, timeout=600, limits=limits
        )
        for app in SERVICES
    }
    try:
        ind, sc, tr = await asyncio.gather(
            seed.indicators(clients["indicators"], workdir, log),
            seed.support_cases(clients["support_cases"], max(20, round(200 * k)), log),
            seed.training(
                clients["training"],
                system.env["TRAINING_DATABASE_URL"],
                max(20, round(500 * k)),
                max(800, round(20_000 * k)),
                log,
            ),
        )
    finally:
        for c in clients.values():
            await c.aclose()
    log(f"data loaded in {time.perf_counter() - t0:.0f} s")
    return {
        "municipalities": 1741,
        "frameworks": {key: v["id"] for key, v in ind["frameworks"].items()},
        "items_per_framework": 100,
        "seed_imports_s": ind["imports_s"],
        "support_cases": sc["cases"],
        "training_sessions": tr["sessions"],
        "registrations": tr["registrations"],
        "files": ind["files"],
        "load_seconds": round(time.perf_counter() - t0, 1),
    }


# --- measuring --------------------------------------------------------------------------------


class Bench:
    """Rows of one run: each is a driver command, its figures, the apps' CPU per request."""

    def __init__(self, driver: Driver, t: float) -> None:
        self.driver = driver
        self.t = t
        self.runs: list[dict[str, Any]] = []
        self.p50_at_1: dict[tuple[str, str], float] = {}

    def budget(self, c: int, phase: str, name: str, kind: str) -> dict[str, Any]:
        t = self.t
        # The workers phase has no 1-client rows: it takes the one-worker row's budget.
        slow = (self.p50_at_1.get((phase, name)) or self.p50_at_1.get(("pg", name), 0)) > 250
        if c > 1 and slow:
            # A slow row: one request per client (20 at once) bounds its time.
            return {"requests": c, "max_seconds": 1.0, "warmup": 0}
        if kind == "service":
            if c == 1:
                return {"requests": max(10, round(200 * t)), "max_seconds": max(2.0, 4 * t),
                        "warmup": 3}  # fmt: skip
            return {"requests": max(40, round(1000 * t)), "max_seconds": max(3.0, 6 * t),
                    "warmup": 10}  # fmt: skip
        if c == 1:
            return {"requests": max(10, round(300 * t)), "max_seconds": max(3.0, 8 * t),
                    "warmup": 5}  # fmt: skip
        return {"requests": max(40, round(1500 * t)), "max_seconds": max(4.0, 12 * t),
                "warmup": 10}  # fmt: skip

    def go(
        self,
        system: System,
        name: str,
        target: dict[str, Any],
        c: int,
        *,
        phase: str,
        group: str,
        attribute: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """One row. ``attribute``: read the services' request counters around it, so that the
        services' CPU can be divided by the calls the gateway made (one worker per app)."""
        kind = "service" if group == "service" else "view"
        cmd = {"name": name, "concurrency": c, **self.budget(c, phase, name, kind), **target}
        cmd.update(extra)
        waited = settle(system)
        if waited > 1:
            log(f"(waited {waited:.1f} s for the services to finish earlier work)")
        r, before, after = self.driver.run(cmd, (lambda: scrape(system)) if attribute else None)
        r.update(phase=phase, group=group)
        for key in ("view", "used_by", "service"):
            if key in extra:
                r[key] = extra[key]
        if attribute and before is not None and after is not None:
            r["service_calls"] = attribution(before, after, r)
        if c == 1:
            self.p50_at_1[(phase, name)] = r["p50_ms"]
        if group == "gateway" and (r.get("degraded") or r["errors"]):
            time.sleep(6)  # let the gateway's circuit breakers close before the next row
        self.runs.append(r)
        log(
            f"[{phase}] {name} @{c}: {r['req_per_s']} req/s, p50 {r['p50_ms']} p99 "
            f"{r['p99_ms']} ms, errors {r['errors']} {r['statuses']}, degraded "
            f"{r.get('degraded', 0)}, CPU ms/req "
            + ", ".join(f"{a} {v}" for a, v in r["cpu_ms_per_request"].items() if v)
        )
        return r


def attribution(
    before: dict[str, dict[tuple[str, str], float]],
    after: dict[str, dict[tuple[str, str], float]],
    r: dict[str, Any],
) -> dict[str, Any]:
    """Per service, during the row: calls per gateway request, the routes called, and the
    service's CPU per call (its CPU time over the calls it served)."""
    n = max(r["requests"], 1)
    out = {}
    for app in SERVICES:
        routes = []
        total = 0.0
        not_modified = after[app].get(NOT_MODIFIED, 0.0) - before[app].get(NOT_MODIFIED, 0.0)
        for key, count in after[app].items():
            d = count - before[app].get(key, 0.0)
            if key == NOT_MODIFIED:
                continue
            if d > 0:
                total += d
                routes.append({"call": f"{key[0]} {key[1]}", "per_request": round(d / n, 2)})
        cpu_ms = r["cpu_ms_per_request"].get(app, 0.0) * n
        out[app] = {
            "calls_per_request": round(total / n, 2),
            "cpu_ms_per_call": round(cpu_ms / total, 2) if total else None,
            "not_modified_share": round(not_modified / total, 2) if total else None,
            "routes": sorted(routes, key=lambda x: -x["per_request"]),
        }
    return out


def view_target(
    base: str, key: str, cookies: dict[str, str], api: dict[str, str]
) -> dict[str, Any]:
    _label, path, kind = VIEWS[key]
    if kind == "page":
        return dict(
            url=base + path,
            headers={"Accept": "text/html"},
            cookies=cookies,
            degraded_if=DEGRADED_NOTICE,
        )
    return dict(url=base + path, headers=api, combined=True)


# --- which service calls each view makes --------------------------------------------------


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def answer_complete(r: httpx.Response, kind: str) -> bool:
    if r.status_code != 200:
        return False
    if kind == "page":
        return DEGRADED_NOTICE not in r.text
    return re.search(r'"unavailable"\s*:\s*\[\s*\]', r.text) is not None


def discover(
    system: System, cookies: dict[str, str], api: dict[str, str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bool]]:
    """The service calls of each view, as a second gateway (not the measured one) makes them
    through recording pass-throughs: the calls of the third request of each view (the first
    two warm whatever the gateway keeps), and whether that answer was complete (if not, the
    calls of the missing part are missing too)."""
    work = system.workdir / "discovery"
    work.mkdir(exist_ok=True)
    started: list[subprocess.Popen] = []
    env = dict(system.env)
    gport = free_port()
    # Patient: a call that is slow today must still be made and recorded, not cut off by the
    # deadline or skipped by an open circuit breaker.
    env.update(
        GATEWAY_PORT=str(gport),
        GATEWAY_SERVICE_TIMEOUT_SECONDS="60",
        GATEWAY_CIRCUIT_FAILURE_THRESHOLD="1000000",
    )
    try:
        for app in SERVICES:
            port = free_port()
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.recorder",
                        "--target",
                        system.service_url(app),
                        "--port",
                        str(port),
                        "--out",
                        str(work / f"{app}.jsonl"),
                    ],
                    cwd=ROOT,
                )  # fmt: skip
            )
            env[f"GATEWAY_{app.upper()}_URL"] = f"http://127.0.0.1:{port}"
            wait_port(port)
        with open(work / "gateway.log", "ab") as out:
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "scripts.serve", "gateway"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        base = f"http://127.0.0.1:{gport}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        complete: dict[str, bool] = {}
        for key in VIEWS:
            t = view_target(base, key, cookies, api)
            with httpx.Client(timeout=120, cookies=t.get("cookies")) as c:
                for i in range(3):
                    r = c.get(
                        t["url"], headers={**t["headers"], "X-Request-ID": f"bench-{key}-{i}"}
                    )
                complete[key] = answer_complete(r, VIEWS[key][2])
                if not complete[key]:
                    log(f"discovery: {key} answered {r.status_code}, not complete: its calls "
                        "are not all known")  # fmt: skip
    finally:
        for p in reversed(started):
            p.terminate()
        for p in started:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    calls: dict[str, list[dict[str, Any]]] = {key: [] for key in VIEWS}
    for app in SERVICES:
        path = work / f"{app}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            m = re.fullmatch(r"bench-(\w+)-2", rec.get("request_id") or "")
            if m and m.group(1) in calls:
                calls[m.group(1)].append({"service": app, **rec})
    return calls, complete


def distinct_calls(calls: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each different call once, with the views that make it and how often per request."""
    out: dict[tuple, dict[str, Any]] = {}
    for view, made in calls.items():
        for call in made:
            key = (call["service"], call["method"], call["url"], call.get("body"))
            entry = out.setdefault(
                key,
                {
                    "service": call["service"],
                    "method": call["method"],
                    "url": call["url"],
                    "body": call.get("body"),
                    "content_type": call.get("content_type"),
                    "status": call["status"],
                    "used_by": {},
                },
            )
            entry["used_by"][view] = entry["used_by"].get(view, 0) + 1
    return list(out.values())


# --- the phases -------------------------------------------------------------------------------


def start_apps(system: System, postgres: PgBackends | None = None) -> Running:
    for app in APPS:
        system.start(app)
    for app in APPS:
        system.wait_ready(app, timeout=120)
    return Running({app: system.procs[app].pid for app in APPS}, postgres=postgres)


def measure_views(
    bench: Bench,
    system: System,
    keys: tuple[str, ...],
    clients: tuple[int, ...],
    phase: str,
    cookies: dict[str, str],
    api: dict[str, str],
    attribute: bool,
) -> None:
    for c in clients:
        for key in keys:
            bench.go(system, VIEWS[key][0], view_target(system.url, key, cookies, api), c,
                     phase=phase, group="gateway", attribute=attribute, view=key)  # fmt: skip


def national_imports(
    bench: Bench, system: System, data: dict[str, Any], workdir: Path, k: float
) -> list[dict[str, Any]]:
    """Re-imports of the whole nation's scores (174,100 cells) into the newest framework,
    alternating a file where 千代田区 scores nothing with one where it scores: a read right
    after each answer says whether the read models were refreshed within the import."""
    ind = system.service_url("indicators")
    fid = data["frameworks"]["suishin-2025"]
    nation = Path(data["files"]["nation"])
    lines = nation.read_bytes().decode("utf-8-sig").splitlines()
    zero = [
        (CODE + "," + ",".join("0" for _ in line.split(",")[1:]))
        if line.startswith(CODE + ",")
        else line
        for line in lines
    ]
    zero_file = workdir / "scores-nation-zero.csv"
    zero_file.write_bytes(("\n".join(zero) + "\n").encode("utf-8-sig"))
    headers = token(system)
    out = []
    for i in range(max(2, round(3 * k))):
        file, expect_zero = (zero_file, True) if i % 2 == 0 else (nation, False)
        r = bench.go(system, "score import, whole nation (174,100 cells)",
                     dict(method="POST", url=f"{ind}/api/v1/frameworks/{fid}/scores/import",
                          headers=headers, file=str(file), timeout=300),
                     1, phase="pg", group="write", requests=1, max_seconds=300,
                     warmup=0)  # fmt: skip
        answered = time.monotonic()
        seconds = r["max_ms"] / 1000 if r["max_ms"] else None
        first_fresh, seen_after = None, None
        with httpx.Client(timeout=60, headers=headers) as c:
            while time.monotonic() - answered < 60:
                asked = time.monotonic() - answered
                got = c.get(f"{ind}/api/v1/frameworks/{fid}/results", params={"entity_code": CODE})
                total = entity_total(got)
                ok = total is not None and ((total == 0) == expect_zero)
                if first_fresh is None:
                    first_fresh = ok
                if ok:
                    # The read that saw it began this long after the import's answer (0 for
                    # the first read: the refresh was part of the import).
                    seen_after = 0.0 if first_fresh else asked
                    break
                time.sleep(0.1)
        out.append(
            {
                "seconds": round(seconds, 2) if seconds is not None else None,
                "status": r["statuses"],
                "read_right_after_saw_it": bool(first_fresh),
                "seconds_until_read_saw_it": round(seconds + seen_after, 2)
                if seconds is not None and seen_after is not None
                else None,
            }
        )
        log(f"national import {i + 1}: {out[-1]}")
    return out


def _first_item(fw: dict[str, Any]) -> dict[str, Any]:
    cats = list(fw["categories"])
    while cats:
        c = cats.pop(0)
        if c.get("items"):
            return c["items"][0]
        cats = list(c.get("categories") or []) + cats
    raise RuntimeError("the framework has no item")


def small_writes(system: System, data: dict[str, Any]) -> dict[str, Any]:
    """The writes a person makes one at a time, on the national data: a one-cell score PUT
    (its read models are refreshed within the write) and a peer-set create and edit (every
    framework's peer ranks and averages follow). Sequential, each timed; a read right after
    each score PUT says whether it saw the new points."""
    ind = system.service_url("indicators")
    fid = data["frameworks"]["suishin-2025"]
    out: dict[str, Any] = {"cell_put_s": [], "cell_read_saw_it": [], "peer_set_s": []}
    with httpx.Client(base_url=ind, headers=token(system), timeout=300) as c:
        item = _first_item(c.get(f"/api/v1/frameworks/{fid}").json())
        before = entity_total(
            c.get(f"/api/v1/frameworks/{fid}/results", params={"entity_code": CODE})
        )
        for i in range(5):
            points = item["min_points"] if i % 2 == 0 else item["max_points"]
            body = {"scores": [{"entity_code": CODE, "item_code": item["code"], "points": points}]}
            t0 = time.perf_counter()
            r = c.put(f"/api/v1/frameworks/{fid}/scores", json=body)
            out["cell_put_s"].append(round(time.perf_counter() - t0, 3))
            if r.status_code != 200:
                raise RuntimeError(f"score PUT: {r.status_code} {r.text[:300]}")
            after = entity_total(
                c.get(f"/api/v1/frameworks/{fid}/results", params={"entity_code": CODE})
            )
            cells = c.get(f"/api/v1/frameworks/{fid}/scores", params={"entity_code": CODE}).json()
            stored = sum(float(x.get("points") or 0) for x in cells if x.get("points") is not None)
            out["cell_read_saw_it"].append(after is not None and abs(after - stored) < 1e-6)
        out["total_before"] = before
        tokyo = [m.code for m in get_registry().home()]
        members = {m: ("支援対象" if i % 2 else "対象外") for i, m in enumerate(tokyo)}
        t0 = time.perf_counter()
        r = c.post("/api/v1/peer-sets", json={"name": "ベンチ", "members": members})
        out["peer_set_s"].append(round(time.perf_counter() - t0, 3))
        if r.status_code != 201:
            raise RuntimeError(f"peer set: {r.status_code} {r.text[:300]}")
        ps = r.json()
        members = {m: ("支援対象" if i % 3 else "対象外") for i, m in enumerate(tokyo)}
        t0 = time.perf_counter()
        r = c.put(f"/api/v1/peer-sets/{ps['id']}",
                  json={"name": "ベンチ", "members": members, "version": ps["version"]})  # fmt: skip
        out["peer_set_s"].append(round(time.perf_counter() - t0, 3))
        if r.status_code != 200:
            raise RuntimeError(f"peer set edit: {r.status_code} {r.text[:300]}")
    out["frameworks"] = len(data["frameworks"])
    log(f"small writes: {out}")
    return out


def entity_total(r: httpx.Response) -> float | None:
    if r.status_code != 200:
        return None
    doc = r.json()
    rows = doc.get("entities", doc) if isinstance(doc, dict) else doc
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("entity_code") == CODE:
            return row.get("total")
    return None


def registration_burst(bench: Bench, system: System) -> dict[str, Any]:
    """200 registrations at once for a session of 30 seats: exactly 30 confirmed, 170 on the
    waitlist in positions 1..170."""
    tr = system.service_url("training")
    headers = token(system)
    sid = asyncio.run(burst_session(tr, headers))
    body = json.dumps(
        {
            "name": "職員 {i}",
            "municipality_code": CODE,
            "role": "実務担当者",
            "email": "burst{i}@bench.example.jp",
        },
        ensure_ascii=False,
    )
    r = bench.go(system, "registration burst (200 at once, 30 seats)",
                 dict(method="POST", url=f"{tr}/api/v1/sessions/{sid}/registrations",
                      headers=headers, json_template=body, timeout=120),
                 200, phase="pg", group="write", requests=200, max_seconds=120,
                 warmup=0)  # fmt: skip
    with httpx.Client(base_url=tr, headers=headers, timeout=60) as c:
        s = c.get(f"/api/v1/sessions/{sid}").json()
        regs = c.get(f"/api/v1/sessions/{sid}/registrations").json()
    if isinstance(regs, dict):
        regs = regs.get("data") or regs.get("items") or []
    waiting = sorted(
        (x for x in regs if x.get("status") == "waitlisted"), key=lambda x: x.get("id", 0)
    )
    out = {
        "requests": r["requests"],
        "statuses": r["statuses"],
        "seconds": r["seconds"],
        "confirmed": s.get("confirmed"),
        "waitlisted": s.get("waitlisted"),
        "confirmed_listed": sum(1 for x in regs if x.get("status") == "confirmed"),
        "waitlist_in_order": [x.get("waitlist_position") for x in waiting]
        == list(range(1, len(waiting) + 1)),
    }
    log(f"registration burst: {out}")
    return out


async def burst_session(base: str, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        p = (
            await c.post(
                "/api/v1/programs",
                json={
                    "name": "申込集中",
                    "kind": "その他",
                    "fiscal_year": FY + 1,
                    "region": "全域",
                },
            )
        ).json()
        s = await c.post(
            "/api/v1/sessions",
            json={
                "program_id": p["id"],
                "days": [{"date": f"{FY + 1}-06-10", "start": "13:30", "end": "16:30"}],
                "format": "会場",
                "capacity": 30,
            },
        )
        s.raise_for_status()
        return s.json()["id"]


def phase_processes(running: Running, cpu0: dict[str, Any]) -> dict[str, Any]:
    used = cpu_delta(cpu0, running.cpu())
    mem = running.memory()
    workers = running.workers()
    return {
        name: {
            "workers": workers.get(name),
            "cpu_seconds": round(seconds, 1),
            "processes": mem.get(name, []),
        }
        for name, seconds in used.items()
    }


def measure_pg(
    args: argparse.Namespace,
    bench: Bench,
    system: System,
    data: dict[str, Any],
    workdir: Path,
    floor: dict[str, Any],
    cookies: dict[str, str],
    api: dict[str, str],
) -> dict[str, Any]:
    """Phase pg: the floor, the views, each service call the views make, the writes."""
    log("learning the service calls of each view")
    calls, discovery_complete = discover(system, cookies, api)
    for key, made in calls.items():
        log(f"  {key}: " + ", ".join(f"{c['service']} {c['method']} {c['url']}" for c in made))
    floor_url = f"http://127.0.0.1:{floor['port']}/ping"
    for c in (1, 20):
        bench.go(system, "floor: bare FastAPI endpoint", dict(url=floor_url), c,
                 phase="pg", group="floor")  # fmt: skip
    measure_views(bench, system, tuple(VIEWS), (1, 20), "pg", cookies, api, attribute=True)
    headers = token(system)
    distinct = distinct_calls(calls)
    for c in (1, 20):
        for call in distinct:
            target: dict[str, Any] = dict(
                method=call["method"],
                url=system.service_url(call["service"]) + call["url"],
                headers=headers,
            )
            if call["body"] is not None:
                target.update(body=call["body"], content_type=call["content_type"])
            bench.go(system, f"{call['service']} {call['method']} {call['url']}", target, c,
                     phase="pg", group="service", used_by=call["used_by"],
                     service=call["service"])  # fmt: skip
    imports = national_imports(bench, system, data, workdir, args.scale)
    burst = registration_burst(bench, system)
    small = small_writes(system, data)
    return {
        "calls": calls,
        "discovery_complete": discovery_complete,
        "imports": imports,
        "burst": burst,
        "small_writes": small,
    }


def pg_phases(
    args: argparse.Namespace, driver: Driver, bench: Bench, floor: dict[str, Any]
) -> dict[str, Any]:
    urls = pg_urls()
    names = [make_url(u).database for u in urls.values()]
    asyncio.run(
        pg_admin(
            [s for n in names for s in (f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)', f'CREATE DATABASE "{n}"')]
        )
    )  # fmt: skip
    tmp = tempfile.TemporaryDirectory(prefix="banso-bench-pg-")
    workdir = Path(tmp.name)
    system = System(workdir, database_urls=urls, demo=False)
    out: dict[str, Any] = {}
    leftovers: list[tuple[int, int]] = []
    backends = PgBackends(names)
    try:
        log("PostgreSQL, one worker per app: migrating, starting the four apps, loading data")
        system.prepare()
        system.env["BANSO_LOG_LEVEL"] = args.log_level
        running = start_apps(system, backends)
        running.extra["floor"] = floor["pid"]
        driver.running = running
        cpu0 = running.cpu()
        data = asyncio.run(load(system, workdir, args.scale))
        cookies = asyncio.run(session_cookies(system.url))
        api = {"Authorization": f"Bearer {asyncio.run(api_token(urls['gateway']))}"}
        out["pg"] = {"data": {key: v for key, v in data.items() if key != "files"}}
        if "pg" in args.phases:
            out["pg"].update(measure_pg(args, bench, system, data, workdir, floor, cookies, api))
            out["pg"]["processes"] = phase_processes(running, cpu0)
        leftovers = running.identities()
        system.down()
        stop_leftovers(leftovers)
        if "workers" in args.phases:
            log(f"PostgreSQL, {WORKERS} workers per app: restarting the four apps")
            for app in APPS:
                system.env[f"{app.upper()}_WORKERS"] = str(WORKERS)
            running = start_apps(system, backends)
            running.extra["floor"] = floor["pid"]
            driver.running = running
            time.sleep(2)  # every worker up, not only the first that answered
            cookies = asyncio.run(session_cookies(system.url))  # a fresh session (idle expiry)
            cpu0 = running.cpu()
            measure_views(bench, system, tuple(VIEWS), (20,), "workers", cookies, api, False)
            serve_py = (ROOT / "scripts" / "serve.py").read_text()
            out["workers"] = {
                "requested": WORKERS,
                "setting_in_serve_script": "_WORKERS" in serve_py,
                "seen": running.workers(),
                "processes": phase_processes(running, cpu0),
            }
            leftovers = running.identities()
    finally:
        system.down()
        stop_leftovers(leftovers)
        if not args.keep:
            asyncio.run(pg_admin([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]))
        tmp.cleanup()
    return out


def launcher() -> tuple[str, list[str]]:
    """What `make run` starts the apps with: the supervisor script where there is one, else
    honcho with the Procfile."""
    if (ROOT / "scripts" / "supervise.py").exists():
        return "scripts.supervise", [sys.executable, "-m", "scripts.supervise"]
    return "honcho (Procfile)", [str(Path(sys.executable).with_name("honcho")), "start",
                                 "-f", "Procfile"]  # fmt: skip


def sqlite_phase(
    args: argparse.Namespace, driver: Driver, bench: Bench, floor: dict[str, Any]
) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="banso-bench-sqlite-")
    workdir = Path(tmp.name)
    system = System(workdir, demo=False)  # SQLite files in workdir, as make run keeps in var/
    how, cmd = launcher()
    sup: subprocess.Popen | None = None
    leftovers: list[tuple[int, int]] = []
    try:
        log(f"SQLite (make run setup, {how}): migrating and starting the four apps")
        system.prepare()
        # As make run: no BANSO_ENV (development), the default log level, GATEWAY_DEMO=true.
        system.env.pop("BANSO_ENV", None)
        system.env["BANSO_LOG_LEVEL"] = args.log_level
        for app in APPS:
            system.env.pop(f"{app.upper()}_WORKERS", None)
        with open(workdir / "apps.log", "ab") as out:
            sup = subprocess.Popen(
                cmd, cwd=ROOT, env=system.env, stdout=out, stderr=subprocess.STDOUT
            )
        for app in APPS:
            system.wait_ready(app, timeout=120)
        roots = procs.find_app_roots(sup.pid, tuple(APPS))
        missing = [a for a in APPS if a not in roots]
        if missing:
            raise RuntimeError(f"{how}: no process found for {missing}")
        running = Running(roots, {"supervisor": sup.pid, "floor": floor["pid"]})
        driver.running = running
        cpu0 = running.cpu()
        data = asyncio.run(load(system, workdir, args.scale))
        cookies = asyncio.run(session_cookies(system.url))
        gw_db = system.env["GATEWAY_DATABASE_URL"]
        api = {"Authorization": f"Bearer {asyncio.run(api_token(gw_db))}"}
        measure_views(bench, system, SQLITE_VIEWS, (1, 20), "sqlite", cookies, api, True)
        result = {
            "launcher": how,
            "log_level": args.log_level,
            "data": {key: v for key, v in data.items() if key != "files"},
            "processes": phase_processes(running, cpu0),
        }
        leftovers = running.identities()
        return result
    finally:
        if sup is not None and sup.poll() is None:
            sup.send_signal(signal.SIGTERM)
            try:
                sup.wait(30)
            except subprocess.TimeoutExpired:
                sup.kill()
                sup.wait(10)
        stop_leftovers(leftovers)
        tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data and request budgets (1 = national scale)"
    )
    parser.add_argument(
        "--time-scale", type=float, default=None, help="request budgets only (default: --scale)"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, of {', '.join(PHASES)} (workers alone loads the data and measures only the two-workers rows)",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="the apps' log level (INFO: make run's default)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument(
        "--no-docs", action="store_true", help="write bench.json only, not docs/bench.md"
    )
    args = parser.parse_args()
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    bad = [p for p in args.phases if p not in PHASES]
    if bad:
        parser.error(f"unknown phase {bad}: one of {PHASES}")
    t = args.time_scale if args.time_scale is not None else args.scale
    started = time.monotonic()
    facts = machine()
    log(f"machine: {facts}")
    out_dir = Path(__file__).with_name("results")
    out_dir.mkdir(exist_ok=True)
    floor_port = free_port()
    floor_proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.floor:app", "--host", "127.0.0.1",
         "--port", str(floor_port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
    )  # fmt: skip
    floor = {"pid": floor_proc.pid, "port": floor_port}
    driver = Driver()
    bench = Bench(driver, t)
    phases: dict[str, Any] = {}
    try:
        wait_port(floor_port)
        if "pg" in args.phases or "workers" in args.phases:
            phases.update(pg_phases(args, driver, bench, floor))
        if "sqlite" in args.phases:
            phases["sqlite"] = sqlite_phase(args, driver, bench, floor)
    finally:
        driver.close()
        floor_proc.terminate()
        floor_proc.wait(10)
    facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    doc = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "scale": args.scale,
        "time_scale": t,
        "phases_run": args.phases,
        "log_level": args.log_level,
        "seconds": round(time.monotonic() - started),
        "machine": facts,
        **phases,
        "runs": bench.runs,
    }
    doc["goals"] = md.goals(doc)
    (out_dir / "bench.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    text = md.render(doc)
    if not args.no_docs:
        (ROOT / "docs" / "bench.md").write_text(text)
    print(md.goals_text(doc))
    log(f"wrote bench/results/bench.json{'' if args.no_docs else ' and docs/bench.md'} "
        f"in {doc['seconds']} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
