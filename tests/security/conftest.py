"""Security fixtures: the services loaded with their demo data."""

from __future__ import annotations

import importlib

import pytest

from tests.conftest import ServiceHarness


@pytest.fixture
async def demo(all_services: dict[str, ServiceHarness]) -> dict[str, ServiceHarness]:
    for name, h in all_services.items():
        module = importlib.import_module(f"services.{name}.demo")
        async with h.db.session(write=True) as s:
            await module.load(s)
            await s.commit()
    return all_services


async def load_demo(h: ServiceHarness) -> ServiceHarness:
    """Load one service's demo data (cheaper than all three)."""
    module = importlib.import_module(f"services.{h.service}.demo")
    async with h.db.session(write=True) as s:
        await module.load(s)
        await s.commit()
    return h
