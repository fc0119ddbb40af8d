"""Insurers: either code form everywhere, the loaded list (広域連合) wins over the derivation."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.indicators.factories import CHIYODA, CHUO, make_framework

# A union made up for the tests (the number is free: no municipality has 01901).
UNION = "019018"
MEMBERS = {"012165": "芦別市", "012181": "赤平市", "012271": "歌志内市"}
LIST_CSV = (
    "保険者番号,保険者名,構成市町村\n"
    f'{UNION},テスト介護広域連合,"芦別市、赤平市、012278"\n'  # a member by insurer number
)


async def load_list(c, body: str = LIST_CSV, *, encoding: str = "cp932", **params):
    return await c.post(
        "/api/v1/insurers/import",
        files={"file": ("insurers.csv", body.encode(encoding))},
        params=params,
    )


class TestScoresAcceptEitherForm:
    async def test_mixed_forms_are_stored_as_the_municipality(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={
                    "scores": [
                        {"entity_code": "131011", "item_code": "a", "points": 10},  # insurer no.
                        {"entity_code": CHUO, "item_code": "a", "points": 5},  # municipality
                        {"entity_code": "75226", "item_code": "a", "points": 3},  # zero dropped
                    ]
                },
            )
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert r.status_code == 200, r.text
        assert sorted((x["entity_code"], x["points"]) for x in cells) == [
            ("075221", 3.0),
            (CHIYODA, 10.0),
            (CHUO, 5.0),
        ]

    async def test_a_bad_code_names_the_row_and_both_check_digits(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={
                    "scores": [
                        {"entity_code": "131011", "item_code": "a", "points": 10},
                        {"entity_code": "131012", "item_code": "a", "points": 10},
                    ]
                },
            )
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert r.status_code == 422
        (err,) = r.json()["errors"]
        assert err["loc"] == ["scores", 1, "entity_code"]
        assert "地方公共団体コードなら 131016、保険者番号なら 131011" in err["msg"]
        assert cells == []

    async def test_wide_file_keyed_by_insurer_numbers(self, indicators):
        body = "保険者番号,名称,a,c\n131011,千代田区,10,5\n131024,中央区,4,\n"
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("s.csv", body.encode("cp932"))},
            )
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert r.json() == {"written": 3}
        assert {(x["entity_code"], x["item_code"]) for x in cells} == {
            (CHIYODA, "a"),
            (CHIYODA, "c"),
            (CHUO, "a"),
        }

    async def test_allocation_inputs_accept_an_insurer_number(self, indicators):
        async with indicators.client() as c:
            r = await c.put(
                "/api/v1/allocation/suishin/2020/inputs",
                json={"rows": [{"entity_code": "131011", "first_insured": 5, "requested": 9}]},
            )
            rows = (await c.get("/api/v1/allocation/suishin/2020/inputs")).json()
        assert r.json() == {"written": 1}
        assert [x["entity_code"] for x in rows] == [CHIYODA]


class TestInsurerList:
    async def test_without_a_list_every_municipality_is_its_own_insurer(self, indicators):
        async with indicators.client("viewer") as c:
            body = (await c.get("/api/v1/insurers")).json()
            one = (await c.get("/api/v1/insurers/131011")).json()
        assert body["summary"]["insurers"] == 1741
        assert body["summary"]["unions"] == 0
        assert "1,571" in body["summary"]["note"]
        assert one["entity_code"] == CHIYODA and one["insurer_number"] == "131011"
        assert one["given_form"] == "insurer" and one["kind"] == "municipality"

    async def test_union_from_a_cp932_csv(self, indicators):
        async with indicators.client() as c:
            r = await load_list(c)
            body = (await c.get("/api/v1/insurers", params={"prefecture": "01"})).json()
        assert r.status_code == 200, r.text
        assert r.json()["unions"] == 1 and r.json()["written"] == 1
        assert body["summary"]["insurers"] == 1741 - 3 + 1
        union = next(i for i in body["insurers"] if i["insurer_number"] == UNION)
        assert union["kind"] == "union" and union["name"] == "北海道テスト介護広域連合"
        assert [m["code"] for m in union["members"]] == sorted(MEMBERS)
        assert all(i["entity_code"] not in MEMBERS for i in body["insurers"] if i is not union)

    async def test_union_scores_under_its_number_and_members_are_refused(self, indicators):
        async with indicators.client() as c:
            await load_list(c)
            fid = await make_framework(c)
            ok = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={"scores": [{"entity_code": UNION, "item_code": "a", "points": 7}]},
            )
            bad = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={
                    "scores": [
                        {"entity_code": "012165", "item_code": "a", "points": 7},  # member code
                        {"entity_code": "012161", "item_code": "a", "points": 7},  # its ins. no.
                    ]
                },
            )
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert ok.status_code == 200, ok.text
        assert [(x["entity_code"], x["points"]) for x in cells] == [(UNION, 7.0)]
        assert bad.status_code == 422
        msgs = [e["msg"] for e in bad.json()["errors"]]
        assert len(msgs) == 2 and all(f"保険者番号 {UNION} で指定してください" in m for m in msgs)

    async def test_the_list_wins_over_the_derivation(self, indicators):
        # Chiyoda listed under another (made-up) number: the derived 131011 no longer names it.
        other = "13901" + "0"
        from services.common.registry import insurer_check_digit

        other = "13901" + str(insurer_check_digit("13901"))
        async with indicators.client() as c:
            r = await load_list(c, f"保険者番号,保険者名,構成市町村\n{other},千代田区,131016\n")
            fid = await make_framework(c)
            bad = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={"scores": [{"entity_code": "131011", "item_code": "a", "points": 1}]},
            )
            good = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={"scores": [{"entity_code": other, "item_code": "a", "points": 1}]},
            )
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert r.status_code == 200, r.text
        assert bad.status_code == 422 and other in bad.json()["errors"][0]["msg"]
        assert good.status_code == 200 and [x["entity_code"] for x in cells] == [CHIYODA]

    async def test_bad_rows_are_all_named_and_nothing_is_replaced(self, indicators):
        body = (
            "保険者番号,保険者名,構成市町村\n"
            "019017,誤り広域連合,芦別市\n"  # wrong check digit (8)
            '019026,重複広域連合,"赤平市、存在しない町"\n'  # unknown member
            f'{UNION},テスト介護広域連合,"芦別市、赤平市"\n'  # 赤平市 already in line 3
            '012203,士別市ではない組合,"歌志内市、奈井江町"\n'  # 士別市's municipality code
        )
        async with indicators.client() as c:
            await load_list(c)
            r = await load_list(c, body)
            preview = await load_list(c, body, dry_run="true")
            after = (await c.get("/api/v1/insurers", params={"prefecture": "01"})).json()
        assert r.status_code == 422
        by_line = {e["loc"][1]: e["msg"] for e in r.json()["errors"]}
        assert "正しくは 019018" in by_line[2]
        assert "存在しない町" in by_line[3]
        assert "1つの保険者" in by_line[4]
        assert "北海道士別市 の地方公共団体コードと同じ" in by_line[5]
        assert preview.status_code == 200 and len(preview.json()["problems"]) == 4
        assert preview.json()["written"] == 0
        # the earlier list is still there
        assert after["summary"]["unions"] == 1

    async def test_xlsx_one_row_per_member(self, indicators):
        wb = Workbook()
        ws = wb.active
        ws.append(["保険者番号", "保険者名", "構成市町村コード"])
        for code in MEMBERS:
            ws.append([UNION, "テスト介護広域連合", code])
        buf = io.BytesIO()
        wb.save(buf)
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/insurers/import", files={"file": ("list.xlsx", buf.getvalue())}
            )
            one = (await c.get("/api/v1/insurers/012161")).json()
        assert r.status_code == 200, r.text
        assert r.json()["municipalities_in_unions"] == 3
        assert one["entity_code"] == UNION and one["given_form"] == "member"

    async def test_only_staff_load_the_list(self, indicators):
        async with indicators.client("viewer") as c:
            r = await load_list(c)
        assert r.status_code == 403
