"""The import wizard (issues #15, #16) driven through the gateway against the real indicators
service: upload (Shift_JIS CSV, XLSX) → column mapping → preview (the service's dry run,
every problem with row and column, nothing written) → commit (all or nothing)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from openpyxl import Workbook

from services.common.registry import insurer_number_of
from tests.conftest import GatewayClient, GatewayFactory, ServiceHarness
from tests.helpers import COORDINATOR
from tests.indicators.factories import CHIYODA, CHUO

HTML = {"Accept": "text/html"}

ITEMS_SJIS = (
    "分野,番号,指標の内容,配点,平均点,達成率\n"
    "Ⅰ,Ⅰ-1,計画の進捗を管理しているか,35,30.1,85%\n"
    "Ⅰ,Ⅰ-2,見える化システムで地域分析をしているか,100,54.08,0.6\n"
).encode("cp932")
ITEMS_BAD = (
    "分野,番号,指標の内容,配点\n"
    "Ⅰ,Ⅰ-1,計画の進捗を管理しているか,三十五\n"  # line 2: points not a number
    "Ⅸ,Ⅰ-2,存在しない区分,10\n"  # line 3: unknown category
    "Ⅰ,Ⅰ-3,重複,10\n"
    "Ⅰ,Ⅰ-3,重複,10\n"  # line 5: duplicate code
).encode("cp932")


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def shipped(c: Any) -> dict[str, int]:
    r = await c.post("/api/v1/frameworks/shipped")
    assert r.status_code == 200, r.text
    return {f["code"]: f["id"] for f in (await c.get("/api/v1/frameworks")).json()}


async def upload(
    gw: GatewayClient, kind: str, file_name: str, content: bytes, **target: Any
) -> str:
    """Step 1; the upload's id from the redirect to step 2."""
    r = await gw.post(
        f"/imports/{kind}",
        data={k: str(v) for k, v in target.items()},
        files={"file": (file_name, content)},
        headers=HTML,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/imports/u/")
    return r.headers["location"].rsplit("/", 1)[1]


def mapping_of(page: str) -> dict[str, tuple[int, str]]:
    """Column name → (index, selected target) as the mapping step shows them."""
    out = {}
    for m in re.finditer(
        r'<label for="col-(\d+)">([^<]*)</label>.*?<select id="col-\1" name="col_\1">(.*?)</select>',
        page,
        re.S,
    ):
        sel = re.search(r'<option value="([^"]*)" selected>', m.group(3))
        out[html.unescape(m.group(2))] = (int(m.group(1)), sel.group(1) if sel else "")
    return out


def form_of(mapping: dict[str, tuple[int, str]], **changes: str) -> dict[str, str]:
    return {f"col_{i}": changes.get(name, choice) for name, (i, choice) in mapping.items()}


def problems_of(page: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="grid" id="import-problems".*?</table>', page, re.S)
    if not table:
        return []
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table.group(0))
    return [tuple(html.unescape(x) for x in r) for r in rows]  # type: ignore[misc]


@pytest.fixture
async def ind(indicators: ServiceHarness) -> ServiceHarness:
    return indicators


class TestItemTable:
    async def test_shift_jis_csv_start_to_finish(self, ind: ServiceHarness, gateway: GatewayClient):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
            before = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        start = await gateway.get(f"/imports/items?framework_id={fid}", headers=HTML)
        assert start.status_code == 200 and 'id="upload-form"' in start.text
        uid = await upload(gateway, "items", "items.csv", ITEMS_SJIS, framework_id=fid)
        step2 = await gateway.get(f"/imports/u/{uid}", headers=HTML)
        assert step2.status_code == 200
        mapping = mapping_of(step2.text)
        # pre-filled from the header names; a sample of each column shown
        assert {k: v for k, (_, v) in mapping.items()} == {
            "分野": "category",
            "番号": "code",
            "指標の内容": "text",
            "配点": "max_points",
            "平均点": "national_average",
            "達成率": "national_rate",
        }
        assert "計画の進捗を管理しているか" in step2.text
        preview = await gateway.post(
            f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML
        )
        assert preview.status_code == 200, preview.text
        assert problems_of(preview.text) == []
        assert 'id="commit-form"' in preview.text and "Ⅰ-2" in preview.text
        async with ind.client() as c:
            assert (await c.get(f"/api/v1/frameworks/{fid}")).json() == before  # dry run only
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200, done.text
        assert "評価指標を<strong>2件</strong>書き込みました" in done.text
        async with ind.client() as c:
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        cat = next(k for k in fw["categories"] if k["code"] == "Ⅰ")
        assert [(i["code"], i["max_points"], i["national_rate"]) for i in cat["items"]] == [
            ("Ⅰ-1", 35, 0.85),
            ("Ⅰ-2", 100, 0.6),
        ]
        # the file is gone from the gateway once written
        assert (await gateway.get(f"/imports/u/{uid}", headers=HTML)).status_code == 404

    async def test_bad_rows_all_listed_and_commit_refused(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
            before = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        uid = await upload(gateway, "items", "bad.csv", ITEMS_BAD, framework_id=fid)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        preview = await gateway.post(
            f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML
        )
        assert preview.status_code == 200
        listed = {(line, col) for line, col, _ in problems_of(preview.text)}
        assert {("2", "配点"), ("3", "分野"), ("5", "番号")} <= listed
        assert 'id="commit-form"' not in preview.text and 'id="not-ready"' in preview.text
        refused = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert refused.status_code == 422
        assert "何も書き込んでいません" in refused.text
        assert {("2", "配点"), ("3", "分野"), ("5", "番号")} <= {
            (line, col) for line, col, _ in problems_of(refused.text)
        }
        async with ind.client() as c:
            assert (await c.get(f"/api/v1/frameworks/{fid}")).json() == before
        # the upload and its mapping are kept: back to the mapping step
        again = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert again == mapping

    async def test_xlsx_and_a_mapping_change(self, ind: ServiceHarness, gateway: GatewayClient):
        content = xlsx(
            [
                ["区分コード", "指標コード", "評価指標", "満点", "旧配点"],
                ["Ⅲ", "Ⅲ-1", "ケアプラン点検", 120, 20],
                ["Ⅲ", "Ⅲ-2", "住宅改修の点検", 80, 20],
            ]
        )
        async with ind.client() as c:
            fid = (await shipped(c))["doryoku-municipality-2023"]
        uid = await upload(gateway, "items", "items.xlsx", content, framework_id=fid)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["満点"][1] == "max_points" and mapping["旧配点"][1] == ""
        # the same field chosen twice: said on the mapping step, choices kept, nothing sent
        twice = await gateway.post(
            f"/imports/u/{uid}/preview",
            data=form_of(mapping, 旧配点="max_points"),
            headers=HTML,
        )
        assert twice.status_code == 422 and "2つの列 (満点、旧配点)" in twice.text
        # htmx (the boosted form) swaps only 2xx answers: the same page, with 200
        swapped = await gateway.post(
            f"/imports/u/{uid}/preview",
            data=form_of(mapping, 旧配点="max_points"),
            headers={**HTML, "HX-Request": "true", "HX-Boosted": "true"},
        )
        assert swapped.status_code == 200 and "2つの列 (満点、旧配点)" in swapped.text
        assert mapping_of(twice.text)["旧配点"][1] == "max_points"
        # mapped to the old points: Ⅲ's published maximum (40) is met by 20 + 20
        changed = await gateway.post(
            f"/imports/u/{uid}/preview",
            data=form_of(mapping, 満点="", 旧配点="max_points"),
            headers=HTML,
        )
        assert changed.status_code == 200
        assert problems_of(changed.text) == [], problems_of(changed.text)
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200, done.text
        async with ind.client() as c:
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        cat = next(k for k in fw["categories"] if k["code"] == "Ⅲ")
        assert [(i["code"], i["max_points"]) for i in cat["items"]] == [("Ⅲ-1", 20), ("Ⅲ-2", 20)]


class TestPublishedResults:
    async def test_saved_mapping_prefills_and_results_are_written(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        body = (
            "番号,名称,第一区分,第二区分,第三区分\n"
            "131011,千代田区,100,600,150\n"  # insurer number
            "131024,中央区,80,500,100\n"  # municipality code
        ).encode("cp932")
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
            put = await c.put(
                f"/api/v1/frameworks/{fid}/published-results/mapping",
                json={
                    "entity_column": "番号",
                    "columns": {
                        "名称": None,
                        "第一区分": "category:Ⅰ",
                        "第二区分": "category:Ⅱ",
                        "第三区分": "category:Ⅲ",
                    },
                },
            )
            assert put.status_code == 200, put.text
        uid = await upload(gateway, "published", "r.csv", body, framework_id=fid)
        page = await gateway.get(f"/imports/u/{uid}", headers=HTML)
        assert "保存された列の対応" in page.text
        mapping = mapping_of(page.text)
        assert {k: v for k, (_, v) in mapping.items()} == {
            "番号": "entity",
            "名称": "",
            "第一区分": "category:Ⅰ",
            "第二区分": "category:Ⅱ",
            "第三区分": "category:Ⅲ",
        }
        preview = await gateway.post(
            f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML
        )
        assert preview.status_code == 200 and problems_of(preview.text) == []
        assert re.search(r"<dt>書き込む得点</dt><dd>6</dd>", preview.text)
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "<strong>6件</strong>" in done.text
        async with ind.client() as c:
            cells = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
        assert {(x["entity_code"], x["item_code"], x["points"]) for x in cells} >= {
            (CHIYODA, "Ⅰ-区分計", 100.0),
            (CHUO, "Ⅲ-区分計", 100.0),
        }

    async def test_unmatched_insurers_listed_commit_refused_mapping_saved_on_request(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        body = (
            "保険者番号,保険者名,Ⅰ,Ⅱ,Ⅲ\n"
            "131011,千代田区,100,600,150\n"
            "131012,誤り,80,500,100\n"  # line 3: bad check digit
            "999999,不明,1,1,1\n"  # line 4: unknown
        ).encode()
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
        uid = await upload(gateway, "published", "r.csv", body, framework_id=fid)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["保険者番号"][1] == "entity" and mapping["Ⅱ"][1] == "category:Ⅱ"
        preview = await gateway.post(
            f"/imports/u/{uid}/preview",
            data={**form_of(mapping), "save_mapping": "1"},
            headers=HTML,
        )
        lines = {line for line, _, _ in problems_of(preview.text)}
        assert {"3", "4"} <= lines and "対応する保険者がない行" in preview.text
        refused = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert refused.status_code == 422
        async with ind.client() as c:
            assert (await c.get(f"/api/v1/frameworks/{fid}/scores")).json() == []
            saved = (await c.get(f"/api/v1/frameworks/{fid}/published-results/mapping")).json()
        assert saved["mapping"]["entity_column"] == "保険者番号"
        assert saved["mapping"]["columns"]["Ⅲ"] == "category:Ⅲ"


class TestRenamedColumns:
    """Services that find columns by name get the user's choice as the names they know; their
    problems come back under the file's own column names."""

    async def test_first_insured_with_other_headers(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        body = (
            "団体名,保険者の番号,第1号被保険者(人)\n"
            f"千代田区,{insurer_number_of(CHIYODA)},12000\n"
            f"中央区,{CHUO},25000\n"
        ).encode("cp932")
        uid = await upload(
            gateway, "first-insured", "fi.csv", body, fiscal_year=2025, as_of="令和7年9月末"
        )
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert {k: v for k, (_, v) in mapping.items()} == {
            "団体名": "",
            "保険者の番号": "",
            "第1号被保険者(人)": "",
        }
        unmapped = await gateway.post(
            f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML
        )
        assert (
            unmapped.status_code == 422 and "「保険者番号 または 団体コード」の列" in unmapped.text
        )
        chosen = form_of(
            mapping, 保険者の番号="保険者番号", **{"第1号被保険者(人)": "第1号被保険者数"}
        )
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200 and problems_of(preview.text) == []
        assert re.search(r"<dt>第1号被保険者数の合計</dt><dd>37,000</dd>", preview.text)
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "<strong>2件</strong>" in done.text
        async with ind.client() as c:
            rows = (await c.get("/api/v1/first-insured/2025")).json()
        got = rows["data"]
        assert {(r["entity_code"], r["persons"]) for r in got} == {
            (CHIYODA, 12000),
            (CHUO, 25000),
        }

    async def test_insurer_list_bad_row_named_in_the_files_column(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        body = xlsx(
            [
                ["コード", "保険者の名称", "構成団体"],
                ["019017", "誤り広域連合", "芦別市"],  # line 2: wrong check digit
            ]
        )
        async with ind.client() as c:
            before = (await c.get("/api/v1/insurers")).json()
        uid = await upload(gateway, "insurers", "ins.xlsx", body)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["構成団体"][1] == "構成市町村"
        chosen = form_of(mapping, コード="保険者番号", 保険者の名称="保険者名")
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200
        (problem,) = problems_of(preview.text)
        assert problem[:2] == ("2", "コード") and "検査数字" in problem[2]
        refused = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert refused.status_code == 422
        async with ind.client() as c:
            assert (await c.get("/api/v1/insurers")).json() == before


class TestRegional:
    async def test_mieruka_export_with_title_lines(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        from services.indicators.regional.catalogue import load_shipped_catalogue
        from tests.indicators.test_regional_import import mieruka_csv

        async with ind.db.session(write=True) as s:
            await load_shipped_catalogue(s, actor=COORDINATOR)
            await s.commit()
        uid = await upload(gateway, "regional", "m.csv", mieruka_csv(), fiscal_year=2023)
        page = await gateway.get(f"/imports/u/{uid}", headers=HTML)
        mapping = mapping_of(page.text)
        assert mapping["保険者番号"][1] == "entity"
        assert mapping["認定率(%)"][1] == "measure:certification_rate"
        assert "20.1" in page.text  # a sample from below the title lines (千代田区's 認定率)
        # take only 認定率
        chosen = form_of(
            mapping,
            **{"調整済み認定率(%)": "", "第1号被保険者数(人)": ""},
        )
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200, preview.text
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200, done.text
        async with ind.client() as c:
            cmp = (
                await c.get("/api/v1/regional/2023/compare", params={"entity_code": CHIYODA})
            ).json()
        got = {m["code"]: m["value"] for m in cmp["measures"]}
        assert got["certification_rate"] == pytest.approx(20.1)
        assert got.get("adjusted_certification_rate") is None


class TestWhoMayImport:
    async def test_read_only_roles_and_other_peoples_uploads(
        self, ind: ServiceHarness, gateway_factory: GatewayFactory
    ):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
        coordinator = await gateway_factory()
        uid = await upload(coordinator, "items", "items.csv", ITEMS_SJIS, framework_id=fid)
        viewer = await gateway_factory(role="viewer")
        municipality = await gateway_factory(role="municipality", municipality=CHIYODA)
        admin = await gateway_factory(role="admin")
        assert (
            await viewer.get(f"/imports/items?framework_id={fid}", headers=HTML)
        ).status_code == 403
        assert (
            await municipality.get(f"/imports/items?framework_id={fid}", headers=HTML)
        ).status_code == 403
        refused = await viewer.post(
            "/imports/items",
            data={"framework_id": str(fid)},
            files={"file": ("items.csv", ITEMS_SJIS)},
            headers=HTML,
        )
        assert refused.status_code == 403
        # an upload is its owner's: another coordinator (here an admin) does not find it
        assert (await admin.get(f"/imports/u/{uid}", headers=HTML)).status_code == 404
        assert (
            await admin.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        ).status_code == 404
        assert (await coordinator.get(f"/imports/u/{uid}", headers=HTML)).status_code == 200

    async def test_unreadable_file_is_refused_at_upload(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
        r = await gateway.post(
            "/imports/items",
            data={"framework_id": str(fid)},
            files={"file": ("x.xlsx", b"PK\x03\x04 not a workbook")},
            headers=HTML,
        )
        assert r.status_code == 422 and "XLSX" in r.text
        none = await gateway.post("/imports/items", data={"framework_id": str(fid)}, headers=HTML)
        assert none.status_code == 422 and "ファイルを選んでください" in none.text
        async with gateway.app.state.db.engine.connect() as conn:
            from sqlalchemy import text

            assert (await conn.execute(text("SELECT count(*) FROM import_upload"))).scalar() == 0


class TestLinks:
    async def test_staff_find_the_imports_where_the_data_is_shown(
        self, ind: ServiceHarness, gateway_factory: GatewayFactory
    ):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
        coordinator = await gateway_factory()
        viewer = await gateway_factory(role="viewer")
        fw_page = await coordinator.get(f"/indicators/frameworks/{fid}", headers=HTML)
        assert f'href="/imports/items?framework_id={fid}"' in fw_page.text
        assert f'href="/imports/published?framework_id={fid}"' in fw_page.text
        index = await coordinator.get("/indicators", headers=HTML)
        assert 'href="/imports/insurers"' in index.text
        assert 'href="/imports/first-insured"' in index.text
        from services.indicators.regional.catalogue import load_shipped_catalogue

        async with ind.db.session(write=True) as s:
            await load_shipped_catalogue(s, actor=COORDINATOR)
            await s.commit()
        regional = await coordinator.get("/regional", headers=HTML)
        assert 'href="/imports/regional"' in regional.text
        seen = await viewer.get(f"/indicators/frameworks/{fid}", headers=HTML)
        assert seen.status_code == 200 and "/imports/" not in seen.text


class TestCentres:
    """The centres' imports: the service checks without writing (dry_run), then writes."""

    async def test_register_with_other_headers_previewed_then_written(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        body = xlsx(
            [
                ["コード", "名称", "年度", "形態", "運営法人", "保健師等"],
                [CHIYODA, "千代田 第1", 2024, "委託", "法人A", 2],
                [CHUO, "中央 第1", 2024, "直営", "", 1],
            ]
        )
        uid = await upload(gateway, "centres", "c.xlsx", body)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["名称"][1] == "センター名" and mapping["保健師等"][1] == ""
        chosen = form_of(mapping, コード="区市町村コード", 形態="設置形態")
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200 and problems_of(preview.text) == []
        assert re.search(r"<dt>新しいセンター</dt><dd>2</dd>", preview.text)
        async with ind.client() as c:
            assert (await c.get("/api/v1/centres", params={"prefecture": "13"})).json() == []
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "<strong>2件</strong>" in done.text
        async with ind.client() as c:
            got = (await c.get("/api/v1/centres", params={"prefecture": "13"})).json()
        assert sorted((x["municipality_code"], x["name"], x["operation"]) for x in got) == [
            (CHIYODA, "千代田 第1", "委託"),
            (CHUO, "中央 第1", "直営"),
        ]

    async def test_municipality_staff_import_their_own_answers_only(
        self, ind: ServiceHarness, gateway_factory: GatewayFactory
    ):
        from tests.indicators.test_centres import FY, make_catalogue, make_centre

        async with ind.client() as c:
            await make_catalogue(c)
            cid = await make_centre(c, CHIYODA, "千代田 第1")
        staff = await gateway_factory(role="municipality", municipality=CHIYODA)
        head = ["区市町村コード", "センター名", "項目コード", "結果", "備考"]
        own = [
            [CHIYODA, "千代田 第1", "a1", "○", ""],
            [CHIYODA, "千代田 第1", "a2", "×", "研修未実施"],
            [CHIYODA, "千代田 第1", "b1", "○", ""],
        ]
        other = [[CHUO, "", "m1", "はい", ""]]  # line 5: another municipality's row
        body = "\r\n".join(",".join(r) for r in [head, *own, *other]).encode("cp932")
        uid = await upload(staff, "centre-answers", "a.csv", body, fiscal_year=FY)
        mapping = mapping_of((await staff.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["結果"][1] == "結果" and mapping["センター名"][1] == "センター名"
        preview = await staff.post(f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML)
        assert preview.status_code == 422
        assert [(line, col) for line, col, _ in problems_of(preview.text)] == [
            ("5", "区市町村コード")
        ]
        refused = await staff.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert refused.status_code == 422
        async with ind.client() as c:
            sheet = (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()
        assert sheet["answered"] is False
        # the own rows only: previewed (still nothing written), then written
        good = "\r\n".join(",".join(r) for r in [head, *own]).encode("cp932")
        uid = await upload(staff, "centre-answers", "a.csv", good, fiscal_year=FY)
        preview = await staff.post(f"/imports/u/{uid}/preview", data=form_of(mapping), headers=HTML)
        assert preview.status_code == 200 and re.search(r"<dt>回答</dt><dd>3</dd>", preview.text)
        async with ind.client() as c:
            assert (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()[
                "answered"
            ] is False
        done = await staff.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "回答を<strong>3件</strong>" in done.text
        async with ind.client() as c:
            sheet = (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()
        assert [(x["item_code"], x["met"]) for x in sheet["answers"]] == [
            ("a1", True),
            ("a2", False),
            ("b1", True),
        ]
        # the other imports stay with staff
        assert (await staff.get("/imports/centres", headers=HTML)).status_code == 403

    async def test_catalogue_items_for_a_year(self, ind: ServiceHarness, gateway: GatewayClient):
        rows = [
            ["区分", "分野", "番号", "評価の項目"],
            ["センター", "組織・運営体制等", "c1", "計画を作成"],
            ["センター", "地域ケア会議", "c2", "会議を開催"],
            ["市町村", "組織 ・運営体制等", "m1", "方針を伝達"],
        ]
        body = "\r\n".join(",".join(r) for r in rows).encode("cp932")
        uid = await upload(
            gateway, "centre-items", "i.csv", body, fiscal_year=2024, name="試験の評価項目"
        )
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        chosen = form_of(
            mapping, 区分="対象", 分野="業務分野", 番号="項目コード", 評価の項目="評価項目"
        )
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200, preview.text
        assert re.search(r"<dt>評価項目</dt><dd>3</dd>", preview.text)
        async with ind.client() as c:
            assert (await c.get("/api/v1/centres/catalogues/2024")).status_code == 404
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "<strong>3件</strong>" in done.text
        async with ind.client() as c:
            cat = (await c.get("/api/v1/centres/catalogues/2024")).json()
        assert cat["name"] == "試験の評価項目" and [i["code"] for i in cat["items"]] == [
            "c1",
            "c2",
            "m1",
        ]


class TestAllocationInputs:
    async def test_bad_row_refused_then_the_fixed_file_written(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        inputs = f"/api/v1/allocation/{fw['grant']}/{fw['grant_fy']}/inputs"
        bad = "コード,被保険者,所要額\n131016,1000,5000\n131024,-3,5000\n".encode("cp932")
        uid = await upload(gateway, "allocation-inputs", "in.csv", bad, framework_id=fid)
        mapping = mapping_of((await gateway.get(f"/imports/u/{uid}", headers=HTML)).text)
        assert mapping["コード"][1] == "保険者番号"
        chosen = form_of(mapping, 被保険者="第1号被保険者数", 所要額="所要見込額")
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 422
        assert [(line, col) for line, col, _ in problems_of(preview.text)] == [("3", "被保険者")]
        async with ind.client() as c:
            assert (await c.get(inputs)).json() == []
        good = "コード,被保険者,所要額\n131016,1000,5000\n131024,3,5000\n".encode("cp932")
        uid = await upload(gateway, "allocation-inputs", "in.csv", good, framework_id=fid)
        preview = await gateway.post(f"/imports/u/{uid}/preview", data=chosen, headers=HTML)
        assert preview.status_code == 200 and re.search(r"<dt>保険者</dt><dd>2</dd>", preview.text)
        async with ind.client() as c:
            assert (await c.get(inputs)).json() == []  # the dry run kept nothing
        done = await gateway.post(f"/imports/u/{uid}/commit", data={}, headers=HTML)
        assert done.status_code == 200 and "<strong>2件</strong>" in done.text
        async with ind.client() as c:
            rows = (await c.get(inputs)).json()
        assert [(r["entity_code"], r["first_insured"]) for r in rows] == [
            (CHIYODA, 1000),
            (CHUO, 3),
        ]


class TestExpiry:
    async def test_an_upload_expires_after_two_hours_and_is_purged(
        self, ind: ServiceHarness, gateway: GatewayClient
    ):
        from datetime import timedelta

        from sqlalchemy import text

        from services.common import clock

        async with ind.client() as c:
            fid = (await shipped(c))["suishin-municipality-2023"]
        uid = await upload(gateway, "items", "items.csv", ITEMS_SJIS, framework_id=fid)
        assert (await gateway.get(f"/imports/u/{uid}", headers=HTML)).status_code == 200
        # two hours later (moved on the row: the login session has its own, shorter, idle limit;
        # both instants move, the database keeps expiry after creation)
        async with gateway.app.state.db.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE import_upload SET created_at = :made, expires_at = :at WHERE id = :id"
                ),
                {
                    "made": clock.now() - timedelta(hours=2, minutes=1),
                    "at": clock.now() - timedelta(minutes=1),
                    "id": uid,
                },
            )
        gone = await gateway.get(f"/imports/u/{uid}", headers=HTML)
        assert gone.status_code == 404 and "期限" in gone.text
        await upload(gateway, "items", "items.csv", ITEMS_SJIS, framework_id=fid)
        async with gateway.app.state.db.engine.connect() as conn:
            ids = (await conn.execute(text("SELECT id FROM import_upload"))).scalars().all()
        assert uid not in ids and len(ids) == 1
