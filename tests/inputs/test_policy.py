"""The input policy (services/common/inputs.py): control characters refused with 422 naming
the field, row and column; text otherwise stored exactly as typed; PATCH null refused for
fields a record cannot hold empty; times, months and dates real values."""

from __future__ import annotations

from datetime import date

from services.common.inputs import table_problems, text_problem
from tests.training.factories import PAST_DAY, program, session

TYPED = "髙橋\tｶﾀｶﾅ e\u0301 😀\r\n①"  # half-width katakana, combining mark, emoji, tab, CRLF


class TestTextRule:
    def test_refused_and_allowed_characters(self):
        for ch in ["\x00", "\x03", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"]:
            assert text_problem(f"a{ch}b") is not None, repr(ch)
            assert "2 文字目" in text_problem(f"a{ch}b")
        for ok in ["", "a\tb", "a\nb", "a\r\nb", TYPED, "x" * 10_000]:
            assert text_problem(ok) is None

    def test_table_names_row_and_column_with_header(self):
        rows = [["氏名", "備考"], ["山田", "ok"], ["佐藤", "bad\x0bvalue"]]
        [err] = table_problems(rows)
        assert err["loc"] == ["file", 3, "B"]
        assert "3 行目 B 列（備考）" in err["msg"]


class TestJsonBody:
    async def test_control_character_refused_naming_the_field_nothing_stored(self, training):
        async with training.client() as c:
            r = await c.post(
                "/api/v1/programs",
                json={
                    "name": "研修\x03",
                    "kind": "全体研修・情報交換会",
                    "fiscal_year": 2025,
                    "region": "全域",
                },
            )
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"][0]["loc"] == ["body", "name"]
            assert "U+0003" in r.json()["errors"][0]["msg"]
            assert (await c.get("/api/v1/programs")).json() == []

    async def test_nested_field_named(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            r = await c.post(
                f"/api/v1/sessions/{s['id']}/registrations",
                json={
                    "name": "職員",
                    "municipality_code": "131016",
                    "role": "実務\x1b担当",
                    "email": "a@example.jp",
                },
            )
            assert r.status_code == 422
            assert r.json()["errors"][0]["loc"] == ["body", "role"]
            regs = await c.get(f"/api/v1/sessions/{s['id']}/registrations")
            assert regs.json() == []

    async def test_text_stored_exactly_as_typed(self, training):
        async with training.client() as c:
            p = await program(c, name=TYPED)
            assert p["name"] == TYPED
            again = (await c.get(f"/api/v1/programs/{p['id']}")).json()
            assert again["name"] == TYPED  # no NFKC: ｶﾀｶﾅ stays half-width, ① stays ①

    async def test_query_text_refused(self, training):
        async with training.client() as c:
            r = await c.get("/api/v1/programs", params={"kind": "全体\x00"})
            assert r.status_code == 422
            assert r.json()["errors"][0]["loc"] == ["query", "kind"]


class TestFileImport:
    async def test_attendance_csv_names_row_and_column(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            data = "申込ID,日目,出欠\r\n1,1,出席\x0c\r\n".encode()
            r = await c.post(
                f"/api/v1/sessions/{s['id']}/attendance/import",
                files={"file": ("出欠.csv", data, "text/csv")},
            )
            assert r.status_code == 422, r.text
            err = r.json()["errors"][0]
            assert err["loc"] == ["file", 2, "C"] and "（出欠）" in err["msg"]
            att = (await c.get(f"/api/v1/sessions/{s['id']}/attendance")).json()
            assert att["attendances"] == 0

    async def test_indicators_table_import_names_row_and_column(self, indicators):
        from services.common.errors import Invalid
        from services.indicators.tabular import read_table

        try:
            read_table("x.csv", "団体コード,名称\r\n131016,千代田\x07区\r\n".encode())
        except Invalid as exc:
            assert exc.errors[0]["loc"] == ["file", 2, "B"]
        else:
            raise AssertionError("a control character in a cell must be refused")


class TestPatchSemantics:
    async def test_null_for_a_field_that_cannot_be_empty_refused_omitted_unchanged(self, training):
        async with training.client() as c:
            t = await c.post(
                "/api/v1/targets",
                json={
                    "name": "修了者",
                    "metric": "completers",
                    "fy_from": 2024,
                    "fy_to": 2026,
                    "value": 10,
                },
            )
            assert t.status_code == 201, t.text
            tid = t.json()["id"]
            r = await c.patch(f"/api/v1/targets/{tid}", json={"version": 1, "fy_to": None})
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["loc"] == ["body", "fy_to"]
            after = (await c.get(f"/api/v1/targets/{tid}")).json()
            assert (after["fy_from"], after["fy_to"], after["value"]) == (2024, 2026, 10)
            r = await c.patch(f"/api/v1/targets/{tid}", json={"version": 1, "value": 12})
            assert r.status_code == 200, r.text
            after = (await c.get(f"/api/v1/targets/{tid}")).json()
            assert (after["fy_from"], after["fy_to"], after["value"]) == (2024, 2026, 12)

    async def test_visit_list_field_null_refused(self, support_cases):
        from tests.support_cases.factories import add_visit, make_advisor, make_case, make_round

        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, advisor_ids=[adv["id"]])
            v = await add_visit(c, case["id"], adv["id"])
            r = await c.patch(
                f"/api/v1/cases/{case['id']}/visits/{v['id']}",
                json={"version": v["version"], "issues_found": None},
            )
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["loc"] == ["body", "issues_found"]
            again = await c.get(f"/api/v1/cases/{case['id']}/visits")
            assert again.status_code == 200
            assert [x["issues_found"] for x in again.json()] == [["男性の参加が少ない"]]


class TestRealValues:
    async def test_session_day_end_zero_and_aware_times_refused(self, training):
        async with training.client() as c:
            p = await program(c)
            for end in (0, "00:00", "12:00+09:00", "25:00"):
                r = await c.post(
                    "/api/v1/sessions",
                    json={
                        "program_id": p["id"],
                        "days": [{"date": PAST_DAY.isoformat(), "start": "13:30", "end": end}],
                        "format": "会場",
                        "capacity": 5,
                    },
                )
                assert r.status_code == 422, (end, r.text)
            assert (await c.get("/api/v1/sessions")).json() == []

    async def test_day_out_of_range_refused(self, training):
        async with training.client() as c:
            p = await program(c)
            r = await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": p["id"],
                    "days": [{"date": date(1, 1, 1).isoformat(), "start": "13:30", "end": "15:00"}],
                    "format": "会場",
                    "capacity": 5,
                },
            )
            assert r.status_code == 422

    async def test_month_zero_year_refused(self, support_cases):
        from tests.support_cases.factories import (
            add_initiative,
            add_item,
            add_node,
            make_advisor,
            make_case,
            make_round,
        )

        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, advisor_ids=[adv["id"]])
            node = await add_node(c, case["id"], "問題")
            ini = await add_initiative(c, case["id"], node["id"])
            item = await add_item(c, case["id"], ini["id"])
            r = await c.patch(
                f"/api/v1/cases/{case['id']}/roadmap/{item['id']}",
                json={"version": item["version"], "start_month": "0000-01"},
            )
            assert r.status_code == 422, r.text
            items = (await c.get(f"/api/v1/cases/{case['id']}/roadmap")).json()
            assert items[0]["start_month"] == "2025-10"


class TestConformance:
    async def test_405_names_every_method_of_the_path(self, training):
        async with training.client() as c:
            r = await c.put("/api/v1/targets/1", json={})
            assert r.status_code == 405
            assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH"}
            allowed = set(r.headers["allow"].split(", "))
            for method in allowed - {"HEAD"}:
                other = await c.request(method, "/api/v1/targets/1", json={"version": 1})
                assert other.status_code != 405, method

    async def test_openapi_documents_problem_answers(self, training):
        async with training.client() as c:
            doc = (await c.get("/openapi.json")).json()
        assert "Problem" in doc["components"]["schemas"]
        assert "HTTPValidationError" not in doc["components"]["schemas"]
        for path, item in doc["paths"].items():
            if not path.startswith("/api/"):
                continue
            for method, op in item.items():
                codes = set(op["responses"])
                assert {"401", "403", "404", "422", "503"} <= codes, (method, path)
                if method != "get":
                    assert "409" in codes, (method, path)
                problem = op["responses"]["422"]["content"]["application/problem+json"]
                assert problem["schema"]["$ref"] == "#/components/schemas/Problem"


class TestMalformedFiles:
    async def test_bare_carriage_returns_in_a_csv_are_not_a_500(self, indicators):
        async with indicators.client("admin") as c:
            r = await c.post(
                "/api/v1/centres/import",
                files={"file": ("file", b"\rS\r\n", "text/csv")},
            )
            assert r.status_code == 422, r.text
