"""The import wizard: one flow for every file the services take (item tables, published
results, insurer lists, first-insured counts, regional values).

1. upload: the file is kept in the gateway's database (``gateway.uploads``: why there);
2. column mapping: each header column of the file, with a few sample values, mapped to a
   target field with a select, pre-filled from the saved mapping or by the header names;
3. preview: the service's dry run: counts, and every problem with its row and column;
   nothing is written;
4. commit: the service writes all or nothing; the result says what was written, or the
   service's refusal is shown with the mapping kept.

Services that take a mapping are sent it (``mode="service"``); those that find their columns
by name get the file with the chosen columns renamed to the names they know
(``mode="rename"``), and their problems are told back under the file's own column names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from gateway.actions import WRITE_REFUSALS, attempt
from gateway.clients.base import ServiceRejected
from gateway.clients.indicators import FileUpload
from gateway.uploads import (
    MAX_UPLOAD,
    ImportUpload,
    Unreadable,
    discard,
    head,
    load,
    remember,
    store,
    with_header,
)
from gateway.views.context import ViewContext
from gateway.views.vocabulary import GRANT_NAMES
from services.common import clock
from services.common.access import is_staff
from services.common.actor import Actor, Role
from services.common.errors import Forbidden, Invalid, NotFound

STEP_NAMES = ("ファイルを選ぶ", "列の対応", "内容の確認", "取込の結果")
IGNORE = ""
IGNORE_LABEL = "取り込まない"
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt")


@dataclass(frozen=True)
class Target:
    """A field of the service's import, and the header names that mean it."""

    key: str
    label: str
    names: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    what: str  # what one written row is (評価指標, 保険者 …)
    target: str  # "framework" | "fiscal_year" | "optional_year" | "none"
    mode: str  # "service" | "rename" | "published" | "regional"
    explain: str
    fields: tuple[Target, ...] = ()
    extras: tuple[tuple[str, str, str], ...] = ()  # (name, label, hint) kept with the target
    municipal: bool = False  # municipality staff may import (their own rows)
    back: str = "indicators_index"
    back_label: str = "評価指標"


ITEM_FIELDS = (
    Target(
        "category", "区分コード", ("区分コード", "区分", "category", "category_code", "分野"), True
    ),
    Target("code", "指標コード", ("指標コード", "指標番号", "code", "item_code", "番号"), True),
    Target("text", "評価指標 (文言)", ("評価指標", "指標", "text", "内容", "指標の内容"), True),
    Target("max_points", "満点", ("満点", "配点", "max_points", "点数"), True),
    Target("min_points", "最低点 (減点)", ("最低点", "減点", "min_points")),
    Target("alternatives", "選択肢グループ", ("選択肢グループ", "選択肢", "alternatives")),
    Target("shared", "両交付金共通", ("両交付金共通", "共通", "shared")),
    Target("note", "備考", ("備考", "note")),
    Target("national_average", "全国平均", ("全国平均", "平均", "national_average", "平均点")),
    Target("national_rate", "全国達成率", ("全国達成率", "達成率", "national_rate", "該当率")),
    Target("provisional", "配点暫定", ("配点暫定", "暫定", "provisional")),
)
# For "rename" kinds the key is the header name the service looks for.
INSURER_FIELDS = (
    Target("保険者番号", "保険者番号", ("保険者番号", "insurer_number", "番号"), True),
    Target("保険者名", "保険者名", ("保険者名", "name", "名称"), True),
    Target(
        "構成市町村",
        "構成市町村 (コードまたは名称、「、」区切り)",
        ("構成市町村", "members", "構成市町村コード", "構成団体", "構成市町村名"),
    ),
)
FIRST_INSURED_FIELDS = (
    Target(
        "保険者番号",
        "保険者番号 または 団体コード",
        (
            "保険者番号",
            "団体コード",
            "地方公共団体コード",
            "entity_code",
            "insurer_number",
            "コード",
        ),
        True,
    ),
    Target(
        "第1号被保険者数",
        "第1号被保険者数",
        ("第1号被保険者数", "第１号被保険者数", "first_insured", "persons", "被保険者数"),
        True,
    ),
)
ENTITY_NAMES = (
    "保険者番号",
    "団体コード",
    "地方公共団体コード",
    "保険者コード",
    "insurer_number",
    "entity_code",
    "コード",
)
TOTAL_NAMES = ("総合得点", "合計", "合計点", "総得点", "total")
META_NAMES = ("保険者名", "名称", "団体名", "市町村名", "区市町村名", "都道府県", "都道府県名")

KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "items",
            "評価指標の一覧の取込",
            "評価指標",
            "framework",
            "service",
            "厚生労働省が公表した評価指標の一覧 (区分・指標コード・評価指標・満点 …) を体系に取り込みます。"
            "ファイルに出てくる区分の評価指標は、ファイルの内容で置き換わります。",
            fields=ITEM_FIELDS,
            back="indicators_framework",
            back_label="体系",
        ),
        Kind(
            "published",
            "公表された保険者別の結果の取込",
            "得点",
            "framework",
            "published",
            "保険者ごとに1行、指標 (または区分) ごとに1列の公表結果を取り込みます。"
            "保険者番号でも団体コードでも構いません。列の対応は交付金・区分・交付年度ごとに保存され、次回の取込で使われます。",
            back="indicators_framework",
            back_label="体系",
        ),
        Kind(
            "insurers",
            "保険者一覧の取込",
            "保険者",
            "none",
            "rename",
            "保険者番号・保険者名・構成市町村の一覧 (広域連合・一部事務組合を含む) を取り込みます。"
            "読み込み済みの一覧はファイルの内容で置き換わります。",
            fields=INSURER_FIELDS,
        ),
        Kind(
            "first-insured",
            "第1号被保険者数の取込",
            "保険者",
            "fiscal_year",
            "rename",
            "介護保険事業状況報告の第1号被保険者数を、保険者番号 (または団体コード) ごとに取り込みます。"
            "ファイルにない保険者の数はそのまま残ります。",
            fields=FIRST_INSURED_FIELDS,
            extras=(("as_of", "基準日", "例: 令和5年9月末"),),
        ),
        Kind(
            "regional",
            "地域分析の値の取込",
            "値",
            "optional_year",
            "regional",
            "見える化システムや介護保険事業状況報告から書き出した表 (区市町村ごとの行、指標ごとの列) を取り込みます。",
            extras=(("source", "出典", "資料名・取得日 (例: 見える化システム 2026-11-30取得)"),),
            back="regional_measure",
            back_label="地域分析",
        ),
    )
}
CENTRE_FIELDS = (
    Target(
        "区市町村コード",
        "区市町村コード",
        ("区市町村コード", "municipality_code", "市町村コード", "団体コード"),
        True,
    ),
    Target("センター名", "センター名", ("センター名", "name", "centre_name", "名称"), True),
    Target("年度", "年度", ("年度", "fiscal_year"), True),
    Target("設置形態", "設置形態 (直営・委託)", ("設置形態", "operation", "直営・委託"), True),
    Target("運営法人", "運営法人", ("運営法人", "operator", "委託先")),
    Target("担当圏域", "担当圏域", ("担当圏域", "area_served", "担当地区")),
    Target("備考", "備考", ("備考", "note")),
)
CATALOGUE_FIELDS = (
    Target("対象", "対象 (センター・区市町村)", ("対象", "subject"), True),
    Target("業務分野コード", "業務分野コード", ("業務分野コード", "area_code")),
    Target("業務分野", "業務分野", ("業務分野", "area", "area_name")),
    Target("項目コード", "項目コード", ("項目コード", "code", "item_code", "項目番号"), True),
    Target("評価項目", "評価項目", ("評価項目", "text", "項目", "評価指標"), True),
    Target("備考", "備考", ("備考", "note")),
)
ANSWER_FIELDS = (
    Target(
        "区市町村コード",
        "区市町村コード",
        ("区市町村コード", "municipality_code", "市町村コード", "団体コード"),
        True,
    ),
    Target("センターID", "センターID", ("センターid", "centre_id", "センター番号")),
    Target("センター名", "センター名", ("センター名", "centre_name", "センター名称")),
    Target("対象", "対象", ("対象", "subject")),
    Target("項目コード", "項目コード (縦持ち)", ("項目コード", "item_code", "項目番号")),
    Target("結果", "結果 ○/× (縦持ち)", ("結果", "met", "評価", "回答")),
    Target("備考", "備考", ("備考", "note", "メモ")),
)
CENTRE_KINDS = (
    Kind(
        "centres",
        "地域包括支援センター登録簿の取込",
        "年度の行",
        "none",
        "rename",
        "センター × 年度の行 (区市町村コード・センター名・年度・設置形態・運営法人・担当圏域、職種ごとの人数の列) を取り込みます。"
        "ないセンターは作られ、その年度の内容は置き換わります。職種の列は見出しの名前のまま読みます。",
        fields=CENTRE_FIELDS,
        back="centres_index",
        back_label="包括支援センター",
    ),
    Kind(
        "centre-items",
        "センター評価項目の取込",
        "評価項目",
        "fiscal_year",
        "rename",
        "その年度の評価指標 (対象・業務分野・項目コード・評価項目) を取り込みます。年度の評価項目はファイルの内容で置き換わります。",
        fields=CATALOGUE_FIELDS,
        extras=(
            ("name", "評価項目の名称", "例: 地域包括支援センターの評価指標 (令和7年度)"),
            ("source_document", "出典の資料名", "例: 厚生労働省 老健局 通知"),
            ("source_date", "出典の日付", "例: 2025-04-01"),
            ("source_page", "出典のページ", ""),
        ),
        back="centres_index",
        back_label="包括支援センター",
    ),
    Kind(
        "centre-answers",
        "センター評価の回答の取込",
        "回答",
        "fiscal_year",
        "rename",
        "評価調査の回答表 (縦持ち: 区市町村コード・センター・項目コード・結果、または横持ち: 項目コードごとの列) を取り込みます。"
        "区市町村の職員は自分の区市町村の行だけ取り込めます。項目コードの列は見出しの名前のまま読みます。",
        fields=ANSWER_FIELDS,
        municipal=True,
        back="centres_index",
        back_label="包括支援センター",
    ),
)
KINDS |= {k.key: k for k in CENTRE_KINDS}
ALLOCATION_FIELDS = (
    Target(
        "保険者番号",
        "保険者番号 または 団体コード",
        (
            "保険者番号",
            "団体コード",
            "地方公共団体コード",
            "保険者コード",
            "entity_code",
            "insurer_number",
            "コード",
        ),
        True,
    ),
    Target(
        "第1号被保険者数",
        "第1号被保険者数",
        ("第1号被保険者数", "第１号被保険者数", "first_insured"),
        True,
    ),
    Target("所要見込額", "所要見込額 (円)", ("所要見込額", "所要見込額(円)", "requested"), True),
)
KINDS["allocation-inputs"] = Kind(
    "allocation-inputs",
    "配分の入力の取込",
    "保険者",
    "framework",
    "rename",
    "配分シミュレーションの入力 (保険者ごとの第1号被保険者数と所要見込額) を、体系の交付金・交付年度について取り込みます。",
    fields=ALLOCATION_FIELDS,
    back="indicators_allocation",
    back_label="配分シミュレーション",
)
PREVIEW_COUNTS: dict[str, tuple[tuple[str, str], ...]] = {
    "items": (("rows", "データ行"), ("items", "評価指標")),
    "published": (
        ("rows", "データ行"),
        ("matched_insurers", "対応した保険者"),
        ("cells", "書き込む得点"),
    ),
    "insurers": (
        ("listed", "保険者 (一覧)"),
        ("unions", "広域連合・一部事務組合"),
        ("insurers", "保険者の総数"),
    ),
    "first-insured": (("rows", "保険者"), ("persons", "第1号被保険者数の合計")),
    "regional": (("rows", "データ行"), ("values", "書き込む値")),
    "centres": (("centres_created", "新しいセンター"), ("years_written", "書き込む年度の行")),
    "allocation-inputs": (("rows", "保険者"),),
    "centre-items": (("items", "評価項目"), ("areas", "業務分野")),
    "centre-answers": (
        ("answers", "回答"),
        ("centres", "センター"),
        ("municipalities", "区市町村 (自身の評価)"),
    ),
}


# What the service's answer names the rows written (default: ``written``).
WRITTEN = {"centres": "years_written", "centre-answers": "answers", "centre-items": "items"}


def written_of(kind: Kind, answer: dict[str, Any]) -> int:
    value = answer.get(WRITTEN.get(kind.key, "written"))
    return len(value) if isinstance(value, list) else int(value or 0)


# --- who may import ------------------------------------------------------------------------


def kind_of(key: str) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise NotFound(f"取込「{key}」はありません")
    return kind


def may_import(actor: Actor, kind: Kind | None = None) -> bool:
    """Coordinators and admins import; municipality staff only where the service lets them
    write their own rows (the centres' evaluation answers). ``kind`` None: any import."""
    if is_staff(actor):
        return True
    return actor.role == Role.municipality and (kind is None or kind.municipal)


def check_role(actor: Actor, kind: Kind | None = None) -> None:
    if not may_import(actor, kind):
        raise Forbidden("ファイルの取込は支援担当・管理者だけが行えます")


# --- step 1: upload -------------------------------------------------------------------------


@dataclass
class Step:
    """What a wizard page shows (the template's context)."""

    kind: Kind
    target: dict[str, Any]
    step: int
    upload: ImportUpload | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    preview: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    message: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    form: dict[str, Any] = field(default_factory=dict)

    def context(self) -> dict[str, Any]:
        return {"w": self, "kind": self.kind, "current": "imports", "steps": STEP_NAMES}

    @property
    def query(self) -> str:
        """The target as the start page's query (to choose another file)."""
        keep = {k: v for k, v in self.target.items() if k != "label" and v not in (None, "")}
        return urlencode(keep)

    @property
    def back_params(self) -> dict[str, Any]:
        """Path parameters of the page where the imported data is shown."""
        if self.kind.target == "framework":
            return {"framework_id": self.target["framework_id"]}
        return {}


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


async def _target(ctx: ViewContext, kind: Kind, raw: dict[str, Any]) -> dict[str, Any]:
    """The import's target (a framework, a fiscal year) and its extras, checked."""
    target: dict[str, Any] = {}
    if kind.target == "framework":
        fid = _int(raw.get("framework_id"))
        if fid is None:
            raise Invalid("取り込む先の体系 (framework_id) を指定してください")
        fw = await ctx.clients.indicators.framework(fid, actor=ctx.actor)
        target["framework_id"] = fid
        target["grant"], target["grant_fy"] = fw.get("grant"), fw.get("grant_fy")
        grant = GRANT_NAMES.get(fw.get("grant"), fw.get("grant"))
        target["label"] = f"{fw.get('name')} ({grant}・{fw.get('grant_fy')}年度)"
    elif kind.target in ("fiscal_year", "optional_year"):
        fy = _int(raw.get("fiscal_year"))
        if fy is None and kind.target == "fiscal_year":
            fy = clock.current_fiscal_year()
        if fy is not None and not 2000 <= fy <= 2100:
            raise Invalid(f"年度 {fy} は 2000〜2100 の範囲で指定してください")
        target["fiscal_year"] = fy
        target["label"] = f"{fy}年度" if fy else "年度は列から"
    for name, _, _ in kind.extras:
        target[name] = str(raw.get(name) or "").strip()[:300]
    return target


async def start(ctx: ViewContext, key: str, raw: dict[str, Any]) -> Step:
    kind = kind_of(key)
    check_role(ctx.actor, kind)
    return Step(kind=kind, target=await _target(ctx, kind, raw), step=1)


async def upload(ctx: ViewContext, db: Any, key: str, form: Any) -> Step:
    """Keep the file (checked readable: its header is needed for step 2); a Step with
    ``upload`` set on success, else the form again with what to fix."""
    step = await start(ctx, key, dict(form))
    file = form.get("file")
    if file is None or isinstance(file, str) or not getattr(file, "filename", ""):
        return _refuse(step, "取り込むファイルを選んでください (CSV または Excel の XLSX)。")
    if not file.filename.lower().endswith(ALLOWED_SUFFIXES):
        return _refuse(step, "CSV または Excel (XLSX) のファイルを選んでください。", 415)
    content = await file.read()
    if not content:
        return _refuse(step, "ファイルが空です。")
    if len(content) > MAX_UPLOAD:
        return _refuse(step, f"ファイルが大きすぎます ({MAX_UPLOAD // 1024 // 1024}MBまで)。", 413)
    try:
        head(file.filename, content)
    except Unreadable as exc:
        return _refuse(step, f"{file.filename}: {exc}")
    async with db.session(write=True) as s:
        step.upload = await store(
            s,
            owner=ctx.actor.id,
            kind=step.kind.key,
            target=step.target,
            file_name=file.filename,
            content_type=getattr(file, "content_type", "") or "",
            content=content,
        )
        await s.commit()
    if step.kind.mode == "regional":
        refused = await _regional_start(ctx, db, step.upload)
        if refused is not None:
            async with db.session(write=True) as s:
                fresh = await load(s, step.upload.id, ctx.actor.id)
                if fresh is not None:
                    await discard(s, fresh)
                    await s.commit()
            step.upload = None
            step.problems = refused[2]
            return _refuse(step, refused[0], refused[1])
    return step


def shown_status(step: Step, headers: Any) -> int:
    """The page's status: a refusal is a 4xx for a plain form post; htmx (the boosted form)
    swaps only 2xx answers, so it gets 200 and the page saying what to fix."""
    return 200 if headers.get("HX-Request") == "true" else step.status


def _refuse(step: Step, text: str, status: int = 422) -> Step:
    step.message, step.status = text, status
    return step


# --- step 2: mapping ------------------------------------------------------------------------


async def _load(ctx: ViewContext, db: Any, upload_id: str) -> tuple[Kind, ImportUpload]:
    """The actor's own upload (a role that may import nothing: 403; none found: 404)."""
    check_role(ctx.actor)
    async with db.session() as s:
        row = await load(s, upload_id, ctx.actor.id)
    if row is None:
        raise NotFound(
            "この取込は見つかりません (期限の2時間を過ぎたか、取込が済んでいます)。"
            "もう一度ファイルを選んでください"
        )
    kind = kind_of(row.kind)
    check_role(ctx.actor, kind)
    return kind, row


def _match(header: str, names: tuple[str, ...]) -> bool:
    return header.strip().lower() in {n.lower() for n in names}


async def _framework(ctx: ViewContext, row: ImportUpload) -> dict[str, Any]:
    return await ctx.clients.indicators.framework(row.target["framework_id"], actor=ctx.actor)


def _walk(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in categories:
        out.append(c)
        out.extend(_walk(c.get("categories") or []))
    return out


def published_options(fw: dict[str, Any]) -> list[tuple[str, str]]:
    opts = [("entity", "保険者番号・団体コード"), ("total", "総合得点 (計算と照合)")]
    for c in _walk(fw.get("categories") or []):
        for it in c.get("items") or []:
            if it.get("kind") == "category_total":
                opts.append((f"category:{c['code']}", f"区分 {c['code']} の得点"))
            else:
                opts.append((it["code"], f"{it['code']} {str(it.get('text', ''))[:30]}"))
    return opts


async def _options(ctx: ViewContext, kind: Kind, row: ImportUpload) -> list[tuple[str, str]]:
    if kind.mode == "published":
        return published_options(await _framework(ctx, row))
    if kind.mode == "regional":
        measures = await ctx.clients.indicators.regional_measures(actor=ctx.actor)
        opts = [("entity", "団体コード・保険者番号"), ("name", "名称 (読み飛ばす)")]
        opts += [(f"measure:{m.code}", f"{m.name} ({m.code})") for m in measures]
        opts += [("measure_name", "縦持ち: 指標名"), ("value", "縦持ち: 値"), ("year", "年度")]
        return opts
    return [(f.key, f.label + (" *" if f.required else "")) for f in kind.fields]


def guess(kind: Kind, header: list[str], options: list[tuple[str, str]]) -> list[str]:
    """A first choice per column from the header names."""
    keys = {k for k, _ in options}
    out = []
    for h in header:
        choice = IGNORE
        if kind.mode in ("service", "rename"):
            choice = next((f.key for f in kind.fields if _match(h, f.names)), IGNORE)
        elif kind.mode == "published":
            if _match(h, ENTITY_NAMES):
                choice = "entity"
            elif _match(h, TOTAL_NAMES):
                choice = "total"
            elif h.strip() in keys:
                choice = h.strip()
            elif f"category:{h.strip().removeprefix('区分')}" in keys:
                choice = f"category:{h.strip().removeprefix('区分')}"
        out.append(choice if choice not in out or choice.startswith("measure") else IGNORE)
    return out


def choices_from(kind: Kind, header: list[str], mapping: dict[str, Any]) -> list[str]:
    """The choice per column that a stored mapping means."""
    if kind.mode in ("service", "rename"):
        by_column = {v: k for k, v in mapping.items()}
        return [by_column.get(h, IGNORE) for h in header]
    if kind.mode == "published":
        cols = mapping.get("columns") or {}
        return [
            "entity" if h == mapping.get("entity_column") else (cols.get(h) or IGNORE)
            for h in header
        ]
    return list(mapping.get("choices") or [IGNORE] * len(header))


async def _header(
    ctx: ViewContext, kind: Kind, row: ImportUpload
) -> tuple[list[str], list[list[str]]]:
    if kind.mode == "regional" and row.state.get("headers"):
        # the header the service found (a 見える化 export starts with title lines)
        names = [h["name"] or h["letter"] for h in row.state["headers"]]
        try:
            _, sample = head(
                row.file_name, row.content, header_row=row.state.get("header_row") or 1
            )
        except Unreadable:
            sample = []
        return names, [(r + [""] * len(names))[: len(names)] for r in sample]
    return head(row.file_name, row.content)


async def _prefill(
    ctx: ViewContext,
    kind: Kind,
    row: ImportUpload,
    header: list[str],
    options: list[tuple[str, str]],
) -> tuple[list[str], str]:
    """The choices to show first, and where they come from."""
    if row.mapping:
        return choices_from(kind, header, row.mapping), "この取込で前回選んだ対応"
    if kind.mode == "published":
        saved = await ctx.clients.indicators.published_mapping(
            row.target["framework_id"], actor=ctx.actor
        )
        if saved and saved.get("mapping"):
            return choices_from(kind, header, saved["mapping"]), "保存された列の対応"
    if kind.mode == "regional" and row.state.get("headers"):
        return [
            _regional_choice(h) for h in row.state["headers"]
        ], "サービスが見出しから推測した対応"
    return guess(kind, header, options), "見出しの名前から推測した対応"


def _regional_choice(h: dict[str, Any]) -> str:
    role = h.get("role")
    if role == "measure" and h.get("measure_code"):
        return f"measure:{h['measure_code']}"
    return {
        "entity": "entity",
        "name": "name",
        "measure_name": "measure_name",
        "value": "value",
        "year": "year",
    }.get(role or "", IGNORE)


async def mapping_step(
    ctx: ViewContext, db: Any, upload_id: str, *, choices: list[str] | None = None
) -> Step:
    kind, row = await _load(ctx, db, upload_id)
    options = await _options(ctx, kind, row)
    header, sample = await _header(ctx, kind, row)
    origin = "いま選んだ対応"
    if choices is None:
        choices, origin = await _prefill(ctx, kind, row, header, options)
    columns = [
        {
            "index": i,
            "name": h or f"(見出しなし {i + 1}列目)",
            "sample": [r[i] for r in sample if i < len(r)],
            "choice": choices[i] if i < len(choices) else IGNORE,
        }
        for i, h in enumerate(header)
    ]
    step = Step(kind=kind, target=row.target, step=2, upload=row, columns=columns)
    step.options = options
    step.form = {"origin": origin}
    return step


# --- step 3: preview ------------------------------------------------------------------------


def chosen(form: Any, width: int) -> list[str]:
    return [str(form.get(f"col_{i}") or IGNORE) for i in range(width)]


def build_mapping(
    kind: Kind, header: list[str], choices: list[str], detected: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The service's mapping from the choices, or what to fix (a field chosen twice, a
    required one missing)."""
    problems: list[str] = []
    labels = dict((f.key, f.label) for f in kind.fields)
    single = [c for c in choices if c and not c.startswith(("measure:", "name"))]
    for c in sorted({c for c in single if single.count(c) > 1}):
        cols = [header[i] for i, x in enumerate(choices) if x == c]
        problems.append(
            f"「{labels.get(c, c)}」を {len(cols)}つの列 ({'、'.join(cols)}) に選んでいます。1つにしてください。"
        )
    if kind.mode in ("service", "rename"):
        mapping = {c: header[i] for i, c in enumerate(choices) if c}
        for f in kind.fields:
            if f.required and f.key not in mapping:
                problems.append(f"「{f.label}」の列を選んでください。")
        return mapping, problems
    if kind.mode == "published":
        if "entity" not in choices:
            problems.append("保険者番号・団体コードの列を選んでください。")
        ent = header[choices.index("entity")] if "entity" in choices else None
        cols = {
            h: (c or None) for h, c in zip(header, choices, strict=False) if c != "entity" and h
        }
        if not any(cols.values()):
            problems.append("得点の列 (指標または区分) を1つ以上選んでください。")
        return {"entity_column": ent, "columns": cols}, problems
    # regional: the service's ImportMapping (wide: a column per measure; long: name + value)
    return _regional_mapping(header, choices, detected or {}, problems)


def _regional_mapping(
    header: list[str], choices: list[str], detected: dict[str, Any], problems: list[str]
) -> tuple[dict[str, Any], list[str]]:
    if "entity" not in choices:
        problems.append("団体コード・保険者番号の列を選んでください。")
    col = {
        c: header[i]
        for i, c in enumerate(choices)
        if c in ("entity", "measure_name", "value", "year")
    }
    long = "measure_name" in col or "value" in col
    if long and not ("measure_name" in col and "value" in col):
        problems.append("縦持ちの表は「指標名」と「値」の列を両方選んでください。")
    if not long and not any(c.startswith("measure:") for c in choices):
        problems.append("値を取り込む指標の列を1つ以上選んでください。")
    mapping: dict[str, Any] = {
        "header_row": detected.get("header_row") or 1,
        "entity_column": col.get("entity"),
        "format": "long" if long else "wide",
        "year_column": col.get("year"),
        "ignore": [h for h, c in zip(header, choices, strict=False) if c in (IGNORE, "name") and h],
    }
    if detected.get("sheet"):
        mapping["sheet"] = detected["sheet"]
    if long:
        mapping |= {"measure_column": col.get("measure_name"), "value_column": col.get("value")}
        if detected.get("measure_names"):
            mapping["measure_names"] = detected["measure_names"]
    else:
        known = detected.get("columns") or {}
        columns: dict[str, Any] = {}
        for h, c in zip(header, choices, strict=False):
            if c.startswith("measure:"):
                code = c.removeprefix("measure:")
                was = known.get(h)
                same = was == code or (isinstance(was, dict) and was.get("measure_code") == code)
                columns[h] = was if same else code  # keep the service's scale when unchanged
        mapping["columns"] = columns
    return {"service": mapping, "choices": choices}, problems


async def preview(ctx: ViewContext, db: Any, upload_id: str, form: Any) -> Step:
    """Step 3: the service's dry run with the chosen mapping (nothing is written)."""
    kind, row = await _load(ctx, db, upload_id)
    header, _ = await _header(ctx, kind, row)
    choices = chosen(form, len(header))
    mapping, problems = build_mapping(kind, header, choices, row.state.get("detected"))
    if problems:
        step = await mapping_step(ctx, db, upload_id, choices=choices)
        step.problems = [{"line": None, "column": None, "msg": p} for p in problems]
        return _refuse(step, "列の対応を直してください。まだ何も確かめていません。")
    async with db.session(write=True) as s:
        await remember(s, await load(s, upload_id, ctx.actor.id) or row, mapping=mapping)
        await s.commit()
    row.mapping = mapping
    if kind.mode == "published" and form.get("save_mapping"):
        saved = await attempt(
            ctx.clients.indicators.save_published_mapping(
                row.target["framework_id"], mapping, actor=ctx.actor
            ),
            refusals=WRITE_REFUSALS,
        )
        if not saved.ok:
            step = await mapping_step(ctx, db, upload_id, choices=choices)
            return _refuse(
                step, f"列の対応を保存できませんでした: {saved.message['text']}", saved.status
            )  # type: ignore[index]
    return await _dry_run(ctx, db, kind, row)


async def _dry_run(ctx: ViewContext, db: Any, kind: Kind, row: ImportUpload) -> Step:
    step = Step(kind=kind, target=row.target, step=3, upload=row)
    done = await attempt(_call(ctx, kind, row, dry_run=True), refusals=WRITE_REFUSALS)
    if not done.ok:
        step.problems = _problems(kind, row, done.refusal)
        return _refuse(step, _why(done), done.status)
    answer = done.value or {}
    if kind.mode == "regional":
        async with db.session(write=True) as s:
            fresh = await load(s, row.id, ctx.actor.id)
            if fresh is not None:
                await remember(s, fresh, state={"version": answer.get("version")})
                await s.commit()
    step.preview = _summary(kind, answer)
    step.problems = _problems(kind, row, None, answer.get("problems") or [])
    return step


def _why(done: Any) -> str:
    if done.down is not None:
        return f"{done.message['text']}もう一度お試しください。何も書き込んでいません。"
    return f"{done.message['text']}"


def _summary(kind: Kind, answer: dict[str, Any]) -> dict[str, Any]:
    counts = [
        (label, len(v) if isinstance(v := answer.get(key), list) else v)
        for key, label in PREVIEW_COUNTS.get(kind.key, ())
        if answer.get(key) is not None
    ]
    lists: list[tuple[str, list[str]]] = []
    extra: dict[str, Any] = {}
    if kind.key == "items":
        ch = answer.get("changes") or {}
        lists = [
            ("追加される指標", ch.get("added") or []),
            ("既にあり、残る指標 (ファイルにあれば内容を更新)", ch.get("updated") or []),
            ("消える指標", ch.get("removed") or []),
        ]
        extra["removed_scored"] = ch.get("removed_scored") or []
        extra["item_rows"] = answer.get("items") or []
    elif kind.key == "published":
        lists = [
            (
                "対応する保険者がない行",
                [
                    f"{u['line']}行目 {u['value']}: {u['msg']}"
                    for u in answer.get("unmatched_insurers") or []
                ],
            ),
            ("対応先のない列", answer.get("unmatched_columns") or []),
            ("列のない指標 (得点は書き込まれません)", answer.get("items_without_column") or []),
        ]
    elif kind.key == "insurers" and answer.get("note"):
        extra["note"] = answer["note"]
    elif kind.key == "regional":
        lists = [
            (
                "読み飛ばす行",
                [f"{s['line']}行目: {s['reason']}" for s in answer.get("skipped") or []],
            )
        ]
        extra["years"] = answer.get("fiscal_years") or []
    problems = answer.get("problems") or []
    return {
        "counts": counts,
        "lists": [(t, v) for t, v in lists if v],
        "ready": not problems,
        **extra,
    }


def _problems(
    kind: Kind,
    row: ImportUpload,
    refusal: ServiceRejected | None,
    errors: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every problem as (line, column, message), in the file's own column names."""
    if refusal is not None:
        errors = refusal.problem.get("errors") or []
    back = _renamed_back(kind, row)
    labels = {f.key: f.label for f in kind.fields}
    out = []
    for e in errors or []:
        loc = [x for x in (e.get("loc") or []) if x != "body"]
        line = column = None
        if "line" in loc and loc.index("line") + 1 < len(loc):
            line = loc[loc.index("line") + 1]
        if "column" in loc and loc.index("column") + 1 < len(loc):
            column = loc[loc.index("column") + 1]
        elif loc[:1] == ["mapping"] and len(loc) > 1:
            name = str(loc[-1])
            column = f"列の対応: {labels.get(name, name)}"
        if isinstance(column, str):
            column = back.get(column, column)
        out.append({"line": line, "column": column, "msg": e.get("msg", "")})
    return out


def _renamed_back(kind: Kind, row: ImportUpload) -> dict[str, str]:
    if kind.mode != "rename" or not row.mapping:
        return {}
    return {k: v for k, v in row.mapping.items()}


# --- the calls, one per kind ----------------------------------------------------------------


def _file(kind: Kind, row: ImportUpload) -> FileUpload:
    content = row.content
    if kind.mode == "rename":
        header, _ = head(row.file_name, row.content)
        names = {f.key for f in kind.fields} | {n for f in kind.fields for n in f.names}
        by_column = {v: k for k, v in (row.mapping or {}).items()}
        renamed = []
        for i, h in enumerate(header):
            if h in by_column:
                renamed.append(by_column[h])
            elif h.strip().lower() in {n.lower() for n in names}:
                renamed.append(f"(取り込まない列{i + 1}) {h}")  # not read as a field
            else:
                renamed.append(h)
        content = with_header(row.file_name, row.content, renamed)
    return FileUpload(row.file_name, content, row.content_type)


def _call(
    ctx: ViewContext, kind: Kind, row: ImportUpload, *, dry_run: bool, drop_scored: bool = False
) -> Any:
    ind, t, actor = ctx.clients.indicators, row.target, ctx.actor
    if kind.key == "items":
        return ind.import_items(
            t["framework_id"],
            _file(kind, row),
            row.mapping or {},
            dry_run=dry_run,
            drop_scored=drop_scored,
            actor=actor,
        )
    if kind.key == "published":
        return ind.import_published(
            t["framework_id"], _file(kind, row), row.mapping or {}, dry_run=dry_run, actor=actor
        )
    if kind.key == "insurers":
        return ind.import_insurers(_file(kind, row), dry_run=dry_run, actor=actor)
    if kind.key == "first-insured":
        return ind.import_first_insured(
            t["fiscal_year"],
            _file(kind, row),
            as_of=t.get("as_of", ""),
            dry_run=dry_run,
            actor=actor,
        )
    if kind.key == "regional":
        if dry_run:
            body = {
                "version": row.state.get("version"),
                "mapping": (row.mapping or {}).get("service"),
            }
            return ind.update_regional_import(row.state["import_id"], body, actor=actor)
        return ind.commit_regional_import(
            row.state["import_id"], {"version": row.state.get("version")}, actor=actor
        )
    if kind.key == "allocation-inputs":
        return ind.import_allocation_inputs(
            t["grant"], t["grant_fy"], _file(kind, row), dry_run=dry_run, actor=actor
        )
    if kind.key == "centres":
        return ind.import_centres(_file(kind, row), dry_run=dry_run, actor=actor)
    if kind.key == "centre-items":
        return _catalogue(ctx, row, _file(kind, row), dry_run=dry_run)
    if kind.key == "centre-answers":
        return ind.import_centre_answers(
            t["fiscal_year"], _file(kind, row), dry_run=dry_run, actor=actor
        )
    raise NotFound(f"取込「{kind.key}」はありません")


async def _catalogue(
    ctx: ViewContext, row: ImportUpload, upload: FileUpload, *, dry_run: bool
) -> Any:
    """A year's items replace the catalogue of that year: sent with its current version."""
    ind, t = ctx.clients.indicators, row.target
    current = next(
        (
            c
            for c in await ind.centre_catalogues(actor=ctx.actor)
            if c.get("fiscal_year") == t["fiscal_year"]
        ),
        None,
    )
    meta = {k: t.get(k, "") for k in ("name", "source_document", "source_date", "source_page")}
    meta["name"] = (
        meta["name"]
        or (current or {}).get("name")
        or f"地域包括支援センターの評価指標 ({t['fiscal_year']}年度)"
    )
    if current is not None:
        meta["version"] = str(current["version"])
    return await ind.import_centre_catalogue(
        t["fiscal_year"], upload, meta, dry_run=dry_run, actor=ctx.actor
    )


async def _regional_start(
    ctx: ViewContext, db: Any, row: ImportUpload
) -> tuple[str, int, list[dict[str, Any]]] | None:
    """The regional service keeps the file itself (a staged import): create it once, and
    keep its id, version and the header it found."""
    t = row.target
    done = await attempt(
        ctx.clients.indicators.create_regional_import(
            FileUpload(row.file_name, row.content, row.content_type),
            fiscal_year=t.get("fiscal_year"),
            source=t.get("source", ""),
            actor=ctx.actor,
        ),
        refusals=WRITE_REFUSALS,
    )
    if not done.ok:
        kind = KINDS["regional"]
        return _why(done), done.status, _problems(kind, row, done.refusal)
    p = done.value or {}
    state = {
        "detected": p.get("mapping") or {},
        "import_id": p["id"],
        "version": p["version"],
        "headers": p.get("headers") or [],
        "header_row": p.get("header_row"),
    }
    async with db.session(write=True) as s:
        fresh = await load(s, row.id, ctx.actor.id)
        if fresh is not None:
            await remember(s, fresh, state=state)
            await s.commit()
    row.state = {**(row.state or {}), **state}
    return None


# --- step 4: commit -------------------------------------------------------------------------


async def commit(ctx: ViewContext, db: Any, upload_id: str, form: Any) -> Step:
    """Write all or nothing: the result, or the service's refusal with the mapping kept (the
    upload stays, so the user can go back to the mapping or preview again)."""
    kind, row = await _load(ctx, db, upload_id)
    if row.mapping is None:
        step = await mapping_step(ctx, db, upload_id)
        return _refuse(step, "先に列の対応を選んで、内容を確かめてください。", 409)
    drop = bool(form.get("drop_scored"))
    done = await attempt(
        _call(ctx, kind, row, dry_run=False, drop_scored=drop), refusals=WRITE_REFUSALS
    )
    if not done.ok:
        step = Step(kind=kind, target=row.target, step=3, upload=row)
        step.problems = _problems(kind, row, done.refusal)
        step.preview = None
        return _refuse(
            step, f"取り込めませんでした。何も書き込んでいません。{_why(done)}", done.status
        )
    answer = done.value or {}
    async with db.session(write=True) as s:
        fresh = await load(s, upload_id, ctx.actor.id)
        if fresh is not None:
            await discard(s, fresh)
            await s.commit()
    step = Step(kind=kind, target=row.target, step=4, upload=row)
    step.result = {
        "written": written_of(kind, answer),
        "file_name": row.file_name,
        "answer": answer,
    }
    return step
