"""The documented shape of the loose row lists of JSON writes (scores, values, answers …).

Those lists stay ``list[Any]`` in the models so that the handler reports every bad row by its
index, not only the first; what a row holds is written into the OpenAPI document here, with the
most rows one request may carry (a larger table goes through the file import). Clients (and the
fuzzing) then see a row's fields and the limit instead of "any JSON"."""

from __future__ import annotations

from typing import Any

# A cell as the handlers read it: a number, or text they parse (全角, カンマ, "-" …), or null.
CELL: dict[str, Any] = {
    "anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40}, {"type": "null"}]
}


def text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


def rows(
    description: str, fields: dict[str, dict[str, Any]], required: list[str], max_items: int
) -> dict[str, Any]:
    """Field(...) keyword arguments: the description, the row schema and maxItems."""
    return {
        "description": description,
        "max_length": max_items,
        "json_schema_extra": {
            "items": {
                "type": "object",
                "properties": fields,
                "required": required,
                # the handlers read these fields and ignore any other
                "additionalProperties": False,
            }
        },
    }


# PUT /allocation/{grant}/{grant_fy}/inputs: one row per insurer (the nation: 1,741 and the
# unions), the bench's largest body.
INPUT_ROWS = rows(
    "[{entity_code, first_insured, requested}]: 1 行 = 1 保険者。最大 5,000 行",
    {"entity_code": CELL, "first_insured": CELL, "requested": CELL},
    ["entity_code", "first_insured", "requested"],
    5_000,
)
