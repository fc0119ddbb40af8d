"""Poison: every text field of every write model, discovered from each service's OpenAPI
document, gets each control character, a 10,000-character string, emoji, combining marks and
half-width katakana. Each write answers 2xx or 422 (a control character always 422, naming the
field); afterwards every read and export that answered 2xx before the poisoning still answers
2xx, and every record a poisoned write stored (at the ids the writes answered, not fixed ones)
is read and exported: its own read, its parent's and its list answer 2xx, what hangs under it
(an export, its scores, a survey summary) 2xx or 404, nothing 5xx. Runs on SQLite and, in the
PostgreSQL pass, on PostgreSQL.

The writes start from the demo data: a PATCH sends the record's current version and the one
poisoned field (PATCH semantics: the rest stays); a POST or PUT starts from the operation's
documented example, or from a base written here (BASES: the URL and body a write needs on the
demo data, and how a create varies its unique fields from one write to the next). After a write
that answers a record with a ``version``, the next write sends that version. An operation
without a usable base is counted, not poisoned, and fails the test: every write with a text
field of every service has its base. Nested text fields (a list item's text) are poisoned too
where listed in NESTED (at least one per service)."""

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
SOURCE = {"document": "毒見の資料", "date": "2024-03-29", "page": "p.1"}


async def _json(c: httpx.AsyncClient, url: str, **params: Any) -> Any:
    r = await c.get(url, params=params)
    assert r.status_code == 200, (url, r.status_code, r.text[:200])
    return r.json()


async def _framework(c: httpx.AsyncClient, level: str = "municipality") -> dict[str, Any]:
    return next(f for f in await _json(c, "/api/v1/frameworks") if f["level"] == level)


async def _sheet(c: httpx.AsyncClient) -> dict[str, Any]:
    """A published sheet (好事例 are marked on published sheets only)."""
    sheets = await _json(c, "/api/v1/pdca/sheets")
    first = next((x for x in sheets if x.get("published")), sheets[0])
    return await _json(c, f"/api/v1/pdca/sheets/{first['id']}")


async def _centre(c: httpx.AsyncClient) -> dict[str, Any]:
    return (await _json(c, "/api/v1/centres", municipality_code="132012"))[0]


def _unique(*fields: str, start: int = 0, year: str | None = None):  # type: ignore[no-untyped-def]
    """A create's unique fields made new for write ``n`` (unless it is the poisoned field)."""

    def vary(body: dict[str, Any], n: int, poisoned: str) -> dict[str, Any]:
        out = dict(body)
        for f in fields:
            if f != poisoned:
                out[f] = f"毒見 {n} {f}"
        if year:
            out[year] = start + n
        return out

    return vary


async def _b_framework(c):  # type: ignore[no-untyped-def]
    fw = await _framework(c, "prefecture")
    doc = await _json(c, f"/api/v1/frameworks/{fw['id']}/export", format="json")
    doc = {k: v for k, v in doc.items() if k in ("categories", "grant", "level", "max_points")}
    body = {**doc, "code": "p", "name": "毒見", "evaluation_fy": 2059, "grant_fy": 2060}
    return "/api/v1/frameworks", body, _unique("code", start=2060, year="grant_fy")


async def _b_copy(c):  # type: ignore[no-untyped-def]
    fw = await _framework(c)
    url = f"/api/v1/frameworks/{fw['id']}/copy"
    return (
        url,
        {"grant_fy": 2040, "code": "c", "name": "毒見"},
        _unique("code", start=2040, year="grant_fy"),
    )


async def _b_deduction(c):  # type: ignore[no-untyped-def]
    body = {
        "item_code": "Ⅲ-②",
        "threshold": 0.3,
        "points": -10,
        "wording": "毒見",
        "source": SOURCE,
    }
    return "/api/v1/deduction-rules/suishin/2030", body, None


async def _b_mapping(c):  # type: ignore[no-untyped-def]
    fw = await _framework(c)
    url = f"/api/v1/frameworks/{fw['id']}/published-results/mapping"
    return url, {"entity_column": "保険者番号", "columns": {}}, None


async def _b_peer_set(c):  # type: ignore[no-untyped-def]
    body = {"name": "毒見", "description": "", "members": {"132012": "対象"}}
    return "/api/v1/peer-sets", body, _unique("name")


async def _b_peer_set_put(c):  # type: ignore[no-untyped-def]
    r = await c.post("/api/v1/peer-sets", json={"name": "毒見の組", "members": {"132012": "a"}})
    assert r.status_code == 201, r.text
    body = {"name": "毒見の組", "description": "", "members": {"132012": "a"}}
    return f"/api/v1/peer-sets/{r.json()['id']}", {**body, "version": r.json()["version"]}, None


async def _b_budget(c):  # type: ignore[no-untyped-def]
    body = {"published_amount": 1000, "source": SOURCE, "wording": "", "note": ""}
    return "/api/v1/budgets/suishin/municipality/2031", body, None


async def _b_national(c):  # type: ignore[no-untyped-def]
    body = {"denominator": 1000.0, "source": SOURCE, "note": ""}
    return "/api/v1/allocation/suishin/municipality/2031/national", body, None


async def _b_sheet(c):  # type: ignore[no-untyped-def]
    body = {"entity_code": "132012", "title": "毒見", "start_fy": 2041, "end_fy": 2043}

    def vary(b: dict[str, Any], n: int, poisoned: str) -> dict[str, Any]:
        return {**b, "start_fy": 2044 + n, "end_fy": 2044 + n}

    return "/api/v1/pdca/sheets", body, vary


async def _b_sheet_put(c):  # type: ignore[no-untyped-def]
    sheet = await _sheet(c)
    keep = ("entity_code", "title", "start_fy", "end_fy", "items", "version")
    return f"/api/v1/pdca/sheets/{sheet['id']}", {k: sheet[k] for k in keep}, None


async def _b_good_practice(c):  # type: ignore[no-untyped-def]
    marked = {g["item_code"] for g in await _json(c, "/api/v1/pdca/good-practices")}
    sheet = await _sheet(c)
    free = [i["code"] for i in sheet["items"] if i["code"] not in marked]
    body = {"sheet_id": sheet["id"], "item_code": free[0], "note": "毒見"}

    def vary(b: dict[str, Any], n: int, poisoned: str) -> dict[str, Any]:
        if poisoned == "item_code":
            return b
        return {**b, "item_code": free[min(n, len(free) - 1)]}

    return "/api/v1/pdca/good-practices", body, vary


async def _b_good_practice_patch(c):  # type: ignore[no-untyped-def]
    gp = (await _json(c, "/api/v1/pdca/good-practices"))[0]
    url = f"/api/v1/pdca/good-practices/{gp['id']}"
    current = await _json(c, url)
    return url, {"note": current["note"], "version": current["version"]}, None


async def _b_peer_type(c):  # type: ignore[no-untyped-def]
    # a municipality's peer type set by the prefecture (version 0: not set yet); the poisoned
    # field is the type's name (a write of a name outside the types is refused with 422)
    return "/api/v1/peer-types/132012", {"peer_type": "都市型", "version": 0}, None


async def _b_import_put(c):  # type: ignore[no-untyped-def]
    years = await _json(c, "/api/v1/regional/years")
    r = await c.post(
        "/api/v1/regional/imports",
        files={"file": ("m.csv", "団体コード,認定率\n132012,19.5\n".encode())},
        data={"fiscal_year": str(years[0]["fiscal_year"])},
    )
    assert r.status_code == 201, r.text
    return f"/api/v1/regional/imports/{r.json()['id']}", {"version": r.json()["version"]}, None


async def _b_values(c):  # type: ignore[no-untyped-def]
    years = await _json(c, "/api/v1/regional/years")
    fy = years[0]["fiscal_year"]
    rows = [{"entity_code": "132012", "measure_code": "certification_rate", "value": 19.5}]
    return f"/api/v1/regional/{fy}/values", {"values": rows, "source": "毒見"}, None


async def _b_catalogue(c):  # type: ignore[no-untyped-def]
    cats = await _json(c, "/api/v1/centres/catalogues")
    fy = cats[0]["fiscal_year"]
    cat = await _json(c, f"/api/v1/centres/catalogues/{fy}")
    items = [
        {k: i[k] for k in ("subject", "code", "area_code", "text", "note") if k in i}
        for i in cat["items"]
    ]
    body = {"name": cat["name"], "items": items, "version": cat["version"]}
    return f"/api/v1/centres/catalogues/{fy}", body, None


async def _b_centre_year(c):  # type: ignore[no-untyped-def]
    centre = await _centre(c)
    url = f"/api/v1/centres/{centre['id']}/years/2035"
    return url, {"operation": "委託", "operator": "", "area_served": "", "note": ""}, None


# support_cases: the first demo case's records (the reads check cases 1 to 3), and new rounds
# whose application window is open today for the creates.
CASE = "/api/v1/cases/1"


def _codes() -> list[str]:
    from services.common.registry import get_registry

    return [m.code for m in get_registry().home()]


def _vary_code(field: str, offset: int = 0):  # type: ignore[no-untyped-def]
    """A create unique per municipality: write ``n`` is for the n-th municipality of Tokyo."""
    codes = _codes()

    def vary(body: dict[str, Any], n: int, poisoned: str) -> dict[str, Any]:
        return body if poisoned == field else {**body, field: codes[offset + n]}

    return vary


async def _open_round(c, fiscal_year: int) -> None:  # type: ignore[no-untyped-def]
    body = {
        "fiscal_year": fiscal_year,
        "theme_policy": "open",
        "themes": [],
        "application_opens": "2026-01-01",
        "application_closes": "2027-12-31",
        "targets_by_region_class": {"区部": 1, "市部": 1, "町村部": 1},
        "advisor_days_budget": 36,
    }
    r = await c.post("/api/v1/rounds", json=body)
    assert r.status_code == 201, r.text


async def _b_round_patch(c):  # type: ignore[no-untyped-def]
    rnd = (await _json(c, "/api/v1/rounds"))[0]
    url = f"/api/v1/rounds/{rnd['fiscal_year']}"
    return url, {"version": rnd["version"]}, None


async def _b_application(c):  # type: ignore[no-untyped-def]
    await _open_round(c, 2031)
    body = {"municipality_code": _codes()[0], "wished_themes": ["毒見"], "motivation": "毒見"}
    return "/api/v1/rounds/2031/applications", body, _vary_code("municipality_code")


async def _b_case(c):  # type: ignore[no-untyped-def]
    await _open_round(c, 2032)
    for code in _codes()[:40]:
        r = await c.post("/api/v1/rounds/2032/applications", json={"municipality_code": code})
        assert r.status_code == 201, r.text
    body = {
        "fiscal_year": 2032,
        "municipality_code": _codes()[0],
        "theme": "毒見",
        "advisor_ids": [1],
        "coordinator": "毒見",
        "background": "毒見",
    }
    return "/api/v1/cases", body, _vary_code("municipality_code")


def _b_first(path: str):  # type: ignore[no-untyped-def]
    """A PATCH of the first record of case 1's list at ``path`` (sending its version)."""

    async def base(c):  # type: ignore[no-untyped-def]
        first = (await _json(c, f"{CASE}/{path}"))[0]
        return f"{CASE}/{path}/{first['id']}", {"version": first["version"]}, None

    return base


async def _b_node(c):  # type: ignore[no-untyped-def]
    root = (await _json(c, f"{CASE}/tree"))["root"]
    node = root["children"][0] if root["children"] else root
    return f"{CASE}/tree/nodes/{node['id']}", {"version": node["version"]}, None


async def _b_snapshot(c):  # type: ignore[no-untyped-def]
    return f"{CASE}/tree/snapshots", {"label": "毒見"}, None


# training: 工程表 of a パワーアップセミナー program (one per program and municipality)
async def _power_up(c) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return next(p for p in await _json(c, "/api/v1/programs") if "パワーアップ" in p["kind"])


async def _b_kotei_hyo(c):  # type: ignore[no-untyped-def]
    program = await _power_up(c)
    taken = {k["municipality_code"] for k in await _json(c, "/api/v1/kotei-hyo")}
    codes = [x for x in _codes() if x not in taken]
    body = {"program_id": program["id"], "municipality_code": codes[0], "title": "毒見"}
    body["steps"] = [{"title": "毒見", "due_date": "2027-01-31", "owner": "毒見"}]

    def vary(b: dict[str, Any], n: int, poisoned: str) -> dict[str, Any]:
        return b if poisoned == "municipality_code" else {**b, "municipality_code": codes[n]}

    return "/api/v1/kotei-hyo", body, vary


async def _b_kotei_hyo_put(c):  # type: ignore[no-untyped-def]
    kh = (await _json(c, "/api/v1/kotei-hyo"))[0]
    steps = [
        {"id": s["id"], "title": s["title"], "due_date": s["due_date"], "owner": s["owner"]}
        for s in kh["steps"]
    ]
    body = {"version": kh["version"], "title": kh["title"], "steps": steps}
    return f"/api/v1/kotei-hyo/{kh['id']}", body, None


# "METHOD /path" → async (client) → (url, body, vary or None); vary(body, n, poisoned field)
# gives the body of the n-th write of a create whose fields must be unique.
BASES = {
    "POST /api/v1/frameworks": _b_framework,
    "POST /api/v1/frameworks/{framework_id}/copy": _b_copy,
    "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": _b_deduction,
    "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": _b_mapping,
    "POST /api/v1/peer-sets": _b_peer_set,
    "PUT /api/v1/peer-sets/{peer_set_id}": _b_peer_set_put,
    "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": _b_budget,
    "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": _b_national,
    "POST /api/v1/pdca/sheets": _b_sheet,
    "PUT /api/v1/pdca/sheets/{sheet_id}": _b_sheet_put,
    "POST /api/v1/pdca/good-practices": _b_good_practice,
    "PATCH /api/v1/pdca/good-practices/{good_practice_id}": _b_good_practice_patch,
    "PUT /api/v1/regional/{fiscal_year}/values": _b_values,
    "PUT /api/v1/regional/imports/{import_id}": _b_import_put,
    "PUT /api/v1/centres/catalogues/{fiscal_year}": _b_catalogue,
    "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": _b_centre_year,
    "PUT /api/v1/peer-types/{entity_code}": _b_peer_type,
    "PATCH /api/v1/rounds/{fiscal_year}": _b_round_patch,
    "POST /api/v1/rounds/{fiscal_year}/applications": _b_application,
    "POST /api/v1/cases": _b_case,
    "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": _b_first("visits"),
    "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": _b_first("data-requests"),
    "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": _b_node,
    "POST /api/v1/cases/{case_id}/tree/snapshots": _b_snapshot,
    "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": _b_first("initiatives"),
    "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": _b_first("roadmap"),
    "POST /api/v1/kotei-hyo": _b_kotei_hyo,
    "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": _b_kotei_hyo_put,
}

# Nested text fields (a list item's text), at least one per service: "METHOD /path" →
# (field, the field's value with ``text`` in one nested place). A control character there is
# refused with 422 naming the field; the allowed values are stored and read back like the rest.
NESTED: dict[str, tuple[str, Any]] = {
    "PUT /api/v1/centres/catalogues/{fiscal_year}": (
        "items",
        lambda body, text: [{**body["items"][0], "text": text}, *body["items"][1:]],
    ),
    "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": (
        "attendees",
        lambda body, text: [{"name": text, "organization": "毒見"}],
    ),
    "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": (
        "milestones",
        lambda body, text: [{"month": "2026-11", "description": text}],
    ),
    "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": (
        "steps",
        lambda body, text: [{**body["steps"][0], "title": text}, *body["steps"][1:]],
    ),
    "POST /api/v1/kotei-hyo": (
        "steps",
        lambda body, text: [{"title": "毒見", "due_date": "2027-01-31", "owner": text}],
    ),
}


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


# Demo values of the path and required query parameters of the reads, so that every read and
# export answers 2xx before the poisoning (ids: the first records; names not listed: IDS).
VALUES: dict[str, tuple[Any, ...]] = {
    "code": ("132012",),
    "entity_code": ("132012",),
    "municipality_code": ("132012",),
    "prefecture": ("13",),
    "grant": ("suishin",),
    "level": ("municipality",),
    "grant_fy": (2019, 2020, 2023),
    "fiscal_year": (2020, 2023, 2026),
    "measure_code": ("certification_rate",),
    "cite": ("certification_rate:2023",),
    "fmt": ("csv", "xlsx"),
}
MAX_URLS_PER_READ = 12


def _urls(path: str, op: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The URLs (and required query parameters) a read is checked at."""
    names = PARAM.findall(path)
    query = [
        p["name"] for p in op.get("parameters", []) if p.get("required") and p["in"] == "query"
    ]
    if any(q not in VALUES for q in query):
        return []
    combos: list[dict[str, Any]] = [{}]
    for name in [*names, *query]:
        combos = [{**c, name: v} for c in combos for v in VALUES.get(name, IDS)]
    out = []
    for combo in combos[:MAX_URLS_PER_READ]:
        url = PARAM.sub(lambda m, combo=combo: str(combo[m.group(1)]), path)
        out.append((url, {q: combo[q] for q in query}))
    return out


async def read_all(c: httpx.AsyncClient, doc: dict[str, Any]) -> dict[str, int]:
    """Every GET operation (exports included) at demo values of its parameters: status by URL."""
    out: dict[str, int] = {}
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not path.startswith("/api/") or op is None:
            continue
        for url, params in _urls(path, op):
            key = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            out[key] = (await c.get(url, params=params)).status_code
    return out


async def poison(
    service, c: httpx.AsyncClient, without_base: list[str], records: set[str] | None = None
) -> tuple[int, int, list[str], list[str]]:
    """Poison every write; the URL of each record a poisoned write stored goes to ``records``."""
    doc = (await c.get("/openapi.json")).json()
    gets = _gets(doc)
    records = set() if records is None else records
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
                without_base.append(f"{method.upper()} {path}")
                continue
            url, body, vary = base
            poisoned += 1
            n = 0
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
                    n += 1
                    sent = vary(body, n, name) if vary else body
                    r = await c.request(
                        method.upper(),
                        url,
                        json={**sent, name: [value] if kind == "texts" else value},
                    )
                    if not (200 <= r.status_code < 300 or r.status_code in (409, 422)):
                        failures.append(
                            f"{method.upper()} {url} {name}={label}: {r.status_code} {r.text[:200]}"
                        )
                    elif r.status_code < 300:
                        seen_ok.append(f"{method.upper()} {url} {name}={label}")
                        records.add(await _record_url(c, gets, method, url, r))
                        body = _next_version(method, body, r)
            nested = NESTED.get(f"{method.upper()} {path}")
            if nested is None:
                continue
            name, place = nested
            for ch in CONTROLS:
                r = await c.request(
                    method.upper(), url, json={**body, name: place(body, f"前{ch}後")}
                )
                if r.status_code != 422 or name not in str(r.json().get("errors", "")):
                    failures.append(
                        f"{method.upper()} {url} {name}[…]=U+{ord(ch):04X}: {r.status_code} {r.text[:200]}"
                    )
            for label, value in ALLOWED.items():
                if method == "patch":
                    body = await _fresh_version(c, url, body)
                n += 1
                sent = vary(body, n, "") if vary else body
                r = await c.request(method.upper(), url, json={**sent, name: place(sent, value)})
                if not (200 <= r.status_code < 300 or r.status_code in (409, 422)):
                    failures.append(
                        f"{method.upper()} {url} {name}[…]={label}: {r.status_code} {r.text[:200]}"
                    )
                elif r.status_code < 300:
                    seen_ok.append(f"{method.upper()} {url} {name}[…]={label}")
                    records.add(await _record_url(c, gets, method, url, r))
                    body = _next_version(method, body, r)
    return poisoned, skipped, failures, seen_ok


def _rx(template: str, op: dict[str, Any]) -> re.Pattern[str]:
    """A path template as a pattern: each parameter one segment, digits where it is an
    integer (so that /regional/imports is no /regional/{fiscal_year})."""
    integers = {
        p["name"]
        for p in op.get("parameters", [])
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    }
    parts = PARAM.split(template)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(
            re.escape(p) if i % 2 == 0 else (r"-?\d+" if p in integers else "[^/]+")
            for i, p in enumerate(parts)
        )
        + "$"
    )


def _gets(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every GET operation of the API: path template → operation."""
    return {
        path: item["get"]
        for path, item in doc["paths"].items()
        if path.startswith("/api/") and "get" in item
    }


async def _record_url(
    c: httpx.AsyncClient, gets: dict[str, dict[str, Any]], method: str, url: str, r: httpx.Response
) -> str:
    """Where the record a successful write stored is read. A PUT or PATCH wrote at its URL. A
    POST answered the new record's id: read where a GET answers that same id, under the URL
    written to or under a shorter part of it (a copy: /frameworks/{id}/copy answers a framework
    of /frameworks/{id}); else the nearest GET at the URL written to or a part of it that holds
    the id (a list, a case's tree); else the URL written to (read through what hangs under it
    and under its parents: a survey answer in its session's summary)."""
    data = r.json() if r.content and "json" in r.headers.get("content-type", "") else None
    ident = data.get("id") if isinstance(data, dict) else None
    if method != "post" or ident is None:
        return url
    segments = url.split("/")
    for keep in range(len(segments), 2, -1):
        candidate = "/".join([*segments[:keep], str(ident)])
        if not any(_rx(t, op).match(candidate) for t, op in gets.items()):
            continue
        read = await c.get(candidate)
        if read.status_code == 200 and isinstance(read.json(), dict):
            if read.json().get("id") == ident:
                return candidate
    for keep in range(len(segments), 2, -1):
        at = "/".join(segments[:keep])
        if not any(_rx(t, op).match(at) for t, op in gets.items()):
            continue
        read = await c.get(at)
        if read.status_code == 200 and _holds(read.json(), ident):
            return at
    return url  # no GET shows it by id (a survey answer): the reads under the URL and its parents


def _holds(data: Any, ident: Any) -> bool:
    """Whether a read answer holds a record of that id (anywhere in it)."""
    if isinstance(data, dict):
        return data.get("id") == ident or any(_holds(v, ident) for v in data.values())
    if isinstance(data, list):
        return any(_holds(v, ident) for v in data)
    return False


def record_reads(
    doc: dict[str, Any], records: set[str]
) -> list[tuple[str, str, dict[str, Any], bool]]:
    """Every read and export of the written records: (record, URL, query, whole) for each GET
    at the record's URL or at a part of it (its parent record, its list: ``whole``), and each
    GET under it or under its parents (its export, its scores, …; integer parameters match
    digits only); the rest of the path and the required query parameters from VALUES (a read
    that needs anything else is left out)."""
    out = []
    for template, op in _gets(doc).items():
        query = [
            p["name"] for p in op.get("parameters", []) if p.get("required") and p["in"] == "query"
        ]
        if any(q not in VALUES for q in query):
            continue
        segments = template.split("/")
        for keep in range(len(segments), 2, -1):
            head, rest = "/".join(segments[:keep]), "/".join(segments[keep:])
            if any(n not in VALUES for n in PARAM.findall(rest)):
                continue
            rx = _rx(head, op)
            for record in sorted(records):
                parts = record.split("/")
                for upto in range(len(parts), 2, -1):
                    at = "/".join(parts[:upto])
                    if not rx.match(at) or (rest and not PARAM.search(head)):
                        continue
                    combos: list[dict[str, Any]] = [{}]
                    for name in [*PARAM.findall(rest), *query]:
                        combos = [{**c, name: v} for c in combos for v in VALUES[name]]
                    for combo in combos:
                        tail = PARAM.sub(lambda m, combo=combo: str(combo[m.group(1)]), rest)
                        url = at + ("/" + tail if tail else "")
                        out.append((record, url, {n: combo[n] for n in query}, not rest))
    return out


async def read_records(
    c: httpx.AsyncClient, doc: dict[str, Any], records: set[str]
) -> tuple[int, list[str]]:
    """Read and export every record the poisoned writes stored: none answers 5xx; the record
    itself, its parent and its list answer 2xx; what hangs under it (an export, its scores, a
    year's evaluation) answers 2xx or 404 (nothing of that kind for it yet). A record without
    any read fails. Returns the number of reads and what went wrong."""
    reads = record_reads(doc, records)
    failures = [f"{r}: no read of it" for r in sorted(set(records) - {x for x, *_ in reads})]
    done: set[tuple[str, str]] = set()
    for _, url, params, whole in reads:
        if (url, str(params)) in done:  # a parent or a list read for several records
            continue
        done.add((url, str(params)))
        r = await c.get(url, params=params)
        if r.status_code >= 500 or r.status_code >= 300 and (whole or r.status_code != 404):
            failures.append(f"GET {url} {params or ''}: {r.status_code} {r.text[:160]}")
    return len(done), failures


def _next_version(method: str, body: dict[str, Any], r: httpx.Response) -> dict[str, Any]:
    """After a write that answered its record, the next write of it sends the new version (a
    POST creates another record: its body keeps none)."""
    data = r.json() if r.content and "json" in r.headers.get("content-type", "") else None
    if method != "post" and isinstance(data, dict) and "version" in data:
        return {**body, "version": data["version"]}
    return body


async def _fresh_version(c: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await c.get(url)
    if r.status_code == 200 and isinstance(r.json(), dict) and "version" in r.json():
        return {**body, "version": r.json()["version"]}
    return body


async def _base(
    c: httpx.AsyncClient, doc: dict[str, Any], path: str, method: str, op: dict[str, Any]
) -> tuple[str, dict[str, Any], Any] | None:
    """A URL and a body the service accepts as they are (probed once), and how a create varies
    its unique fields (or None); None when there is no such base."""
    written = BASES.get(f"{method.upper()} {path}")
    if written is not None:
        url, body, vary = await written(c)
        probe = await c.request(method.upper(), url, json=vary(body, 0, "") if vary else body)
        assert probe.status_code < 300, (method, url, probe.status_code, probe.text[:300])
        return url, _next_version(method, body, probe), vary
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
                return url, body, None
            continue
        body = example(doc, op)
        if body is None:
            return None
        probe = await c.request(method.upper(), url, json=body)
        if probe.status_code < 300:
            return url, _next_version(method, body, probe), None
    return None


@pytest.mark.parametrize("name", ["indicators", "support_cases", "training"])
async def test_poison_every_text_field(name: str, demo) -> None:  # type: ignore[no-untyped-def]
    service = demo[name]
    async with service.client("admin") as c:
        doc = (await c.get("/openapi.json")).json()
        before = await read_all(c, doc)
        without_base: list[str] = []
        records: set[str] = set()
        poisoned, skipped, failures, seen_ok = await poison(service, c, without_base, records)
        after = await read_all(c, doc)
        record_count, record_failures = await read_records(c, doc, records)
    broken = [
        f"GET {u}: {before[u]} → {after.get(u)}"
        for u in before
        if before[u] < 300 and after.get(u, 0) >= 300
    ]
    errors = [f"GET {u}: {s}" for u, s in after.items() if s >= 500]
    readable = sum(1 for status in before.values() if status < 300)
    print(
        f"{name}: {poisoned} write operations poisoned, {skipped} without a usable base, "
        f"{len(seen_ok)} allowed values stored, {len(before)} reads checked "
        f"({readable} answered 2xx before), {len(records)} records written read and exported "
        f"at {record_count} URLs"
    )
    assert poisoned >= 3, (poisoned, skipped)
    assert not without_base, without_base  # every write with a text field has its base
    assert not failures, "\n".join(failures[:40])
    assert not broken and not errors, "\n".join((broken + errors)[:40])
    assert records, "no poisoned write stored a record"
    assert not record_failures, "\n".join(record_failures[:40])
