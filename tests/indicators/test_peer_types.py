"""A municipality's peer type (類型) set by the prefecture (peers: PUT /peer-types/{code}):
the regional means follow at that write — the compare answer read right after the peer edit
already has the new peer group and means; the results' peer_type groups and the PDCA filter
follow too; a stale version or a bad type changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.indicators.regional.catalogue import load_shipped_catalogue
from tests.helpers import COORDINATOR

FY = 2023
CHIYODA, CHUO, MINATO = "131016", "131024", "131032"  # 大都市型
HACHIOJI, TACHIKAWA = "132012", "132021"  # 都市型
SAPPORO = "011002"


@pytest.fixture
async def regional(indicators):
    async with indicators.db.session(write=True) as s:
        await load_shipped_catalogue(s, actor=COORDINATOR)
        await s.commit()
    return indicators


def rows_of(measure: str, fy: int, values: dict[str, float]) -> dict[str, Any]:
    return {
        "values": [
            {"entity_code": e, "measure_code": measure, "value": v} for e, v in values.items()
        ]
    }


async def compare(c, code: str, fy: int = FY) -> dict[str, Any]:
    r = await c.get(f"/api/v1/regional/{fy}/compare", params={"entity_code": code})
    assert r.status_code == 200, r.text
    return r.json()


def measure(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(m for m in body["measures"] if m["code"] == code)


async def peer_type(c, code: str) -> dict[str, Any]:
    listed = (await c.get("/api/v1/peer-types")).json()
    return next(x for x in listed["data"] if x["entity_code"] == code)


VALUES = {CHIYODA: 20.0, CHUO: 22.0, MINATO: 24.0, HACHIOJI: 18.0, TACHIKAWA: 16.0}


class TestPeerTypeReachesTheRegionalMeans:
    async def test_compare_right_after_the_peer_edit(self, regional) -> None:
        async with regional.client() as c:
            for fy in (FY, FY + 1):
                r = await c.put(
                    f"/api/v1/regional/{fy}/values", json=rows_of("aging_rate", fy, VALUES)
                )
                assert r.status_code == 200, r.text
            before = measure(await compare(c, HACHIOJI), "aging_rate")
            assert before["peer_mean"] == 17.0  # 都市型: 八王子市, 立川市

            r = await c.put(
                f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0}
            )
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer == {
                "entity_code": MINATO,
                "name": "港区",
                "peer_type": "都市型",
                "default_peer_type": "大都市型",
                "overridden": True,
                "version": 1,
                "refreshed": 2,  # aging_rate in FY2023 and FY2024
            }
            # read right after the write: the new group and both groups' means
            minato = await compare(c, MINATO)
            hachioji = await compare(c, HACHIOJI)
            chiyoda = await compare(c, CHIYODA)
            later = await compare(c, HACHIOJI, FY + 1)
        assert minato["peer_group"] == "都市型"
        assert measure(minato, "aging_rate")["peer_mean"] == pytest.approx((24 + 18 + 16) / 3)
        assert measure(hachioji, "aging_rate")["peer_mean"] == pytest.approx((24 + 18 + 16) / 3)
        assert measure(chiyoda, "aging_rate")["peer_mean"] == 21.0  # 千代田区, 中央区
        assert measure(later, "aging_rate")["peer_mean"] == pytest.approx((24 + 18 + 16) / 3)
        # the prefecture's mean and the ranks do not depend on the peer groups
        assert measure(minato, "aging_rate")["prefecture_mean"] == 20.0
        assert measure(minato, "aging_rate")["rank_in_prefecture"] == 1

    async def test_a_later_value_write_keeps_the_set_type_and_reset_goes_back(
        self, regional
    ) -> None:
        async with regional.client() as c:
            await c.put(f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0})
            # values written after the setting land in the set peer group
            r = await c.put(f"/api/v1/regional/{FY}/values", json=rows_of("aging_rate", FY, VALUES))
            assert r.status_code == 200
            assert measure(await compare(c, HACHIOJI), "aging_rate")["peer_mean"] == pytest.approx(
                (24 + 18 + 16) / 3
            )
            across = (await c.get(f"/api/v1/regional/{FY}/measures/aging_rate")).json()
            row = next(
                m
                for g in across["groups"]
                for m in g["municipalities"]
                if m["entity_code"] == MINATO
            )
            assert row["peer_group"] == "都市型"
            # null: back to the registry's default, at that write too
            r = await c.put(f"/api/v1/peer-types/{MINATO}", json={"peer_type": None, "version": 1})
            assert r.status_code == 200, r.text
            assert (r.json()["peer_type"], r.json()["overridden"], r.json()["version"]) == (
                "大都市型",
                False,
                2,
            )
            assert measure(await compare(c, HACHIOJI), "aging_rate")["peer_mean"] == 17.0
            assert measure(await compare(c, MINATO), "aging_rate")["peer_mean"] == 22.0

    async def test_the_pdca_filter_follows(self, regional) -> None:
        async with regional.client() as c:
            await c.put(f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0})
            r = await c.get(
                "/api/v1/pdca/municipalities", params={"fiscal_year": 2025, "peer_type": "都市型"}
            )
        codes = [m["code"] for m in r.json()["municipalities"]]
        assert MINATO in codes and CHIYODA not in codes
        assert (
            next(m for m in r.json()["municipalities"] if m["code"] == MINATO)["peer_type"]
            == "都市型"
        )


class TestRefused:
    async def test_stale_version_is_409_and_nothing_changes(self, regional) -> None:
        async with regional.client() as c:
            await c.put(f"/api/v1/regional/{FY}/values", json=rows_of("aging_rate", FY, VALUES))
            await c.put(f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0})
            before = (await peer_type(c, MINATO), await compare(c, HACHIOJI))
            r = await c.put(
                f"/api/v1/peer-types/{MINATO}", json={"peer_type": "離島・中山間型", "version": 0}
            )
            assert r.status_code == 409
            assert r.headers["content-type"].startswith("application/problem+json")
            assert (await peer_type(c, MINATO), await compare(c, HACHIOJI)) == before

    async def test_a_type_not_in_the_vocabulary_and_codes_outside_tokyo(self, regional) -> None:
        async with regional.client() as c:
            before = await peer_type(c, MINATO)
            r = await c.put(
                f"/api/v1/peer-types/{MINATO}", json={"peer_type": "郊外型", "version": 0}
            )
            assert r.status_code == 422
            assert r.json()["errors"][0]["loc"] == ["body", "peer_type"]
            assert "大都市型・都市型・離島・中山間型" in r.json()["detail"]
            assert await peer_type(c, MINATO) == before
            r = await c.put(
                f"/api/v1/peer-types/{SAPPORO}", json={"peer_type": "都市型", "version": 0}
            )
            assert r.status_code == 422
            r = await c.put("/api/v1/peer-types/139999", json={"peer_type": "都市型", "version": 0})
            assert r.status_code == 404
            r = await c.put("/api/v1/peer-types/13101", json={"peer_type": "都市型", "version": 0})
            assert r.status_code == 422

    @pytest.mark.parametrize("role", ["viewer", "advisor", "municipality", "api_client"])
    async def test_only_staff_write(self, regional, role) -> None:
        async with regional.client(role, MINATO if role == "municipality" else None) as c:
            r = await c.put(
                f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0}
            )
            listed = await peer_type(c, MINATO)
        assert r.status_code == 403
        assert listed["peer_type"] == "大都市型" and listed["version"] == 0


class TestResultsFollow:
    async def test_the_results_peer_type_groups_follow_at_that_write(self, regional) -> None:
        from tests.indicators.factories import make_framework, put_scores

        async with regional.client() as c:
            fid = await make_framework(c)
            await put_scores(
                c, fid, {CHIYODA: {"a": 10}, MINATO: {"a": 10, "c": 10}, HACHIOJI: {"c": 5}}
            )

            async def groups() -> dict[str, int]:
                r = await c.get(
                    f"/api/v1/frameworks/{fid}/averages",
                    params={"prefecture": "13", "group_set": "peer_type"},
                )
                assert r.status_code == 200, r.text
                return {g["group"]: g["count"] for g in r.json()["groups"]}

            assert await groups() == {"大都市型": 2, "都市型": 1}
            r = await c.put(
                f"/api/v1/peer-types/{MINATO}", json={"peer_type": "都市型", "version": 0}
            )
            assert r.status_code == 200, r.text
            assert await groups() == {"大都市型": 1, "都市型": 2}
            results = await c.get(
                f"/api/v1/frameworks/{fid}/results",
                params={"prefecture": "13", "group": "peer_type:都市型"},
            )
        assert results.status_code == 200, results.text
        assert sorted(e["entity_code"] for e in results.json()["entities"]) == [MINATO, HACHIOJI]


class TestConcurrent:
    async def test_value_writes_and_peer_edits_at_once_leave_consistent_means(
        self, regional
    ) -> None:
        """Value writes and peer-type edits racing (PostgreSQL: really concurrent; the
        measure locks order them): afterwards every stored peer mean is the mean of the
        values of the municipalities whose type it is now."""
        async with regional.client() as c:
            await c.put(f"/api/v1/regional/{FY}/values", json=rows_of("aging_rate", FY, VALUES))
            version = 0
            for n, t in enumerate(["都市型", "大都市型", "都市型"]):
                value_write = c.put(
                    f"/api/v1/regional/{FY}/values",
                    json=rows_of("aging_rate", FY, {MINATO: 30.0 + n, HACHIOJI: 10.0 + n}),
                )
                peer_write = c.put(
                    f"/api/v1/peer-types/{MINATO}", json={"peer_type": t, "version": version}
                )
                r1, r2 = await asyncio.gather(value_write, peer_write)
                assert (r1.status_code, r2.status_code) == (200, 200), (r1.text, r2.text)
                version += 1
            minato = measure(await compare(c, MINATO), "aging_rate")
            chiyoda = measure(await compare(c, CHIYODA), "aging_rate")
        # last round: 港区 32 (都市型 now), 八王子市 12, 立川市 16; 千代田区 20, 中央区 22
        assert minato["value"] == 32.0
        assert minato["peer_mean"] == pytest.approx((32 + 12 + 16) / 3)
        assert chiyoda["peer_mean"] == 21.0
