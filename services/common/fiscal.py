"""Japanese fiscal years (April 1 – March 31) and era names (和暦) for display."""

from __future__ import annotations

from datetime import date

# (first day, era name); 令和 began 2019-05-01, 平成 began 1989-01-08.
_ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
)
_ERA_INITIAL = {"令和": "R", "平成": "H", "昭和": "S"}
_WEEKDAYS = "月火水木金土日"


def fiscal_year_of(d: date) -> int:
    """The fiscal year a date falls in: 2026-03-31 → 2025, 2026-04-01 → 2026."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_start(fy: int) -> date:
    return date(fy, 4, 1)


def fiscal_year_end(fy: int) -> date:
    return date(fy + 1, 3, 31)


def _era_of_fiscal_year(fy: int) -> tuple[str, int]:
    # A fiscal year takes the name of the era that holds most of it: FY2019 (April 2019 –
    # March 2020) is 令和元年度 although April 2019 was still 平成31年.
    if fy >= 2019:
        return "令和", fy - 2018
    if fy >= 1989:
        return "平成", fy - 1988
    if fy >= 1926:
        return "昭和", fy - 1925
    raise ValueError(f"fiscal year {fy} is before 昭和")


def _year_text(n: int) -> str:
    return "元" if n == 1 else str(n)


def format_fy(fy: int) -> str:
    """2025 → '2025年度'."""
    return f"{fy}年度"


def format_fy_wareki(fy: int) -> str:
    """2025 → '令和7年度'; 2019 → '令和元年度'."""
    era, n = _era_of_fiscal_year(fy)
    return f"{era}{_year_text(n)}年度"


def format_fy_short(fy: int) -> str:
    """2025 → 'R7'; 2019 → 'R1'; 2018 → 'H30'."""
    era, n = _era_of_fiscal_year(fy)
    return f"{_ERA_INITIAL[era]}{n}"


def format_fy_full(fy: int) -> str:
    """2025 → '令和7年度 (2025年度)', the form pages show."""
    return f"{format_fy_wareki(fy)} ({format_fy(fy)})"


def era_of(d: date) -> tuple[str, int]:
    """The era and its year for a calendar date: 2019-04-30 → ('平成', 31)."""
    for first, name in _ERAS:
        if d >= first:
            return name, d.year - first.year + 1
    raise ValueError(f"{d} is before 昭和")


def format_date_wareki(d: date) -> str:
    """2019-05-01 → '令和元年5月1日'."""
    era, n = era_of(d)
    return f"{era}{_year_text(n)}年{d.month}月{d.day}日"


def format_date_ja(d: date) -> str:
    """2025-11-22 → '2025年11月22日(土)'."""
    return f"{d.year}年{d.month}月{d.day}日({_WEEKDAYS[d.weekday()]})"


def parse_fy(text: str) -> int:
    """Read '2025', '2025年度', '令和7年度', '令和元年度', 'R7' or 'H30' as a fiscal year."""
    s = text.strip().replace("年度", "").replace(" ", "")
    if s.isdigit() and len(s) == 4:
        return int(s)
    for era, initial, offset in (("令和", "R", 2018), ("平成", "H", 1988), ("昭和", "S", 1925)):
        for head in (era, initial, initial.lower()):
            if s.startswith(head):
                rest = s[len(head) :]
                n = 1 if rest == "元" else int(rest) if rest.isdigit() else None
                if n is None or n < 1:
                    break
                return n + offset
    raise ValueError(f"年度として読めません: {text!r}")
