"""Insurer endpoints: the list (derived and loaded), one insurer by either code form, and the
import of the insurer list (広域連合 / 一部事務組合 with members)."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.common.errors import NotFound
from services.common.registry import CodeError
from services.indicators.insurers import service
from services.indicators.insurers.schemas import InsurerFound, InsurerImport, InsurerList
from services.indicators.scores import deduction
from services.indicators.tables import audit

router = APIRouter(tags=["保険者"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


@router.get(
    "/insurers", response_model=InsurerList, summary="保険者の一覧 (導出分 + 読み込んだ保険者一覧)"
)
async def list_insurers(
    session: Session,
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> object:
    d = await service.load_directory(session)
    return {
        "summary": service.summary(d),
        "insurers": service.insurer_rows(d, prefecture=prefecture),
    }


@router.get(
    "/insurers/{code}",
    response_model=InsurerFound,
    summary="保険者 (地方公共団体コード・保険者番号のどちらでも)",
)
async def get_insurer(code: str, session: Session) -> object:
    d = await service.load_directory(session)
    try:
        r = d.resolve(code)
        entity, form = r.entity_code, r.form
    except CodeError as exc:
        # a member municipality of a union (by either form) answers with its union
        member = _member_of(d, code)
        if member is None:
            raise NotFound(str(exc)) from None
        entity, form = member, "member"
    row = next(
        (x for x in service.insurer_rows(d, prefecture=entity[:2]) if x["entity_code"] == entity),
        None,
    )
    if row is None:  # pragma: no cover - every resolved code is an insurer
        raise NotFound(f"{code} の保険者が見つかりません")
    return {**row, "given": code, "given_form": form}


def _member_of(d: service.Directory, code: str) -> str | None:
    from services.common.registry import get_registry

    try:
        m, _ = get_registry().resolve_municipality(service.code_text(code))
    except CodeError:
        return None
    number = d.member_of.get(m.code)
    return number if number is not None and number in d.unions else None


@router.post(
    "/insurers/import",
    response_model=InsurerImport,
    summary="保険者一覧を取り込む (CSV・XLSX: 保険者番号・保険者名・構成市町村; 全件置き換え)",
)
async def import_insurers(
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Query(description="true: 確認のみ (書き込まない)")] = False,
) -> object:
    content = await file.read()
    out = await service.import_insurer_list(
        session, file.filename or "", content, actor=actor, dry_run=dry_run
    )
    if not dry_run:
        await record_event(
            session,
            audit,
            entity_type="InsurerList",
            entity_id="*",
            action="import",
            file_name=file.filename or "",
            sha256=hashlib.sha256(content).hexdigest(),
            rows=out["written"],
        )
        # the prefectures' deduction cells rest on which insurers each prefecture has
        await deduction.refresh_all(session)
    return out
