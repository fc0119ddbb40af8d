"""Drills on the training service: seats under a burst of registrations and cancellations,
and writes while the database restarts."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

from drills.base import Report, restart_postgres, service_client, wait_for_postgres
from services.common import clock
from tests.e2e.system import System

TOKYO = [
    m.code for m in __import__("services.common.registry", fromlist=["x"]).get_registry().home()
]


async def _session(system: System, capacity: int) -> int:
    async with service_client(system, "training") as c:
        p = await c.post(
            "/api/v1/programs",
            json={
                "name": "訓練用研修",
                "kind": "全体研修・情報交換会",
                "fiscal_year": 2026,
                "region": "全域",
            },
        )
        p.raise_for_status()
        day = (clock.today() + timedelta(days=30)).isoformat()
        s = await c.post(
            "/api/v1/sessions",
            json={
                "program_id": p.json()["id"],
                "days": [{"date": day, "start": "13:30", "end": "16:30"}],
                "format": "オンライン",
                "capacity": capacity,
            },
        )
        s.raise_for_status()
        return s.json()["id"]


async def seats(
    system: System, report: Report, n: int = 200, capacity: int = 30, cancels: int = 10
) -> None:
    sid = await _session(system, capacity)
    report.did(f"{n} registrations at once for a session of {capacity} seats")
    async with service_client(system, "training") as c:
        t0 = time.perf_counter()
        answers = await asyncio.gather(
            *(
                c.post(
                    f"/api/v1/sessions/{sid}/registrations",
                    json={
                        "name": f"職員{i}",
                        "municipality_code": TOKYO[i % 62],
                        "role": "実務担当者",
                        "email": f"p{i}@drill.example.jp",
                    },
                )
                for i in range(n)
            )
        )
        took = time.perf_counter() - t0
        statuses = [a.status_code for a in answers]
        report.check(
            "every registration answered 201",
            statuses.count(201) == n,
            f"{took:.2f}s; statuses {sorted(set(statuses))}",
        )
        body = [a.json() for a in answers if a.status_code == 201]
        confirmed = [b for b in body if b["status"] == "confirmed"]
        waiting = sorted(
            (b for b in body if b["status"] == "waitlisted"), key=lambda b: b["waitlist_position"]
        )
        report.check(
            f"exactly {capacity} confirmed", len(confirmed) == capacity, f"{len(confirmed)}"
        )
        report.check(
            f"{n - capacity} waitlisted with positions 1..{n - capacity}",
            [b["waitlist_position"] for b in waiting] == list(range(1, n - capacity + 1)),
        )
        s = (await c.get(f"/api/v1/sessions/{sid}")).json()
        report.check(
            "the session agrees",
            (s["confirmed"], s["waitlisted"]) == (capacity, n - capacity),
            f"{s['confirmed']} / {s['waitlisted']}",
        )

        report.did(f"{cancels} confirmed seats cancelled at once")
        gone = await asyncio.gather(
            *(c.delete(f"/api/v1/registrations/{b['id']}") for b in confirmed[:cancels])
        )
        report.check("every cancellation answered 204", all(g.status_code == 204 for g in gone))
        regs = (await c.get(f"/api/v1/sessions/{sid}/registrations")).json()
        regs = regs["data"] if isinstance(regs, dict) else regs
        now_confirmed = {r["id"] for r in regs if r["status"] == "confirmed"}
        first_waiting = {b["id"] for b in waiting[:cancels]}
        report.check(
            f"exactly the first {cancels} on the waitlist were promoted",
            first_waiting <= now_confirmed and len(now_confirmed) == capacity,
            f"{len(now_confirmed)} confirmed",
        )
        s = (await c.get(f"/api/v1/sessions/{sid}")).json()
        report.check(
            "seats still never overbooked",
            s["confirmed"] == capacity and s["waitlisted"] == n - capacity - cancels,
            f"{s['confirmed']} / {s['waitlisted']}",
        )


async def writes_through_db_restart(system: System, report: Report, seconds: float = 6.0) -> None:
    sid = await _session(system, 10_000)
    acknowledged: list[int] = []
    outcomes: dict[str, int] = {}
    stop = asyncio.Event()

    async def writer(k: int) -> None:
        i = 0
        async with service_client(system, "training") as c:
            while not stop.is_set():
                i += 1
                try:
                    r = await c.post(
                        f"/api/v1/sessions/{sid}/registrations",
                        json={
                            "name": f"W{k}-{i}",
                            "municipality_code": TOKYO[(k + i) % 62],
                            "role": "実務担当者",
                            "email": f"w{k}-{i}@drill.example.jp",
                        },
                    )
                except Exception as exc:
                    outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                key = str(r.status_code)
                outcomes[key] = outcomes.get(key, 0) + 1
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])
                elif r.status_code == 503:
                    if r.headers.get("content-type") != "application/problem+json":
                        outcomes["503-not-problem"] = outcomes.get("503-not-problem", 0) + 1
                    await asyncio.sleep(0.05)

    report.did(f"writes for {seconds:.0f}s from 4 clients; PostgreSQL restarted in the middle")
    tasks = [asyncio.create_task(writer(k)) for k in range(4)]
    await asyncio.sleep(seconds / 3)
    restarter = threading.Thread(target=lambda: (restart_postgres(), wait_for_postgres()))
    restarter.start()
    await asyncio.to_thread(restarter.join)
    await asyncio.sleep(seconds / 3)
    stop.set()
    await asyncio.gather(*tasks)
    report.check(
        "no write answered 500",
        outcomes.get("500", 0) == 0,
        f"outcomes {dict(sorted(outcomes.items()))}",
    )
    report.check(
        "writes during the fault were refused with 503 problem+json",
        outcomes.get("503-not-problem", 0) == 0,
    )
    async with service_client(system, "training") as c:
        regs = (await c.get(f"/api/v1/sessions/{sid}/registrations")).json()
        regs = regs["data"] if isinstance(regs, dict) else regs
        present = {r["id"] for r in regs}
    lost = [i for i in acknowledged if i not in present]
    report.check(
        f"every acknowledged write is present ({len(acknowledged)})", not lost, f"lost {lost[:5]}"
    )
    report.check("writes succeeded again after the restart", outcomes.get("201", 0) > 0)
