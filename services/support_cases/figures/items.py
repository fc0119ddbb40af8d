"""The JSON of a case's list item and of an application, as the lists answer them: built once
by the writes (figures.service keeps ``case_item`` and ``application_item``) and joined by the
reads, so that a list of a few hundred items is one query and no per-item serialisation.

A case's item has two fields that depend on the day it is read (its last and next visit
dates): the stored JSON is in two parts around them, and the read puts them in between from
the kept visit dates (ISO dates, compared as text with today's).
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from sqlalchemy import select

from services.common.registry import get_registry
from services.support_cases.figures.models import RoundFigures
from services.support_cases.rounds.models import (
    CONTACT_FIELDS,
    ApplicationPublic,
    RoundPublic,
    SupportRound,
)

# Fields of a list item before and after the two that depend on the day.
_DAY_FIELDS = ("last_visit_date", "next_visit_date")


def list_item(row: Any, today: str, reg: Any) -> dict[str, Any]:
    """A case list item's fields from one row of (case id, municipality_code, theme, status,
    version, fiscal_year, round_id, coordinator, indicator_item_codes) + (the summary's
    advisors, observers, visit_dates, advisor_hours, roadmap_items, roadmap_items_done,
    status_changed_at; None when the case has no summary yet), ready for JSON. ``today`` is
    an ISO date: the kept visit dates are ISO dates too, compared as text (and sent as they
    are: the same JSON as the dates)."""
    (cid, code, theme, status, version, fy, round_id, coordinator, item_codes,
     advisors, observers, visit_dates, hours, n_items, done, changed) = row  # fmt: skip
    m = reg.get(code)
    dates = visit_dates or ()
    last, next_ = day_fields(dates, today)
    n_items, done = n_items or 0, done or 0
    return {
        "id": cid,
        "municipality_code": code,
        "theme": theme,
        "status": status,
        "advisors": [
            {"id": a["id"], "name": a["name"], "affiliation": a.get("affiliation") or ""}
            for a in advisors or ()
        ],
        "visits_count": len(dates),
        "version": version,
        "municipality_name": m.name if m else code,
        "region_class": m.region_class if m else None,
        "fiscal_year": fy,
        "round_id": round_id,
        "coordinator": coordinator,
        "observers": list(observers or ()),
        "last_visit_date": last,
        "next_visit_date": next_,
        "advisor_hours": round(float(hours or 0.0), 2),
        "roadmap_items": n_items,
        "roadmap_items_done": done,
        "roadmap_progress": round(done / n_items, 4) if n_items else None,
        "status_changed_at": changed,
        "indicator_item_codes": list(item_codes or ()),
    }


def day_fields(dates: Any, today: str) -> tuple[str | None, str | None]:
    """The last visit on or before ``today`` and the next one after it (ISO dates)."""
    past = [d for d in dates if d <= today]
    future = [d for d in dates if d > today]
    return (max(past) if past else None, min(future) if future else None)


def case_parts(row: Any) -> tuple[str, str]:
    """The stored JSON of a case's list item: the text before its day fields (without the
    closing brace) and after them (without the opening brace)."""
    item = list_item(row, "", get_registry())
    keys = list(item)
    i, j = keys.index(_DAY_FIELDS[0]), keys.index(_DAY_FIELDS[1])
    head = to_json({k: item[k] for k in keys[:i]}).decode()
    tail = to_json({k: item[k] for k in keys[j + 1 :]}).decode()
    return head[:-1], tail[1:]


def case_json(head: str, tail: str, dates: Any, today: str) -> str:
    """A case's list item as JSON, from its stored parts and visit dates, as of ``today``."""
    last, next_ = day_fields(dates or (), today)
    return f'{head},"last_visit_date":{_date(last)},"next_visit_date":{_date(next_)},{tail}'


def _date(d: str | None) -> str:
    return "null" if d is None else f'"{d}"'


PUBLIC_FIELDS = tuple(ApplicationPublic.model_fields)


def application_fields(data: dict[str, Any], fiscal_year: int, *, contact: bool) -> dict[str, Any]:
    """ApplicationPublic's fields from an application's columns, as plain values; the contact
    person's data null unless ``contact``."""
    code = data["municipality_code"]
    m = get_registry().get(code)
    data = {
        **data,
        "fiscal_year": fiscal_year,
        "municipality_name": m.name if m else code,
        "region_class": m.region_class if m else None,
    }
    if not contact:
        data.update(dict.fromkeys(CONTACT_FIELDS))
    return {k: data[k] for k in PUBLIC_FIELDS}


def application_parts(data: dict[str, Any], fiscal_year: int) -> tuple[str, str]:
    """The stored JSON of an application: with and without the contact person's data."""
    return (
        to_json(application_fields(data, fiscal_year, contact=True)).decode(),
        to_json(application_fields(data, fiscal_year, contact=False)).decode(),
    )


_R = SupportRound.__table__  # type: ignore[attr-defined]
_RF = RoundFigures.__table__  # type: ignore[attr-defined]
_ROUND_COLUMNS = tuple(_R.c[k] for k in RoundPublic.model_fields)
# A round with its stored figures (outer join: None when it has none yet).
ROUND_QUERY = select(
    *_ROUND_COLUMNS,
    _RF.c.applications,
    _RF.c.applications_by_status,
    _RF.c.selected_by_region_class,
    _RF.c.cases_by_status,
    _RF.c.advisor_dispatches,
    _RF.c.advisor_hours,
).select_from(_R.outerjoin(_RF, _RF.c.round_id == _R.c.id))


def round_fields(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """RoundPublic's and RoundSummary's fields (as rounds.service.summary_of makes them) from
    one row of ``ROUND_QUERY``."""
    n = len(_ROUND_COLUMNS)
    rnd = dict(zip(RoundPublic.model_fields, row[:n], strict=True))
    apps, by_status, selected, cases, dispatches, hours = (
        row[n:] if row[n] is not None else (0, {}, {}, {}, 0, 0.0)
    )
    summary = {
        "fiscal_year": rnd["fiscal_year"],
        "applications": apps,
        "selected_by_region_class": selected,
        "cases_by_status": cases,
        "advisor_dispatches": dispatches,
        "advisor_hours": round(float(hours), 2),
        "applications_by_status": by_status,
        "targets_by_region_class": rnd["targets_by_region_class"],
        "advisor_days_budget": rnd["advisor_days_budget"],
        "cases": sum(cases.values()),
    }
    return rnd, summary


def round_parts(row: Any) -> tuple[str, str]:
    """The stored JSON of a round and of its summary, from one row of ``ROUND_QUERY``."""
    rnd, summary = round_fields(row)
    return to_json(rnd).decode(), to_json(summary).decode()
