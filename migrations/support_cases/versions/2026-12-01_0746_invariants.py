"""invariants: CHECK constraints for what the support_cases models promise, after repairing
rows stored in violation.

The database then refuses a bad row from any path (a future bug, a script, a manual edit):

- roadmap_item: start_month and end_month real months (YYYY-MM, 1900-01..2099-12),
  start_month <= end_month, status one of 未着手 / 実施中 / 完了 / 中止;
- visit: issues_found and follow_ups JSON arrays (never JSON null);
- application: wished_themes a JSON array.

Repair (before the constraints; each changes only rows that break them):

- roadmap_item: a month outside 1900-01..2099-12 (e.g. "0000-01") or not shaped YYYY-MM set
  to the other month of the item when that one is valid, else to the month of its creation;
  start and end swapped when reversed; an unknown status becomes 未着手;
- visit, application: a list stored as JSON null (or any non-array) becomes [].

Revision ID: 7b2d4e6f8a13
Revises: 5c1e0a7b2f16
Create Date: 2026-12-01 07:46:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b2d4e6f8a13"
down_revision: str | Sequence[str] | None = "5c1e0a7b2f16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTH = "{c} >= '1900-01' AND {c} <= '2099-12' AND length({c}) = 7 AND substr({c}, 5, 1) = '-'"
STATUSES = "('未着手', '実施中', '完了', '中止')"


def _checks(dialect: str) -> dict[str, list[tuple[str, str]]]:
    array = "json_type({c}) = 'array'" if dialect == "sqlite" else "json_typeof({c}) = 'array'"
    return {
        "roadmap_item": [
            ("ck_roadmap_item_start_month", MONTH.format(c="start_month")),
            ("ck_roadmap_item_end_month", MONTH.format(c="end_month")),
            ("ck_roadmap_item_month_order", "start_month <= end_month"),
            ("ck_roadmap_item_status", f"status IN {STATUSES}"),
        ],
        "visit": [
            ("ck_visit_issues_found", array.format(c="issues_found")),
            ("ck_visit_follow_ups", array.format(c="follow_ups")),
        ],
        "application": [("ck_application_wished_themes", array.format(c="wished_themes"))],
    }


def _valid(month: object) -> bool:
    s = str(month or "")
    return (
        len(s) == 7
        and s[4] == "-"
        and s[:4].isdigit()
        and s[5:].isdigit()
        and "1900-01" <= s <= "2099-12"
        and 1 <= int(s[5:]) <= 12
    )


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    rows = bind.execute(
        sa.text("SELECT id, start_month, end_month, created_at, status FROM roadmap_item")
    ).all()
    for ident, start, end, created, status in rows:
        fallback = str(created)[:7] if created is not None else "2000-01"
        fallback = fallback if _valid(fallback) else "2000-01"
        new_start = start if _valid(start) else (end if _valid(end) else fallback)
        new_end = end if _valid(end) else new_start
        if new_start > new_end:
            new_start, new_end = new_end, new_start
        new_status = status if status in ("未着手", "実施中", "完了", "中止") else "未着手"
        if (new_start, new_end, new_status) != (start, end, status):
            bind.execute(
                sa.text(
                    "UPDATE roadmap_item SET start_month = :s, end_month = :e, status = :st"
                    " WHERE id = :id"
                ),
                {"s": new_start, "e": new_end, "st": new_status, "id": ident},
            )
    for table, column in (
        ("visit", "issues_found"),
        ("visit", "follow_ups"),
        ("application", "wished_themes"),
    ):
        if dialect == "sqlite":
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = '[]'"
                    f" WHERE {column} IS NULL OR json_valid({column}) = 0"
                    f" OR json_type({column}) != 'array'"
                )
            )
        else:
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = '[]'::json"
                    f" WHERE {column} IS NULL OR json_typeof({column}) <> 'array'"
                )
            )
    for table, checks in _checks(dialect).items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in _checks(op.get_bind().dialect.name).items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(name, type_="check")
