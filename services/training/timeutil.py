"""Dates and times in Asia/Tokyo, where every training takes place."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.common import clock
from services.common.clock import TOKYO


def now() -> datetime:
    return clock.now()


def today() -> date:
    """Today in Tokyo (a server in UTC would otherwise be a day behind until 09:00)."""
    return clock.today()


def aware(dt: datetime | None) -> datetime | None:
    """A datetime given without an offset means Tokyo time. Returned in UTC, which is what
    is stored: SQLite keeps no offset, so anything else would shift by nine hours."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=TOKYO)
    return dt.astimezone(UTC)


def from_db(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)
