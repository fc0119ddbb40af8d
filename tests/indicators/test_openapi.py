"""Every indicators route documents its answer: a 2xx JSON response of any operation in the served
OpenAPI has a schema that says what is in it (a model, or a list of one) — never a bare dict, an
empty schema or "any". A new route that returns a bare dict fails here. File downloads declare
``response_class=Response`` (services/indicators/downloads.py) and have no JSON answer."""

from typing import Any

# Routes of the allocation domain still answer bare dicts; that domain is being reworked on its
# own branch. Remove an entry when its route gets a model; nothing new may join this list.
NOT_YET: set[str] = set()  # every route has its answer model (#13)


def vague(schema: dict[str, Any], components: dict[str, Any]) -> str | None:
    """Why ``schema`` does not say what the answer holds (None: it does)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return None if components.get(name, {}).get("properties") else f"{name} has no fields"
    alts = schema.get("anyOf") or schema.get("oneOf")
    if alts:
        real = [a for a in alts if a.get("type") != "null"]
        reasons = [vague(a, components) for a in real]
        return next((r for r in reasons if r), None) if real else "only null"
    kind = schema.get("type")
    if kind == "array":
        return vague(schema.get("items") or {}, components)
    if kind == "object":
        if schema.get("properties"):
            return None
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return vague(extra, components)
        return "a bare dict"
    if kind in {"string", "integer", "number", "boolean"}:
        return None
    return "no schema"


async def test_every_json_answer_has_a_schema(indicators: Any) -> None:
    async with indicators.client() as c:
        spec = (await c.get("/openapi.json")).json()
    components = spec.get("components", {}).get("schemas", {})
    found, seen = [], set()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in operations.items():
            key = f"{method.upper()} {path}"
            for status, answer in op.get("responses", {}).items():
                json_body = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or json_body is None:
                    continue
                seen.add(key)
                why = vague(json_body.get("schema") or {}, components)
                if why and key not in NOT_YET:
                    found.append(f"{key} {status}: {why}")
    assert not found, "routes without a response model:\n" + "\n".join(found)
    assert len(seen) > 80, "the walk should see the whole service"


def test_the_check_can_fail() -> None:
    assert vague({"type": "object", "additionalProperties": True}, {}) == "a bare dict"
    assert vague({}, {}) == "no schema"
    assert vague({"type": "array", "items": {"type": "object"}}, {}) == "a bare dict"
    assert vague({"anyOf": [{"type": "object"}, {"type": "null"}]}, {}) == "a bare dict"
    assert vague({"$ref": "#/components/schemas/X"}, {"X": {"properties": {"a": {}}}}) is None
