"""The support pages' views: the round (applications ranked, balance per region class) and
the case workspace (status stepper, visits, logic tree, initiatives, roadmap, report)."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import WRITE_REFUSALS, Outcome, attempt
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.support_cases import CASE_STEPS, ITEM_STATUSES, SupportCasesClient
from gateway.templating import fragment, path_for, render, wants_fragment
from gateway.views.candidates import rank_candidates
from gateway.views.context import ViewContext, view_context
from gateway.views.parts import gather
from services.common import clock
from services.common.errors import Forbidden
from services.common.registry import CodeError, get_registry

SERVICE = "support_cases"
STEPS = CASE_STEPS
VISIT_KINDS = ("ヒアリング", "訪問支援", "検討会")
MAX_DEPTH = 6


def muni(code: str | None) -> str:
    if not code:
        return ""
    try:
        return get_registry().require(code).name
    except CodeError:
        return code


def fy_param(value: int | None) -> int:
    return value if value and 2000 <= value <= 2100 else clock.current_fiscal_year()


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def codes(value: str) -> list[str]:
    return [c for c in re.split(r"[,\s、，]+", value or "") if c]


# ---------------------------------------------------------------- the round


def region_balance(
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
                "suggested_names": [muni(c) for c in sugg],
            }
        )
    return rows


async def round_context(ctx: ViewContext, fy: int) -> dict[str, Any]:
    """The round page: applications ranked (the candidates rule), the balance per region
    class, the year's cases."""
    client, actor = ctx.clients.support_cases, ctx.actor
    services, registry = ctx.clients, ctx.registry
    parts = await gather(
        {
            # the round, its applications and the year's cases: one support_cases read
            "round": (SERVICE, client.round_view(fy, actor=actor)),
            "latest": (
                "indicators",
                services.indicators.latest_results(
                    prefecture=registry.home_prefecture, peer_set="peer_type", actor=actor
                ),
            ),
        }
    )
    settings = ctx.settings
    priority = [c.strip() for c in settings.priority_categories.split(",") if c.strip()]
    ranking = None
    view = parts.get("round")
    if view is not None and view.applications is None:
        # The service leaves applications out for an advisor: the round page is not theirs.
        raise Forbidden("専門家は希望の一覧を閲覧できません")
    if view is not None:
        ranking = rank_candidates(
            registry, fy, parts, priority=priority, low_threshold=settings.low_score_threshold
        )
    apps = sorted((view.applications if view else None) or [], key=lambda a: a["municipality_code"])
    rnd = view.round if view else None
    targets = (rnd or {}).get("targets_by_region_class") or {"区部": 1, "市部": 1, "町村部": 1}
    cases = sorted(view.cases if view else [], key=lambda c: c["municipality_code"])
    return {
        "fiscal_year": fy,
        "round": rnd,
        "applications": apps,
        "applications_loaded": view is not None and view.applications is not None,
        "ranking": ranking,
        "candidates": [r for r in (ranking or {}).get("candidates", []) if r["applied"]],
        "others": [
            r
            for r in (ranking or {}).get("candidates", [])
            if not r["applied"] and r["weakness"] is not None
        ][:10],
        "balance": region_balance(targets, apps, (ranking or {}).get("suggested", [])),
        "cases": cases,
        "cases_loaded": view is not None,
        "unavailable": parts.unavailable,
        "muni": muni,
        "app_messages": {},
    }


def walk(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not node:
        return []
    out = [node]
    for c in node.get("children") or []:
        out += walk(c)
    return out


def height(node: dict[str, Any]) -> int:
    kids = node.get("children") or []
    return 0 if not kids else 1 + max(height(c) for c in kids)


def tree_index(tree: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    return {n["id"]: n for n in walk((tree or {}).get("root"))}


def move_targets(tree: dict[str, Any] | None) -> dict[int, list[dict[str, Any]]]:
    """For each node, the nodes it may move under: not itself or its descendants, not its
    present parent, and not so deep that the subtree would pass depth 6."""
    nodes = walk((tree or {}).get("root"))
    out: dict[int, list[dict[str, Any]]] = {}
    for n in nodes:
        if n.get("parent_id") is None:
            continue
        own = {x["id"] for x in walk(n)}
        h = height(n)
        out[n["id"]] = [
            t
            for t in nodes
            if t["id"] not in own and t["id"] != n["parent_id"] and t["depth"] + 1 + h <= MAX_DEPTH
        ]
    return out


def stepper(case: dict[str, Any]) -> list[dict[str, str]]:
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


def tree_context(case_id: int, tree: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tree": tree,
        "targets": move_targets(tree),
        "node_msgs": {},
        "tree_msg": None,
        "forms": {},
        **extra,
    }


def month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def timeline(items: list[dict[str, Any]], fy: int) -> dict[str, Any]:
    """Months across (at least the case's fiscal year, April to March), one row per item."""
    start = month_index(f"{fy}-04")
    end = month_index(f"{fy + 1}-03")
    for it in items:
        start = min(start, month_index(it["start_month"]))
        end = max(end, month_index(it["end_month"]))
    months = [
        {"key": f"{i // 12:04d}-{i % 12 + 1:02d}", "y": i // 12, "m": i % 12 + 1}
        for i in range(start, end + 1)
    ]
    rows = []
    for it in sorted(items, key=lambda x: (x["start_month"], x["id"])):
        s, e = month_index(it["start_month"]) - start, month_index(it["end_month"]) - start
        rows.append(
            {
                "item": it,
                "col_start": s + 2,  # column 1 holds the initiative's name
                "col_end": e + 3,
                "milestones": [
                    {**ms, "col": month_index(ms["month"]) - start + 2}
                    for ms in it.get("milestones") or []
                    if start <= month_index(ms["month"]) <= end
                ],
            }
        )
    return {"months": months, "rows": rows, "count": len(months)}


def report_body(html: str | None) -> str | None:
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


async def case_context(ctx: ViewContext, case_id: int, **extra: Any) -> dict[str, Any]:
    """The case workspace: the case, its visits, tree, initiatives, roadmap and report."""
    client, actor = ctx.clients.support_cases, ctx.actor
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
        "steps": stepper(case) if case else [],
        "step_msg": None,
        "visits": sorted(parts.get("visits") or [], key=lambda v: v["visit_date"], reverse=True),
        "visit_form": {},
        "visit_msg": None,
        "advisors": [a for a in parts.get("advisors") or [] if a.get("active", True)],
        "visit_kinds": VISIT_KINDS,
        "initiatives": parts.get("initiatives") or [],
        "initiative_msg": None,
        "initiative_form": {},
        "nodes": walk((tree or {}).get("root")),
        "timeline": timeline(parts.get("roadmap") or [], fy),
        "item_statuses": ITEM_STATUSES,
        "lessons": parts.get("lessons"),
        "lessons_msg": None,
        "lessons_text": None,
        "report_body": report_body(parts.get("report")),
        "unavailable": parts.unavailable,
        "muni": muni,
        **tree_context(case_id, tree),
    }
    ctx.update(extra)
    return ctx


async def roadmap_context(ctx: ViewContext, case_id: int) -> dict[str, Any]:
    """The roadmap on its own page (printable): the case and its timeline."""
    client, actor = ctx.clients.support_cases, ctx.actor
    parts = await gather(
        {
            "case": (SERVICE, client.case(case_id, actor=actor)),
            "roadmap": (SERVICE, client.roadmap(case_id, actor=actor)),
        }
    )
    case = parts.get("case")
    fy = (case or {}).get("fiscal_year") or clock.current_fiscal_year()
    return {
        "case_id": case_id,
        "case": case,
        "timeline": timeline(parts.get("roadmap") or [], fy),
        "item_statuses": ITEM_STATUSES,
        "unavailable": parts.unavailable,
        "muni": muni,
    }


# ---------------------------------------------------------------- page actions
# Each action runs its service call through ``attempt()`` (409/422 → the form's message with
# what was typed, down → the notice, 404 → the page's 404) and answers with the changed part
# for htmx, a redirect after a plain post, or the page again with the message.

DECISIONS = ("選定", "見送り")
CONFLICT = "ほかの人が先にこのノードを変更しました。あなたの変更は保存していません。現在の内容を確かめてから、もう一度編集してください。"
LESSONS_CONFLICT = "ほかの人が先に示唆を保存しました。あなたの文章は保存していません。現在の文章を確かめてから、もう一度保存してください。"
VISIT_FIELDS = ("visit_date", "kind", "place", "advisor_id", "hours", "agenda", "notes")


def _client(request: Request) -> SupportCasesClient:
    return request.app.state.services.support_cases


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


async def _or_none(call: Any) -> Any:
    """A read to show beside a message: nothing when the service cannot answer it."""
    try:
        return await call
    except ServiceError:
        return None


def _case_url(request: Request, case_id: int, anchor: str) -> RedirectResponse:
    url = path_for(request, "support_case", case_id=case_id)
    return RedirectResponse(f"{url}#{anchor}", status_code=303)


def _error(done: Outcome[Any]) -> dict[str, Any]:
    return done.message or {"kind": "error", "text": ""}


async def case_page(
    request: Request, case_id: int, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    ctx = await case_context(view_context(request), case_id, **extra)
    return render(request, "support/case.html", ctx, status_code=status_code)


# --- the round: a decision on an application


async def decide(request: Request, application_id: int, form: Any) -> Response:
    fy = fy_param(int_or_none(form.get("fiscal_year")))
    status, reason = str(form.get("status", "")), str(form.get("reason", "")).strip()
    body = {"status": status, "reason": reason, "version": int_or_none(form.get("version")) or 0}
    if status not in DECISIONS:
        done: Outcome[Any] = Outcome.refused("選定か見送りを選んでください。")
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


# --- status stepper


async def transition(request: Request, case_id: int, form: Any) -> Response:
    body = {
        "to_status": str(form.get("to_status", "")),
        "reason": str(form.get("reason", "")).strip(),
        "version": int_or_none(form.get("version")) or 0,
    }
    done = await attempt(_client(request).transition(case_id, body, actor=_actor(request)))
    if done.ok and not wants_fragment(request):
        return _case_url(request, case_id, "stepper")
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
    return await case_page(request, case_id, status_code=done.status, step_msg=msg)


# --- visits


def visit_values(form: Any) -> dict[str, str]:
    values = {k: str(form.get(k, "")).strip() for k in (*VISIT_FIELDS, "issues_found")}
    values["online"] = "1" if form.get("online") else ""
    return values


def visit_body(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The service's body for a visit, and what to fix before asking it."""
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
    errors: list[str] = []
    try:
        hours = float(values["hours"] or 0)
    except ValueError:
        hours = 0.0
        errors.append("時間は数字で入力してください (例: 2.5)。")
    if advisor_id := int_or_none(values["advisor_id"]):
        body["advisors"] = [{"advisor_id": advisor_id, "hours": hours}]
    if not values["visit_date"]:
        errors.append("実施日を入力してください。")
    if not body["advisors"]:
        errors.append("派遣した専門家を選んでください。")
    return body, errors


async def add_visit(request: Request, case_id: int, form: Any) -> Response:
    values = visit_values(form)
    body, errors = visit_body(values)
    client, actor = _client(request), _actor(request)
    if errors:
        done: Outcome[Any] = Outcome.refused("".join(errors))
    else:
        done = await attempt(client.add_visit(case_id, body, actor=actor), refusals=WRITE_REFUSALS)
    if done.ok and not wants_fragment(request):
        return _case_url(request, case_id, "visits")
    msg = {"kind": "ok", "text": "派遣・ヒアリングを記録しました。"} if done.ok else _error(done)
    kept = {} if done.ok else values
    if not wants_fragment(request):
        return await case_page(
            request, case_id, status_code=done.status, visit_form=kept, visit_msg=msg
        )
    try:
        visits = await client.visits(case_id, actor=actor)
        advisors = await client.advisors(actor=actor)
    except ServiceError:
        visits, advisors = [], []
    ctx = {
        "case_id": case_id,
        "visits": sorted(visits, key=lambda v: v["visit_date"], reverse=True),
        "advisors": advisors,
        "visit_kinds": VISIT_KINDS,
        "visit_form": kept,
        "visit_msg": msg,
        "muni": muni,
    }
    return fragment(request, "support/case.html", "visits", ctx)


# --- logic tree editor


def lowest_common_ancestor(
    index: dict[int, dict[str, Any]], a: int | None, b: int | None
) -> int | None:
    """The lowest common ancestor of two nodes (each counts as its own ancestor)."""

    def path(n: int | None) -> list[int]:
        out = []
        while n is not None and n in index:
            out.append(n)
            n = index[n].get("parent_id")
        return out

    pa, pb = path(a), set(path(b))
    return next((x for x in pa if x in pb), None)


async def tree_answer(
    request: Request,
    case_id: int,
    *,
    swap_id: int | None,
    status: int = 200,
    node_msgs: dict[int, dict[str, Any]] | None = None,
    tree_msg: dict[str, Any] | None = None,
    forms: dict[str, Any] | None = None,
    anchor: int | None = None,
) -> Response:
    """After a tree change: for htmx, the changed subtree (``swap_id``) or the whole tree;
    for a plain post, a redirect (success) or the page with the message (failure)."""
    client, actor = _client(request), _actor(request)
    if not wants_fragment(request):
        if status < 400:
            return _case_url(request, case_id, f"node-{anchor or swap_id or ''}")
        return await case_page(
            request,
            case_id,
            status_code=status,
            node_msgs=node_msgs or {},
            tree_msg=tree_msg,
            forms=forms or {},
        )
    done = await attempt(client.tree(case_id, actor=actor))
    if not done.ok:
        tree_msg, swap_id = done.message, None
    ctx = tree_context(
        case_id, done.value, node_msgs=node_msgs or {}, tree_msg=tree_msg, forms=forms or {}
    )
    index = tree_index(done.value)
    if swap_id is not None and swap_id in index:
        ctx["n"] = index[swap_id]
        resp = fragment(request, "support/case.html", "tree_node", ctx)
        resp.headers["HX-Retarget"] = f"#node-{swap_id}"
    else:
        resp = fragment(request, "support/case.html", "logic_tree", ctx)
        resp.headers["HX-Retarget"] = "#logic-tree"
    resp.headers["HX-Reswap"] = "outerHTML"
    return resp


async def _tree_failed(
    request: Request,
    case_id: int,
    node_id: int | None,
    done: Outcome[Any],
    *,
    msg: dict[str, Any] | None = None,
    forms: dict[str, Any] | None = None,
) -> Response:
    """A refused tree change: the message on the node (or the tree when there is none);
    a service that is down: the notice over the whole tree."""
    msg = msg or _error(done)
    if done.status == 503:
        return await tree_answer(
            request, case_id, swap_id=None, status=503, tree_msg=msg, forms=forms
        )
    return await tree_answer(
        request,
        case_id,
        swap_id=node_id,
        status=done.status,
        node_msgs={node_id: msg} if node_id else {},
        tree_msg=None if node_id else msg,
        forms=forms,
    )


def node_values(form: Any) -> dict[str, Any]:
    return {
        "statement": str(form.get("statement", "")).strip(),
        "evidence": str(form.get("evidence", "")).strip(),
        "indicator_item_codes": codes(str(form.get("indicator_item_codes", ""))),
        "is_hypothesis": bool(form.get("is_hypothesis")),
    }


async def add_node(request: Request, case_id: int, form: Any) -> Response:
    parent_id = int_or_none(form.get("parent_id"))
    body = {**node_values(form), "parent_id": parent_id}
    forms = {f"add-{parent_id or 'root'}": body}
    if not body["statement"]:
        done: Outcome[Any] = Outcome.refused("内容 (なぜ？の答え) を入力してください。")
    else:
        # A parent that is gone is said on that parent; a case that is gone is the page's 404.
        refusals = (404, *WRITE_REFUSALS) if parent_id is not None else WRITE_REFUSALS
        call = _client(request).add_node(case_id, body, actor=_actor(request))
        done = await attempt(call, refusals=refusals)
    if not done.ok:
        return await _tree_failed(request, case_id, parent_id, done, forms=forms)
    node = done.value
    ok = {"kind": "ok", "text": f"「{node['statement']}」を追加しました。"}
    return await tree_answer(
        request,
        case_id,
        swap_id=parent_id,
        node_msgs={node["id"]: ok},
        tree_msg=None if parent_id else ok,
        anchor=node["id"],
    )


async def edit_node(
    request: Request,
    case_id: int,
    node_id: int,
    body: dict[str, Any] | Awaitable[Any],
    *,
    forms: dict[str, Any],
    ok_text: str = "保存しました。",
) -> Response:
    """Patch the node (``body``, or a prepared call that patches it) and answer with it."""
    call = (
        body
        if isinstance(body, Awaitable)
        else _client(request).update_node(case_id, node_id, body, actor=_actor(request))
    )
    done = await attempt(call, refusals=WRITE_REFUSALS)
    if done.status == 409:
        mine = body if isinstance(body, dict) else {}
        msg = {"kind": "conflict", "text": CONFLICT, "mine": mine}
        return await _tree_failed(request, case_id, node_id, done, msg=msg)
    if not done.ok:
        return await _tree_failed(request, case_id, node_id, done, forms=forms)
    ok = {"kind": "ok", "text": ok_text}
    return await tree_answer(request, case_id, swap_id=node_id, node_msgs={node_id: ok})


async def edit_node_text(request: Request, case_id: int, node_id: int, form: Any) -> Response:
    values = node_values(form)
    body = {**values, "version": int_or_none(form.get("version")) or 0}
    forms = {f"edit-{node_id}": values}
    if not values["statement"]:
        done = Outcome.refused("内容を入力してください (空にはできません)。")
        return await _tree_failed(request, case_id, node_id, done, forms=forms)
    return await edit_node(request, case_id, node_id, body, forms=forms)


async def set_hypothesis(request: Request, case_id: int, node_id: int, form: Any) -> Response:
    body = {
        "is_hypothesis": str(form.get("is_hypothesis", "")) == "1",
        "version": int_or_none(form.get("version")) or 0,
    }
    return await edit_node(request, case_id, node_id, body, forms={})


async def _move(
    request: Request, case_id: int, node_id: int, parent_id: int, version: int
) -> dict[int, dict[str, Any]]:
    """Move the node; the tree as it was before, to find the part that changed."""
    client, actor = _client(request), _actor(request)
    before = tree_index(await client.tree(case_id, actor=actor))
    body = {"parent_id": parent_id, "version": version}
    await client.move_node(case_id, node_id, body, actor=actor)
    return before


async def move_node(request: Request, case_id: int, node_id: int, form: Any) -> Response:
    parent_id = int_or_none(form.get("parent_id"))
    version = int_or_none(form.get("version")) or 0
    if parent_id is None:
        return await _tree_failed(
            request, case_id, node_id, Outcome.refused("移動先を選んでください。")
        )
    done = await attempt(
        _move(request, case_id, node_id, parent_id, version), refusals=WRITE_REFUSALS
    )
    if done.status == 409:
        msg = {"kind": "conflict", "text": CONFLICT}
        return await _tree_failed(request, case_id, node_id, done, msg=msg)
    if not done.ok:
        return await _tree_failed(request, case_id, node_id, done)
    before = done.value
    # The part that changed is the subtree holding both the old and the new parent.
    old_parent = (before.get(node_id) or {}).get("parent_id")
    swap = lowest_common_ancestor(before, old_parent, parent_id)
    ok = {
        "kind": "ok",
        "text": f"「{before.get(parent_id, {}).get('statement', '')}」の下へ移動しました。",
    }
    return await tree_answer(
        request, case_id, swap_id=swap, node_msgs={node_id: ok}, anchor=node_id
    )


async def _reorder(request: Request, case_id: int, node_id: int, direction: str) -> int:
    """Swap the node with its neighbour among its parent's children; the parent's id."""
    client, actor = _client(request), _actor(request)
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
    return int(parent["id"])


async def reorder_node(request: Request, case_id: int, node_id: int, form: Any) -> Response:
    direction = str(form.get("direction", ""))
    done = await attempt(_reorder(request, case_id, node_id, direction), refusals=WRITE_REFUSALS)
    if not done.ok:
        return await _tree_failed(request, case_id, node_id, done)
    ok = {"kind": "ok", "text": f"ひとつ{'上' if direction == 'up' else '下'}へ移しました。"}
    return await tree_answer(
        request, case_id, swap_id=done.value, node_msgs={node_id: ok}, anchor=node_id
    )


async def uncite_measure(request: Request, case_id: int, node_id: int, form: Any) -> Response:
    """Remove one 地域分析 citation (measure and year) from a node: the node's list without it,
    patched with the form's version (stale: the conflict on the node; removing one that is
    already gone changes nothing but the version)."""
    code = str(form.get("measure_code", ""))
    fy = int_or_none(form.get("fiscal_year"))
    version = int_or_none(form.get("version")) or 0
    client, actor = _client(request), _actor(request)

    async def patch() -> Any:
        node = tree_index(await client.tree(case_id, actor=actor)).get(node_id)
        if node is None:
            raise ServiceRejected(SERVICE, 404, {"detail": "ノードが見つかりません"})
        rest = [
            c
            for c in node.get("measure_evidence") or []
            if (c.get("measure_code"), c.get("fiscal_year")) != (code, fy)
        ]
        body = {"measure_evidence": rest, "version": version}
        return await client.update_node(case_id, node_id, body, actor=actor)

    text = f"{code} ({fy}年度) の引用を外しました。"
    return await edit_node(request, case_id, node_id, patch(), forms={}, ok_text=text)


# --- initiatives


async def add_initiative(request: Request, case_id: int, form: Any) -> Response:
    values = {
        "node_id": str(form.get("node_id", "")),
        "title": str(form.get("title", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "chosen": bool(form.get("chosen")),
        "reason": str(form.get("reason", "")).strip(),
    }
    errors = []
    if not int_or_none(values["node_id"]):
        errors.append("取組を結びつけるノードを選んでください。")
    if not values["title"]:
        errors.append("取組の名前を入力してください。")
    client, actor = _client(request), _actor(request)
    if errors:
        done: Outcome[Any] = Outcome.refused("".join(errors))
    else:
        body = {**values, "node_id": int_or_none(values["node_id"])}
        done = await attempt(
            client.add_initiative(case_id, body, actor=actor), refusals=WRITE_REFUSALS
        )
    if done.ok and not wants_fragment(request):
        return _case_url(request, case_id, "initiatives")
    msg = {"kind": "ok", "text": "取組を追加しました。"} if done.ok else _error(done)
    kept = {} if done.ok else values
    if not wants_fragment(request):
        return await case_page(
            request, case_id, status_code=done.status, initiative_form=kept, initiative_msg=msg
        )
    try:
        inits = await client.initiatives(case_id, actor=actor)
        tree = await client.tree(case_id, actor=actor)
    except ServiceError:
        inits, tree = [], None
    ctx = {
        "case_id": case_id,
        "initiatives": inits,
        "nodes": walk((tree or {}).get("root")),
        "initiative_form": kept,
        "initiative_msg": msg,
    }
    return fragment(request, "support/case.html", "initiatives", ctx)


# --- report


async def save_lessons(request: Request, case_id: int, form: Any) -> Response:
    text = str(form.get("lessons", ""))
    version = int_or_none(form.get("version")) or 0
    client, actor = _client(request), _actor(request)
    done = await attempt(
        client.save_lessons(case_id, text, version, actor=actor), refusals=WRITE_REFUSALS
    )
    if done.ok and not wants_fragment(request):
        return _case_url(request, case_id, "report")
    lessons, text_kept = done.value, None
    if done.ok:
        msg = {"kind": "ok", "text": f"示唆を保存しました (第{lessons['version']}版)。"}
    else:
        text_kept = text
        msg = {"kind": "conflict", "text": LESSONS_CONFLICT} if done.status == 409 else _error(done)
        if done.status != 503:
            lessons = await _or_none(client.lessons(case_id, actor=actor))
    if not wants_fragment(request):
        return await case_page(
            request, case_id, status_code=done.status, lessons_msg=msg, lessons_text=text_kept
        )
    report = await _or_none(client.report_html(case_id, actor=actor))
    ctx = {
        "case_id": case_id,
        "lessons": lessons,
        "lessons_msg": msg,
        "lessons_text": text_kept,
        "report_body": report_body(report),
    }
    return fragment(request, "support/case.html", "report", ctx)


CITATION_CONFLICT = (
    "ほかの人が先に報告書 (示唆・引用) を変更しました。引用は外していません。"
    "現在の内容を確かめてから、もう一度操作してください。"
)


async def uncite_report(request: Request, case_id: int, form: Any) -> Response:
    """Remove one cited 好事例 (``pdca-good-practice:{id}``) from the case report: the lessons
    as they are, the citations without it, with the form's version (stale: 409, nothing
    changes; removing one already gone changes nothing but the version)."""
    reference = str(form.get("reference", ""))
    version = int_or_none(form.get("version")) or 0
    client, actor = _client(request), _actor(request)

    async def remove() -> Any:
        current = await client.lessons(case_id, actor=actor)
        rest = [c for c in current.get("citations") or [] if c.get("reference") != reference]
        return await client.save_citations(case_id, current["lessons"], version, rest, actor=actor)

    done = await attempt(remove(), refusals=WRITE_REFUSALS)
    if done.ok and not wants_fragment(request):
        return _case_url(request, case_id, "report")
    lessons = done.value
    if done.ok:
        msg = {"kind": "ok", "text": "好事例の引用を外しました。"}
    else:
        msg = {"kind": "error", "text": CITATION_CONFLICT} if done.status == 409 else _error(done)
        if done.status != 503:
            lessons = await _or_none(client.lessons(case_id, actor=actor))
    if not wants_fragment(request):
        return await case_page(request, case_id, status_code=done.status, lessons_msg=msg)
    report = await _or_none(client.report_html(case_id, actor=actor))
    ctx = {
        "case_id": case_id,
        "lessons": lessons,
        "lessons_msg": msg,
        "lessons_text": None,
        "report_body": report_body(report),
    }
    return fragment(request, "support/case.html", "report", ctx)
