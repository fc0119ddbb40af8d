"""What every view needs from the request: the service clients, the registry, the settings
and the acting user (a FastAPI dependency, so that routes stay a few lines long)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from gateway.clients.pool import Services
from gateway.settings import Settings
from services.common import clock
from services.common.actor import Actor
from services.common.registry import Registry, get_registry


@dataclass(frozen=True)
class ViewContext:
    clients: Services
    registry: Registry
    settings: Settings
    actor: Actor

    @property
    def home_prefecture(self) -> str:
        return self.registry.home_prefecture


def view_context(request: Request) -> ViewContext:
    settings: Settings = request.app.state.settings
    return ViewContext(
        clients=request.app.state.services,
        registry=get_registry(settings.common.home_prefecture),
        settings=settings,
        actor=request.state.actor,
    )


async def _view_context(request: Request) -> ViewContext:
    """The dependency: async, so that FastAPI calls it in the event loop (a plain function
    would be sent to the thread pool and back on every request)."""
    return view_context(request)


Ctx = Annotated[ViewContext, Depends(_view_context)]


def fiscal_year_or_current(fiscal_year: int | None) -> int:
    return fiscal_year or clock.current_fiscal_year()
