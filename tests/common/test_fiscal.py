from datetime import date

import pytest

from services.common.fiscal import (
    era_of,
    fiscal_year_end,
    fiscal_year_of,
    fiscal_year_start,
    format_date_ja,
    format_date_wareki,
    format_fy,
    format_fy_full,
    format_fy_short,
    format_fy_wareki,
    parse_fy,
)


class TestFiscalYearOf:
    @pytest.mark.parametrize(
        ("day", "fy"),
        [
            (date(2026, 3, 31), 2025),
            (date(2026, 4, 1), 2026),
            (date(2025, 12, 31), 2025),
            (date(2026, 1, 1), 2025),
            (date(2019, 4, 1), 2019),
            (date(2019, 3, 31), 2018),
        ],
    )
    def test_april_first_starts_the_year(self, day: date, fy: int) -> None:
        assert fiscal_year_of(day) == fy

    def test_range(self) -> None:
        assert fiscal_year_start(2025) == date(2025, 4, 1)
        assert fiscal_year_end(2025) == date(2026, 3, 31)


class TestWareki:
    def test_reiwa_years(self) -> None:
        assert format_fy(2025) == "2025年度"
        assert format_fy_wareki(2025) == "令和7年度"
        assert format_fy_short(2025) == "R7"
        assert format_fy_full(2025) == "令和7年度 (2025年度)"

    def test_fy2019_is_reiwa_gannen(self) -> None:
        assert format_fy_wareki(2019) == "令和元年度"
        assert format_fy_short(2019) == "R1"

    def test_fy2018_is_heisei_30(self) -> None:
        assert format_fy_wareki(2018) == "平成30年度"
        assert format_fy_short(2018) == "H30"

    def test_era_changes_on_may_first_2019(self) -> None:
        assert era_of(date(2019, 4, 30)) == ("平成", 31)
        assert era_of(date(2019, 5, 1)) == ("令和", 1)
        assert format_date_wareki(date(2019, 4, 30)) == "平成31年4月30日"
        assert format_date_wareki(date(2019, 5, 1)) == "令和元年5月1日"

    def test_heisei_began_1989_01_08(self) -> None:
        assert era_of(date(1989, 1, 7)) == ("昭和", 64)
        assert era_of(date(1989, 1, 8)) == ("平成", 1)
        assert format_fy_wareki(1989) == "平成元年度"

    def test_date_with_weekday(self) -> None:
        assert format_date_ja(date(2025, 11, 22)) == "2025年11月22日(土)"
        assert format_date_ja(date(2026, 11, 22)) == "2026年11月22日(日)"


class TestParseFy:
    @pytest.mark.parametrize(
        ("text", "fy"),
        [
            ("2025", 2025),
            ("2025年度", 2025),
            ("令和7年度", 2025),
            ("令和元年度", 2019),
            ("R7", 2025),
            ("H30", 2018),
            ("平成31年度", 2019),
        ],
    )
    def test_forms(self, text: str, fy: int) -> None:
        assert parse_fy(text) == fy

    @pytest.mark.parametrize("text", ["", "令和", "R0", "abc", "20255"])
    def test_refuses_nonsense(self, text: str) -> None:
        with pytest.raises(ValueError):
            parse_fy(text)
