"""A logic-tree node cites regional-analysis measures and years as evidence: the shape is
checked here (the service never calls indicators), edits keep versions, snapshots keep them."""

import pytest

from tests.support_cases.factories import CITY, add_node, make_advisor, make_case, make_round, ok

CITE = {"measure_code": "kayoinoba_rate", "fiscal_year": 2023, "note": "都平均より低い"}


@pytest.fixture
async def case(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        adv = await make_advisor(c)
        return await make_case(c, CITY, advisor_ids=[adv["id"]])


class TestMeasureEvidence:
    async def test_cited_on_create_read_back_and_kept_in_snapshots(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "通いの場の参加率が低い", measure_evidence=[CITE])
            plain = await add_node(c, cid, "会場が遠い", root["id"])
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
            snap = await ok(await c.post(f"/api/v1/cases/{cid}/tree/snapshots", json={}), 201)
            snap_full = await ok(await c.get(f"/api/v1/cases/{cid}/tree/snapshots/{snap['id']}"))
        assert root["measure_evidence"] == [CITE]
        assert plain["measure_evidence"] == []
        assert tree["root"]["measure_evidence"] == [CITE]
        assert snap_full["tree"]["measure_evidence"] == [CITE]

    async def test_edit_replace_and_clear_with_versions(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            n = await add_node(c, cid, "認定率が高い")
            base = f"/api/v1/cases/{cid}/tree/nodes/{n['id']}"
            two = [CITE, {"measure_code": "certification_rate", "fiscal_year": 2022}]
            r1 = await ok(
                await c.patch(base, json={"version": n["version"], "measure_evidence": two})
            )
            stale = await c.patch(base, json={"version": n["version"], "measure_evidence": []})
            kept = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
            r2 = await ok(
                await c.patch(base, json={"version": r1["version"], "measure_evidence": None})
            )
        assert [x["measure_code"] for x in r1["measure_evidence"]] == [
            "kayoinoba_rate",
            "certification_rate",
        ]
        assert r1["measure_evidence"][1]["note"] == ""
        assert stale.status_code == 409
        assert len(kept["root"]["measure_evidence"]) == 2
        assert r2["measure_evidence"] == []

    @pytest.mark.parametrize(
        "bad",
        [
            [{"measure_code": "Certification Rate", "fiscal_year": 2023}],
            [{"measure_code": "certification_rate", "fiscal_year": 1999}],
            [{"measure_code": "certification_rate"}],
            [{"measure_code": "certification_rate", "fiscal_year": 2023, "value": 19.2}],
            [CITE, CITE],
            [{"measure_code": f"m{i:02d}", "fiscal_year": 2023} for i in range(21)],
            "kayoinoba_rate:2023",
        ],
    )
    async def test_bad_shapes_are_422_and_nothing_changes(self, support_cases, case, bad):
        cid = case["id"]
        async with support_cases.client() as c:
            n = await add_node(c, cid, "根", measure_evidence=[CITE])
            created = await c.post(
                f"/api/v1/cases/{cid}/tree/nodes",
                json={"statement": "子", "parent_id": n["id"], "measure_evidence": bad},
            )
            edited = await c.patch(
                f"/api/v1/cases/{cid}/tree/nodes/{n['id']}",
                json={"version": n["version"], "measure_evidence": bad},
            )
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert created.status_code == 422
        assert edited.status_code == 422
        assert any("measure_evidence" in e["loc"] for e in edited.json()["errors"])
        assert tree["node_count"] == 1
        assert tree["root"]["measure_evidence"] == [CITE]
        assert tree["root"]["version"] == n["version"]
