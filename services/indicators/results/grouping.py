"""Grouping: scopes, the built-in group sets and user-defined peer sets, size bands, the
previous year's framework."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import Invalid, NotFound
from services.common.registry import get_registry
from services.indicators.allocation.models import AllocationInput
from services.indicators.frameworks.models import Framework, Level
from services.indicators.peers.models import PeerMember, PeerSet, PeerTypeOverride

BUILTIN_SETS = ("region_class", "peer_type", "size_band", "prefecture")
SIZE_BANDS = (
    (3_000, "3,000人未満"),
    (10_000, "3,000〜10,000人"),
    (50_000, "10,000〜50,000人"),
    (100_000, "50,000〜100,000人"),
    (None, "100,000人以上"),
)
UNSET = "(未設定)"
NOT_MEMBER = "(未所属)"


def size_band(first_insured: int | None) -> str:
    if first_insured is None:
        return "(第1号被保険者数 未登録)"
    for limit, label in SIZE_BANDS:
        if limit is None or first_insured < limit:
            return label
    return SIZE_BANDS[-1][1]  # pragma: no cover


def prefecture_of(code: str) -> str:
    return code[:2]


def first_insured_from_rows(rows: list[tuple[str, int, int, str]], grant: str) -> dict[str, int]:
    """First-insured persons per entity from (code, persons, grant_fy, grant) rows up to the
    framework's grant year: later years overwrite earlier ones; within a year the framework's
    own grant wins."""
    out: dict[str, int] = {}
    for code, n, _fy, _grant in sorted(rows, key=lambda r: (r[2], r[3] == grant)):
        out[code] = n
    return out


async def first_insured_map(session: AsyncSession, fw: Framework) -> dict[str, int]:
    """First-insured persons per entity: the framework's grant year, else the latest known."""
    rows = (
        await session.exec(
            select(
                AllocationInput.entity_code,
                AllocationInput.first_insured,
                AllocationInput.grant_fy,
                AllocationInput.grant,
            ).where(AllocationInput.grant_fy <= fw.grant_fy)
        )
    ).all()
    return first_insured_from_rows([tuple(r) for r in rows], fw.grant)  # type: ignore[misc]


def builtin_group(set_name: str, code: str, first_insured: dict[str, int]) -> str:
    """An entity's group in a built-in set."""
    if set_name == "prefecture":
        return prefecture_of(code)
    if set_name == "size_band":
        return size_band(first_insured.get(code))
    m = get_registry().get(code)
    return (getattr(m, set_name) if m else None) or UNSET


async def group_map(
    session: AsyncSession, fw: Framework, set_name: str, codes: list[str]
) -> dict[str, str]:
    """Each entity's group in a group set (built-in or user-defined)."""
    if set_name in BUILTIN_SETS:
        fi = await first_insured_map(session, fw) if set_name == "size_band" else {}
        groups = {c: builtin_group(set_name, c, fi) for c in codes}
        if set_name == "peer_type":  # the prefecture's settings win over the registry's
            rows = await session.exec(
                select(PeerTypeOverride.entity_code, PeerTypeOverride.peer_type).where(
                    col(PeerTypeOverride.peer_type).is_not(None)
                )
            )
            groups |= {c: t for c, t in rows.all() if c in groups and t}
        return groups
    ps = await require_set(session, set_name)
    members = (await session.exec(select(PeerMember).where(PeerMember.peer_set_id == ps.id))).all()
    by = {m.entity_code: m.group_name for m in members}
    return {c: by.get(c, NOT_MEMBER) for c in codes}


async def require_set(session: AsyncSession, set_name: str) -> PeerSet:
    """A user-defined set by name, or 404 naming what may be asked for."""
    ps = (await session.exec(select(PeerSet).where(PeerSet.name == set_name))).first()
    if ps is None:
        raise NotFound(
            f"比較グループ {set_name!r} がありません (region_class, peer_type, size_band, "
            "prefecture または登録済みのグループ名を指定してください)"
        )
    return ps


async def check_set(session: AsyncSession, set_name: str) -> None:
    if set_name not in BUILTIN_SETS:
        await require_set(session, set_name)


def parse_group(spec: str | None) -> tuple[str, str] | None:
    if not spec:
        return None
    if ":" not in spec:
        raise Invalid(
            "group は 「グループ集合:グループ名」 の形で指定してください (例: region_class:区部)",
            errors=[{"loc": ["query", "group"], "msg": "形式が正しくありません"}],
        )
    set_name, _, name = spec.partition(":")
    return set_name.strip(), name.strip()


def scope_entities(
    fw: Framework, prefecture: str | None, insurers: list[str] | None = None
) -> list[str]:
    """Every entity a framework could score, within a prefecture if given: the prefectures, or
    the insurers of the country (``insurers``: with the loaded list's 広域連合; default: every
    municipality)."""
    reg = get_registry()
    if fw.level == Level.prefecture:
        codes = list(reg.prefectures)
    else:
        codes = list(insurers) if insurers is not None else list(reg.municipalities)
    if prefecture:
        codes = [c for c in codes if prefecture_of(c) == prefecture]
    return codes


def previous_of(fw: Framework | object, frameworks: list[object]) -> object | None:
    """The same grant and level's latest earlier grant year among ``frameworks``."""
    earlier = [
        f
        for f in frameworks
        if f.grant == fw.grant  # type: ignore[attr-defined]
        and f.level == fw.level  # type: ignore[attr-defined]
        and f.grant_fy < fw.grant_fy  # type: ignore[attr-defined]
    ]
    return max(earlier, key=lambda f: f.grant_fy) if earlier else None  # type: ignore[attr-defined]


async def previous_framework(
    session: AsyncSession, fw: Framework, previous_id: int | None = None
) -> Framework | None:
    if previous_id is not None:
        prev = await session.get(Framework, previous_id)
        if prev is None:
            raise NotFound(f"比較する評価指標の体系 {previous_id} が見つかりません")
        return prev
    return (
        await session.exec(
            select(Framework)
            .where(
                Framework.grant == fw.grant,
                Framework.level == fw.level,
                Framework.grant_fy < fw.grant_fy,
            )
            .order_by(Framework.grant_fy.desc())  # type: ignore[attr-defined]
        )
    ).first()
