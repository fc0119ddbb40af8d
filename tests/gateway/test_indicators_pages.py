"""Indicator pages through the gateway wired to the real indicators service with its demo data."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_shell import RecordingTransport, RefusingTransport

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
CHIYODA = "131016"


@pytest.fixture
async def demo(indicators: ServiceHarness) -> ServiceHarness:
    await indicators.with_demo()  # loaded once, restored from a snapshot (tests/conftest.py)
    return indicators


async def api(h: ServiceHarness, path: str, **params):  # type: ignore[no-untyped-def]
    async with h.client() as c:
        r = await c.get(f"/api/v1{path}", params=params)
        assert r.status_code == 200, r.text
        return r.json()


async def framework_id(h: ServiceHarness, code: str) -> int:
    return next(f["id"] for f in await api(h, "/frameworks") if f["code"] == code)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class TestFrameworks:
    async def test_list_shows_grant_level_years_and_maxima(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/indicators", headers=HTML)
        assert r.status_code == 200, r.text
        t = _text(r.text)
        assert "体系 4件" in t
        assert (
            "保険者機能強化推進交付金 都道府県分 令和元年度 (2019年度) 平成30年度 (2018年度) 741点"
            in t
        )
        assert "市町村分 令和2年度 (2020年度) 令和元年度 (2019年度) 692点" in t
        assert '/indicators">評価指標</a>' in r.text  # the nav link

    async def test_prefecture_framework_shows_741_and_the_nested_tree(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        r = await gateway.get(f"/indicators/frameworks/{fid}", headers=HTML)
        assert r.status_code == 200, r.text
        assert '<div class="big" id="fw-max">741</div>' in r.text
        t = _text(r.text)
        assert "Ⅱ(2)地域ケア会議 地域ケア会議 満点 80点" in t
        assert "Ⅱ(2)介護予防" in t and "満点 45点" in t
        assert "Ⅰ-① 地域包括ケア見える化システム" in t
        # The deduction-only item is marked, every item of the tree is listed.
        row = r.text.split('<th scope="row" class="code">Ⅲ-②</th>')[1].split("</tr>")[0]
        assert "減点" in row and ">-10<" in row
        items = sum(len(c["items"]) for c in _walk(fw["categories"]))
        assert r.text.count('<th scope="row" class="code">') == items
        for fmt in ("json", "yaml", "xlsx"):
            assert f'/indicators/frameworks/{fid}/export?format={fmt}"' in r.text

    async def test_export_is_streamed_from_the_service(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-prefecture-2019")
        r = await gateway.get(f"/indicators/frameworks/{fid}/export", params={"format": "json"})
        assert r.status_code == 200
        assert r.json()["max_points"] == 741
        r = await gateway.get(f"/indicators/frameworks/{fid}/export", params={"format": "xlsx"})
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert "attachment" in r.headers["content-disposition"]

    async def test_unknown_framework_is_a_404_page(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/indicators/frameworks/99999", headers=HTML)
        assert r.status_code == 404 and '<html lang="ja">' in r.text


def _walk(cats: list[dict]) -> list[dict]:
    out = []
    for c in cats:
        out.append(c)
        out += _walk(c["categories"])
    return out


class TestResults:
    async def test_rows_show_the_service_figures_and_link_to_municipalities(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        body = await api(demo, f"/frameworks/{fid}/results", prefecture="13")
        r = await gateway.get(f"/indicators/frameworks/{fid}/results", headers=HTML)
        assert r.status_code == 200, r.text
        assert 'id="count-entities">62<' in r.text
        first = body["entities"][0]
        row = r.text.split(f'id="row-{first["entity_code"]}"')[1].split("</tr>")[0]
        assert f'<td class="num total">{first["total"]:.0f}<small>/692</small>' in row
        assert f'/municipalities/{first["entity_code"]}"' in row
        assert f"{first['score_rate'] * 100:.1f}%" in row
        assert f"{first['peer_group']} {first['peer_rank']}位/{first['peer_rank_of']}" in row
        low = next(e for e in body["entities"] if e["entity_code"] == "134023")  # 青ヶ島村
        low_row = r.text.split('id="row-134023"')[1].split("</tr>")[0]
        assert "低得点" in low_row and low["flags"][0]["message"] in low_row
        assert f'id="count-low">{body["summary"]["low_count"]}<' in r.text
        assert "format=csv" in r.text and "format=xlsx" in r.text

    async def test_group_filter_and_sort_by_name_go_to_the_service(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        body = await api(
            demo,
            f"/frameworks/{fid}/results",
            prefecture="13",
            peer_set="peer_type",
            group="peer_type:離島・中山間型",
        )
        r = await gateway.get(
            f"/indicators/frameworks/{fid}/results",
            params={"peer_set": "peer_type", "group": "離島・中山間型", "sort": "name"},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<div id="results-body">')
        codes = re.findall(r'<tr id="row-(\d{6})">', r.text)
        assert codes == sorted(e["entity_code"] for e in body["entities"])
        assert f'id="count-entities">{body["summary"]["count"]}<' in r.text
        # The export link keeps the filter.
        assert "group=peer_type%3A%E9%9B%A2" in r.text

    async def test_sort_by_total_descending(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        r = await gateway.get(
            f"/indicators/frameworks/{fid}/results",
            params={"sort": "total", "order": "asc"},
            headers=HTML,
        )
        totals = [float(x) for x in re.findall(r'<td class="num total">([\d.]+)<small>', r.text)]
        assert len(totals) == 62 and totals == sorted(totals)
        assert 'aria-label="昇順"' in r.text

    async def test_results_export_csv_passes_through(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        r = await gateway.get(
            f"/indicators/frameworks/{fid}/results/export",
            params={"format": "csv", "prefecture": "13"},
        )
        assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
        assert len(r.content.decode("utf-8-sig").strip().splitlines()) == 63


class TestImport:
    async def _fid(self, demo: ServiceHarness) -> int:
        return await framework_id(demo, "suishin-municipality-2020-demo")

    async def test_one_bad_row_shows_the_table_and_writes_nothing(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await self._fid(demo)
        before = await api(demo, f"/frameworks/{fid}/scores", entity_code=CHIYODA)
        csv = "団体コード,指標コード,得点\n131016,Ⅱ-通いの場,10\n131016,Ⅱ-通いの場,999\n".encode(
            "cp932"
        )
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/import",
            files={"file": ("scores.csv", csv, "text/csv")},
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="import-outcome"')
        assert "何も書き込んでいません" in r.text
        table = r.text.split('id="bad-rows"')[1].split("</table>")[0]
        rows = re.findall(
            r"<tr><td class=\"num\">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>", table
        )
        assert len(rows) == 1 and rows[0][0] == "3" and rows[0][1] == "得点"
        assert (await api(demo, f"/frameworks/{fid}/scores", entity_code=CHIYODA)) == before

    async def test_plain_post_of_a_bad_file_is_422_with_the_table(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await self._fid(demo)
        csv = "団体コード,指標コード,得点\n131017,Ⅱ-通いの場,10\n".encode()
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/import",
            files={"file": ("scores.csv", csv, "text/csv")},
            headers=HTML,
        )
        assert r.status_code == 422
        assert '<html lang="ja">' in r.text and 'id="bad-rows"' in r.text

    async def test_good_import_writes_and_links_to_results(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await self._fid(demo)
        csv = "\ufeff団体コード,Ⅱ-通いの場,Ⅰ-見える化\n131016,0,0\n131024,10,10\n".encode()
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/import",
            files={"file": ("wide.csv", csv, "text/csv")},
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert "得点を<strong>4件</strong>書き込みました" in r.text
        assert f'/indicators/frameworks/{fid}/results"' in r.text
        cells = await api(demo, f"/frameworks/{fid}/scores", entity_code=CHIYODA)
        points = {c["item_code"]: c["points"] for c in cells}
        assert points["Ⅱ-通いの場"] == 0 and points["Ⅰ-見える化"] == 0

    async def test_plain_good_post_redirects_to_the_count(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await self._fid(demo)
        csv = "団体コード,指標コード,得点\n131016,Ⅱ-通いの場,5\n".encode()
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/import",
            files={"file": ("long.csv", csv, "text/csv")},
            headers=HTML,
        )
        assert r.status_code == 303
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "得点を<strong>1件</strong>書き込みました" in page.text

    async def test_form_has_progress_indicator_and_multipart(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await self._fid(demo)
        r = await gateway.get(f"/indicators/frameworks/{fid}/import", headers=HTML)
        assert 'hx-encoding="multipart/form-data"' in r.text
        assert 'hx-indicator="#upload-progress"' in r.text
        assert "xhr:progress" in r.text and '<progress id="upload-bar"' in r.text


class TestAllocation:
    async def test_table_and_totals_are_the_service_figures(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        async with demo.client() as c:
            sim = (
                await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000_000})
            ).json()
        r = await gateway.get(
            f"/indicators/frameworks/{fid}/allocation",
            params={"budget": "1,000,000,000"},
            headers=HTML,
        )
        assert r.status_code == 200, r.text
        t = sim["totals"]
        assert f'<dd id="total-paid">{t["paid"]:,}円</dd>' in r.text
        # the demo's national denominator is a sample figure: the listed 62 are not the whole
        # country, so the rounding remainder is not known (the page shows —)
        assert t["rounding_remainder"] is None
        assert '<dd id="total-rounding">—</dd>' in r.text
        assert "1円未満切り捨て" in r.text
        e = next(x for x in sim["entities"] if x["entity_code"] == CHIYODA)
        row = r.text.split(f'id="alloc-{CHIYODA}"')[1].split("</tr>")[0]
        assert f"{e['share']:,}円" in row and f"{e['shortfall']:,}円" in row
        assert f"{e['first_insured']:,}人" in row

    async def test_what_if_returns_only_the_amount_with_the_service_difference(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        cells = await api(demo, f"/frameworks/{fid}/scores", entity_code=CHIYODA)
        zero = next(
            c["item_code"] for c in cells if c["points"] == 0 and "残余" not in c["item_code"]
        )
        body = {
            "budget": 2_000_000_000,
            "what_if": {"entity_code": CHIYODA, "points": {zero: 10, "Ⅱ-残余": 469}},
        }
        async with demo.client() as c:
            expected = (await c.post(f"/api/v1/frameworks/{fid}/allocation", json=body)).json()
        diff = expected["what_if"]["difference"]
        assert diff > 0
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/allocation/what-if",
            data={
                "budget": "2000000000",
                "entity_code": CHIYODA,
                "item_0": zero,
                "points_0": "10",
                "item_1": "Ⅱ-残余",
                "points_1": "469",
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="whatif-amount"')
        assert "<html" not in r.text and "allocation-table" not in r.text
        assert f'<strong id="whatif-difference" class="up">+{diff:,}円</strong>' in r.text
        assert f"{expected['what_if']['paid_after']:,}円" in r.text

    async def test_what_if_out_of_range_shows_the_message(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        data = {"budget": "2000000000", "entity_code": CHIYODA, "item_0": "Ⅱ-通いの場"}
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/allocation/what-if",
            data={**data, "points_0": "99"},
            headers=HX,
        )
        assert r.status_code == 200
        assert "0〜10 の範囲で入力してください" in r.text
        plain = await gateway.post(
            f"/indicators/frameworks/{fid}/allocation/what-if",
            data={**data, "points_0": "abc"},
            headers=HTML,
        )
        assert plain.status_code == 422
        assert "得点は数値で入力してください" in plain.text
        assert 'value="abc"' in plain.text  # what was typed is kept


class TestCompare:
    async def test_totals_and_category_diffs_per_municipality(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        body = await api(demo, f"/frameworks/{fid}/compare", prefecture="13")
        r = await gateway.get(f"/indicators/frameworks/{fid}/compare", headers=HTML)
        assert r.status_code == 200, r.text
        assert r.text.count('<tr id="cmp-13') == 62
        e = next(x for x in body["entities"] if x["entity_code"] == CHIYODA)
        row = r.text.split(f'id="cmp-{CHIYODA}"')[1].split("</tr>")[0]
        sign = "+" if e["diff"] > 0 else "−"
        assert f"{sign}{abs(e['diff']):.0f}" in row
        assert "すべて両年度で対応しています" in r.text

    async def test_first_year_says_there_is_nothing_to_compare(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await framework_id(demo, "suishin-municipality-2019")
        r = await gateway.get(f"/indicators/frameworks/{fid}/compare", headers=HTML)
        assert r.status_code == 200
        assert "前年度の評価指標の体系がありません" in r.text


class TestServiceDown:
    async def test_pages_show_the_notice_not_a_500(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory({"indicators": RefusingTransport()})
        for path in (
            "/indicators",
            "/indicators/frameworks/1",
            "/indicators/frameworks/1/results",
            "/indicators/frameworks/1/allocation",
            "/indicators/frameworks/1/compare",
            "/indicators/frameworks/1/import",
        ):
            r = await gw.get(path, headers=HTML)
            assert r.status_code == 200, path
            assert "評価指標のサービスが応答しない" in r.text, path


class TestCalls:
    async def test_results_page_makes_a_fixed_number_of_calls(
        self, demo: ServiceHarness, gateway_factory: GatewayFactory
    ) -> None:
        rec = RecordingTransport(httpx.ASGITransport(app=demo.app))
        gw = await gateway_factory({"indicators": rec})
        fid = await framework_id(demo, "suishin-municipality-2020-demo")
        rec.requests.clear()  # logging in opened the dashboard
        r = await gw.get(f"/indicators/frameworks/{fid}/results", headers=HTML)
        assert r.status_code == 200
        assert len(rec.requests) == 3  # framework, results, peer sets
