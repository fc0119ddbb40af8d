"""`make bench` (`python -m bench [--scale 1.0]`): the whole system on PostgreSQL with
national-scale data, load from a separate driver process on loopback, figures to
bench/results/bench.json and docs/bench.md. Not a test: the goals are reported, not asserted.

--scale shrinks the support cases, training sessions and registrations and the request
counts and time limits (the 1,741 municipalities × 100 items × 3 years × 2 grants stay).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import report as md
from bench import seed
from drills.base import login, token
from services.common.db import Database
from services.common.models import utcnow
from tests.e2e.system import APPS, ROOT, System, free_port

PG = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_bench"
)
FY = 2025
CODE = "131016"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- /proc ----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


# --- /metrics -------------------------------------------------------------------------------

_LINE = re.compile(r"^(\w+)\{(.*)\} ([0-9.eE+-]+)$")


def metrics(text: str) -> dict[tuple[str, str, str], float]:
    """(metric, method, route) → value for the request counters and latency sums."""
    out: dict[tuple[str, str, str], float] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m or m.group(1) not in (
            "http_request_duration_seconds_sum",
            "http_request_duration_seconds_count",
        ):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        key = (m.group(1), labels.get("method", ""), labels.get("route", ""))
        out[key] = out.get(key, 0.0) + float(m.group(3))
    return out


async def scrape(system: System) -> dict[str, dict]:
    async with httpx.AsyncClient(timeout=180) as c:
        out = {}
        for app in ("indicators", "support_cases", "training"):
            out[app] = metrics((await c.get(f"{system.service_url(app)}/metrics")).text)
        return out


def settle(system: System, limit: float = 120) -> float:
    """Wait until every service answers /healthz promptly: work the gateway gave up on
    (timed out after 2 s) is still being computed and would slow the next row."""
    t0 = time.monotonic()
    with httpx.Client(timeout=limit) as c:
        while time.monotonic() - t0 < limit:
            t = time.monotonic()
            for app in ("indicators", "support_cases", "training"):
                c.get(f"{system.service_url(app)}/healthz")
            if time.monotonic() - t < 0.1:
                break
            time.sleep(0.5)
    return time.monotonic() - t0


def calls_between(before: dict[str, dict], after: dict[str, dict], n: int) -> list[dict]:
    """Service calls made between two scrapes: per route, calls per gateway request and the
    mean latency the service itself measured."""
    rows = []
    for app, m in after.items():
        for (metric, method, route), count in m.items():
            if metric != "http_request_duration_seconds_count":
                continue
            dc = count - before[app].get((metric, method, route), 0.0)
            if dc <= 0:
                continue
            key = ("http_request_duration_seconds_sum", method, route)
            ds = m.get(key, 0.0) - before[app].get(key, 0.0)
            rows.append(
                {
                    "service": app,
                    "call": f"{method} {route}",
                    "per_request": round(dc / max(n, 1), 2),
                    "mean_ms": round(ds / dc * 1000, 2),
                }
            )
    return sorted(rows, key=lambda r: -r["mean_ms"])


# --- the system -----------------------------------------------------------------------------


async def pg_admin(statements: list[str]) -> None:
    u = make_url(PG)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    try:
        for s in statements:
            await conn.execute(s)
    finally:
        await conn.close()


async def pg_version() -> str:
    u = make_url(PG)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    try:
        return (await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


def urls() -> dict[str, str]:
    u = make_url(PG)
    return {
        a: u.set(database=f"{u.database}_{a}").render_as_string(hide_password=False) for a in APPS
    }


async def api_token(gateway_url: str) -> str:
    from gateway.auth import service

    db = Database(gateway_url)
    try:
        async with db.session(write=True) as s:
            raw, _, _ = await service.create_token(
                s, name="ベンチ", user_id=None, expires_in_days=1, by="bench", now=utcnow()
            )
            await s.commit()
        return raw
    finally:
        await db.dispose()


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
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_mb": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": asyncio.run(pg_version()),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- the driver -----------------------------------------------------------------------------


class Driver:
    def __init__(self, pids: dict[str, int]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.driver"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pids = pids

    def run(self, cmd: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(cmd, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        warm = json.loads(self.proc.stdout.readline())
        assert warm.get("warm"), warm
        cpu0 = {app: cpu_seconds(pid) for app, pid in self.pids.items()}
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        cpu1 = {app: cpu_seconds(pid) for app, pid in self.pids.items()}
        n = max(result["requests"], 1)
        result["cpu_ms_per_request"] = {
            app: round((cpu1[app] - cpu0[app]) / n * 1000, 2) for app in self.pids
        }
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data and request budgets (1 = national scale)"
    )
    parser.add_argument(
        "--time-scale", type=float, default=None, help="request budgets only (default: --scale)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    k = args.scale
    out_dir = Path(__file__).with_name("results")
    out_dir.mkdir(exist_ok=True)
    facts = machine()
    log(f"machine: {facts}")
    db_urls = urls()
    names = [make_url(u).database for u in db_urls.values()]
    asyncio.run(
        pg_admin(
            [s for n in names for s in (f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)', f'CREATE DATABASE "{n}"')]
        )
    )  # fmt: skip
    tmp = tempfile.TemporaryDirectory()
    workdir = Path(tmp.name)
    system = System(workdir, database_urls=db_urls, demo=False)
    floor = None
    driver = None
    try:
        log("migrating and starting the three services and the gateway")
        system.up()
        for app in APPS:
            system.wait_ready(app)
        floor_port = free_port()
        floor = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.floor:app", "--host", "127.0.0.1",
             "--port", str(floor_port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT,
        )  # fmt: skip
        data = asyncio.run(load(system, workdir, k))
        pids = {app: system.procs[app].pid for app in APPS}
        pids["floor"] = floor.pid
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{floor_port}/ping").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        raw = asyncio.run(api_token(db_urls["gateway"]))
        cookies = asyncio.run(session_cookies(system))
        driver = Driver(pids)
        t = args.time_scale if args.time_scale is not None else k
        results = measure(system, driver, data, raw, cookies, floor_port, t)
        peaks = {app: peak_mb(pid) for app, pid in pids.items()}
    finally:
        if driver:
            driver.close()
        if floor:
            floor.terminate()
            floor.wait(10)
        system.down()
        if not args.keep:
            asyncio.run(pg_admin([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]))
        tmp.cleanup()
    facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    doc = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "scale": k,
        "time_scale": args.time_scale if args.time_scale is not None else k,
        "machine": facts,
        "data": {key: v for key, v in data.items() if key != "files"},
        "peak_memory_mb": peaks,
        **results,
    }
    doc["ratios"] = md.ratios(doc)
    doc["goals"] = md.goals(doc)
    (out_dir / "bench.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    text = md.render(doc)
    (ROOT / "docs" / "bench.md").write_text(text)
    print(text)
    log("wrote bench/results/bench.json and docs/bench.md")
    return 0


async def session_cookies(system: System) -> dict[str, str]:
    c = await login(system.url)
    try:
        return {name: value for name, value in c.cookies.items() if name == "banso_session"}
    finally:
        await c.aclose()


async def load(system: System, workdir: Path, k: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    headers = token(system)
    limits = httpx.Limits(max_connections=20)
    clients = {
        app: httpx.AsyncClient(
            base_url=system.service_url(app), headers=headers, timeout=600, limits=limits
        )
        for app in ("indicators", "support_cases", "training")
    }
    try:
        ind, sc, tr = await asyncio.gather(
            seed.indicators(clients["indicators"], workdir, log),
            seed.support_cases(clients["support_cases"], max(20, round(200 * k)), log),
            seed.training(
                clients["training"],
                system.database_urls["training"],
                max(20, round(500 * k)),
                max(800, round(20_000 * k)),
                log,
            ),
        )
        # Frameworks the gateway will pick (prefecture level: the shipped one).
        fws = (await clients["indicators"].get("/api/v1/frameworks")).json()
    finally:
        for c in clients.values():
            await c.aclose()
    log(f"data loaded in {time.perf_counter() - t0:.0f} s")
    pref = [f for f in fws if f["level"] == "prefecture" and f["grant_fy"] <= FY]
    return {
        "municipalities": 1741,
        "frameworks": {key: v["id"] for key, v in ind["frameworks"].items()},
        "items_per_framework": 100,
        "seed_imports_s": ind["imports_s"],
        "support_cases": sc["cases"],
        "training_sessions": tr["sessions"],
        "registrations": tr["registrations"],
        "prefecture_framework": max(pref, key=lambda f: f["grant_fy"])["id"] if pref else None,
        "files": ind["files"],
        "load_seconds": round(time.perf_counter() - t0, 1),
    }


def measure(
    system: System,
    driver: Driver,
    data: dict[str, Any],
    api_raw: str,
    cookies: dict[str, str],
    floor_port: int,
    k: float,
) -> dict[str, Any]:
    gw = system.url
    ind, sc, tr = (system.service_url(a) for a in ("indicators", "support_cases", "training"))
    svc_headers = token(system)
    api = {"Authorization": f"Bearer {api_raw}"}
    page = {"Accept": "text/html"}
    notice = {"degraded_if": "一部の情報を表示できません"}
    complete = {"complete_if": '"unavailable":[]'}
    s25, d25 = data["frameworks"]["suishin-2025"], data["frameworks"]["doryoku-2025"]
    gateway_targets = {
        "grant report JSON (Tokyo)": dict(
            url=f"{gw}/api/v1/grant-report/{FY}", headers=api, **complete
        ),
        "overview JSON": dict(
            url=f"{gw}/api/v1/municipalities/{CODE}/overview?fiscal_year={FY}",
            headers=api,
            **complete,
        ),
        "dashboard page /": dict(url=f"{gw}/", headers=page, cookies=cookies, **notice),
        f"municipality page /municipalities/{CODE}": dict(
            url=f"{gw}/municipalities/{CODE}", headers=page, cookies=cookies, **notice
        ),
    }
    overview_calls = {
        "indicators results/latest (Tokyo, one entity)": dict(
            url=f"{ind}/api/v1/results/latest?level=municipality&prefecture=13"
            f"&peer_set=region_class&entity_code={CODE}"
        ),
        "indicators recover (suishin)": dict(
            url=f"{ind}/api/v1/frameworks/{s25}/recover?entity_code={CODE}&group_set=region_class"
        ),
        "indicators recover (doryoku)": dict(
            url=f"{ind}/api/v1/frameworks/{d25}/recover?entity_code={CODE}&group_set=region_class"
        ),
        "indicators pdca/sheets": dict(url=f"{ind}/api/v1/pdca/sheets?entity_code={CODE}"),
        "support_cases cases (one municipality)": dict(
            url=f"{sc}/api/v1/cases?municipality_code={CODE}"
        ),
        "training participation": dict(
            url=f"{tr}/api/v1/participation?fiscal_year={FY}&municipality_code={CODE}"
        ),
        "training kotei-hyo/status": dict(url=f"{tr}/api/v1/kotei-hyo/status?fiscal_year={FY}"),
    }
    grant_calls = {
        "indicators frameworks": dict(url=f"{ind}/api/v1/frameworks"),
        "indicators results (Tokyo, suishin)": dict(
            url=f"{ind}/api/v1/frameworks/{s25}/results?prefecture=13"
        ),
        "indicators allocation (1,741 insurers, suishin)": dict(
            method="POST",
            url=f"{ind}/api/v1/frameworks/{s25}/allocation",
            json={"budget": 2_000_000_000},
        ),
        "support_cases cases (fiscal year)": dict(url=f"{sc}/api/v1/cases?fiscal_year={FY}"),
        "support_cases round summary": dict(url=f"{sc}/api/v1/rounds/{FY}/summary"),
        "training stats": dict(url=f"{tr}/api/v1/stats?fiscal_year={FY}"),
    }
    if data.get("prefecture_framework"):
        grant_calls["indicators results (prefecture framework, Tokyo)"] = dict(
            url=f"{ind}/api/v1/frameworks/{data['prefecture_framework']}/results?entity_code=130001"
        )
    for t in (*overview_calls.values(), *grant_calls.values()):
        t.setdefault("headers", svc_headers)
    other = {
        "indicators results, whole nation (1,741)": dict(
            url=f"{ind}/api/v1/frameworks/{s25}/results", headers=svc_headers
        ),
        "floor: bare FastAPI endpoint": dict(url=f"http://127.0.0.1:{floor_port}/ping"),
    }

    p50_at_1: dict[str, float] = {}

    def budget(c: int, slow: bool = False, name: str = "") -> dict[str, Any]:
        if c == 20 and p50_at_1.get(name, 0) > 250:
            # A slow call: one request per client (20 at once) bounds the row's time.
            return {"requests": 20, "max_seconds": 1.0, "warmup": 0}
        if c == 1:
            return {
                "requests": max(10, round(300 * k)),
                "max_seconds": max(3.0, 8 * k),
                "warmup": 2 if slow else 5,
            }
        return {
            "requests": max(40, round(1500 * k)),
            "max_seconds": max(4.0, 12 * k),
            "warmup": 2 if slow else 10,
        }

    slow = {"grant report JSON (Tokyo)", "indicators results, whole nation (1,741)"}
    runs: list[dict[str, Any]] = []
    discovered: dict[str, dict[int, list]] = {}

    def go(name: str, target: dict[str, Any], c: int, group: str, **extra: Any) -> dict:
        calls_of = extra.pop("calls_of", None)
        cmd = {"name": name, "concurrency": c, **budget(c, name in slow, name), **target, **extra}
        waited = settle(system)
        if waited > 1:
            log(f"(waited {waited:.1f} s for the services to finish earlier work)")
        before = asyncio.run(scrape(system)) if group == "gateway" else None
        r = driver.run(cmd)
        if before is not None:
            after = asyncio.run(scrape(system))
            discovered.setdefault(name, {})[c] = calls_between(
                before, after, r["requests"] + cmd["warmup"]
            )
        r["group"] = group
        if c == 1:
            p50_at_1[name] = r["p50_ms"]
        if group == "gateway" and (r.get("degraded") or r["errors"]):
            time.sleep(6)  # let the gateway's circuit breakers close before the next row
        if calls_of:
            r["calls_of"] = calls_of
        runs.append(r)
        log(
            f"{name} @{c}: {r['req_per_s']} req/s, p50 {r['p50_ms']} p95 {r['p95_ms']} "
            f"p99 {r['p99_ms']} ms, errors {r['errors']} {r['statuses']}, "
            f"degraded {r.get('degraded', 0)}"
        )
        return r

    for c in (1, 20):
        for name, t in other.items():
            go(name, t, c, "floor" if name.startswith("floor") else "service")
        for name, t in gateway_targets.items():
            go(name, t, c, "gateway")
        for name, t in overview_calls.items():
            go(name, t, c, "service", calls_of="overview JSON")
        for name, t in grant_calls.items():
            go(name, t, c, "service", calls_of="grant report JSON (Tokyo)")

    # Writes: score imports (the whole nation, and Tokyo) and a registration burst.
    files = data["files"]
    imp = f"{ind}/api/v1/frameworks/{s25}/scores/import"
    go("score import, whole nation (174,100 cells)", dict(method="POST", url=imp,
       headers=svc_headers, file=files["nation"], timeout=300), 1, "write",
       requests=max(1, round(3 * k)), max_seconds=120, warmup=0)  # fmt: skip
    for c, n in ((1, max(5, round(20 * k))), (20, max(20, round(60 * k)))):
        go("score import, Tokyo (6,200 cells)", dict(method="POST", url=imp,
           headers=svc_headers, file=files["tokyo"], timeout=300), c, "write",
           requests=n, max_seconds=60, warmup=0)  # fmt: skip
    for c, n in ((1, max(20, round(100 * k))), (20, max(100, round(400 * k)))):
        sid = asyncio.run(burst_session(tr, svc_headers))
        body = json.dumps(
            {
                "name": "職員 {i}",
                "municipality_code": CODE,
                "role": "実務担当者",
                "email": "burst{i}@bench.example.jp",
            },
            ensure_ascii=False,
        )
        go("registration burst (30 seats)", dict(method="POST",
           url=f"{tr}/api/v1/sessions/{sid}/registrations", headers=svc_headers,
           json_template=body), c, "write", requests=n, max_seconds=60, warmup=0)  # fmt: skip
    return {
        "runs": runs,
        "service_calls_seen": discovered,
        "calls_of": {
            "overview JSON": list(overview_calls),
            "grant report JSON (Tokyo)": list(grant_calls),
        },
    }


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


if __name__ == "__main__":
    sys.exit(main())
