"""The report cites 好事例 of the 取組と目標 (pdca-good-practice:{id}) with the snapshot the
gateway passes; JSON, HTML and DOCX show them; bad references are refused, nothing written."""

import io

import docx
import pytest

from tests.support_cases.factories import CITY, make_advisor, make_case, make_round, ok

CITE = {
    "reference": "pdca-good-practice:3",
    "title": "住民主体の見守り・移動支援",
    "entity_name": "檜原村",
    "note": "移動支援の広げ方",
}


@pytest.fixture
async def case(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        adv = await make_advisor(c)
        return await make_case(c, CITY, advisor_ids=[adv["id"]])


class TestCitations:
    async def test_cited_good_practice_is_in_every_form_of_the_report(self, support_cases, case):
        url = f"/api/v1/cases/{case['id']}/report"
        async with support_cases.client() as c:
            saved = await ok(
                await c.put(
                    f"{url}/lessons",
                    json={"lessons": "示唆", "version": 0, "citations": [CITE, CITE]},
                )
            )
            kept = await ok(await c.put(f"{url}/lessons", json={"lessons": "第2稿", "version": 1}))
            data = await ok(await c.get(url))
            html = (await c.get(f"{url}.html")).text
            raw = (await c.get(f"{url}.docx")).content
        assert saved["citations"] == [CITE]  # each reference once
        assert kept["citations"] == [CITE]  # omitted: unchanged
        assert data["citations"] == [CITE]
        assert "参考にした好事例" in html and "[pdca-good-practice:3]" in html
        texts = [p.text for p in docx.Document(io.BytesIO(raw)).paragraphs]
        assert (
            "檜原村: 住民主体の見守り・移動支援 — 移動支援の広げ方 [pdca-good-practice:3]" in texts
        )

    async def test_a_bad_reference_is_refused_and_nothing_changes(self, support_cases, case):
        url = f"/api/v1/cases/{case['id']}/report/lessons"
        async with support_cases.client() as c:
            await ok(await c.put(url, json={"lessons": "初稿", "version": 0, "citations": [CITE]}))
            bad = await c.put(
                url,
                json={
                    "lessons": "変更",
                    "version": 1,
                    "citations": [{**CITE, "reference": "good-practice:3"}],
                },
            )
            after = await ok(await c.get(url))
        assert bad.status_code == 422
        assert any("citations" in e["loc"] for e in bad.json()["errors"])
        assert (after["lessons"], after["citations"], after["version"]) == ("初稿", [CITE], 1)
