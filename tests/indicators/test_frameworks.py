"""Frameworks as data: the max-points rules, validation, the shipped FY2019 frameworks, files."""

from __future__ import annotations

from services.indicators.shipped import load_shipped
from tests.indicators.factories import make_framework, tiny_framework

PREF_2019_MAXIMA = {
    "Ⅰ": 106,
    "Ⅱ(1)": 29,
    "Ⅱ(2)地域ケア会議": 80,
    "Ⅱ(2)介護予防": 45,
    "Ⅱ(3)": 76,
    "Ⅱ(4)": 76,
    "Ⅱ(5)": 105,
    "Ⅱ(6)": 24,
    "Ⅱ(7)": 42,
    "Ⅱ(8)": 68,
    "Ⅱ(9)": 10,
    "Ⅲ": 80,
}


def flatten(cats: list[dict]) -> dict[str, dict]:
    out = {}
    for c in cats:
        out[c["code"]] = c
        out.update(flatten(c["categories"]))
    return out


async def shipped(indicators) -> dict[str, int]:
    async with indicators.db.session(write=True) as s:
        await load_shipped(s)
        await s.commit()
    async with indicators.client("viewer") as c:
        return {f["code"]: f["id"] for f in (await c.get("/api/v1/frameworks")).json()}


class TestShippedFrameworks:
    async def test_prefecture_2019_reports_741_with_the_category_maxima(self, indicators):
        ids = await shipped(indicators)
        async with indicators.client("viewer") as c:
            listed = {f["code"]: f for f in (await c.get("/api/v1/frameworks")).json()}
            fw = (await c.get(f"/api/v1/frameworks/{ids['suishin-prefecture-2019']}")).json()
        assert listed["suishin-prefecture-2019"]["max_points"] == 741
        # the fixed contract's fields, plus source, state and the published national average
        assert set(listed["suishin-prefecture-2019"]) >= {
            "id", "code", "name", "grant", "level", "grant_fy", "evaluation_fy", "max_points",
            "state", "state_label", "source", "national_average", "averages_source",
            "provisional_points", "items_pending",
        }  # fmt: skip
        cats = flatten(fw["categories"])
        assert {k: cats[k]["max_points"] for k in PREF_2019_MAXIMA} == PREF_2019_MAXIMA
        assert cats["Ⅱ(2)"]["max_points"] == 125
        deduction = next(i for i in cats["Ⅲ"]["items"] if i["code"] == "Ⅲ-②")
        assert (deduction["max_points"], deduction["min_points"]) == (0, -10)
        assert (fw["grant"], fw["level"], fw["grant_fy"], fw["evaluation_fy"]) == (
            "suishin",
            "prefecture",
            2019,
            2018,
        )

    async def test_municipal_2019_has_three_categories_summing_to_692(self, indicators):
        ids = await shipped(indicators)
        async with indicators.client() as c:
            fw = (await c.get(f"/api/v1/frameworks/{ids['suishin-municipality-2019']}")).json()
        assert fw["max_points"] == 692
        assert [(k["code"], k["max_points"]) for k in fw["categories"]] == [
            ("Ⅰ", 80),
            ("Ⅱ", 529),
            ("Ⅲ", 83),
        ]

    async def test_concurrent_starts_load_each_framework_once(self, indicators):
        import asyncio

        from services.indicators.shipped import on_startup

        await asyncio.gather(on_startup(indicators.app), on_startup(indicators.app))
        async with indicators.client() as c:
            codes = sorted(f["code"] for f in (await c.get("/api/v1/frameworks")).json())
        assert codes == [
            "doryoku-municipality-2023",
            "suishin-municipality-2019",
            "suishin-municipality-2023",
            "suishin-prefecture-2019",
        ]

    async def test_loading_twice_creates_nothing_new(self, indicators):
        await shipped(indicators)
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks/shipped")
        assert r.json() == {"created": []}


class TestMaxPointsRules:
    async def test_deductions_add_nothing_and_alternatives_count_their_highest_once(
        self, indicators
    ):
        async with indicators.client() as c:
            fid = await make_framework(c)
            fw = (await c.get(f"/api/v1/frameworks/{fid}")).json()
        assert fw["max_points"] == 30
        assert [(k["code"], k["max_points"]) for k in fw["categories"]] == [("A", 20), ("B", 10)]

    async def test_stated_totals_duplicates_and_max_below_min_are_all_reported(self, indicators):
        doc = tiny_framework(max_points=40)
        doc["categories"][0]["max_points"] = 26  # summed blindly instead of by the rules
        doc["categories"][1]["items"].append(
            {"code": "a", "text": "重複", "max_points": 1, "min_points": 2}
        )
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks", json=doc)
            listed = (await c.get("/api/v1/frameworks")).json()
        assert r.status_code == 422
        msgs = [e["msg"] for e in r.json()["errors"]]
        assert any("区分 A の満点 26 が指標の合計 20" in m for m in msgs)
        assert any("指標コード a が重複" in m for m in msgs)
        assert any("満点 1 が最低点 2 より小さく" in m for m in msgs)
        assert any("満点 40 が区分の合計" in m for m in msgs)
        assert listed == []

    async def test_only_staff_create_frameworks(self, indicators):
        async with indicators.client("viewer") as c:
            r = await c.post("/api/v1/frameworks", json=tiny_framework())
        assert r.status_code == 403


class TestFiles:
    async def test_xlsx_export_imports_back_to_the_same_tree(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            before = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            xlsx = (await c.get(f"/api/v1/frameworks/{fid}/export?format=xlsx")).content
            yaml_body = (await c.get(f"/api/v1/frameworks/{fid}/export?format=yaml")).text
            await indicators.reset()
            r = await c.post("/api/v1/frameworks/import", files={"file": ("fw.xlsx", xlsx)})
        assert r.status_code == 201, r.text
        after = r.json()
        assert after["categories"] == before["categories"]
        assert after["max_points"] == 30
        assert "alternatives: b" in yaml_body

    async def test_shipped_prefecture_framework_survives_an_xlsx_round_trip(self, indicators):
        ids = await shipped(indicators)
        fid = ids["suishin-prefecture-2019"]
        async with indicators.client() as c:
            before = (await c.get(f"/api/v1/frameworks/{fid}")).json()
            xlsx = (await c.get(f"/api/v1/frameworks/{fid}/export?format=xlsx")).content
            await indicators.reset()
            r = await c.post("/api/v1/frameworks/import", files={"file": ("pref.xlsx", xlsx)})
        assert r.status_code == 201, r.text
        assert r.json()["max_points"] == 741
        assert r.json()["categories"] == before["categories"]

    async def test_json_and_yaml_exports_match_their_documented_schema(self, indicators):
        # Found by the fuzzing (ST108): the JSON/YAML export was documented as a binary string.
        import yaml

        async with indicators.client() as c:
            fid = await make_framework(c)
            spec = (await c.get("/openapi.json")).json()
            as_json = await c.get(f"/api/v1/frameworks/{fid}/export?format=json")
            as_yaml = await c.get(f"/api/v1/frameworks/{fid}/export?format=yaml")
        content = spec["paths"]["/api/v1/frameworks/{framework_id}/export"]["get"]["responses"][
            "200"
        ]["content"]
        import jsonschema

        schema = content["application/json"]["schema"]
        assert schema["type"] == "object" and "categories" in schema["properties"]
        assert content["application/yaml"]["schema"] == schema
        jsonschema.validate(as_json.json(), schema)
        jsonschema.validate(yaml.safe_load(as_yaml.text), schema)
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert content[xlsx]["schema"] == {"type": "string", "format": "binary"}
        assert as_json.headers["content-type"].startswith("application/json")
        assert isinstance(as_json.json(), dict) and as_json.json()["max_points"] == 30
        assert isinstance(yaml.safe_load(as_yaml.text), dict)

    async def test_yaml_import(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            body = (await c.get(f"/api/v1/frameworks/{fid}/export?format=yaml")).content
            await indicators.reset()
            r = await c.post("/api/v1/frameworks/import", files={"file": ("fw.yaml", body)})
        assert r.status_code == 201
        assert r.json()["max_points"] == 30


class TestSharedItems:
    def test_an_item_shared_by_both_grants_counts_once_in_their_combined_maximum(self):
        from services.indicators.frameworks.schemas import FrameworkDoc, combined_max

        def doc(grant: str, own: str) -> FrameworkDoc:
            return FrameworkDoc.model_validate(
                {
                    "code": grant,
                    "name": grant,
                    "grant": grant,
                    "level": "municipality",
                    "grant_fy": 2024,
                    "evaluation_fy": 2023,
                    "categories": [
                        {
                            "code": "目標Ⅳ",
                            "name": "共通",
                            "items": [
                                {
                                    "code": "Ⅳ-1",
                                    "text": "共通指標",
                                    "max_points": 20,
                                    "shared": True,
                                },
                                {"code": own, "text": "固有", "max_points": 10},
                            ],
                        }
                    ],
                }
            )

        assert combined_max(doc("suishin", "S-1"), doc("doryoku", "D-1")) == 40  # not 60
