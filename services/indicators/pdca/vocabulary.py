"""The PDCA vocabularies kept as data (pdca/data/*.json): item themes, and the metric sources
an item may name (each training kind must be one the training service knows)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
_YEARS = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def themes() -> list[dict[str, str]]:
    return list(_load("themes.json")["themes"])


def theme_names() -> dict[str, str]:
    return {t["code"]: t["name"] for t in themes()}


def metric_vocabulary() -> dict[str, Any]:
    return _load("metric_sources.json")


def training_kinds() -> list[str]:
    return list(metric_vocabulary()["training_kinds"])


def check_theme(code: str | None) -> str | None:
    """An error message, or None when the theme is empty or known."""
    if code is None or code == "":
        return None
    names = theme_names()
    if code in names:
        return None
    listed = "、".join(f"{c} ({n})" for c, n in names.items())
    return f"テーマ {code!r} は語彙にありません。次のいずれかを指定してください: {listed}"


def check_metric_source(source: str | None) -> str | None:
    """An error message, or None when ``source`` is empty or names a known kind and years:
    '<head>:<argument>:<fy>[-<fy>]' (a training head names a training kind)."""
    if source is None or source == "":
        return None
    vocab = metric_vocabulary()
    heads = {h["code"]: h for h in vocab["heads"]}
    head, sep, rest = source.partition(":")
    arg, sep2, years = rest.rpartition(":")
    if not sep or not sep2:
        return f"実績の出典キー {source!r} は「{vocab['format']}」の形で指定してください"
    if head not in heads:
        return f"実績の出典キーの種類 {head!r} は語彙にありません (使える種類: {', '.join(heads)})"
    m = _YEARS.match(years)
    if m is None:
        return f"実績の出典キー {source!r} の年度は 2019 または 2018-2020 の形で指定してください"
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first or last - first >= vocab["max_years"]:
        return f"実績の出典キー {source!r} の年度の範囲が正しくありません"
    kind = heads[head]["argument"]
    if kind == "training_kind" and arg not in vocab["training_kinds"]:
        return (
            f"実績の出典キー {source!r} の研修の種類 {arg!r} は研修サービスにありません "
            f"(研修の種類: {'、'.join(vocab['training_kinds'])})"
        )
    if kind == "none" and arg:
        return f"実績の出典キー {source!r} の種類 {head} は引数をとりません ({head}::{years})"
    return None
