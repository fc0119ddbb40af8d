"""取組と目標: a municipality's own sheet written from the pages, through the gateway and the
real indicators service on the demo: created (a draft), items added and edited (theme, 取組,
目標), the year's record, published and made a draft again; refusals are said on the form
with what was typed kept, and a read proves nothing changed; another municipality never
writes, nor sees the draft."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import GatewayFactory, ServiceHarness, gateway_user, log_in

HTML = {"Accept": "text/html"}
FY = 2025
HACHIOJI, CHIYODA, SHINJUKU, MITAKA = "132012", "131016", "131041", "132047"


async def _sheets(h: ServiceHarness, code: str) -> list[dict[str, Any]]:
    """Every sheet of the municipality, in full, as the prefecture reads them."""
    async with h.client() as c:
        listed = (await c.get("/api/v1/pdca/sheets", params={"entity_code": code})).json()
        return [(await c.get(f"/api/v1/pdca/sheets/{s['id']}")).json() for s in listed]


async def _municipality(gateway_factory: GatewayFactory, code: str) -> httpx.AsyncClient:
    """A gateway signed in as that municipality's staff (one user per municipality)."""
    client = await gateway_factory(role=None)
    login = await gateway_user(
        client.app,  # type: ignore[attr-defined]
        "municipality",
        code,
        login=f"test-municipality-{code}",
    )
    assert (await log_in(client, login)).status_code == 303
    return client


def _csrf(html: str) -> dict[str, str]:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return {"csrf_token": m.group(1)} if m else {}


def _sheet_fields(sheet: dict[str, Any]) -> dict[str, Any]:
    return {"sheet_id": sheet["id"], "version": sheet["version"]}


async def _create(client: httpx.AsyncClient, code: str, **form: Any) -> httpx.Response:
    page = await client.get(f"/pdca/municipalities/{code}", params={"fiscal_year": FY})
    data = {"form": "create", "title": "八王子市の取組と目標", "start_fy": FY, "end_fy": FY + 2}
    return await client.post(
        f"/pdca/municipalities/{code}/sheets?fiscal_year={FY}",
        data={**_csrf(page.text), **data, **form},
        headers=HTML,
    )


ITEM = {
    "form": "item-new",
    "original": "",
    "code": "1",
    "title": "通いの場の参加率を上げる",
    "theme": "kayoinoba",
    "target_kind": "level",
    "target_text": "参加率8%",
    "target_value": "8",
    "target_unit": "%",
}


class TestOwnStaffWriteTheirSheet:
    async def test_create_add_an_item_record_the_year_and_publish(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        assert await _sheets(ind, HACHIOJI) == []
        own = await _municipality(gateway_factory, HACHIOJI)
        listed = await own.get("/pdca/municipalities", params={"fiscal_year": FY})
        link = f'href="/pdca/municipalities/{HACHIOJI}?fiscal_year={FY}"'
        assert link in listed.text.split('id="own-sheet"')[1].split("</p>")[0]
        assert link in listed.text.split(f'<tr id="pdca-{HACHIOJI}"')[1].split("</th>")[0]
        page = await own.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "シートはありません" in page.text and "シートを作成" in page.text

        r = await _create(own, HACHIOJI)
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith(f"?fiscal_year={FY}&saved=sheet")
        [sheet] = await _sheets(ind, HACHIOJI)
        assert (sheet["title"], sheet["start_fy"], sheet["end_fy"]) == (
            "八王子市の取組と目標",
            FY,
            FY + 2,
        )
        assert sheet["published"] is False and sheet["items"] == []

        r = await own.post(
            f"/pdca/municipalities/{HACHIOJI}/items?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(sheet), **ITEM},
        )
        assert r.status_code == 303, r.text
        [sheet] = await _sheets(ind, HACHIOJI)
        [item] = sheet["items"]
        assert (item["code"], item["title"], item["theme"]) == ("1", ITEM["title"], "kayoinoba")
        assert item["theme_name"] == "通いの場"
        assert item["target"] == {
            "kind": "level",
            "value": 8.0,
            "unit": "%",
            "start_fy": None,
            "end_fy": None,
            "text": "参加率8%",
        }

        # the year's 実績 and 自己評価 (the record form), then the item edited: its record stays
        r = await own.post(
            f"/pdca/municipalities/{HACHIOJI}/records?fiscal_year={FY}",
            data={
                **_csrf(page.text),
                **_sheet_fields(sheet),
                "item": "1",
                "actions": "体操教室を通いの場に",
                "actual_value": "8.4",
                "self_evaluation": "達成",
                "next_steps": "男性の参加",
            },
        )
        assert r.status_code == 303, r.text
        [sheet] = await _sheets(ind, HACHIOJI)
        edit = ITEM | {
            "form": "item-1",
            "original": "1",
            "theme": "kaigo_yobo",
            "title": "参加率を上げる",
        }
        r = await own.post(
            f"/pdca/municipalities/{HACHIOJI}/items?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(sheet), **edit},
        )
        assert r.status_code == 303, r.text
        [sheet] = await _sheets(ind, HACHIOJI)
        [item] = sheet["items"]
        assert (item["title"], item["theme"]) == ("参加率を上げる", "kaigo_yobo")
        assert item["years"] == [
            {
                "fiscal_year": FY,
                "actions": "体操教室を通いの場に",
                "actual_value": 8.4,
                "actual_source": None,
                "self_evaluation": "達成",
                "next_steps": "男性の参加",
            }
        ]
        shown = await own.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        row = shown.text.split('<tr id="item-1">')[1].split("</tr>")[0]
        assert "参加率を上げる" in row and "介護予防" in row and "105%" in row

        # a draft: another municipality sees no sheet, on the list and on the page
        other = await _municipality(gateway_factory, CHIYODA)
        listed = await other.get("/pdca/municipalities", params={"fiscal_year": FY})
        hachioji = listed.text.split(f'<tr id="pdca-{HACHIOJI}"')[1].split("</tr>")[0]
        assert "下書き" not in hachioji and "参加率を上げる" not in hachioji
        hidden = await other.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "シートはありません" in hidden.text and "参加率を上げる" not in hidden.text
        assert "シートを作成" not in hidden.text

        r = await own.post(
            f"/pdca/municipalities/{HACHIOJI}/published?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(sheet), "published": "1"},
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("saved=published")
        [sheet] = await _sheets(ind, HACHIOJI)
        assert sheet["published"] is True
        listed = await other.get("/pdca/municipalities", params={"fiscal_year": FY})
        hachioji = listed.text.split(f'<tr id="pdca-{HACHIOJI}"')[1].split("</tr>")[0]
        assert "公開" in hachioji and "参加率を上げる" in hachioji
        page = await other.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "閲覧のみ" in page.text and "公開する" not in page.text
        assert "下書きに戻す" not in page.text and "事項を追加" not in page.text

        # and back to a draft: hidden again
        r = await own.post(
            f"/pdca/municipalities/{HACHIOJI}/published?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(sheet), "published": "0"},
        )
        assert r.status_code == 303, r.text
        [sheet] = await _sheets(ind, HACHIOJI)
        assert sheet["published"] is False
        hidden = await other.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "シートはありません" in hidden.text

    async def test_remove_an_item(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        [before] = await _sheets(demo["indicators"], SHINJUKU)
        marked = {g["item_code"] for g in before["good_practices"]}
        item = next(i for i in before["items"] if i["code"] not in marked)
        r = await gateway.post(
            f"/pdca/municipalities/{SHINJUKU}/items?fiscal_year={FY}",
            data={**_sheet_fields(before), "original": item["code"], "remove": "1"},
        )
        assert r.status_code == 303, r.text
        [after] = await _sheets(demo["indicators"], SHINJUKU)
        assert [i["code"] for i in after["items"]] == [
            i["code"] for i in before["items"] if i["code"] != item["code"]
        ]

    async def test_a_coordinator_creates_for_any_municipality(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await _create(
            gateway, HACHIOJI, title="都が用意したシート", start_fy="2026", end_fy="2028"
        )
        assert r.status_code == 303, r.text
        # the page's year (2025) is outside the new sheet: the answer shows its first year
        assert r.headers["location"].endswith("?fiscal_year=2026&saved=sheet")
        [sheet] = await _sheets(demo["indicators"], HACHIOJI)
        assert sheet["title"] == "都が用意したシート" and sheet["published"] is False


class TestRefusedOnTheForm:
    async def test_a_numeric_target_without_value_keeps_the_input_and_writes_nothing(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        [before] = await _sheets(demo["indicators"], CHIYODA)
        bad = ITEM | {
            "code": "新規9",
            "title": "入力が残る取組",
            "target_kind": "cumulative",
            "target_value": "",
        }
        r = await gateway.post(
            f"/pdca/municipalities/{CHIYODA}/items?fiscal_year={FY}",
            data={**_sheet_fields(before), **bad},
            headers=HTML,
        )
        assert r.status_code == 422, r.text
        assert "数値目標には目標値を入力してください" in r.text
        added = r.text.split('id="item-add"')[1]
        assert ">入力が残る取組</textarea>" in added and 'value="新規9"' in added
        assert await _sheets(demo["indicators"], CHIYODA) == [before]

    async def test_a_duplicate_item_number_is_refused(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        [before] = await _sheets(demo["indicators"], CHIYODA)
        taken = before["items"][0]["code"]
        r = await gateway.post(
            f"/pdca/municipalities/{CHIYODA}/items?fiscal_year={FY}",
            data={**_sheet_fields(before), **ITEM, "code": taken},
            headers=HTML,
        )
        assert r.status_code == 422 and f"事項の番号「{taken}」はすでにあります" in r.text
        assert await _sheets(demo["indicators"], CHIYODA) == [before]

    async def test_a_second_sheet_starting_the_same_year_is_a_conflict(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        before = await _sheets(demo["indicators"], CHIYODA)
        r = await _create(gateway, CHIYODA, title="二枚目", start_fy="2024", end_fy="2026")
        # the page's year is covered: no create form, but the write is the service's to refuse
        assert r.status_code == 409, r.text
        assert "2024年度から始まるシートはすでにあります" in r.text
        assert await _sheets(demo["indicators"], CHIYODA) == before

    async def test_bad_years_are_named_and_nothing_is_created(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await _create(gateway, HACHIOJI, title="", start_fy="令和7", end_fy="2020")
        assert r.status_code == 422
        assert "シートの名前を入力してください" in r.text
        assert "開始年度を西暦で入力してください" in r.text
        assert 'value="令和7"' in r.text  # what was typed stays on the form
        assert await _sheets(demo["indicators"], HACHIOJI) == []

    async def test_a_stale_version_on_publish_is_shown_and_nothing_written(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        [before] = await _sheets(demo["indicators"], MITAKA)
        r = await gateway.post(
            f"/pdca/municipalities/{MITAKA}/published?fiscal_year={FY}",
            data={"sheet_id": before["id"], "version": before["version"] + 3, "published": "1"},
            headers=HTML,
        )
        assert r.status_code == 409 and "保存していません" in r.text
        assert await _sheets(demo["indicators"], MITAKA) == [before]


class TestAnotherMunicipality:
    async def test_cannot_create_edit_or_publish_anothers_sheet(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        shinjuku, mitaka = await _sheets(ind, SHINJUKU), await _sheets(ind, MITAKA)
        client = await _municipality(gateway_factory, CHIYODA)
        page = await client.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "シートを作成" not in page.text
        r = await _create(client, HACHIOJI)
        assert r.status_code == 404
        assert await _sheets(ind, HACHIOJI) == []
        # a published sheet of another: read-only; its draft: not even found
        r = await client.post(
            f"/pdca/municipalities/{SHINJUKU}/items?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(shinjuku[0]), **ITEM},
            headers=HTML,
        )
        assert r.status_code == 404
        r = await client.post(
            f"/pdca/municipalities/{MITAKA}/published?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(mitaka[0]), "published": "1"},
            headers=HTML,
        )
        assert r.status_code == 404
        assert await _sheets(ind, SHINJUKU) == shinjuku
        assert await _sheets(ind, MITAKA) == mitaka

    async def test_a_sheet_named_under_another_municipality_is_not_found(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        """Own municipality in the address, another's sheet in the form: 404, nothing written."""
        ind = demo["indicators"]
        shinjuku = await _sheets(ind, SHINJUKU)
        client = await _municipality(gateway_factory, CHIYODA)
        page = await client.get(f"/pdca/municipalities/{CHIYODA}", params={"fiscal_year": FY})
        r = await client.post(
            f"/pdca/municipalities/{CHIYODA}/published?fiscal_year={FY}",
            data={**_csrf(page.text), **_sheet_fields(shinjuku[0]), "published": "0"},
            headers=HTML,
        )
        assert r.status_code == 404
        assert await _sheets(ind, SHINJUKU) == shinjuku

    async def test_a_viewer_is_refused(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        client = await gateway_factory(role="viewer")
        page = await client.get(f"/pdca/municipalities/{HACHIOJI}", params={"fiscal_year": FY})
        assert "シートを作成" not in page.text
        r = await _create(client, HACHIOJI)
        assert r.status_code == 403
        assert await _sheets(demo["indicators"], HACHIOJI) == []
