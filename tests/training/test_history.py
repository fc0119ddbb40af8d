"""History from before the product (過去の実績): import (JSON, CSV UTF-8/cp932, XLSX),
all-or-nothing with every bad row named, and the figures beside the per-person records in
targets, coverage and stats, each part shown apart. Seed 003's real figures: 地域ケア会議
司会者・助言者養成 completers 352, 428, 419 in FY2018–2020 against 1,350 over the three years."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from services.training import demo
from tests.training.factories import CHIYODA, CHUO, MINATO, program, register, session

KIND = "地域ケア会議 司会者・助言者養成"
SEED = demo.SEED_003_SOURCE


def _csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


SEED_CSV = [
    "研修の種類,年度,区市町村コード,受講者数,修了者数,開催回数,出典,備考",
    f"{KIND},平成30年度,,,352,,{SEED},募集規模360人",
    f"{KIND},令和元年度,,,428,,{SEED},募集規模450人",
    f"{KIND},R2,,,419,,{SEED},募集規模540人",
]


async def _target_1350(c) -> dict:
    r = await c.post(
        "/api/v1/targets",
        json={
            "name": "地域ケア会議 司会者・助言者 修了者 3か年で1,350人",
            "kind": KIND,
            "metric": "completers",
            "fy_from": 2018,
            "fy_to": 2020,
            "value": 1350,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


class TestSeedFigures:
    async def test_seed_003_completers_count_toward_the_1350_target_with_their_source(
        self, training
    ):
        async with training.client() as c:
            target = await _target_1350(c)
            assert target["actual"] == 0
            r = await c.post(
                "/api/v1/history/import",
                files={"file": ("history.csv", _csv(SEED_CSV), "text/csv")},
            )
            assert r.status_code == 200, r.text
            assert (r.json()["created"], r.json()["replaced"]) == (3, 0)
            t = (await c.get(f"/api/v1/targets/{target['id']}")).json()
            stats = (await c.get("/api/v1/stats", params={"fiscal_year": 2019})).json()
        assert [
            (y["fiscal_year"], y["actual"], y["from_records"], y["from_history"])
            for y in t["by_year"]
        ] == [
            (2018, 352, 0, 352),
            (2019, 428, 0, 428),
            (2020, 419, 0, 419),
        ]
        assert (t["actual"], t["actual_from_history"], t["actual_from_records"]) == (1199, 1199, 0)
        assert (t["remaining"], t["achieved"]) == (151, False)
        assert stats["completers_by_kind"][KIND] == 428
        assert stats["from_history"]["completers_by_kind"][KIND] == 428
        assert stats["from_records"]["completers_by_kind"][KIND] == 0
        assert stats["history_sources"] == [
            {"fiscal_year": 2019, "kind": KIND, "municipality_code": None, "source": SEED}
        ]

    async def test_demo_carries_the_seed_figures_with_their_source(self, training):
        async with training.db.session(write=True) as s:
            await demo.load(s)
            await s.commit()
        async with training.client() as c:
            rows = (await c.get("/api/v1/history", params={"kind": KIND})).json()
            targets = (await c.get("/api/v1/targets", params={"fiscal_year": 2019})).json()
        assert [(h["fiscal_year"], h["completers"], h["source"]) for h in rows] == [
            (2018, 352, SEED),
            (2019, 428, SEED),
            (2020, 419, SEED),
        ]
        seed_target = next(t for t in targets if t["value"] == 1350)
        assert (seed_target["actual"], seed_target["actual_from_history"]) == (1199, 1199)


class TestImport:
    async def test_cp932_and_history_beside_records_of_the_same_year(self, training):
        async with training.client() as c:
            p = await program(c, kind=KIND, name="地域ケア会議", fiscal_year=2025)
            s = await session(c, p["id"], days=[date(2025, 6, 10)], capacity=5)
            reg = (await register(c, s["id"], 1, code=CHIYODA)).json()
            await c.put(
                f"/api/v1/sessions/{s['id']}/attendance",
                json={
                    "entries": [{"registration_id": reg["id"], "day_no": 1, "status": "present"}]
                },
            )
            data = _csv(
                [
                    "種類,年度,区市町村コード,受講者数,修了者数,出典",
                    f"{KIND},2025,{CHUO},12,10,都の集計表 (2025年4月)",
                    f"{KIND},2025,{MINATO},3,0,都の集計表 (2025年4月)",
                ],
                "cp932",
            )
            r = await c.post("/api/v1/history/import", files={"file": ("h.csv", data, "text/csv")})
            assert r.status_code == 200, r.text
            assert any("記録もあります" in w for w in r.json()["warnings"])
            stats = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
            part = (
                await c.get(
                    "/api/v1/participation",
                    params={"fiscal_year": 2025, "municipality_code": CHUO},
                )
            ).json()["municipalities"][0]
        # 1 completer from the records + 10 from the history (the sum of municipality rows)
        assert stats["completers_by_kind"][KIND] == 11
        assert stats["from_records"]["completers_by_kind"][KIND] == 1
        assert stats["from_history"]["completers_by_kind"][KIND] == 10
        assert stats["persons_by_kind"][KIND] == 1 + 15
        # coverage: 千代田 from the records; 中央 and 港 only in the history
        assert stats["municipalities_reached"] == [CHIYODA, CHUO, MINATO]
        assert stats["from_history"]["municipalities_reached"] == [CHUO, MINATO]
        assert (part["completers"], part["reached"]) == (10, True)
        assert part["from_history"] == {"participants": 12, "completers": 10, "sessions": 0}

    async def test_xlsx_with_a_default_source_and_reimport_replaces(self, training):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["研修の種類", "年度", "修了者数", "開催回数"])
        ws.append([KIND, 2019, 428, 4])
        buf = io.BytesIO()
        wb.save(buf)
        async with training.client() as c:
            r = await c.post(
                "/api/v1/history/import",
                files={"file": ("h.xlsx", buf.getvalue(), "application/octet-stream")},
                data={"source": "都の研修実績表 (2020年3月)"},
            )
            assert r.status_code == 200, r.text
            r2 = await c.post(
                "/api/v1/history",
                json={
                    "rows": [
                        {"kind": KIND, "fiscal_year": 2019, "completers": 430, "source": "訂正版"}
                    ]
                },
            )
            assert r2.status_code == 201, r2.text
            rows = (await c.get("/api/v1/history")).json()
            stats = (await c.get("/api/v1/stats", params={"fiscal_year": 2019})).json()
        assert (r2.json()["created"], r2.json()["replaced"]) == (0, 1)
        assert [(h["completers"], h["sessions"], h["source"]) for h in rows] == [
            (430, None, "訂正版")
        ]
        assert stats["sessions_held_by_kind"][KIND] == 0

    async def test_every_bad_row_named_and_nothing_written(self, training):
        async with training.client() as c:
            data = _csv(
                [
                    "研修の種類,年度,区市町村コード,受講者数,修了者数,出典",
                    f"{KIND},2019,,,428,seed",
                    "地域ケア会議推進事業,2019,,,10,seed",
                    f"{KIND},令和百年度,,,10,seed",
                    f"{KIND},2020,131017,,10,seed",
                    f"{KIND},2020,,5,10,seed",
                    f"{KIND},2020,,,十,seed",
                    f"{KIND},2021,,,,seed",
                    f"{KIND},2019,,,1,",
                ]
            )
            r = await c.post("/api/v1/history/import", files={"file": ("h.csv", data, "text/csv")})
            after = (await c.get("/api/v1/history")).json()
        assert r.status_code == 422
        body = r.json()
        lines = sorted({e["loc"][1] for e in body["errors"]}, key=lambda s: int(s.split()[-1]))
        assert lines == [f"line {n}" for n in range(3, 10)]
        msgs = {e["loc"][1]: e["msg"] for e in body["errors"]}
        assert "地域ケア会議推進事業" in msgs["line 3"]
        assert "年度" in msgs["line 4"]
        assert "131017" in msgs["line 5"]
        assert "超えています" in msgs["line 6"]
        assert "十" in msgs["line 7"]
        assert "どれか" in msgs["line 8"]
        assert "出典" in msgs["line 9"]
        assert after == []

    async def test_the_same_row_twice_in_one_request_is_refused(self, training):
        row = {"kind": KIND, "fiscal_year": 2019, "completers": 1, "source": "s"}
        async with training.client() as c:
            r = await c.post("/api/v1/history", json={"rows": [row, row]})
            after = (await c.get("/api/v1/history")).json()
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "rows", 1]
        assert after == []

    async def test_delete_with_version_and_staff_only(self, training):
        async with training.client() as c:
            row = (
                await c.post(
                    "/api/v1/history",
                    json={
                        "rows": [
                            {"kind": KIND, "fiscal_year": 2019, "completers": 1, "source": "s"}
                        ]
                    },
                )
            ).json()["rows"][0]
            stale = await c.delete(f"/api/v1/history/{row['id']}", params={"version": 99})
            assert stale.status_code == 409
            assert len((await c.get("/api/v1/history")).json()) == 1
        async with training.client("viewer") as v:
            assert (
                await v.delete(f"/api/v1/history/{row['id']}", params={"version": 1})
            ).status_code == 403
        async with training.client() as c:
            ok = await c.delete(f"/api/v1/history/{row['id']}", params={"version": row["version"]})
            assert ok.status_code == 204
            assert (await c.get("/api/v1/history")).json() == []


class TestCoverageTarget:
    async def test_municipalities_reached_from_history_are_named_apart(self, training):
        async with training.client() as c:
            await c.post(
                "/api/v1/history",
                json={
                    "rows": [
                        {
                            "kind": KIND,
                            "fiscal_year": 2019,
                            "municipality_code": CHIYODA,
                            "participants": 4,
                            "source": "s",
                        },
                        {
                            "kind": KIND,
                            "fiscal_year": 2019,
                            "municipality_code": CHUO,
                            "completers": 0,
                            "participants": 0,
                            "source": "s",
                        },
                    ]
                },
            )
            t = (
                await c.post(
                    "/api/v1/targets",
                    json={
                        "name": "全62",
                        "metric": "municipalities_reached",
                        "fy_from": 2019,
                        "fy_to": 2019,
                    },
                )
            ).json()
        [y] = t["by_year"]
        assert (y["actual"], y["from_records"], y["from_history"]) == (1, 0, 1)
        assert CHIYODA not in y["municipalities_not_reached"]
        assert CHUO in y["municipalities_not_reached"]
        assert y["met"] is False
