"""The dashboard (home) and the municipality profile, through the gateway wired to the real
services with their demo data."""

from __future__ import annotations

import re
from datetime import date

import httpx

from services.common.fiscal import format_fy_full
from services.common.registry import get_registry
from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_combined import FY, HACHIOJI, direct
from tests.gateway.test_shell import RecordingTransport, RefusingTransport

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
HINOHARA = "133078"  # 町村部, the demo's case at 選定


def _row_codes(text: str) -> list[str]:
    return re.findall(r'<tr data-code="(\d{6})"', text)


def _row(text: str, code: str) -> str:
    return text.split(f'<tr data-code="{code}"')[1].split("</tr>")[0]


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


async def _latest(demo: dict[str, ServiceHarness]) -> dict[str, dict]:
    """The indicators service's latest results for Tokyo: grant → entity code → entity."""
    blocks = await direct(demo["indicators"], "/api/v1/results/latest", prefecture="13")
    return {b["grant"]: {e["entity_code"]: e for e in b["entities"]} for b in blocks}


async def _latest_framework(demo: dict[str, ServiceHarness]) -> int:
    """The id of the newest municipal framework with scores (the demo has one grant)."""
    blocks = await direct(demo["indicators"], "/api/v1/results/latest", prefecture="13")
    return blocks[0]["framework"]["id"]


class TestDashboard:
    async def test_shows_the_62_with_the_services_figures_and_counts(
        self,
        demo: dict[str, ServiceHarness],
        gateway: httpx.AsyncClient,
    ) -> None:
        r = await gateway.get("/", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert "東京都の区市町村" in t and format_fy_full(FY) in t
        codes = _row_codes(t)
        assert len(codes) == 62 and codes == sorted(codes)
        assert codes == sorted(m.code for m in get_registry().home())

        latest = await _latest(demo)
        assert list(latest) == ["suishin"]
        e = latest["suishin"][HACHIOJI]
        row = _row(t, HACHIOJI)
        assert "八王子市" in row and "<td>市部</td>" in row and "<td>都市型</td>" in row
        assert f'<span class="num">{_pct(e["score_rate"])}</span>' in row
        assert f"{e['peer_rank']}<small" in row and f"/{e['peer_rank_of']}</small>" in row
        assert "得点低下" in row  # the demo's drop flag for 八王子市
        assert '<a href="/support/cases/' in row and "実施・検証" in row
        # Every row's score is the service's.
        for code in codes:
            assert _pct(latest["suishin"][code]["score_rate"]) in _row(t, code)
        # Training reach follows the service's stats.
        stats = await direct(demo["training"], "/api/v1/stats", fiscal_year=FY)
        reached = set(stats["municipalities_reached"])
        for code in codes:
            cell = _row(t, code).split('<td class="training">')[1]
            assert cell.startswith("受講あり") == (code in reached), code

        # Counts at the top: what the services say when asked directly.
        flagged = {c for g in latest.values() for c, e in g.items() if e["flags"]}
        low = {
            c
            for g in latest.values()
            for c, e in g.items()
            if any(f["code"] == "low_score_rate" for f in e["flags"])
        }
        assert re.search(rf'id="count-flagged">{len(flagged)}<', t)
        assert re.search(rf'id="count-low">{len(low)}<', t) and len(low) == 2

        cases = await direct(demo["support_cases"], "/api/v1/cases", fiscal_year=FY)
        by_status: dict[str, int] = {}
        for c in cases:
            by_status[c["status"]] = by_status.get(c["status"], 0) + 1
        shown = dict(re.findall(r'data-status="([^"]+)">(\d+)<', t))
        assert {k: int(v) for k, v in shown.items()} == by_status
        assert by_status == {"選定": 1, "ヒアリング": 1, "実施・検証": 1}
        assert re.search(rf'id="count-cases">{len(cases)}<', t)

        sessions = await direct(demo["training"], "/api/v1/sessions", fiscal_year=FY)
        today = date.today()
        this_month = [
            s for s in sessions if any(d["date"][:7] == f"{today:%Y-%m}" for d in s["days"])
        ]
        assert re.search(rf'id="count-sessions">{len(this_month)}<', t)
        stats = await direct(demo["training"], "/api/v1/stats", fiscal_year=FY)
        assert re.search(rf'id="count-reached">{len(stats["municipalities_reached"])}<', t)

    async def test_filter_by_region_class_gives_htmx_the_fragment(
        self, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/", params={"region_class": "町村部"}, headers=HX)
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<div id="dashboard">')
        assert "<html" not in r.text and r.headers["vary"] == "HX-Request"
        expected = sorted(m.code for m in get_registry().home() if m.region_class == "町村部")
        assert _row_codes(r.text) == expected and len(expected) == 13
        assert "13団体 / 62団体" in r.text
        assert '<option value="町村部" selected>' in r.text

    async def test_filter_by_area_and_peer_type_and_ignore_unknown_values(
        self, gateway: httpx.AsyncClient
    ) -> None:
        home = get_registry().home()
        for param, value in (("medical_area", "島しょ"), ("peer_type", "大都市型")):
            r = await gateway.get("/", params={param: value}, headers=HTML)
            expected = sorted(m.code for m in home if getattr(m, param) == value)
            assert expected and _row_codes(r.text) == expected, param
        r = await gateway.get(
            "/", params={"region_class": "郡部", "sort": "secret", "dir": "x"}, headers=HTML
        )
        assert r.status_code == 200 and len(_row_codes(r.text)) == 62

    async def test_sort_by_name_follows_the_reading(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/", params={"sort": "name"}, headers=HTML)
        kana = {m.code: m.kana for m in get_registry().home()}
        readings = [kana[c] for c in _row_codes(r.text)]
        assert readings == sorted(readings) and len(readings) == 62

    async def test_sort_by_score_rank_and_case(
        self,
        demo: dict[str, ServiceHarness],
        gateway: httpx.AsyncClient,
    ) -> None:
        latest = (await _latest(demo))["suishin"]
        r = await gateway.get("/", params={"sort": "score:suishin", "dir": "desc"}, headers=HTML)
        codes = _row_codes(r.text)
        rates = [latest[c]["score_rate"] for c in codes]
        assert rates == sorted(rates, reverse=True) and len(codes) == 62
        assert codes[0] == "132101"  # 小金井市, the demo's best
        assert 'aria-sort="descending"' in r.text
        # The header link now flips the direction.
        assert 'href="/?sort=score%3Asuishin&amp;dir=asc"' in r.text
        r = await gateway.get("/", params={"sort": "score:suishin", "dir": "asc"}, headers=HTML)
        rates = [latest[c]["score_rate"] for c in _row_codes(r.text)]
        assert rates == sorted(rates) and rates[0] <= 0.3

        # Rank within the region class, inside a filter: the links keep the filter, the
        # filter form keeps the sort.
        r = await gateway.get(
            "/", params={"region_class": "市部", "sort": "rank:suishin"}, headers=HX
        )
        codes = _row_codes(r.text)
        ranks = [latest[c]["peer_rank"] for c in codes]
        assert len(codes) == 26 and ranks == sorted(ranks) and ranks[0] == 1
        assert 'href="/?region_class=%E5%B8%82%E9%83%A8&amp;sort=name&amp;dir=asc"' in r.text
        assert '<input type="hidden" name="sort" value="rank:suishin">' in r.text

        # Case status along the status machine, rows without a case last (by code).
        r = await gateway.get("/", params={"sort": "case", "dir": "desc"}, headers=HTML)
        codes = _row_codes(r.text)
        # 実施・検証 (八王子市), ヒアリング (世田谷区), 選定 (檜原村), then the rest by code.
        assert codes[:3] == [HACHIOJI, "131121", HINOHARA]
        assert codes[3:] == sorted(codes[3:])


class TestProfile:
    async def test_shows_scores_charts_recover_case_training_and_kotei_hyo(
        self,
        demo: dict[str, ServiceHarness],
        gateway: httpx.AsyncClient,
    ) -> None:
        r = await gateway.get(f"/municipalities/{HACHIOJI}", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert "<h1>八王子市 <small>はちおうじし</small></h1>" in t
        e = (await _latest(demo))["suishin"][HACHIOJI]
        assert f"<strong>{e['total']:g}</strong> / {e['max_points']:g}点" in t
        assert f"{e['peer_rank']}位 / {e['peer_rank_of']}団体（市部）" in t

        # Radar: the category codes as axes, this municipality against its peers and Tokyo.
        radar = t.split('<svg class="chart radar"')[1].split("</svg>")[0]
        labels = re.findall(r'<text class="label"[^>]*>([^<]+)</text>', radar)
        assert labels == ["Ⅰ", "Ⅱ", "Ⅲ"]
        assert "<title>本団体</title>" in radar and "<title>類似団体平均 (市部)</title>" in radar
        assert "<title>東京都平均</title>" in radar
        rate_i = next(c["score_rate"] for c in e["categories"] if c["code"] == "Ⅰ")
        assert f"本団体: Ⅰ {rate_i * 100:.1f}%" in radar  # the chart's description
        fid = await _latest_framework(demo)
        averages = await direct(
            demo["indicators"],
            f"/api/v1/frameworks/{fid}/averages",
            prefecture="13",
            group_set="region_class",
        )
        peers = next(g for g in averages["groups"] if g["group"] == "市部")
        peer_ii = next(c for c in peers["categories"] if c["code"] == "Ⅱ")["mean_score_rate"]
        assert f"{peer_ii * 100:.1f}%" in t.split('aria-label="推進交付金 カテゴリ別得点率"')[1]

        # Year over year: the demo's two grant years, this year's total and last year's.
        assert '<svg class="chart line"' in t
        yoy = t.split('id="yoy-table"')[1].split("</table>")[0]
        assert "令和元年度" in yoy and "令和2年度" in yoy
        assert f">{e['previous_total']:g}</td>" in yoy and f">{e['total']:g}</td>" in yoy

        # 取り戻す指標, as the service lists them.
        rec = await direct(
            demo["indicators"], f"/api/v1/frameworks/{fid}/recover", entity_code=HACHIOJI
        )
        assert rec["items"]
        recover = t.split('id="recover"')[1].split("</section>")[0]
        for it in rec["items"]:
            mark = ' <span class="badge st-provisional" title="暫定の配点">暫定</span>'
            mark = mark if it["provisional"] else ""
            assert f'<th scope="row">{it["item_code"]}{mark}</th><td>{it["text"]}</td>' in recover
        assert rec["rests_on_provisional"] and "暫定の配点に基づく取り戻す指標です" in recover

        # The support case card.
        case = t.split('class="card case-card"')[1].split("</article>")[0]
        assert '<span class="status st-実施検証">実施・検証</span>' in case
        assert "介護予防" in case and "山田 花子、鈴木 美穂" in case
        assert 'aria-current="step">実施・検証</li>' in case
        cases = await direct(demo["support_cases"], "/api/v1/cases", municipality_code=HACHIOJI)
        assert f'<a href="/support/cases/{cases[0]["id"]}">支援の記録を開く</a>' in case
        assert "0件 / 1件" in case  # roadmap: one item, none done

        # Training history.
        part = await direct(
            demo["training"], "/api/v1/participation", fiscal_year=FY, municipality_code=HACHIOJI
        )
        row = part["municipalities"][0]
        assert re.search(rf'id="t-completers">{row["completers"]}<', t)
        assert re.search(rf'id="t-sessions">{row["sessions_attended"]}<', t)
        for kind in row["sessions_attended_by_kind"]:
            assert f'<th scope="row">{kind}</th>' in t
        assert "取組と目標のシートは登録されていません" in t

        # 檜原村: a case at its first step and a 工程表 that is late.
        t = (await gateway.get(f"/municipalities/{HINOHARA}", headers=HTML)).text
        assert 'aria-current="step">選定</li>' in t
        status = await direct(
            demo["training"], "/api/v1/kotei-hyo/status", fiscal_year=FY, municipality_code=HINOHARA
        )
        assert status and status[0]["status"] == "遅れ"
        kotei = t.split('aria-label="工程表の状況"')[1].split("</table>")[0]
        assert '<span class="status st-遅れ">遅れ</span>' in kotei
        assert f"{status[0]['done']} / {status[0]['steps']}" in kotei

    async def test_print_stylesheet_fits_a4(self, gateway: httpx.AsyncClient) -> None:
        css = (await gateway.get("/static/app.css")).text
        section = css.split("/* dashboard and municipality profile */")[1]
        assert "@media print" in section and "break-before: page" in section
        assert "size: A4" in css


class TestMunicipalityUser:
    async def test_sees_only_its_own_row_and_profile(
        self,
        demo: dict[str, ServiceHarness],
        gateway_factory: GatewayFactory,
    ) -> None:
        gw = await gateway_factory(role="municipality", municipality=HACHIOJI)
        r = await gw.get("/", headers=HTML)
        assert r.status_code == 200
        assert _row_codes(r.text) == [HACHIOJI]
        assert f'href="/municipalities/{HACHIOJI}">自団体の詳細を開く' in r.text
        assert "応答しない" not in r.text  # every service answers a municipality user
        assert re.search(r'id="count-cases">1<', r.text)

        own = await gw.get(f"/municipalities/{HACHIOJI}", headers=HTML)
        assert own.status_code == 200 and "実施・検証" in own.text
        other = await gw.get(f"/municipalities/{HINOHARA}", headers=HTML)
        assert other.status_code == 404
        assert '<html lang="ja">' in other.text and "区市町村の情報が見つかりません" in other.text
        assert "檜原村" not in other.text


class TestDegraded:
    async def test_training_down(
        self,
        demo: dict[str, ServiceHarness],
        gateway_factory: GatewayFactory,
    ) -> None:
        gw = await gateway_factory({"training": RefusingTransport()})
        r = await gw.get("/", headers=HTML)
        assert r.status_code == 200
        t = r.text
        assert "研修のサービスが応答しないため" in t
        assert len(_row_codes(t)) == 62
        latest = (await _latest(demo))["suishin"]
        row = _row(t, HACHIOJI)
        assert _pct(latest[HACHIOJI]["score_rate"]) in row and "実施・検証" in row
        assert '<td class="training"></td>' in row
        assert 'id="count-sessions"' not in t and 'id="count-reached"' not in t
        assert re.search(r'id="count-cases">3<', t)

        r = await gw.get(f"/municipalities/{HACHIOJI}", headers=HTML)
        assert r.status_code == 200
        assert "研修のサービスが応答しないため、受講の状況を表示できません" in r.text
        assert '<svg class="chart radar"' in r.text and "実施・検証" in r.text

    async def test_indicators_down(
        self,
        demo: dict[str, ServiceHarness],
        gateway_factory: GatewayFactory,
    ) -> None:
        gw = await gateway_factory({"indicators": RefusingTransport()})
        r = await gw.get("/", headers=HTML)
        assert r.status_code == 200 and "評価指標のサービスが応答しないため" in r.text
        row = _row(r.text, HACHIOJI)
        assert "scorebar" not in row and "実施・検証" in row and "受講あり" in row
        assert 'id="count-flagged"' not in r.text and re.search(r'id="count-cases">3<', r.text)

        r = await gw.get(f"/municipalities/{HACHIOJI}", headers=HTML)
        assert r.status_code == 200
        t = r.text
        assert "評価指標のサービスが応答しないため" in t
        assert "<svg" not in t
        assert "実施・検証" in t and 'id="t-completers"' in t


class TestServiceCalls:
    async def test_each_page_makes_a_fixed_set_of_calls(
        self,
        demo: dict[str, ServiceHarness],
        gateway_factory: GatewayFactory,
    ) -> None:
        rec = {n: RecordingTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
        gw = await gateway_factory(dict(rec))

        def sent(with_query: bool = False) -> list[str]:
            out = sorted(
                f"{n} {q.url.path}" + (f"?{q.url.query.decode()}" if with_query else "")
                for n, t in rec.items()
                for q in t.requests
            )
            for t in rec.values():
                t.requests.clear()
            return out

        sent()  # logging in opened the home page once
        assert (await gw.get("/", headers=HTML)).status_code == 200
        # One read per service: the dashboard's rows come in one answer, not per grant or row.
        assert sent(with_query=True) == [
            "indicators /api/v1/views/dashboard?prefecture=13&peer_set=region_class",
            f"support_cases /api/v1/cases?fiscal_year={FY}",
            f"training /api/v1/views/dashboard?fiscal_year={FY}",
        ]

        assert (await gw.get(f"/municipalities/{HACHIOJI}", headers=HTML)).status_code == 200
        # The profile: one read per service, whatever the number of grants and years.
        assert sent(with_query=True) == [
            f"indicators /api/v1/views/municipalities/{HACHIOJI}"
            "?prefecture=13&group_set=region_class&years=6&pdca=true",
            f"support_cases /api/v1/cases?municipality_code={HACHIOJI}",
            f"training /api/v1/views/municipalities/{HACHIOJI}?fiscal_year={FY}",
        ]
