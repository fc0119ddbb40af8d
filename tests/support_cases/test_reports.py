"""The report: lessons with versions, HTML, and a DOCX that opens with python-docx."""

import io

import docx
import pytest

from tests.support_cases.factories import (
    CITY,
    NEIGHBOUR,
    add_initiative,
    add_item,
    add_node,
    add_visit,
    make_advisor,
    make_case,
    make_round,
    ok,
)


@pytest.fixture
async def case(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        adv = await make_advisor(c)
        case = await make_case(c, CITY, advisor_ids=[adv["id"]], observers=[NEIGHBOUR])
        cid = case["id"]
        await add_visit(c, cid, adv["id"], visit_date="2025-07-10", notes="参加者の固定化を確認")
        root = await add_node(c, cid, "通いの場の参加率が低い")
        men = await add_node(c, cid, "男性が参加しない", root["id"], evidence="参加者の85%が女性")
        await add_node(c, cid, "誘い合う仕組みがない", men["id"], is_hypothesis=True)
        await add_node(c, cid, "会場が駅から遠い", root["id"])
        ini = await add_initiative(c, cid, men["id"], title="男性向け将棋×体操教室")
        await add_initiative(c, cid, men["id"], chosen=False, title="ポスター掲示")
        await add_item(c, cid, ini["id"])
    return case


class TestLessons:
    async def test_lessons_are_versioned_and_stale_saves_get_409(self, support_cases, case):
        url = f"/api/v1/cases/{case['id']}/report/lessons"
        async with support_cases.client() as c:
            empty = await ok(await c.get(url))
            v1 = await ok(await c.put(url, json={"lessons": "初稿", "version": 0}))
            v2 = await ok(await c.put(url, json={"lessons": "第2稿", "version": 1}))
            stale = await c.put(url, json={"lessons": "古い版から", "version": 1})
            now = await ok(await c.get(url))
        assert (empty["version"], empty["lessons"]) == (0, "")
        assert (v1["version"], v2["version"]) == (1, 2)
        assert stale.status_code == 409
        assert now["lessons"] == "第2稿"
        assert [r["lessons"] for r in now["revisions"]] == ["第2稿", "初稿"]

    async def test_advisor_cannot_edit_lessons(self, support_cases, case):
        async with support_cases.client() as c:
            await ok(
                await c.patch(
                    f"/api/v1/advisors/{case['advisors'][0]['id']}",
                    json={"actor_id": "u-advisor", "version": 1},
                )
            )
        async with support_cases.client("advisor") as a:
            r = await a.put(
                f"/api/v1/cases/{case['id']}/report/lessons", json={"lessons": "x", "version": 0}
            )
        assert r.status_code == 403


class TestReportExport:
    async def test_docx_opens_and_holds_the_tree_as_an_outline(self, support_cases, case):
        async with support_cases.client() as c:
            await ok(
                await c.put(
                    f"/api/v1/cases/{case['id']}/report/lessons",
                    json={"lessons": "データは打合せの場で持ってきてもらう", "version": 0},
                )
            )
            r = await c.get(f"/api/v1/cases/{case['id']}/report.docx")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        document = docx.Document(io.BytesIO(r.content))
        paragraphs = [p for p in document.paragraphs]
        texts = [p.text for p in paragraphs]
        body = "\n".join(texts)
        for statement in (
            "通いの場の参加率が低い",
            "男性が参加しない",
            "誘い合う仕組みがない［仮説］",
            "会場が駅から遠い",
        ):
            assert statement in texts
        indent = {p.text: p.paragraph_format.left_indent or 0 for p in paragraphs}
        assert indent["通いの場の参加率が低い"] < indent["男性が参加しない"]
        assert indent["男性が参加しない"] < indent["誘い合う仕組みがない［仮説］"]
        assert "根拠: 参加者の85%が女性" in texts
        assert "データは打合せの場で持ってきてもらう" in texts
        assert "参加者の固定化を確認" in texts
        assert "男性向け将棋×体操教室" in body
        assert "ポスター掲示" not in body  # not chosen
        table = document.tables[0]
        assert [c.text for c in table.rows[1].cells][0] == "男性向け将棋×体操教室"
        assert table.rows[1].cells[7].text == "2026年度"
        assert "日野市" in body  # observer
        assert "ロードマップの進捗: 1 項目中 0 項目が完了" in texts

    async def test_html_report_escapes_and_shows_every_section(self, support_cases, case):
        async with support_cases.client() as c:
            await ok(
                await c.patch(
                    f"/api/v1/cases/{case['id']}",
                    json={"results": "<b>男性参加 120→150人</b>", "version": case["version"]},
                )
            )
            r = await c.get(f"/api/v1/cases/{case['id']}/report.html")
        assert r.status_code == 200
        html = r.text
        for heading in (
            "1. 背景",
            "2. ヒアリング",
            "3. 問題の構造",
            "4. 選定した取組",
            "5. ロードマップ",
        ):
            assert heading in html
        assert "誘い合う仕組みがない" in html
        assert "&lt;b&gt;男性参加 120→150人&lt;/b&gt;" in html
        assert "八王子市" in html
