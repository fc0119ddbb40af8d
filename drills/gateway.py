"""Drill: kill one service process while users load gateway pages and the overview JSON.

The pages must keep answering 200 (with the degraded notice where a page needs the killed
service), the overview JSON 200 naming the service in ``unavailable``, never a 5xx; after the
service is started again, full answers must come back within 5 s of it being ready.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import httpx

from drills.base import DEGRADED_NOTICE, Report, login, service_requests
from tests.e2e.system import System

PAGES = ["/", "/municipalities/131016", "/training"]
OVERVIEW = "/api/v1/municipalities/131016/overview"
RECOVERY_GOAL_S = 5.0


async def _pages_needing(system: System, client: httpx.AsyncClient, victim: str) -> set[str]:
    """Which pages call the victim service: its request counters before and after one view
    of each page (so the drill follows whatever the pages do now)."""
    needing = set()
    for path in PAGES:
        before = sum((await service_requests(system, victim)).values())
        r = await client.get(path, headers={"Accept": "text/html"})
        r.raise_for_status()
        after = sum((await service_requests(system, victim)).values())
        if after > before:
            needing.add(path)
    return needing


async def _full(client: httpx.AsyncClient, needing: set[str]) -> tuple[bool, str]:
    """One round over every page and the overview: is every answer complete?"""
    ov = await client.get(OVERVIEW)
    if ov.status_code != 200 or ov.json().get("unavailable"):
        return False, f"overview {ov.status_code} {ov.json().get('unavailable')}"
    for path in needing:
        r = await client.get(path, headers={"Accept": "text/html"})
        if r.status_code != 200 or DEGRADED_NOTICE in r.text:
            return False, f"{path} {r.status_code}"
    return True, ""


async def kill_service(
    system: System, report: Report, victim: str = "training", load_s: float = 3.0
) -> None:
    client = await login(system.url)
    try:
        needing = await _pages_needing(system, client, victim)
        report.did(
            f"pages that call {victim}: {sorted(needing) or 'none'} (of {PAGES}); "
            f"overview JSON {OVERVIEW}"
        )
        ok, why = await _full(client, needing)
        report.check("before the fault every answer is complete", ok, why)

        statuses: Counter[str] = Counter()
        notices: Counter[str] = Counter()
        unavailable_seen: Counter[str] = Counter()
        stop = asyncio.Event()

        async def user(k: int) -> None:
            i = k
            while not stop.is_set():
                i += 1
                if i % 2:
                    path = PAGES[i % len(PAGES)]
                    try:
                        r = await client.get(path, headers={"Accept": "text/html"})
                    except httpx.HTTPError as exc:
                        statuses[f"{path} {type(exc).__name__}"] += 1
                        continue
                    statuses[f"{path} {r.status_code}"] += 1
                    if DEGRADED_NOTICE in r.text:
                        notices[path] += 1
                else:
                    try:
                        r = await client.get(OVERVIEW)
                    except httpx.HTTPError as exc:
                        statuses[f"overview {type(exc).__name__}"] += 1
                        continue
                    statuses[f"overview {r.status_code}"] += 1
                    if r.status_code == 200:
                        for s in r.json().get("unavailable", []):
                            unavailable_seen[s] += 1

        report.did(f"8 users loading pages and the overview; {victim} killed with SIGKILL")
        users = [asyncio.create_task(user(k)) for k in range(8)]
        await asyncio.sleep(0.5)
        system.stop(victim, signal.SIGKILL)
        await asyncio.sleep(load_s)
        stop.set()
        await asyncio.gather(*users)
        bad = {k: v for k, v in statuses.items() if not k.endswith(" 200")}
        total = sum(statuses.values())
        report.check(
            f"every answer during the fault was 200 ({total} requests)",
            not bad,
            f"other answers {bad}" if bad else "",
        )
        report.check(
            f"the overview named {victim} in unavailable",
            unavailable_seen.get(victim, 0) > 0,
            f"{dict(unavailable_seen)}",
        )
        missing = [p for p in needing if notices.get(p, 0) == 0]
        report.check(
            "each page that needs the service showed the degraded notice",
            bool(needing) and not missing,
            f"notices {dict(notices)}; missing {missing}",
        )

        report.did(f"{victim} started again; polling until every answer is complete")
        t_restart = time.monotonic()
        system.start(victim)
        await asyncio.to_thread(system.wait_ready, victim, 60)
        t_ready = time.monotonic()
        full_at = None
        last = ""
        while time.monotonic() - t_ready < 30:
            ok, last = await _full(client, needing)
            if ok:
                full_at = time.monotonic()
                break
            await asyncio.sleep(0.1)
        if full_at is None:
            report.check("full answers came back", False, f"still degraded after 30 s: {last}")
        else:
            since_ready = full_at - t_ready
            report.check(
                f"full answers within {RECOVERY_GOAL_S:.0f} s of {victim} being ready",
                since_ready <= RECOVERY_GOAL_S,
                f"{since_ready:.2f} s after ready ({full_at - t_restart:.2f} s after the "
                f"restart command; the process needs {t_ready - t_restart:.2f} s to start)",
            )
    finally:
        await client.aclose()
