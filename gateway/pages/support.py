"""Companion-support pages (伴走型支援): the round (applications, candidate ranking, selection
with region balance, cases) and the case workspace (status stepper, visits, logic tree editor,
initiatives, roadmap timeline, report preview with lessons and the Word download)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import Outcome, as_app_error, attempt, refusal_message, stream
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.support_cases import CASE_STEPS, SupportCasesClient
from gateway.templating import fragment, path_for, render, wants_fragment
from gateway.views.context import Ctx, view_context
from gateway.views.support import (
    VISIT_KINDS,
    case_context,
    codes,
    fy_param,
    int_or_none,
    muni,
    report_body,
    roadmap_context,
    round_context,
    stepper,
    tree_context,
    tree_index,
    walk,
)

router = APIRouter(include_in_schema=False)

DECISIONS = ("選定", "見送り")

SERVICE = "support_cases"
STEPS = CASE_STEPS

CONFLICT = "ほかの人が先にこのノードを変更しました。あなたの変更は保存していません。現在の内容を確かめてから、もう一度編集してください。"


def _client(request: Request) -> SupportCasesClient:
    return request.app.state.services.support_cases


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _status_code(request: Request, status: int) -> int:
    """htmx swaps only 2xx: the fragment with the message comes back as 200."""
    return 200 if wants_fragment(request) else status


@router.get("/support", name="support_round", response_class=HTMLResponse)
async def support_round(
    request: Request, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    fy = fy_param(fiscal_year)
    return render(request, "support/round.html", await round_context(view_context(request), fy))


@router.post(
    "/support/applications/{application_id}/decision",
    name="support_decide",
    response_class=HTMLResponse,
)
async def support_decide(request: Request, application_id: int) -> Response:
    form = await request.form()
    fy = fy_param(int_or_none(form.get("fiscal_year")))
    status, reason = str(form.get("status", "")), str(form.get("reason", "")).strip()
    body = {"status": status, "reason": reason, "version": int_or_none(form.get("version")) or 0}
    if status not in DECISIONS:
        done = Outcome.refused("選定か見送りを選んでください。")
    else:
        done = await attempt(_client(request).decide(application_id, body, actor=_actor(request)))
    if done.ok and not wants_fragment(request):
        url = f"{path_for(request, 'support_round')}?fiscal_year={fy}#app-{application_id}"
        return RedirectResponse(url, 303)
    return await _decision_answer(request, application_id, fy, done, reason)


async def _decision_answer(
    request: Request, application_id: int, fy: int, done: Outcome[Any], reason: str
) -> Response:
    """The application's row with the message (htmx), or the round page with it."""
    app = done.value
    if done.ok:
        message = {"kind": "ok", "text": f"{app['municipality_name']}を{app['status']}にしました。"}
    else:
        message = {**(done.message or {}), "reason": reason}
    if wants_fragment(request):
        if app is None:
            try:
                apps = await _client(request).applications(fiscal_year=fy, actor=_actor(request))
            except ServiceError:
                apps = []
            app = next((a for a in apps if a["id"] == application_id), None)
        if app is not None:
            ctx = {"a": app, "fiscal_year": fy, "app_msg": message}
            return fragment(request, "support/round.html", "application_row", ctx)
    ctx = await round_context(view_context(request), fy)
    ctx["app_messages"] = {application_id: message}
    return render(request, "support/round.html", ctx, status_code=done.status)


# ---------------------------------------------------------------- the case workspace


async def _case_page(
    request: Request, case_id: int, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = await case_context(view_context(request), case_id, **extra)
    return render(request, "support/case.html", ctx, status_code=status_code)


@router.get("/support/cases/{case_id}", name="support_case", response_class=HTMLResponse)
async def support_case(request: Request, case_id: int) -> HTMLResponse:
    return await _case_page(request, case_id)


@router.get("/support/cases/{case_id}/roadmap", name="support_roadmap", response_class=HTMLResponse)
async def support_roadmap(request: Request, ctx: Ctx, case_id: int) -> HTMLResponse:
    return render(request, "support/roadmap.html", await roadmap_context(ctx, case_id))


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
        "version": int_or_none(form.get("version")) or 0,
    }
    done = await attempt(_client(request).transition(case_id, body, actor=_actor(request)))
    if done.ok and not wants_fragment(request):
        url = path_for(request, "support_case", case_id=case_id)
        return RedirectResponse(f"{url}#stepper", status_code=303)
    return await _stepper_answer(request, case_id, done)


async def _stepper_answer(request: Request, case_id: int, done: Outcome[Any]) -> Response:
    """The status stepper with the message (htmx), or the case page with it."""
    case = done.value
    msg = done.message or {"kind": "ok", "text": f"状態を「{case['status']}」に進めました。"}
    if case is None and done.status != 503:
        try:
            case = await _client(request).case(case_id, actor=_actor(request))
        except ServiceError:
            case = None
    if wants_fragment(request) and case is not None:
        ctx = {"case": case, "steps": stepper(case), "step_msg": msg, "case_id": case_id}
        return fragment(request, "support/case.html", "stepper", ctx)
    return await _case_page(request, case_id, status_code=done.status, step_msg=msg)


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
    if int_or_none(values["advisor_id"]):
        body["advisors"] = [{"advisor_id": int_or_none(values["advisor_id"]), "hours": hours}]
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
                raise as_app_error(exc) from exc
            errors, code = [refusal_message(exc)], exc.status or 422
        except ServiceError as exc:
            errors, code = [f"伴走型支援のサービスが応答しません ({exc.detail})。"], 503
        else:
            if not wants_fragment(request):
                url = path_for(request, "support_case", case_id=case_id)
                return RedirectResponse(f"{url}#visits", status_code=303)
            visits = await client.visits(case_id, actor=actor)
            advisors = await client.advisors(actor=actor)
            return fragment(
                request,
                "support/case.html",
                "visits",
                {
                    "case_id": case_id,
                    "visits": sorted(visits, key=lambda v: v["visit_date"], reverse=True),
                    "advisors": advisors,
                    "visit_kinds": VISIT_KINDS,
                    "visit_form": {},
                    "visit_msg": {"kind": "ok", "text": "派遣・ヒアリングを記録しました。"},
                    "muni": muni,
                },
            )
    msg = {"kind": "error", "text": "".join(errors)}
    if wants_fragment(request):
        try:
            visits = await client.visits(case_id, actor=actor)
            advisors = await client.advisors(actor=actor)
        except ServiceError:
            visits, advisors = [], []
        return fragment(
            request,
            "support/case.html",
            "visits",
            {
                "case_id": case_id,
                "visits": sorted(visits, key=lambda v: v["visit_date"], reverse=True),
                "advisors": advisors,
                "visit_kinds": VISIT_KINDS,
                "visit_form": values,
                "visit_msg": msg,
                "muni": muni,
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
    ctx = tree_context(
        case_id, tree, node_msgs=node_msgs or {}, tree_msg=tree_msg, forms=forms or {}
    )
    index = tree_index(tree)
    if swap_id is not None and swap_id in index:
        ctx["n"] = index[swap_id]
        resp = fragment(request, "support/case.html", "tree_node", ctx)
        resp.headers["HX-Retarget"] = f"#node-{swap_id}"
        resp.headers["HX-Reswap"] = "outerHTML"
        return resp
    resp = fragment(request, "support/case.html", "logic_tree", ctx)
    resp.headers["HX-Retarget"] = "#logic-tree"
    resp.headers["HX-Reswap"] = "outerHTML"
    return resp


def _node_values(form: Any) -> dict[str, Any]:
    return {
        "statement": str(form.get("statement", "")).strip(),
        "evidence": str(form.get("evidence", "")).strip(),
        "indicator_item_codes": codes(str(form.get("indicator_item_codes", ""))),
        "is_hypothesis": bool(form.get("is_hypothesis")),
    }


@router.post(
    "/support/cases/{case_id}/tree/nodes", name="support_add_node", response_class=HTMLResponse
)
async def support_add_node(request: Request, case_id: int) -> Response:
    form = await request.form()
    parent_id = int_or_none(form.get("parent_id"))
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
            raise as_app_error(exc) from exc
        msg = {"kind": "error", "text": refusal_message(exc)}
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
            raise as_app_error(exc) from exc
        if exc.status == 409:
            msg = {"kind": "conflict", "text": CONFLICT, "mine": body}
            return await _tree_answer(
                request, case_id, swap_id=node_id, status=409, node_msgs={node_id: msg}
            )
        msg = {"kind": "error", "text": refusal_message(exc)}
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
    body = {**values, "version": int_or_none(form.get("version")) or 0}
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
        "version": int_or_none(form.get("version")) or 0,
    }
    return await _edit_node(request, case_id, node_id, body, forms={})


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/move",
    name="support_move_node",
    response_class=HTMLResponse,
)
async def support_move_node(request: Request, case_id: int, node_id: int) -> Response:
    form = await request.form()
    parent_id = int_or_none(form.get("parent_id"))
    version = int_or_none(form.get("version")) or 0
    client, actor = _client(request), _actor(request)
    if parent_id is None:
        msg = {"kind": "error", "text": "移動先を選んでください。"}
        return await _tree_answer(
            request, case_id, swap_id=node_id, status=422, node_msgs={node_id: msg}
        )
    try:
        before = tree_index(await client.tree(case_id, actor=actor))
        old_parent = (before.get(node_id) or {}).get("parent_id")
        await client.move_node(
            case_id, node_id, {"parent_id": parent_id, "version": version}, actor=actor
        )
    except ServiceRejected as exc:
        if exc.status == 404:
            raise as_app_error(exc) from exc
        kind = "conflict" if exc.status == 409 else "error"
        text = CONFLICT if exc.status == 409 else refusal_message(exc)
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
        index = tree_index(await client.tree(case_id, actor=actor))
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
            raise as_app_error(exc) from exc
        msg = {"kind": "error", "text": refusal_message(exc)}
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
    if not int_or_none(values["node_id"]):
        errors.append("取組を結びつけるノードを選んでください。")
    if not values["title"]:
        errors.append("取組の名前を入力してください。")
    code = 422
    if not errors:
        try:
            await client.add_initiative(
                case_id, {**values, "node_id": int_or_none(values["node_id"])}, actor=actor
            )
        except ServiceRejected as exc:
            if exc.status == 404:
                raise as_app_error(exc) from exc
            errors, code = [refusal_message(exc)], exc.status or 422
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
        return fragment(
            request,
            "support/case.html",
            "initiatives",
            {
                "case_id": case_id,
                "initiatives": inits,
                "nodes": walk((tree or {}).get("root")),
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
    version = int_or_none(form.get("version")) or 0
    client, actor = _client(request), _actor(request)
    code = 200
    try:
        lessons = await client.save_lessons(case_id, text, version, actor=actor)
        msg = {"kind": "ok", "text": f"示唆を保存しました (第{lessons['version']}版)。"}
        text_kept = None
    except ServiceRejected as exc:
        if exc.status == 404:
            raise as_app_error(exc) from exc
        code = exc.status or 422
        if exc.status == 409:
            msg = {
                "kind": "conflict",
                "text": "ほかの人が先に示唆を保存しました。あなたの文章は保存していません。現在の文章を確かめてから、もう一度保存してください。",
            }
        else:
            msg = {"kind": "error", "text": refusal_message(exc)}
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
        return fragment(
            request,
            "support/case.html",
            "report",
            {
                "case_id": case_id,
                "lessons": lessons,
                "lessons_msg": msg,
                "lessons_text": text_kept,
                "report_body": report_body(report),
            },
        )
    return await _case_page(
        request, case_id, status_code=code, lessons_msg=msg, lessons_text=text_kept
    )


@router.get("/support/cases/{case_id}/report.docx", name="support_report_docx")
async def support_report_docx(request: Request, case_id: int) -> Response:
    opened = _client(request).report_docx(case_id, actor=_actor(request))
    return await stream(request, opened, what="報告書")
