"""The gateway's copies of the services' vocabularies are the services' own: each enum the
gateway names is read from the service's OpenAPI, in its order."""

from gateway.clients.support_cases import CASE_STATUSES, ITEM_STATUSES, CaseStatus
from tests.conftest import ServiceHarness


async def _schemas(h: ServiceHarness) -> dict:  # type: ignore[type-arg]
    async with h.client() as c:
        r = await c.get("/openapi.json")
    assert r.status_code == 200
    return r.json()["components"]["schemas"]


class TestSupportCasesVocabulary:
    async def test_case_statuses_are_the_services_in_its_order(
        self, support_cases: ServiceHarness
    ) -> None:
        schemas = await _schemas(support_cases)
        assert list(CASE_STATUSES) == schemas["CaseStatus"]["enum"]
        assert CASE_STATUSES[-1] == CaseStatus.cancelled == "中止"

    async def test_roadmap_item_statuses_are_the_services(
        self, support_cases: ServiceHarness
    ) -> None:
        schemas = await _schemas(support_cases)
        assert list(ITEM_STATUSES) == schemas["ItemStatus"]["enum"]
