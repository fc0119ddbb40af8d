"""Exports are defensive: a value stored before the input policy (written here straight into
the database, bypassing the API) can never make an export fail. Each control character an XML
format cannot carry comes out as U+FFFD."""

from __future__ import annotations

import csv
import io

import docx
import openpyxl
from icalendar import Calendar
from sqlalchemy import text

from services.common.exports import export_data, export_row, export_text
from tests.support_cases.factories import add_visit, make_advisor, make_case, make_round
from tests.training.factories import program, register, session

BAD = "悪い\x0b値\x03です\x1b"


def test_helper_replaces_only_what_xml_cannot_hold():
    assert export_text(BAD) == "悪い\ufffd値\ufffdです\ufffd"
    assert export_text("a\tb\r\nc") == "a\tb\r\nc"
    assert export_text("\ud800x") == "\ufffdx"
    assert export_row([1, None, BAD]) == [1, None, export_text(BAD)]
    assert export_data({"a": [BAD, (BAD,)], "n": 2}) == {
        "a": [export_text(BAD), (export_text(BAD),)],
        "n": 2,
    }


async def _raw(harness, sql: str, **params) -> None:
    async with harness.db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def test_training_exports_with_stored_control_characters(training):
    async with training.client() as c:
        p = await program(c)
        s = await session(c, p["id"], format="ハイブリッド", meeting_url="https://example.jp/m")
        reg = (await register(c, s["id"], 1)).json()
        await _raw(training, "UPDATE registration SET name = :v, role = :v", v=BAD)
        await _raw(training, "UPDATE training_session SET title = :v, venue = :v", v=BAD)
        await _raw(training, "UPDATE program SET name = :v", v=BAD)
        for kind in ("participants", "attendance"):
            x = await c.get(f"/api/v1/sessions/{s['id']}/{kind}.xlsx")
            assert x.status_code == 200, x.text
            ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
            values = [v for row in ws.iter_rows(values_only=True) for v in row]
            assert export_text(BAD) in values and reg["id"] in values
            for enc in ("utf-8", "cp932"):
                r = await c.get(f"/api/v1/sessions/{s['id']}/{kind}.csv", params={"encoding": enc})
                assert r.status_code == 200, r.text
                rows = list(
                    csv.reader(
                        io.StringIO(r.content.decode("utf-8-sig" if enc == "utf-8" else "cp932"))
                    )
                )
                assert len(rows) >= 2
        for url in (
            f"/api/v1/sessions/{s['id']}/calendar.ics",
            f"/api/v1/programs/{p['id']}/calendar.ics",
        ):
            ics = await c.get(url)
            assert ics.status_code == 200, ics.text
            [event] = Calendar.from_ical(ics.content).walk("VEVENT")
            assert str(event["summary"]) == export_text(BAD)


async def test_docx_report_with_stored_control_characters(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        adv = await make_advisor(c)
        case = await make_case(c, advisor_ids=[adv["id"]])
        await add_visit(c, case["id"], adv["id"])
        await _raw(support_cases, "UPDATE support_case SET background = :v", v=BAD)
        await _raw(support_cases, "UPDATE visit SET notes = :v, agenda = :v", v=BAD)
        r = await c.get(f"/api/v1/cases/{case['id']}/report.docx")
        assert r.status_code == 200, r.text
        texts = [p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs]
        assert export_text(BAD) in texts
        html = await c.get(f"/api/v1/cases/{case['id']}/report")
        assert html.status_code == 200
