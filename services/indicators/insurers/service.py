"""Insurers and the two code forms: resolve an ``entity_code`` given as a municipality code
(全国地方公共団体コード) or an insurer number (介護保険 保険者番号), with the loaded insurer list
applied on top of the derivation, and import that list (広域連合 / 一部事務組合 and members).

Resolution order for a municipal-level code (documented in docs/indicators.md):
1. a registered municipality code → that municipality (refused when the list makes it a
   member of a union: the union is the insurer);
2. an insurer number in the loaded list → its municipality (one member) or the union;
3. a derived insurer number (first five digits + insurer check digit) → that municipality,
   unless the list says otherwise (member of a union, or another number for it);
4. anything else → an error naming both check digits.
Both forms share the first five digits, so a string valid under both rules names the same
municipality either way; a list whose number equals another municipality's code is refused
on import, so step 1 never hides a union.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.models import stamp_created
from services.common.registry import (
    CodeError,
    Municipality,
    get_registry,
    insurer_check_digit,
    insurer_number_of,
    validate_code_format,
)
from services.indicators.frameworks.models import Level
from services.indicators.insurers.models import Insurer, InsurerMember
from services.indicators.tabular import blank_row, code_text, read_table, text

UNION_WORDS = ("広域連合", "組合")


@dataclass(frozen=True, slots=True)
class Listed:
    number: str
    name: str
    kind: str  # municipality | union
    members: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class Resolved:
    entity_code: str  # the municipality code, a union's insurer number, or a prefecture code
    insurer_number: str | None  # None for a prefecture
    form: str  # municipality | insurer | prefecture


@dataclass
class Directory:
    """The loaded insurer list over the registry's derivation (one per request: small)."""

    listed: dict[str, Listed] = field(default_factory=dict)  # by insurer number
    member_of: dict[str, str] = field(default_factory=dict)  # municipality → insurer number

    @property
    def unions(self) -> dict[str, Listed]:
        return {n: i for n, i in self.listed.items() if i.kind == "union"}

    def insurer_number(self, municipality_code: str) -> str:
        """The municipality's insurer number: the list's, else the derived one."""
        return self.member_of.get(municipality_code) or insurer_number_of(municipality_code)

    def insurer_number_of_entity(self, entity_code: str) -> str | None:
        if entity_code in self.listed:
            return entity_code
        reg = get_registry()
        if entity_code in reg.municipalities:
            return self.insurer_number(entity_code)
        return None

    def name_of(self, code: str) -> str:
        reg = get_registry()
        if code in reg.prefectures:
            return reg.prefectures[code].name
        m = reg.get(code)
        if m is not None:
            return m.full_name
        ins = self.listed.get(code)
        if ins is not None:
            pref = reg.prefecture(code[:2])
            return f"{pref.name if pref else ''}{ins.name}"
        return code

    def members(self, entity_code: str) -> list[str]:
        """The municipalities an entity stands for (a union: its members)."""
        ins = self.listed.get(entity_code)
        if ins is not None and ins.kind == "union":
            return list(ins.members)
        return [entity_code]

    def insurers(self) -> list[str]:
        """Every insurer's entity code in the country: unions and the municipalities that
        are their own insurer (the set a national figure must cover)."""
        reg = get_registry()
        in_union = {m for u in self.unions.values() for m in u.members}
        return sorted([c for c in reg.municipalities if c not in in_union] + list(self.unions))

    def resolve(self, raw: Any, level: Level | str = Level.municipality) -> Resolved:
        """The entity a code names (either form); CodeError saying what is wrong."""
        code = code_text(raw)
        reg = get_registry()
        if level == Level.prefecture:
            try:
                validate_code_format(code)
            except CodeError as exc:
                raise CodeError(str(exc)) from None
            if code not in reg.prefectures:
                raise CodeError(f"{code} は都道府県のコード (例: 130001) ではありません")
            return Resolved(code, None, "prefecture")
        if not (len(code) == 6 and code.isdigit()):
            raise CodeError(
                f"団体コードは6桁の数字 (地方公共団体コードまたは保険者番号) です: {code!r}"
            )
        m = reg.municipalities.get(code)
        if m is not None:
            self._own_insurer_or_refuse(m, code)
            return Resolved(code, self.insurer_number(code), "municipality")
        ins = self.listed.get(code)
        if ins is not None:
            if ins.kind == "union":
                return Resolved(code, code, "insurer")
            return Resolved(ins.members[0], code, "insurer")
        via = reg.by_insurer_number.get(code)
        if via is not None:
            self._own_insurer_or_refuse(reg.municipalities[via], code)
            listed_number = self.member_of.get(via)
            if listed_number is not None and listed_number != code:
                raise CodeError(
                    f"{code} は {reg.municipalities[via].full_name} の番号から導いた保険者番号"
                    f"ですが、保険者一覧ではこの区市町村の保険者番号は {listed_number} です"
                )
            return Resolved(via, code, "insurer")
        try:
            reg.resolve_municipality(code)
        except CodeError as exc:
            raise CodeError(str(exc)) from None
        raise CodeError(f"{code} の区市町村・保険者は登録されていません")  # pragma: no cover

    def _own_insurer_or_refuse(self, m: Municipality, given: str) -> None:
        number = self.member_of.get(m.code)
        if number is not None and self.listed[number].kind == "union":
            union = self.listed[number]
            raise CodeError(
                f"{given} ({m.full_name}) は {union.name} (保険者番号 {number}) の構成市町村です。"
                f"保険者番号 {number} で指定してください"
            )

    def checker(self, level: Level | str):  # type: ignore[no-untyped-def]
        """A memoised function raw code → (Resolved | None, error message | None): a file
        repeats each code once per item."""
        cache: dict[Any, tuple[Resolved | None, str | None]] = {}

        def check(raw: Any) -> tuple[Resolved | None, str | None]:
            try:
                return cache[raw]
            except (KeyError, TypeError):
                pass
            try:
                out: tuple[Resolved | None, str | None] = (self.resolve(raw, level), None)
            except CodeError as exc:
                out = (None, str(exc))
            try:
                cache[raw] = out
            except TypeError:
                pass
            return out

        return check


async def load_directory(session: AsyncSession) -> Directory:
    rows = (await session.exec(select(Insurer))).all()
    members = (await session.exec(select(InsurerMember))).all()
    by: dict[str, list[str]] = defaultdict(list)
    for mem in members:
        by[mem.insurer_number].append(mem.municipality_code)
    d = Directory()
    for r in rows:
        d.listed[r.number] = Listed(r.number, r.name, r.kind, tuple(sorted(by[r.number])), r.source)
    d.member_of = {mem.municipality_code: mem.insurer_number for mem in members}
    return d


# --- listing ---------------------------------------------------------------------------------


def insurer_rows(d: Directory, *, prefecture: str | None = None) -> list[dict[str, Any]]:
    """Every insurer (derived and loaded), ordered by insurer number."""
    reg = get_registry()
    out = []
    for code in d.insurers():
        if prefecture and code[:2] != prefecture:
            continue
        ins = d.listed.get(code)
        if ins is not None:  # a union
            out.append(
                {
                    "insurer_number": code,
                    "entity_code": code,
                    "name": d.name_of(code),
                    "kind": "union",
                    "members": [
                        {"code": m, "name": reg.municipalities[m].full_name} for m in ins.members
                    ],
                    "source": ins.source or "保険者一覧",
                }
            )
            continue
        number = d.insurer_number(code)
        listed = d.listed.get(number)
        out.append(
            {
                "insurer_number": number,
                "entity_code": code,
                "name": d.name_of(code),
                "kind": "municipality",
                "members": [{"code": code, "name": reg.municipalities[code].full_name}],
                "source": (listed.source or "保険者一覧")
                if listed
                else "導出 (地方公共団体コードの上5桁 + 保険者番号の検査数字)",
            }
        )
    out.sort(key=lambda r: r["insurer_number"])
    return out


def summary(d: Directory) -> dict[str, Any]:
    insurers = d.insurers()
    unions = d.unions
    return {
        "insurers": len(insurers),
        "unions": len(unions),
        "municipalities_in_unions": sum(len(u.members) for u in unions.values()),
        "listed": len(d.listed),
        "derived": sum(1 for c in insurers if c not in d.listed and c not in d.member_of),
        "note": (
            "広域連合・一部事務組合は保険者一覧ファイル (保険者番号・保険者名・構成市町村) を"
            "読み込むまで分かりません。読み込むまでは全区市町村を単独の保険者として数えます "
            "(厚生労働省の集計では令和5年度 1,571保険者)"
            if not unions
            else "保険者一覧を読み込み済み。一覧にない区市町村は単独の保険者 (番号は導出)"
        ),
    }


# --- import ----------------------------------------------------------------------------------

NUMBER_H = ("保険者番号", "insurer_number", "番号")
NAME_H = ("保険者名", "name", "名称")
MEMBERS_H = ("構成市町村", "members", "構成市町村コード", "構成団体", "構成市町村名")
SPLIT = re.compile(r"[、,，;；・/／\s]+")


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.lower() for h in header]
    for n in names:
        if n.lower() in low:
            return low.index(n.lower())
    return None


def _member(token: str, prefecture: str) -> tuple[str | None, str | None]:
    """A member given as a code (either form) or a name within the insurer's prefecture."""
    reg = get_registry()
    tok = code_text(token)
    if tok.isdigit():
        try:
            m, _ = reg.resolve_municipality(tok)
        except CodeError as exc:
            return None, str(exc)
        return m.code, None
    matches = [m.code for m in reg.in_prefecture(prefecture) if tok in (m.name, m.full_name)]
    if len(matches) == 1:
        return matches[0], None
    pref = reg.prefecture(prefecture)
    return None, f"構成市町村 {tok!r} が{pref.name if pref else '同じ都道府県'}に見つかりません"


def parse_insurer_list(
    filename: str, data: bytes, *, source: str
) -> tuple[dict[str, Listed], list[dict[str, Any]]]:
    """The insurer list of a file (rows: 保険者番号, 保険者名, 構成市町村 — members as codes or
    names separated by 、 or , — or one row per member), and every problem by line."""
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [text(h) for h in table[0]]
    ni, na, me = _find(header, NUMBER_H), _find(header, NAME_H), _find(header, MEMBERS_H)
    if ni is None or na is None:
        raise Invalid(
            "1行目に「保険者番号」と「保険者名」の列が必要です (構成市町村は任意)",
            errors=[{"loc": ["line", 1], "msg": f"列: {', '.join(header)}"}],
        )
    reg = get_registry()
    errors: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    first_line: dict[str, int] = {}
    member_line: dict[str, tuple[str, int]] = {}
    for line, row in enumerate(table[1:], start=2):
        if blank_row(row):
            continue
        row = list(row) + [None] * len(header)
        number, name = code_text(row[ni]), text(row[na])

        def err(col: int, msg: str, line: int = line) -> None:
            errors.append({"loc": ["line", line, "column", header[col]], "msg": msg})

        if not (len(number) == 6 and number.isdigit()):
            err(ni, f"保険者番号は6桁の数字です: {number!r}")
            continue
        good = insurer_check_digit(number[:5])
        if good != int(number[5]):
            err(
                ni,
                f"保険者番号 {number} の検査数字が正しくありません (正しくは {number[:5]}{good})",
            )
            continue
        if not name:
            err(na, "保険者名を入力してください")
            continue
        if number in names and names[number] != name:
            err(na, f"保険者番号 {number} の名称が {first_line[number]}行目と異なります")
            continue
        names[number] = name
        first_line.setdefault(number, line)
        tokens = [t for t in SPLIT.split(text(row[me]))] if me is not None else []
        for tok in (t for t in tokens if t):
            code, msg = _member(tok, number[:2])
            if msg:
                err(me, msg)  # type: ignore[arg-type]
                continue
            assert code is not None
            seen = member_line.get(code)
            if seen is not None and seen[0] != number:
                err(
                    me,  # type: ignore[arg-type]
                    f"{reg.municipalities[code].full_name} は {seen[1]}行目の保険者 {seen[0]} にも"
                    "含まれています (区市町村は1つの保険者にだけ属します)",
                )
                continue
            member_line[code] = (number, line)
            if code not in members[number]:
                members[number].append(code)
    out: dict[str, Listed] = {}
    for number, name in names.items():
        mem = members.get(number, [])
        line = first_line[number]
        if not mem:
            own = reg.by_insurer_number.get(number)
            if own is None:
                errors.append(
                    {
                        "loc": [
                            "line",
                            line,
                            "column",
                            header[me] if me is not None else "構成市町村",
                        ],
                        "msg": f"保険者 {number} ({name}) の構成市町村を入力してください",
                    }
                )
                continue
            mem = [own]
        kind = "union" if len(mem) > 1 or any(w in name for w in UNION_WORDS) else "municipality"
        same = reg.municipalities.get(number)
        if same is not None and mem != [same.code]:
            errors.append(
                {
                    "loc": ["line", line, "column", header[ni]],
                    "msg": f"保険者番号 {number} は {same.full_name} の地方公共団体コードと同じで"
                    "区別できません",
                }
            )
            continue
        derived_of = reg.by_insurer_number.get(number)
        if derived_of is not None and derived_of not in mem and derived_of not in member_line:
            errors.append(
                {
                    "loc": ["line", line, "column", header[ni]],
                    "msg": f"保険者番号 {number} は {reg.municipalities[derived_of].full_name} の"
                    "番号から導かれる保険者番号と同じです。その区市町村の保険者番号も一覧に"
                    "入れてください",
                }
            )
            continue
        out[number] = Listed(number, name, kind, tuple(sorted(mem)), source)
    return out, errors


async def import_insurer_list(
    session: AsyncSession,
    filename: str,
    data: bytes,
    *,
    actor: Actor,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Replace the loaded insurer list with a file's (all or nothing; ``dry_run`` previews)."""
    listed, errors = parse_insurer_list(filename, data, source=filename or "保険者一覧")
    if errors and not dry_run:
        lines = sorted({e["loc"][1] for e in errors})
        raise Invalid(
            f"{len(lines)}行に誤りがあります (行 {', '.join(map(str, lines[:20]))}"
            f"{' …' if len(lines) > 20 else ''})。何も書き込んでいません",
            errors=errors,
        )
    preview = Directory(
        listed=listed,
        member_of={m: n for n, i in listed.items() for m in i.members},
    )
    out = {
        "dry_run": dry_run,
        "written": 0 if dry_run else len(listed),
        "problems": errors,
        **summary(preview),
    }
    if dry_run:
        return out
    conn = await session.connection()
    await conn.execute(delete(InsurerMember))  # type: ignore[arg-type]
    await conn.execute(delete(Insurer))  # type: ignore[arg-type]
    for ins in listed.values():
        row = Insurer(number=ins.number, name=ins.name, kind=ins.kind, source=ins.source)
        stamp_created(row, actor)
        session.add(row)
    await session.flush()
    session.add_all(
        InsurerMember(municipality_code=m, insurer_number=ins.number)
        for ins in listed.values()
        for m in ins.members
    )
    await session.flush()
    # Results name insurers by this list (insurer numbers, 広域連合 in scope, the national
    # mean's coverage): a new write generation so no cached result answer outlives it.
    from services.indicators.results.readmodels import bump

    await session.run_sync(lambda s: bump(s.connection()))
    return out
