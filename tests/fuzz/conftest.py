"""Fuzzing fixtures: the whole system on loopback, and each app's OpenAPI schema."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.system import System


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="fuzzing: run once, in the SQLite pass")
    for item in items:
        if "tests/fuzz/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fuzz_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    sys_ = System(tmp_path_factory.mktemp("fuzz"))
    try:
        yield sys_.up()
    finally:
        sys_.down()


@pytest.fixture(scope="session")
def fuzz_headers(fuzz_system: System) -> dict[str, str]:
    token = mint_token(fuzz_system.secret, SYSTEM_COORDINATOR, ttl_seconds=3600)
    return {"Authorization": f"Bearer {token}"}


def _schema(system: System, app: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{system.service_url(app)}/openapi.json")


@pytest.fixture(scope="session")
def indicators_schema(fuzz_system: System):  # type: ignore[no-untyped-def]
    return _schema(fuzz_system, "indicators")


@pytest.fixture(scope="session")
def support_cases_schema(fuzz_system: System):  # type: ignore[no-untyped-def]
    return _schema(fuzz_system, "support_cases")


@pytest.fixture(scope="session")
def training_schema(fuzz_system: System):  # type: ignore[no-untyped-def]
    return _schema(fuzz_system, "training")


@pytest.fixture(scope="session")
def gateway_schema(fuzz_system: System):  # type: ignore[no-untyped-def]
    return _schema(fuzz_system, "gateway")
