"""Correctness proof of the training read models: random sequences of writes through the API
(registrations, cancellations, attendance, session and program edits, new sessions), and after
each write every read model equals a from-scratch computation over the base tables, and the
stats read from them equal the stats computed from the records. Runs on the suite's database
(SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from services.common.registry import get_registry
from tests.training.factories import CHIYODA, CHUO, MINATO

KINDS = ("全体研修・情報交換会", "地域ケア会議 司会者・助言者養成")
CODES = (CHIYODA, CHUO, MINATO)
PEOPLE = 6  # e-mail addresses: the same person registers to several sessions
MARKS = ("present", "present", "on_demand", "absent")
BASE_DAY = date(2025, 6, 10)  # a Tuesday, FY2025

EXAMPLES = int(os.environ.get("BANSO_PROPERTY_EXAMPLES", "20"))

register_op = st.tuples(
    st.just("register"),
    st.integers(0, 9),  # session (modulo how many there are)
    st.integers(0, len(CODES) - 1),
    st.integers(0, PEOPLE - 1),
)
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 99))
attend_op = st.tuples(
    st.just("attend"),
    st.integers(0, 9),
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(1, 3), st.sampled_from(MARKS)),
        min_size=1,
        max_size=4,
    ),
)
capacity_op = st.tuples(
    st.just("capacity"),
    st.integers(0, 9),
    st.integers(1, 4),
    st.one_of(st.none(), st.integers(1, 2)),
)
days_op = st.tuples(st.just("days"), st.integers(0, 9), st.integers(1, 3), st.integers(0, 3))
program_op = st.tuples(
    st.just("program"),
    st.integers(0, 1),
    st.sampled_from((2024, 2025)),
    st.sampled_from(KINDS),
    st.one_of(st.none(), st.integers(1, 3)),
)
new_session_op = st.tuples(st.just("new_session"), st.integers(0, 1), st.integers(1, 3))
ops = st.lists(
    st.one_of(
        register_op,
        register_op,
        register_op,
        cancel_op,
        attend_op,
        attend_op,
        capacity_op,
        days_op,
        program_op,
        new_session_op,
    ),
    min_size=1,
    max_size=14,
)


def _days(n: int, shift: int = 0) -> list[dict[str, str]]:
    return [
        {
            "date": (BASE_DAY + timedelta(days=7 * (i + shift))).isoformat(),
            "start": "13:30",
            "end": "16:30",
        }
        for i in range(n)
    ]


async def _rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def from_scratch(engine: Any) -> dict[str, set[tuple[Any, ...]]]:
    """Every read model computed from the base tables alone, in plain Python."""
    programs = {
        pid: (fy, kind, rule, n)
        for pid, fy, kind, rule, n in await _rows(
            engine,
            "SELECT id, fiscal_year, kind, completion_rule, completion_min_days FROM program",
        )
    }
    sessions = await _rows(
        engine, "SELECT id, program_id, first_date, last_date, capacity FROM training_session"
    )
    days = dict(
        await _rows(engine, "SELECT session_id, COUNT(*) FROM session_day GROUP BY session_id")
    )
    regs = await _rows(
        engine, "SELECT id, session_id, municipality_code, email, status FROM registration"
    )
    attended = dict(
        await _rows(
            engine,
            "SELECT registration_id, COUNT(*) FROM attendance "
            "WHERE status IN ('present', 'on_demand') GROUP BY registration_id",
        )
    )
    info = {}
    for sid, pid, first, last, cap in sessions:
        fy, kind, rule, n = programs[pid]
        m = days.get(sid, 0)
        need = min(n, m) if rule == "n_of_m" and n else m
        info[sid] = (pid, fy, kind, str(first), str(last), cap, m, need)

    def zero() -> dict[str, Any]:
        return defaultdict(int)

    per_session: dict[int, dict[str, int]] = {sid: zero() for sid in info}
    per_sm: dict[tuple[int, str], dict[str, int]] = defaultdict(zero)
    per_mk: dict[tuple[int, str, str], dict[str, Any]] = defaultdict(zero)
    per_my: dict[tuple[int, str], dict[str, Any]] = defaultdict(zero)
    per_k: dict[tuple[int, str], dict[str, Any]] = defaultdict(zero)
    emails_mk: dict[tuple[int, str, str], set[str]] = defaultdict(set)
    emails_my: dict[tuple[int, str], set[str]] = defaultdict(set)
    emails_k: dict[tuple[int, str], set[str]] = defaultdict(set)
    sessions_mk: dict[tuple[int, str, str], set[int]] = defaultdict(set)
    for _rid, sid, code, email, status in regs:
        if status == "cancelled":
            continue
        pid, fy, kind, *_rest, need = info[sid]
        sm = per_sm[(sid, code)]
        if status == "waitlisted":
            sm["waitlisted"] += 1
            continue
        n = attended.get(_rid, 0)
        done = 1 if need > 0 and n >= need else 0
        for d in (sm, per_mk[(fy, kind, code)], per_my[(fy, code)]):
            d["confirmed"] += 1
            d["attendances"] += n
            d["completers"] += done
        sm["persons"] += 1 if n else 0
        if n:
            emails_mk[(fy, kind, code)].add(email)
            emails_my[(fy, code)].add(email)
            emails_k[(fy, kind)].add(email)
            sessions_mk[(fy, kind, code)].add(sid)
    for (sid, _code), sm in per_sm.items():
        for k in ("confirmed", "waitlisted", "persons", "attendances", "completers"):
            per_session[sid][k] += sm[k]
    for sid, s in per_session.items():
        pid, fy, kind, *_ = info[sid]
        k = per_k[(fy, kind)]
        k["sessions"] += 1
        for name in ("attendances", "completers"):
            k[name] += s[name]
    counts = ("confirmed", "waitlisted", "persons", "attendances", "completers")
    out: dict[str, set[tuple[Any, ...]]] = {
        "session_figures": {
            (sid, *info[sid], *(per_session[sid][c] for c in counts)) for sid in info
        },
        "session_municipality_figures": {
            (sid, code, info[sid][0], info[sid][1], info[sid][2], *(sm[c] for c in counts))
            for (sid, code), sm in per_sm.items()
        },
        "kind_year_figures": {
            (
                fy,
                kind,
                k["sessions"],
                len(emails_k[(fy, kind)]),
                k["attendances"],
                k["completers"],
            )
            for (fy, kind), k in per_k.items()
        },
    }
    # per kind: only municipalities whose people attended
    out["municipality_kind_figures"] = {
        (
            fy,
            kind,
            code,
            len(emails_mk[(fy, kind, code)]),
            d["attendances"],
            d["completers"],
            len(sessions_mk[(fy, kind, code)]),
        )
        for (fy, kind, code), d in per_mk.items()
        if emails_mk[(fy, kind, code)]
    }
    # per year: municipalities with a confirmed registration or a person who attended
    out["municipality_year_figures"] = {
        (
            fy,
            code,
            d["confirmed"],
            len(emails_my[(fy, code)]),
            d["attendances"],
            d["completers"],
            sum(len(v) for (y, _k, c), v in sessions_mk.items() if (y, c) == (fy, code)),
        )
        for (fy, code), d in per_my.items()
        if d["confirmed"] or emails_my[(fy, code)]
    }
    return out


STORED = {
    "session_figures": "SELECT session_id, program_id, fiscal_year, kind, first_date, last_date, "
    "capacity, days, required_days, confirmed, waitlisted, persons, attendances, completers "
    "FROM session_figures",
    "session_municipality_figures": "SELECT session_id, municipality_code, program_id, fiscal_year, "
    "kind, confirmed, waitlisted, persons, attendances, completers FROM session_municipality_figures",
    "kind_year_figures": "SELECT fiscal_year, kind, sessions, persons, attendances, completers "
    "FROM kind_year_figures",
    "municipality_kind_figures": "SELECT fiscal_year, kind, municipality_code, persons, "
    "attendances, completers, sessions_attended FROM municipality_kind_figures",
    "municipality_year_figures": "SELECT fiscal_year, municipality_code, registrations, persons, "
    "attendances, completers, sessions_attended FROM municipality_year_figures",
}


async def stored(engine: Any) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    for name, sql in STORED.items():
        rows = await _rows(engine, sql)
        if name == "session_figures":
            rows = [(*r[:4], str(r[4]), str(r[5]), *r[6:]) for r in rows]
        out[name] = set(rows)
    return out


async def check(training: Any, c: Any, step: str) -> None:
    expected = await from_scratch(training.db.engine)
    got = await stored(training.db.engine)
    for name in STORED:
        assert got[name] == expected[name], (
            f"{name} after {step}: stored-only {sorted(got[name] - expected[name])}, "
            f"expected-only {sorted(expected[name] - got[name])}"
        )
    # The stats read from the stored rows equal the records' figures (every kind a key).
    home = {m.code for m in get_registry().home()}
    for fy in (2024, 2025):
        body = (await c.get("/api/v1/stats", params={"fiscal_year": fy})).json()
        kinds = {r[1]: r for r in expected["kind_year_figures"] if r[0] == fy}
        for kind in KINDS:
            row = kinds.get(kind)
            assert body["completers_by_kind"][kind] == (row[5] if row else 0), step
            assert body["persons_by_kind"][kind] == (row[3] if row else 0), step
            assert body["attendances_by_kind"][kind] == (row[4] if row else 0), step
        reached = sorted(
            r[1] for r in expected["municipality_year_figures"] if r[0] == fy and r[3] > 0
        )
        assert body["municipalities_reached"] == [x for x in reached if x in home], step


async def _apply(c: Any, op: tuple[Any, ...], state: dict[str, Any]) -> str:
    kind = op[0]
    sessions = state["sessions"]
    if kind == "register":
        sid = sessions[op[1] % len(sessions)]
        code = CODES[op[2]]
        r = await c.post(
            f"/api/v1/sessions/{sid}/registrations",
            json={"name": f"職員{op[3]}", "municipality_code": code, "email": f"p{op[3]}@ex.jp"},
        )
        assert r.status_code in (201, 409), r.text
        return f"register s{sid} {code} p{op[3]} → {r.status_code}"
    if kind == "cancel":
        regs = (await c.get("/api/v1/registrations")).json()
        if not regs:
            return "cancel (none)"
        reg = regs[op[1] % len(regs)]
        r = await c.delete(f"/api/v1/registrations/{reg['id']}")
        assert r.status_code == 204, r.text
        return f"cancel r{reg['id']} ({reg['status']})"
    if kind == "attend":
        sid = sessions[op[1] % len(sessions)]
        confirmed = (
            await c.get(f"/api/v1/sessions/{sid}/registrations", params={"status": "confirmed"})
        ).json()
        if not confirmed:
            return f"attend s{sid} (nobody)"
        entries = [
            {"registration_id": confirmed[i % len(confirmed)]["id"], "day_no": d, "status": m}
            for i, d, m in op[2]
        ]
        r = await c.put(f"/api/v1/sessions/{sid}/attendance", json={"entries": entries})
        assert r.status_code in (200, 422), r.text
        return f"attend s{sid} {entries} → {r.status_code}"
    if kind == "capacity":
        sid = sessions[op[1] % len(sessions)]
        s = (await c.get(f"/api/v1/sessions/{sid}")).json()
        r = await c.patch(
            f"/api/v1/sessions/{sid}",
            json={"version": s["version"], "capacity": op[2], "municipality_quota": op[3]},
        )
        assert r.status_code == 200, r.text
        return f"capacity s{sid} {op[2]} quota {op[3]}"
    if kind == "days":
        sid = sessions[op[1] % len(sessions)]
        s = (await c.get(f"/api/v1/sessions/{sid}")).json()
        r = await c.patch(
            f"/api/v1/sessions/{sid}", json={"version": s["version"], "days": _days(op[2], op[3])}
        )
        assert r.status_code in (200, 422), r.text
        return f"days s{sid} {op[2]} from week {op[3]} → {r.status_code}"
    if kind == "program":
        pid = state["programs"][op[1]]
        p = (await c.get(f"/api/v1/programs/{pid}")).json()
        rule = (
            {"completion_rule": "n_of_m", "completion_min_days": op[4]}
            if op[4]
            else {"completion_rule": "all_days"}
        )
        r = await c.patch(
            f"/api/v1/programs/{pid}",
            json={"version": p["version"], "fiscal_year": op[2], "kind": op[3], **rule},
        )
        assert r.status_code == 200, r.text
        return f"program {pid} fy{op[2]} {op[3]} {rule}"
    if kind == "new_session":
        pid = state["programs"][op[1]]
        r = await c.post(
            "/api/v1/sessions",
            json={"program_id": pid, "days": _days(op[2]), "format": "会場", "capacity": 2},
        )
        assert r.status_code == 201, r.text
        sessions.append(r.json()["id"])
        return f"new session {r.json()['id']} of program {pid}"
    raise AssertionError(op)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
# Paths that must be in every run: a person who attended cancels (実人数 and completers drop,
# the first waiting person is promoted); a program moves to another year and kind; a session's
# days change under a completion rule of N of M.
@example(
    sequence=[
        ("register", 0, 0, 0),
        ("register", 0, 1, 1),
        ("register", 0, 2, 2),
        ("attend", 0, [(0, 1, "present"), (0, 2, "on_demand"), (1, 1, "present")]),
        ("cancel", 0),
    ]
)
@example(
    sequence=[
        ("register", 2, 0, 0),
        ("register", 1, 0, 0),
        ("attend", 2, [(0, 1, "present"), (0, 2, "present")]),
        ("attend", 1, [(0, 1, "present")]),
        ("program", 1, 2024, "全体研修・情報交換会", None),
        ("days", 2, 1, 0),
        ("capacity", 0, 1, 1),
    ]
)
async def test_every_read_model_equals_a_computation_from_scratch(training, sequence) -> None:
    await training.reset()
    async with training.client() as c:
        programs = []
        for kind, rule in (
            (KINDS[0], {}),
            (KINDS[1], {"completion_rule": "n_of_m", "completion_min_days": 2}),
        ):
            r = await c.post(
                "/api/v1/programs",
                json={"name": kind, "kind": kind, "fiscal_year": 2025, "region": "全域", **rule},
            )
            programs.append(r.json()["id"])
        sessions = []
        for pid, n, cap, quota in (
            (programs[0], 2, 2, None),
            (programs[0], 1, 3, 1),
            (programs[1], 3, 2, None),
        ):
            r = await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": pid,
                    "days": _days(n),
                    "format": "会場",
                    "capacity": cap,
                    "municipality_quota": quota,
                },
            )
            sessions.append(r.json()["id"])
        state = {"programs": programs, "sessions": sessions}
        await check(training, c, "setup")
        done: list[str] = []
        for op in sequence:
            done.append(await _apply(c, op, state))
            await check(training, c, " / ".join(done))
