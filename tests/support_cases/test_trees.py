"""The logic tree: add, edit, move, reorder, delete, depth limit, cycle refusal, snapshots,
stale versions and concurrent edits."""

import asyncio

import httpx
import pytest

from tests.helpers import auth
from tests.support_cases.factories import (
    CITY,
    add_chain,
    add_initiative,
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
        case = await make_case(c, CITY, advisor_ids=[adv["id"]])
    return {**case, "advisor_id": adv["id"]}


def statements(node: dict) -> list:
    return [node["statement"], [statements(ch) for ch in node["children"]]]


class TestAddNodes:
    async def test_root_and_causes_form_a_nested_tree(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "参加率が低い")
            a = await add_node(c, cid, "男性が来ない", root["id"], evidence="参加者の85%が女性")
            await add_node(c, cid, "会場が遠い", root["id"], is_hypothesis=True)
            await add_node(c, cid, "誘う人がいない", a["id"])
            first = await add_node(c, cid, "時間帯が合わない", root["id"], position=0)
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert first["position"] == 0 and first["depth"] == 1
        assert tree["node_count"] == 5
        assert tree["max_depth"] == 2
        assert statements(tree["root"]) == [
            "参加率が低い",
            [
                ["時間帯が合わない", []],
                ["男性が来ない", [["誘う人がいない", []]]],
                ["会場が遠い", []],
            ],
        ]
        assert tree["root"]["children"][1]["evidence"] == "参加者の85%が女性"
        assert tree["root"]["children"][2]["is_hypothesis"] is True

    async def test_second_root_gets_422(self, support_cases, case):
        async with support_cases.client() as c:
            await add_node(c, case["id"], "問題")
            r = await c.post(f"/api/v1/cases/{case['id']}/tree/nodes", json={"statement": "別"})
        assert r.status_code == 422

    async def test_depth_six_is_the_limit(self, support_cases, case):
        async with support_cases.client() as c:
            chain = await add_chain(c, case["id"], 6)
            assert chain[-1]["depth"] == 6
            r = await c.post(
                f"/api/v1/cases/{case['id']}/tree/nodes",
                json={"statement": "7段目", "parent_id": chain[-1]["id"]},
            )
        assert r.status_code == 422
        assert "6 段まで" in r.json()["detail"]

    async def test_parent_from_another_case_gets_422(self, support_cases, case):
        async with support_cases.client() as c:
            adv = await make_advisor(c, "他")
            other = await make_case(c, "131121", advisor_ids=[adv["id"]])
            foreign = await add_node(c, other["id"], "他の事例の問題")
            r = await c.post(
                f"/api/v1/cases/{case['id']}/tree/nodes",
                json={"statement": "x", "parent_id": foreign["id"]},
            )
        assert r.status_code == 422


class TestMoveAndReorder:
    async def test_move_reparents_with_subtree(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            a = await add_node(c, cid, "A", root["id"])
            b = await add_node(c, cid, "B", root["id"])
            await add_node(c, cid, "A1", a["id"])
            moved = await ok(
                await c.post(
                    f"/api/v1/cases/{cid}/tree/nodes/{a['id']}/move",
                    json={"parent_id": b["id"], "version": a["version"]},
                )
            )
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert moved["parent_id"] == b["id"] and moved["depth"] == 2
        assert statements(tree["root"]) == ["問題", [["B", [["A", [["A1", []]]]]]]]
        assert tree["root"]["children"][0]["position"] == 0

    async def test_moving_under_own_descendant_gets_422(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            a = await add_node(c, cid, "A", root["id"])
            a1 = await add_node(c, cid, "A1", a["id"])
            a11 = await add_node(c, cid, "A11", a1["id"])
            r = await c.post(
                f"/api/v1/cases/{cid}/tree/nodes/{a['id']}/move",
                json={"parent_id": a11["id"], "version": a["version"]},
            )
            r_self = await c.post(
                f"/api/v1/cases/{cid}/tree/nodes/{a['id']}/move",
                json={"parent_id": a["id"], "version": a["version"]},
            )
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert r.status_code == 422
        assert "循環" in r.json()["detail"]
        assert r_self.status_code == 422
        assert statements(tree["root"]) == ["問題", [["A", [["A1", [["A11", []]]]]]]]

    async def test_move_beyond_depth_six_gets_422(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            chain = await add_chain(c, cid, 5)  # depths 0..5
            side = await add_node(c, cid, "S", chain[0]["id"])
            await add_node(c, cid, "S1", side["id"])  # subtree of height 1
            r = await c.post(
                f"/api/v1/cases/{cid}/tree/nodes/{side['id']}/move",
                json={"parent_id": chain[5]["id"], "version": side["version"]},
            )
            ok_move = await c.post(
                f"/api/v1/cases/{cid}/tree/nodes/{side['id']}/move",
                json={"parent_id": chain[4]["id"], "version": side["version"]},
            )
        assert r.status_code == 422
        assert "深さが 7 段" in r.json()["detail"]
        assert ok_move.status_code == 200
        assert ok_move.json()["depth"] == 5

    async def test_reorder_sets_sibling_positions(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            ids = [(await add_node(c, cid, s, root["id"]))["id"] for s in ("A", "B", "C")]
            tree = await ok(
                await c.post(
                    f"/api/v1/cases/{cid}/tree/reorder",
                    json={"parent_id": root["id"], "node_ids": [ids[2], ids[0], ids[1]]},
                )
            )
            bad = await c.post(
                f"/api/v1/cases/{cid}/tree/reorder",
                json={"parent_id": root["id"], "node_ids": [ids[0], ids[1]]},
            )
        assert [ch["statement"] for ch in tree["root"]["children"]] == ["C", "A", "B"]
        assert [ch["position"] for ch in tree["root"]["children"]] == [0, 1, 2]
        assert bad.status_code == 422

    async def test_delete_removes_subtree_unless_initiatives_hang_on_it(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            a = await add_node(c, cid, "A", root["id"])
            a1 = await add_node(c, cid, "A1", a["id"])
            b = await add_node(c, cid, "B", root["id"])
            await add_initiative(c, cid, b["id"])
            refused = await c.delete(
                f"/api/v1/cases/{cid}/tree/nodes/{b['id']}", params={"version": b["version"]}
            )
            deleted = await c.delete(
                f"/api/v1/cases/{cid}/tree/nodes/{a['id']}", params={"version": a["version"]}
            )
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert refused.status_code == 409
        assert deleted.status_code == 204
        assert statements(tree["root"]) == ["問題", [["B", []]]]
        assert tree["root"]["children"][0]["position"] == 0
        assert a1["id"] not in [n["id"] for n in tree["root"]["children"]]


class TestStaleEdits:
    async def test_stale_version_gets_409_and_changes_nothing(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            url = f"/api/v1/cases/{cid}/tree/nodes/{root['id']}"
            first = await ok(await c.patch(url, json={"statement": "新しい問題", "version": 1}))
            stale = await c.patch(url, json={"statement": "古い版からの変更", "version": 1})
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert first["version"] == 2
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2
        assert tree["root"]["statement"] == "新しい問題"

    async def test_concurrent_edits_with_one_version_let_exactly_one_through(
        self, support_cases, case
    ):
        """Every answer is 200 or 409, exactly one 200, and the stored node is the winner's.
        On SQLite writers are serialised by the file lock; the PostgreSQL pass (DATABASE_URL,
        run by .ci/run) is where the row lock on the node is proven."""
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
        url = f"/api/v1/cases/{cid}/tree/nodes/{root['id']}"
        n = 50

        async def edit(i: int) -> int:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=support_cases.app),
                base_url="http://sc",
                headers=auth("coordinator"),
            ) as client:
                r = await client.patch(url, json={"statement": f"編集 {i}", "version": 1})
                return r.status_code

        codes = await asyncio.gather(*(edit(i) for i in range(n)))
        async with support_cases.client() as c:
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert codes.count(200) == 1
        assert codes.count(409) == n - 1
        assert tree["root"]["version"] == 2
        winner = codes.index(200)
        assert tree["root"]["statement"] == f"編集 {winner}"


class TestConcurrentMoves:
    async def test_crossed_moves_cannot_make_a_cycle(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "問題")
            a = await add_node(c, cid, "A", root["id"])
            b = await add_node(c, cid, "B", root["id"])

        async def move(node: dict, parent: dict) -> int:
            async with support_cases.client() as c:
                r = await c.post(
                    f"/api/v1/cases/{cid}/tree/nodes/{node['id']}/move",
                    json={"parent_id": parent["id"], "version": node["version"]},
                )
                return r.status_code

        codes = await asyncio.gather(move(a, b), move(b, a))
        async with support_cases.client() as c:
            tree = await ok(await c.get(f"/api/v1/cases/{cid}/tree"))
        assert sorted(codes) == [200, 422]
        assert tree["node_count"] == 3 and tree["max_depth"] == 2
        assert len(tree["root"]["children"]) == 1


class TestSnapshots:
    async def test_each_hearing_freezes_the_tree_and_change_shows_over_time(
        self, support_cases, case
    ):
        cid = case["id"]
        async with support_cases.client() as c:
            root = await add_node(c, cid, "参加率が低い")
            await add_node(c, cid, "男性が来ない", root["id"], is_hypothesis=True)
            v1 = await add_visit(c, cid, case["advisor_id"], visit_date="2025-07-10")
            cause = (await ok(await c.get(f"/api/v1/cases/{cid}/tree")))["root"]["children"][0]
            await ok(
                await c.patch(
                    f"/api/v1/cases/{cid}/tree/nodes/{cause['id']}",
                    json={"is_hypothesis": False, "evidence": "名簿で確認", "version": 1},
                )
            )
            await add_node(c, cid, "会場が遠い", root["id"])
            await add_visit(c, cid, case["advisor_id"], visit_date="2025-08-20")
            manual = await ok(
                await c.post(f"/api/v1/cases/{cid}/tree/snapshots", json={"label": "中間報告"}),
                201,
            )
            listed = await ok(await c.get(f"/api/v1/cases/{cid}/tree/snapshots"))
            first = await ok(await c.get(f"/api/v1/cases/{cid}/tree/snapshots/{listed[0]['id']}"))
            second = await ok(await c.get(f"/api/v1/cases/{cid}/tree/snapshots/{listed[1]['id']}"))
        assert [s["label"] for s in listed] == [
            "2025-07-10 ヒアリング",
            "2025-08-20 ヒアリング",
            "中間報告",
        ]
        assert [s["node_count"] for s in listed] == [2, 3, 3]
        assert listed[0]["visit_id"] == v1["id"]
        assert first["tree"]["children"][0]["is_hypothesis"] is True
        assert second["tree"]["children"][0]["is_hypothesis"] is False
        assert second["tree"]["children"][0]["evidence"] == "名簿で確認"
        assert manual["tree"]["statement"] == "参加率が低い"

    async def test_hearing_before_any_tree_takes_no_snapshot(self, support_cases, case):
        async with support_cases.client() as c:
            await add_visit(c, case["id"], case["advisor_id"])
            listed = await ok(await c.get(f"/api/v1/cases/{case['id']}/tree/snapshots"))
        assert listed == []
