"""Correctness proof of the results read models: random sequences of writes through the API
(score PUTs, file imports, peer-set creation and edits, framework tree edits, allocation inputs
that move the size bands), and after each write every stored row of ``result_entity``,
``result_member`` and ``result_average`` equals a from-scratch computation over the base tables
in plain Python, and the results endpoint answers from them. Runs on the suite's database
(SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from services.common.registry import get_registry
from tests.indicators.factories import (
    CHIYODA,
    CHUO,
    HACHIOJI,
    MINATO,
    TACHIKAWA,
    make_framework,
)

# Tokyo's wards, cities and towns, and one municipality of another prefecture.
CODES = (CHIYODA, CHUO, MINATO, HACHIOJI, TACHIKAWA, "133035", "271004")
ITEMS = ("a", "b1", "b2", "c", "d")
POINTS = (0.0, 2.5, 5.0, 6.0, 10.0, -5.0, 1.0 / 3.0)
EXAMPLES = int(os.environ.get("BANSO_PROPERTY_EXAMPLES", "20"))

cell = st.tuples(
    st.integers(0, len(CODES) - 1), st.integers(0, len(ITEMS) - 1), st.sampled_from(POINTS)
)
put_op = st.tuples(st.just("put"), st.integers(0, 1), st.lists(cell, min_size=1, max_size=4))
import_op = st.tuples(st.just("import"), st.integers(0, 1), st.lists(cell, min_size=1, max_size=8))
peer_op = st.tuples(
    st.just("peers"),
    st.lists(st.integers(0, 2), min_size=len(CODES), max_size=len(CODES)),
)
tree_op = st.tuples(st.just("tree"), st.integers(0, 1), st.integers(0, 2))
inputs_op = st.tuples(
    st.just("inputs"),
    st.integers(0, len(CODES) - 1),
    st.sampled_from((2_000, 9_000, 40_000, 200_000)),
)
# a deduction rule stored (or changed) for a year: the low-score flags take its points
rule_op = st.tuples(st.just("rule"), st.integers(0, 1), st.sampled_from((0.1, 0.3, 0.5)))
ops = st.lists(
    st.one_of(put_op, put_op, import_op, peer_op, tree_op, inputs_op, rule_op),
    min_size=1,
    max_size=10,
)


def _clamp(item: str, points: float, tree: dict[str, tuple[float, float]]) -> float:
    lo, hi = tree[item]
    return min(max(points, lo), hi)


# --- from scratch ---------------------------------------------------------------------------


async def _rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


def _ranks(totals: dict[str, float]) -> dict[str, int]:
    """Competition ranks: 1 + how many totals are strictly higher (to 9 decimals)."""
    keys = {c: round(t, 9) for c, t in totals.items()}
    return {c: 1 + sum(1 for k in keys.values() if k > keys[c]) for c in keys}


def _r(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, dict):
        return {k: _r(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_r(v) for v in x)
    return x


async def from_scratch(engine: Any) -> dict[str, dict[Any, Any]]:
    reg = get_registry()
    fws = await _rows(engine, 'SELECT id, "grant", level, grant_fy, max_points FROM framework')
    cats = await _rows(
        engine,
        "SELECT id, framework_id, code, parent_id, max_points FROM category ORDER BY position",
    )
    items = await _rows(
        engine,
        "SELECT id, framework_id, category_id, code, alternatives, max_points FROM item "
        "ORDER BY position",
    )
    scores = await _rows(engine, "SELECT framework_id, entity_code, item_id, points FROM score")
    sets: dict[str, dict[str, str]] = {
        name: {} for (name,) in await _rows(engine, "SELECT name FROM peer_set")
    }
    for name, code, group in await _rows(
        engine,
        "SELECT s.name, m.entity_code, m.group_name FROM peer_member m "
        "JOIN peer_set s ON s.id = m.peer_set_id",
    ):
        sets[name][code] = group
    inputs = await _rows(
        engine, 'SELECT entity_code, first_insured, grant_fy, "grant" FROM allocation_input'
    )
    rules = {
        (g, fy): (t, p)
        for g, fy, t, p in await _rows(
            engine, 'SELECT "grant", grant_fy, threshold, points FROM deduction_rule'
        )
    }
    entity: dict[Any, Any] = {}
    member: dict[Any, Any] = {}
    average: dict[Any, Any] = {}
    totals_of: dict[int, dict[str, float]] = {}
    for fid, grant, level, fy, maxp in sorted(fws, key=lambda f: f[3]):
        fcats = [c for c in cats if c[1] == fid]
        parent = {c[0]: c[3] for c in fcats}
        code_of = {c[0]: c[2] for c in fcats}
        fitems = [i for i in items if i[1] == fid]
        item_by_id = {i[0]: i for i in fitems}
        cells: dict[str, dict[int, float]] = defaultdict(dict)
        for f, e, i, p in scores:
            if f == fid:
                cells[e][i] = p
        totals: dict[str, float] = {}
        cat_pts: dict[str, dict[str, float]] = {}
        for e, cs in cells.items():
            best: dict[tuple[int, str], float] = {}
            for i, p in cs.items():
                it = item_by_id[i]
                key = (it[2], it[4] or it[3])
                best[key] = max(best.get(key, float("-inf")), p)
            per: dict[str, float] = {}
            for (cid, _), p in best.items():
                cur: int | None = cid
                while cur is not None:
                    per[code_of[cur]] = per.get(code_of[cur], 0.0) + p
                    cur = parent[cur]
            totals[e] = sum(best.values())
            cat_pts[e] = per
        totals_of[fid] = totals
        earlier = [f for f in fws if f[1] == grant and f[2] == level and f[3] < fy]
        prev = totals_of.get(max(earlier, key=lambda f: f[3])[0], {}) if earlier else {}

        def rate(t: float, maxp: float = maxp) -> float:
            return t / maxp if maxp else 0.0

        national = _ranks(totals)
        by_pref: dict[str, dict[str, float]] = defaultdict(dict)
        for e, t in totals.items():
            by_pref[e[:2]][e] = t
        pref_ranks = {p: _ranks(d) for p, d in by_pref.items()}
        for e, t in totals.items():
            flags = []
            rule = rules.get((grant, fy)) if level == "municipality" else None
            if rate(t) <= 0.30:
                applies = rule is not None and rate(t) <= rule[0] + 1e-9
                flags.append(
                    {
                        "code": "low_score_rate",
                        "message": "得点率が30%以下です"
                        + (
                            f" (都道府県の評価で{rule[1]:g}点: 減点の規則による)" if applies else ""
                        ),
                        **({"deduction": rule[1]} if applies else {}),
                    }
                )
            if e in prev and prev[e] - t > 20:
                flags.append(
                    {
                        "code": "drop",
                        "message": f"前年度から{prev[e] - t:g}点低下しました",
                        "drop": prev[e] - t,
                    }
                )
            entity[(fid, e)] = (
                t,
                rate(t),
                national[e],
                len(totals),
                pref_ranks[e[:2]][e],
                len(by_pref[e[:2]]),
                prev.get(e),
                cat_pts[e],
                flags,
            )
        fi: dict[str, int] = {}
        for code, n, _y, _g in sorted(
            (r for r in inputs if r[2] <= fy), key=lambda r: (r[2], r[3] == grant)
        ):
            fi[code] = n

        def group_of(set_name: str, e: str, fi: dict[str, int] = fi) -> str:
            if set_name == "prefecture":
                return e[:2]
            if set_name == "size_band":
                n = fi.get(e)
                if n is None:
                    return "(第1号被保険者数 未登録)"
                for limit, label in (
                    (3_000, "3,000人未満"),
                    (10_000, "3,000〜10,000人"),
                    (50_000, "10,000〜50,000人"),
                    (100_000, "50,000〜100,000人"),
                ):
                    if n < limit:
                        return label
                return "100,000人以上"
            if set_name in ("region_class", "peer_type"):
                m = reg.get(e)
                return (getattr(m, set_name) if m else None) or "(未設定)"
            return sets[set_name].get(e, "(未所属)")

        blocks: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for e in totals:
            blocks[("", "", "")].append(e)
            blocks[(e[:2], "", "")].append(e)
        for s in ("region_class", "peer_type", "size_band", "prefecture", *sets):
            groups: dict[str, dict[str, float]] = defaultdict(dict)
            for e, t in totals.items():
                g = group_of(s, e)
                groups[g][e] = t
                if s != "prefecture":  # its groups are the prefecture blocks
                    blocks[("", s, g)].append(e)
                    blocks[(e[:2], s, g)].append(e)
            for g, d in groups.items():
                ranks = _ranks(d)
                for e in d:
                    member[(fid, s, e)] = (g, ranks[e], len(d))
        for (p, s, g), codes in blocks.items():
            n = len(codes)
            mean = sum(totals[e] for e in codes) / n
            average[(fid, p, s, g)] = (
                n,
                mean,
                rate(mean),
                [
                    {
                        "code": c[2],
                        "mean_points": (m := sum(cat_pts[e].get(c[2], 0.0) for e in codes) / n),
                        "mean_score_rate": m / c[4] if c[4] else 0.0,
                    }
                    for c in fcats
                ],
                {
                    "code": [it[3] for it in fitems],
                    "mean_points": [
                        sum(cells[e].get(it[0], 0.0) for e in codes) / n for it in fitems
                    ],
                    "full_share": [
                        sum(1 for e in codes if it[5] > 0 and cells[e].get(it[0], 0.0) >= it[5]) / n
                        for it in fitems
                    ],
                },
                {
                    it[3]: k
                    for it in fitems
                    if (
                        k := sum(
                            1 for e in codes if it[5] > 0 and cells[e].get(it[0], 0.0) >= it[5]
                        )
                    )
                },
            )
    return {"entity": _r(entity), "member": _r(member), "average": _r(average)}


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


async def stored(engine: Any) -> dict[str, dict[Any, Any]]:
    entity = {
        (f, e): (t, r, nr, nn, pr, pn, pt, _json(cp), _json(fl))
        for f, e, t, r, nr, nn, pr, pn, pt, cp, fl in await _rows(
            engine,
            "SELECT framework_id, entity_code, total, score_rate, national_rank, "
            "national_rank_of, prefecture_rank, prefecture_rank_of, previous_total, "
            "category_points, flags FROM result_entity",
        )
    }
    member = {
        (f, s, e): (g, r, n)
        for f, s, e, g, r, n in await _rows(
            engine,
            "SELECT framework_id, group_set, entity_code, group_name, rank, rank_of "
            "FROM result_member",
        )
    }
    average = {
        (f, p, s, g): (n, mt, mr, _json(c), _json(i), _json(fc))
        for f, p, s, g, n, mt, mr, c, i, fc in await _rows(
            engine,
            "SELECT framework_id, prefecture, group_set, group_name, count, mean_total, "
            "mean_score_rate, categories, items, full_counts FROM result_average",
        )
    }
    return {"entity": _r(entity), "member": _r(member), "average": _r(average)}


# --- the writes -----------------------------------------------------------------------------

BOUNDS = {"a": (0, 10), "b1": (0, 10), "b2": (0, 6), "c": (0, 10), "d": (-5, 0)}


async def _apply(c: Any, op: tuple[Any, ...], state: dict[str, Any]) -> str:
    kind = op[0]
    if kind in ("put", "import"):
        fid = state["fws"][op[1]]
        bounds = state["bounds"][fid]
        cells = {}
        for ei, ii, p in op[2]:
            item = ITEMS[ii]
            if item in bounds:
                cells[(CODES[ei], item)] = _clamp(item, p, bounds)
        if not cells:
            return f"{kind} nothing"
        if kind == "put":
            r = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={
                    "scores": [
                        {"entity_code": e, "item_code": i, "points": p}
                        for (e, i), p in cells.items()
                    ]
                },
            )
        else:
            body = "団体コード,指標コード,得点\r\n" + "".join(
                f"{e},{i},{p!r}\r\n" for (e, i), p in cells.items()
            )
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("scores.csv", body.encode("utf-8-sig"), "text/csv")},
            )
        assert r.status_code == 200, r.text
        return f"{kind} fw{fid} {cells}"
    if kind == "peers":
        members = {code: f"G{g}" for code, g in zip(CODES, op[1], strict=True) if g}
        if state["peer"] is None:
            r = await c.post("/api/v1/peer-sets", json={"name": "支援対象", "members": members})
            assert r.status_code == 201, r.text
        else:
            r = await c.put(
                f"/api/v1/peer-sets/{state['peer']['id']}",
                json={"name": "支援対象", "members": members, "version": state["peer"]["version"]},
            )
            assert r.status_code == 200, r.text
        state["peer"] = r.json()
        return f"peers {members}"
    if kind == "tree":
        fid = state["fws"][op[1]]
        detail = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        cats = detail["categories"]
        if op[2] == 0:  # drop item b2 (and its scores)
            cats[0]["items"] = [i for i in cats[0]["items"] if i["code"] != "b2"]
        elif op[2] == 1:  # add item b2 back, or an extra item e to B
            if not any(i["code"] == "b2" for i in cats[0]["items"]):
                cats[0]["items"].append(
                    {"code": "b2", "text": "指標b イ", "max_points": 6, "alternatives": "b"}
                )
            elif not any(i["code"] == "e" for i in cats[1]["items"]):
                cats[1]["items"].append({"code": "e", "text": "指標e", "max_points": 4})
        else:  # move item c into category A
            moved = [i for i in cats[1]["items"] if i["code"] == "c"]
            cats[1]["items"] = [i for i in cats[1]["items"] if i["code"] != "c"]
            cats[0]["items"] += moved
        for cat in cats:
            cat.pop("max_points", None)
        r = await c.put(
            f"/api/v1/frameworks/{fid}/tree",
            json={"version": detail["version"], "categories": cats, "drop_scored": True},
        )
        assert r.status_code == 200, r.text
        tree = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        state["bounds"][fid] = {
            i["code"]: (i["min_points"], i["max_points"])
            for cat in tree["categories"]
            for i in cat["items"]
        }
        return f"tree fw{fid} variant {op[2]}"
    if kind == "inputs":
        r = await c.put(
            "/api/v1/allocation/suishin/2021/inputs",
            json={"rows": [{"entity_code": CODES[op[1]], "first_insured": op[2], "requested": 0}]},
        )
        assert r.status_code == 200, r.text
        return f"inputs {CODES[op[1]]} {op[2]}"
    if kind == "rule":
        fy = (2020, 2021)[op[1]]
        rules = (await c.get("/api/v1/deduction-rules")).json()
        version = next((x["version"] for x in rules if x["grant_fy"] == fy), None)
        r = await c.put(
            f"/api/v1/deduction-rules/suishin/{fy}",
            json={
                "item_code": "d",
                "threshold": op[2],
                "points": -int(op[2] * 20),
                "wording": "テストの規則",
                "source": {"document": "テスト資料"},
                "version": version,  # null creates the year's rule
            },
        )
        assert r.status_code == 200, r.text
        return f"rule {fy} {op[2]}"
    raise AssertionError(op)


async def check(harness: Any, c: Any, state: dict[str, Any], what: str) -> None:
    engine = harness.db.engine
    got, want = await stored(engine), await from_scratch(engine)
    for key in ("entity", "member", "average"):
        assert got[key] == want[key], f"{key} after: {what}"
    # and the results endpoint answers the stored totals and ranks
    for fid in state["fws"]:
        res = (await c.get(f"/api/v1/frameworks/{fid}/results")).json()
        for e in res["entities"]:
            t, _r, nr, *_ = want["entity"][(fid, e["entity_code"])]
            assert (round(e["total"], 6), e["national_rank"]) == (t, nr), what
        # the prefecture set's groups are the prefecture blocks
        avg = (await c.get(f"/api/v1/frameworks/{fid}/averages?group_set=prefecture")).json()
        assert {g["group"]: g["count"] for g in avg["groups"]} == {
            p: v[0] for (f, p, s, _g), v in want["average"].items() if f == fid and p and not s
        }, what


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
# Ties, a peer set edited after scores exist, a tree edit that drops scored cells, a size band
# that moves, and the previous year's drop flag.
@example(
    sequence=[
        ("put", 0, [(0, 0, 10.0), (1, 0, 10.0), (2, 3, 10.0), (6, 1, 10.0)]),
        ("put", 1, [(0, 0, 0.0), (1, 0, 10.0), (3, 2, 6.0)]),
        ("peers", [1, 1, 2, 0, 2, 1, 0]),
        ("tree", 0, 0),
        ("inputs", 0, 200_000),
        ("peers", [2, 0, 2, 1, 1, 0, 1]),
        ("rule", 0, 0.3),
        ("put", 0, [(5, 0, 0.0)]),
        ("rule", 0, 0.1),
    ]
)
async def test_every_read_model_equals_a_computation_from_scratch(indicators, sequence) -> None:
    await indicators.reset()
    async with indicators.client() as c:
        fws = [await make_framework(c, 2020), await make_framework(c, 2021)]
        state: dict[str, Any] = {
            "fws": fws,
            "peer": None,
            "bounds": {f: dict(BOUNDS) for f in fws},
        }
        await check(indicators, c, state, "setup")
        done: list[str] = []
        for op in sequence:
            done.append(await _apply(c, op, state))
            await check(indicators, c, state, " / ".join(done))
