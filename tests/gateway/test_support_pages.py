"""Companion-support pages (伴走型支援) through the gateway wired in-process to the real
services, loaded with their demo data."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import httpx
import pytest
from docx import Document

from services.common.fiscal import fiscal_year_of
from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_shell import RecordingTransport, RefusingTransport

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
FY = fiscal_year_of(date.today())


async def _load(services: dict[str, ServiceHarness], names: tuple[str, ...]) -> None:
    # the demo data is loaded once and restored from a snapshot (tests/conftest.py)
    for name in names:
        await services[name].with_demo()


@pytest.fixture
async def demo(all_services: dict[str, ServiceHarness]) -> dict[str, ServiceHarness]:
    """The support_cases demo (the case pages need nothing else)."""
    await _load(all_services, ("support_cases",))
    return all_services


@pytest.fixture
async def demo_with_scores(all_services: dict[str, ServiceHarness]) -> dict[str, ServiceHarness]:
    """The support_cases and indicators demos (the ranking needs the scores)."""
    await _load(all_services, ("support_cases", "indicators"))
    return all_services


async def _api(h: ServiceHarness, method: str, path: str, **kw: Any) -> Any:
    async with h.client() as c:
        r = await c.request(method, path, **kw)
        assert r.status_code < 300, r.text
        return r.json()


async def _case(h: ServiceHarness, name: str) -> dict[str, Any]:
    cases = await _api(h, "GET", "/api/v1/cases", params={"fiscal_year": FY})
    return next(c for c in cases if c["municipality_name"] == name)


def _nodes(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not node:
        return []
    out = [node]
    for c in node["children"]:
        out += _nodes(c)
    return out


async def _tree(h: ServiceHarness, case_id: int) -> dict[str, dict[str, Any]]:
    tree = await _api(h, "GET", f"/api/v1/cases/{case_id}/tree")
    return {n["statement"]: n for n in _nodes(tree["root"])}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _section(html: str, element_id: str) -> str:
    """From the element with ``element_id`` to the end of the page (enough to search in)."""
    return html.split(f'id="{element_id}"', 1)[1]


def _children_of(html: str, node_id: int) -> str:
    """The HTML of a node's subtree (its <li> to the matching </li>)."""
    start = html.index(f'<li id="node-{node_id}"')
    depth, i = 0, start
    for m in re.finditer(r"<li\b|</li>", html[start:]):
        depth += 1 if m.group(0) == "<li" else -1
        if depth == 0:
            i = start + m.end()
            break
    return html[start:i]


class TestRoundPage:
    async def test_lists_applications_ranking_balance_and_the_three_cases(
        self, demo_with_scores: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/support", params={"fiscal_year": FY}, headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        apps = t.split('id="applications"')[1].split("</table>")[0]
        names = re.findall(r'<tr id="app-\d+">\s*<th scope="row">([^<]+)<', apps)
        assert names == ["港区", "世田谷区", "八王子市", "町田市", "檜原村", "奥多摩町"]
        assert "通いの場の参加率が伸び悩み、参加者が固定化している" in apps
        assert "市部は八王子市を選定。次年度の応募を案内" in apps  # 町田市's 見送り reason
        assert apps.count('aria-label="港区を選定"') == 1
        # Region balance: one selected in each class, against the default targets of 1.
        balance = _text(t.split('id="region-balance"')[1].split("</table>")[0])
        assert "区部 1 1 (世田谷区)" in balance
        assert "市部 1 1 (八王子市)" in balance
        assert "町村部 1 1 (檜原村)" in balance
        # The ranking from the combined logic: applicants first, each with its reasons.
        ranking = t.split('id="ranking"')[1].split("</table>")[0]
        ranked = re.findall(r'<td class="num">(\d+)</td><th scope="row">([^<]+)<', ranking)
        assert [n for _, n in ranked[:6]] == [
            "港区", "八王子市", "檜原村", "奥多摩町", "世田谷区", "町田市"
        ]  # fmt: skip
        assert "支援を希望 (提出): 計画の目標と事業の実績がつながっていない" in ranking
        assert "類似団体" in ranking and "推薦" in ranking
        # The cases with status, advisors, visits and roadmap progress.
        cases = _text(t.split('id="cases"')[1].split("</table>")[0])
        assert "世田谷区 区部 認知症 ヒアリング 佐藤 一郎 0回" in cases
        assert "八王子市 市部 介護予防 実施・検証 山田 花子、鈴木 美穂 2回" in cases
        assert "0件 / 1件（0%）" in cases
        assert "檜原村 町村部 計画の進捗管理 選定 鈴木 美穂 0回" in cases

    async def test_decision_by_htmx_swaps_the_row_and_needs_a_reason_to_pass(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        apps = await _api(sc, "GET", "/api/v1/applications", params={"fiscal_year": FY})
        okutama = next(a for a in apps if a["municipality_name"] == "奥多摩町")
        url = f"/support/applications/{okutama['id']}/decision"
        form = {"status": "見送り", "reason": "", "version": okutama["version"], "fiscal_year": FY}
        r = await gateway.post(url, data=form, headers=HX)
        assert r.status_code == 200
        assert r.text.lstrip().startswith(f'<tr id="app-{okutama["id"]}">')
        assert 'role="alert"' in r.text and "理由" in _text(r.text)
        r = await gateway.post(url, data={**form, "reason": "町村部は檜原村を選定"}, headers=HX)
        assert r.status_code == 200
        assert "奥多摩町を見送りにしました。" in r.text and "町村部は檜原村を選定" in r.text
        after = await _api(sc, "GET", f"/api/v1/applications/{okutama['id']}")
        assert after["status"] == "見送り" and after["decision_reason"] == "町村部は檜原村を選定"

    async def test_plain_decision_redirects_back_to_the_round(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        apps = await _api(demo["support_cases"], "GET", "/api/v1/applications")
        minato = next(a for a in apps if a["municipality_name"] == "港区")
        r = await gateway.post(
            f"/support/applications/{minato['id']}/decision",
            data={"status": "見送り", "reason": "区部は世田谷区", "version": minato["version"]},
            headers=HTML,
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith(f"/support?fiscal_year={FY}#app-{minato['id']}")


class TestCasePage:
    async def test_stepper_shows_the_demo_status_and_the_allowed_next_step(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        for name, status, nxt in (
            ("八王子市", "実施・検証", "報告"),
            ("檜原村", "選定", "ヒアリング"),
        ):
            c = await _case(demo["support_cases"], name)
            r = await gateway.get(f"/support/cases/{c['id']}", headers=HTML)
            assert r.status_code == 200, r.text
            stepper = r.text.split('id="stepper"')[1].split("</section>")[0]
            current = re.findall(
                r'aria-current="step">\s*<span class="step-name">([^<]+)<', stepper
            )
            assert current == [status], name
            assert f"「{nxt}」へ進める" in stepper
            assert stepper.count('class="step done"') == STEP_INDEX[status]

    async def test_refused_transition_shows_the_service_reason(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "世田谷区")  # ヒアリング, no visit recorded yet
        r = await gateway.post(
            f"/support/cases/{c['id']}/transitions",
            data={"to_status": "課題分析", "version": c["version"]},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<section id="stepper"')
        assert 'role="alert"' in r.text and "ヒアリング" in r.text
        assert (await _case(sc, "世田谷区"))["status"] == "ヒアリング"
        # The same as a plain post is the page with the message and the service's 409.
        r = await gateway.post(
            f"/support/cases/{c['id']}/transitions",
            data={"to_status": "課題分析", "version": c["version"]},
            headers=HTML,
        )
        assert r.status_code == 409 and '<html lang="ja">' in r.text

    async def test_allowed_transition_moves_the_case_on(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "檜原村")
        r = await gateway.post(
            f"/support/cases/{c['id']}/transitions",
            data={"to_status": "ヒアリング", "version": c["version"]},
            headers=HX,
        )
        assert r.status_code == 200
        assert "状態を「ヒアリング」に進めました。" in r.text
        assert (await _case(sc, "檜原村"))["status"] == "ヒアリング"

    async def test_shows_visits_tree_initiatives_and_report(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        c = await _case(demo["support_cases"], "八王子市")
        r = await gateway.get(f"/support/cases/{c['id']}", headers=HTML)
        t = _text(r.text)
        assert "派遣・ヒアリング 2回" in t and "山田 花子 (3.0時間)、鈴木 美穂 (3.0時間)" in t
        assert "同席: 日野市" in t
        assert "ロジックツリー 5ノード・深さ2" in t
        assert r.text.count('<span class="badge hypo">仮説</span>') == 2
        assert "男性向け「将棋×筋トレ」教室の試行" in t and "取組 2件 (選定 1件)" in t

    async def test_adding_a_visit_records_it_in_the_service(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "世田谷区")
        advisor = c["advisors"][0]["id"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/visits",
            data={
                "visit_date": f"{FY}-09-03",
                "kind": "ヒアリング",
                "place": "世田谷区役所",
                "advisor_id": advisor,
                "hours": "2.5",
                "notes": "初期集中支援チームの実績を確認",
                "issues_found": "つなぎの窓口が分かりにくい\n医師会との連絡が少ない",
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="visits"')
        assert "派遣・ヒアリングを記録しました。" in r.text and "医師会との連絡が少ない" in r.text
        visits = await _api(sc, "GET", f"/api/v1/cases/{c['id']}/visits")
        assert [v["advisor_hours"] for v in visits] == [2.5]
        # Without an advisor the form comes back with the message and what was typed.
        r = await gateway.post(
            f"/support/cases/{c['id']}/visits",
            data={"visit_date": f"{FY}-09-10", "notes": "入力を残す", "hours": "二時間"},
            headers=HTML,
        )
        assert r.status_code == 422
        assert "派遣した専門家を選んでください。" in r.text and "入力を残す" in r.text
        assert "時間は数字で入力してください" in r.text


class TestInitiatives:
    async def test_adding_an_initiative_needs_a_reason_when_chosen(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        node = (await _tree(sc, c["id"]))["西部には会場に使える集会所が少ない"]
        form = {"node_id": node["id"], "title": "公民館の空き時間を借りる", "chosen": "1"}
        r = await gateway.post(f"/support/cases/{c['id']}/initiatives", data=form, headers=HX)
        assert r.status_code == 200 and r.text.lstrip().startswith('<section id="initiatives"')
        assert 'role="alert"' in r.text and 'value="公民館の空き時間を借りる"' in r.text
        r = await gateway.post(
            f"/support/cases/{c['id']}/initiatives",
            data={**form, "reason": "費用がかからない"},
            headers=HX,
        )
        assert "取組を追加しました。" in r.text and "取組 3件 (選定 2件)" in _text(r.text)
        inits = await _api(sc, "GET", f"/api/v1/cases/{c['id']}/initiatives")
        mine = next(i for i in inits if i["title"] == "公民館の空き時間を借りる")
        assert mine["chosen"] is True and mine["node_id"] == node["id"]


STEP_INDEX = {"選定": 0, "ヒアリング": 1, "実施・検証": 5}


class TestLogicTree:
    async def test_adding_a_child_creates_it_and_swaps_the_parent_subtree(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        parent = (await _tree(sc, c["id"]))["男性の参加が少ない"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes",
            data={
                "parent_id": parent["id"],
                "statement": "男性が誘い合う仕組みがない",
                "evidence": "",
                "is_hypothesis": "1",
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.headers["HX-Retarget"] == f"#node-{parent['id']}"
        assert r.text.lstrip().startswith(f'<li id="node-{parent["id"]}"')
        assert "<html" not in r.text and "男性が誘い合う仕組みがない" in r.text
        # The count in the heading is updated out of band.
        assert '<small id="tree-count" hx-swap-oob="true">6ノード・深さ2</small>' in r.text
        assert "体操中心の内容が男性の関心に合わない" in r.text  # the sibling is still there
        assert '<span class="stmt">会場が市東部に偏っている' not in r.text  # only the changed part
        node = (await _tree(sc, c["id"]))["男性が誘い合う仕組みがない"]
        assert node["parent_id"] == parent["id"] and node["is_hypothesis"] is True
        assert node["depth"] == 2

    async def test_moving_under_its_own_descendant_shows_the_service_message(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        before = await _tree(sc, c["id"])
        node, child = before["男性の参加が少ない"], before["体操中心の内容が男性の関心に合わない"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}/move",
            data={"parent_id": child["id"], "version": node["version"]},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.headers["HX-Retarget"] == f"#node-{node['id']}"
        problem = await _move_problem(sc, c["id"], node, child)
        assert problem["status"] == 422
        assert problem["detail"] in r.text and 'role="alert"' in r.text
        assert await _tree(sc, c["id"]) == before  # nothing moved
        # The page itself only offers allowed targets: not its descendants nor its parent.
        page = await gateway.get(f"/support/cases/{c['id']}", headers=HTML)
        options = page.text.split(f'id="mv-{node["id"]}"')[1].split("</select>")[0]
        assert f'value="{child["id"]}"' not in options
        assert f'value="{before["通いの場の参加率が伸びない"]["id"]}"' not in options
        assert f'value="{before["会場が市東部に偏っている"]["id"]}"' in options

    async def test_move_swaps_the_subtree_holding_both_parents(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        before = await _tree(sc, c["id"])
        node = before["西部には会場に使える集会所が少ない"]
        target = before["男性の参加が少ない"]
        root = before["通いの場の参加率が伸びない"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}/move",
            data={"parent_id": target["id"], "version": node["version"]},
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.headers["HX-Retarget"] == f"#node-{root['id']}"
        assert "「男性の参加が少ない」の下へ移動しました。" in r.text
        assert "西部には会場に使える集会所が少ない" in _children_of(r.text, target["id"])
        after = (await _tree(sc, c["id"]))["西部には会場に使える集会所が少ない"]
        assert after["parent_id"] == target["id"]

    async def test_reorder_buttons_swap_siblings(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        before = await _tree(sc, c["id"])
        root = before["通いの場の参加率が伸びない"]
        venue = before["会場が市東部に偏っている"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{venue['id']}/reorder",
            data={"direction": "up"},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.headers["HX-Retarget"] == f"#node-{root['id']}"
        tree = await _api(sc, "GET", f"/api/v1/cases/{c['id']}/tree")
        assert [n["statement"] for n in tree["root"]["children"]] == [
            "会場が市東部に偏っている",
            "男性の参加が少ない",
        ]
        assert r.text.index("会場が市東部に偏っている") < r.text.index("男性の参加が少ない")

    async def test_edit_saves_statement_codes_and_hypothesis(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        node = (await _tree(sc, c["id"]))["体操中心の内容が男性の関心に合わない"]
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}",
            data={
                "version": node["version"],
                "statement": "体操中心の内容が男性の関心に合わない",
                "evidence": "男性参加者3名の聞き取り",
                "indicator_item_codes": "Ⅱ(3)①、Ⅱ(3)②",
            },
            headers=HX,
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith(f'<li id="node-{node["id"]}"')
        assert "保存しました。" in r.text and "<code>Ⅱ(3)②</code>" in r.text
        saved = (await _tree(sc, c["id"]))["体操中心の内容が男性の関心に合わない"]
        assert saved["is_hypothesis"] is False  # the box was left unticked
        assert saved["indicator_item_codes"] == ["Ⅱ(3)①", "Ⅱ(3)②"]
        assert saved["evidence"] == "男性参加者3名の聞き取り"
        # The 仮説 toggle is its own small request.
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}/hypothesis",
            data={"version": saved["version"], "is_hypothesis": "1"},
            headers=HX,
        )
        assert '<span class="badge hypo">仮説</span>' in r.text
        assert (await _tree(sc, c["id"]))[node["statement"]]["is_hypothesis"] is True

    async def test_stale_edit_shows_the_conflict_and_changes_nothing(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        node = (await _tree(sc, c["id"]))["男性の参加が少ない"]
        # Someone else saves first.
        await _api(
            sc,
            "PATCH",
            f"/api/v1/cases/{c['id']}/tree/nodes/{node['id']}",
            json={"version": node["version"], "statement": "男性の参加が1割台にとどまる"},
        )
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}",
            data={"version": node["version"], "statement": "古い版からの書き換え"},
            headers=HX,
        )
        assert r.status_code == 200
        assert "ほかの人が先にこのノードを変更しました" in r.text
        assert '<span class="current-statement">男性の参加が1割台にとどまる</span>' in r.text
        assert f'data-version="{node["version"] + 1}"' in r.text  # the form now has the new one
        tree = await _tree(sc, c["id"])
        assert "古い版からの書き換え" not in tree
        assert tree["男性の参加が1割台にとどまる"]["version"] == node["version"] + 1
        # As a plain post: the page with the conflict and 409.
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes/{node['id']}",
            data={"version": node["version"], "statement": "古い版からの書き換え"},
            headers=HTML,
        )
        assert r.status_code == 409 and "ほかの人が先にこのノードを変更しました" in r.text

    async def test_empty_tree_offers_the_root_form(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "檜原村")
        r = await gateway.get(f"/support/cases/{c['id']}", headers=HTML)
        assert "ロジックツリーはまだありません" in r.text
        r = await gateway.post(
            f"/support/cases/{c['id']}/tree/nodes",
            data={"statement": "計画の進捗を確かめる仕組みがない"},
            headers=HX,
        )
        assert r.headers["HX-Retarget"] == "#logic-tree"
        assert "計画の進捗を確かめる仕組みがない" in r.text and "問題" in r.text
        assert list(await _tree(sc, c["id"])) == ["計画の進捗を確かめる仕組みがない"]


async def _move_problem(
    sc: ServiceHarness, case_id: int, node: dict[str, Any], parent: dict[str, Any]
) -> dict[str, Any]:
    """What the service itself answers to the refused move (to compare the page with)."""
    async with sc.client() as c:
        r = await c.post(
            f"/api/v1/cases/{case_id}/tree/nodes/{node['id']}/move",
            json={"parent_id": parent["id"], "version": node["version"]},
        )
    return {"status": r.status_code, **r.json()}


class TestRoadmapAndReport:
    async def test_roadmap_bar_spans_its_months_with_milestones(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        c = await _case(demo["support_cases"], "八王子市")
        r = await gateway.get(f"/support/cases/{c['id']}/roadmap", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        # Months across: April of the case's FY to March (12 columns after the names).
        assert "--rm-months: 12" in t
        head = t.split('class="rm-row rm-head"')[1].split('<div class="rm-row"')[0]
        assert re.findall(r"(\d+)月</div>", head) == [str(m) for m in [*range(4, 13), 1, 2, 3]]
        # October (column 2 + 6) to March (last month, column 13): grid-column 8 / 14.
        bar = re.search(r'<div class="rm-bar rm-(\S+)" style="grid-column: (\d+) / (\d+)"', t)
        assert bar and bar.groups() == ("実施中", "8", "14")
        assert f'data-start="{FY}-10" data-end="{FY + 1}-03"' in t
        ms = re.findall(r'style="grid-column: (\d+)" data-month="([\d-]+)"', t)
        assert ms == [("8", f"{FY}-10"), ("12", f"{FY + 1}-02")]
        assert f'交付金への反映: <span class="first-grant">令和{FY + 1 - 2018}年度' in t

    async def test_report_preview_has_the_tree_and_lessons_are_versioned(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        r = await gateway.get(f"/support/cases/{c['id']}", headers=HTML)
        preview = r.text.split('id="report-preview"')[1]
        for statement in await _tree(sc, c["id"]):
            assert statement in preview
        assert "［仮説］" in preview and "<script" not in preview
        lessons = await _api(sc, "GET", f"/api/v1/cases/{c['id']}/report/lessons")
        url = f"/support/cases/{c['id']}/lessons"
        r = await gateway.post(
            url,
            data={"lessons": "名簿を持参してもらうと早い。", "version": lessons["version"]},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<section id="report"')
        assert f"示唆を保存しました (第{lessons['version'] + 1}版)。" in r.text
        assert "名簿を持参してもらうと早い。" in r.text.split('id="report-preview"')[1]
        # A stale save shows the conflict and the current text, keeping what was typed.
        r = await gateway.post(
            url, data={"lessons": "古い版の文章", "version": lessons["version"]}, headers=HX
        )
        assert "ほかの人が先に示唆を保存しました" in r.text
        assert "古い版の文章</textarea>" in r.text
        now = await _api(sc, "GET", f"/api/v1/cases/{c['id']}/report/lessons")
        assert now["lessons"] == "名簿を持参してもらうと早い。"

    async def test_docx_download_is_a_word_file_with_the_tree(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        c = await _case(demo["support_cases"], "八王子市")
        r = await gateway.get(f"/support/cases/{c['id']}/report.docx")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        assert "attachment" in r.headers["content-disposition"]
        doc = Document(io.BytesIO(r.content))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "男性の参加が少ない" in text and "通いの場の参加率が伸びない" in text

    async def test_unknown_case_is_a_404_page(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/support/cases/999999", headers=HTML)
        assert r.status_code == 404 and '<html lang="ja">' in r.text


class TestServiceDown:
    async def test_pages_render_with_the_notice(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(transports={"support_cases": RefusingTransport()})
        for url in ("/support", "/support/cases/1", "/support/cases/1/roadmap"):
            r = await gw.get(url, headers=HTML)
            assert r.status_code == 200, (url, r.status_code)
            assert "伴走型支援のサービスが応答しないため" in r.text, url
            assert '<nav class="subnav" aria-label="伴走型支援メニュー">' in r.text
        r = await gw.get("/support/cases/1/report.docx", headers=HTML)
        assert r.status_code == 503 and "伴走型支援のサービスが応答しません" in r.text
        r = await gw.post(
            "/support/cases/1/tree/nodes/1", data={"statement": "x", "version": 1}, headers=HX
        )
        assert r.status_code == 200 and "伴走型支援のサービスが応答しません" in r.text


class TestOtherRoles:
    async def test_municipality_staff_see_their_own_case_only(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        hachioji = await _case(demo["support_cases"], "八王子市")
        setagaya = await _case(demo["support_cases"], "世田谷区")
        gw = await gateway_factory(role="municipality", municipality="132012")
        r = await gw.get("/support", headers=HTML)
        assert r.status_code == 200, r.text
        cases = _text(r.text.split('id="cases"')[1].split("</table>")[0])
        assert "八王子市" in cases and "世田谷区" not in cases
        r = await gw.get(f"/support/cases/{hachioji['id']}", headers=HTML)
        assert r.status_code == 200 and "ロジックツリー" in r.text
        r = await gw.get(f"/support/cases/{setagaya['id']}", headers=HTML)
        assert r.status_code == 404
        # A write the service refuses (read-only for municipality staff) is a message.
        node = (await _tree(demo["support_cases"], hachioji["id"]))["男性の参加が少ない"]
        r = await gw.post(
            f"/support/cases/{hachioji['id']}/tree/nodes/{node['id']}",
            data={"version": node["version"], "statement": "書き換え"},
            headers=HX,
        )
        assert r.status_code == 200 and 'role="alert"' in r.text
        assert "書き換え" not in await _tree(demo["support_cases"], hachioji["id"])


class TestServiceCalls:
    async def test_each_page_makes_a_fixed_set_of_calls(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        sc = demo["support_cases"]
        c = await _case(sc, "八王子市")
        recorder = RecordingTransport(httpx.ASGITransport(app=sc.app))
        gw = await gateway_factory(transports={"support_cases": recorder})
        expected = {
            # the round, its applications and the year's cases in one read
            f"/support?fiscal_year={FY}": [f"/api/v1/views/rounds/{FY}"],
            f"/support/cases/{c['id']}": sorted(
                [
                    "/api/v1/advisors",
                    f"/api/v1/cases/{c['id']}",
                    f"/api/v1/cases/{c['id']}/initiatives",
                    f"/api/v1/cases/{c['id']}/report.html",
                    f"/api/v1/cases/{c['id']}/report/lessons",
                    f"/api/v1/cases/{c['id']}/roadmap",
                    f"/api/v1/cases/{c['id']}/tree",
                    f"/api/v1/cases/{c['id']}/visits",
                ]
            ),
        }
        for url, paths in expected.items():
            recorder.requests.clear()
            r = await gw.get(url, headers=HTML)
            assert r.status_code == 200
            assert sorted(q.url.path for q in recorder.requests) == paths, url
