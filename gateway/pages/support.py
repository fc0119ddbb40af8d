"""Companion-support pages (伴走型支援): the round (applications, candidate ranking, selection
with region balance, cases) and the case workspace (status stepper, visits, logic tree editor,
initiatives, roadmap timeline, report preview with lessons and the Word download)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.api.combined import rank_candidates
from gateway.api.registry import registry_of
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.support_cases import SupportCasesClient
from gateway.combine import gather
from gateway.templating import path_for, render, wants_fragment
from services.common import clock
from services.common.errors import AppError
from services.common.registry import CodeError, get_registry

router = APIRouter(include_in_schema=False)

SERVICE = "support_cases"
STEPS = (
    "選定",
    "ヒアリング",
    "課題分析",
    "取組選定",
    "ロードマップ作成",
    "実施・検証",
    "報告",
    "完了",
)
ITEM_STATUSES = ("未着手", "実施中", "完了", "中止")
VISIT_KINDS = ("ヒアリング", "訪問支援", "検討会")
MAX_DEPTH = 6
CONFLICT = "ほかの人が先にこのノードを変更しました。あなたの変更は保存していません。現在の内容を確かめてから、もう一度編集してください。"


def _client(request: Request) -> SupportCasesClient:
    return request.app.state.services.support_cases


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _muni(code: str | None) -> str:
    if not code:
        return ""
    try:
        return get_registry().require(code).name
    except CodeError:
        return code


def _app_error(exc: ServiceRejected) -> AppError:
    err = AppError(exc.problem.get("detail") or exc.detail, title=exc.problem.get("title"))
    err.status = exc.status or 400
    return err


def _message(exc: ServiceRejected) -> str:
    """The service's message, with its field messages when it gave some."""
    msgs = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
    detail = exc.problem.get("detail") or exc.detail
    japanese = [m for m in msgs if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", m)]
    return "".join(dict.fromkeys([detail, *japanese])) if japanese else str(detail)


def _fy_param(value: int | None) -> int:
    return value if value and 2000 <= value <= 2100 else clock.current_fiscal_year()


def _status_code(request: Request, status: int) -> int:
    """htmx swaps only 2xx: the fragment with the message comes back as 200."""
    return 200 if wants_fragment(request) else status


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _codes(value: str) -> list[str]:
    return [c for c in re.split(r"[,\s、，]+", value or "") if c]


# ---------------------------------------------------------------- the round


def _region_balance(
    targets: dict[str, int], apps: list[dict[str, Any]], suggested: list[str]
) -> list[dict[str, Any]]:
    registry = get_registry()
    rows = []
    for rc, n in targets.items():
        selected = [a for a in apps if a.get("region_class") == rc and a.get("status") == "選定"]
        sugg = [c for c in suggested if (m := registry.get(c)) and m.region_class == rc]
        rows.append(
            {
                "region_class": rc,
                "target": n,
                "selected": len(selected),
                "selected_names": [a.get("municipality_name") for a in selected],
                "suggested_names": [_muni(c) for c in sugg],
            }
        )
    return rows


async def _round_context(request: Request, fy: int) -> dict[str, Any]:
    client, actor = _client(request), _actor(request)
    services = request.app.state.services
    registry = registry_of(request)
    parts = await gather(
        {
            "applications": (SERVICE, client.applications(fiscal_year=fy, actor=actor)),
            "round": (SERVICE, client.round(fy, actor=actor)),
            "cases": (SERVICE, client.cases(fiscal_year=fy, actor=actor)),
            "latest": (
                "indicators",
                services.indicators.latest_results(
                    prefecture=registry.home_prefecture, peer_set="peer_type", actor=actor
                ),
            ),
        }
    )
    settings = request.app.state.settings
    priority = [c.strip() for c in settings.priority_categories.split(",") if c.strip()]
    ranking = None
    if "applications" in parts:
        ranking = rank_candidates(
            registry, fy, parts, priority=priority, low_threshold=settings.low_score_threshold
        )
    apps = sorted(parts.get("applications") or [], key=lambda a: a["municipality_code"])
    rnd = parts.get("round")
    targets = (rnd or {}).get("targets_by_region_class") or {"区部": 1, "市部": 1, "町村部": 1}
    cases = sorted(parts.get("cases") or [], key=lambda c: c["municipality_code"])
    return {
        "fiscal_year": fy,
        "round": rnd,
        "applications": apps,
        "applications_loaded": "applications" in parts,
        "ranking": ranking,
        "candidates": [r for r in (ranking or {}).get("candidates", []) if r["applied"]],
        "others": [
            r
            for r in (ranking or {}).get("candidates", [])
            if not r["applied"] and r["weakness"] is not None
        ][:10],
        "balance": _region_balance(targets, apps, (ranking or {}).get("suggested", [])),
        "cases": cases,
        "cases_loaded": "cases" in parts,
        "unavailable": parts.unavailable,
        "muni": _muni,
        "app_messages": {},
    }


@router.get("/support", name="support_round", response_class=HTMLResponse)
async def support_round(
    request: Request, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    fy = _fy_param(fiscal_year)
    return render(request, "support/round.html", await _round_context(request, fy))


@router.post(
    "/support/applications/{application_id}/decision",
    name="support_decide",
    response_class=HTMLResponse,
)
async def support_decide(request: Request, application_id: int) -> Response:
    form = await request.form()
    fy = _fy_param(_int(form.get("fiscal_year")))
    status = str(form.get("status", ""))
    reason = str(form.get("reason", "")).strip()
    body = {"status": status, "reason": reason, "version": _int(form.get("version")) or 0}
    client, actor = _client(request), _actor(request)
    message: dict[str, str] = {}
    code = 200
    app: dict[str, Any] | None = None
    try:
        if status not in ("選定", "見送り"):
            raise ServiceRejected(SERVICE, 422, {"detail": "選定か見送りを選んでください。"})
        app = await client.decide(application_id, body, actor=actor)
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        message = {"kind": "error", "text": _message(exc), "reason": reason}
        code = exc.status or 422
    except ServiceError as exc:
        message = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        code = 503
    else:
        message = {"kind": "ok", "text": f"{app['municipality_name']}を{app['status']}にしました。"}
        if not wants_fragment(request):
            url = path_for(request, "support_round")
            return RedirectResponse(f"{url}?fiscal_year={fy}#app-{application_id}", 303)
    if wants_fragment(request):
        if app is None:
            try:
                apps = await client.applications(fiscal_year=fy, actor=actor)
            except ServiceError:
                apps = []
            app = next((a for a in apps if a["id"] == application_id), None)
        if app is not None:
            return render(
                request,
                "support/_application_row.html",
                {"a": app, "fiscal_year": fy, "app_msg": message},
            )
    ctx = await _round_context(request, fy)
    ctx["app_messages"] = {application_id: message}
    return render(request, "support/round.html", ctx, status_code=code)


# ---------------------------------------------------------------- the case workspace


def _walk(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not node:
        return []
    out = [node]
    for c in node.get("children") or []:
        out += _walk(c)
    return out


def _height(node: dict[str, Any]) -> int:
    kids = node.get("children") or []
    return 0 if not kids else 1 + max(_height(c) for c in kids)


def _tree_index(tree: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    return {n["id"]: n for n in _walk((tree or {}).get("root"))}


def _move_targets(tree: dict[str, Any] | None) -> dict[int, list[dict[str, Any]]]:
    """For each node, the nodes it may move under: not itself or its descendants, not its
    present parent, and not so deep that the subtree would pass depth 6."""
    nodes = _walk((tree or {}).get("root"))
    out: dict[int, list[dict[str, Any]]] = {}
    for n in nodes:
        if n.get("parent_id") is None:
            continue
        own = {x["id"] for x in _walk(n)}
        h = _height(n)
        out[n["id"]] = [
            t
            for t in nodes
            if t["id"] not in own and t["id"] != n["parent_id"] and t["depth"] + 1 + h <= MAX_DEPTH
        ]
    return out


def _stepper(case: dict[str, Any]) -> list[dict[str, str]]:
    status = case.get("status")
    done_at = {}
    for t in case.get("transitions") or []:
        done_at[t["to_status"]] = t["at"]
    index = STEPS.index(status) if status in STEPS else -1
    if status == "中止":
        last = [t["from_status"] for t in case.get("transitions") or [] if t["to_status"] == "中止"]
        index = STEPS.index(last[-1]) if last and last[-1] in STEPS else -1
    steps = []
    for i, s in enumerate(STEPS):
        state = "done" if i < index else "current" if i == index else "todo"
        if status == "中止" and i == index:
            state = "stopped"
        if status == "完了" and s == "完了":
            state = "done current"
        steps.append({"name": s, "state": state, "at": done_at.get(s, "")})
    return steps


def _tree_context(case_id: int, tree: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tree": tree,
        "targets": _move_targets(tree),
        "node_msgs": {},
        "tree_msg": None,
        "forms": {},
        **extra,
    }


def _month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def _timeline(items: list[dict[str, Any]], fy: int) -> dict[str, Any]:
    """Months across (at least the case's fiscal year, April to March), one row per item."""
    start = _month_index(f"{fy}-04")
    end = _month_index(f"{fy + 1}-03")
    for it in items:
        start = min(start, _month_index(it["start_month"]))
        end = max(end, _month_index(it["end_month"]))
    months = [
        {"key": f"{i // 12:04d}-{i % 12 + 1:02d}", "y": i // 12, "m": i % 12 + 1}
        for i in range(start, end + 1)
    ]
    rows = []
    for it in sorted(items, key=lambda x: (x["start_month"], x["id"])):
        s, e = _month_index(it["start_month"]) - start, _month_index(it["end_month"]) - start
        rows.append(
            {
                "item": it,
                "col_start": s + 2,  # column 1 holds the initiative's name
                "col_end": e + 3,
                "milestones": [
                    {**ms, "col": _month_index(ms["month"]) - start + 2}
                    for ms in it.get("milestones") or []
                    if start <= _month_index(ms["month"]) <= end
                ],
            }
        )
    return {"months": months, "rows": rows, "count": len(months)}


def _report_body(html: str | None) -> str | None:
    """The service's report page without its <html>/<head>: the body to embed."""
    if html is None:
        return None
    m = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    body = m.group(1) if m else html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S | re.I)
    # Its headings sit under the page's 報告書 (h2) and プレビュー (h3) headings.
    return re.sub(
        r"<(/?)h([1-6])\b",
        lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 3, 6)}",
        body,
        flags=re.I,
    )


async def _case_context(request: Request, case_id: int, **extra: Any) -> dict[str, Any]:
    client, actor = _client(request), _actor(request)
    parts = await gather(
        {
            "case": (SERVICE, client.case(case_id, actor=actor)),
            "visits": (SERVICE, client.visits(case_id, actor=actor)),
            "tree": (SERVICE, client.tree(case_id, actor=actor)),
            "initiatives": (SERVICE, client.initiatives(case_id, actor=actor)),
            "roadmap": (SERVICE, client.roadmap(case_id, actor=actor)),
            "lessons": (SERVICE, client.lessons(case_id, actor=actor)),
            "report": (SERVICE, client.report_html(case_id, actor=actor)),
            "advisors": (SERVICE, client.advisors(actor=actor)),
        }
    )
    case = parts.get("case")
    tree = parts.get("tree")
    fy = (case or {}).get("fiscal_year") or clock.current_fiscal_year()
    ctx: dict[str, Any] = {
        "case_id": case_id,
        "case": case,
        "steps": _stepper(case) if case else [],
        "step_msg": None,
        "visits": sorted(parts.get("visits") or [], key=lambda v: v["visit_date"], reverse=True),
        "visit_form": {},
        "visit_msg": None,
        "advisors": [a for a in parts.get("advisors") or [] if a.get("active", True)],
        "visit_kinds": VISIT_KINDS,
        "initiatives": parts.get("initiatives") or [],
        "initiative_msg": None,
        "initiative_form": {},
        "nodes": _walk((tree or {}).get("root")),
        "timeline": _timeline(parts.get("roadmap") or [], fy),
        "item_statuses": ITEM_STATUSES,
        "lessons": parts.get("lessons"),
        "lessons_msg": None,
        "lessons_text": None,
        "report_body": _report_body(parts.get("report")),
        "unavailable": parts.unavailable,
        "muni": _muni,
        **_tree_context(case_id, tree),
    }
    ctx.update(extra)
    return ctx


async def _case_page(
    request: Request, case_id: int, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = await _case_context(request, case_id, **extra)
    return render(request, "support/case.html", ctx, status_code=status_code)


@router.get("/support/cases/{case_id}", name="support_case", response_class=HTMLResponse)
async def support_case(request: Request, case_id: int) -> HTMLResponse:
    return await _case_page(request, case_id)


@router.get("/support/cases/{case_id}/roadmap", name="support_roadmap", response_class=HTMLResponse)
async def support_roadmap(request: Request, case_id: int) -> HTMLResponse:
    client, actor = _client(request), _actor(request)
    parts = await gather(
        {
            "case": (SERVICE, client.case(case_id, actor=actor)),
            "roadmap": (SERVICE, client.roadmap(case_id, actor=actor)),
        }
    )
    case = parts.get("case")
    fy = (case or {}).get("fiscal_year") or clock.current_fiscal_year()
    return render(
        request,
        "support/roadmap.html",
        {
            "case_id": case_id,
            "case": case,
            "timeline": _timeline(parts.get("roadmap") or [], fy),
            "item_statuses": ITEM_STATUSES,
            "unavailable": parts.unavailable,
            "muni": _muni,
        },
    )


# --- status stepper


@router.post(
    "/support/cases/{case_id}/transitions",
    name="support_transition",
    response_class=HTMLResponse,
)
async def support_transition(request: Request, case_id: int) -> Response:
    form = await request.form()
    body = {
        "to_status": str(form.get("to_status", "")),
        "reason": str(form.get("reason", "")).strip(),
        "version": _int(form.get("version")) or 0,
    }
    client, actor = _client(request), _actor(request)
    msg: dict[str, str]
    code = 200
    try:
        case = await client.transition(case_id, body, actor=actor)
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        code = exc.status or 409
        msg = {"kind": "error", "text": _message(exc)}
        try:
            case = await client.case(case_id, actor=actor)
        except ServiceError:
            case = None
    except ServiceError as exc:
        code, case = 503, None
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
    else:
        msg = {"kind": "ok", "text": f"状態を「{case['status']}」に進めました。"}
        if not wants_fragment(request):
            url = path_for(request, "support_case", case_id=case_id)
            return RedirectResponse(f"{url}#stepper", status_code=303)
    if wants_fragment(request) and case is not None:
        return render(
            request,
            "support/_stepper.html",
            {"case": case, "steps": _stepper(case), "step_msg": msg, "case_id": case_id},
        )
    return await _case_page(request, case_id, status_code=code, step_msg=msg)


# --- visits


@router.post(
    "/support/cases/{case_id}/visits", name="support_add_visit", response_class=HTMLResponse
)
async def support_add_visit(request: Request, case_id: int) -> Response:
    form = await request.form()
    values = {
        k: str(form.get(k, "")).strip()
        for k in (
            "visit_date",
            "kind",
            "place",
            "advisor_id",
            "hours",
            "agenda",
            "notes",
            "issues_found",
        )
    }
    values["online"] = "1" if form.get("online") else ""
    body: dict[str, Any] = {
        "visit_date": values["visit_date"],
        "kind": values["kind"] or "ヒアリング",
        "place": values["place"],
        "online": bool(values["online"]),
        "agenda": values["agenda"],
        "notes": values["notes"],
        "issues_found": [x.strip() for x in values["issues_found"].splitlines() if x.strip()],
        "advisors": [],
    }
    client, actor = _client(request), _actor(request)
    errors: list[str] = []
    try:
        hours = float(values["hours"] or 0)
    except ValueError:
        hours = 0.0
        errors.append("時間は数字で入力してください (例: 2.5)。")
    if _int(values["advisor_id"]):
        body["advisors"] = [{"advisor_id": _int(values["advisor_id"]), "hours": hours}]
    if not values["visit_date"]:
        errors.append("実施日を入力してください。")
    if not body["advisors"]:
        errors.append("派遣した専門家を選んでください。")
    code = 422
    if not errors:
        try:
            await client.add_visit(case_id, body, actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                raise _app_error(exc) from exc
            errors, code = [_message(exc)], exc.status or 422
        except ServiceError as exc:
            errors, code = [f"伴走型支援のサービスが応答しません ({exc.detail})。"], 503
        else:
            if not wants_fragment(request):
                url = path_for(request, "support_case", case_id=case_id)
                return RedirectResponse(f"{url}#visits", status_code=303)
            visits = await client.visits(case_id, actor=actor)
            advisors = await client.advisors(actor=actor)
            return render(
                request,
                "support/_visits.html",
                {
                    "case_id": case_id,
                    "visits": sorted(visits, key=lambda v: v["visit_date"], reverse=True),
                    "advisors": advisors,
                    "visit_kinds": VISIT_KINDS,
                    "visit_form": {},
                    "visit_msg": {"kind": "ok", "text": "派遣・ヒアリングを記録しました。"},
                    "muni": _muni,
                },
            )
    msg = {"kind": "error", "text": "".join(errors)}
    if wants_fragment(request):
        try:
            visits = await client.visits(case_id, actor=actor)
            advisors = await client.advisors(actor=actor)
        except ServiceError:
            visits, advisors = [], []
        return render(
            request,
            "support/_visits.html",
            {
                "case_id": case_id,
                "visits": sorted(visits, key=lambda v: v["visit_date"], reverse=True),
                "advisors": advisors,
                "visit_kinds": VISIT_KINDS,
                "visit_form": values,
                "visit_msg": msg,
                "muni": _muni,
            },
        )
    return await _case_page(request, case_id, status_code=code, visit_form=values, visit_msg=msg)


# --- logic tree editor


def _lca(index: dict[int, dict[str, Any]], a: int | None, b: int | None) -> int | None:
    """The lowest common ancestor of two nodes (each counts as its own ancestor)."""

    def path(n: int | None) -> list[int]:
        out = []
        while n is not None and n in index:
            out.append(n)
            n = index[n].get("parent_id")
        return out

    pa, pb = path(a), set(path(b))
    return next((x for x in pa if x in pb), None)


async def _tree_answer(
    request: Request,
    case_id: int,
    *,
    swap_id: int | None,
    status: int = 200,
    node_msgs: dict[int, dict[str, Any]] | None = None,
    tree_msg: dict[str, str] | None = None,
    forms: dict[str, Any] | None = None,
    anchor: int | None = None,
) -> Response:
    """After a tree change: for htmx, the changed subtree (``swap_id``) or the whole tree;
    for a plain post, a redirect (success) or the page with the message (failure)."""
    client, actor = _client(request), _actor(request)
    ok = status < 400
    if not wants_fragment(request):
        if ok:
            url = path_for(request, "support_case", case_id=case_id)
            return RedirectResponse(f"{url}#node-{anchor or swap_id or ''}", status_code=303)
        return await _case_page(
            request,
            case_id,
            status_code=status,
            node_msgs=node_msgs or {},
            tree_msg=tree_msg,
            forms=forms or {},
        )
    try:
        tree = await client.tree(case_id, actor=actor)
    except ServiceError as exc:
        tree = None
        tree_msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        swap_id = None
    ctx = _tree_context(
        case_id, tree, node_msgs=node_msgs or {}, tree_msg=tree_msg, forms=forms or {}
    )
    index = _tree_index(tree)
    if swap_id is not None and swap_id in index:
        ctx["n"] = index[swap_id]
        resp = render(request, "support/_tree_node.html", ctx)
        resp.headers["HX-Retarget"] = f"#node-{swap_id}"
        resp.headers["HX-Reswap"] = "outerHTML"
        return resp
    resp = render(request, "support/_tree.html", ctx)
    resp.headers["HX-Retarget"] = "#logic-tree"
    resp.headers["HX-Reswap"] = "outerHTML"
    return resp


def _node_values(form: Any) -> dict[str, Any]:
    return {
        "statement": str(form.get("statement", "")).strip(),
        "evidence": str(form.get("evidence", "")).strip(),
        "indicator_item_codes": _codes(str(form.get("indicator_item_codes", ""))),
        "is_hypothesis": bool(form.get("is_hypothesis")),
    }


@router.post(
    "/support/cases/{case_id}/tree/nodes", name="support_add_node", response_class=HTMLResponse
)
async def support_add_node(request: Request, case_id: int) -> Response:
    form = await request.form()
    parent_id = _int(form.get("parent_id"))
    body = {**_node_values(form), "parent_id": parent_id}
    form_key = f"add-{parent_id or 'root'}"
    if not body["statement"]:
        msg = {"kind": "error", "text": "内容 (なぜ？の答え) を入力してください。"}
        return await _tree_answer(
            request,
            case_id,
            swap_id=parent_id,
            status=422,
            node_msgs={parent_id: msg} if parent_id else {},
            tree_msg=None if parent_id else msg,
            forms={form_key: body},
        )
    try:
        node = await _client(request).add_node(case_id, body, actor=_actor(request))
    except ServiceRejected as exc:
        if exc.status == 404 and parent_id is None:
            raise _app_error(exc) from exc
        msg = {"kind": "error", "text": _message(exc)}
        return await _tree_answer(
            request,
            case_id,
            swap_id=parent_id,
            status=exc.status or 422,
            node_msgs={parent_id: msg} if parent_id else {},
            tree_msg=None if parent_id else msg,
            forms={form_key: body},
        )
    except ServiceError as exc:
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        return await _tree_answer(
            request, case_id, swap_id=None, status=503, tree_msg=msg, forms={form_key: body}
        )
    ok = {"kind": "ok", "text": f"「{node['statement']}」を追加しました。"}
    return await _tree_answer(
        request,
        case_id,
        swap_id=parent_id,
        node_msgs={node["id"]: ok},
        tree_msg=None if parent_id else ok,
        anchor=node["id"],
    )


async def _edit_node(
    request: Request, case_id: int, node_id: int, body: dict[str, Any], *, forms: dict[str, Any]
) -> Response:
    try:
        await _client(request).update_node(case_id, node_id, body, actor=_actor(request))
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        if exc.status == 409:
            msg = {"kind": "conflict", "text": CONFLICT, "mine": body}
            return await _tree_answer(
                request, case_id, swap_id=node_id, status=409, node_msgs={node_id: msg}
            )
        msg = {"kind": "error", "text": _message(exc)}
        return await _tree_answer(
            request,
            case_id,
            swap_id=node_id,
            status=exc.status or 422,
            node_msgs={node_id: msg},
            forms=forms,
        )
    except ServiceError as exc:
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        return await _tree_answer(request, case_id, swap_id=None, status=503, tree_msg=msg)
    return await _tree_answer(
        request,
        case_id,
        swap_id=node_id,
        node_msgs={node_id: {"kind": "ok", "text": "保存しました。"}},
    )


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}",
    name="support_edit_node",
    response_class=HTMLResponse,
)
async def support_edit_node(request: Request, case_id: int, node_id: int) -> Response:
    form = await request.form()
    values = _node_values(form)
    body = {**values, "version": _int(form.get("version")) or 0}
    if not values["statement"]:
        msg = {"kind": "error", "text": "内容を入力してください (空にはできません)。"}
        return await _tree_answer(
            request,
            case_id,
            swap_id=node_id,
            status=422,
            node_msgs={node_id: msg},
            forms={f"edit-{node_id}": values},
        )
    return await _edit_node(request, case_id, node_id, body, forms={f"edit-{node_id}": values})


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/hypothesis",
    name="support_node_hypothesis",
    response_class=HTMLResponse,
)
async def support_node_hypothesis(request: Request, case_id: int, node_id: int) -> Response:
    form = await request.form()
    body = {
        "is_hypothesis": str(form.get("is_hypothesis", "")) == "1",
        "version": _int(form.get("version")) or 0,
    }
    return await _edit_node(request, case_id, node_id, body, forms={})


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/move",
    name="support_move_node",
    response_class=HTMLResponse,
)
async def support_move_node(request: Request, case_id: int, node_id: int) -> Response:
    form = await request.form()
    parent_id = _int(form.get("parent_id"))
    version = _int(form.get("version")) or 0
    client, actor = _client(request), _actor(request)
    if parent_id is None:
        msg = {"kind": "error", "text": "移動先を選んでください。"}
        return await _tree_answer(
            request, case_id, swap_id=node_id, status=422, node_msgs={node_id: msg}
        )
    try:
        before = _tree_index(await client.tree(case_id, actor=actor))
        old_parent = (before.get(node_id) or {}).get("parent_id")
        await client.move_node(
            case_id, node_id, {"parent_id": parent_id, "version": version}, actor=actor
        )
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        kind = "conflict" if exc.status == 409 else "error"
        text = CONFLICT if exc.status == 409 else _message(exc)
        return await _tree_answer(
            request,
            case_id,
            swap_id=node_id,
            status=exc.status or 422,
            node_msgs={node_id: {"kind": kind, "text": text}},
        )
    except ServiceError as exc:
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        return await _tree_answer(request, case_id, swap_id=None, status=503, tree_msg=msg)
    # The part that changed is the subtree holding both the old and the new parent.
    swap = _lca(before, old_parent, parent_id)
    new_parent = before.get(parent_id, {}).get("statement", "")
    ok = {"kind": "ok", "text": f"「{new_parent}」の下へ移動しました。"}
    return await _tree_answer(
        request, case_id, swap_id=swap, node_msgs={node_id: ok}, anchor=node_id
    )


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/reorder",
    name="support_reorder_node",
    response_class=HTMLResponse,
)
async def support_reorder_node(request: Request, case_id: int, node_id: int) -> Response:
    form = await request.form()
    direction = str(form.get("direction", ""))
    client, actor = _client(request), _actor(request)
    try:
        index = _tree_index(await client.tree(case_id, actor=actor))
        node = index.get(node_id)
        if node is None or node.get("parent_id") is None:
            raise ServiceRejected(SERVICE, 404, {"detail": "ノードが見つかりません"})
        parent = index[node["parent_id"]]
        ids = [c["id"] for c in parent.get("children") or []]
        i = ids.index(node_id)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            await client.reorder(case_id, parent["id"], ids, actor=actor)
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        msg = {"kind": "error", "text": _message(exc)}
        return await _tree_answer(
            request, case_id, swap_id=node_id, status=exc.status or 422, node_msgs={node_id: msg}
        )
    except ServiceError as exc:
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
        return await _tree_answer(request, case_id, swap_id=None, status=503, tree_msg=msg)
    label = "上" if direction == "up" else "下"
    ok = {"kind": "ok", "text": f"ひとつ{label}へ移しました。"}
    return await _tree_answer(
        request, case_id, swap_id=parent["id"], node_msgs={node_id: ok}, anchor=node_id
    )


# --- initiatives


@router.post(
    "/support/cases/{case_id}/initiatives",
    name="support_add_initiative",
    response_class=HTMLResponse,
)
async def support_add_initiative(request: Request, case_id: int) -> Response:
    form = await request.form()
    values = {
        "node_id": str(form.get("node_id", "")),
        "title": str(form.get("title", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "chosen": bool(form.get("chosen")),
        "reason": str(form.get("reason", "")).strip(),
    }
    client, actor = _client(request), _actor(request)
    errors = []
    if not _int(values["node_id"]):
        errors.append("取組を結びつけるノードを選んでください。")
    if not values["title"]:
        errors.append("取組の名前を入力してください。")
    code = 422
    if not errors:
        try:
            await client.add_initiative(
                case_id, {**values, "node_id": _int(values["node_id"])}, actor=actor
            )
        except ServiceRejected as exc:
            if exc.status == 404:
                raise _app_error(exc) from exc
            errors, code = [_message(exc)], exc.status or 422
        except ServiceError as exc:
            errors, code = [f"伴走型支援のサービスが応答しません ({exc.detail})。"], 503
        else:
            if not wants_fragment(request):
                url = path_for(request, "support_case", case_id=case_id)
                return RedirectResponse(f"{url}#initiatives", status_code=303)
            values, code = {}, 200
    msg = (
        {"kind": "error", "text": "".join(errors)}
        if errors
        else {"kind": "ok", "text": "取組を追加しました。"}
    )
    if wants_fragment(request):
        try:
            inits = await client.initiatives(case_id, actor=actor)
            tree = await client.tree(case_id, actor=actor)
        except ServiceError:
            inits, tree = [], None
        return render(
            request,
            "support/_initiatives.html",
            {
                "case_id": case_id,
                "initiatives": inits,
                "nodes": _walk((tree or {}).get("root")),
                "initiative_form": values,
                "initiative_msg": msg,
            },
        )
    return await _case_page(
        request, case_id, status_code=code, initiative_form=values, initiative_msg=msg
    )


# --- report


@router.post(
    "/support/cases/{case_id}/lessons", name="support_save_lessons", response_class=HTMLResponse
)
async def support_save_lessons(request: Request, case_id: int) -> Response:
    form = await request.form()
    text = str(form.get("lessons", ""))
    version = _int(form.get("version")) or 0
    client, actor = _client(request), _actor(request)
    code = 200
    try:
        lessons = await client.save_lessons(case_id, text, version, actor=actor)
        msg = {"kind": "ok", "text": f"示唆を保存しました (第{lessons['version']}版)。"}
        text_kept = None
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        code = exc.status or 422
        if exc.status == 409:
            msg = {
                "kind": "conflict",
                "text": "ほかの人が先に示唆を保存しました。あなたの文章は保存していません。現在の文章を確かめてから、もう一度保存してください。",
            }
        else:
            msg = {"kind": "error", "text": _message(exc)}
        text_kept = text
        try:
            lessons = await client.lessons(case_id, actor=actor)
        except ServiceError:
            lessons = None
    except ServiceError as exc:
        code, lessons, text_kept = 503, None, text
        msg = {"kind": "error", "text": f"伴走型支援のサービスが応答しません ({exc.detail})。"}
    if code == 200 and not wants_fragment(request):
        url = path_for(request, "support_case", case_id=case_id)
        return RedirectResponse(f"{url}#report", status_code=303)
    if wants_fragment(request):
        report = None
        try:
            report = await client.report_html(case_id, actor=actor)
        except ServiceError:
            pass
        return render(
            request,
            "support/_report.html",
            {
                "case_id": case_id,
                "lessons": lessons,
                "lessons_msg": msg,
                "lessons_text": text_kept,
                "report_body": _report_body(report),
            },
        )
    return await _case_page(
        request, case_id, status_code=code, lessons_msg=msg, lessons_text=text_kept
    )


@router.get("/support/cases/{case_id}/report.docx", name="support_report_docx")
async def support_report_docx(request: Request, case_id: int) -> Response:
    try:
        resp = await _client(request).report_docx(case_id, actor=_actor(request))
    except ServiceRejected as exc:
        raise _app_error(exc) from exc
    except ServiceError as exc:
        return render(
            request,
            "error.html",
            {
                "title": "報告書を取得できません",
                "detail": f"伴走型支援のサービスが応答しません ({exc.detail})。",
            },
            status_code=503,
        )
    headers = {"content-disposition": resp.headers.get("content-disposition", "attachment")}
    return Response(
        resp.content,
        media_type=resp.headers.get("content-type", "application/octet-stream"),
        headers=headers,
    )
