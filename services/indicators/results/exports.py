"""Results as a spreadsheet: rows with Japanese headers, CSV (UTF-8 with BOM) or XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi.responses import Response
from openpyxl import Workbook

from services.common.exports import attachment, export_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def results_table(res: dict[str, Any]) -> list[list[Any]]:
    """The results as rows for a spreadsheet (Japanese headers)."""
    cats = [k["code"] for k in res["entities"][0]["categories"]] if res["entities"] else []
    header = [
        "団体コード",
        "名称",
        "総合得点",
        "満点",
        "得点率",
        "順位",
        "対象数",
        "全国順位",
        "都道府県内順位",
        "比較グループ",
        "グループ内順位",
        "前年度得点",
        *(f"{c} 得点" for c in cats),
        "注意",
    ]
    rows: list[list[Any]] = [header]
    for e in res["entities"]:
        rows.append(
            [
                e["entity_code"],
                e["name"],
                e["total"],
                e["max_points"],
                round(e["score_rate"], 4),
                e["rank"],
                e["rank_of"],
                e["national_rank"],
                e["prefecture_rank"],
                e["peer_group"],
                e["peer_rank"],
                e["previous_total"],
                *(k["points"] for k in e["categories"]),
                " / ".join(f["message"] for f in e["flags"]),
            ]
        )
    return rows


def spreadsheet(
    rows: list[list[Any]], *, format: Literal["csv", "xlsx"], filename: str, sheet: str
) -> Response:
    """A download of ``rows``: XLSX with one sheet, or CSV in UTF-8 with BOM for Excel."""
    if format == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = sheet  # type: ignore[union-attr]
        for r in rows:
            ws.append(export_row(r))  # type: ignore[union-attr]
        buf = io.BytesIO()
        wb.save(buf)
        body, media = buf.getvalue(), XLSX
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(map(export_row, rows))
        body, media = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers=attachment(f"{filename}.{format}"),
    )


def results_download(
    res: dict[str, Any], framework_id: int, format: Literal["csv", "xlsx"]
) -> Response:
    return spreadsheet(
        results_table(res), format=format, filename=f"results-{framework_id}", sheet="結果"
    )
