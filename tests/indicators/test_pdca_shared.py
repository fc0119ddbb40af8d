"""取組と目標 across the prefecture: published sheets and drafts per role, themes, the 62 side by
side for a year with filters, and good practice (好事例) for 横展開."""

from __future__ import annotations

from typing import Any

import httpx

from tests.indicators.factories import CHIYODA, CHUO, HACHIOJI, MINATO, TACHIKAWA

HINOHARA = "133078"  # 檜原村 (町村部)


def sheet(entity: str, *, published: bool | None = None, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entity_code": entity,
        "title": f"{entity} の取組と目標",
        "start_fy": 2024,
        "end_fy": 2026,
        "items": [
            {
                "code": "1",
                "theme": "kaigo_yobo",
                "title": "通いの場の参加率",
                "target": {"kind": "level", "value": 10, "unit": "%", "text": "10%"},
                "years": [
                    {"fiscal_year": 2024, "actual_value": 6, "self_evaluation": "一部達成"},
                    {"fiscal_year": 2025, "actual_value": 8, "self_evaluation": "達成"},
                ],
            },
            {
                "code": "2",
                "theme": "ninchisho",
                "title": "認知症サポーター",
                "target": {
                    "kind": "cumulative",
                    "value": 300,
                    "unit": "人",
                    "start_fy": 2024,
                    "end_fy": 2026,
                },
                "years": [
                    {"fiscal_year": 2024, "actual_value": 100, "self_evaluation": "達成"},
                    {"fiscal_year": 2025, "actual_value": 200, "self_evaluation": "未達成"},
                ],
            },
            {"code": "3", "title": "テーマなしの事項", "target": {"text": "年1回以上"}},
        ],
        **kw,
    }
    if published is not None:
        body["published"] = published
    return body


async def create(c: httpx.AsyncClient, entity: str, **kw: Any) -> dict[str, Any]:
    r = await c.post("/api/v1/pdca/sheets", json=sheet(entity, **kw))
    assert r.status_code == 201, r.text
    return r.json()


class TestPublishedAndDrafts:
    async def test_a_municipality_reads_others_published_sheets_never_their_drafts(
        self, indicators
    ):
        async with indicators.client() as c:
            pub = await create(c, CHUO, published=True)
            draft = await create(c, MINATO)
        async with indicators.client("municipality", CHIYODA) as c:
            own = await create(c, CHIYODA)  # its own draft
            listed = (await c.get("/api/v1/pdca/sheets")).json()
            read_pub = await c.get(f"/api/v1/pdca/sheets/{pub['id']}")
            read_draft = await c.get(f"/api/v1/pdca/sheets/{draft['id']}")
            export_draft = await c.get(f"/api/v1/pdca/sheets/{draft['id']}/export.xlsx")
            progress_draft = await c.post(
                f"/api/v1/pdca/sheets/{draft['id']}/progress", json={"metrics": {}}
            )
            by_code = (await c.get(f"/api/v1/pdca/sheets?entity_code={MINATO}")).json()
            edit_pub = await c.put(
                f"/api/v1/pdca/sheets/{pub['id']}", json={**sheet(CHUO), "version": 1}
            )
            side = (await c.get("/api/v1/pdca/municipalities?fiscal_year=2025")).json()
        assert sorted(s["entity_code"] for s in listed) == [CHIYODA, CHUO]
        assert own["published"] is False
        assert read_pub.status_code == 200 and read_pub.json()["published"] is True
        assert read_draft.status_code == 404
        assert export_draft.status_code == 404 and progress_draft.status_code == 404
        assert by_code == []
        assert edit_pub.status_code == 404  # read-only: the others' sheet is not theirs to write
        status = {
            m["code"]: (m["status"], m["sheet"] and m["sheet"]["id"])
            for m in side["municipalities"]
        }
        assert status[CHUO] == ("公開", pub["id"])
        assert status[MINATO] == ("なし", None)  # a draft does not show, nor that it exists
        assert status[CHIYODA] == ("下書き", own["id"])
        assert side["counts"]["drafts"] == 1

    async def test_the_prefecture_reads_drafts_and_every_role_but_municipality_reads_all(
        self, indicators
    ):
        async with indicators.client() as c:
            draft = await create(c, MINATO)
        for role in ("admin", "coordinator", "viewer", "advisor", "api_client"):
            async with indicators.client(role) as c:
                r = await c.get(f"/api/v1/pdca/sheets/{draft['id']}")
                side = (await c.get("/api/v1/pdca/municipalities?fiscal_year=2024")).json()
            assert r.status_code == 200, role
            m = next(x for x in side["municipalities"] if x["code"] == MINATO)
            assert m["status"] == "下書き", role

    async def test_publishing_is_the_owners_with_a_version(self, indicators):
        async with indicators.client("municipality", CHIYODA) as c:
            own = await create(c, CHIYODA)
            stale = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}/published", json={"published": True, "version": 9}
            )
            ok = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}/published", json={"published": True, "version": 1}
            )
        async with indicators.client("municipality", CHUO) as c:
            seen = await c.get(f"/api/v1/pdca/sheets/{own['id']}")
            other = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}/published",
                json={"published": False, "version": 2},
            )
        async with indicators.client("viewer") as c:
            viewer = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}/published",
                json={"published": False, "version": 2},
            )
        async with indicators.client() as c:
            kept = (await c.get(f"/api/v1/pdca/sheets/{own['id']}")).json()
            # A whole-sheet PUT without "published" keeps the flag.
            put = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}", json={**sheet(CHIYODA), "version": 2}
            )
            back = await c.put(
                f"/api/v1/pdca/sheets/{own['id']}/published",
                json={"published": False, "version": 3},
            )
        async with indicators.client("municipality", CHUO) as c:
            hidden = await c.get(f"/api/v1/pdca/sheets/{own['id']}")
        assert stale.status_code == 409
        assert ok.status_code == 200 and ok.json()["published"] is True
        assert ok.json()["published_by"] == "u-municipality:テスト municipality"
        assert seen.status_code == 200
        assert other.status_code == 404 and viewer.status_code == 403
        assert kept["published"] is True and kept["version"] == 2
        assert put.json()["published"] is True
        assert back.json()["published"] is False and back.json()["published_at"] is None
        assert hidden.status_code == 404


class TestVocabulary:
    async def test_unknown_theme_and_metric_kind_are_named_and_nothing_is_written(self, indicators):
        body = sheet(CHIYODA)
        body["items"][0]["theme"] = "介護予防"  # a name, not a code
        body["items"][1]["metric_source"] = "training.completers:地域ケア会議推進事業:2018-2020"
        body["items"][1]["years"][0]["actual_source"] = "training.persons:介護予防 実践:2024"
        body["items"][2]["metric_source"] = "training.municipalities_reached:介護予防 実践:2024"
        async with indicators.client() as c:
            r = await c.post("/api/v1/pdca/sheets", json=body)
            listed = (await c.get("/api/v1/pdca/sheets")).json()
            themes = (await c.get("/api/v1/pdca/themes")).json()
            vocab = (await c.get("/api/v1/pdca/metric-sources")).json()
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["errors"]] == [
            ["body", "items", 0, "theme"],
            ["body", "items", 1, "metric_source"],
            ["body", "items", 2, "metric_source"],
        ]
        assert "地域ケア会議推進事業" in r.json()["errors"][1]["msg"]
        assert "地域ケア会議 司会者・助言者養成" in r.json()["errors"][1]["msg"]
        assert listed == []
        assert {"code": "kaigo_yobo", "name": "介護予防"} in themes
        assert "地域ケア会議 司会者・助言者養成" in vocab["training_kinds"]

    async def test_the_demo_sheet_names_the_real_training_kind(self, demo):
        async with demo["indicators"].client() as c:
            sheets = (await c.get("/api/v1/pdca/sheets?entity_code=130001")).json()
            vocab = (await c.get("/api/v1/pdca/metric-sources")).json()
        sources = sheets[0]["metric_sources"]
        assert "training.completers:地域ケア会議 司会者・助言者養成:2018-2020" in sources
        kinds = {s.split(":")[1] for s in sources if s.startswith("training.")}
        assert kinds <= set(vocab["training_kinds"])


class TestSideBySide:
    async def test_items_by_theme_self_evaluations_and_progress_for_the_year(self, indicators):
        async with indicators.client() as c:
            mine = await create(c, CHIYODA, published=True)
            await create(c, HACHIOJI, published=True, start_fy=2021, end_fy=2023)  # other years
            side = (await c.get("/api/v1/pdca/municipalities?fiscal_year=2025")).json()
        assert side["counts"] == {
            "municipalities": 62,
            "with_sheet": 1,
            "published": 1,
            "drafts": 0,
        }
        m = next(x for x in side["municipalities"] if x["code"] == CHIYODA)
        s = m["sheet"]
        assert s["id"] == mine["id"]
        assert s["self_evaluation"] == {"達成": 1, "一部達成": 0, "未達成": 1, "未評価": 1}
        assert [(t["code"], t["name"], [i["code"] for i in t["items"]]) for t in s["themes"]] == [
            ("kaigo_yobo", "介護予防", ["1"]),
            ("ninchisho", "認知症", ["2"]),
            (None, "未分類", ["3"]),
        ]
        level, cumulative = s["themes"][0]["items"][0], s["themes"][1]["items"][0]
        assert (level["actual"], level["progress"], level["self_evaluation"]) == (8, 0.8, "達成")
        assert (cumulative["actual"], cumulative["progress"]) == (300, 1.0)
        assert cumulative["achieved"] is True
        assert s["progress"] == {
            "numeric_items": 2,
            "with_actual": 2,
            "achieved": 1,
            "mean_progress": 0.9,
        }
        hachioji = next(x for x in side["municipalities"] if x["code"] == HACHIOJI)
        assert hachioji["sheet"] is None

    async def test_filters_by_region_class_peer_type_and_a_peer_set(self, indicators):
        async with indicators.client() as c:
            for code in (CHIYODA, TACHIKAWA, HINOHARA):
                await create(c, code, published=True)
            ps = await c.post(
                "/api/v1/peer-sets",
                json={
                    "name": "試験の組",
                    "members": {CHIYODA: "甲", TACHIKAWA: "甲", HINOHARA: "乙"},
                },
            )
            wards = (
                await c.get("/api/v1/pdca/municipalities?fiscal_year=2025&region_class=区部")
            ).json()
            towns = (
                await c.get(
                    "/api/v1/pdca/municipalities",
                    params={"fiscal_year": 2025, "peer_type": "離島・中山間型"},
                )
            ).json()
            group = (
                await c.get(
                    "/api/v1/pdca/municipalities",
                    params={"fiscal_year": 2025, "peer_set": "試験の組", "peer_group": "甲"},
                )
            ).json()
            bad = await c.get("/api/v1/pdca/municipalities?fiscal_year=2025&region_class=都心")
            no_set = await c.get(
                "/api/v1/pdca/municipalities",
                params={"fiscal_year": 2025, "peer_set": "ない", "peer_group": "甲"},
            )
        assert ps.status_code == 201
        assert wards["counts"]["municipalities"] == 23 and wards["counts"]["with_sheet"] == 1
        assert {m["region_class"] for m in wards["municipalities"]} == {"区部"}
        assert towns["counts"]["municipalities"] == 13
        assert [m["code"] for m in towns["municipalities"] if m["sheet"]] == [HINOHARA]
        assert [m["code"] for m in group["municipalities"]] == [CHIYODA, TACHIKAWA]
        assert bad.status_code == 422 and no_set.status_code == 422


class TestGoodPractice:
    async def test_a_coordinator_marks_an_item_and_a_municipality_reads_it(self, indicators):
        async with indicators.client() as c:
            pub = await create(c, CHUO, published=True)
            draft = await create(c, MINATO)
            r = await c.post(
                "/api/v1/pdca/good-practices",
                json={"sheet_id": pub["id"], "item_code": "1", "note": "段取りが明確"},
            )
            dup = await c.post(
                "/api/v1/pdca/good-practices",
                json={"sheet_id": pub["id"], "item_code": "1", "note": "二度目"},
            )
            on_draft = await c.post(
                "/api/v1/pdca/good-practices",
                json={"sheet_id": draft["id"], "item_code": "1", "note": "下書き"},
            )
            no_item = await c.post(
                "/api/v1/pdca/good-practices",
                json={"sheet_id": pub["id"], "item_code": "99", "note": "ない"},
            )
            side = (await c.get("/api/v1/pdca/municipalities?fiscal_year=2025")).json()
        async with indicators.client("municipality", CHIYODA) as c:
            refused = await c.post(
                "/api/v1/pdca/good-practices",
                json={"sheet_id": pub["id"], "item_code": "2", "note": "自薦"},
            )
            listed = (await c.get("/api/v1/pdca/good-practices")).json()
            one = await c.get(f"/api/v1/pdca/good-practices/{r.json()['id']}")
        assert r.status_code == 201
        gp = r.json()
        assert gp["reference"] == f"pdca-good-practice:{gp['id']}"
        assert gp["href"] == f"/api/v1/pdca/good-practices/{gp['id']}"
        assert (gp["entity_code"], gp["item_title"], gp["theme"], gp["theme_name"]) == (
            CHUO,
            "通いの場の参加率",
            "kaigo_yobo",
            "介護予防",
        )
        assert gp["target_text"] == "10%" and gp["progress"] == 0.8
        assert dup.status_code == 409 and dup.json()["good_practice_id"] == gp["id"]
        assert on_draft.status_code == 422 and no_item.status_code == 422
        chuo = next(m for m in side["municipalities"] if m["code"] == CHUO)
        assert chuo["sheet"]["themes"][0]["items"][0]["good_practice_id"] == gp["id"]
        assert refused.status_code == 403
        assert [g["id"] for g in listed] == [gp["id"]]
        assert one.status_code == 200 and one.json()["note"] == "段取りが明確"

    async def test_note_edit_with_version_unmark_and_hidden_when_unpublished(self, indicators):
        async with indicators.client() as c:
            pub = await create(c, CHUO, published=True)
            gp = (
                await c.post(
                    "/api/v1/pdca/good-practices",
                    json={"sheet_id": pub["id"], "item_code": "2", "note": "最初"},
                )
            ).json()
            edited = await c.patch(
                f"/api/v1/pdca/good-practices/{gp['id']}", json={"note": "書き直し", "version": 1}
            )
            stale = await c.patch(
                f"/api/v1/pdca/good-practices/{gp['id']}", json={"note": "古い", "version": 1}
            )
            by_theme = (await c.get("/api/v1/pdca/good-practices?theme=ninchisho")).json()
            other_theme = (await c.get("/api/v1/pdca/good-practices?theme=kaigo_yobo")).json()
            # The sheet renames the item: the citation's snapshot follows; unpublish hides it.
            body = sheet(CHUO, version=pub["version"])
            body["items"][1]["title"] = "認知症サポーターの養成"
            await c.put(f"/api/v1/pdca/sheets/{pub['id']}", json=body)
            await c.put(
                f"/api/v1/pdca/sheets/{pub['id']}/published",
                json={"published": False, "version": pub["version"] + 1},
            )
            staff_view = (await c.get(f"/api/v1/pdca/good-practices/{gp['id']}")).json()
        async with indicators.client("municipality", CHIYODA) as c:
            hidden = await c.get(f"/api/v1/pdca/good-practices/{gp['id']}")
            hidden_list = (await c.get("/api/v1/pdca/good-practices")).json()
        async with indicators.client("viewer") as c:
            viewer = await c.delete(f"/api/v1/pdca/good-practices/{gp['id']}?version=2")
        async with indicators.client() as c:
            stale_del = await c.delete(f"/api/v1/pdca/good-practices/{gp['id']}?version=1")
            gone = await c.delete(f"/api/v1/pdca/good-practices/{gp['id']}?version=2")
            after = await c.get(f"/api/v1/pdca/good-practices/{gp['id']}")
        assert edited.json()["note"] == "書き直し" and edited.json()["version"] == 2
        assert stale.status_code == 409
        assert [g["id"] for g in by_theme] == [gp["id"]] and other_theme == []
        assert staff_view["item_title"] == "認知症サポーターの養成"
        assert staff_view["sheet_published"] is False and staff_view["note"] == "書き直し"
        assert hidden.status_code == 404 and hidden_list == []
        assert viewer.status_code == 403
        assert stale_del.status_code == 409
        assert gone.status_code == 204 and after.status_code == 404


class TestOwnSheetOnly:
    """The service decides (sheets16): a municipality creates and edits only its own sheet;
    a refused write is followed by a read proving nothing changed."""

    async def test_a_municipality_writes_its_own_sheet_only(self, indicators):
        async with indicators.client() as c:
            theirs = await create(c, CHUO, published=True)
        async with indicators.client("municipality", CHIYODA) as c:
            mine = await create(c, CHIYODA)
            other_create = await c.post("/api/v1/pdca/sheets", json=sheet(HACHIOJI))
            other_edit = await c.put(
                f"/api/v1/pdca/sheets/{theirs['id']}",
                json={**sheet(CHUO, title="書き換え"), "version": theirs["version"]},
            )
            own_edit = await c.put(
                f"/api/v1/pdca/sheets/{mine['id']}",
                json={**sheet(CHIYODA, title="自分で直した"), "version": mine["version"]},
            )
        async with indicators.client("viewer") as c:
            viewer_create = await c.post("/api/v1/pdca/sheets", json=sheet(HACHIOJI))
        async with indicators.client() as c:
            hachioji = (await c.get("/api/v1/pdca/sheets", params={"entity_code": HACHIOJI})).json()
            chuo = (await c.get(f"/api/v1/pdca/sheets/{theirs['id']}")).json()
        assert other_create.status_code == 404 and viewer_create.status_code == 403
        assert other_edit.status_code == 404
        assert own_edit.status_code == 200 and own_edit.json()["title"] == "自分で直した"
        assert hachioji == []
        assert chuo["title"] == theirs["title"] and chuo["version"] == theirs["version"]
