"""The admin audit page (/admin/audit): each service's audit trail merged, newest first.

Most tests put a small kernel app (create_service_app with an audit table, its own SQLite
database) in the training slot, so that the rows are exactly known; writes go through its API as
real actors, so the rows are the kernel's own audit rows. A kernel app without an audit table
stands for a service without a trail (404). The last test uses the real services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common import clock
from services.common.actor import Actor, get_actor
from services.common.app import create_service_app
from services.common.audit import audit_table
from services.common.db import get_session
from services.common.settings import ServiceSettings
from tests.conftest import GatewayFactory, common_settings
from tests.gateway.test_shell import RefusingTransport
from tests.helpers import auth


class _Base(DeclarativeBase):
    pass


class Memo(_Base):
    __tablename__ = "memo"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


AUDIT = audit_table(_Base.metadata)


class MemoIn(BaseModel):
    title: str


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
router = APIRouter()


@router.post("/memos", status_code=201)
async def create_memo(
    body: MemoIn, session: Session, _: Annotated[Actor, Depends(get_actor)]
) -> dict[str, Any]:
    memo = Memo(title=body.title)
    session.add(memo)
    await session.flush()
    return {"id": memo.id}


@router.put("/memos/{memo_id}")
async def rename_memo(
    memo_id: int, body: MemoIn, session: Session, _: Annotated[Actor, Depends(get_actor)]
) -> dict[str, Any]:
    memo = await session.get(Memo, memo_id)
    assert memo is not None
    memo.title = body.title
    return {"id": memo.id}


def _kernel_app(tmp: Path, name: str, *, audited: bool) -> Any:
    settings = ServiceSettings(
        service_name=name,
        database_url=f"sqlite+aiosqlite:///{tmp / name}.db",
        common=common_settings(),
    )
    return create_service_app(
        settings,
        title=name,
        description="監査ログの試験用",
        api_routers=[router],
        audit=AUDIT if audited else None,
    )


@pytest.fixture
async def audited(tmp_path: Path) -> AsyncIterator[Any]:
    """A kernel service app with an audit trail, its tables created, lifespan running."""
    app = _kernel_app(tmp_path, "training", audited=True)
    async with app.router.lifespan_context(app):
        async with app.state.db.engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)
        yield app


async def _write(app: Any, role: str, method: str, path: str, title: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://training", headers=auth(role)
    ) as c:
        r = await c.request(method, path, json={"title": title})
        assert r.status_code in (200, 201), r.text
        return r.json()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in body.split("</tr>")[:-1]
    ]


class TestAuditPage:
    async def test_merges_the_rows_newest_first_with_changes(
        self, audited: Any, gateway_factory: GatewayFactory
    ) -> None:
        memo = await _write(audited, "coordinator", "POST", "/api/v1/memos", "初版")
        await _write(audited, "admin", "PUT", f"/api/v1/memos/{memo['id']}", "改訂版")
        gw = await gateway_factory({"training": httpx.ASGITransport(app=audited)}, role="admin")

        r = await gw.get("/admin/audit")
        assert r.status_code == 200, r.text
        rows = [row for row in _rows(r.text) if "研修" in row]
        assert len(rows) == 2
        newest, oldest = rows
        assert "テスト admin (u-admin)" in newest and "更新" in newest
        assert "title : 初版 → 改訂版" in newest
        assert "テスト coordinator (u-coordinator)" in oldest and "作成" in oldest
        assert "title : — → 初版" in oldest and f"Memo {memo['id']}" in oldest
        today = clock.today()  # Tokyo: after 15:00 UTC it is already tomorrow there
        assert f"{today.month}月{today.day}日" in newest, "the time is a Japanese date"

    async def test_filters_reach_every_service(
        self, audited: Any, gateway_factory: GatewayFactory
    ) -> None:
        first = await _write(audited, "coordinator", "POST", "/api/v1/memos", "一件目")
        await _write(audited, "admin", "POST", "/api/v1/memos", "二件目")
        gw = await gateway_factory({"training": httpx.ASGITransport(app=audited)}, role="admin")

        r = await gw.get("/admin/audit", params={"entity_type": "Memo", "entity_id": first["id"]})
        rows = [row for row in _rows(r.text) if "研修" in row]
        assert len(rows) == 1 and "一件目" in rows[0]
        r = await gw.get("/admin/audit", params={"actor_id": "u-admin"})
        rows = [row for row in _rows(r.text) if "研修" in row]
        assert len(rows) == 1 and "二件目" in rows[0]
        today = clock.today()  # Tokyo: after 15:00 UTC it is already tomorrow there.isoformat()
        r = await gw.get("/admin/audit", params={"since": today, "until": today})
        assert len([row for row in _rows(r.text) if "研修" in row]) == 2
        r = await gw.get("/admin/audit", params={"until": "2020-03-31"})
        assert not [row for row in _rows(r.text) if "研修" in row]

    async def test_bad_dates_say_what_to_fix(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role="admin")
        r = await gw.get("/admin/audit", params={"since": "令和8年"})
        assert r.status_code == 422
        assert "開始日は 2026-04-01 の形で入力してください" in r.text
        r = await gw.get("/admin/audit", params={"since": "2026-05-01", "until": "2026-04-01"})
        assert r.status_code == 422 and "終了日は開始日以降にしてください" in r.text

    async def test_a_service_down_or_without_a_trail_is_named(
        self, audited: Any, tmp_path: Path, gateway_factory: GatewayFactory
    ) -> None:
        await _write(audited, "coordinator", "POST", "/api/v1/memos", "残る記録")
        bare = _kernel_app(tmp_path, "support_cases", audited=False)
        async with bare.router.lifespan_context(bare):
            gw = await gateway_factory(
                {
                    "training": httpx.ASGITransport(app=audited),
                    "indicators": RefusingTransport(),
                    "support_cases": httpx.ASGITransport(app=bare),
                },
                role="admin",
            )
            r = await gw.get("/admin/audit")
        assert r.status_code == 200
        assert "次のサービスの記録は読めませんでした: 評価指標 (接続できません" in r.text
        assert "次のサービスには監査ログがまだありません: 伴走支援。" in r.text
        assert [row for row in _rows(r.text) if "残る記録" in row]

    @pytest.mark.parametrize("role", ["coordinator", "viewer", "municipality"])
    async def test_only_admins(self, role: str, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role=role)
        r = await gw.get("/admin/audit", headers={"Accept": "text/html"})
        assert r.status_code == 403

    async def test_linked_from_the_admin_pages(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role="admin")
        r = await gw.get("/admin/users")
        assert 'href="/admin/audit"' in r.text


class TestWithTheRealServices:
    async def test_a_write_in_a_service_shows_on_the_page(
        self, indicators: Any, gateway_factory: GatewayFactory
    ) -> None:
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/peer-sets", json={"name": "監査の確認", "members": {"132012": "対象"}}
            )
            assert r.status_code == 201, r.text
        gw = await gateway_factory(role="admin")
        r = await gw.get("/admin/audit", params={"entity_type": "PeerSet"})
        assert r.status_code == 200, r.text
        rows = [row for row in _rows(r.text) if "評価指標" in row]
        assert len(rows) == 1
        assert "テスト coordinator (u-coordinator)" in rows[0] and "作成" in rows[0]
        assert "name : — → 監査の確認" in rows[0]
        assert "監査ログがまだありません" not in r.text
