"""Which municipality a code in a regional figure names: a local government code (団体コード)
or a long-term-care insurer number (介護保険 保険者番号), as the sources write them.

The ministry publishes 見える化 and 介護保険事業状況報告 figures per insurer. For a municipality
the insurer number keeps the first five digits of the local government code and has its own
check digit (weights 2,1,2,1,2; add the digits of each product; check = (10 − sum mod 10) mod
10): 千代田区 131016 → 131011. The check digit is the kernel registry's (services/common/registry.py).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from services.common.registry import (
    Municipality,
    check_digit,
    get_registry,
    insurer_check_digit,
    insurer_number_of,
)


def insurer_number(code: str) -> str:
    """The insurer number of a municipality: 131016 → 131011 (the kernel's derivation)."""
    return insurer_number_of(code)


def _clean(raw: Any) -> str:
    if isinstance(raw, str) and len(raw) == 6 and raw.isascii() and raw.isdigit():
        return raw  # the common case, without normalising
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a spreadsheet cell holding 131016.0
    return unicodedata.normalize("NFKC", str(raw)).strip().replace("-", "")


def _by_six(code: str) -> tuple[Municipality | None, str | None]:
    """A six-digit code read as a local government code or an insurer number."""
    reg = get_registry()
    first5, last = code[:5], int(code[5])
    lg = f"{first5}{check_digit(first5)}"
    m = reg.get(lg)
    if last == check_digit(first5):
        if m is None:
            if code in reg.prefectures or first5.endswith("000"):
                return None, f"{code} は都道府県のコードです。区市町村の値を指定してください"
            return None, f"地方公共団体コード {code} の区市町村は登録されていません"
        return m, None
    if last == insurer_check_digit(first5):
        if m is None:
            if first5.endswith("000"):
                return None, f"{code} は都道府県の番号です。区市町村の値を指定してください"
            return None, (
                f"保険者番号 {code} に対応する区市町村がありません "
                "(広域連合・一部事務組合の保険者番号は区市町村の値として取り込めません)"
            )
        return m, None
    return None, (
        f"{code} は地方公共団体コードとしても保険者番号としても検査数字が正しくありません "
        f"(地方公共団体コードなら {lg}、保険者番号なら {insurer_number(lg)})"
    )


def resolve_entity(raw: Any) -> tuple[Municipality | None, str | None]:
    """The municipality a code names, or the reason it names none (Japanese, for the user).

    Accepted: a 6-digit local government code (131016), the municipality's 6-digit insurer
    number (131011), a 5-digit code without check digit (13101, as many statistics print
    it) and a 6-digit code whose leading zero a spreadsheet dropped (11002 for 011002)."""
    return _resolve(_clean(raw))


@lru_cache(maxsize=8192)
def _resolve(code: str) -> tuple[Municipality | None, str | None]:
    # Memoised: a bulk write names each municipality once per measure (the registry never
    # changes within a process).
    if not code:
        return None, "団体コード (または保険者番号) がありません"
    if not code.isdigit() or len(code) not in (5, 6):
        return None, f"団体コード・保険者番号は6桁の数字です: {code!r}"
    if len(code) == 6:
        return _by_six(code)
    # Five digits: either the code without its check digit, or a code that lost its leading
    # zero. Both readings are tried; exactly one must name a municipality.
    reg = get_registry()
    candidates: dict[str, Municipality] = {}
    no_check = reg.get(f"{code}{check_digit(code)}")
    if no_check is not None:
        candidates[no_check.code] = no_check
    padded = "0" + code
    if check_digit(padded[:5]) == int(padded[5]) or insurer_check_digit(padded[:5]) == int(
        padded[5]
    ):
        m, _ = _by_six(padded)
        if m is not None:
            candidates[m.code] = m
    if len(candidates) == 1:
        return next(iter(candidates.values())), None
    if not candidates:
        return None, f"5桁のコード {code} に対応する区市町村がありません"
    names = "、".join(f"{m.code} {m.full_name}" for m in candidates.values())
    return None, f"5桁のコード {code} は複数の区市町村に読めます ({names})。6桁で指定してください"
