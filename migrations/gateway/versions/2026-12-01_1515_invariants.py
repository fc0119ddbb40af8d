"""invariants: CHECK constraints for what the gateway's models promise, after repairing rows
stored in violation.

The database then refuses a bad row from any path (a future bug, a script, a manual edit). NOT
NULL already holds for every column the models declare required (tests/common/test_migrations.py
compares them). Only what both SQLite and PostgreSQL can check is written (the municipality
code's digits through ``ltrim(code, '0123456789') = ''``, which both have).

Constraints:

- app_user: role one of admin / coordinator / advisor / municipality / viewer / api_client;
  municipality_code NULL or six digits; role municipality exactly when a code is set;
  version >= 1; on SQLite, active 0 / 1 (PostgreSQL's boolean type already holds that);
- user_session: expires_at after created_at;
- api_token: expires_at after created_at; revoked_at NULL or not before created_at;
  revoked_by set exactly when revoked_at is (the revoke writes both);
- import_upload: size >= 0 and equal to the stored file's length in bytes; expires_at after
  created_at;
- login_attempt: on SQLite, succeeded 0 / 1.

(API tokens carry no role of their own: a token acts as its user, or as api_client; so there
is no role column to constrain there.)

Repair (before the constraints; each statement changes only rows that break them):

- a user with an unknown role becomes viewer and is deactivated (nobody knows what they may
  do; an admin sets the role before turning them on again);
- a user of role municipality without a valid six-digit code: code removed, role viewer,
  deactivated (a viewer sees every municipality, so they must not stay active; an admin sets
  role and code again);
- a user of any other role with a municipality code: the code removed (it was never used:
  only municipality staff act with a code);
- a version below 1 becomes 1; on SQLite, an active / succeeded flag other than 0 / 1 becomes
  0 (inactive, a failed attempt);
- sessions and API tokens that expire at or before their creation are deleted (they were
  expired from the start, so nobody could use them);
- an API token revoked before its creation: revoked_at becomes created_at (it stays revoked);
  revoked_by is cleared where revoked_at is NULL, and set to '' where revoked_at is set but
  revoked_by is not (who revoked it is unknown);
- an upload whose size differs from its file's length: size set to the length; an upload that
  expires at or before its creation is deleted (it had expired anyway).

Revision ID: e5c7a7b77693
Revises: 93d476091fb7
Create Date: 2026-12-01 15:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5c7a7b77693"
down_revision: str | Sequence[str] | None = "93d476091fb7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "('admin', 'coordinator', 'advisor', 'municipality', 'viewer', 'api_client')"
CODE_OK = "(length(municipality_code) = 6 AND ltrim(municipality_code, '0123456789') = '')"


def _checks(sqlite: bool) -> dict[str, list[tuple[str, str]]]:
    checks: dict[str, list[tuple[str, str]]] = {
        "app_user": [
            ("ck_app_user_role", f"role IN {ROLES}"),
            ("ck_app_user_code", f"municipality_code IS NULL OR {CODE_OK}"),
            (
                "ck_app_user_municipality",
                "(role = 'municipality' AND municipality_code IS NOT NULL)"
                " OR (role <> 'municipality' AND municipality_code IS NULL)",
            ),
            ("ck_app_user_version", "version >= 1"),
        ],
        "user_session": [("ck_user_session_expiry", "expires_at > created_at")],
        "api_token": [
            ("ck_api_token_expiry", "expires_at > created_at"),
            ("ck_api_token_revoked", "revoked_at IS NULL OR revoked_at >= created_at"),
            (
                "ck_api_token_revoked_by",
                "(revoked_at IS NULL AND revoked_by IS NULL)"
                " OR (revoked_at IS NOT NULL AND revoked_by IS NOT NULL)",
            ),
        ],
        "import_upload": [
            ("ck_import_upload_size", "size >= 0 AND size = length(content)"),
            ("ck_import_upload_expiry", "expires_at > created_at"),
        ],
    }
    if sqlite:  # PostgreSQL's boolean type admits nothing else
        checks["app_user"].append(("ck_app_user_active", "active IN (0, 1)"))
        checks["login_attempt"] = [("ck_login_attempt_succeeded", "succeeded IN (0, 1)")]
    return checks


def _repairs(sqlite: bool) -> list[str]:
    repairs = [
        # users: roles and municipality codes
        f"UPDATE app_user SET role = 'viewer', active = false WHERE role NOT IN {ROLES}",
        "UPDATE app_user SET role = 'viewer', active = false, municipality_code = NULL"
        f" WHERE role = 'municipality' AND (municipality_code IS NULL OR NOT {CODE_OK})",
        "UPDATE app_user SET municipality_code = NULL"
        " WHERE role <> 'municipality' AND municipality_code IS NOT NULL",
        "UPDATE app_user SET version = 1 WHERE version < 1",
        # sessions and tokens that were expired from the start
        "DELETE FROM user_session WHERE expires_at <= created_at",
        "DELETE FROM api_token WHERE expires_at <= created_at",
        "UPDATE api_token SET revoked_at = created_at WHERE revoked_at < created_at",
        "UPDATE api_token SET revoked_by = NULL WHERE revoked_at IS NULL AND revoked_by IS NOT NULL",
        "UPDATE api_token SET revoked_by = '' WHERE revoked_at IS NOT NULL AND revoked_by IS NULL",
        # uploads
        "UPDATE import_upload SET size = length(content) WHERE size <> length(content)",
        "DELETE FROM import_upload WHERE expires_at <= created_at",
    ]
    if sqlite:
        repairs += [
            "UPDATE app_user SET active = 0 WHERE active NOT IN (0, 1)",
            "UPDATE login_attempt SET succeeded = 0 WHERE succeeded NOT IN (0, 1)",
        ]
    return repairs


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    bind = op.get_bind()
    for statement in _repairs(_sqlite()):
        bind.execute(sa.text(statement))
    for table, checks in _checks(_sqlite()).items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in _checks(_sqlite()).items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(name, type_="check")
