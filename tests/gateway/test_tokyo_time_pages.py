"""The fiscal year and the date the gateway's pages print, across the Tokyo midnight (issue
#15 "Tokyo time"): at 2027-03-31T15:30Z it is 1 April 00:30 in Tokyo, FY2027 has begun; at
2019-04-30T15:00Z it is 1 May 2019 in Tokyo, the first day of 令和 (令和元年度 is FY2019
throughout). The server's clock is UTC; the pages must not follow it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.common import clock
from tests.conftest import GatewayFactory

HTML = {"Accept": "text/html"}


def header_fy(page: str) -> str:
    m = re.search(r'<span class="fy">([^<]*)</span>', page)
    assert m, page[:500]
    return m.group(1)


def footer_date(page: str) -> str:
    m = re.search(r"保険者支援のための作業台 · ([^<]*)</small>", page)
    assert m, page[-800:]
    return m.group(1).strip()


@pytest.mark.parametrize(
    ("at", "fy", "day"),
    [
        # 1 April 00:30 in Tokyo: FY2027, though UTC is still on 31 March (FY2026)
        (datetime(2027, 3, 31, 15, 30, tzinfo=UTC), "令和9年度 (2027年度)", "2027年4月1日(木)"),
        # one hour earlier: still 31 March in Tokyo, FY2026
        (datetime(2027, 3, 31, 14, 30, tzinfo=UTC), "令和8年度 (2026年度)", "2027年3月31日(水)"),
        # the era changes on 1 May 2019 (Tokyo); the fiscal year is 令和元年度 throughout
        (datetime(2019, 4, 30, 14, 59, tzinfo=UTC), "令和元年度 (2019年度)", "2019年4月30日(火)"),
        (datetime(2019, 4, 30, 15, 0, tzinfo=UTC), "令和元年度 (2019年度)", "2019年5月1日(水)"),
    ],
)
async def test_the_pages_print_tokyo_fiscal_year_and_date(
    gateway_factory: GatewayFactory,
    at: datetime,
    fy: str,
    day: str,
) -> None:
    with clock.frozen_at(at):
        gateway = await gateway_factory()
        page = await gateway.get("/indicators", headers=HTML)
        assert page.status_code == 200, page.text
        assert header_fy(page.text) == fy
        assert footer_date(page.text) == day
        # a page whose year defaults to "this fiscal year" takes Tokyo's
        support = await gateway.get("/support", headers=HTML)
        assert support.status_code == 200, support.text
        assert f"<h1>伴走型支援 <small>{fy}</small></h1>" in support.text
