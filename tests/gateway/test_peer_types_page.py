"""A municipality's peer type (類型) from the pages (issue #16): the coordinators' page lists
the 62 with default and current type and changes one (version checked, refusals on the form
with the choice kept); every view that shows or groups by peer type then shows the service's
current type, not the registry's default (one source)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_combined import FY, direct

HTML = {"Accept": "text/html"}
MINATO = "131032"  # 港区: 区部, 大都市型 in the registry


async def types_of(demo: dict[str, ServiceHarness]) -> dict[str, dict[str, Any]]:
    """The service's peer types (read directly, not through the gateway)."""
    body = await direct(demo["indicators"], "/api/v1/peer-types")
    return {x["entity_code"]: x for x in body["data"]}


def row(html: str, code: str) -> str:
    return html.split(f'id="pt-{code}"')[1].split("</tr>")[0]


def dashboard_row(html: str, code: str) -> str:
    return html.split(f'<tr data-code="{code}"')[1].split("</tr>")[0]


def dashboard_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-code="(\d{6})"', html)


class TestThePage:
    async def test_lists_the_62_and_a_coordinator_changes_one(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        index = await gateway.get("/indicators", headers=HTML)
        assert 'href="/indicators/peer-types"' in index.text
        r = await gateway.get("/indicators/peer-types", headers=HTML)
        assert r.status_code == 200, r.text
        assert len(re.findall(r'<tr id="pt-\d{6}"', r.text)) == 62
        minato = row(r.text, MINATO)
        assert "港区" in minato and minato.count("大都市型") >= 2 and "都の設定" not in minato
        assert "変更なし" in minato

        r = await gateway.post(
            f"/indicators/peer-types/{MINATO}",
            data={"peer_type": "都市型", "version": "0"},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith(f"/indicators/peer-types?saved={MINATO}#pt-{MINATO}")
        page = await gateway.get(r.headers["location"].split("#")[0], headers=HTML)
        assert "港区の類型を保存しました" in page.text
        minato = row(page.text, MINATO)
        assert '<td class="current">都市型 <span class="badge">都の設定</span>' in minato
        assert 'name="version" value="1"' in minato and "変更なし" not in minato
        stored = (await types_of(demo))[MINATO]
        assert (stored["peer_type"], stored["overridden"], stored["version"]) == ("都市型", True, 1)

        # back to the default: the empty choice sends null
        r = await gateway.post(
            f"/indicators/peer-types/{MINATO}", data={"peer_type": "", "version": "1"}, headers=HTML
        )
        assert r.status_code == 303, r.text
        stored = (await types_of(demo))[MINATO]
        assert (stored["peer_type"], stored["overridden"], stored["version"]) == (
            "大都市型",
            False,
            2,
        )

    async def test_a_stale_version_is_said_on_the_form_and_changes_nothing(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        before = await types_of(demo)
        r = await gateway.post(
            f"/indicators/peer-types/{MINATO}",
            data={"peer_type": "離島・中山間型", "version": "5"},
            headers=HTML,
        )
        assert r.status_code == 409, r.text
        minato = row(r.text, MINATO)
        assert 'role="alert"' in minato and "読み込んだ後に変更されています" in minato
        assert '<option value="離島・中山間型" selected>' in minato  # the choice is kept
        assert 'name="version" value="5"' in minato
        assert await types_of(demo) == before

    async def test_a_type_that_is_none_is_refused_before_the_service(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        before = await types_of(demo)
        for data in ({"peer_type": "中核市型", "version": "0"}, {"peer_type": "都市型"}):
            r = await gateway.post(f"/indicators/peer-types/{MINATO}", data=data, headers=HTML)
            assert r.status_code == 422, r.text
            assert 'role="alert"' in row(r.text, MINATO)
        assert "大都市型・都市型・離島・中山間型" in r.text or "版が読み取れません" in r.text
        assert await types_of(demo) == before

    async def test_read_only_roles_see_no_form_and_may_not_write(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        viewer = await gateway_factory(role="viewer")
        r = await viewer.get("/indicators/peer-types", headers=HTML)
        assert (
            r.status_code == 200
            and '<form method="post" action="/indicators/peer-types/' not in r.text
        )
        before = await types_of(demo)
        r = await viewer.post(
            f"/indicators/peer-types/{MINATO}",
            data={"peer_type": "都市型", "version": "0"},
            headers=HTML,
        )
        assert r.status_code == 403
        assert await types_of(demo) == before

    async def test_an_admin_follows_a_change_to_its_audit_trail(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        r = await admin.post(
            f"/indicators/peer-types/{MINATO}",
            data={"peer_type": "離島・中山間型", "version": "0"},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        page = await admin.get("/indicators/peer-types", headers=HTML)
        link = f"/admin/audit?entity_type=PeerTypeOverride&amp;entity_id={MINATO}"
        assert link in row(page.text, MINATO)
        trail = await admin.get(link.replace("&amp;", "&"), headers=HTML)
        assert trail.status_code == 200, trail.text
        assert "PeerTypeOverride" in trail.text and "離島・中山間型" in trail.text


class TestOneSource:
    async def test_the_views_show_the_type_set_on_the_page(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        """Set 港区 (大都市型 by default) to 都市型: the dashboard (column, filter, sort), the
        profile, the overview, the support candidates and the grant report show 都市型."""
        dash = await gateway.get("/", params={"peer_type": "都市型"}, headers=HTML)
        assert MINATO not in dashboard_codes(dash.text)

        r = await gateway.post(
            f"/indicators/peer-types/{MINATO}",
            data={"peer_type": "都市型", "version": "0"},
            headers=HTML,
        )
        assert r.status_code == 303, r.text

        dash = await gateway.get("/", headers=HTML)
        assert "<td>都市型</td>" in dashboard_row(dash.text, MINATO)
        dash = await gateway.get("/", params={"peer_type": "都市型"}, headers=HTML)
        assert MINATO in dashboard_codes(dash.text)
        dash = await gateway.get("/", params={"peer_type": "大都市型"}, headers=HTML)
        assert MINATO not in dashboard_codes(dash.text) and "131016" in dashboard_codes(dash.text)

        profile = await gateway.get(f"/municipalities/{MINATO}", headers=HTML)
        assert "<dt>比較の類型</dt><dd>都市型</dd>" in profile.text
        overview = await gateway.get(f"/api/v1/municipalities/{MINATO}/overview")
        assert overview.json()["municipality"]["peer_type"] == "都市型"

        cands = (await gateway.get("/api/v1/support-candidates")).json()
        minato = next(c for c in cands["candidates"] if c["code"] == MINATO)
        assert minato["peer_type"] == "都市型"

        report = (await gateway.get(f"/api/v1/grant-report/{FY}")).json()
        minato = next(m for m in report["municipalities"] if m["code"] == MINATO)
        assert minato["peer_type"] == "都市型"
        chiyoda = next(m for m in report["municipalities"] if m["code"] == "131016")
        assert chiyoda["peer_type"] == "大都市型"  # the others as they were
