"""The grant report as files for Excel users: CSV (UTF-8 with BOM) and XLSX (a sheet per section)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from services.common.exports import export_data

GRANT_SHORT = {"suishin": "推進", "doryoku": "努力支援"}

MUNI_HEADERS = [
    "団体コード",
    "団体名",
    "区分",
    "類型",
    "交付金",
    "交付年度",
    "総合得点",
    "満点",
    "得点率(%)",
    "都内順位",
    "配分見込額(円・見込み)",
    "低得点",
    "伴走型支援の状況",
    "研修への参加",
    "体系の状態",
]
BASIS_HEADERS = [
    "交付金",
    "交付年度",
    "体系の状態",
    "予算額(円)",
    "予算の根拠",
    "予算の出典または上書きの理由",
    "全国の分母",
    "分母の根拠",
    "配分の規則",
    "暫定の理由",
    "試算できない理由",
]
EVIDENCE_HEADERS = ["項目", "値", "出どころ (サービス)", "出どころ (問い合わせ)", "項目名", "備考"]


def _muni_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for m in report["municipalities"]:
        reach = {True: "あり", False: "なし", None: "不明"}[m["training_reached"]]
        grants = m["grants"] or [None]
        for g in grants:
            rows.append(
                [
                    m["code"],
                    m["name"],
                    m["region_class"] or "",
                    m["peer_type"] or "",
                    GRANT_SHORT.get(g["grant"], g["grant"]) if g else "",
                    g["grant_fy"] if g else "",
                    g["total"] if g else "",
                    g["max_points"] if g else "",
                    round(g["score_rate"] * 100, 1) if g else "",
                    g.get("prefecture_rank") or "" if g else "",
                    g.get("allocation_estimate")
                    if g and g.get("allocation_estimate") is not None
                    else "",
                    "該当" if g and "low_score_rate" in g["flags"] else "",
                    m["support_case_status"] or "",
                    reach,
                    g.get("framework_state", "") if g else "",
                ]
            )
    return rows


def _source_text(src: dict[str, Any] | None) -> str:
    src = src or {}
    return " ".join(str(src[k]) for k in ("document", "date", "page") if src.get(k))


def _basis_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for b in report["allocation"].get("grants", []):
        budget, den, rule = b.get("budget") or {}, b.get("denominator") or {}, b.get("rule") or {}
        override = budget.get("basis") == "override"
        rows.append(
            [
                GRANT_SHORT.get(b["grant"], b["grant"]),
                b["grant_fy"],
                b.get("framework_state", ""),
                budget.get("amount") if budget.get("amount") is not None else "",
                ("上書き" if override else "公表額") if budget else "",
                (budget.get("override_reason") if override else _source_text(budget.get("source")))
                or "",
                den.get("value") if den.get("value") is not None else "",
                den.get("text") or "",
                rule.get("weight_label") or "",
                "、".join(b.get("provisional_reasons") or []),
                b.get("problem") or "",
            ]
        )
    return rows


def _value_text(v: Any) -> str:
    if isinstance(v, dict):
        return "、".join(f"{k} {n}" for k, n in v.items())
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    return "" if v is None else str(v)


def _evidence_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            e["label"],
            _value_text(e["value"]),
            e["source"]["service"],
            e["source"]["query"],
            e["source"]["field"],
            e.get("note", ""),
        ]
        for e in report["prefecture"]["evidence"]
    ]


def grant_report_csv(report: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    report = export_data(report)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"交付金の報告 {report['fiscal_year_label']}"])
    if report["unavailable"]:
        w.writerow(["注意: 応答しなかったサービス", *report["unavailable"]])
    w.writerow([])
    w.writerow(["区市町村"])
    w.writerow(MUNI_HEADERS)
    w.writerows(_muni_rows(report))
    w.writerow([])
    w.writerow(["配分見込額の根拠 (見込み)"])
    w.writerow(BASIS_HEADERS)
    w.writerows(_basis_rows(report))
    w.writerow([])
    w.writerow([f"{report['prefecture']['name']}の根拠"])
    w.writerow(EVIDENCE_HEADERS)
    w.writerows(_evidence_rows(report))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def grant_report_xlsx(report: dict[str, Any]) -> bytes:
    report = export_data(report)
    wb = Workbook()
    sheets = [
        ("区市町村", MUNI_HEADERS, _muni_rows(report)),
        ("配分見込額の根拠", BASIS_HEADERS, _basis_rows(report)),
        ("都道府県の根拠", EVIDENCE_HEADERS, _evidence_rows(report)),
        (
            "都道府県の得点",
            ["交付金", "交付年度", "総合得点", "満点", "得点率(%)", "全国順位"],
            [
                [
                    GRANT_SHORT.get(r["grant"], r["grant"]),
                    r["grant_fy"],
                    r["total"],
                    r["max_points"],
                    round(r["score_rate"] * 100, 1),
                    f"{r['national_rank']}/{r['national_rank_of']}"
                    if r.get("national_rank")
                    else "",
                ]
                for r in report["prefecture"]["results"]
            ],
        ),
    ]
    first = True
    for title, headers, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
