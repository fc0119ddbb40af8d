"""The gateway's own database keeps the invariants (migration e5c7a7b77693): rows stored in
violation by an older version are repaired, then CHECK constraints refuse a bad row from any
path (SQL straight into the database here), on SQLite and, in the PostgreSQL pass, on
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from services.common import migrate
from services.common.errors import _is_rule_violation
from tests import dbs

BEFORE = "93d476091fb7"  # the gateway head before the invariants
T0 = "2025-01-01 00:00:00.000000"
T1 = "2025-01-02 00:00:00.000000"
TRACKED = "created_at, created_by, updated_at, updated_by"
NOW = f"'{T0}', 'x', '{T0}', 'x'"


@pytest.fixture
async def fresh_url(tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of this pass's kind (SQLite file, or a throwaway PostgreSQL one)."""
    async with dbs.throwaway_database(tmp_path, "gateway", "gateway_invariants") as url:
        yield url


def _user(uid: int, role: str, code: str | None, version: int = 1, active: str = "true") -> str:
    code_sql = "NULL" if code is None else f"'{code}'"
    return (
        f"INSERT INTO app_user (id, login, display_name, role, municipality_code, password_hash,"
        f" active, password_changed_at, version, {TRACKED}) VALUES ({uid}, 'u{uid}', 'u{uid}',"
        f" '{role}', {code_sql}, 'h', {active}, '{T0}', {version}, {NOW})"
    )


def _session(sid: str, expires: str) -> str:
    return (
        "INSERT INTO user_session (id_hash, user_id, csrf_token, created_at, last_seen_at,"
        f" expires_at, address) VALUES ('{sid}', 4, 'c', '{T1}', '{T1}', '{expires}', '')"
    )


def _token(tid: int, expires: str, revoked_at: str | None, revoked_by: str | None) -> str:
    at = "NULL" if revoked_at is None else f"'{revoked_at}'"
    by = "NULL" if revoked_by is None else f"'{revoked_by}'"
    return (
        "INSERT INTO api_token (id, name, user_id, token_hash, prefix, created_at, created_by,"
        f" expires_at, revoked_at, revoked_by) VALUES ({tid}, 't{tid}', NULL, 'hash{tid}', 'p',"
        f" '{T1}', 'x', '{expires}', {at}, {by})"
    )


def _upload(uid: str, size: int, expires: str) -> tuple[str, dict[str, Any]]:
    return (
        "INSERT INTO import_upload (id, owner, kind, target, file_name, content_type, content,"
        " size, mapping, state, created_at, expires_at) VALUES (:id, 'u4', 'k', '{}', 'f.csv',"
        f" '', :content, {size}, NULL, '{{}}', '{T1}', '{expires}')",
        {"id": uid, "content": b"abc"},
    )


BAD_ROWS: list[dbs.Statement] = [
    _user(1, "superuser", None),  # unknown role
    _user(2, "municipality", "13101X"),  # not six digits
    _user(3, "coordinator", "131016"),  # a code on a non-municipality role
    _user(4, "municipality", "131016", version=0),
    _user(5, "municipality", None),  # municipality without a code
    _session("bad", T0),  # expires before it was created
    _session("good", "2025-01-03 00:00:00.000000"),
    _token(1, T0, None, None),  # expires before it was created
    _token(2, "2025-03-01 00:00:00.000000", T0, None),  # revoked before created, by nobody
    _token(3, "2025-03-01 00:00:00.000000", None, "x"),  # revoked_by without revoked_at
    _upload("u1", 99, "2025-01-03 00:00:00.000000"),  # size not the file's length
    _upload("u2", 3, T0),  # expires before it was created
]


async def test_repair_then_constraints(fresh_url: str) -> None:
    url = fresh_url
    sqlite = url.startswith("sqlite")
    await asyncio.to_thread(migrate.upgrade, "gateway", url, BEFORE)
    bad = list(BAD_ROWS)
    if sqlite:  # SQLite keeps whatever a boolean column is given
        bad += [
            _user(6, "viewer", None, active="5"),
            "INSERT INTO login_attempt (id, at, login, address, succeeded)"
            f" VALUES (1, '{T0}', 'u6', '', 7)",
        ]
    await dbs.run_sql(url, *bad)
    await asyncio.to_thread(migrate.upgrade, "gateway", url)
    rows = await dbs.run_sql(
        url,
        "SELECT id, role, municipality_code, active, version FROM app_user WHERE id <= 5"
        " ORDER BY id",
        "SELECT id_hash FROM user_session",
        "SELECT id, revoked_at IS NULL, revoked_by FROM api_token ORDER BY id",
        "SELECT id, size FROM import_upload",
    )
    assert rows[0] == [
        (1, "viewer", None, False, 1),  # role unknown: viewer, deactivated
        (2, "viewer", None, False, 1),  # code invalid: viewer, deactivated
        (3, "coordinator", None, True, 1),  # code removed
        (4, "municipality", "131016", True, 1),  # version raised to 1
        (5, "viewer", None, False, 1),  # municipality without a code: deactivated
    ]
    assert rows[1] == [("good",)]
    assert rows[2] == [(2, False, ""), (3, True, None)]
    assert rows[3] == [("u1", 3)]
    revoked = await dbs.run_sql(url, "SELECT revoked_at = created_at FROM api_token WHERE id = 2")
    assert revoked[0] == [(True,)]
    if sqlite:
        flags = await dbs.run_sql(
            url,
            "SELECT active FROM app_user WHERE id = 6",
            "SELECT succeeded FROM login_attempt",
        )
        assert flags == [[(False,)], [(False,)]]

    refused: list[dbs.Statement] = [
        "UPDATE app_user SET role = 'root' WHERE id = 4",
        "UPDATE app_user SET municipality_code = '13101' WHERE id = 4",
        "UPDATE app_user SET municipality_code = '13101a' WHERE id = 4",
        "UPDATE app_user SET municipality_code = NULL WHERE id = 4",
        "UPDATE app_user SET municipality_code = '131016' WHERE id = 3",
        "UPDATE app_user SET role = 'municipality' WHERE id = 3",
        "UPDATE app_user SET version = 0 WHERE id = 4",
        _user(7, "admin", "131016"),
        _user(8, "municipality", "1310 6"),
        _user(9, "owner", None),
        "UPDATE user_session SET expires_at = created_at",
        _session("bad2", T0),
        "UPDATE api_token SET expires_at = created_at WHERE id = 3",
        "UPDATE api_token SET revoked_at = NULL WHERE id = 2",
        f"UPDATE api_token SET revoked_at = '{T1}' WHERE id = 3",
        f"UPDATE api_token SET revoked_at = '{T0}', revoked_by = 'x' WHERE id = 3",
        _token(4, T0, None, None),
        "UPDATE import_upload SET size = 4",
        _upload("u3", 2, "2025-01-03 00:00:00.000000"),
        _upload("u4", 3, T0),
    ]
    if sqlite:
        refused += [
            "UPDATE app_user SET active = 2 WHERE id = 4",
            "UPDATE login_attempt SET succeeded = 2",
        ]
    for statement in refused:
        with pytest.raises(IntegrityError) as refusal:
            await dbs.run_sql(url, statement)
        assert _is_rule_violation(refusal.value), statement
    # nothing of the refused statements was written
    after = await dbs.run_sql(
        url,
        "SELECT count(*) FROM app_user",
        "SELECT role, municipality_code, version FROM app_user WHERE id = 4",
        "SELECT count(*) FROM user_session",
        "SELECT count(*) FROM api_token",
        "SELECT id, size FROM import_upload",
    )
    assert after == [
        [(6 if sqlite else 5,)],
        [("municipality", "131016", 1)],
        [(1,)],
        [(2,)],
        [("u1", 3)],
    ]
    # good rows still go in
    await dbs.run_sql(url, _user(10, "municipality", "132012"), _user(11, "admin", None))
    # and down again (the constraints dropped), then up
    await asyncio.to_thread(migrate.downgrade, "gateway", url, BEFORE)
    await dbs.run_sql(url, "UPDATE app_user SET role = 'root' WHERE id = 11")
    await dbs.run_sql(url, "UPDATE app_user SET role = 'admin' WHERE id = 11")
    await asyncio.to_thread(migrate.upgrade, "gateway", url)
