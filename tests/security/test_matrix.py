"""The authorization matrix: every /api/v1 route of every app × every role, one real request
each against the services loaded with their demo data, compared with tests/security/matrix.py.

A route with no entry in the table fails the test, so a new route must be classified.
Outcome classes of a response: 403 → "403", 404 → "404", anything else that is not 401/5xx →
"allow" (a write with a minimal body may answer 422/409/400: it got past authorization).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text

from services.common.actor import mint_token
from services.common.audit import AUDIT_TABLE
from services.common.fiscal import fiscal_year_of
from tests.conftest import GatewayFactory, ServiceHarness, gateway_user, log_in
from tests.helpers import TEST_SECRET, actor
from tests.security.matrix import (
    EXAMPLE,
    MATRIX,
    NOT_YET_EXACT,
    OWN_MUNICIPALITY,
    PAGE_MATRIX,
    QUERIES,
    ROLES,
    WRITE_BODIES,
    Upload,
    expected_of,
    parse,
)
from tests.security.pages import (
    IMPORT_MAPPING,
    OPEN,
    PAGE_FILES,
    PAGE_FORMS,
    PAGE_QUERIES,
    PAGES,
)
from tests.security.routes import api_routes

FY = fiscal_year_of(date.today())
PROBE = os.environ.get("BANSO_MATRIX_PROBE")  # set: write the observed outcomes to that file

SERVICES = ("indicators", "support_cases", "training")


def service_routes() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for svc in SERVICES:
        app = importlib.import_module(f"services.{svc}.main").create_app()
        out[svc] = api_routes(app)
    from gateway.main import create_app

    out["gateway"] = api_routes(create_app())
    return out


def page_routes() -> list[str]:
    """Every "METHOD /path" of the gateway outside /api/v1 and /static: its pages and their
    form actions (and the open routes, listed in pages.OPEN)."""
    from gateway.main import create_app

    return [
        r
        for r in api_routes(create_app(), prefix="")
        if not r.split(" ", 1)[1].startswith(("/api/v1/", "/static"))
    ]


ROUTES = service_routes()
PAGE_ROUTES = page_routes()


# The pages of issue #16 have their own exact matrix (PAGE_MATRIX, test_page_matrix.py).
IN_PAGE_MATRIX = {
    e.replace("{other}", "{code}").replace("{other_centre_id}", "{centre_id}") for e in PAGE_MATRIX
}


def test_every_page_has_an_entry() -> None:
    missing = [
        r for r in PAGE_ROUTES if r not in PAGES and r not in OPEN and r not in IN_PAGE_MATRIX
    ]
    stale = [r for r in [*PAGES, *OPEN] if r not in PAGE_ROUTES]
    assert not missing, "gateway pages without an entry in tests/security/pages.py:\n" + "\n".join(
        missing
    )
    assert not stale, "page entries for routes that no longer exist:\n" + "\n".join(stale)


def test_every_route_has_an_entry() -> None:
    missing = [
        f"{app}: {r}"
        for app, routes in ROUTES.items()
        for r in routes
        if r not in MATRIX.get(app, {})
    ]
    stale = [
        f"{app}: {r}"
        for app, table in MATRIX.items()
        for r in table
        if r not in ROUTES.get(app, [])
    ]
    assert not missing, "routes without an entry in tests/security/matrix.py:\n" + "\n".join(
        missing
    )
    assert not stale, "entries for routes that no longer exist:\n" + "\n".join(stale)


def classify(status: int) -> str:
    if status in (403, 404):
        return str(status)
    return "allow"


def matches(expected: str, status: int) -> bool:
    if expected == "deny":
        return status in (403, 404)
    if expected == "allow":
        return classify(status) == "allow" and status != 401 and status < 500
    return str(status) == expected


WRITES = ("POST", "PUT", "PATCH", "DELETE")


def test_every_allowed_write_expects_an_exact_success_or_409() -> None:
    """No "anything but 401/403/404": each write entry names its exact success or 409."""
    loose = []
    for app, table in [*MATRIX.items(), ("gateway pages", PAGES)]:
        for route, spec in table.items():
            if route.split(" ", 1)[0] not in WRITES:
                continue
            if (app, route) in NOT_YET_EXACT:
                continue
            _, ok = parse(spec)
            if ok is None or not (ok.startswith("2") or ok in ("303", "409")):
                loose.append(f"{app}: {route} ok={ok}")
    assert not loose, "writes without an exact success (ok=2xx/303/409):\n" + "\n".join(loose)


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return data
    for key in ("items", "user", "tokens", "users"):
        if isinstance(data, dict) and isinstance(data.get(key), list):
            return data[key]
    return []


def _pick(data: Any, **match: Any) -> Any:
    rows = _items(data)
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row["id"]
    assert rows, f"no rows to pick from: {str(data)[:200]}"
    return rows[0]["id"]


def _first_item(detail: dict[str, Any]) -> str:
    """The code of a framework's first indicator (in its tree)."""
    cats = list(detail["categories"])
    while cats:
        cat = cats.pop(0)
        for item in cat.get("items") or []:
            if item.get("kind", "indicator") == "indicator":
                return item["code"]
        cats = list(cat.get("categories") or []) + cats
    raise AssertionError("a framework of the demo without items")


def _answers(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of an evaluation sheet answered as it stands (met or not)."""
    return [
        {"item_code": a["item_code"], "met": bool(a.get("met")), "note": a.get("note") or ""}
        for a in sheet["answers"]
    ]


def _leaf(node: dict[str, Any]) -> dict[str, Any]:
    while node.get("children"):
        node = node["children"][-1]
    return node


async def _get(c: httpx.AsyncClient, path: str, **params: Any) -> Any:
    r = await c.get(path, params=params)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()


async def service_params(svc: str, h: ServiceHarness) -> dict[str, Any]:
    """Path parameters filled from real demo ids (the record of 八王子市 where it matters)."""
    m = OWN_MUNICIPALITY
    async with h.client() as c:
        if svc == "indicators":
            fws = await _get(c, "/api/v1/frameworks")
            fw = next(f for f in fws if f["level"] == "municipality")
            r = await c.post(
                "/api/v1/peer-sets", json={"name": "マトリクス", "members": {m: "対象"}}
            )
            assert r.status_code == 201, r.text
            sheets = await _get(c, "/api/v1/pdca/sheets")
            centres = await _get(c, "/api/v1/centres", municipality_code=m)
            years = await _get(c, "/api/v1/regional/years")
            imp = await c.post(
                "/api/v1/regional/imports",
                files={"file": ("m.csv", f"団体コード,認定率\n{m},19.5\n".encode())},
                data={"fiscal_year": str(years[0]["fiscal_year"])},
            )
            assert imp.status_code == 201, imp.text
            fy_c = (await _get(c, "/api/v1/centres/catalogues"))[0]["fiscal_year"]
            gps = await _get(c, "/api/v1/pdca/good-practices")
            marked = {(g["sheet_id"], g["item_code"]) for g in gps}
            published = [x for x in sheets if x.get("published")]
            gp_sheet = await _get(c, f"/api/v1/pdca/sheets/{published[0]['id']}")
            free = [
                i["code"] for i in gp_sheet["items"] if (gp_sheet["id"], i["code"]) not in marked
            ]
            centre_eval = await _get(c, f"/api/v1/centres/{centres[0]['id']}/evaluations/{fy_c}")
            muni_eval = await _get(c, f"/api/v1/centres/evaluations/{fy_c}/municipalities/{m}")
            export = await c.get(
                f"/api/v1/centres/catalogues/{fy_c}/export", params={"format": "csv"}
            )
            assert export.status_code == 200, export.text[:200]
            detail = await _get(c, f"/api/v1/frameworks/{fw['id']}")
            return {
                "item_code": _first_item(detail),
                "gp_sheet_id": gp_sheet["id"],
                "gp_item": free[0],
                "centre_name": centres[0]["name"],
                "centre_answers": _answers(centre_eval),
                "centre_eval_csv": "区市町村コード,センター名,項目コード,結果,備考\n"
                + "".join(
                    f"{m},{centres[0]['name']},{a['item_code']},{'○' if a['met'] else '×'},\n"
                    for a in _answers(centre_eval)
                ),
                "catalogue_items": [
                    {k: i[k] for k in ("subject", "code", "area_code", "text", "note") if k in i}
                    for i in (await _get(c, f"/api/v1/centres/catalogues/{fy_c}"))["items"]
                ],
                "muni_answers": _answers(muni_eval),
                "catalogue_csv": export.content.decode("utf-8-sig"),
                "framework_id": fw["id"],
                "grant": fw["grant"],
                "grant_fy": fw["grant_fy"],
                "level": fw["level"],
                "code": m,
                "peer_set_id": r.json()["id"],
                "sheet_id": sheets[0]["id"],
                "fiscal_year": years[0]["fiscal_year"],
                "measure_code": "certification_rate",
                "import_id": imp.json()["id"],
                "good_practice_id": _pick(await _get(c, "/api/v1/pdca/good-practices")),
                "pdca_item": (await _get(c, f"/api/v1/pdca/sheets/{sheets[0]['id']}"))["items"][0][
                    "code"
                ],
                "centre_id": centres[0]["id"],  # a centre of 八王子市
                # the centres' routes name their own year (the demo evaluates FY2020)
                "centres_fiscal_year": (await _get(c, "/api/v1/centres/catalogues"))[0][
                    "fiscal_year"
                ],
                "municipality_code": m,
                "entity_code": m,  # a peer type's municipality (peers: PUT /peer-types/{code})
            }
        if svc == "support_cases":
            cases = await _get(c, "/api/v1/cases", municipality_code=m)
            case_id = _pick(cases, municipality_code=m)
            advisor_id = cases[0]["advisors"][0]["id"]  # assigned to 八王子市's case
            advisor = next(a for a in await _get(c, "/api/v1/advisors") if a["id"] == advisor_id)
            base = f"/api/v1/cases/{case_id}"
            tree = await _get(c, f"{base}/tree")
            return {
                "fiscal_year": (await _get(c, "/api/v1/rounds"))[0]["fiscal_year"],
                "application_id": _pick(await _get(c, "/api/v1/applications"), municipality_code=m),
                "advisor_id": advisor_id,
                "advisor_actor_id": advisor["actor_id"],
                "case_id": case_id,
                "visit_id": _pick(await _get(c, f"{base}/visits")),
                "request_id": _pick(await _get(c, f"{base}/data-requests")),
                "node_id": _leaf(tree["root"])["id"],
                "root_id": tree["root"]["id"],
                "root_children": [n["id"] for n in tree["root"].get("children") or []],
                "snapshot_id": _pick(await _get(c, f"{base}/tree/snapshots")),
                "initiative_id": _pick(await _get(c, f"{base}/initiatives")),
                "item_id": _pick(await _get(c, f"{base}/roadmap")),
            }
        regs = await _get(c, "/api/v1/registrations", municipality_code=m)
        reg = _items(regs)[0]
        sessions = await _get(c, "/api/v1/sessions")
        session = next(s for s in sessions if s["id"] == reg["session_id"])
        # attendance is written for another municipality's live registration of that session
        # (the cancelling routes take 八王子市's)
        others = _items(await _get(c, f"/api/v1/sessions/{session['id']}/registrations"))
        other = next(
            x for x in others if x["municipality_code"] != m and x["status"] != "cancelled"
        )
        kotei = (await _get(c, "/api/v1/kotei-hyo"))[0]
        return {
            "attendance_registration_id": other["id"],
            "power_up_program_id": kotei["program_id"],  # a パワーアップセミナー
            "program_id": session["program_id"],
            "session_id": session["id"],
            "registration_id": reg["id"],
            "target_id": _pick(await _get(c, "/api/v1/targets")),
            "kotei_hyo_id": _pick(await _get(c, "/api/v1/kotei-hyo")),
            "history_id": _pick(await _get(c, "/api/v1/history")),
            "code": m,
            "fmt": "csv",
        }


def fill(template: str, params: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        assert name in params, f"no demo value for {{{name}}} in {template}"
        return str(params[name])

    return re.sub(r"\{([a-z_]+)\}", one, template)


def service_token(role: str, municipality: str, advisor_id: str) -> dict[str, str]:
    a = actor(role, municipality if role == "municipality" else None)
    if role == "advisor":
        a = actor(role, id=advisor_id)
    return {"Authorization": f"Bearer {mint_token(TEST_SECRET, a, ttl_seconds=600)}"}


Send = Callable[[str, str, str, Any, dict[str, Any]], Awaitable[httpx.Response]]


def substitute(value: Any, params: dict[str, Any]) -> Any:
    """Replace every string "{name}" inside a body or query by that parameter's value."""
    if isinstance(value, str):
        m = re.fullmatch(r"\{([a-z_]+)\}", value)
        if m:
            return params[m.group(1)]
        return fill(value, params) if "{" in value else value
    if isinstance(value, dict):
        return {fill(k, params): substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if isinstance(value, tuple):
        return tuple(substitute(v, params) for v in value)
    if isinstance(value, Upload):
        return Upload(
            files=substitute(value.files, params),
            data=substitute(value.data, params),
            params=substitute(value.params, params),
        )
    return value


Fingerprint = Callable[[], Awaitable[Any]]


async def run_matrix(
    app: str,
    routes: list[str],
    send: Send,
    params: Any,
    *,
    table: dict[str, str] | None = None,
    bodies: dict[str, Any] | None = None,
    queries: dict[str, Any] | None = None,
    fingerprint: Fingerprint | None = None,
    examples: dict[str, Any] | None = None,
) -> list[str]:
    """Send every route × role and compare the exact status with the entry; after a refused
    write (403/404) and after a 409, read ``fingerprint`` again: nothing may have changed.
    Return the mismatches (and record observations when probing)."""
    problems: list[str] = []
    observed: dict[str, dict[str, str]] = {}
    table = MATRIX.get(app, {}) if table is None else table
    bodies = WRITE_BODIES.get(app, {}) if bodies is None else bodies
    queries = QUERIES.get(app, {}) if queries is None else queries
    examples = examples or {}
    for route in routes:
        method, template = route.split(" ", 1)
        body = bodies.get(route, {}) if method not in ("GET", "DELETE") else None
        if body == EXAMPLE:
            body = examples[route]
        query = queries.get(route, {})
        spec = table.get(route)
        roles = sorted(ROLES, key=lambda r: expected_of(spec, r, method) not in ("403", "404"))
        for role in roles:
            p = {**(await params(route, role)), "role": role}
            before = await fingerprint() if fingerprint and method in WRITES else None
            r = await send(
                role, method, fill(template, p), substitute(body, p), substitute(query, p)
            )
            observed.setdefault(route, {})[role] = str(r.status_code)
            want = expected_of(spec, role, method)
            if (
                r.status_code == 401
                and want != "401"
                or r.status_code >= 500
                or not matches(want, r.status_code)
            ):
                problems.append(
                    f"{app} {route} as {role}: expected {want}, got {r.status_code} {r.text[:160]}"
                )
            if before is not None and r.status_code in (401, 403, 404, 409, 422):
                after = await fingerprint()  # type: ignore[misc]
                if after != before:
                    problems.append(
                        f"{app} {route} as {role}: refused ({r.status_code}) but the stored "
                        f"data changed: {before} → {after}"
                    )
    if PROBE:
        _record(PROBE, {app: observed})
    return problems


def _record(path: str, observed: dict[str, Any]) -> None:
    """Probe mode: append what each role got (used to draft entries for new routes)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(observed, ensure_ascii=False) + "\n")


async def test_every_route_for_every_role(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    """One test (the demo data is loaded once): the three services, then the gateway."""
    problems: list[str] = []
    for svc in SERVICES:
        problems += await service_matrix(svc, demo[svc])
    problems += await gateway_matrix(gateway_factory)
    assert not problems, "\n".join(problems)


CANCELS = (
    "DELETE /api/v1/registrations/{registration_id}",
    "POST /api/v1/registrations/{registration_id}/cancel",
)
# A cancelled registration answers 404 at its own address (it stays listed with status
# cancelled): reading one needs a live one too, as the cancels above may have taken the first.
LIVE_REGISTRATION = (*CANCELS, "GET /api/v1/registrations/{registration_id}")


async def service_matrix(svc: str, h: ServiceHarness) -> list[str]:
    base = await service_params(svc, h)

    async def params(route: str, role: str) -> dict[str, Any]:
        if route in LIVE_REGISTRATION:  # cancels (and reading one): take a live one
            return await service_params_fresh(svc, h, base)
        if route.split(" ", 1)[1].startswith("/api/v1/centres"):
            return {**base, "fiscal_year": base["centres_fiscal_year"]}
        return base

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app, raise_app_exceptions=False),
        base_url=f"http://{svc}",
    ) as c:

        async def send(
            role: str, method: str, path: str, body: Any, query: dict[str, Any]
        ) -> httpx.Response:
            headers = service_token(
                role, OWN_MUNICIPALITY, base.get("advisor_actor_id", "u-advisor")
            )
            if isinstance(body, Upload):
                files = {k: (n, text.encode(enc)) for k, (n, text, enc) in body.files.items()}
                return await c.request(
                    method,
                    path,
                    files=files,
                    data=body.data,
                    params={**body.params, **query},
                    headers=headers,
                )
            return await c.request(method, path, json=body, params=query, headers=headers)

        return await run_matrix(
            svc,
            ROUTES[svc],
            send,
            params,
            fingerprint=lambda: audit_count(h),
            examples=openapi_examples(h.app),
        )


def openapi_examples(app: Any) -> dict[str, Any]:
    """The first documented example of each JSON request body, by "METHOD /path"."""
    doc = app.openapi()
    out: dict[str, Any] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            media = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            named = [e.get("value") for e in (media.get("examples") or {}).values()]
            found = [media.get("example"), *named, schema.get("example")]
            found += list(schema.get("examples") or [])
            found = [e for e in found if e]
            if found:
                out[f"{method.upper()} {path}"] = found[0]
    return out


async def audit_count(h: ServiceHarness) -> int:
    """Rows in the service's append-only audit trail: every write adds at least one."""
    async with h.db.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {AUDIT_TABLE}"))).scalar_one()


async def gateway_records(app: Any) -> Any:
    """The gateway's own records a write could change: people and API tokens."""
    async with app.state.db.engine.connect() as conn:
        users = (await conn.execute(text("SELECT * FROM app_user ORDER BY id"))).all()
        tokens = (
            await conn.execute(text("SELECT id, name, revoked_at FROM api_token ORDER BY id"))
        ).all()
    return [tuple(r) for r in users], [tuple(r) for r in tokens]


async def service_params_fresh(svc: str, h: ServiceHarness, base: dict[str, Any]) -> dict[str, Any]:
    if svc == "indicators":
        return base
    fresh = dict(base)
    async with h.client() as c:
        if svc == "training":
            regs = _items(
                await _get(c, "/api/v1/registrations", municipality_code=OWN_MUNICIPALITY)
            )
            live = [r for r in regs if r.get("status") != "cancelled"]
            if not live:  # each cancelling route takes one: register another where open
                live = [await _register_somewhere(c, len(regs))]
            fresh["registration_id"] = live[0]["id"]
    return fresh


async def _register_somewhere(c: httpx.AsyncClient, n: int) -> dict[str, Any]:
    """A new registration of the own municipality in the first session open for it."""
    body = {"name": f"行列 {n}", "municipality_code": OWN_MUNICIPALITY, "email": f"m{n}@ex.jp"}
    for s in await _get(c, "/api/v1/sessions"):
        r = await c.post(f"/api/v1/sessions/{s['id']}/registrations", json=body)
        if r.status_code == 201:
            return r.json()
    raise AssertionError("no session of the demo takes registrations")


async def gateway_matrix(gateway_factory: GatewayFactory) -> list[str]:
    from gateway.auth import service as auth_service

    clients: dict[str, httpx.AsyncClient] = {}
    for role in ROLES:
        if role == "api_client":
            continue
        clients[role] = await gateway_factory(
            role=role, municipality=OWN_MUNICIPALITY if role == "municipality" else None
        )
    admin = clients["admin"]
    app = admin.app  # type: ignore[attr-defined]
    async with app.state.db.session(write=True) as s:
        raw, token, _ = await auth_service.create_token(
            s,
            name="マトリクス",
            user_id=None,
            expires_in_days=1,
            by="test",
            now=app.state.clock.now(),
        )
        _, victim, _ = await auth_service.create_token(
            s,
            name="取り消し用",
            user_id=None,
            expires_in_days=1,
            by="test",
            now=app.state.clock.now(),
        )
        await s.commit()
    api = await gateway_factory(role=None)
    api.headers["Authorization"] = f"Bearer {raw}"
    clients["api_client"] = api
    users = (await admin.get("/api/v1/admin/users")).json()
    target_user = next(u for u in _items(users) if u["login"] == "test-viewer")
    params = {
        "code": OWN_MUNICIPALITY,
        "fiscal_year": FY,
        "user_id": target_user["id"],
        "token_id": victim.id,
    }

    async def get_params(route: str, role: str) -> dict[str, Any]:
        return params

    async def send(
        role: str, method: str, path: str, body: Any, query: dict[str, Any]
    ) -> httpx.Response:
        return await clients[role].request(method, path, json=body, params=query)

    return await run_matrix(
        "gateway",
        ROUTES["gateway"],
        send,
        get_params,
        fingerprint=lambda: gateway_records(app),
    )


async def page_params(demo: dict[str, ServiceHarness]) -> dict[str, Any]:
    """Demo ids for the page routes (the records of 八王子市 where it matters)."""
    m = OWN_MUNICIPALITY
    support = await service_params("support_cases", demo["support_cases"])
    training = await service_params("training", demo["training"])
    async with demo["indicators"].client() as c:
        fws = await _get(c, "/api/v1/frameworks")
        fw = next(f for f in fws if f["level"] == "municipality")
        fw_item = _first_item(await _get(c, f"/api/v1/frameworks/{fw['id']}"))
        tokyo = [s for s in await _get(c, "/api/v1/pdca/sheets") if s["entity_code"] == "130001"]
        sheet = await _get(c, f"/api/v1/pdca/sheets/{max(s['id'] for s in tokyo)}")
    async with demo["support_cases"].client() as c:
        tree = await _get(c, f"/api/v1/cases/{support['case_id']}/tree")
    return {
        "sibling_id": _second_sibling(tree["root"]),
        **support,
        **training,
        "framework_id": fw["id"],
        "code": m,
        "root_id": tree["root"]["id"],
        "fw_item": fw_item,
        "pdca_item": sheet["items"][0]["code"],
        "pdca_fy": sheet["start_fy"],
        "name": "participants.csv",
        "kind": "items",  # the import wizard's item-table import
        "upload_id": "nobodys-upload",
    }


def _first_item(data: Any) -> str:
    """The code of the first scored item anywhere in a framework's tree."""
    if isinstance(data, dict):
        for item in data.get("items") or []:
            if isinstance(item, dict) and item.get("code"):
                return item["code"]
        for value in data.values():
            found = _first_item(value)
            if found:
                return found
    if isinstance(data, list):
        for value in data:
            found = _first_item(value)
            if found:
                return found
    return ""


def _category_items(data: Any) -> tuple[str, list[dict[str, Any]]]:
    """The first category with scored items anywhere in a framework: its code and items (an
    import replaces a category's items, so all of them keep its totals)."""
    if isinstance(data, dict):
        items = [i for i in data.get("items") or [] if isinstance(i, dict) and i.get("code")]
        if items and data.get("code") and all(i.get("max_points") is not None for i in items):
            return data["code"], items
        children = [v for v in data.values() if isinstance(v, (dict, list))]
    else:
        children = list(data)
    for child in children:
        if isinstance(child, (dict, list)):
            try:
                return _category_items(child)
            except LookupError:
                continue
    raise LookupError("no scored item in the framework")


def _second_sibling(node: dict[str, Any]) -> int:
    """A node with an elder sibling (so "up" really moves it)."""
    children = node.get("children") or []
    if len(children) >= 2:
        return children[1]["id"]
    for child in children:
        found = _second_sibling(child)
        if found:
            return found
    return 0


async def live_registration(h: ServiceHarness) -> dict[str, Any]:
    """A registration of 八王子市 not yet cancelled (each allowed cancel uses one up)."""
    async with h.client() as c:
        regs = _items(await _get(c, "/api/v1/registrations", municipality_code=OWN_MUNICIPALITY))
    live = [r for r in regs if r.get("status") != "cancelled"]
    assert live, "no live registration of 八王子市 left in the demo data"
    return {"session_id": live[-1]["session_id"], "registration_id": live[-1]["id"]}


async def test_every_page_for_every_role(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    """The gateway's pages and form actions × every role, on the demo data, against
    tests/security/pages.py; a refused or conflicting write changes nothing anywhere."""
    from gateway.auth import service as auth_service

    clients: dict[str, httpx.AsyncClient] = {}
    for role in ROLES:
        if role not in ("api_client", "advisor"):
            clients[role] = await gateway_factory(
                role=role, municipality=OWN_MUNICIPALITY if role == "municipality" else None
            )
    app = clients["admin"].app  # type: ignore[attr-defined]
    # The advisor logs in as the advisor assigned to 八王子市's case (login = actor id).
    support = await service_params("support_cases", demo["support_cases"])
    advisor = await gateway_factory(role=None)
    login = await gateway_user(advisor.app, "advisor", login=support["advisor_actor_id"])
    assert (await log_in(advisor, login)).status_code == 303
    clients["advisor"] = advisor
    async with app.state.db.session(write=True) as s:
        raw, _, _ = await auth_service.create_token(
            s, name="ページ", user_id=None, expires_in_days=1, by="test", now=app.state.clock.now()
        )
        _, victim, _ = await auth_service.create_token(
            s,
            name="取り消し用",
            user_id=None,
            expires_in_days=1,
            by="test",
            now=app.state.clock.now(),
        )
        await s.commit()
    api = await gateway_factory(role=None)
    api.headers["Authorization"] = f"Bearer {raw}"
    clients["api_client"] = api
    users = (await clients["admin"].get("/api/v1/admin/users")).json()
    base = {
        **(await page_params(demo)),
        "user_id": next(u for u in _items(users) if u["login"] == "test-viewer")["id"],
        "token_id": victim.id,
    }

    assert base["sibling_id"], "no tree node with an elder sibling in the demo case"

    async def params(route: str, role: str) -> dict[str, Any]:
        if "{registration_id}" in route and "attendance" not in route:
            return {**base, **(await live_registration(demo["training"]))}
        if route.endswith("/reorder"):
            return {**base, "node_id": base["sibling_id"]}
        if "{upload_id}" in route:
            return {**base, "upload_id": await upload_for(route, role)}
        return base

    async def upload_for(route: str, role: str) -> str:
        """An upload of the acting role (of the admin for a role that may upload nothing),
        made before the write's fingerprint; previewed first for the commit."""
        method = route.split(" ", 1)[0]
        allowed = expected_of(PAGES[route], role, method) not in ("403", "404")
        owner = role if allowed else "admin"
        c = clients[owner]
        files = PAGE_FILES["POST /imports/{kind}"]
        if route.endswith("/commit"):  # an item as it stands: the framework's totals still hold
            async with demo["indicators"].client() as ind:
                fw = await _get(ind, f"/api/v1/frameworks/{base['framework_id']}")
            cat, items = _category_items(fw)
            out = io.StringIO()
            rows = [[cat, i["code"], i["text"], i["max_points"]] for i in items]
            csv.writer(out).writerows([["分野", "番号", "指標の内容", "配点"], *rows])
            files = {"file": ("items.csv", out.getvalue().encode("cp932"))}
        r = await c.post(
            f"/imports/{base['kind']}",
            data={"framework_id": str(base["framework_id"])},
            files=files,
            headers={"Accept": "text/html"},
        )
        assert r.status_code == 303, (owner, r.status_code, r.text[:300])
        upload_id = r.headers["location"].rsplit("/", 1)[1]
        if route.endswith("/commit"):
            preview = await c.post(
                f"/imports/u/{upload_id}/preview",
                data=IMPORT_MAPPING,
                headers={"Accept": "text/html"},
            )
            assert preview.status_code == 200, (owner, preview.text[:300])
        return upload_id

    files_at = [
        (re.compile(re.sub(r"\{[^}]+\}", "[^/]+", r.split(" ", 1)[1]) + "$"), r.split(" ", 1)[0], f)
        for r, f in PAGE_FILES.items()
    ]

    async def send(
        role: str, method: str, path: str, body: Any, query: dict[str, Any]
    ) -> httpx.Response:
        files = next((f for rx, m, f in files_at if m == method and rx.match(path)), None)
        if files:  # a text content is a template of demo values
            files = {
                k: (name, fill(c, base).encode() if isinstance(c, str) else c)
                for k, (name, c) in files.items()
            }
        return await clients[role].request(
            method, path, data=body, files=files, params=query, headers={"Accept": "text/html"}
        )

    async def fingerprint() -> Any:
        return (
            [await audit_count(demo[svc]) for svc in SERVICES],
            await gateway_records(app),
        )

    routes = [r for r in PAGE_ROUTES if r not in OPEN and r not in IN_PAGE_MATRIX]
    problems = await run_matrix(
        "gateway pages",
        routes,
        send,
        params,
        table=PAGES,
        bodies=PAGE_FORMS,
        queries=PAGE_QUERIES,
        fingerprint=fingerprint,
    )
    assert not problems, "\n".join(problems)
