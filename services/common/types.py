"""Field types shared by the services' JSON models."""

from datetime import time
from typing import Annotated

from pydantic import WithJsonSchema

# A wall-clock time in Asia/Tokyo ("13:30" or "13:30:00"). JSON Schema's "time" format means
# RFC 3339 full-time, which needs an offset; the schema says what is really accepted and sent.
WallClockTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
            "examples": ["13:30"],
        }
    ),
]
