"""Goals and the Markdown page (docs/bench.md) from the figures of one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GATEWAY = [
    "dashboard page /",
    "municipality page /municipalities/131016",
    "overview JSON",
    "grant report JSON (Tokyo)",
]
APPS = ("gateway", "indicators", "support_cases", "training", "floor")


def run(doc: dict[str, Any], name: str, c: int) -> dict[str, Any] | None:
    return next((r for r in doc["runs"] if r["name"] == name and r["concurrency"] == c), None)


def slowest_call(doc: dict[str, Any], endpoint: str, c: int) -> dict[str, Any] | None:
    calls = [r for r in doc["runs"] if r.get("calls_of") == endpoint and r["concurrency"] == c]
    return min(calls, key=lambda r: r["req_per_s"] or 0) if calls else None


def ratios(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in GATEWAY:
        for c in (1, 20):
            r = run(doc, name, c)
            floor = run(doc, "floor: bare FastAPI endpoint", c)
            if not r:
                continue
            s = slowest_call(doc, name, c)
            seen = (doc.get("service_calls_seen", {}).get(name, {}) or {}).get(c) or []
            seen = seen or (doc.get("service_calls_seen", {}).get(name, {}) or {}).get(str(c), [])
            rows.append(
                {
                    "endpoint": name,
                    "clients": c,
                    "slowest_call": s["name"] if s else None,
                    "throughput_vs_slowest": round(r["req_per_s"] / s["req_per_s"], 3)
                    if s and s["req_per_s"]
                    else None,
                    "p50_vs_slowest": round(r["p50_ms"] / s["p50_ms"], 2) if s else None,
                    "throughput_vs_floor": round(r["req_per_s"] / floor["req_per_s"], 4)
                    if floor and floor["req_per_s"]
                    else None,
                    "calls_seen": seen,
                }
            )
    return rows


def goals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with its figure; a gateway figure counts only when every answer in its row
    was complete (a degraded answer is fast because a part is missing)."""

    def g(goal: str, r: dict | None, key: str, limit: float, unit: str) -> dict:
        if r is None:
            return {"goal": goal, "measured": None, "unit": unit, "met": False}
        bad = r["errors"] + r.get("degraded", 0)
        measured = r[key]
        note = f" ({bad} of {r['requests']} answers incomplete)" if bad else ""
        return {
            "goal": goal,
            "measured": measured,
            "unit": unit + note,
            "met": measured < limit and bad == 0,
        }

    out = [
        g(
            "dashboard p99 < 200 ms at 20 clients",
            run(doc, "dashboard page /", 20),
            "p99_ms",
            200,
            "ms",
        ),
        g(
            "grant report for Tokyo < 1 s (p50, 1 client)",
            run(doc, "grant report JSON (Tokyo)", 1),
            "p50_ms",
            1000,
            "ms",
        ),
        g(
            "results for 1,741 municipalities < 1 s (indicators, p50, 1 client)",
            run(doc, "indicators results, whole nation (1,741)", 1),
            "p50_ms",
            1000,
            "ms",
        ),
        g("overview p50 < 10 ms at 1 client", run(doc, "overview JSON", 1), "p50_ms", 10, "ms"),
        g(
            "overview p99 < 150 ms at 20 clients",
            run(doc, "overview JSON", 20),
            "p99_ms",
            150,
            "ms",
        ),
    ]
    for row in ratios(doc):
        if row["clients"] == 20 and row["throughput_vs_slowest"] is not None:
            r = run(doc, row["endpoint"], 20) or {}
            bad = r.get("errors", 0) + r.get("degraded", 0)
            out.append(
                {
                    "goal": f"{row['endpoint']}: throughput ≥ ¼ of its slowest service call "
                    "(20 clients)",
                    "measured": row["throughput_vs_slowest"],
                    "unit": "×" + (f" ({bad} answers incomplete)" if bad else ""),
                    "met": row["throughput_vs_slowest"] >= 0.25 and bad == 0,
                }
            )
    ov = run(doc, "overview JSON", 20)
    if ov:
        cpu = ov["cpu_ms_per_request"].get("gateway")
        out.append(
            {
                "goal": "gateway CPU per overview request ≤ 5 ms (20 clients)",
                "measured": cpu,
                "unit": "ms",
                "met": cpu is not None and cpu <= 5,
            }
        )
    for r in doc["runs"]:
        if r["group"] == "gateway":
            bad = r["errors"] + r.get("degraded", 0)
            out.append(
                {
                    "goal": f"{r['name']} at {r['concurrency']} clients: every answer complete "
                    "(no error, not degraded)",
                    "measured": f"{bad} of {r['requests']}",
                    "unit": "incomplete",
                    "met": bad == 0,
                }
            )
    return out


def _n(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if 0 < abs(v) < 0.01:
            return f"{v:.4f}"
        return f"{v:,.1f}" if v >= 100 else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def render(doc: dict[str, Any]) -> str:
    m, d = doc["machine"], doc["data"]
    lines = [
        "# Bansō benchmark (national scale)",
        "",
        f"Run {doc['when']} with `make bench`"
        + (f" (`--scale {doc['scale']}`)" if doc["scale"] != 1 else "")
        + (
            f" (`--time-scale {doc.get('time_scale')}`: shorter request budgets)"
            if doc.get("time_scale", 1) != doc["scale"]
            else ""
        )
        + "; figures in `bench/results/bench.json`. Not a test: goals are reported, not "
        "asserted. Every process (driver, gateway, three services, PostgreSQL, the floor app) "
        "shares the same machine; CPU time per request (from /proc) is steadier than req/s.",
        "",
        f"**Machine:** {m['cpu']}, {m['cpus']} CPUs, {m['memory_mb']:,} MB RAM, Linux "
        f"{m['kernel']}, Python {m['python']}, PostgreSQL {m['postgresql']} on 127.0.0.1; "
        f"load average {m['load_average_at_start'][0]} at the start, "
        f"{m.get('load_average_at_end', ['?'])[0]} at the end (other work shared the machine).",
        "",
        f"**Data:** {d['municipalities']:,} municipalities; both grants' municipal frameworks of "
        f"{d['items_per_framework']} items for 3 grant years, each scored for every municipality "
        f"(6 × 174,100 cells, imported in {', '.join(str(s) for s in d['seed_imports_s'])} s); "
        f"{d['support_cases']} support cases with trees and roadmaps; "
        f"{d['training_sessions']} training sessions with {d['registrations']:,} registrations "
        f"(loaded in {d['load_seconds']} s).",
        "",
        "**Load:** a separate driver process (asyncio + httpx) on loopback, bounded in requests "
        "and seconds per row; pages with a logged-in session cookie, the gateway JSON with an "
        "API token, the service calls with an actor token.",
        "",
        "## Goals",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
    ]
    for g in doc["goals"]:
        lines.append(
            f"| {g['goal']} | {_n(g['measured'])} {g['unit']} | {'yes' if g['met'] else '**no**'} |"
        )
    lines += [
        "",
        "## Per endpoint",
        "",
        "CPU ms/request: CPU time of each process during the row divided by its requests.",
        "",
        "*degraded*: answered 200 but without a part (a page with 「一部の情報を表示できません」, "
        "combined JSON with a non-empty `unavailable`: a service call timed out after the "
        "gateway's 2 s or its circuit breaker was open).",
        "",
        "| endpoint | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | degraded | "
        "CPU ms/req: gateway | indicators | support_cases | training | floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {"floor": 0, "gateway": 1, "service": 2, "write": 3}
    for r in sorted(
        doc["runs"], key=lambda r: (order.get(r["group"], 9), r["name"], r["concurrency"])
    ):
        cpu = r["cpu_ms_per_request"]
        err = _n(r["errors"]) + (
            f" ({', '.join(f'{k}×{v}' for k, v in r['statuses'].items() if not k.startswith('2'))})"
            if r["errors"]
            else ""
        )
        lines.append(
            f"| {r['name']} | {r['concurrency']} | {r['requests']} | {_n(r['req_per_s'])} | "
            f"{_n(r['p50_ms'])} | {_n(r['p95_ms'])} | {_n(r['p99_ms'])} | {err} | "
            f"{_n(r.get('degraded', 0)) if r['group'] == 'gateway' else '—'} | "
            f"{_n(cpu.get('gateway'))} | {_n(cpu.get('indicators'))} | "
            f"{_n(cpu.get('support_cases'))} | {_n(cpu.get('training'))} | "
            f"{_n(cpu.get('floor'))} |"
        )
    lines += [
        "",
        "## Ratios (same run)",
        "",
        "Throughput of each gateway endpoint against the slowest single service call it makes "
        "(each call measured directly at the same concurrency) and against the bare FastAPI "
        "floor. *Calls seen* are the service routes the gateway hit during the row (from the "
        "services' /metrics: calls per gateway request, mean service-side latency).",
        "",
        "| endpoint | clients | slowest call | × slowest (req/s) | p50 ÷ slowest p50 | "
        "× floor (req/s) | calls seen |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in doc.get("ratios", []):
        seen = (
            "; ".join(
                f"{c['call']} ×{c['per_request']} ({c['mean_ms']} ms)"
                for c in row["calls_seen"][:4]
            )
            or "none (the page calls no service)"
        )
        lines.append(
            f"| {row['endpoint']} | {row['clients']} | {row['slowest_call'] or '—'} | "
            f"{_n(row['throughput_vs_slowest'])} | {_n(row['p50_vs_slowest'])} | "
            f"{_n(row['throughput_vs_floor'])} | {seen} |"
        )
    lines += [
        "",
        "## Peak memory (VmHWM, whole run)",
        "",
        "| process | MB |",
        "|---|---|",
    ]
    for app, mb in doc["peak_memory_mb"].items():
        lines.append(f"| {app} | {_n(mb)} |")
    lines += drills_section()
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    lines += [
        "",
        "## Reproduce",
        "",
        "`make bench` (PostgreSQL at 127.0.0.1:5432; databases `banso_h_bench_<app>`, "
        'recreated and dropped; `BENCH_DATABASE_URL` to change; `BENCH_ARGS="--scale 0.3"` '
        "or `--time-scale 0.5` for a shorter run). `make drill` runs every drill (the last one "
        "restarts PostgreSQL), `make drill-short` the set CI runs.",
        "",
    ]
    return "\n".join(lines)


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
    """`python -m bench.report`: render docs/bench.md again from bench/results/bench.json
    (and the latest drills.json), e.g. after a drill run."""
    root = Path(__file__).resolve().parents[1]
    doc = json.loads((root / "bench" / "results" / "bench.json").read_text())
    doc["ratios"] = ratios(doc)
    doc["goals"] = goals(doc)
    (root / "bench" / "results" / "bench.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    )
    (root / "docs" / "bench.md").write_text(render(doc))


if __name__ == "__main__":
    main()
