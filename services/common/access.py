"""Who may do what: small dependencies and checks services use on top of the actor token.

Rules (the security issue builds on them): admin and coordinator read and write everything in
their prefecture; advisor reads what they are assigned to; municipality staff read their own
municipality's records and write a few of their own; viewer and api_client only read.
A record the actor may not see is answered 404 (not 403), so that existence does not leak.

Personal data (applicants' contact persons, training participants' e-mail addresses and phone
numbers) is a narrower circle than the records that hold it: ``sees_contact_details``. Every
service applies it where it builds its answers and its exports (defence in depth: the gateway
shows what the services give it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Any

from fastapi import Depends

from services.common.actor import Actor, Role, get_actor
from services.common.errors import Forbidden, NotFound

STAFF = frozenset({Role.admin, Role.coordinator})
READ_ONLY = frozenset({Role.viewer, Role.api_client})


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """Dependency: the actor, if their role is one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    async def dependency(actor: Actor = Depends(get_actor)) -> Actor:
        if actor.role not in allowed:
            raise Forbidden("この操作を行う権限がありません")
        return actor

    return dependency


# Dependencies for routes: `actor: Annotated[Actor, Depends(staff_only)]`.
staff_only = require_roles(Role.admin, Role.coordinator)


def is_staff(actor: Actor) -> bool:
    return actor.role in STAFF


def can_see_municipality(actor: Actor, code: str | None) -> bool:
    """Municipality staff see only their own municipality; the others see all."""
    if actor.role == Role.municipality:
        return code is not None and code == actor.municipality_code
    return True


def ensure_visible(actor: Actor, code: str | None, *, what: str = "データ") -> None:
    """404 for a record of another municipality (existence must not leak)."""
    if not can_see_municipality(actor, code):
        raise NotFound(f"{what}が見つかりません")


def ensure_municipality_write(actor: Actor, code: str) -> None:
    """Staff may write for any municipality; municipality staff only for their own."""
    if is_staff(actor):
        return
    if actor.role == Role.municipality and actor.municipality_code == code:
        return
    if actor.role == Role.municipality:
        raise NotFound("データが見つかりません")
    raise Forbidden("この操作を行う権限がありません")


def sees_contact_details(
    actor: Actor, municipality_code: str | None, *, advised: Collection[str] = ()
) -> bool:
    """May ``actor`` see the personal contact data of a record of ``municipality_code``?

    Coordinators and admins: yes. Municipality staff: for their own municipality only.
    Advisors: for the municipalities whose support case they are assigned to (``advised``:
    a service that does not know the assignments passes ``actor.advised``, the codes the
    gateway signed into the advisor's token from support_cases; passing nothing shows an
    advisor no contact data). Viewers and API clients: never.
    The record itself stays readable under the usual rules; only these fields are left out.
    """
    if actor.role in STAFF:
        return True
    if municipality_code is None:
        return False
    if actor.role == Role.municipality:
        return actor.municipality_code == municipality_code
    if actor.role == Role.advisor:
        return municipality_code in advised
    return False


def municipality_filter(actor: Actor, requested: str | None) -> str | None:
    """The municipality a list should be limited to: a municipality actor's own, always."""
    if actor.role == Role.municipality:
        if requested and requested != actor.municipality_code:
            return "__none__"  # asks for another municipality: an empty list
        return actor.municipality_code
    return requested
