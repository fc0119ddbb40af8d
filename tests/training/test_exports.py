"""Exports: iCalendar that parses, CSV with BOM or cp932, XLSX that opens."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
from icalendar import Calendar

from tests.training.factories import CHIYODA, CHUO, program, register, session


async def _setup(c):
    p = await program(c)
    s = await session(
        c,
        p["id"],
        days=[date(2025, 6, 10), date(2025, 6, 17)],
        capacity=1,
        format="ハイブリッド",
        meeting_url="https://example.jp/meet/1",
        recording_url="https://example.jp/rec/1",
    )
    a = (await register(c, s["id"], 1, name="髙橋 一郎", code=CHIYODA)).json()
    await register(c, s["id"], 2, name="渡辺 花子", code=CHUO)
    await c.put(
        f"/api/v1/sessions/{s['id']}/attendance",
        json={"entries": [{"registration_id": a["id"], "day_no": 1, "status": "present"}]},
    )
    return p, s


class TestCalendar:
    async def test_session_ics_parses_with_tokyo_times(self, training):
        async with training.client() as c:
            p, s = await _setup(c)
            r = await c.get(f"/api/v1/sessions/{s['id']}/calendar.ics")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
            cal = Calendar.from_ical(r.content)
            events = list(cal.walk("VEVENT"))
            assert len(events) == 2
            start = events[0].decoded("dtstart")
            assert isinstance(start, datetime)
            assert start.utcoffset().total_seconds() == 9 * 3600
            assert (start.date(), start.hour, start.minute) == (date(2025, 6, 10), 13, 30)
            assert "全体研修 (1/2日目)" == str(events[0]["summary"])
            feed = Calendar.from_ical(
                (await c.get(f"/api/v1/programs/{p['id']}/calendar.ics")).content
            )
            assert len(list(feed.walk("VEVENT"))) == 2


class TestCalendarTimezone:
    async def test_every_event_time_carries_tzid_asia_tokyo(self, training):
        """Raw iCalendar text: DTSTART and DTEND of every event with TZID=Asia/Tokyo and the
        wall-clock time of the session, a VTIMEZONE for it; DTSTAMP in UTC (RFC 5545)."""
        async with training.client() as c:
            p = await program(c)
            # 09:00 in Tokyo on 1 April is still 31 March in UTC: the date must stay Tokyo's.
            s = await session(
                c,
                p["id"],
                days=[date(2026, 4, 1), date(2026, 4, 8)],
                capacity=1,
            )
            await c.patch(
                f"/api/v1/sessions/{s['id']}",
                json={
                    "version": s["version"],
                    "days": [
                        {"date": "2026-04-01", "start": "09:00", "end": "12:00"},
                        {"date": "2026-04-08", "start": "00:30", "end": "02:00"},
                    ],
                },
            )
            for url in (
                f"/api/v1/sessions/{s['id']}/calendar.ics",
                f"/api/v1/programs/{p['id']}/calendar.ics",
            ):
                body = (await c.get(url)).text.replace("\r\n ", "")
                lines = body.splitlines()
                events = "\n".join(lines).split("BEGIN:VEVENT")[1:]
                times = [
                    x for e in events for x in e.splitlines() if x.startswith(("DTSTART", "DTEND"))
                ]
                assert times == [
                    "DTSTART;TZID=Asia/Tokyo:20260401T090000",
                    "DTEND;TZID=Asia/Tokyo:20260401T120000",
                    "DTSTART;TZID=Asia/Tokyo:20260408T003000",
                    "DTEND;TZID=Asia/Tokyo:20260408T020000",
                ]
                assert "BEGIN:VTIMEZONE" in lines and "TZID:Asia/Tokyo" in lines
                stamps = [x for x in lines if x.startswith("DTSTAMP")]
                assert len(stamps) == 2 and all(x.endswith("Z") for x in stamps)


class TestLists:
    async def test_participants_csv_has_bom_and_cp932_on_request(self, training):
        async with training.client() as c:
            _p, s = await _setup(c)
            r = await c.get(f"/api/v1/sessions/{s['id']}/participants.csv")
            assert r.content.startswith(b"\xef\xbb\xbf")
            lines = r.content.decode("utf-8-sig").splitlines()
            assert lines[0].startswith("申込ID,氏名,区市町村コード,区市町村")
            assert "髙橋 一郎" in lines[1] and "千代田区" in lines[1] and "確定" in lines[1]
            assert "キャンセル待ち,1" in lines[2]
            sj = await c.get(
                f"/api/v1/sessions/{s['id']}/participants.csv", params={"encoding": "cp932"}
            )
            assert not sj.content.startswith(b"\xef\xbb\xbf")
            assert "渡辺 花子" in sj.content.decode("cp932")

    async def test_attendance_xlsx_opens_with_openpyxl(self, training):
        async with training.client() as c:
            _p, s = await _setup(c)
            r = await c.get(f"/api/v1/sessions/{s['id']}/attendance.xlsx")
            assert r.status_code == 200
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            rows = list(ws.iter_rows(values_only=True))
            assert rows[0][:6] == (
                "申込ID",
                "氏名",
                "区市町村コード",
                "区市町村",
                "職種・役割",
                "1日目 2025年6月10日(火)",
            )
            assert rows[1][5:9] == ("出席", None, 1, None)
            assert rows[-1][:4] == ("実人数", 1, "延べ人数", 1)
            csv_r = await c.get(f"/api/v1/sessions/{s['id']}/attendance.csv")
            assert csv_r.content.startswith(b"\xef\xbb\xbf")

    async def test_municipality_export_holds_only_its_own_people(self, training):
        async with training.client() as c:
            _p, s = await _setup(c)
        async with training.client("municipality", CHUO) as m:
            r = await m.get(f"/api/v1/sessions/{s['id']}/participants.xlsx")
            rows = list(
                openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
            )
            assert [row[1] for row in rows[1:]] == ["渡辺 花子"]
