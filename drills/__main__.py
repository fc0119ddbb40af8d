"""`python -m drills [--short] [--only NAME]`: run the drills on one system (three services
and the gateway on fresh PostgreSQL databases), print what each did and checked, exit 1 on any
failed check.

The PostgreSQL restart drill runs last, and only in the full set — or in the short set when
BANSO_DRILL_PG_RESTART=1 (CI must not restart a shared database server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from drills import gateway, indicators, support_cases, training
from drills.base import DrillSystem, Report
from tests.e2e.system import System

Drill = Callable[[System, Report, bool], Coroutine[Any, Any, None]]

# (name, title, drill, restarts PostgreSQL)
DRILLS: list[tuple[str, str, Drill, bool]] = [
    (
        "seats",
        "seats: 200 registrations for 30 seats, then 10 cancellations",
        lambda s, r, short: training.seats(s, r),
        False,
    ),
    (
        "kill-service",
        "kill a service during load on pages and the overview JSON, then restart it",
        lambda s, r, short: gateway.kill_service(s, r, load_s=2.0 if short else 4.0),
        False,
    ),
    (
        "tree-edits",
        "50 concurrent edits of one logic-tree node with the same version",
        lambda s, r, short: support_cases.tree_edits(s, r),
        False,
    ),
    (
        "import-killed",
        "score import killed half-way (SIGKILL of the indicators process)",
        lambda s, r, short: indicators.import_killed(s, r),
        False,
    ),
    (
        "pg-restart",
        "PostgreSQL restart during writes",
        lambda s, r, short: training.writes_through_db_restart(s, r, seconds=4.0 if short else 8.0),
        True,
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="the quicker set CI runs")
    parser.add_argument(
        "--only", action="append", choices=[d[0] for d in DRILLS], help="run only these drills"
    )
    args = parser.parse_args()
    allow_restart = not args.short or os.environ.get("BANSO_DRILL_PG_RESTART") == "1"
    chosen = [d for d in DRILLS if not args.only or d[0] in args.only]
    reports: list[Report] = []
    t0 = time.monotonic()
    with DrillSystem() as system:
        for _name, title, drill, restarts_pg in chosen:
            if restarts_pg and not allow_restart:
                print(f"\n== {title}: skipped in the short set (BANSO_DRILL_PG_RESTART=1 runs it)")
                continue
            report = Report(title)
            print(f"\n== {title}", flush=True)
            started = time.monotonic()
            try:
                asyncio.run(drill(system, report, args.short))
            except Exception as exc:  # a drill that crashes is a failed drill, not a traceback
                report.check("the drill ran to the end", False, f"{type(exc).__name__}: {exc}")
            report.did(f"took {time.monotonic() - started:.1f} s")
            reports.append(report)
    out = Path(__file__).resolve().parents[1] / "bench" / "results" / "drills.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "set": "short" if args.short else "full",
                "seconds": round(time.monotonic() - t0),
                "drills": [
                    {
                        "name": r.name,
                        "ok": r.ok,
                        "checks": [{"check": w, "ok": ok, "detail": d} for w, ok, d in r.checks],
                    }
                    for r in reports
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"\n== summary ({time.monotonic() - t0:.0f} s)")
    for r in reports:
        print(f"  {'OK' if r.ok else 'NG'}  {r.name}")
    return 1 if any(not r.ok for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
