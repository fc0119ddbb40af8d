"""Framework authoring, budgets and the national allocation basis in the pages (issue #15),
through the gateway wired to the real indicators service with its demo data. Every refused
write is followed by a read proving that nothing changed."""

from __future__ import annotations

import html as htmllib
import re

import httpx
import pytest

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
CHIYODA = "131016"


@pytest.fixture
async def demo(indicators: ServiceHarness) -> ServiceHarness:
    await indicators.with_demo()
    return indicators


async def api(h: ServiceHarness, path: str, **params):  # type: ignore[no-untyped-def]
    async with h.client() as c:
        r = await c.get(f"/api/v1{path}", params=params)
        assert r.status_code == 200, r.text
        return r.json()


async def fid_of(h: ServiceHarness, code: str) -> int:
    return next(f["id"] for f in await api(h, "/frameworks") if f["code"] == code)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def editor_form(html: str) -> dict[str, str]:
    """The tree editor's fields as the page renders them (what a browser would send)."""
    form = html.split('class="tree-edit"')[1].split("</form>")[0]
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        v = value.group(1) if value else ""
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        data[name.group(1)] = (
            v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<")
        )
    return data


def flatten(cats: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for c in cats:
        out[c["code"]] = c
        out.update(flatten(c["categories"]))
    return out


class TestFrameworkList:
    async def test_grouped_by_grant_and_level_with_state_and_source(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/indicators", headers=HTML)
        assert r.status_code == 200, r.text
        pref = await fid_of(demo, "suishin-prefecture-2019")
        muni = await fid_of(demo, "suishin-municipality-2019")
        group = r.text.split('id="group-suishin-municipality"')[1].split("</tbody>")[0]
        assert "保険者機能強化推進交付金 · 市町村分" in text(group)
        assert f'id="fw-{muni}"' in group and f'id="fw-{pref}"' not in group
        muni_row = group.split(f'id="fw-{muni}"')[1].split("</tr>")[0]
        assert '<span class="badge st-provisional"' in muni_row and ">暫定<" in muni_row
        pref_row = r.text.split(f'id="fw-{pref}"')[1].split("</tr>")[0]
        fw = await api(demo, f"/frameworks/{pref}")
        assert ">確定<" in pref_row and fw["source"]["document"] in htmllib.unescape(pref_row)
        assert 'action="/indicators/frameworks/copy"' in r.text  # staff may copy

    async def test_a_viewer_gets_no_copy_form(self, demo, gateway_factory: GatewayFactory) -> None:
        viewer = await gateway_factory(role="viewer")
        r = await viewer.get("/indicators", headers=HTML)
        assert r.status_code == 200 and "/indicators/frameworks/copy" not in r.text


class TestCopy:
    async def test_copy_fy2020_to_fy2021_opens_the_editor_marked_provisional(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.post(
            "/indicators/frameworks/copy",
            data={
                "pair": "suishin:municipality",
                "grant_fy": "2021",
                "source_document": "試験資料",
            },
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        new = next(
            f
            for f in await api(demo, "/frameworks", grant="suishin", level="municipality")
            if f["grant_fy"] == 2021
        )
        assert r.headers["location"] == f"/indicators/frameworks/{new['id']}/edit?saved=copy"
        assert new["state"] == "provisional" and new["source"]["document"] == "試験資料"
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "前年度の体系を複製して作りました" in page.text
        assert 'id="fw-state"' in page.text and ">暫定<" in page.text

    async def test_no_previous_year_is_refused_and_nothing_is_created(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        before = await api(demo, "/frameworks")
        r = await gateway.post(
            "/indicators/frameworks/copy",
            data={"pair": "suishin:prefecture", "grant_fy": "2030"},
            headers=HTML,
        )
        assert r.status_code == 422
        assert "2029年度の体系がないため、2030年度の体系を複製で作れません" in r.text
        assert 'value="2030"' in r.text  # what was typed is kept
        assert await api(demo, "/frameworks") == before

    async def test_an_existing_year_is_the_service_conflict(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        before = await api(demo, "/frameworks")
        r = await gateway.post(
            "/indicators/frameworks/copy",
            data={"pair": "suishin:municipality", "grant_fy": "2020"},
            headers=HTML,
        )
        assert r.status_code == 409
        assert 'id="copy-message"' in r.text
        assert await api(demo, "/frameworks") == before

    async def test_a_viewer_is_refused_by_the_service(
        self, demo: ServiceHarness, gateway_factory: GatewayFactory
    ) -> None:
        viewer = await gateway_factory(role="viewer")
        before = await api(demo, "/frameworks")
        r = await viewer.post(
            "/indicators/frameworks/copy",
            data={"pair": "suishin:municipality", "grant_fy": "2021"},
            headers=HTML,
        )
        assert r.status_code == 403
        assert await api(demo, "/frameworks") == before


class TestFrameworkPage:
    async def test_state_source_and_the_links_to_edit_and_import(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2019")
        r = await gateway.get(f"/indicators/frameworks/{fid}", headers=HTML)
        assert r.status_code == 200
        block = r.text.split('id="fw-source"')[1].split("</section>")[0]
        assert ">暫定<" in block and "暫定の配点を含みます" in block
        assert f'href="/imports/items?framework_id={fid}"' in block
        assert "一覧を取り込む" in block
        assert f'href="/indicators/frameworks/{fid}/edit"' in block
        # items whose points no document confirms carry the mark
        assert 'title="資料で確認できない配点">暫定<' in r.text


class TestMeta:
    async def test_confirm_with_a_source(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        fw = await api(demo, f"/frameworks/{fid}")
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/meta",
            data={
                "version": str(fw["version"]),
                "name": fw["name"],
                "state": "confirmed",
                "source_document": "令和2年度 評価指標 (試験)",
                "source_date": "2020-06-01",
                "source_page": "3",
            },
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        after = await api(demo, f"/frameworks/{fid}")
        assert after["state"] == "confirmed" and after["source"]["page"] == "3"
        page = await gateway.get(f"/indicators/frameworks/{fid}/results", headers=HTML)
        assert '<span class="badge st-confirmed" id="fw-state">確定</span>' in page.text

    async def test_stale_version_keeps_the_typed_values_and_changes_nothing(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        fw = await api(demo, f"/frameworks/{fid}")
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/meta",
            data={
                "version": str(fw["version"] + 5),
                "name": "打ち込んだ名称",
                "state": "provisional",
                "source_document": "打ち込んだ資料",
            },
            headers=HTML,
        )
        assert r.status_code == 409
        assert 'id="meta-message"' in r.text and "他の人が更新しました" in r.text
        assert 'value="打ち込んだ名称"' in r.text and 'value="打ち込んだ資料"' in r.text
        assert await api(demo, f"/frameworks/{fid}") == fw

    async def test_confirming_without_a_source_is_refused_before_the_service(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        fw = await api(demo, f"/frameworks/{fid}")
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/meta",
            data={"version": str(fw["version"]), "name": fw["name"], "state": "confirmed"},
            headers=HTML,
        )
        assert r.status_code == 422 and "出典 (資料名) を入力してください" in r.text
        assert await api(demo, f"/frameworks/{fid}") == fw


class TestTree:
    async def _editor(self, gateway: httpx.AsyncClient, fid: int) -> dict[str, str]:
        page = await gateway.get(f"/indicators/frameworks/{fid}/edit", headers=HTML)
        assert page.status_code == 200, page.text
        return editor_form(page.text)

    async def test_edit_add_remove_and_reorder_in_one_save(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        data = await self._editor(gateway, fid)
        rows = int(data["item_count"])
        codes = {data[f"item-{j}-code"]: j for j in range(rows) if data.get(f"item-{j}-code")}
        first, second = codes["Ⅰ-①"], codes["Ⅰ-②"]
        data[f"item-{first}-text"] = "見える化システムの活用 (改)"
        data[f"item-{first}-order"] = "999"  # to the end of its category
        blank = next(j for j in range(rows) if not data.get(f"item-{j}-code"))
        data |= {
            f"item-{blank}-category": "Ⅰ",
            f"item-{blank}-code": "Ⅰ-新",
            f"item-{blank}-text": "新しい指標",
            f"item-{blank}-max": "5",
            f"item-{blank}-min": "0",
            f"item-{blank}-alt": "",
            f"item-{blank}-order": "1",  # first
            f"item-{blank}-shared": "1",
        }
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "save"}, headers=HTML
        )
        assert r.status_code == 303, r.text
        after = await api(demo, f"/frameworks/{fid}")
        cat = flatten(after["categories"])["Ⅰ"]
        order = [it["code"] for it in cat["items"]]
        assert order[0] == "Ⅰ-新" and order[-1] == "Ⅰ-①"
        assert cat["items"][-1]["text"] == "見える化システムの活用 (改)"
        assert cat["items"][0]["shared"] is True and cat["items"][0]["max_points"] == 5
        assert after["max_points"] == fw["max_points"] + 5
        assert after["version"] == fw["version"] + 1
        # remove the new item again (unscored: no drop_scored needed)
        data = await self._editor(gateway, fid)
        j = next(k for k in range(int(data["item_count"])) if data.get(f"item-{k}-code") == "Ⅰ-新")
        data[f"item-{j}-delete"] = "1"
        assert second is not None
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "save"}, headers=HTML
        )
        assert r.status_code == 303, r.text
        again = await api(demo, f"/frameworks/{fid}")
        assert "Ⅰ-新" not in [it["code"] for it in flatten(again["categories"])["Ⅰ"]["items"]]
        assert again["max_points"] == fw["max_points"]

    async def test_service_refusal_shows_the_messages_keeps_the_rows_and_saves_nothing(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        data = await self._editor(gateway, fid)
        rows = int(data["item_count"])
        codes = {data[f"item-{j}-code"]: j for j in range(rows) if data.get(f"item-{j}-code")}
        # a duplicate code (the service's check) and a typed text to be kept
        data[f"item-{codes['Ⅰ-②']}-code"] = "Ⅰ-①"
        data[f"item-{codes['Ⅰ-③']}-text"] = "打ち込んだ文言"
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "save"}, headers=HTML
        )
        assert r.status_code == 422, r.text
        errors = r.text.split('id="tree-errors"')[1].split("</div>")[0]
        assert "指標コード Ⅰ-① が重複しています" in errors
        assert 'value="打ち込んだ文言"' in r.text
        assert await api(demo, f"/frameworks/{fid}") == fw

    async def test_dropping_a_scored_item_needs_the_box_and_is_409_otherwise(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        data = await self._editor(gateway, fid)
        rows = int(data["item_count"])
        j = next(k for k in range(rows) if data.get(f"item-{k}-code") == "Ⅰ-①")
        data[f"item-{j}-delete"] = "1"
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "save"}, headers=HTML
        )
        assert r.status_code == 409, r.text
        assert 'id="tree-errors"' in r.text
        assert f'name="item-{j}-delete" value="1" checked' in r.text
        assert await api(demo, f"/frameworks/{fid}") == fw

    async def test_the_form_own_check_names_the_row(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        data = await self._editor(gateway, fid)
        j = next(k for k in range(int(data["item_count"])) if not data.get(f"item-{k}-code"))
        data |= {
            f"item-{j}-category": "無い区分",
            f"item-{j}-code": "z",
            f"item-{j}-text": "z",
            f"item-{j}-max": "十",
        }
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "save"}, headers=HTML
        )
        assert r.status_code == 422
        assert f"指標 {j + 1}行目 (z): 区分 無い区分 がありません" in r.text
        assert f"指標 {j + 1}行目 (z): 満点を数値で入力してください" in r.text
        assert await api(demo, f"/frameworks/{fid}") == fw

    async def test_more_rows_keeps_what_was_typed_without_saving(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2019")
        fw = await api(demo, f"/frameworks/{fid}")
        data = await self._editor(gateway, fid)
        rows = int(data["item_count"])
        data["item-0-text"] = "途中の文言"
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/tree", data={**data, "op": "more"}, headers=HTML
        )
        assert r.status_code == 200
        assert 'value="途中の文言"' in r.text
        assert int(editor_form(r.text)["item_count"]) > rows
        assert await api(demo, f"/frameworks/{fid}") == fw


class TestBudgets:
    async def test_budgets_with_source_and_the_national_basis(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/indicators/budgets", headers=HTML)
        assert r.status_code == 200, r.text
        row = r.text.split('id="budget-suishin-municipality-2019"')[1].split("</tr>")[0]
        assert "19,000,000,000円" in row and ">暫定<" in row
        assert "保険者機能強化推進交付金 <参考資料>" in htmllib.unescape(row)
        basis = await api(demo, "/allocation/suishin/municipality/2020/national")
        nrow = r.text.split('id="national-suishin-municipality-2020"')[1].split("</tr>")[0]
        assert f"{basis['denominator']:,.2f}" in nrow and "サンプル" in nrow

    async def test_override_needs_a_reason_then_shows_who_and_why(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        before = await api(demo, "/budgets")
        b = next(
            x
            for x in before
            if (x["grant"], x["level"], x["grant_fy"]) == ("suishin", "municipality", 2019)
        )
        form = {
            "kind": "override",
            "grant": "suishin",
            "level": "municipality",
            "grant_fy": "2019",
            "version": str(b["version"]),
            "override_amount": "18,500,000,000",
            "override_reason": "",
        }
        r = await gateway.post("/indicators/budgets", data=form, headers=HTML)
        assert r.status_code == 422
        assert "予算の入力に誤りがあります上書きする理由を入力してください" in r.text
        assert 'value="18,500,000,000"' in r.text
        assert await api(demo, "/budgets") == before
        r = await gateway.post(
            "/indicators/budgets", data={**form, "override_reason": "補正予算 (試験)"}, headers=HTML
        )
        assert r.status_code == 303, r.text
        page = await gateway.get(r.headers["location"], headers=HTML)
        row = page.text.split('id="budget-suishin-municipality-2019"')[1].split("</tr>")[0]
        assert "18,500,000,000円" in row and "上書き" in row and "補正予算 (試験)" in row
        assert "公表額 19,000,000,000円" in row
        # taking the override back: the published figure again, with its source
        edit = await gateway.get(
            "/indicators/budgets", params={"edit": "suishin:municipality:2019"}, headers=HTML
        )
        fields = dict(
            re.findall(
                r'name="([a-z_]+)"[^>]*value="([^"]*)"',
                edit.text.split('id="budget-form"')[1].split("</form>")[0],
            )
        )
        assert fields["override_reason"] == "補正予算 (試験)"
        assert fields["grant_fy"] == "2019" and fields["published_amount"] == "19000000000"
        back = {**fields, "override_amount": "", "override_reason": "", "kind": "published"}
        back |= {"grant": "suishin", "level": "municipality", "state": "provisional"}  # selects
        back = {k: htmllib.unescape(v) for k, v in back.items()}
        r = await gateway.post("/indicators/budgets", data=back, headers=HTML)
        assert r.status_code == 303, r.text
        again = next(
            x
            for x in await api(demo, "/budgets")
            if (x["grant"], x["level"], x["grant_fy"]) == ("suishin", "municipality", 2019)
        )
        assert again["basis"] == "published" and again["amount"] == 19_000_000_000
        assert again["source"] == b["source"] and again["wording"] == b["wording"]

    async def test_national_basis_needs_a_source_and_is_then_used(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        before = await api(demo, "/allocation/suishin/municipality/2019/national")
        form = {
            "grant": "suishin",
            "level": "municipality",
            "grant_fy": "2019",
            "version": str(before["version"]) if before else "",
            "denominator": "123456789.5",
            "state": "provisional",
        }
        r = await gateway.post("/indicators/budgets/national", data=form, headers=HTML)
        assert r.status_code == 422
        assert "全国の値には出典 (資料名) が必要です資料名を入力してください" in r.text
        assert await api(demo, "/allocation/suishin/municipality/2019/national") == before
        r = await gateway.post(
            "/indicators/budgets/national",
            data={**form, "source_document": "全国の値 (試験)"},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        after = await api(demo, "/allocation/suishin/municipality/2019/national")
        assert after["denominator"] == 123456789.5
        assert after["source"]["document"] == "全国の値 (試験)"


class TestAllocationBasis:
    async def test_the_year_budget_its_source_the_denominator_and_the_rule(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2019")
        async with demo.client() as c:
            sim = (await c.post(f"/api/v1/frameworks/{fid}/allocation", json={})).json()
        r = await gateway.get(f"/indicators/frameworks/{fid}/allocation", headers=HTML)
        assert r.status_code == 200, r.text
        basis = r.text.split('id="alloc-basis"')[1].split("</section>")[0]
        assert "19,000,000,000円" in basis and "公表額" in basis
        assert sim["budget"]["source"]["document"] in htmllib.unescape(basis)
        assert f"{sim['basis']['denominator']:,.2f}" in basis and "公表値" in basis
        assert sim["rule"]["weight_label"] in basis
        assert 'id="alloc-provisional"' in basis  # a 暫定 framework and budget
        row = r.text.split(f'id="alloc-{CHIYODA}"')[1].split("</tr>")[0]
        e = next(x for x in sim["entities"] if x["entity_code"] == CHIYODA)
        assert f"{e['share']:,}円" in row
        assert "見込み" in r.text

    async def test_no_budget_is_the_service_message_saying_what_is_missing(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-prefecture-2020-demo")
        r = await gateway.get(f"/indicators/frameworks/{fid}/allocation", headers=HTML)
        assert r.status_code == 200
        problem = r.text.split('id="alloc-problem"')[1].split("</div>")[0]
        assert "2020年度の都道府県分の予算が登録されていません" in problem
        assert 'id="allocation-table"' not in r.text

    async def test_what_if_says_it_rests_on_provisional_points(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2019")
        cells = await api(demo, f"/frameworks/{fid}/scores", entity_code=CHIYODA)
        zero = next(
            c["item_code"] for c in cells if c["points"] == 0 and "残余" not in c["item_code"]
        )
        r = await gateway.post(
            f"/indicators/frameworks/{fid}/allocation/what-if",
            data={"budget": "", "entity_code": CHIYODA, "item_0": zero, "points_0": "10"},
            headers={**HTML, "HX-Request": "true"},
        )
        assert r.status_code == 200, r.text
        assert 'id="whatif-provisional"' in r.text and zero in r.text
        assert "19,000,000,000円" in r.text  # the year's budget, not a default


class TestProvisionalMarks:
    async def test_results_and_compare_of_a_provisional_framework(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        for path in ("results", "compare"):
            r = await gateway.get(f"/indicators/frameworks/{fid}/{path}", headers=HTML)
            assert r.status_code == 200
            assert '<span class="badge st-provisional" id="fw-state"' in r.text, path


class TestProfileAverages:
    async def test_the_mean_of_loaded_scores_is_labelled_and_the_published_one_has_its_source(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        hachioji = "132012"
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        fw = await api(demo, f"/frameworks/{fid}")
        async with demo.client() as c:
            r = await c.patch(
                f"/api/v1/frameworks/{fid}",
                json={
                    "version": fw["version"],
                    "national_average": 412.5,
                    "averages_source": {"document": "全国平均の資料 (試験)", "page": "7"},
                },
            )
            assert r.status_code == 200, r.text
        avg = await api(
            demo, f"/frameworks/{fid}/averages", prefecture="13", group_set="region_class"
        )
        assert avg["nation"]["kind"] == "loaded"
        page = await gateway.get(f"/municipalities/{hachioji}", headers=HTML)
        assert page.status_code == 200, page.text
        t = page.text
        assert '<th scope="col" class="num" title="' in t and ">読み込んだ団体の平均</th>" in t
        label = t.split('id="nation-label-suishin"')[1].split("</p>")[0]
        assert avg["nation"]["label"] in htmllib.unescape(label)
        published = t.split('id="published-suishin"')[1].split("</p>")[0]
        assert "全国平均 (公表値): 総合得点 412.5点" in published
        assert "出典: 全国平均の資料 (試験) 7" in published
        assert 'id="provisional-suishin"' in t  # a 暫定 framework's figures are marked
        recover = t.split('id="recover-provisional-suishin"')[1].split("</p>")[0]
        assert "暫定の配点に基づく取り戻す指標です" in recover and "体系が暫定です" in recover


class TestGrantReport:
    async def test_each_amount_is_an_estimate_with_its_basis(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/api/v1/grant-report/2020")
        assert r.status_code == 200, r.text
        body = r.json()
        (basis,) = [b for b in body["allocation"]["grants"] if b["grant"] == "suishin"]
        fid = basis["framework_id"]
        async with demo.client() as c:
            sim = (await c.post(f"/api/v1/frameworks/{fid}/allocation", json={})).json()
        assert basis["label"] == "見込み" and basis["estimated"] is True
        assert basis["budget"]["amount"] == sim["budget"]["amount"] == 19_000_000_000
        assert basis["budget"]["source"]["document"].startswith("サンプル")
        assert basis["denominator"]["kind"] == "published"
        assert basis["denominator"]["value"] == sim["basis"]["denominator"]
        assert basis["rule"]["weight"] == sim["rule"]["weight"]
        assert basis["rests_on_provisional"] is True
        assert body["allocation"]["budgets"]["suishin"] == 19_000_000_000
        paid = {e["entity_code"]: e for e in sim["entities"]}
        chiyoda = next(m for m in body["municipalities"] if m["code"] == CHIYODA)
        (g,) = chiyoda["grants"]
        e = paid[CHIYODA]
        assert g["allocation_estimate"] == (e["paid"] if e["paid"] is not None else e["share"])
        assert g["allocation_label"] == "見込み" and g["framework_state"] == "暫定"

    async def test_no_budget_says_what_is_missing_and_estimates_nothing(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        # a FY2022 framework (copied) with no FY2022 budget nor national basis
        fid = await fid_of(demo, "suishin-municipality-2020-demo")
        async with demo.client() as c:
            made = await c.post(f"/api/v1/frameworks/{fid}/copy", json={"grant_fy": 2022})
            assert made.status_code == 201, made.text
        r = await gateway.get("/api/v1/grant-report/2022")
        assert r.status_code == 200, r.text
        body = r.json()
        suishin = next(b for b in body["allocation"]["grants"] if b["grant"] == "suishin")
        assert suishin["estimated"] is False and suishin["grant_fy"] == 2022
        assert "2022年度の市町村分の予算が登録されていません" in suishin["problem"]
        assert all(
            g["allocation_estimate"] is None for m in body["municipalities"] for g in m["grants"]
        )
        csv = await gateway.get("/api/v1/grant-report/2022", params={"format": "csv"})
        assert "配分見込額の根拠 (見込み)" in csv.content.decode("utf-8-sig")
        assert "2022年度の市町村分の予算が登録されていません" in csv.content.decode("utf-8-sig")


class TestDashboardMark:
    async def test_the_grant_columns_of_a_provisional_framework_are_marked(
        self, demo: ServiceHarness, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/", headers=HTML)
        assert r.status_code == 200
        legend = r.text.split('class="muted legend-note"')[1].split("</p>")[0]
        assert 'title="暫定の体系の得点">暫定</span>' in legend
