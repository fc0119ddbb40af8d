"""The one clock: Tokyo's day and fiscal year whatever the server's zone."""

from datetime import UTC, date, datetime

from gateway.templating import templates
from services.common import clock
from services.common.fiscal import format_date_wareki, format_fy_wareki


class TestTokyoDay:
    def test_fiscal_year_turns_at_tokyo_midnight_not_utc(self):
        # 2027-03-31T15:30Z is 1 April 00:30 in Tokyo: FY2027 has begun there.
        with clock.frozen_at(datetime(2027, 3, 31, 15, 30, tzinfo=UTC)):
            assert clock.today() == date(2027, 4, 1)
            assert clock.current_fiscal_year() == 2027
            assert clock.now() == datetime(2027, 3, 31, 15, 30, tzinfo=UTC)

    def test_one_minute_before_tokyo_midnight_is_the_old_year(self):
        with clock.frozen_at(datetime(2027, 3, 31, 14, 59, tzinfo=UTC)):
            assert clock.today() == date(2027, 3, 31)
            assert clock.current_fiscal_year() == 2026

    def test_era_changes_on_1_may_2019_in_tokyo(self):
        with clock.frozen_at(datetime(2019, 4, 30, 14, 59, tzinfo=UTC)):
            assert format_date_wareki(clock.today()) == "平成31年4月30日"
        with clock.frozen_at(datetime(2019, 4, 30, 15, 0, tzinfo=UTC)):
            assert format_date_wareki(clock.today()) == "令和元年5月1日"
            assert format_fy_wareki(clock.current_fiscal_year()) == "令和元年度"

    def test_naive_time_means_tokyo(self):
        with clock.frozen_at(datetime(2027, 4, 1, 0, 30)):
            assert clock.now() == datetime(2027, 3, 31, 15, 30, tzinfo=UTC)

    def test_banso_now_sets_the_whole_process(self, monkeypatch):
        monkeypatch.setenv("BANSO_NOW", "2027-04-01T00:30:00+09:00")
        assert clock.current_fiscal_year() == 2027
        assert clock.now() == datetime(2027, 3, 31, 15, 30, tzinfo=UTC)


class TestPageDates:
    def test_a_stored_utc_timestamp_shows_tokyo_s_day_and_time(self):
        date_ja = templates.env.filters["date_ja"]
        time_ja = templates.env.filters["time_ja"]
        stamp = "2027-03-31T15:30:00+00:00"
        assert date_ja(stamp) == "2027年4月1日(木)"
        assert time_ja(stamp) == "00:30"
        assert date_ja(datetime(2027, 3, 31, 15, 30, tzinfo=UTC)) == "2027年4月1日(木)"
        assert date_ja("2027-03-31") == "2027年3月31日(水)"
