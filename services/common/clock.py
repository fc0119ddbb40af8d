"""The product's one clock: instants in UTC, and Tokyo (Asia/Tokyo) for every day, fiscal year
and time a person reads, whatever zone the server's clock is set to.

Tests (and drills) move the clock with ``frozen_at(...)``; a whole system started for the
browser tests can be put at a fixed instant with ``BANSO_NOW`` (ISO 8601 with an offset).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.common.fiscal import fiscal_year_of

TOKYO = ZoneInfo("Asia/Tokyo")


def _system_now() -> datetime:
    fixed = os.environ.get("BANSO_NOW", "").strip()
    if fixed:
        at = datetime.fromisoformat(fixed)
        return (at if at.tzinfo else at.replace(tzinfo=TOKYO)).astimezone(UTC)
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """This instant, aware, in UTC (what is stored)."""
    return _source()


def now_tokyo() -> datetime:
    """This instant on Tokyo's wall clock."""
    return _source().astimezone(TOKYO)


def today() -> date:
    """Today in Tokyo (a server in UTC is a day behind until 09:00 Tokyo time)."""
    return now_tokyo().date()


def current_fiscal_year() -> int:
    """The fiscal year of today in Tokyo: 2027-03-31T15:30Z is 1 April 00:30 in Tokyo, FY2027."""
    return fiscal_year_of(today())


def to_tokyo(value: datetime) -> datetime:
    """A stored instant on Tokyo's wall clock (a naive value is taken as UTC, as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TOKYO)


@contextmanager
def frozen_at(at: datetime) -> Iterator[datetime]:
    """Run with the clock stopped at ``at`` (naive means Tokyo time): for tests."""
    global _source
    fixed = (at if at.tzinfo else at.replace(tzinfo=TOKYO)).astimezone(UTC)
    previous = _source
    _source = lambda: fixed  # noqa: E731
    try:
        yield fixed
    finally:
        _source = previous
