"""invariants: CHECK constraints for what the training models promise, after repairing rows
stored in violation.

The database then refuses a bad row from any path (a future bug, a script, a manual edit):

- target: 2018 <= fy_from <= fy_to <= 2100, value >= 1, metric one of the three metrics;
- training_session: capacity >= 1, municipality_quota empty or >= 1, first_date <= last_date;
- session_day: the end after the start ("end" > start);
- registration: status confirmed / waitlisted / cancelled.

Repair (before the constraints; each changes only rows that break them):

- target: fy_from and fy_to swapped when reversed, then each clamped into 2018..2100;
  value below 1 set to 1; an unknown metric becomes completers;
- training_session: capacity below 1 set to 1; a quota below 1 removed (NULL);
  first_date and last_date swapped when reversed;
- session_day: a day whose end is not after its start ends at 23:59:59 (its start moved to
  23:59:00 if it was later);
- registration: an unknown status becomes cancelled (the seat is not counted).

Revision ID: 5e1c0a7b9d21
Revises: da236f58d5f0
Create Date: 2026-12-01 07:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1c0a7b9d21"
down_revision: str | Sequence[str] | None = "da236f58d5f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS: dict[str, list[tuple[str, str]]] = {
    "target": [
        ("ck_target_fy_order", "fy_from <= fy_to"),
        ("ck_target_fy_range", "fy_from >= 2018 AND fy_to <= 2100"),
        ("ck_target_value", "value >= 1"),
        (
            "ck_target_metric",
            "metric IN ('completers', 'sessions_per_year', 'municipalities_reached')",
        ),
    ],
    "training_session": [
        ("ck_training_session_capacity", "capacity >= 1"),
        (
            "ck_training_session_quota",
            "municipality_quota IS NULL OR municipality_quota >= 1",
        ),
        ("ck_training_session_dates", "first_date <= last_date"),
    ],
    "session_day": [("ck_session_day_times", '"end" > start')],
    "registration": [
        ("ck_registration_status", "status IN ('confirmed', 'waitlisted', 'cancelled')"),
    ],
}

REPAIRS = [
    "UPDATE target SET fy_from = fy_to, fy_to = fy_from WHERE fy_from > fy_to",
    "UPDATE target SET fy_from = 2018 WHERE fy_from < 2018",
    "UPDATE target SET fy_from = 2100 WHERE fy_from > 2100",
    "UPDATE target SET fy_to = 2018 WHERE fy_to < 2018",
    "UPDATE target SET fy_to = 2100 WHERE fy_to > 2100",
    "UPDATE target SET value = 1 WHERE value < 1",
    "UPDATE target SET metric = 'completers' WHERE metric NOT IN"
    " ('completers', 'sessions_per_year', 'municipalities_reached')",
    "UPDATE training_session SET capacity = 1 WHERE capacity < 1",
    "UPDATE training_session SET municipality_quota = NULL WHERE municipality_quota < 1",
    "UPDATE training_session SET first_date = last_date, last_date = first_date"
    " WHERE first_date > last_date",
    'UPDATE session_day SET start = :late_start WHERE "end" <= start AND start >= :late_start',
    'UPDATE session_day SET "end" = :last_second WHERE "end" <= start',
    "UPDATE registration SET status = 'cancelled' WHERE status NOT IN"
    " ('confirmed', 'waitlisted', 'cancelled')",
]


def upgrade() -> None:
    bind = op.get_bind()
    import datetime as dt

    params = {"late_start": dt.time(23, 59), "last_second": dt.time(23, 59, 59)}
    if bind.dialect.name == "sqlite":  # times are stored as text there (HH:MM:SS.ffffff)
        params = {"late_start": "23:59:00.000000", "last_second": "23:59:59.000000"}
    for statement in REPAIRS:
        clause = sa.text(statement)
        bind.execute(clause, {k: v for k, v in params.items() if f":{k}" in statement})
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(name, type_="check")
