"""Frameworks of the years in use: sources and states, skeletons, item-table import, copying,
editing, the FY2024+ goal structure, published results import, the prefecture's deduction."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook

from tests.indicators.factories import CHIYODA, CHUO, make_framework, put_scores, tiny_framework

SRC = {"document": "試験用資料", "date": "2026-04-01", "page": "12"}


async def shipped_ids(c) -> dict[str, int]:
    r = await c.post("/api/v1/frameworks/shipped")
    assert r.status_code == 200, r.text
    return {f["code"]: f["id"] for f in (await c.get("/api/v1/frameworks")).json()}


def flatten(cats, out=None):
    out = {} if out is None else out
    for c in cats:
        out[c["code"]] = c
        flatten(c["categories"], out)
    return out


class TestShippedYears:
    async def test_fy2023_skeletons_carry_the_published_maxima_and_averages(self, indicators):
        async with indicators.client() as c:
            ids = await shipped_ids(c)
            s = (await c.get(f"/api/v1/frameworks/{ids['suishin-municipality-2023']}")).json()
            d = (await c.get(f"/api/v1/frameworks/{ids['doryoku-municipality-2023']}")).json()
        assert (s["max_points"], s["national_average"]) == (1355, 742.94)
        assert [(k["code"], k["max_points"], k["national_average"]) for k in s["categories"]] == [
            ("Ⅰ", 135, 84.18),
            ("Ⅱ", 1020, 557.58),
            ("Ⅲ", 200, 101.18),
        ]
        assert (d["max_points"], d["national_average"]) == (830, 412.92)
        assert [(k["max_points"], k["national_average"]) for k in d["categories"]] == [
            (35, 19.93),
            (755, 376.28),
            (40, 16.71),
        ]
        for fw in (s, d):
            assert fw["state"] == "provisional" and fw["state_label"] == "暫定"
            assert fw["items_pending"] and not fw["provisional_points"]
            assert fw["source"]["document"] and "未確認" in fw["source"]["document"]
            # no invented item: each category holds only its 「区分の得点」 stand-in
            for cat in fw["categories"]:
                (only,) = cat["items"]
                assert only["kind"] == "category_total" and only["max_points"] == cat["max_points"]

    async def test_fy2019_municipal_points_are_marked_provisional(self, indicators):
        async with indicators.client() as c:
            ids = await shipped_ids(c)
            m = (await c.get(f"/api/v1/frameworks/{ids['suishin-municipality-2019']}")).json()
            p = (await c.get(f"/api/v1/frameworks/{ids['suishin-prefecture-2019']}")).json()
        assert m["state"] == "provisional" and m["provisional_points"]
        assert "実在せず" in m["state_note"]
        items = [i for k in flatten(m["categories"]).values() for i in k["items"]]
        assert items and all(i["provisional"] for i in items)
        assert m["national_average"] == 428.6
        assert [k["national_average"] for k in m["categories"]] == [54.5, 339.4, 34.7]
        assert p["state"] == "confirmed" and not p["provisional_points"]
        assert p["national_average"] == 584.3 and p["source"]["date"] == "2019-09-27"
        cats = flatten(p["categories"])
        assert cats["Ⅰ"]["national_average"] == 99.3
        assert cats["Ⅰ"]["items"][0]["national_average"] == 32.7


ITEMS_CSV = (
    "分野,番号,指標の内容,配点,平均点,達成率\n"
    "Ⅰ,Ⅰ-1,計画の進捗を管理しているか,35,30.1,85%\n"
    "Ⅰ,Ⅰ-2,見える化システムで地域分析をしているか,100,54.08,0.6\n"
)
MAPPING = {
    "category": "分野",
    "code": "番号",
    "text": "指標の内容",
    "max_points": "配点",
    "national_average": "平均点",
    "national_rate": "達成率",
}


async def import_items(c, fid, body: str, mapping=MAPPING, **params):
    return await c.post(
        f"/api/v1/frameworks/{fid}/items/import",
        files={"file": ("items.csv", body.encode("cp932"))},
        data={"mapping": json.dumps(mapping, ensure_ascii=False)},
        params=params,
    )


class TestItemImport:
    async def test_preview_lists_every_problem_and_commit_writes_nothing(self, indicators):
        bad = (
            "分野,番号,指標の内容,配点,平均点,達成率\n"
            "Ⅰ,Ⅰ-1,計画の進捗を管理しているか,三十五,,\n"  # points not a number
            "Ⅸ,Ⅰ-2,存在しない区分,10,,\n"  # unknown category
            "Ⅰ,Ⅰ-3,重複,10,,\n"
            "Ⅰ,Ⅰ-3,重複,10,,140%\n"  # duplicate code, rate over 100%
        )
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-municipality-2023"]
            before = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            preview = await import_items(c, fid, bad, dry_run="true")
            r = await import_items(c, fid, bad)
            after = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        assert preview.status_code == 200
        probs = preview.json()["problems"]
        by_line = {(e["loc"][1], e["loc"][3]) for e in probs if e["loc"][0] == "line"}
        assert {(2, "配点"), (3, "分野"), (5, "番号"), (5, "達成率")} <= by_line
        # and the category's published maximum no longer holds (10 ≠ 135)
        assert any("区分 Ⅰ の満点 135 が指標の合計 10" in e["msg"] for e in probs)
        assert r.status_code == 422 and len(r.json()["errors"]) == len(probs)
        assert after == before

    async def test_import_fills_a_category_of_the_skeleton(self, indicators):
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-municipality-2023"]
            preview = (await import_items(c, fid, ITEMS_CSV, dry_run="true")).json()
            r = await import_items(c, fid, ITEMS_CSV)
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        assert preview["problems"] == []
        assert preview["changes"]["added"] == ["Ⅰ-1", "Ⅰ-2"]
        assert preview["changes"]["removed"] == ["Ⅰ-区分計"]
        assert r.status_code == 200, r.text
        cats = flatten(fw["categories"])
        assert [(i["code"], i["max_points"], i["national_rate"]) for i in cats["Ⅰ"]["items"]] == [
            ("Ⅰ-1", 35, 0.85),
            ("Ⅰ-2", 100, 0.6),
        ]
        assert cats["Ⅱ"]["items"][0]["kind"] == "category_total"  # not imported yet
        assert fw["max_points"] == 1355 and fw["items_pending"]

    async def test_scored_stand_in_is_kept_unless_asked(self, indicators):
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-municipality-2023"]
            await put_scores(c, fid, {CHIYODA: {"Ⅰ-区分計": 100}})
            r = await import_items(c, fid, ITEMS_CSV)
            kept = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
            ok = await import_items(c, fid, ITEMS_CSV, drop_scored="true")
            gone = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert r.status_code == 409 and "Ⅰ-区分計 1件" in r.json()["detail"]
        assert [x["item_code"] for x in kept] == ["Ⅰ-区分計"]
        assert ok.status_code == 200 and gone == []

    async def test_xlsx_with_guessed_mapping(self, indicators):
        wb = Workbook()
        ws = wb.active
        ws.append(["区分コード", "指標コード", "評価指標", "満点"])
        ws.append(["Ⅲ", "Ⅲ-1", "ケアプラン点検", 120])
        ws.append(["Ⅲ", "Ⅲ-2", "住宅改修の点検", 80])
        buf = io.BytesIO()
        wb.save(buf)
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["doryoku-municipality-2023"]
            r = await c.post(
                f"/api/v1/frameworks/{fid}/items/import",
                files={"file": ("items.xlsx", buf.getvalue())},
                params={"dry_run": "true"},
            )
        body = r.json()
        assert body["mapping_origin"] == "guessed"
        assert body["mapping"]["code"] == "指標コード"
        # 200 ≠ the published 40 of 努力支援 Ⅲ: a problem, not a silent change
        assert any("区分 Ⅲ の満点 40 が指標の合計 200" in e["msg"] for e in body["problems"])


class TestAuthoring:
    async def test_copy_to_the_next_year_is_provisional_without_the_old_averages(self, indicators):
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-prefecture-2019"]
            r = await c.post(
                f"/api/v1/frameworks/{fid}/copy", json={"grant_fy": 2026, "source": SRC}
            )
            again = await c.post(f"/api/v1/frameworks/{fid}/copy", json={"grant_fy": 2026})
        body = r.json()
        assert r.status_code == 201, r.text
        assert (body["code"], body["grant_fy"], body["evaluation_fy"]) == (
            "suishin-prefecture-2026",
            2026,
            2025,
        )
        assert body["name"].startswith("2026年度")
        assert body["state"] == "provisional" and "2019年度の体系" in body["state_note"]
        assert body["max_points"] == 741 and body["national_average"] is None
        assert body["source"]["document"] == "試験用資料"
        cats = flatten(body["categories"])
        assert cats["Ⅰ"]["national_average"] is None
        assert cats["Ⅰ"]["items"][0]["national_average"] is None
        assert again.status_code == 409

    async def test_patch_confirms_with_the_current_version_only(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            stale = await c.patch(
                f"/api/v1/frameworks/{fid}", json={"version": 7, "state": "confirmed"}
            )
            same = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            ok = await c.patch(
                f"/api/v1/frameworks/{fid}",
                json={"version": same["version"], "state": "confirmed", "source": SRC},
            )
        assert stale.status_code == 409 and same["state"] == "provisional"
        assert ok.json()["state_label"] == "確定" and ok.json()["source"]["page"] == "12"
        assert ok.json()["version"] == same["version"] + 1

    async def test_tree_edit_keeps_scores_and_refuses_to_drop_scored_items(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            await put_scores(c, fid, {CHIYODA: {"a": 10, "c": 4}})
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            doc = tiny_framework()
            # rename a's text, raise c to 12 (A 20 → 20, B 10 → 12), drop item a
            b = doc["categories"][1]
            b["max_points"] = None
            b["items"][0]["max_points"] = 12
            without_a = [dict(cat) for cat in doc["categories"]]
            without_a[0] = {**without_a[0], "max_points": None,
                            "items": without_a[0]["items"][1:]}  # fmt: skip
            refused = await c.put(
                f"/api/v1/frameworks/{fid}/tree",
                json={"version": fw["version"], "categories": without_a},
            )
            unchanged = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            ok = await c.put(
                f"/api/v1/frameworks/{fid}/tree",
                json={"version": fw["version"], "categories": without_a, "drop_scored": True},
            )
            scores = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert refused.status_code == 409 and refused.json()["errors"][0]["loc"] == ["items", "a"]
        assert unchanged == fw
        assert ok.status_code == 200, ok.text
        assert ok.json()["max_points"] == 22  # b 10 + c 12
        assert [(s["item_code"], s["points"]) for s in scores] == [("c", 4.0)]

    async def test_fy2024_goals_with_groups_and_shared_items_count_once(self, indicators):
        def goals(grant: str, own: int) -> dict:
            return {
                "code": f"{grant}-municipality-2026",
                "name": f"2026年度 {grant}",
                "grant": grant,
                "level": "municipality",
                "grant_fy": 2026,
                "evaluation_fy": 2025,
                "source": SRC,
                "categories": [
                    {
                        "code": f"目標{g}",
                        "name": f"目標{g}",
                        "categories": [
                            {
                                "code": f"目標{g}-指標群1",
                                "name": "指標群1",
                                "items": [
                                    {
                                        "code": f"{g}-共通",
                                        "text": "共通の指標",
                                        "max_points": 10,
                                        "shared": True,
                                    },
                                    {
                                        "code": f"{g}-{grant}",
                                        "text": "固有の指標",
                                        "max_points": own,
                                    },
                                ],  # fmt: skip
                            }
                        ],
                    }
                    for g in ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")
                ],
            }

        async with indicators.client() as c:
            a = await c.post("/api/v1/frameworks", json=goals("suishin", 20))
            b = await c.post("/api/v1/frameworks", json=goals("doryoku", 5))
            view = (await c.get("/api/v1/frameworks/combined", params={"grant_fy": 2026})).json()
        assert a.status_code == 201 and b.status_code == 201
        assert (a.json()["max_points"], b.json()["max_points"]) == (120, 60)
        assert view["sum_of_maxima"] == 180
        assert view["combined_max"] == 140  # four shared items of 10 counted once
        assert [i["code"] for i in view["shared_items"]] == ["Ⅰ-共通", "Ⅱ-共通", "Ⅲ-共通", "Ⅳ-共通"]


class TestPublishedResults:
    async def test_category_columns_keyed_by_either_code_form(self, indicators):
        body = (
            "保険者番号,保険者名,Ⅰ,Ⅱ,Ⅲ,総合得点\n"
            "131011,千代田区,100,600,150,850\n"  # insurer number
            "131024,中央区,80,500,100,680\n"  # municipality code
        )
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-municipality-2023"]
            preview = await c.post(
                f"/api/v1/frameworks/{fid}/published-results/import",
                files={"file": ("r.csv", body.encode("cp932"))},
                params={"dry_run": "true"},
            )
            r = await c.post(
                f"/api/v1/frameworks/{fid}/published-results/import",
                files={"file": ("r.csv", body.encode("cp932"))},
            )
            saved = (await c.get(f"/api/v1/frameworks/{fid}/published-results/mapping")).json()
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        p = preview.json()
        assert p["mapping_origin"] == "guessed" and p["problems"] == []
        assert p["mapping"]["columns"] == {
            "保険者名": None, "Ⅰ": "category:Ⅰ", "Ⅱ": "category:Ⅱ", "Ⅲ": "category:Ⅲ",
            "総合得点": "total",
        }  # fmt: skip
        assert (p["matched_insurers"], p["cells"]) == (2, 6)
        assert r.status_code == 200 and r.json()["written"] == 6
        assert saved["mapping"]["entity_column"] == "保険者番号"
        assert {(x["entity_code"], x["item_code"], x["points"]) for x in cells} >= {
            (CHIYODA, "Ⅰ-区分計", 100.0),
            (CHUO, "Ⅲ-区分計", 100.0),
        }

    async def test_preview_lists_unmatched_insurers_and_columns_and_commit_refuses(
        self, indicators
    ):
        body = (
            "番号,名称,Ⅰ,Ⅱ,Ⅲ,Ⅳ\n"
            "131011,千代田区,100,600,150,1\n"
            "131012,誤り,80,500,100,1\n"  # bad check digit under both rules
            "999999,不明,1,1,1,1\n"
        )
        mapping = {
            "entity_column": "番号",
            "columns": {"名称": None, "Ⅰ": "category:Ⅰ", "Ⅱ": "category:Ⅱ", "Ⅲ": "category:Ⅲ"},
        }
        async with indicators.client() as c:
            fid = (await shipped_ids(c))["suishin-municipality-2023"]
            args = {
                "files": {"file": ("r.csv", body.encode())},
                "data": {"mapping": json.dumps(mapping, ensure_ascii=False)},
            }
            preview = (
                await c.post(
                    f"/api/v1/frameworks/{fid}/published-results/import",
                    params={"dry_run": "true"},
                    **args,
                )
            ).json()
            r = await c.post(f"/api/v1/frameworks/{fid}/published-results/import", **args)
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert [u["line"] for u in preview["unmatched_insurers"]] == [3, 4]
        assert "保険者番号なら 131011" in preview["unmatched_insurers"][0]["msg"]
        assert preview["unmatched_columns"] == ["Ⅳ"]
        assert r.status_code == 422 and cells == []

    async def test_item_columns_with_a_saved_mapping_and_total_check(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            put = await c.put(
                f"/api/v1/frameworks/{fid}/published-results/mapping",
                json={
                    "entity_column": "保険者番号",
                    "columns": {"指標1": "a", "指標2ア": "b1", "指標2イ": "b2", "計": "total"},
                },
            )
            # b1 and b2 are alternatives: 10 + max(10, 6) = 20, not the file's 26
            wrong = "保険者番号,指標1,指標2ア,指標2イ,計\n131011,10,10,6,26\n131024,10,0,6,16\n"
            r = await c.post(
                f"/api/v1/frameworks/{fid}/published-results/import",
                files={"file": ("r.csv", wrong.encode())},
            )
            right = wrong.replace(",26\n", ",20\n")
            ok = await c.post(
                f"/api/v1/frameworks/{fid}/published-results/import",
                files={"file": ("r.csv", right.encode())},
            )
        assert put.status_code == 200
        assert r.status_code == 422
        (err,) = r.json()["errors"]
        assert err["loc"] == ["line", 2, "column", "計"] and "20" in err["msg"]
        assert ok.status_code == 200, ok.text
        assert ok.json()["mapping_origin"] == "saved" and ok.json()["written"] == 6


class TestPrefectureDeduction:
    async def _pair(self, c):
        muni = await make_framework(c, 2021)
        pref = (
            await c.post(
                "/api/v1/frameworks",
                json=tiny_framework(2021, code="test-pref-2021", level="prefecture"),
            )
        ).json()["id"]
        rule = await c.put(
            "/api/v1/deduction-rules/suishin/2021",
            json={
                "item_code": "d",
                "threshold": 0.3,
                "points": -5,
                "wording": "得点率が3割以下の市町村がある場合 -5",
                "source": SRC,
            },
        )
        assert rule.status_code == 200, rule.text
        return muni, pref

    async def test_a_low_municipality_triggers_the_deduction_and_is_named(self, indicators):
        async with indicators.client() as c:
            muni, pref = await self._pair(c)
            await put_scores(c, muni, {"131011": {"a": 5}, CHUO: {"a": 10, "b1": 10, "c": 10}})
            view = (await c.get(f"/api/v1/frameworks/{pref}/deduction")).json()
            cells = (await c.get(f"/api/v1/frameworks/{pref}/scores?entity_code=130001")).json()
            # Chiyoda improves: Tokyo is not fully loaded, so the deduction is no longer known
            await put_scores(c, muni, {CHIYODA: {"a": 10, "c": 10}})
            later = (await c.get(f"/api/v1/frameworks/{pref}/deduction")).json()
        tokyo = next(p for p in view["prefectures"] if p["prefecture_code"] == "130001")
        assert (tokyo["points"], tokyo["derived"]) == (-5, True)
        (trigger,) = tokyo["triggered_by"]
        assert trigger["entity_code"] == CHIYODA and trigger["insurer_number"] == "131011"
        assert abs(trigger["score_rate"] - 5 / 30) < 1e-9
        assert view["rule"]["wording"].startswith("得点率が3割以下")
        assert [(x["item_code"], x["points"]) for x in cells] == [("d", -5.0)]
        tokyo_later = next(p for p in later["prefectures"] if p["prefecture_code"] == "130001")
        assert tokyo_later["points"] is None and tokyo_later["triggered_by"] == []

    async def test_an_insurer_list_import_re_derives_the_deduction(self, indicators):
        # 香川県: every municipality scored well → 0 derived; a union of two of them then
        # makes an insurer without scores → the deduction is no longer known (cell removed)
        from services.common.registry import get_registry, insurer_check_digit

        kagawa = sorted(c for c in get_registry().municipalities if c.startswith("37"))
        union = "37901" + str(insurer_check_digit("37901"))
        async with indicators.client() as c:
            muni, pref = await self._pair(c)
            await put_scores(c, muni, {m: {"a": 10, "b1": 10, "c": 10} for m in kagawa})
            before = (await c.get(f"/api/v1/frameworks/{pref}/scores?entity_code=370002")).json()
            r = await c.post(
                "/api/v1/insurers/import",
                files={
                    "file": (
                        "insurers.csv",
                        f'保険者番号,保険者名,構成市町村\n{union},試験広域連合,"{kagawa[0]}、{kagawa[1]}"\n'.encode(),
                    )
                },
            )
            after = (await c.get(f"/api/v1/frameworks/{pref}/scores?entity_code=370002")).json()
            view = (await c.get(f"/api/v1/frameworks/{pref}/deduction")).json()
        assert [(x["item_code"], x["points"]) for x in before] == [("d", 0.0)]
        assert r.status_code == 200, r.text
        assert after == []
        kagawa_row = next(p for p in view["prefectures"] if p["prefecture_code"] == "370002")
        assert kagawa_row["points"] is None

    async def test_shipped_fy2019_rule_quotes_the_seed(self, indicators):
        async with indicators.client() as c:
            await shipped_ids(c)
            rules = (await c.get("/api/v1/deduction-rules")).json()
        (r,) = rules
        assert (r["grant_fy"], r["item_code"], r["threshold"], r["points"]) == (
            2019,
            "Ⅲ-②",
            0.3,
            -10,
        )
        assert "得点率約3割" in r["wording"] and r["source"]["date"] == "2019-09-27"
