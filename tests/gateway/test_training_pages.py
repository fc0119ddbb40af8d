"""Training pages through the gateway wired to the real training service (in-process)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_shell import RecordingTransport, RefusingTransport
from tests.training import factories as f

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
NOV_DAY = date(2025, 11, 18)  # a Tuesday, FY2025


def _counts(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'id="count-([a-z]+)">(\d+)<', text)}


async def _full_session(training: ServiceHarness, capacity: int = 2, people: int = 3) -> dict:
    """A session of ``capacity`` seats with ``people`` registered (職員 0, 職員 1, ...)."""
    async with training.client() as c:
        p = await f.program(c, name="介護予防 総論研修", kind="介護予防 総論")
        s = await f.session(
            c, p["id"], days=[NOV_DAY, NOV_DAY + timedelta(days=7)], capacity=capacity
        )
        for n in range(people):
            r = await f.register(c, s["id"], n, code=f.CHUO if n == 1 else f.CHIYODA)
            assert r.status_code == 201, r.text
    return s


class TestCalendar:
    async def test_month_shows_sessions_and_counts(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training)
        async with training.client() as c:
            p2 = await f.program(c, name="見える化研修", kind="見える化システム活用研修")
            await f.session(c, p2["id"], days=[date(2025, 11, 25)], capacity=40)
            await f.session(c, p2["id"], days=[date(2025, 12, 9)], capacity=40)
        r = await gateway.get("/training", params={"month": "2025-11"}, headers=HTML)
        assert r.status_code == 200, r.text
        assert "2025年11月" in r.text and "令和7年度 (2025年度)" in r.text
        # Two sessions in November (one full, over two days), the December one is not counted.
        assert _counts(r.text) == {"sessions": 2, "full": 1, "over": 1}
        assert r.text.count(f'/training/sessions/{s["id"]}"') == 2  # one per day
        assert "介護予防 総論研修 (第2日)" in r.text
        assert r.text.count("確定2/定員2・待ち1") == 2 and "確定0/定員40<" in r.text
        assert "11月の開催回" in r.text
        assert '/training?month=2025-10"' in r.text
        assert '/training?month=2025-12"' in r.text

    async def test_htmx_month_navigation_gets_the_fragment(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        r = await gateway.get("/training", params={"month": "2025-12"}, headers=HX)
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<div id="calendar">')
        assert "<html" not in r.text and "2025年12月" in r.text
        assert "この月に開催される研修はありません" in r.text


class TestSessionPage:
    async def test_shows_program_days_counts_lists_and_positions(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=4)
        r = await gateway.get(f"/training/sessions/{s['id']}", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert "介護予防 総論研修" in t and "都庁第一本庁舎" in t
        assert "第1日 2025年11月18日(火) 13:30〜16:30" in t
        assert "第2日 2025年11月25日(火)" in t
        assert _counts(t) == {"capacity": 2, "confirmed": 2, "waitlisted": 2}
        confirmed = t.split('id="confirmed-list"')[1].split("</table>")[0]
        assert "職員 0" in confirmed and "職員 1" in confirmed and "中央区" in confirmed
        waitlist = t.split('id="waitlist"')[1].split("</table>")[0]
        assert re.findall(r"<td class=\"num\">(\d+)番</td><td>(職員 \d)</td>", waitlist) == [
            ("1", "職員 2"),
            ("2", "職員 3"),
        ]
        # The municipality select offers Tokyo's 62, the downloads go through the gateway.
        select = t.split('name="municipality_code"')[1].split("</select>")[0]
        assert select.count('<option value="13') == 62 and "小笠原村" in select
        for name in ("calendar.ics", "participants.csv", "attendance.xlsx"):
            assert f'/training/sessions/{s["id"]}/files/{name}"' in t
        assert "出欠を保存" in t and 'aria-label="職員 0 第2日の出欠"' in t

    async def test_unknown_session_is_a_404_page(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/training/sessions/999999", headers=HTML)
        assert r.status_code == 404
        assert "見つかりません" in r.text and '<html lang="ja">' in r.text


class TestRegister:
    async def test_htmx_registration_into_a_full_session_shows_waitlist_position(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=3)
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations",
            data={
                "name": "港 太郎",
                "municipality_code": f.MINATO,
                "role": "計画担当",
                "email": "taro@minato.example.jp",
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<div id="session-people">')
        assert "<html" not in r.text
        assert (
            "港 太郎さんを登録しました。定員に達しているため、キャンセル待ち 2番目です。" in r.text
        )
        assert _counts(r.text) == {"capacity": 2, "confirmed": 2, "waitlisted": 2}
        assert r.headers["hx-trigger"] == "people-changed"
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        mine = [x for x in regs if x["email"] == "taro@minato.example.jp"]
        assert mine[0]["status"] == "waitlisted" and mine[0]["waitlist_position"] == 2

    async def test_plain_form_post_redirects_and_page_says_confirmed(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=5, people=1)
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations",
            data={
                "name": "八王子 花子",
                "municipality_code": f.HACHIOJI,
                "email": "h@h.example.jp",
            },
            headers=HTML,
        )
        assert r.status_code == 303
        assert re.fullmatch(
            rf".*/training/sessions/{s['id']}\?registered=\d+", r.headers["location"]
        )
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "八王子 花子さんを登録しました (参加確定)。" in page.text
        assert _counts(page.text)["confirmed"] == 2

    async def test_duplicate_email_409_comes_back_next_to_the_field_keeping_input(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=5, people=1)
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations",
            data={
                "name": "重複 さん",
                "municipality_code": f.CHIYODA,
                "role": "係長",
                "email": f"STAFF0@{f.CHIYODA}.example.jp",
            },
            headers=HX,
        )
        assert r.status_code == 200
        email_field = r.text.split('for="f-email"')[1].split("</div>")[0]
        assert 'aria-invalid="true"' in email_field
        assert f"staff0@{f.CHIYODA}.example.jp はこの開催回に既に申し込まれています" in email_field
        assert 'value="重複 さん"' in r.text and 'value="係長"' in r.text
        assert f'<option value="{f.CHIYODA}" selected>千代田区</option>' in r.text
        assert _counts(r.text)["confirmed"] == 1  # nothing written

    async def test_bad_email_422_from_the_service_is_shown_in_japanese(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=5, people=0)
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations",
            data={"name": "誤り さん", "municipality_code": f.CHIYODA, "email": "not-an-email"},
            headers=HTML,
        )
        assert r.status_code == 422
        assert '<html lang="ja">' in r.text  # without htmx: the whole page with the messages
        email_field = r.text.split('for="f-email"')[1].split("</div>")[0]
        assert "メールアドレスの形式が正しくありません" in email_field
        assert 'value="not-an-email"' in email_field

    async def test_closed_window_422_message_is_shown_on_the_form(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        async with training.client() as c:
            p = await f.program(c)
            s = await f.session(c, p["id"], registration_closes="2025-05-31T17:00:00")
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations",
            data={"name": "遅刻 さん", "municipality_code": f.MINATO, "email": "late@x.example.jp"},
            headers=HX,
        )
        assert r.status_code == 200
        error = r.text.split('id="form-error"')[1].split("</div>")[0]
        assert "申込受付は 2025年05月31日 17:00 で締め切りました" in error
        assert 'value="遅刻 さん"' in r.text
        page = await gateway.get(f"/training/sessions/{s['id']}", headers=HTML)
        assert "<dt>申込受付</dt><dd>〜2025年5月31日(土) 17:00</dd>" in page.text

    async def test_missing_fields_are_named_without_calling_the_service(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=5, people=0)
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations", data={"role": "係長"}, headers=HX
        )
        assert "氏名を入力してください" in r.text
        assert "区市町村を一覧から選んでください" in r.text
        assert r.text.count('aria-invalid="true"') == 3


class TestCancel:
    async def test_htmx_delete_cancels_and_names_the_promoted_person(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=4)
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        first = next(x for x in regs if x["name"] == "職員 0")
        r = await gateway.delete(
            f"/training/sessions/{s['id']}/registrations/{first['id']}", headers=HX
        )
        assert r.status_code == 200, r.text
        assert "職員 0さんの申込を取り消しました。" in r.text
        assert "キャンセル待ちの職員 2さん (千代田区) が参加確定に繰り上がりました。" in r.text
        assert _counts(r.text) == {"capacity": 2, "confirmed": 2, "waitlisted": 1}
        waitlist = r.text.split('id="waitlist"')[1].split("</table>")[0]
        assert '<td class="num">1番</td><td>職員 3</td>' in waitlist

    async def test_plain_post_fallback_redirects_and_shows_the_promotion(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=1, people=2)
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        first = next(x for x in regs if x["status"] == "confirmed")
        r = await gateway.post(
            f"/training/sessions/{s['id']}/registrations/{first['id']}/cancel", headers=HTML
        )
        assert r.status_code == 303
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "職員 0さんの申込を取り消しました。" in page.text
        assert "キャンセル待ちの職員 1さん (中央区) が参加確定に繰り上がりました。" in page.text
        assert "キャンセル待ちはいません。" in page.text


class TestAttendance:
    async def test_saves_the_sheet_in_one_put_and_shows_the_totals(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=2)
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        a, b = sorted(x["id"] for x in regs)
        form = {
            f"m-{a}-1": "present",
            f"m-{a}-2": "on_demand",
            f"m-{b}-1": "absent",
            f"m-{b}-2": "",
        }
        r = await gateway.put(f"/training/sessions/{s['id']}/attendance", data=form, headers=HX)
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="attendance"')
        assert "出欠を保存しました。" in r.text
        assert re.search(r'id="att-persons">1<', r.text)
        assert re.search(r'id="att-attendances">2<', r.text)
        assert re.search(r'id="att-completers">1<', r.text)
        assert f'name="m-{a}-2" aria-label="職員 0 第2日の出欠"' in r.text
        assert '<option value="on_demand" selected>オンデマンド視聴</option>' in r.text

    async def test_plain_post_redirects_back_to_the_sheet(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=1)
        async with training.client() as c:
            reg = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()[0]
        r = await gateway.post(
            f"/training/sessions/{s['id']}/attendance",
            data={f"m-{reg['id']}-1": "present", f"m-{reg['id']}-2": "present"},
            headers=HTML,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("?saved=1#attendance")
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "出欠を保存しました。" in page.text and re.search(
            r'id="att-completers">1<', page.text
        )

    async def test_a_person_not_confirmed_refuses_all_and_saves_nothing(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=1, people=2)
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        ok = next(x for x in regs if x["status"] == "confirmed")
        waiting = next(x for x in regs if x["status"] == "waitlisted")
        form = {f"m-{ok['id']}-1": "present", f"m-{waiting['id']}-1": "present"}
        r = await gateway.put(f"/training/sessions/{s['id']}/attendance", data=form, headers=HX)
        assert "出欠を保存できませんでした。何も保存していません。" in r.text
        assert re.search(r'id="att-persons">0<', r.text)

    async def test_nothing_selected_is_named(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=1, people=1)
        r = await gateway.put(f"/training/sessions/{s['id']}/attendance", data={}, headers=HX)
        assert "出欠が1件も選ばれていません" in r.text


class TestFiles:
    async def test_exports_pass_through_with_type_and_file_name(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=3)
        r = await gateway.get(f"/training/sessions/{s['id']}/files/participants.csv")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        assert r.content.startswith(b"\xef\xbb\xbf")
        assert "職員 2" in r.content.decode("utf-8-sig")
        ics = await gateway.get(f"/training/sessions/{s['id']}/files/calendar.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        assert ics.text.count("BEGIN:VEVENT") == 2
        xlsx = await gateway.get(f"/training/sessions/{s['id']}/files/attendance.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        missing = await gateway.get(
            "/training/sessions/999999/files/participants.csv", headers=HTML
        )
        assert missing.status_code == 404 and "見つかりません" in missing.text

    async def test_unknown_file_name_is_404(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=1, people=0)
        r = await gateway.get(f"/training/sessions/{s['id']}/files/secrets.txt", headers=HTML)
        assert r.status_code == 404


class TestProgramsPage:
    async def test_targets_not_reached_and_over_subscription(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=3)  # 3 applicants for 2 seats
        async with training.client() as c:
            regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
            chuo = next(x for x in regs if x["municipality_code"] == f.CHUO)
            r = await c.put(
                f"/api/v1/sessions/{s['id']}/attendance",
                json={
                    "entries": [{"registration_id": chuo["id"], "day_no": 1, "status": "present"}]
                },
            )
            assert r.status_code == 200, r.text
            for body in (
                {
                    "name": "全62区市町村の受講",
                    "metric": "municipalities_reached",
                    "fy_from": 2025,
                    "fy_to": 2025,
                },
                {
                    "name": "年1回以上の開催",
                    "metric": "sessions_per_year",
                    "fy_from": 2025,
                    "fy_to": 2025,
                    "value": 1,
                },
            ):
                assert (await c.post("/api/v1/targets", json=body)).status_code == 201
        r = await gateway.get("/training/programs", params={"fiscal_year": 2025}, headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert "令和7年度 (2025年度)" in t
        targets = t.split('id="targets"')[1].split("</table>")[0]
        assert "1団体 / 62団体（2%）" in targets
        rows = dict(re.findall(r"<tr>\s*<td>(.*?)</td>(.*?)</tr>", targets, re.S))
        assert 'st-未達成">未達成' in rows["全62区市町村の受講"]
        assert "1回 / 1回（100%）" in rows["年1回以上の開催"]
        assert 'st-達成">達成' in rows["年1回以上の開催"]
        not_reached = t.split('id="not-reached"')[1].split("</ul>")[0]
        assert not_reached.count("<li>") == 61
        assert "千代田区" in not_reached and "中央区" not in not_reached
        assert "61団体 / 62団体" in t
        over = t.split('id="over-list"')[1].split("</table>")[0]
        assert "介護予防 総論研修" in over and "<strong>10</strong>" in over  # 3 → next 10
        assert "1.50倍" in over


class TestKoteiHyoBoard:
    async def test_overdue_steps_are_highlighted(
        self, gateway: httpx.AsyncClient, training: ServiceHarness
    ) -> None:
        today = date.today()
        async with training.client() as c:
            p = await f.program(
                c, name="パワーアップセミナー", kind="パワーアップセミナー", fiscal_year=2025
            )
            body = {
                "program_id": p["id"],
                "municipality_code": "133078",  # 檜原村
                "title": "介護予防の推進",
                "steps": [
                    {
                        "title": "現状把握",
                        "due_date": (today - timedelta(days=10)).isoformat(),
                        "owner": "係長",
                    },
                    {
                        "title": "計画策定",
                        "due_date": (today + timedelta(days=30)).isoformat(),
                        "owner": "担当",
                    },
                ],
            }
            r = await c.post("/api/v1/kotei-hyo", json=body)
            assert r.status_code == 201, r.text
        r = await gateway.get("/training/kotei-hyo", params={"fiscal_year": 2025}, headers=HTML)
        assert r.status_code == 200, r.text
        assert "檜原村" in r.text and "期限超過 1件" in r.text
        assert re.search(r'id="count-overdue">1<', r.text)
        overdue_rows = re.findall(r'<tr class="overdue">\s*<td>(.*?)</td>', r.text)
        assert overdue_rows == ["1. 現状把握"]


class TestTrainingDown:
    async def test_every_page_renders_its_shell_with_the_notice(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(transports={"training": RefusingTransport()})
        for url in (
            "/training",
            "/training/sessions/1",
            "/training/programs",
            "/training/kotei-hyo",
        ):
            r = await gw.get(url, headers=HTML)
            assert r.status_code == 200, (url, r.status_code)
            assert "研修のサービスが応答しないため" in r.text, url
            assert '<nav class="subnav"' in r.text
        r = await gw.get("/training/sessions/1/files/participants.csv", headers=HTML)
        assert r.status_code == 503 and "研修サービスが応答しません" in r.text

    async def test_registration_when_down_answers_503_with_the_notice(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(transports={"training": RefusingTransport()})
        r = await gw.post(
            "/training/sessions/1/registrations",
            data={"name": "停止 さん", "municipality_code": f.CHIYODA, "email": "a@b.example.jp"},
            headers=HTML,
        )
        assert r.status_code == 503  # the shell: nothing of the session could be read
        assert "研修のサービスが応答しないため" in r.text
        r = await gw.post(
            "/training/sessions/1/registrations",
            data={"name": "停止 さん", "municipality_code": f.CHIYODA, "email": "a@b.example.jp"},
            headers=HX,
        )
        assert r.text.lstrip().startswith('<div id="session-people">')  # only the part, no page
        assert "研修のサービスが応答しないため" in r.text and "<html" not in r.text


class TestNoNPlusOne:
    async def test_pages_make_a_fixed_number_of_calls_whatever_the_data(
        self, gateway_factory: GatewayFactory, training: ServiceHarness
    ) -> None:
        s = await _full_session(training, capacity=2, people=4)
        async with training.client() as c:
            for n in range(3):
                p = await f.program(c, name=f"研修 {n}")
                await f.session(c, p["id"], days=[NOV_DAY + timedelta(days=n)])
        recorder = RecordingTransport(httpx.ASGITransport(app=training.app))
        gw = await gateway_factory(transports={"training": recorder})
        expected = {
            "/training?month=2025-11": ["/api/v1/demand", "/api/v1/programs", "/api/v1/sessions"],
            f"/training/sessions/{s['id']}": [
                f"/api/v1/programs/{s['program_id']}",
                f"/api/v1/sessions/{s['id']}",
                f"/api/v1/sessions/{s['id']}/attendance",
                f"/api/v1/sessions/{s['id']}/registrations",
            ],
            "/training/programs?fiscal_year=2025": [
                "/api/v1/demand",
                "/api/v1/programs",
                "/api/v1/sessions",
                "/api/v1/stats",
                "/api/v1/targets",
            ],
        }
        for url, paths in expected.items():
            recorder.requests.clear()
            r = await gw.get(url, headers=HTML)
            assert r.status_code == 200, url
            assert sorted(q.url.path for q in recorder.requests) == paths, url
