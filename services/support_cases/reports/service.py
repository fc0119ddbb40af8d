"""The report (報告書) of a case: gathered from the case, rendered as HTML and DOCX."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.shared import Cm, Pt
from jinja2 import Environment, select_autoescape
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.exports import export_data
from services.common.fiscal import format_date_ja, format_fy_full
from services.common.models import (
    check_version,
    stamp_created,
    stamp_updated,
    utcnow,
)
from services.common.registry import get_registry
from services.support_cases.access import Need, load_case
from services.support_cases.cases.service import case_public
from services.support_cases.deps import today_jst
from services.support_cases.reports.models import (
    LessonsPublic,
    LessonsUpdate,
    ReportLessons,
    ReportLessonsRevision,
)
from services.support_cases.roadmaps.service import list_initiatives, list_roadmap
from services.support_cases.rounds.models import Application
from services.support_cases.trees.service import load_tree
from services.support_cases.visits.models import Visit
from services.support_cases.visits.service import visits_public


async def get_lessons(session: AsyncSession, *, actor: Actor, case_id: int) -> LessonsPublic:
    await load_case(session, actor, case_id)
    return await _lessons_public(session, case_id)


async def _lessons_public(session: AsyncSession, case_id: int) -> LessonsPublic:
    cur = (
        await session.exec(select(ReportLessons).where(ReportLessons.case_id == case_id))
    ).first()
    revs = (
        await session.exec(
            select(ReportLessonsRevision)
            .where(ReportLessonsRevision.case_id == case_id)
            .order_by(col(ReportLessonsRevision.version).desc())
        )
    ).all()
    return LessonsPublic(
        case_id=case_id,
        lessons=cur.lessons if cur else "",
        citations=list(cur.citations or []) if cur else [],
        version=cur.version if cur else 0,
        updated_at=cur.updated_at if cur else None,
        updated_by=cur.updated_by if cur else "",
        revisions=[
            {
                "version": r.version,
                "lessons": r.lessons,
                "saved_at": r.saved_at,
                "saved_by": r.saved_by,
            }
            for r in revs
        ],
    )


async def save_lessons(
    session: AsyncSession, *, actor: Actor, case_id: int, body: LessonsUpdate
) -> LessonsPublic:
    """The coordinator edits the lessons; every saved wording is kept as a revision."""
    await load_case(session, actor, case_id, need=Need.manage, lock=True)
    cur = (
        await session.exec(
            select(ReportLessons).where(ReportLessons.case_id == case_id).with_for_update()
        )
    ).first()
    if cur is None:
        if body.version != 0:
            raise Invalid(
                "示唆はまだ書かれていません。version は 0 を指定してください",
                errors=[{"loc": ["body", "version"], "msg": "0 を指定してください"}],
            )
        cur = ReportLessons(case_id=case_id, lessons=body.lessons)
        if body.citations is not None:
            cur.citations = _citations(body)
        stamp_created(cur, actor)
        session.add(cur)
    else:
        check_version(cur, body.version, what="報告書の示唆")
        cur.lessons = body.lessons
        if body.citations is not None:
            cur.citations = _citations(body)
        stamp_updated(cur, actor)
    session.add(
        ReportLessonsRevision(
            case_id=case_id,
            version=cur.version,
            lessons=body.lessons,
            saved_at=utcnow(),
            saved_by=actor.label,
        )
    )
    await session.flush()
    return await _lessons_public(session, case_id)


def _citations(body: LessonsUpdate) -> list[dict[str, Any]]:
    """The cited 好事例, each reference once (the first wins)."""
    seen: dict[str, dict[str, Any]] = {}
    for c in body.citations or []:
        seen.setdefault(c.reference, c.model_dump())
    return list(seen.values())


async def report_data(session: AsyncSession, *, actor: Actor, case_id: int) -> dict[str, Any]:
    """Everything the report shows, gathered once for HTML, DOCX and JSON."""
    case = await load_case(session, actor, case_id)
    public = await case_public(session, case)
    reg = get_registry()
    m = reg.get(case.municipality_code)
    app = await session.get(Application, case.application_id) if case.application_id else None
    visits = await visits_public(
        session,
        list(
            (
                await session.exec(
                    select(Visit).where(Visit.case_id == case_id).order_by(Visit.visit_date)
                )
            ).all()
        ),
    )
    tree = await load_tree(session, case_id)
    initiatives = await list_initiatives(session, actor=actor, case_id=case_id)
    roadmap = await list_roadmap(session, actor=actor, case_id=case_id)
    lessons = await _lessons_public(session, case_id)
    return {
        "case": public.model_dump(mode="json"),
        "title": f"{format_fy_full(case.fiscal_year)} 伴走型支援 報告書 "
        f"({m.name if m else case.municipality_code}・{case.theme})",
        "municipality_name": m.name if m else case.municipality_code,
        "region_class": m.region_class if m else None,
        "observer_names": [
            (reg.get(c).name if reg.get(c) else c)
            for c in public.observers  # type: ignore[union-attr]
        ],
        "fiscal_year_label": format_fy_full(case.fiscal_year),
        "background": case.background,
        "motivation": app.motivation if app else "",
        "current_efforts": app.current_efforts if app else "",
        "visits": [
            {
                **v.model_dump(mode="json"),
                "date_label": format_date_ja(v.visit_date),
            }
            for v in visits
        ],
        "tree": [
            {
                "depth": d,
                "statement": n.statement,
                "evidence": n.evidence,
                "is_hypothesis": n.is_hypothesis,
                "indicator_item_codes": n.indicator_item_codes,
            }
            for d, n in tree.outline()
        ],
        "initiatives": [i.model_dump(mode="json") for i in initiatives if i.chosen],
        "other_initiatives": [i.model_dump(mode="json") for i in initiatives if not i.chosen],
        "roadmap": [r.model_dump(mode="json") for r in roadmap],
        "results": case.results,
        "lessons": lessons.lessons,
        "lessons_version": lessons.version,
        "citations": lessons.citations,
        "generated_on": today_jst().isoformat(),
        "progress": _progress_lines(roadmap),
    }


def _progress_lines(roadmap: list[Any]) -> list[str]:
    """One line per roadmap item for the results section: status and the latest note."""
    lines = []
    for r in roadmap:
        line = f"{r.initiative_title}: {r.status}"
        if r.progress_notes:
            line += f"（{r.progress_notes[-1].text}）"
        lines.append(line)
    if roadmap:
        done = sum(1 for r in roadmap if r.status == "完了")
        lines.insert(0, f"ロードマップの進捗: {len(roadmap)} 項目中 {done} 項目が完了")
    return lines


_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _env.from_string((Path(__file__).parent / "report.html").read_text(encoding="utf-8"))


def render_html(data: dict[str, Any]) -> str:
    return _HTML.render(**data)


def render_docx(data: dict[str, Any]) -> bytes:
    """The report as a Word document; the tree as an indented outline."""
    data = export_data(data)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    doc.add_heading(data["title"], level=0)
    case = data["case"]
    doc.add_paragraph(
        f"{data['municipality_name']}"
        f"{' (' + data['region_class'] + ')' if data['region_class'] else ''}"
        f"　テーマ: {case['theme']}　状態: {case['status']}"
    )
    doc.add_paragraph(
        "専門家: "
        + "、".join(a["name"] for a in case["advisors"])
        + ("　同席団体: " + "、".join(data["observer_names"]) if data["observer_names"] else "")
    )
    doc.add_heading("1. 背景", level=1)
    doc.add_paragraph(data["background"] or "（未記入）")
    if data["motivation"]:
        doc.add_paragraph(f"希望の動機: {data['motivation']}")
    if data["current_efforts"]:
        doc.add_paragraph(f"これまでの取組: {data['current_efforts']}")
    doc.add_heading("2. ヒアリング・訪問の経過", level=1)
    if not data["visits"]:
        doc.add_paragraph("（記録なし）")
    for v in data["visits"]:
        where = "オンライン" if v["online"] else v["place"]
        doc.add_heading(f"{v['date_label']} {v['kind']}（{where}）", level=2)
        if v["agenda"]:
            doc.add_paragraph(f"議題: {v['agenda']}")
        if v["notes"]:
            doc.add_paragraph(v["notes"])
        for issue in v["issues_found"]:
            doc.add_paragraph(issue, style="List Bullet")
    doc.add_heading("3. 問題の構造（ロジックツリー）", level=1)
    if not data["tree"]:
        doc.add_paragraph("（未作成）")
    for n in data["tree"]:
        text = n["statement"] + ("［仮説］" if n["is_hypothesis"] else "")
        p = doc.add_paragraph(text, style="List Bullet" if n["depth"] else None)
        p.paragraph_format.left_indent = Cm(0.9 * n["depth"])
        if n["depth"] == 0:
            p.runs[0].bold = True
        if n["evidence"]:
            ev = doc.add_paragraph(f"根拠: {n['evidence']}")
            ev.paragraph_format.left_indent = Cm(0.9 * n["depth"] + 0.6)
    doc.add_heading("4. 選定した取組", level=1)
    if not data["initiatives"]:
        doc.add_paragraph("（なし）")
    for i in data["initiatives"]:
        doc.add_paragraph(
            f"{i['title']}（対応する原因: {i['node_statement']}）— {i['reason']}",
            style="List Bullet",
        )
    doc.add_heading("5. ロードマップ", level=1)
    headers = ["取組", "担当", "期間", "KPI", "基準値→目標", "検証方法", "状況", "交付金年度"]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        cell.text = h
    for r in data["roadmap"]:
        base = "" if r["baseline"] is None else f"{r['baseline']:g}"
        target = "" if r["target"] is None else f"{r['target']:g}"
        values = [
            r["initiative_title"],
            r["owner"],
            f"{r['start_month']}〜{r['end_month']}",
            r["kpi_item_code"] or r["kpi_custom"],
            f"{base}→{target} {r['kpi_unit']}".strip(),
            r["verification_method"],
            r["status"],
            f"{r['first_grant_year']}年度",
        ]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    doc.add_heading("6. 成果", level=1)
    doc.add_paragraph(data["results"] or "（未記入）")
    for line in data["progress"]:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("7. 他の区市町村への示唆", level=1)
    doc.add_paragraph(data["lessons"] or "（未記入）")
    if data["citations"]:
        doc.add_heading("参考にした好事例 (取組と目標)", level=2)
        for c in data["citations"]:
            who = f"{c['entity_name']}: " if c.get("entity_name") else ""
            note = f" — {c['note']}" if c.get("note") else ""
            doc.add_paragraph(f"{who}{c['title']}{note} [{c['reference']}]", style="List Bullet")
    doc.add_paragraph(f"作成日 {data['generated_on']}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
