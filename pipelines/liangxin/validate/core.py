"""validate_file: open safely (F1), match sheets and columns (F2, F7), parse cells (F4), then run the rules.

Decisions made here (see also the module docs of :mod:`liangxin.validate.rules`):

- Every column of forms.py is a required column (F2), [年] columns included: the template carries them all.
- Blank cover cells and an empty cover are F3 ("the cover is complete"); a cover cell that does not parse
  is F4.  Blank required cells of the data sheets are F4.
- 表5 所在党组织编码 blank for 书记/副书记/党务工作者 and 所在单位信用代码 blank for 出资人 are F4 (required
  cells); their existence in 表2 / the uscc checksum are X1 / not checked.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from liangxin import forms
from liangxin.forms import ANNUAL, BOOL, CODE, DATE, INT, MONEY, NUMBER, REQ, TEXT
from liangxin.validate import normalise as nz
from liangxin.validate.context import ValidationContext
from liangxin.validate.reader import MAX_FILE_BYTES, FileRejected, RawSheet, col_letter, open_file
from liangxin.validate.result import ERROR, WARNING, ParsedRow, RuleHit, ValidationResult

log = logging.getLogger(__name__)

# text fields compared as identifiers: NFKC, no inner spaces; UPPER for USCC and ID numbers
KEY_FIELDS = frozenset({"unit_code", "period", "template_version", "party_org_code", "host_party_org_code",
                        "training_code", "uscc", "secretary_id", "person_id"})
UPPER_FIELDS = frozenset({"period", "uscc", "secretary_id", "person_id"})
PARTY_ORG_CODE_FIELDS = frozenset({"party_org_code", "host_party_org_code"})
PARTY_ORG_CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
ROLES_NEED_ORG = ("书记", "副书记", "党务工作者")
ROLE_INVESTOR = "出资人"


class Hits:
    """Collects hits; caps floods of one rule on one sheet and adds a summary hit."""

    def __init__(self, cap: int):
        self.cap = cap
        self.hits: list[RuleHit] = []
        self._count: Counter = Counter()
        self._over: Counter = Counter()

    def add(self, rule: str, severity: str, sheet: str | None, row: int | None, column: str | None,
            value: object, message: str, cell: str | None = None) -> None:
        key = (rule, severity, sheet)
        self._count[key] += 1
        if self._count[key] > self.cap:
            self._over[key] += 1
            return
        shown = None if value is None else (value if isinstance(value, str) else nz.clean_text(value))
        self.hits.append(RuleHit(rule, severity, sheet, row, column, shown, f"[{rule}] {message}", cell))

    def finish(self) -> list[RuleHit]:
        for (rule, severity, sheet), n in self._over.items():
            self.hits.append(RuleHit(rule, severity, sheet, None, None, None,
                                     f"[{rule}] 同类问题过多，另有 {n} 处未逐一列出；请按上述提示全面检查本表后重新报送"))
        self._over.clear()
        return self.hits


@dataclass
class SheetData:
    form: forms.Form
    raw: RawSheet | None = None
    col_of: dict[str, int] = field(default_factory=dict)  # field name -> 0-based column in the file
    rows: list[ParsedRow] = field(default_factory=list)
    found: dict[int, dict[str, object]] = field(default_factory=dict)  # source row -> field -> value as found

    @property
    def present(self) -> bool:
        return self.raw is not None

    def cell(self, name: str, row: int | None) -> str | None:
        c = self.col_of.get(name)
        return None if c is None or row is None else f"{col_letter(c)}{row}"


class Checker:
    """One validation run; the rule functions in :mod:`rules` receive it."""

    def __init__(self, ctx: ValidationContext):
        self.ctx = ctx
        self.hits = Hits(ctx.max_hits_per_rule_sheet)
        self.sheets: dict[str, SheetData] = {}
        self.cover: dict[str, object] | None = None
        self.cover_row: int | None = None
        self.cover_found: dict[str, object] = {}
        self.q4 = False
        self.unit_code: str | None = None  # valid (in the register) or None
        self.period: str | None = None  # valid YYYYQn or None

    # hit helpers ---------------------------------------------------------------------------
    def hit(self, rule: str, severity: str, form_key: str, row: ParsedRow | int | None, name: str | None,
            message: str, value: object = None, use_found: bool = True) -> None:
        sd = self.sheets[form_key]
        rownum = row.source_row if isinstance(row, ParsedRow) else row
        label = sd.form.field(name).label if name else None
        if use_found and name and isinstance(row, ParsedRow) and value is None:
            value = sd.found.get(row.source_row, {}).get(name)
        elif use_found and name and form_key == "cover" and value is None:
            value = self.cover_found.get(name)
        self.hits.add(rule, severity, sd.form.sheet, rownum, label, value, message, sd.cell(name, rownum) if name else None)

    def label(self, form_key: str, name: str) -> str:
        return forms.FORMS_BY_KEY[form_key].field(name).label


# ------------------------------------------------------------------------------------------------
# Cell parsing
# ------------------------------------------------------------------------------------------------
def parse_cell(f: forms.Field, raw: object) -> tuple[object, str | None]:
    t = f.type
    if t == TEXT:
        if f.name in KEY_FIELDS:
            v = nz.clean_key(raw)
            if v is not None and f.name not in UPPER_FIELDS:
                # clean_key upper-cases; identifiers other than USCC / ID / period keep their case
                v = _key_keep_case(raw)
            return v, None
        return nz.clean_text(raw), None
    if t == INT:
        return nz.parse_int(raw)
    if t == MONEY:
        return nz.parse_money(raw)
    if t == NUMBER:
        return nz.parse_number(raw)
    if t == DATE:
        return nz.parse_date(raw)
    if t == BOOL:
        return nz.parse_bool(raw)
    if t == CODE:
        return nz.parse_code(raw, forms.code_values(f.code_list))
    return nz.clean_text(raw), None  # pragma: no cover - every forms type is handled above


def _key_keep_case(raw: object) -> str | None:
    import unicodedata

    t = nz.clean_text(raw)
    if t is None:
        return None
    t = "".join(ch for ch in unicodedata.normalize("NFKC", t) if not ch.isspace())
    return t or None


def _found(raw: object) -> object:
    """The value as found, for messages: strings untouched, natives as text."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        return raw if nz.clean_text(raw) is not None else None  # only spaces / zero-width: blank
    return nz.clean_text(raw)


def _blank_row(row: list[object]) -> bool:
    for c in row:
        if c is None:
            continue
        if isinstance(c, str):
            if nz.clean_text(c) is not None:
                return False
        else:
            return False
    return True


# ------------------------------------------------------------------------------------------------
# Sheets and columns (F2, F7)
# ------------------------------------------------------------------------------------------------
def match_sheets(ck: Checker, sheets: list[RawSheet]) -> None:
    for form in forms.FORMS:
        ck.sheets[form.key] = SheetData(form=form)
    for raw in sheets:
        form = forms.form_for_sheet(raw.name)
        if form is None:
            if _sheet_has_content(raw):
                ck.hits.add("F7", WARNING, raw.name, None, None, None,
                            f"工作表“{raw.name}”不属于本报表，已忽略；报表应只含 封面、表1–表6")
            continue
        sd = ck.sheets[form.key]
        if sd.present:
            ck.hits.add("F2", ERROR, form.sheet, None, None, raw.name,
                        f"工作表“{form.sheet}”出现了不止一次（“{sd.raw.name}”与“{raw.name}”），请只保留一个")
            continue
        sd.raw = raw
        _match_columns(ck, sd)
    for form in forms.FORMS:
        if not ck.sheets[form.key].present:
            ck.hits.add("F2", ERROR, form.sheet, None, None, None,
                        f"缺少工作表“{form.sheet}”；请使用规定模板，工作表名称须与模板一致")


def _sheet_has_content(raw: RawSheet) -> bool:
    return any(not _blank_row(r) for r in raw.rows[:50])


def _match_columns(ck: Checker, sd: SheetData) -> None:
    form = sd.form
    by_label = form.by_label()
    header = sd.raw.rows[0] if sd.raw.rows else []
    for c, cell in enumerate(header):
        text = nz.clean_text(cell)
        if text is None:
            continue
        f = by_label.get(forms.normalise_header(text))
        if f is None:
            ck.hits.add("F7", WARNING, form.sheet, 1, text, text,
                        f"表头“{text}”不是本表的栏目，该列已忽略", f"{col_letter(c)}1")
            continue
        if f.name in sd.col_of:
            first = col_letter(sd.col_of[f.name])
            ck.hits.add("F2", ERROR, form.sheet, 1, f.label, text,
                        f"栏目“{f.label}”重复出现（{first}列与{col_letter(c)}列），每个栏目只能有一列",
                        f"{col_letter(c)}1")
            continue
        sd.col_of[f.name] = c
    for f in form.fields:
        if f.name not in sd.col_of:
            ck.hits.add("F2", ERROR, form.sheet, 1, f.label, None,
                        f"缺少必需的栏目“{f.label}”；表头须在第1行，名称须与模板一致")


# ------------------------------------------------------------------------------------------------
# Rows (F4 types, F3 cover)
# ------------------------------------------------------------------------------------------------
def parse_sheet(ck: Checker, sd: SheetData) -> None:
    if not sd.present:
        return
    form = sd.form
    cols = [(f, sd.col_of.get(f.name)) for f in form.fields]
    raw = sd.raw
    for r in range(1, len(raw.rows)):
        cells = raw.rows[r]
        if _blank_row(cells) and not any((r, c) in raw.errors or (r, c) in raw.formula_no_value
                                         for c in range(len(cells))):
            continue
        rownum = r + 1
        values: dict[str, object] = {}
        found: dict[str, object] = {}
        for f, c in cols:
            if c is None:
                values[f.name] = None
                continue
            cell = cells[c] if c < len(cells) else None
            found[f.name] = _found(cell)
            ref = f"{col_letter(c)}{rownum}"
            if (r, c) in raw.errors:
                err = raw.errors[(r, c)]
                found[f.name] = err
                ck.hits.add("F4", ERROR, form.sheet, rownum, f.label, err,
                            f"“{f.label}”为错误值 {err}；请修正公式或填写数值", ref)
                values[f.name] = None
                continue
            if (r, c) in raw.formula_no_value:
                ck.hits.add("F4", ERROR, form.sheet, rownum, f.label, None,
                            f"“{f.label}”是没有计算结果的公式；请在 Excel 中打开、计算并保存，或直接填写数值", ref)
                values[f.name] = None
                continue
            value, problem = parse_cell(f, cell)
            if problem is None and value is not None and f.name in PARTY_ORG_CODE_FIELDS \
                    and not PARTY_ORG_CODE_RE.match(str(value)):
                problem = "党组织编码应为 1–20 位字母、数字或“-”"
                value = None
            if problem is not None:
                ck.hits.add("F4", ERROR, form.sheet, rownum, f.label, found[f.name],
                            f"“{f.label}”的值“{found[f.name]}”无法识别：{problem}", ref)
                value = None
            values[f.name] = value
        row = ParsedRow(sheet=form.sheet, source_row=rownum, values=values)
        if form.single_row:
            ck.cover = values
            ck.cover_row = rownum
            ck.cover_found = found
            return
        sd.found[rownum] = found
        sd.rows.append(row)


def required_now(f: forms.Field, values: dict[str, object], q4: bool, form_key: str) -> bool:
    if f.required == REQ:
        return True
    if f.required == ANNUAL:
        if not q4:
            return False
        if f.name in ("payroll_prev_year", "party_funds"):  # D20
            return values.get("org_category") == forms.ENTERPRISE and values.get("party_status") == "单独建立"
        return True
    if form_key == "attendance":
        role = values.get("role")
        if f.name == "party_org_code":
            return role in ROLES_NEED_ORG
        if f.name == "uscc":
            return role == ROLE_INVESTOR
    return False  # other COND / OPTIONAL fields: their rules (R3, R5, R12, R15, F6) decide


def check_required(ck: Checker, sd: SheetData) -> None:
    form = sd.form
    for row in sd.rows:
        v = row.values
        found = sd.found[row.source_row]
        for f in form.fields:
            if v.get(f.name) is not None or f.name not in sd.col_of or found.get(f.name) is not None:
                continue  # present, column missing (F2) or present but unparseable (F4 already)
            if (row.source_row - 1, sd.col_of[f.name]) in sd.raw.formula_no_value:
                continue
            if required_now(f, v, ck.q4, form.key):
                why = ""
                if f.required == ANNUAL:
                    why = "（[年] 第四季度报表必填"
                    why += "，单独建立党组织的非公有制企业）" if f.name in ("payroll_prev_year", "party_funds") else "）"
                elif form.key == "attendance" and f.name == "party_org_code":
                    why = f"（参训身份为{v.get('role')}时必填）"
                elif form.key == "attendance" and f.name == "uscc":
                    why = "（参训身份为出资人时必填）"
                ck.hits.add("F4", ERROR, form.sheet, row.source_row, f.label, None,
                            f"“{f.label}”不能为空{why}", sd.cell(f.name, row.source_row))


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------
def validate_file(path: Path, ctx: ValidationContext, original_name: str | None = None) -> ValidationResult:
    """Validate one submitted file.  Never raises for a bad file: problems become rule hits."""
    from liangxin.validate import rules

    path = Path(path)
    result = ValidationResult(path=path, sha256="", size=0, original_name=original_name or path.name)
    ck = Checker(ctx)
    reading = True
    try:
        size = path.stat().st_size
        result.size = size
        if size > MAX_FILE_BYTES:
            with open(path, "rb") as fh:  # hash in chunks, never hold the whole file
                h = hashlib.sha256()
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            result.sha256 = h.hexdigest()
            raise FileRejected(f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB），拒收")
        data = path.read_bytes()
        result.size = len(data)
        result.sha256 = hashlib.sha256(data).hexdigest()
        book = open_file(data, ctx.max_rows_per_sheet)
        result.format = book.format
        for name in book.ignored_members:
            ck.hits.add("F7", WARNING, name, None, None, None,
                        f"压缩包内的文件“{name}”不是 .csv 工作表，已忽略")
        reading = False
        match_sheets(ck, book.sheets)
        parse_sheet(ck, ck.sheets["cover"])
        rules.check_cover(ck)
        for form in forms.DATA_FORMS:
            sd = ck.sheets[form.key]
            parse_sheet(ck, sd)
            if sd.present:
                check_required(ck, sd)
        rules.run_all(ck)
    except FileRejected as exc:
        ck.hits = Hits(ctx.max_hits_per_rule_sheet)
        ck.hits.add("F1", ERROR, None, None, None, None, str(exc))
        ck.cover, ck.sheets = None, {}
    except (MemoryError, RecursionError) as exc:
        ck.hits = Hits(ctx.max_hits_per_rule_sheet)
        ck.hits.add("F1", ERROR, None, None, None, None, f"文件过于复杂，无法在限定资源内读取（{type(exc).__name__}），拒收")
        ck.cover, ck.sheets = None, {}
    except Exception as exc:  # noqa: BLE001 - rule F1: never a traceback for the submitter
        log.exception("unexpected error while validating %s", path)
        ck.hits = Hits(ctx.max_hits_per_rule_sheet)
        if reading:
            msg = f"文件无法读取（{type(exc).__name__}）；请使用规定模板另存为 .xlsx 后重新报送"
        else:
            msg = f"文件已读取，但审核过程中发生内部错误（{type(exc).__name__}）；请联系区委组织部统计人员处理"
        ck.hits.add("F1", ERROR, None, None, None, None, msg)
        ck.cover, ck.sheets = None, {}
    result.hits = ck.hits.finish()
    result.cover = ck.cover
    if ck.cover:
        result.unit_code = ck.cover.get("unit_code")
        result.unit_name = ck.cover.get("unit_name")
        result.period = ck.cover.get("period")
        result.correction_no = ck.cover.get("correction_no")
    result.rows = {form.key: ck.sheets[form.key].rows for form in forms.DATA_FORMS if form.key in ck.sheets}
    return result
