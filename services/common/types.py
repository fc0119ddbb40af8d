"""Field types shared by the services' JSON models."""

import re
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

_TOKYO = ZoneInfo("Asia/Tokyo")
_WALL_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$")


def _wall_clock(value: Any) -> Any:
    """Only "HH:MM[:SS]" text (or a time without offset): a number (seconds, which pydantic
    would read as an aware UTC time) or a time with an offset is not a wall-clock time, and an
    aware time compared with a naive one raises instead of answering."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("時刻は時差なしの HH:MM で指定してください")
        return value
    if not isinstance(value, str) or not _WALL_CLOCK.match(value):
        raise ValueError("時刻は HH:MM (00:00〜23:59) で指定してください")
    return value


# A wall-clock time in Asia/Tokyo ("13:30" or "13:30:00"). JSON Schema's "time" format means
# RFC 3339 full-time, which needs an offset; the schema says what is really accepted and sent.
WallClockTime = Annotated[
    time,
    BeforeValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _WALL_CLOCK.pattern,
            "examples": ["13:30"],
        }
    ),
]


def _aware(value: datetime) -> datetime:
    """A time without an offset is Tokyo time (the product's one zone): every instant the
    services hold is aware, so two of them always compare."""
    if value.tzinfo is None:
        return value.replace(tzinfo=_TOKYO)
    return value


# An instant sent by a client: aware on the way in (naive = Asia/Tokyo), never compared raw.
Instant = Annotated[datetime, AfterValidator(_aware)]


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("日付は 1900-01-01 から 2099-12-31 の間にしてください")
    return value


# A calendar day a person means (a session day, a visit): a real date in a sensible range, so
# that fiscal years, labels and arithmetic around it never leave what datetime can hold.
CalendarDate = Annotated[date, AfterValidator(_in_range)]
