"""A coordinator registers a participant into a full session and cancels a confirmed seat,
in a real browser against the whole system with its demo data."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from services.common.fiscal import fiscal_year_of
from services.training.timeutil import today
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("training"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _full_session(system: System) -> dict[str, Any]:
    """The smallest full demo session of this fiscal year that has people waiting."""
    with _api(system) as api:
        r = api.get("/api/v1/sessions", params={"fiscal_year": fiscal_year_of(today())})
        r.raise_for_status()
        full = [s for s in r.json() if s["confirmed"] >= s["capacity"] and s["waitlisted"] > 0]
    assert full, "the demo data has no full session with a waitlist"
    return min(full, key=lambda s: s["capacity"])


def _registrations(system: System, session_id: int) -> list[dict[str, Any]]:
    with _api(system) as api:
        r = api.get(f"/api/v1/sessions/{session_id}/registrations")
        r.raise_for_status()
        return [x for x in r.json() if x["status"] != "cancelled"]


class TestSessionPage:
    async def test_registering_into_a_full_session_shows_the_waitlist_position(
        self, page: Page, system: System
    ) -> None:
        s = _full_session(system)
        waiting = sum(1 for x in _registrations(system, s["id"]) if x["status"] == "waitlisted")
        email = f"e2e-{uuid.uuid4().hex[:8]}@hinohara.example.jp"
        await page.goto(f"/training/sessions/{s['id']}")
        await expect(page.get_by_role("heading", name="参加者を登録")).to_be_visible()
        await page.get_by_label("氏名").fill("檜原 春子")
        await page.get_by_label("区市町村").select_option(label="檜原村")
        await page.get_by_label("役職・職種").fill("保健師")
        await page.get_by_label("メールアドレス").fill(email)
        await page.get_by_role("button", name="登録", exact=True).click()

        position = waiting + 1
        await expect(page.get_by_role("status")).to_contain_text(
            f"檜原 春子さんを登録しました。定員に達しているため、キャンセル待ち {position}番目です"
        )
        waitlist = page.get_by_role("table", name="キャンセル待ち")
        row = waitlist.get_by_role("row").filter(has_text=email)
        await expect(row).to_contain_text(f"{position}番")
        await expect(row).to_contain_text("檜原村")
        # The form came back empty for the next person, and the service agrees.
        await expect(page.get_by_label("氏名")).to_have_value("")
        mine = [x for x in _registrations(system, s["id"]) if x["email"] == email]
        assert mine[0]["status"] == "waitlisted" and mine[0]["waitlist_position"] == position

    async def test_cancelling_a_confirmed_seat_promotes_the_first_waiting_person(
        self, page: Page, system: System
    ) -> None:
        s = _full_session(system)
        regs = _registrations(system, s["id"])
        leaving = next(x for x in regs if x["status"] == "confirmed")
        first_waiting = min(
            (x for x in regs if x["status"] == "waitlisted"), key=lambda x: x["waitlist_position"]
        )
        await page.goto(f"/training/sessions/{s['id']}")
        confirmed = page.get_by_role("table", name="参加確定者")
        row = confirmed.get_by_role("row").filter(has_text=leaving["email"])
        await row.get_by_role("button", name="キャンセル").click()

        notice = page.get_by_role("status")
        await expect(notice).to_contain_text(f"{leaving['name']}さんの申込を取り消しました。")
        await expect(notice).to_contain_text(f"キャンセル待ちの{first_waiting['name']}さん")
        await expect(notice).to_contain_text("が参加確定に繰り上がりました。")
        await expect(
            confirmed.get_by_role("row").filter(has_text=first_waiting["email"])
        ).to_be_visible()
        await expect(confirmed.get_by_role("row").filter(has_text=leaving["email"])).to_have_count(
            0
        )
        # The attendance sheet refreshed itself: the promoted person has a row, the leaver not.
        await expect(page.locator(f"#att-row-{first_waiting['id']}")).to_be_visible()
        await expect(page.locator(f"#att-row-{leaving['id']}")).to_have_count(0)
        after = {x["id"]: x for x in _registrations(system, s["id"])}
        assert leaving["id"] not in after
        assert after[first_waiting["id"]]["status"] == "confirmed"

    async def test_attendance_sheet_saves_with_one_button(self, page: Page, system: System) -> None:
        s = _full_session(system)
        person = next(x for x in _registrations(system, s["id"]) if x["status"] == "confirmed")
        await page.goto(f"/training/sessions/{s['id']}")
        row = page.get_by_role("table", name="出欠表").locator(f"#att-row-{person['id']}")
        mark = row.get_by_role("combobox", name="第1日の出欠")
        await mark.select_option(label="出席")
        await page.get_by_role("button", name="出欠を保存").click()
        await expect(page.get_by_role("status")).to_contain_text("出欠を保存しました。")
        with _api(system) as api:
            rows = api.get(f"/api/v1/sessions/{s['id']}/attendance").json()["rows"]
        mine = next(r for r in rows if r["registration_id"] == person["id"])
        assert mine["marks"]["1"] == "present"


class TestCalendar:
    async def test_month_calendar_links_to_a_session(self, page: Page, system: System) -> None:
        s = _full_session(system)
        with _api(system) as api:
            program = api.get(f"/api/v1/programs/{s['program_id']}").json()
        first_day = s["days"][0]["date"]
        await page.goto(f"/training?month={first_day[:7]}")
        year, month = int(first_day[:4]), int(first_day[5:7])
        await expect(page.get_by_role("heading", name=f"{year}年{month}月")).to_be_visible()
        await page.get_by_role("link", name="次の月").click()
        next_month = f"{year + (month == 12)}年{month % 12 + 1}月"
        await expect(page.get_by_role("heading", name=next_month)).to_be_visible()
        assert "month=" in page.url
        await page.get_by_role("link", name="前の月").click()
        await expect(page.get_by_role("heading", name=f"{year}年{month}月")).to_be_visible()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "training_calendar.png"), full_page=True)
        await page.get_by_role("link", name=program["name"]).first.click()
        await expect(page.get_by_role("heading", name=program["name"]).first).to_be_visible()
        await expect(page.get_by_role("heading", name="開催概要")).to_be_visible()
        assert page.url.endswith(f"/training/sessions/{s['id']}")


class TestProgramsAndKoteiHyo:
    async def test_targets_show_progress_and_the_board_flags_the_overdue_step(
        self, page: Page, system: System
    ) -> None:
        await page.goto("/training")
        await page.get_by_role("link", name="研修と目標").click()
        await expect(page.get_by_role("heading", name="目標の進み具合")).to_be_visible()
        assert await page.get_by_role("progressbar").count() >= 3
        await expect(page.get_by_role("heading", name="まだ受講していない区市町村")).to_be_visible()
        await expect(
            page.get_by_role("heading", name="定員超過の研修と来年度の定員案")
        ).to_be_visible()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "training_programs.png"), full_page=True)

        await page.get_by_role("link", name="工程表").click()
        hinohara = page.get_by_role("article").filter(
            has=page.get_by_role("heading", name="檜原村")
        )
        await expect(hinohara).to_contain_text("期限超過")
        okutama = page.get_by_role("article").filter(
            has=page.get_by_role("heading", name="奥多摩町")
        )
        await expect(okutama).not_to_contain_text("期限超過")
