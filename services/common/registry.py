"""The municipality registry: 47 prefectures and 1,741 municipalities, read-only, loaded once.

Source: the ``japancode`` package's data (its codes for prefectures 01–09 lost their leading
zero, and it also lists the wards of designated cities, which are not insurers), enriched
for the home prefecture from a CSV kept in this package (region class, island, secondary
health-care area, default peer type).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

DATA_DIR = Path(__file__).parent / "data"

REGION_CLASSES = ("区部", "市部", "町村部")
PEER_TYPES = ("大都市型", "都市型", "離島・中山間型")


def check_digit(first5: str) -> int:
    """Check digit of a local government code: s = 6·d1+5·d2+4·d3+3·d4+2·d5."""
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), first5, strict=True))
    return (11 - s % 11) % 10


def insurer_check_digit(first5: str) -> int:
    """Check digit of a 介護保険 保険者番号 (insurer number): the five digits weighted 2, 1, 2,
    1, 2 from the left, the digits of each product added (12 → 1 + 2), and the check digit is
    (10 − sum mod 10) mod 10. 千代田区: 13101 → 1 (131011); 小野町: 07522 → 6 (075226)."""
    s = 0
    for w, d in zip((2, 1, 2, 1, 2), first5, strict=True):
        p = w * int(d)
        s += p // 10 + p % 10
    return (10 - s % 10) % 10


def insurer_number_of(municipality_code: str) -> str:
    """The insurer number derived from a municipality's local government code: the same first
    five digits with the insurer check digit. (A loaded insurer list may say otherwise.)"""
    first5 = municipality_code[:5]
    return f"{first5}{insurer_check_digit(first5)}"


def is_insurer_number_form(code: str) -> bool:
    """Six digits whose last is the insurer check digit of the first five."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isdigit()
        and insurer_check_digit(code[:5]) == int(code[5])
    )


def is_municipality_code_form(code: str) -> bool:
    """Six digits whose last is the local government check digit of the first five."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isdigit()
        and check_digit(code[:5]) == int(code[5])
    )


class CodeError(ValueError):
    """A code that is malformed, has a wrong check digit, or is not in the registry."""


def validate_code_format(code: str) -> str:
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        raise CodeError(f"地方公共団体コードは6桁の数字です: {code!r}")
    if check_digit(code[:5]) != int(code[5]):
        raise CodeError(
            f"地方公共団体コード {code} の検査数字が正しくありません"
            f" (正しくは {code[:5]}{check_digit(code[:5])})"
        )
    return code


@dataclass(frozen=True, slots=True)
class Prefecture:
    code: str  # 6 digits, e.g. 130001
    number: str  # 2 digits, e.g. 13
    name: str
    kana: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # 6 digits with check digit
    prefecture: str  # 2 digits
    prefecture_name: str
    name: str
    kana: str
    kind: str  # 特別区 / 市 / 町 / 村
    # Filled for the home prefecture from the project's CSV; None elsewhere.
    region_class: str | None = None
    island: bool = False
    medical_area: str | None = None
    peer_type: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.prefecture_name}{self.name}"


def _kind_of(name: str, code: str) -> str:
    if code.startswith("131"):
        return "特別区"
    for suffix in ("市", "町", "村"):
        if name.endswith(suffix):
            return suffix
    return "その他"


@dataclass
class Registry:
    home_prefecture: str
    prefectures: dict[str, Prefecture] = field(default_factory=dict)  # by 6-digit code
    municipalities: dict[str, Municipality] = field(default_factory=dict)  # by code
    areas: tuple[str, ...] = ()  # the home prefecture's areas, in CSV order
    # Derived insurer number → municipality code (every municipality as its own insurer).
    by_insurer_number: dict[str, str] = field(default_factory=dict)

    def prefecture(self, number: str) -> Prefecture | None:
        for p in self.prefectures.values():
            if p.number == number:
                return p
        return None

    def get(self, code: str) -> Municipality | None:
        return self.municipalities.get(code)

    def require(self, code: str) -> Municipality:
        """The municipality with this code, or CodeError saying what is wrong."""
        validate_code_format(code)
        m = self.municipalities.get(code)
        if m is None:
            raise CodeError(f"地方公共団体コード {code} の区市町村は登録されていません")
        return m

    def require_entity(self, code: str) -> Municipality | Prefecture:
        """A municipality or a prefecture (codes such as 130001)."""
        validate_code_format(code)
        if code in self.prefectures:
            return self.prefectures[code]
        return self.require(code)

    def insurer_number(self, code: str) -> str | None:
        """The derived insurer number of a registered municipality (None otherwise)."""
        return insurer_number_of(code) if code in self.municipalities else None

    def resolve_municipality(self, code: str) -> tuple[Municipality, str]:
        """The municipality a 6-digit code names, in either form, and which form it was
        (``"municipality"`` or ``"insurer"``); CodeError saying what is wrong otherwise.

        Both forms share the first five digits and differ only in the check digit, so a
        string valid under both rules names the same municipality either way. Order: a
        registered municipality code first, then a derived insurer number. (A loaded insurer
        list that says otherwise is applied by the indicators service on top of this.)"""
        if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
            raise CodeError(f"団体コードは6桁の数字です: {code!r}")
        m = self.municipalities.get(code)
        if m is not None:
            return m, "municipality"
        via = self.by_insurer_number.get(code)
        if via is not None:
            return self.municipalities[via], "insurer"
        first5 = code[:5]
        local, insurer = check_digit(first5), insurer_check_digit(first5)
        if local != int(code[5]) and insurer != int(code[5]):
            raise CodeError(
                f"{code} は地方公共団体コードとしても保険者番号としても検査数字が正しくありません"
                f" (地方公共団体コードなら {first5}{local}、保険者番号なら {first5}{insurer})"
            )
        raise CodeError(f"{code} の区市町村・保険者は登録されていません")

    def in_prefecture(self, number: str) -> list[Municipality]:
        return [m for m in self.municipalities.values() if m.prefecture == number]

    def home(self) -> list[Municipality]:
        return self.in_prefecture(self.home_prefecture)


def _load_japancode() -> tuple[dict[str, Prefecture], list[dict[str, str]]]:
    base = resources.files("japancode") / "data"
    prefs_raw = json.loads((base / "prefectures.json").read_text(encoding="utf-8"))
    munis_raw = json.loads((base / "municipalities.json").read_text(encoding="utf-8"))
    prefectures: dict[str, Prefecture] = {}
    for p in prefs_raw:
        code = str(p["lgcode"]).zfill(6)
        prefectures[code] = Prefecture(
            code=code,
            number=code[:2],
            name=p["pref"],
            kana=p.get("prefkana", ""),
            name_en=p.get("pref_en", ""),
        )
    return prefectures, munis_raw


def load_registry(home_prefecture: str = "13") -> Registry:
    prefectures, munis_raw = _load_japancode()
    pref_names = {p.number: p.name for p in prefectures.values()}
    reg = Registry(home_prefecture=home_prefecture, prefectures=prefectures)
    for m in munis_raw:
        # Wards of designated cities ("札幌市 中央区") are administrative districts, not insurers.
        if " " in m["city"]:
            continue
        code = str(m["lgcode"]).zfill(6)
        validate_code_format(code)
        reg.municipalities[code] = Municipality(
            code=code,
            prefecture=code[:2],
            prefecture_name=pref_names[code[:2]],
            name=m["city"],
            kana=m.get("citykana", ""),
            kind=_kind_of(m["city"], code),
        )
    reg.by_insurer_number = {insurer_number_of(c): c for c in reg.municipalities}
    home_csv = DATA_DIR / f"municipalities_{home_prefecture}.csv"
    if home_prefecture == "13":
        home_csv = DATA_DIR / "tokyo_municipalities.csv"
    if home_csv.exists():
        areas: list[str] = []
        with home_csv.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                code = validate_code_format(row["code"])
                base = reg.municipalities.get(code)
                if base is None:
                    raise CodeError(f"{home_csv.name}: {code} は全国の一覧にありません")
                reg.municipalities[code] = Municipality(
                    code=code,
                    prefecture=base.prefecture,
                    prefecture_name=base.prefecture_name,
                    name=row["name"] or base.name,
                    kana=base.kana,
                    kind=row.get("kind") or base.kind,
                    region_class=row["region_class"],
                    island=row.get("island", "0") == "1",
                    medical_area=row.get("medical_area") or None,
                    peer_type=row.get("peer_type_default") or None,
                )
                if row.get("medical_area") and row["medical_area"] not in areas:
                    areas.append(row["medical_area"])
        reg.areas = tuple(areas)
    return reg


@cache
def get_registry(home_prefecture: str = "13") -> Registry:
    """The registry, loaded once per process and never changed."""
    return load_registry(home_prefecture)


def _valid_municipality(code: str) -> str:
    get_registry().require(code)
    return code


# Field type: a wrong check digit or an unknown code is a 422 wherever it is accepted.
MunicipalityCode = Annotated[str, AfterValidator(_valid_municipality)]
