"""Fuzzing fixtures: the whole system on loopback, and each app's OpenAPI schema."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from services.common.actor import Actor, Role, mint_token
from tests.e2e.system import APPS, ROOT, System

# The services are fuzzed as an admin (so that every route, the audit trail included, is
# reached); the gateway with an admin API token it issued itself.
READY_TIMEOUT = float(os.environ.get("FUZZ_READY_TIMEOUT", "240"))
FUZZ_ADMIN = Actor(id="fuzz-admin", name="ファジング 管理者", role=Role.admin)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("DATABASE_URL"):
        return  # the SQLite pass (make test) fuzzes, bounded in time (tests/fuzz/runner.py)
    # Listed at the end of every run and allowed by tests/ci_skips.py with its reason.
    skip = pytest.mark.skip(reason="fuzzing: run once, in the SQLite pass")
    for item in items:
        if "tests/fuzz/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fuzz_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    sys_ = System(tmp_path_factory.mktemp("fuzz"))
    try:
        # Not System.up(): its 60 s for the gateway is too short on a loaded 2-core machine (the
        # indicators service alone took longer there); each app gets its own wait here.
        sys_.prepare()
        for app in APPS:
            sys_.start(app)
        for app in APPS:
            sys_.wait_ready(app, timeout=READY_TIMEOUT)
            # Build (and cache) each OpenAPI document once before schemathesis loads it: its
            # loader gives up after 10 s, which the indicators document took on a loaded machine.
            httpx.get(f"{sys_.service_url(app)}/openapi.json", timeout=READY_TIMEOUT)
        yield sys_
    finally:
        sys_.down()


@pytest.fixture(scope="session")
def fuzz_headers(fuzz_system: System) -> dict[str, str]:
    """A service actor token (signed with the system's secret) for the three services."""
    token = mint_token(fuzz_system.secret, FUZZ_ADMIN, ttl_seconds=3600)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def gateway_headers(fuzz_system: System) -> dict[str, str]:
    """A real admin API token of the fuzz system's gateway (made in its database, as the
    admin API does): the gateway refuses service tokens, so without it everything is 401."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.admin_token"],
        cwd=ROOT,
        env=fuzz_system.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("bnk_"), out.stdout + out.stderr
    return {"Authorization": f"Bearer {token}"}
