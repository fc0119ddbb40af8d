"""The goals of issue #14 with met / not met, and docs/bench.md, from the figures of one run
(bench/results/bench.json). `python -m bench.report` renders the page again from the file."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
APPS = ("gateway", "indicators", "support_cases", "training")
SERVICES = ("indicators", "support_cases", "training")
VIEW_LABELS = {
    "dashboard": "dashboard",
    "profile": "municipality page",
    "overview": "overview JSON",
    "grant_report": "grant report JSON",
}
PHASE_LABELS = {
    "pg": "PostgreSQL, 1 worker per app",
    "workers": "PostgreSQL, 2 workers per app",
    "sqlite": "SQLite, make run setup",
}
MEMORY_LIMIT_MB = 200
SERVICE_CPU_LIMIT_MS = 2.0


# --- finding rows -----------------------------------------------------------------------------


def view_run(doc: dict[str, Any], phase: str, view: str, c: int) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in doc.get("runs", [])
            if r.get("phase") == phase and r.get("view") == view and r["concurrency"] == c
        ),
        None,
    )


def incomplete(r: dict[str, Any] | None) -> int:
    return 0 if r is None else r["errors"] + r.get("degraded", 0)


def service_rows(doc: dict[str, Any], c: int) -> list[dict[str, Any]]:
    return [
        r
        for r in doc.get("runs", [])
        if r.get("phase") == "pg" and r["group"] == "service" and r["concurrency"] == c
    ]


# --- goals ------------------------------------------------------------------------------------


def _goal(
    section: str, goal: str, measured: str, met: bool | None, why: str = ""
) -> dict[str, Any]:
    return {"section": section, "goal": goal, "measured": measured, "met": met, "why": why}


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.1f} ms" if v >= 10 else f"{v:.2f} ms"


def _latency(
    doc: dict[str, Any],
    section: str,
    phase: str,
    view: str,
    c: int,
    key: str,
    limit: float,
    *,
    complete_rows: tuple[int, ...] = (),
) -> dict[str, Any]:
    """A latency goal of one row; it counts only when the answers were complete (a degraded
    answer is fast because a part is missing). ``complete_rows``: the clients of every row of
    the view that must be complete too."""
    stat = key.removesuffix("_ms")
    where = "1 client" if c == 1 else f"{c} clients"
    text = f"{VIEW_LABELS[view]}: {stat} < {limit:g} ms at {where}"
    rows = [view_run(doc, phase, view, n) for n in (complete_rows or (c,))]
    if complete_rows:
        text += ", every answer complete"
    r = view_run(doc, phase, view, c)
    if phase not in doc.get("phases_run", []) or r is None:
        return _goal(section, text, "not run", None)
    bad = sum(incomplete(x) for x in rows if x)
    total = sum(x["requests"] for x in rows if x)
    measured = _ms(r[key])
    if bad:
        measured += f" ({bad} of {total} answers degraded or failed)"
    return _goal(section, text, measured, r[key] < limit and bad == 0)


def _complete(doc: dict[str, Any], section: str, phase: str, view: str) -> dict[str, Any]:
    text = f"{VIEW_LABELS[view]}: every answer complete (0 degraded)"
    rows = [view_run(doc, phase, view, c) for c in (1, 20)]
    rows = [r for r in rows if r]
    if phase not in doc.get("phases_run", []) or not rows:
        return _goal(section, text, "not run", None)
    bad = sum(incomplete(r) for r in rows)
    total = sum(r["requests"] for r in rows)
    return _goal(section, text, f"{bad} of {total} degraded or failed", bad == 0)


def _gateway_cpu(doc: dict[str, Any], view: str, limit: float) -> dict[str, Any]:
    text = f"gateway CPU ≤ {limit:g} ms per {VIEW_LABELS[view]} request (20 clients)"
    r = view_run(doc, "pg", view, 20)
    if r is None:
        return _goal("national", text, "not run", None)
    cpu = r["cpu_ms_per_request"].get("gateway")
    bad = incomplete(r)
    measured = _ms(cpu) + (f" ({bad} answers degraded: their calls cost nothing)" if bad else "")
    return _goal("national", text, measured, cpu is not None and cpu <= limit and bad == 0)


def service_call_goals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = service_rows(doc, 20)
    out = []
    for svc in SERVICES:
        text = f"{svc}: ≤ {SERVICE_CPU_LIMIT_MS:g} ms CPU per read call the views make (20 clients)"
        if "pg" not in doc.get("phases_run", []):
            out.append(_goal("national", text, "not run", None))
            continue
        mine = [r for r in rows if r.get("service") == svc]
        if not mine:
            out.append(_goal("national", text, "the views call no endpoint of it", None))
            continue
        worst = max(mine, key=lambda r: r["cpu_ms_per_request"].get(svc, 0.0))
        cpu = worst["cpu_ms_per_request"].get(svc, 0.0)
        over = [r for r in mine if r["cpu_ms_per_request"].get(svc, 0.0) > SERVICE_CPU_LIMIT_MS]
        failed = [r for r in mine if r["errors"]]
        measured = f"worst {_ms(cpu)} ({worst['name'].split(' ', 1)[1]}); {len(over)} of {len(mine)} calls over"
        if failed:
            measured += f"; {len(failed)} of them answered errors"
        unknown = [
            VIEW_LABELS[v]
            for v, ok in ((doc.get("pg") or {}).get("discovery_complete") or {}).items()
            if not ok
        ]
        why = (
            "not every call is known: the learning request of " + ", ".join(unknown) + " was "
            "degraded, so the calls of its missing part were not seen"
            if unknown
            else ""
        )
        out.append(_goal("national", text, measured, not over and not failed and not unknown, why))
    return out


def import_goal(doc: dict[str, Any]) -> dict[str, Any]:
    text = "national score import (174,100 cells) with its read-model refresh < 5 s"
    imports = (doc.get("pg") or {}).get("imports")
    if not imports:
        return _goal("national", text, "not run", None)
    seen = [i["seconds_until_read_saw_it"] for i in imports]
    if any(s is None for s in seen):
        return _goal("national", text, "a read never saw an import within 60 s", False)
    med = statistics.median(seen)
    fresh = all(i["read_right_after_saw_it"] for i in imports)
    ok = all(set(i["status"]) == {"200"} for i in imports)
    measured = f"{med:.2f} s median of {len(seen)} ({', '.join(f'{s:.2f}' for s in seen)} s); " + (
        "a read right after each answer saw it"
        if fresh
        else "the read models lagged behind the answer"
    )
    return _goal("national", text, measured, med < 5 and ok)


def burst_goal(doc: dict[str, Any]) -> dict[str, Any]:
    text = "200 registrations at once for 30 seats: exactly 30 confirmed"
    b = (doc.get("pg") or {}).get("burst")
    if not b:
        return _goal("national", text, "not run", None)
    measured = (
        f"{b['confirmed']} confirmed, {b['waitlisted']} waitlisted "
        f"({'in order' if b['waitlist_in_order'] else 'waitlist NOT in order'}); answers "
        + ", ".join(f"{k}×{v}" for k, v in b["statuses"].items())
        + f"; {b['seconds']:.2f} s"
    )
    met = (
        b["confirmed"] == 30
        and b["confirmed_listed"] == 30
        and b["waitlisted"] == b["requests"] - 30
        and b["waitlist_in_order"]
        and set(b["statuses"]) == {"201"}
    )
    return _goal("national", text, measured, met)


def product_processes(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(phase, app, process) for every process of the product (not the floor app)."""
    out = []
    for phase in ("pg", "workers", "sqlite"):
        for app, p in ((doc.get(phase) or {}).get("processes") or {}).items():
            if app in ("floor", "postgresql"):
                continue
            for proc in p.get("processes", []):
                out.append((phase, app, proc))
    return out


def memory_goal(doc: dict[str, Any]) -> dict[str, Any]:
    text = f"every process < {MEMORY_LIMIT_MB} MB resident (peak, VmHWM)"
    procs = product_processes(doc)
    if not procs:
        return _goal("national", text, "not run", None)
    phase, app, worst = max(procs, key=lambda x: x[2]["peak_mb"])
    over = sorted(
        {f"{a} ({p})" for p, a, x in procs if x["peak_mb"] >= MEMORY_LIMIT_MB},
    )
    measured = f"highest {worst['peak_mb']:.0f} MB: {app} ({phase}); {len(procs)} processes"
    if over:
        measured += "; over: " + ", ".join(over)
    return _goal("national", text, measured, not over)


def workers_goal(doc: dict[str, Any]) -> dict[str, Any]:
    text = "two workers per app: throughput at 20 clients against one worker"
    w = doc.get("workers")
    if not w:
        return _goal("national", text, "not run", None)
    ratios = []
    for view in VIEW_LABELS:
        one, two = view_run(doc, "pg", view, 20), view_run(doc, "workers", view, 20)
        if one and two and one["req_per_s"]:
            ratios.append(f"{VIEW_LABELS[view]} ×{two['req_per_s'] / one['req_per_s']:.2f}")
    seen = w.get("seen", {})
    if not ratios:
        ratios = ["no one-worker rows to compare with (phase pg not run)"]
    measured = (
        "; ".join(ratios) + "; workers seen " + ", ".join(f"{a} {n}" for a, n in seen.items())
    )
    why = ""
    if not w.get("setting_in_serve_script"):
        why = "scripts/serve.py does not read <APP>_WORKERS yet: every app ran one worker"
    rows = [view_run(doc, "workers", v, 20) for v in VIEW_LABELS]
    bad = sum(incomplete(r) for r in rows if r)
    if bad:
        measured += f"; {bad} answers degraded or failed"
    met = all(n == w["requested"] for n in seen.values()) and bad == 0
    return _goal("national", text, measured, met, why)


def goals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal of issue #14, each with its figure and met (True / False / None: not
    measured in this run)."""
    n, s = "national", "sqlite"
    return [
        _latency(doc, n, "pg", "dashboard", 20, "p99_ms", 200, complete_rows=(1, 20)),
        _latency(doc, n, "pg", "profile", 20, "p99_ms", 200, complete_rows=(1, 20)),
        _latency(doc, n, "pg", "overview", 1, "p50_ms", 10),
        _latency(doc, n, "pg", "overview", 20, "p99_ms", 100),
        _complete(doc, n, "pg", "overview"),
        _latency(doc, n, "pg", "grant_report", 1, "p50_ms", 100),
        _gateway_cpu(doc, "overview", 3),
        _gateway_cpu(doc, "dashboard", 5),
        *service_call_goals(doc),
        import_goal(doc),
        burst_goal(doc),
        memory_goal(doc),
        workers_goal(doc),
        _latency(doc, s, "sqlite", "dashboard", 20, "p99_ms", 200, complete_rows=(1, 20)),
        _latency(doc, s, "sqlite", "profile", 20, "p99_ms", 200, complete_rows=(1, 20)),
        _latency(doc, s, "sqlite", "overview", 1, "p50_ms", 10),
        _latency(doc, s, "sqlite", "overview", 20, "p99_ms", 100),
        _complete(doc, s, "sqlite", "overview"),
    ]


def _met(m: bool | None) -> str:
    return "met" if m else "not measured" if m is None else "NOT MET"


def goals_text(doc: dict[str, Any]) -> str:
    """The goals as `make bench` prints them."""
    lines = [f"\nGoals (issue #14), run {doc['when']}, scale {doc['scale']}:"]
    heads = {
        "national": "national scale on PostgreSQL",
        "sqlite": "embedded default (make run setup, SQLite)",
    }
    section = None
    for g in doc["goals"]:
        if g["section"] != section:
            section = g["section"]
            lines.append(f"  {heads[section]}")
        lines.append(f"    [{_met(g['met']):^12}] {g['goal']}: {g['measured']}")
        if g.get("why"):
            lines.append(f"                   ({g['why']})")
    met = sum(1 for g in doc["goals"] if g["met"])
    unmeasured = sum(1 for g in doc["goals"] if g["met"] is None)
    lines.append(
        f"  {met} of {len(doc['goals'])} met"
        + (f", {unmeasured} not measured" if unmeasured else "")
    )
    load = doc["machine"].get("load_average_at_start", [0])[0]
    if load >= 3:
        lines.append(
            f"  The load average was {load} at the start: other work shared the machine and "
            "these figures are not representative."
        )
    return "\n".join(lines)


# --- the page ---------------------------------------------------------------------------------


def _n(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if 0 < abs(v) < 0.01:
            return f"{v:.4f}"
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _cell(s: str) -> str:
    return s.replace("|", "/")


def total_cpu(r: dict[str, Any]) -> float:
    """CPU ms per request over the product's processes and PostgreSQL (not the floor)."""
    return sum(v for k, v in r["cpu_ms_per_request"].items() if k != "floor")


def render(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    ran = doc.get("phases_run", [])
    lines = [
        "# Bansō benchmark",
        "",
        f"Run {doc['when']} with `make bench`"
        + (f" (`--scale {doc['scale']}`)" if doc["scale"] != 1 else "")
        + (
            f" (`--time-scale {doc['time_scale']}`: shorter request budgets)"
            if doc.get("time_scale", doc["scale"]) != doc["scale"]
            else ""
        )
        + f", phases {', '.join(ran)}, {doc.get('seconds', 0) // 60} min "
        f"{doc.get('seconds', 0) % 60} s. Generated by `python -m bench.report` from "
        "`bench/results/bench.json`. Not a test: the goals are measured and reported, not "
        "asserted.",
        "",
        f"**Machine:** {m['cpu']}, {m['cpus']} CPUs, {m['memory_mb']:,} MB RAM, Linux "
        f"{m['kernel']}, Python {m['python']}, PostgreSQL {m.get('postgresql') or '—'} on "
        f"127.0.0.1. Load average {m['load_average_at_start'][0]} at the start, "
        f"{m.get('load_average_at_end', ['?'])[0]} at the end"
        + (
            " — **other work shared the machine: the figures are not representative**."
            if m["load_average_at_start"][0] >= 3
            else "."
        ),
        "",
    ]
    lines += data_lines(doc)
    lines += [
        "**Load:** a separate driver process (asyncio + httpx) on 127.0.0.1, bounded in "
        "requests and seconds per row, after a warm-up. Pages with a signed-in coordinator's "
        "session cookie, the combined JSON with an API token, service calls with a "
        "coordinator's actor token. The service calls are the ones the gateway makes for each "
        "view, learnt in the same run by a recording pass-through in front of the services "
        "(a second gateway, not the measured one, talks to it). The apps log at "
        f"{doc.get('log_level', 'INFO')} (make run's default). CPU per request: the CPU time "
        "(from /proc) of each app's processes during the row divided by its requests; "
        "*PostgreSQL* is the CPU of the backends serving this run's databases.",
        "",
        "*Degraded*: answered 200 without a part — a page with 「一部の情報を表示できません」, "
        "combined JSON with a non-empty `unavailable` (a service call past the gateway's "
        "deadline, or its circuit breaker open). A latency goal counts only with every answer "
        "complete.",
        "",
        "## Goals",
        "",
        "| | goal | measured | |",
        "|---|---|---|---|",
    ]
    heads = {"national": "national, PostgreSQL", "sqlite": "embedded default, SQLite"}
    for g in doc["goals"]:
        met = "met" if g["met"] else "not measured" if g["met"] is None else "**not met**"
        why = f" ({g['why']})" if g.get("why") else ""
        lines.append(
            f"| {heads[g['section']]} | {_cell(g['goal'])} | {_cell(g['measured'])}{_cell(why)} "
            f"| {met} |"
        )
    lines += endpoint_table(doc)
    lines += service_calls_table(doc)
    lines += view_calls_table(doc)
    lines += writes_lines(doc)
    lines += workers_table(doc)
    lines += sqlite_lines(doc)
    lines += processes_table(doc)
    lines += ["", "## Reading", ""] + [f"- {s}" for s in reading(doc)]
    lines += drills_section()
    lines += [
        "",
        "## Reproduce",
        "",
        "`make bench` (PostgreSQL at 127.0.0.1:5432; databases `banso_h_bench_<app>`, "
        "recreated and dropped; `BENCH_DATABASE_URL` to change). "
        '`BENCH_ARGS="--scale 0.3"` for a shorter run, `--phases pg,workers,sqlite` to '
        "choose phases, `--time-scale` for shorter request budgets only. "
        "`python -m bench.report` renders this page again from `bench/results/bench.json` "
        "(and the latest `drills.json`).",
        "",
    ]
    return "\n".join(lines)


def data_lines(doc: dict[str, Any]) -> list[str]:
    out = []
    for phase in ("pg", "sqlite"):
        d = (doc.get(phase) or {}).get("data")
        if not d:
            continue
        out += [
            f"**Data ({'PostgreSQL' if phase == 'pg' else 'SQLite'}):** {d['municipalities']:,} municipalities; both "
            f"grants' municipal frameworks of {d['items_per_framework']} items for 3 grant "
            "years, each scored for every municipality (6 × 174,100 cells through the import "
            f"API, {', '.join(str(s) for s in d['seed_imports_s'])} s); {d['support_cases']} "
            f"support cases with trees and roadmaps (API); {d['training_sessions']} training "
            f"sessions (API) with {d['registrations']:,} registrations (inserted into the "
            f"training database); loaded in {d['load_seconds']} s.",
            "",
        ]
    return out


def endpoint_table(doc: dict[str, Any]) -> list[str]:
    names = {"postgresql": "PostgreSQL", "supervisor": "supervisor", "floor": "floor app"}
    seen = {k for r in doc.get("runs", []) for k in r["cpu_ms_per_request"]}
    cols = [*APPS, *(k for k in names if k in seen)]
    lines = [
        "",
        "## Per endpoint",
        "",
        "CPU columns: ms of CPU per request of each process group.",
        "",
        "| phase | endpoint | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| degraded | " + " | ".join(names.get(c, c) for c in cols) + " |",
        "|" + "---|" * (10 + len(cols)),
    ]
    order = {"floor": 0, "gateway": 1, "service": 2, "write": 3}
    phase_order = {"pg": 0, "workers": 1, "sqlite": 2}
    for r in sorted(
        doc.get("runs", []),
        key=lambda r: (
            phase_order.get(r.get("phase"), 9),
            order.get(r["group"], 9),
            r["name"],
            r["concurrency"],
        ),
    ):
        cpu = r["cpu_ms_per_request"]
        err = _n(r["errors"]) + (
            f" ({', '.join(f'{k}×{v}' for k, v in r['statuses'].items() if not k.startswith('2'))})"
            if r["errors"]
            else ""
        )
        lines.append(
            f"| {r.get('phase', '')} | {_cell(r['name'])} | {r['concurrency']} | {r['requests']} "
            f"| {_n(r['req_per_s'])} | {_n(r['p50_ms'])} | {_n(r['p95_ms'])} | "
            f"{_n(r['p99_ms'])} | {err} | "
            f"{_n(r.get('degraded', 0)) if r['group'] == 'gateway' else '—'} | "
            + " | ".join(_n(cpu.get(c)) for c in cols)
            + " |"
        )
    return lines


def service_calls_table(doc: dict[str, Any]) -> list[str]:
    rows20 = service_rows(doc, 20)
    if not rows20:
        return []
    rows1 = {r["name"]: r for r in service_rows(doc, 1)}
    lines = [
        "",
        "## Service calls the views make",
        "",
        "Each call exactly as the gateway made it for the view (learnt in this run), measured "
        "directly on the service. Goal: ≤ 2 ms of the service's CPU per call (20 clients).",
        "",
        "| service | call | used by (calls per request) | p50 ms, 1 client | p99 ms, 20 clients | "
        "service CPU ms per call | ≤ 2 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows20, key=lambda r: (r["service"], r["name"])):
        svc = r["service"]
        cpu = r["cpu_ms_per_request"].get(svc)
        one = rows1.get(r["name"])
        used = ", ".join(f"{VIEW_LABELS.get(v, v)} ×{n}" for v, n in r.get("used_by", {}).items())
        lines.append(
            f"| {svc} | `{_cell(r['name'].split(' ', 1)[1])}` | {used} | "
            f"{_n(one['p50_ms']) if one else '—'} | {_n(r['p99_ms'])} | {_n(cpu)} | "
            f"{'yes' if cpu is not None and cpu <= SERVICE_CPU_LIMIT_MS and not r['errors'] else '**no**'} |"
        )
    return lines


def view_calls_table(doc: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## What each view costs each service (one worker per app, 20 clients)",
        "",
        "From the services' request counters (/metrics) and CPU time during the view's own row: "
        "calls per view request, the service's CPU per call, and the share of calls answered "
        "304 (the gateway asked with the ETag of the answer it kept and nothing it rests on had "
        "changed: services/common/conditional.py).",
        "",
        "| phase | view | service | calls per request | CPU ms per call | 304 | routes |",
        "|---|---|---|---|---|---|---|",
    ]
    n = 0
    for phase in ("pg", "sqlite"):
        for view in VIEW_LABELS:
            r = view_run(doc, phase, view, 20)
            if not r or "service_calls" not in r:
                continue
            for svc, a in r["service_calls"].items():
                routes = "; ".join(f"{x['call']} ×{x['per_request']}" for x in a["routes"])
                lines.append(
                    f"| {phase} | {VIEW_LABELS[view]} | {svc} | {_n(a['calls_per_request'])} | "
                    f"{_n(a['cpu_ms_per_call'])} | {_share(a.get('not_modified_share'))} | "
                    f"{_cell(routes) or 'none'} |"
                )
                n += 1
    return lines if n else []


def writes_lines(doc: dict[str, Any]) -> list[str]:
    pg = doc.get("pg") or {}
    if not pg.get("imports") and not pg.get("burst"):
        return []
    lines = ["", "## Writes", ""]
    for i, imp in enumerate(pg.get("imports", []), 1):
        lines.append(
            f"- National score import {i} (174,100 cells, replacing every cell of the newest "
            f"framework): answered in {_n(imp['seconds'])} s ({', '.join(imp['status'])}); "
            + (
                "a read of the results right after the answer saw the new scores."
                if imp["read_right_after_saw_it"]
                else f"the results showed the new scores {_n(imp['seconds_until_read_saw_it'])} "
                "s after the request began."
            )
        )
    b = pg.get("burst")
    if b:
        lines.append(
            f"- 200 registrations at once for 30 seats: {b['confirmed']} confirmed, "
            f"{b['waitlisted']} waitlisted, waitlist "
            f"{'in positions 1..' + str(b['waitlisted']) if b['waitlist_in_order'] else 'NOT in order'}; "
            f"answers {', '.join(f'{k}×{v}' for k, v in b['statuses'].items())} in "
            f"{_n(b['seconds'])} s."
        )
    w = pg.get("small_writes")
    if w:
        saw = all(w["cell_read_saw_it"])
        lines.append(
            f"- One score cell (`PUT /api/v1/frameworks/{{id}}/scores`, one row) with "
            f"{w['frameworks']} national frameworks loaded: "
            + ", ".join(f"{_n(x)} s" for x in w["cell_put_s"])
            + "; "
            + (
                "a read right after each answer saw it."
                if saw
                else "a read right after an answer did NOT see it."
            )
        )
        lines.append(
            "- A peer-group set over Tokyo's 62 (every framework's peer ranks and averages follow "
            f"within the write): created in {_n(w['peer_set_s'][0])} s, edited in "
            f"{_n(w['peer_set_s'][1])} s."
        )
    return lines


def workers_table(doc: dict[str, Any]) -> list[str]:
    w = doc.get("workers")
    if not w:
        return []
    lines = [
        "",
        f"## Two workers per app (`<APP>_WORKERS={w['requested']}`, PostgreSQL, 20 clients)",
        "",
        "Worker processes seen per app: "
        + ", ".join(f"{a} {n}" for a, n in w["seen"].items())
        + (
            "."
            if w.get("setting_in_serve_script")
            else " — scripts/serve.py does not read `<APP>_WORKERS` yet, so the row ran one "
            "worker per app."
        ),
        "",
        "| view | req/s, 1 worker | req/s, 2 workers | × | p99 ms, 1 → 2 | degraded, 1 → 2 | "
        "CPU ms/request over all processes, 1 → 2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for view in VIEW_LABELS:
        one, two = view_run(doc, "pg", view, 20), view_run(doc, "workers", view, 20)
        if not two:
            continue
        ratio = two["req_per_s"] / one["req_per_s"] if one and one["req_per_s"] else None
        o = one or {}
        lines.append(
            f"| {VIEW_LABELS[view]} | {_n(o.get('req_per_s'))} | {_n(two['req_per_s'])} | "
            f"{_n(ratio)} | {_n(o.get('p99_ms'))} → {_n(two['p99_ms'])} | "
            f"{incomplete(one) if one else '—'} → {incomplete(two)} | "
            f"{_n(total_cpu(one)) if one else '—'} → {_n(total_cpu(two))} |"
        )
    return lines


def sqlite_lines(doc: dict[str, Any]) -> list[str]:
    s = doc.get("sqlite")
    if not s:
        return []
    lines = [
        "",
        "## Embedded default (SQLite, the make run setup)",
        "",
        f"SQLite files, the four apps started by {s['launcher']} as `make run` does (no "
        f"BANSO_ENV, log level {s['log_level']}), national data loaded through the API as "
        "above.",
        "",
        "| view | clients | req/s | p50 ms | p99 ms | degraded | CPU ms/request over all processes |",
        "|---|---|---|---|---|---|---|",
    ]
    for view in VIEW_LABELS:
        for c in (1, 20):
            r = view_run(doc, "sqlite", view, c)
            if r:
                lines.append(
                    f"| {VIEW_LABELS[view]} | {c} | {_n(r['req_per_s'])} | {_n(r['p50_ms'])} | "
                    f"{_n(r['p99_ms'])} | {incomplete(r)} | {_n(total_cpu(r))} |"
                )
    return lines


def processes_table(doc: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Processes: CPU and memory",
        "",
        "CPU seconds over the whole phase (data loading included); resident memory per "
        "process: peak (VmHWM) and at the end.",
        "",
        "| phase | process | workers | CPU s | peak MB per process | resident MB at the end |",
        "|---|---|---|---|---|---|",
    ]
    n = 0
    for phase in ("pg", "workers", "sqlite"):
        for app, p in ((doc.get(phase) or {}).get("processes") or {}).items():
            ps = p.get("processes", [])
            peaks = ", ".join(f"{x['peak_mb']:.0f}" + ("" if x["role"] == "main" else f" ({x['role']})") for x in ps)  # fmt: skip
            rss = ", ".join(f"{x['rss_mb']:.0f}" for x in ps)
            label = {"postgresql": "PostgreSQL backends (a lower bound)"}.get(app, app)
            lines.append(
                f"| {phase} | {label} | {p.get('workers') or '—'} | {_n(p['cpu_seconds'])} | "
                f"{peaks or '—'} | {rss or '—'} |"
            )
            n += 1
    return lines if n else []


# --- the reading, written from the figures --------------------------------------------------


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def reading(doc: dict[str, Any]) -> list[str]:
    """A few sentences from the figures: what each view costs, which process limits it, what
    the writes, a second worker and SQLite do. Nothing here is written by hand, so it cannot
    go stale against the table above."""
    cores = doc["machine"].get("cpus") or 1
    out = []
    load = doc["machine"]["load_average_at_start"][0]
    if load >= 3:
        out.append(
            f"The load average was {load} when the run began (other work on the same "
            f"{cores} cores): the latencies and rates below are worse than the product's own, "
            "and the CPU times per request somewhat inflated by contention. Read the ratios "
            "(which process costs most, where the time goes), not the absolute figures."
        )
    for phase in ("pg", "sqlite"):
        for view in VIEW_LABELS:
            r = view_run(doc, phase, view, 20)
            if not r:
                continue
            cpu = {k: v for k, v in r["cpu_ms_per_request"].items() if k != "floor" and v > 0}
            total = sum(cpu.values())
            if not total:
                continue
            top, top_ms = max(cpu.items(), key=lambda x: x[1])
            cap = cores * 1000 / total
            busy = r["req_per_s"] / cap if cap else 0
            parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items(), key=lambda x: -x[1]))
            s = (
                f"{PHASE_LABELS[phase]} — {VIEW_LABELS[view]} at 20 clients: {total:.1f} ms of "
                f"CPU per request ({parts}), so {cores} cores serve at most about {cap:.0f} "
                f"per second; it served {r['req_per_s']:.0f} per second ({busy:.0%} of that) "
                f"with p99 {r['p99_ms']:.0f} ms. "
            )
            if busy >= 0.7:
                s += f"CPU-bound; {top} costs most ({top_ms / total:.0%})."
            else:
                s += (
                    f"Not CPU-bound by the product's processes: the rest is waiting "
                    f"(the driver and other work share the cores, or calls queue on one "
                    f"process); {top} costs most ({top_ms / total:.0%})."
                )
            bad = incomplete(r)
            if bad:
                s += (
                    f" {bad} of {r['requests']} answers were degraded or failed: calls cut off "
                    "at the deadline or skipped by an open circuit breaker are partly missing "
                    "from the CPU above."
                )
            calls = r.get("service_calls") or {}
            many = [f"{svc} ×{a['calls_per_request']:g}" for svc, a in calls.items()
                    if a["calls_per_request"] > 1.05]  # fmt: skip
            if many:
                s += " More than one call per service per request: " + ", ".join(many) + "."
            out.append(s)
    rows20 = service_rows(doc, 20)
    if rows20:
        worst = max(rows20, key=lambda r: r["cpu_ms_per_request"].get(r["service"], 0))
        slow1 = {r["name"]: r for r in service_rows(doc, 1)}
        slowest = max(slow1.values(), key=lambda r: r["p50_ms"]) if slow1 else None
        s = (
            f"The costliest service call is {worst['name']} at "
            f"{worst['cpu_ms_per_request'][worst['service']]:.1f} ms of service CPU per call"
        )
        if slowest:
            s += f"; the slowest alone is {slowest['name']} ({slowest['p50_ms']:.1f} ms p50)"
        out.append(s + ".")
    floor = next(
        (
            r
            for r in doc.get("runs", [])
            if r["group"] == "floor" and r["concurrency"] == 20 and r.get("phase") == "pg"
        ),
        None,
    )
    if floor:
        out.append(
            f"The floor (a bare FastAPI endpoint under uvicorn, same machine) answered "
            f"{floor['req_per_s']:.0f} requests per second at 20 clients, "
            f"{floor['cpu_ms_per_request'].get('floor', 0):.2f} ms of CPU each: the cost of "
            "one HTTP request through the stack before any work."
        )
    w = doc.get("workers")
    if w:
        ratios = []
        for view in VIEW_LABELS:
            one, two = view_run(doc, "pg", view, 20), view_run(doc, "workers", view, 20)
            if one and two and one["req_per_s"]:
                ratios.append(two["req_per_s"] / one["req_per_s"])
        if not w.get("setting_in_serve_script"):
            out.append(
                "The two-workers row ran one worker per app: scripts/serve.py does not read "
                "<APP>_WORKERS yet, so it only repeats the one-worker figures."
            )
        elif ratios:
            out.append(
                f"Two workers per app changed throughput by ×{min(ratios):.2f}–"
                f"×{max(ratios):.2f}. On {cores} cores shared with the driver and PostgreSQL, "
                "a second worker helps where one process was the queue (one busy core) and "
                "cannot help where the cores are already full."
            )
    imports = (doc.get("pg") or {}).get("imports") or []
    seen = [i["seconds_until_read_saw_it"] for i in imports if i["seconds_until_read_saw_it"]]
    if seen:
        out.append(
            f"The national score import took {statistics.median(seen):.1f} s (median) until a "
            "read saw it"
            + (
                ", the read models refreshed within the import's own answer."
                if all(i["read_right_after_saw_it"] for i in imports)
                else "; the read models lagged behind the import's answer."
            )
        )
    procs = product_processes(doc)
    if procs:
        phase, app, top = max(procs, key=lambda x: x[2]["peak_mb"])
        out.append(f"The largest process was {app} ({phase}) at {top['peak_mb']:.0f} MB peak.")
    shares = [
        a["not_modified_share"]
        for r in doc.get("runs", [])
        for a in (r.get("service_calls") or {}).values()
        if a.get("not_modified_share") is not None
    ]
    if shares:
        out.append(
            "Conditional reads: the view rows repeat one coordinator's session (pages) and one "
            "API token (JSON), so after a view's first request its service calls are answered "
            f"304 ({min(shares) * 100:.0f}–{max(shares) * 100:.0f}% of the calls in the view "
            "rows) and its page or overview JSON, made from the same answers, is sent again. "
            "A person's first view, or the first after a write, costs the full calls: the "
            "service-call table above measures those (no If-None-Match), each against the "
            "2 ms goal."
        )
    return out


def drills_section() -> list[str]:
    path = Path(__file__).with_name("results") / "drills.json"
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    lines = [
        "",
        f"## Drills (`make drill{'-short' if d['set'] == 'short' else ''}`, {d['when']}, "
        f"{d['seconds']} s)",
        "",
        "| drill | check | result |",
        "|---|---|---|",
    ]
    for drill in d["drills"]:
        for c in drill["checks"]:
            detail = c["detail"].replace("|", "/")
            lines.append(
                f"| {drill['name']} | {c['check']} | {'OK' if c['ok'] else '**NG**'}"
                f"{' — ' + detail if detail else ''} |"
            )
    return lines


def main() -> None:
    """`python -m bench.report`: goals and docs/bench.md again from bench/results/bench.json
    (and the latest drills.json), e.g. after a drill run or a change of this page."""
    path = ROOT / "bench" / "results" / "bench.json"
    doc = json.loads(path.read_text())
    doc["goals"] = goals(doc)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    (ROOT / "docs" / "bench.md").write_text(render(doc))
    print(goals_text(doc))


if __name__ == "__main__":
    main()
