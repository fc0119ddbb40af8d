"""Poison: every text field of every write model, discovered from each service's OpenAPI
document, gets each control character, a 10,000-character string, emoji, combining marks and
half-width katakana. Each write answers 2xx or 422 (a control character always 422, naming the
field); afterwards every read and export that answered 2xx before the poisoning still answers
2xx. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.

The writes start from the demo data: a PATCH sends the record's current version and the one
poisoned field (PATCH semantics: the rest stays); a POST or PUT starts from the operation's
documented example. An operation without a usable base is counted, not poisoned (the count is
asserted to stay small relative to those poisoned)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

CONTROLS = [
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
]
ALLOWED = {
    "long": "長" * 10_000,
    "emoji": "👩‍⚕️🏥✨",
    "combining": "e\u0301\u0308a\u030a",
    "katakana": "ｶﾀｶﾅ ﾃﾞｰﾀ",
}
PARAM = re.compile(r"\{([^}]+)\}")
IDS = (1, 2, 3)


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _kinds(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """'text' for a string property (no enum, no date/time format), 'texts' for a list of
    them; nothing for anything else."""
    schema = _resolve(doc, schema)
    out: set[str] = set()
    for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
        out |= _kinds(doc, alt)
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        if schema.get("format") not in ("date", "date-time", "time", "binary", "uuid"):
            out.add("text")
    if schema.get("type") == "array":
        if "text" in _kinds(doc, schema.get("items", {})):
            out.add("texts")
    return out


def text_fields(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return {}
    body = _resolve(doc, content["schema"])
    fields = {}
    for name, prop in body.get("properties", {}).items():
        kinds = _kinds(doc, prop)
        if "text" in kinds:
            fields[name] = "text"
        elif "texts" in kinds:
            fields[name] = "texts"
    return fields


def example(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    body = _resolve(doc, content["schema"])
    for ex in body.get("examples", []) or ([body["example"]] if "example" in body else []):
        if isinstance(ex, dict):
            return dict(ex)
    return None


def fill(path: str, ident: int) -> str:
    return PARAM.sub(str(ident), path)


async def read_all(c: httpx.AsyncClient, doc: dict[str, Any]) -> dict[str, int]:
    """Every GET operation without required query parameters, ids 1-3: status by URL."""
    out: dict[str, int] = {}
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not path.startswith("/api/") or op is None:
            continue
        if any(p.get("required") and p["in"] == "query" for p in op.get("parameters", [])):
            continue
        for ident in IDS if PARAM.search(path) else (0,):
            url = fill(path, ident)
            if "{" in url or "." in url.rsplit("/", 1)[-1] and url.endswith("{fmt}"):
                continue
            for fmt in ("csv", "xlsx") if "{fmt}" in path else (None,):
                u = url if fmt is None else fill(path.replace("{fmt}", fmt), ident)
                out[u] = (await c.get(u)).status_code
    return out


async def poison(service, c: httpx.AsyncClient) -> tuple[int, int, list[str], list[str]]:
    doc = (await c.get("/openapi.json")).json()
    poisoned = skipped = 0
    failures: list[str] = []
    seen_ok: list[str] = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in ("post", "put", "patch"):
            op = item.get(method)
            if op is None:
                continue
            fields = text_fields(doc, op)
            if not fields:
                continue
            base = await _base(c, doc, path, method, op)
            if base is None:
                skipped += 1
                continue
            url, body = base
            poisoned += 1
            for name, kind in fields.items():
                for ch in CONTROLS:
                    value = f"前{ch}後"
                    r = await c.request(
                        method.upper(),
                        url,
                        json={**body, name: [value] if kind == "texts" else value},
                    )
                    if r.status_code != 422 or name not in str(r.json().get("errors", "")):
                        failures.append(
                            f"{method.upper()} {url} {name}=U+{ord(ch):04X}: {r.status_code} {r.text[:200]}"
                        )
                for label, value in ALLOWED.items():
                    if method == "patch":
                        body = await _fresh_version(c, url, body)
                    r = await c.request(
                        method.upper(),
                        url,
                        json={**body, name: [value] if kind == "texts" else value},
                    )
                    if not (200 <= r.status_code < 300 or r.status_code in (409, 422)):
                        failures.append(
                            f"{method.upper()} {url} {name}={label}: {r.status_code} {r.text[:200]}"
                        )
                    elif r.status_code < 300:
                        seen_ok.append(f"{method.upper()} {url} {name}={label}")
    return poisoned, skipped, failures, seen_ok


async def _fresh_version(c: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await c.get(url)
    if r.status_code == 200 and isinstance(r.json(), dict) and "version" in r.json():
        return {**body, "version": r.json()["version"]}
    return body


async def _base(
    c: httpx.AsyncClient, doc: dict[str, Any], path: str, method: str, op: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """A URL and a body the service accepts as they are (probed once), or None."""
    for ident in IDS if PARAM.search(path) else (0,):
        url = fill(path, ident)
        if method == "patch":
            current = await c.get(url)
            if current.status_code != 200 or not isinstance(current.json(), dict):
                continue
            version = current.json().get("version")
            body = {} if version is None else {"version": version}
            probe = await c.patch(url, json=body)
            if probe.status_code < 300:
                return url, body
            continue
        body = example(doc, op)
        if body is None:
            return None
        probe = await c.request(method.upper(), url, json=body)
        if probe.status_code < 300:
            return url, body
    return None


@pytest.mark.parametrize("name", ["indicators", "support_cases", "training"])
async def test_poison_every_text_field(name: str, demo) -> None:  # type: ignore[no-untyped-def]
    service = demo[name]
    async with service.client("admin") as c:
        doc = (await c.get("/openapi.json")).json()
        before = await read_all(c, doc)
        poisoned, skipped, failures, seen_ok = await poison(service, c)
        after = await read_all(c, doc)
    broken = [
        f"GET {u}: {before[u]} → {after.get(u)}"
        for u in before
        if before[u] < 300 and after.get(u, 0) >= 300
    ]
    errors = [f"GET {u}: {s}" for u, s in after.items() if s >= 500]
    print(
        f"{name}: {poisoned} write operations poisoned, {skipped} without a usable base, "
        f"{len(seen_ok)} allowed values stored, {len(before)} reads checked"
    )
    assert poisoned >= 3, (poisoned, skipped)
    assert not failures, "\n".join(failures[:40])
    assert not broken and not errors, "\n".join((broken + errors)[:40])
