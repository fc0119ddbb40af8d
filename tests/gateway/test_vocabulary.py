"""The services' vocabularies the gateway names are the services' own: read from the generated
shapes of each service's OpenAPI (no copy), and checked here against the running service."""

from gateway.clients.support_cases import CANCELLED, CASE_STATUSES, CASE_STEPS, ITEM_STATUSES
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
        assert CASE_STATUSES[-1] == CANCELLED == "中止"
        assert CANCELLED not in CASE_STEPS and len(CASE_STEPS) == len(CASE_STATUSES) - 1

    async def test_roadmap_item_statuses_are_the_services(
        self, support_cases: ServiceHarness
    ) -> None:
        schemas = await _schemas(support_cases)
        assert list(ITEM_STATUSES) == schemas["ItemStatus"]["enum"]
