"""validate_file: open safely (F1), match sheets and columns (F2, F7), parse cells (F4), then run the rules.

Decisions made here (see also the module docs of :mod:`liangxin.validate.rules`):

- Every column of forms.py is a required column (F2), [年] columns included: the template carries them all.
- Blank cover cells and an empty cover are F3 ("the cover is complete"); a cover cell that does not parse
  is F4.  Blank required cells of the data sheets are F4.
- 表5 所在党组织编码 blank for 书记/副书记/党务工作者 and 所在单位信用代码 blank for 出资人 are F4 (required
  cells); their existence in 表2 / the uscc checksum are X1 / not checked.
"""

from __future__ import annotations


import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from liangxin import forms, seeds
from liangxin.hashing import bytes_sha256, file_sha256
from liangxin.settings import READ_MEMORY_MB
from liangxin.forms import ANNUAL, BOOL, CODE, DATE, INT, MONEY, NUMBER, REQ, TEXT
from liangxin.validate import normalise as nz
from liangxin.validate.context import ValidationContext
from liangxin.validate.limits import RANGE_PROBLEM, limit_for
from liangxin.validate.reader import MAX_FILE_BYTES, FileRejected, RawSheet, col_letter, open_file
from liangxin.validate.result import ERROR, WARNING, ParsedRow, RuleHit, ValidationResult

log = logging.getLogger(__name__)

# text fields compared as identifiers: NFKC, no inner spaces; UPPER for USCC and ID numbers
KEY_FIELDS = frozenset(
    {
        "unit_code",
        "period",
        "template_version",
        "party_org_code",
        "host_party_org_code",
        "training_code",
        "uscc",
        "secretary_id",
        "person_id",
    }
)
UPPER_FIELDS = frozenset({"period", "uscc", "secretary_id", "person_id"})
PARTY_ORG_CODE_FIELDS = frozenset({"party_org_code", "host_party_org_code"})
PARTY_ORG_CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
ROLES_NEED_ORG = ("书记", "副书记", "党务工作者")
ROLE_INVESTOR = "出资人"
COMMUNITY_LEVEL = "社区党总支"  # 表4 主办层级 whose 主办单位编码 is required (2021.1)


class Hits:
    """Collects hits; caps floods of one rule on one sheet and adds a summary hit."""

    def __init__(self, cap: int):
        self.cap = cap
        self.hits: list[RuleHit] = []
        self._count: Counter = Counter()
        self._over: Counter = Counter()

    def add(
        self,
        rule: str,
        severity: str,
        sheet: str | None,
        row: int | None,
        column: str | None,
        value: object,
        message: str,
        cell: str | None = None,
    ) -> None:
        key = (rule, severity, sheet)
        self._count[key] += 1
        if self._count[key] > self.cap:
            self._over[key] += 1
            return
        shown = None if value is None else (value if isinstance(value, str) else nz.clean_text(value))
        self.hits.append(RuleHit(rule, severity, sheet, row, column, shown, f"[{rule}] {message}", cell))

    def absorb(self, other: "Hits") -> None:
        """Add the hits another collector recorded (in order), as if they had been added here."""
        for h in other.hits:
            key = (h.rule_id, h.severity, h.sheet)
            self._count[key] += 1
            if self._count[key] > self.cap:
                self._over[key] += 1
            else:
                self.hits.append(h)
        for key, n in other._over.items():  # dropped there, hence beyond the cap here as well
            self._count[key] += n
            self._over[key] += n

    def finish(self) -> list[RuleHit]:
        for (rule, severity, sheet), n in self._over.items():
            self.hits.append(
                RuleHit(
                    rule,
                    severity,
                    sheet,
                    None,
                    None,
                    None,
                    f"[{rule}] 同类问题过多，另有 {n} 处未逐一列出；请按上述提示全面检查本表后重新报送",
                )
            )
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
        self.version: str | None = None  # template version audited against (see template_version_of)

    # hit helpers ---------------------------------------------------------------------------
    def hit(
        self,
        rule: str,
        severity: str,
        form_key: str,
        row: ParsedRow | int | None,
        name: str | None,
        message: str,
        value: object = None,
        use_found: bool = True,
    ) -> None:
        sd = self.sheets[form_key]
        rownum = row.source_row if isinstance(row, ParsedRow) else row
        label = sd.form.field(name).label if name else None
        if use_found and name and isinstance(row, ParsedRow) and value is None:
            value = sd.found.get(row.source_row, {}).get(name)
        elif use_found and name and form_key == "cover" and value is None:
            value = self.cover_found.get(name)
        self.hits.add(
            rule, severity, sd.form.sheet, rownum, label, value, message, sd.cell(name, rownum) if name else None
        )

    def label(self, form_key: str, name: str) -> str:
        return forms.FORMS_BY_KEY[form_key].field(name).label


# ------------------------------------------------------------------------------------------------
# Cell parsing
# ------------------------------------------------------------------------------------------------
_BLANK = (None, None)
_FIELD_PARSERS: dict[forms.Field, tuple] = {}


def _as_is(t: str) -> tuple[object, str | None]:
    return t, None


def _field_parsers(f: forms.Field):
    """(parse of a cleaned non-blank text, parse of any raw value) for one field; built once per field.

    Both give exactly :func:`parse_cell`'s result: the text parser is the text branch of the ``nz.parse_*``
    function of the field's type (``nz.*_text``), the raw parser is that function itself (for TEXT and CODE
    fields every raw value goes through ``clean_text`` first, so it is the text parser after ``clean_text``).
    """
    parsers = _FIELD_PARSERS.get(f)
    if parsers is not None:
        return parsers
    t = f.type
    native = None
    if t == TEXT:
        if f.name in KEY_FIELDS:
            upper = f.name in UPPER_FIELDS  # identifiers other than USCC / ID / period keep their case
            text = lambda s, upper=upper: (nz.key_text(s, upper), None)  # noqa: E731
        else:
            text = _as_is
    elif t == INT:
        text, native = nz.int_text, nz.parse_int
    elif t == MONEY:
        text, native = nz.money_text, nz.parse_money
    elif t == NUMBER:
        text, native = nz.number_text, nz.parse_number
    elif t == DATE:
        text, native = nz.date_text, nz.parse_date
    elif t == BOOL:
        text, native = nz.bool_text, nz.parse_bool
    elif t == CODE:
        allowed = forms.code_values(f.code_list)
        text = lambda s: nz.code_text(s, allowed)  # noqa: E731
    else:  # pragma: no cover - every forms type is handled above
        text = _as_is
    if native is None:

        def native(raw, text=text):
            s = nz.clean_text(raw)
            return _BLANK if s is None else text(s)

    parsers = _FIELD_PARSERS[f] = (text, native)
    return parsers


def parse_cell(f: forms.Field, raw: object) -> tuple[object, str | None]:
    text, native = _field_parsers(f)
    if type(raw) is str:
        s = nz.clean_text(raw)
        return _BLANK if s is None else text(s)  # blank text: every parser gives (None, None)
    return native(raw)


_SHEET_PARSERS: dict[tuple[forms.Field, str | None], tuple] = {}
_BAD_PARTY_ORG_CODE = "党组织编码应为 1–20 位字母、数字或“-”"


def _sheet_parsers(f: forms.Field, form_key: str | None = None):
    """How :func:`parse_sheet` parses the cells of field ``f``: ``(memoise, parse_text, parse_native)``.

    ``parse_text`` (of a cleaned, non-blank text) and ``parse_native`` (of any raw value) give
    :func:`parse_cell`'s ``(value, problem)`` plus the party-org-code format check and the field's documented
    range on form ``form_key`` (seeds/field_limits.csv, :mod:`liangxin.validate.limits`).  ``memoise``:
    whether parse_sheet should remember the parses of this field's cells (code values, 是/否, counts, dates
    repeat a lot; names and addresses hardly ever do).  Built once per field and form.
    """
    parsers = _SHEET_PARSERS.get((f, form_key))
    if parsers is not None:
        return parsers
    text, native = _field_parsers(f)
    limit = limit_for(form_key, f) if form_key is not None and f.type in (INT, MONEY, NUMBER) else None
    if limit is not None:

        def bounded(parse, limit=limit):
            def parse_bounded(x):
                value, problem = parse(x)
                if problem is None and value is not None:
                    problem = limit.problem(value)
                    if problem is not None:
                        return None, problem
                return value, problem

            return parse_bounded

        text, native = bounded(text), bounded(native)
    if f.name in PARTY_ORG_CODE_FIELDS:

        def checked(parse):
            def parse_checked(x):
                value, problem = parse(x)
                if problem is None and value is not None and not PARTY_ORG_CODE_RE.match(str(value)):
                    return None, _BAD_PARTY_ORG_CODE
                return value, problem

            return parse_checked

        text, native = checked(text), checked(native)
    memoise = not (f.type == TEXT and f.name not in KEY_FIELDS)
    parsers = _SHEET_PARSERS[(f, form_key)] = (memoise, text, native)
    return parsers


def _parse_found(cell: str | float, parse_text, parse_native) -> tuple:
    """``(found, value, problem)`` of a str or float cell: found as :func:`_found`, the rest as parse_sheet."""
    if type(cell) is str:
        t = nz.clean_text(cell)
        return (None, None, None) if t is None else (cell, *parse_text(t))
    return (nz.clean_text(cell), *parse_native(cell))


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
            if c.isascii():  # ASCII has no format characters: clean_text is strip()
                if c.strip():
                    return False
            elif nz.clean_text(c) is not None:
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
                ck.hits.add(
                    "F7",
                    WARNING,
                    raw.name,
                    None,
                    None,
                    None,
                    f"工作表“{raw.name}”不属于本报表，已忽略；报表应只含 封面、表1–表6",
                )
            continue
        sd = ck.sheets[form.key]
        if sd.present:
            ck.hits.add(
                "F2",
                ERROR,
                form.sheet,
                None,
                None,
                raw.name,
                f"工作表“{form.sheet}”出现了不止一次（“{sd.raw.name}”与“{raw.name}”），请只保留一个",
            )
            continue
        sd.raw = raw
        _match_columns(ck, sd)
    for form in forms.FORMS:
        if not ck.sheets[form.key].present:
            ck.hits.add(
                "F2",
                ERROR,
                form.sheet,
                None,
                None,
                None,
                f"缺少工作表“{form.sheet}”；请使用规定模板，工作表名称须与模板一致",
            )


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
            ck.hits.add(
                "F7", WARNING, form.sheet, 1, text, text, f"表头“{text}”不是本表的栏目，该列已忽略", f"{col_letter(c)}1"
            )
            continue
        if f.name in sd.col_of:
            first = col_letter(sd.col_of[f.name])
            ck.hits.add(
                "F2",
                ERROR,
                form.sheet,
                1,
                f.label,
                text,
                f"栏目“{f.label}”重复出现（{first}列与{col_letter(c)}列），每个栏目只能有一列",
                f"{col_letter(c)}1",
            )
            continue
        sd.col_of[f.name] = c
    for f in form.fields:
        if f.name not in sd.col_of:
            ck.hits.add(
                "F2", ERROR, form.sheet, 1, f.label, None, f"缺少必需的栏目“{f.label}”；表头须在第1行，名称须与模板一致"
            )


# ------------------------------------------------------------------------------------------------
# Rows (F4 types, F3 cover)
# ------------------------------------------------------------------------------------------------
def parse_sheet(ck: Checker, sd: SheetData) -> None:
    if not sd.present:
        return
    form = sd.form
    raw = sd.raw
    sheet = form.sheet
    hits = ck.hits
    # per field, once per sheet: name, column (None: missing, F2), label, parsers (see _sheet_parsers) and a
    # memo: cell -> (found, value, problem) of the cells met so far (all immutable), or None (free text).
    # A str never equals a float, and equal floats parse alike except 0.0 and -0.0 (as money 0.00, -0.00):
    # -0.0 is never looked up.
    cols = []
    for f in form.fields:
        memoise, parse_text, parse_native = _sheet_parsers(f, form.key)
        cols.append((f.name, sd.col_of.get(f.name), f.label, {} if memoise else None, parse_text, parse_native))
    # cells the reader flagged (error values, formulas without a cached value), by row; usually there are none
    flagged: dict[int, set[int]] = {}
    for r0, c0 in [*raw.errors, *raw.formula_no_value]:
        flagged.setdefault(r0, set()).add(c0)
    for r in range(1, len(raw.rows)):
        cells = raw.rows[r]
        n = len(cells)
        flags = flagged.get(r)
        if _blank_row(cells) and not (flags and any(0 <= c < n for c in flags)):
            continue
        rownum = r + 1
        values: dict[str, object] = {}
        found: dict[str, object] = {}
        for name, c, label, memo, parse_text, parse_native in cols:
            if c is None:
                values[name] = None
                continue
            cell = cells[c] if c < n else None
            if flags is not None and c in flags:  # an error value or a formula without a value
                found[name] = _found(cell)
                values[name] = None
                if (r, c) in raw.errors:
                    err = found[name] = raw.errors[(r, c)]
                    hits.add(
                        "F4",
                        ERROR,
                        sheet,
                        rownum,
                        label,
                        err,
                        f"“{label}”为错误值 {err}；请修正公式或填写数值",
                        f"{col_letter(c)}{rownum}",
                    )
                else:
                    hits.add(
                        "F4",
                        ERROR,
                        sheet,
                        rownum,
                        label,
                        None,
                        f"“{label}”是没有计算结果的公式；请在 Excel 中打开、计算并保存，或直接填写数值",
                        f"{col_letter(c)}{rownum}",
                    )
                continue
            kind = type(cell)
            if kind is str or kind is float and (cell or str(cell) == "0.0"):  # not -0.0: see above
                if memo is None:
                    fv, value, problem = _parse_found(cell, parse_text, parse_native)
                else:
                    res = memo.get(cell)
                    if res is None:
                        res = memo[cell] = _parse_found(cell, parse_text, parse_native)
                    fv, value, problem = res
            elif cell is None:
                found[name] = values[name] = None
                continue
            else:
                fv = _found(cell)
                value, problem = parse_native(cell)
            found[name] = fv
            if problem is not None:
                hits.add(
                    "F4",
                    ERROR,
                    sheet,
                    rownum,
                    label,
                    fv,
                    f"“{label}”的值“{fv}”{problem}"
                    if problem.startswith(RANGE_PROBLEM)
                    else f"“{label}”的值“{fv}”无法识别：{problem}",
                    f"{col_letter(c)}{rownum}",
                )
                value = None
            values[name] = value
        if form.single_row:
            ck.cover = values
            ck.cover_row = rownum
            ck.cover_found = found
            return
        sd.found[rownum] = found
        sd.rows.append(ParsedRow(sheet=sheet, source_row=rownum, values=values))


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
    if form_key == "trainings" and f.name == "organizer_code":
        return values.get("organizer_level") == COMMUNITY_LEVEL
    return False  # other COND / OPTIONAL fields: their rules (R3, R5, R12, R15, F6) decide


def _may_be_required(f: forms.Field, q4: bool, form_key: str) -> bool:
    """False only where :func:`required_now` is False for every row."""
    return (
        f.required == REQ
        or (f.required == ANNUAL and q4)
        or (form_key == "attendance" and f.name in ("party_org_code", "uscc"))
        or (form_key == "trainings" and f.name == "organizer_code")
    )


def check_required(ck: Checker, sd: SheetData) -> None:
    form = sd.form
    # fields whose column is present (a missing column is F2, not a blank cell) and that required_now can
    # answer True for in this return (the others are never required, whatever the row holds)
    fields = [
        (f, f.name, sd.col_of[f.name])
        for f in form.fields
        if f.name in sd.col_of and _may_be_required(f, ck.q4, form.key)
    ]
    no_value = sd.raw.formula_no_value
    for row in sd.rows:
        v = row.values
        found = sd.found[row.source_row]
        for f, name, col in fields:
            if v.get(name) is not None or found.get(name) is not None:
                continue  # present, or present but unparseable (F4 already)
            if no_value and (row.source_row - 1, col) in no_value:
                continue
            if required_now(f, v, ck.q4, form.key):
                why = ""
                if f.required == ANNUAL:
                    why = "（[年] 第四季度报表必填"
                    why += (
                        "，单独建立党组织的非公有制企业）" if f.name in ("payroll_prev_year", "party_funds") else "）"
                    )
                elif form.key == "attendance" and f.name == "party_org_code":
                    why = f"（参训身份为{v.get('role')}时必填）"
                elif form.key == "attendance" and f.name == "uscc":
                    why = "（参训身份为出资人时必填）"
                elif form.key == "trainings" and f.name == "organizer_code":
                    why = "（主办层级为社区党总支时必填：主办社区的12位统计用区划代码）"
                ck.hits.add(
                    "F4",
                    ERROR,
                    form.sheet,
                    row.source_row,
                    f.label,
                    None,
                    f"“{f.label}”不能为空{why}",
                    sd.cell(f.name, row.source_row),
                )


# ------------------------------------------------------------------------------------------------
# Entry point: prepare (the file alone) + finish (with the warehouse context)
# ------------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    """What :func:`prepare_file` learns from the file alone; picklable, so a worker process can make it.

    ``segments`` are the hits of each context-free step in the order validation records them: ``"pre"``
    (zip members, sheets and columns, the cover's cells) and one per data form (its cells).  ``finish``
    replays them through one :class:`Hits` interleaved with the context-dependent steps, so the result is
    identical to doing everything in one pass.  ``failure``: the F1 hit when the file could not be read.
    """

    result: ValidationResult
    segments: list[tuple[str, Hits]] = field(default_factory=list)
    sheets: dict[str, SheetData] = field(default_factory=dict)
    cover: dict[str, object] | None = None
    cover_row: int | None = None
    cover_found: dict[str, object] = field(default_factory=dict)
    failure: RuleHit | None = None


def _f1(message: str) -> RuleHit:
    return RuleHit("F1", ERROR, None, None, None, None, f"[F1] {message}", None)


def prepare_file(path: Path, original_name: str | None = None, max_rows: int = 200_000, cap: int = 200) -> Prepared:
    """Read and parse one file without any context: F1 (open), F7/F2 (sheets, columns), F4 (cells)."""
    path = Path(path)
    result = ValidationResult(path=path, sha256="", size=0, original_name=original_name or path.name)
    prep = Prepared(result=result)
    ck = Checker(ValidationContext.offline(max_hits_per_rule_sheet=cap, max_rows_per_sheet=max_rows))
    reading = True
    try:
        size = path.stat().st_size
        result.size = size
        if size > MAX_FILE_BYTES:
            result.sha256 = file_sha256(path)[0]  # hashed in chunks, never held whole
            raise FileRejected(
                f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB），拒收"
            )
        data = path.read_bytes()
        result.size = len(data)
        result.sha256 = bytes_sha256(data)
        book = open_file(data, max_rows)
        del data
        result.format = book.format
        for name in book.ignored_members:
            ck.hits.add("F7", WARNING, name, None, None, None, f"压缩包内的文件“{name}”不是 .csv 工作表，已忽略")
        reading = False
        match_sheets(ck, book.sheets)
        parse_sheet(ck, ck.sheets["cover"])
        prep.segments.append(("pre", ck.hits))
        for form in forms.DATA_FORMS:
            ck.hits = Hits(cap)
            parse_sheet(ck, ck.sheets[form.key])
            prep.segments.append((form.key, ck.hits))
        for sd in ck.sheets.values():  # the cells are parsed: keep only what the rules still read
            if sd.raw is not None:
                sd.raw.rows = []
        prep.sheets = ck.sheets
        prep.cover, prep.cover_row, prep.cover_found = ck.cover, ck.cover_row, ck.cover_found
    except FileRejected as exc:
        prep.failure = _f1(str(exc))
    except MemoryError:
        from liangxin import workers

        prep.failure = _f1(_memory_message(workers.ceiling_mb()))
    except RecursionError as exc:
        prep.failure = _f1(f"文件过于复杂，无法在限定资源内读取（{type(exc).__name__}），拒收")
    except Exception as exc:  # noqa: BLE001 - rule F1: never a traceback for the submitter
        log.exception("unexpected error while validating %s", path)
        if reading:
            prep.failure = _f1(f"文件无法读取（{type(exc).__name__}）；请使用规定模板另存为 .xlsx 后重新报送")
        else:
            prep.failure = _f1(
                f"文件已读取，但审核过程中发生内部错误（{type(exc).__name__}）；请联系区委组织部统计人员处理"
            )
    if prep.failure is not None:
        prep.segments, prep.sheets, prep.cover = [], {}, None
    return prep


def _memory_message(memory_mb: int) -> str:
    return f"读取文件所需内存超过上限（{memory_mb} MB），疑似恶意或异常文件，拒收；请用 Excel 重新保存为 .xlsx 后报送"


# --------------------------------------------------------------------------------------------------
# The bounded reader: prepare_file in a child process under the memory ceiling
# --------------------------------------------------------------------------------------------------
_READER: tuple[int, int, object] | None = None  # (pid of the owner, its ceiling in MB, ProcessPoolExecutor)


def _reader_pool(memory_mb: int = READ_MEMORY_MB):
    global _READER
    if _READER is not None and _READER[0] == os.getpid() and _READER[1] != memory_mb:
        shutdown_reader()  # another ceiling: a new reader
    if _READER is None or _READER[0] != os.getpid():  # a forked child never uses its parent's pool
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from liangxin.workers import reader_init

        pool = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), initializer=reader_init, initargs=(memory_mb,)
        )
        _READER = (os.getpid(), memory_mb, pool)
    return _READER[2]


def shutdown_reader() -> None:
    """Stop the bounded reader process of this process (started again on demand)."""
    global _READER
    if _READER is not None and _READER[0] == os.getpid():
        _READER[2].shutdown(wait=True, cancel_futures=True)
    _READER = None


def prepare_file_bounded(
    path: Path,
    original_name: str | None = None,
    max_rows: int = 200_000,
    cap: int = 200,
    *,
    memory_mb: int = READ_MEMORY_MB,
    sandbox: bool = True,
) -> Prepared:
    """:func:`prepare_file` in a reader process under the memory ceiling (:mod:`liangxin.workers`).

    The ingesting process holds the warehouse connection and the writer lock, so it never runs the cell
    reader itself: a file that passes every check of :mod:`~liangxin.validate.reader` and still exhausts
    memory (Python ``MemoryError``: an F1 in the reader; an allocation failure in the Rust cell reader:
    the reader process ends) is an F1 rejection naming the limit, and the next file is read by a fresh
    reader.  Inside a process that already reads under the ceiling (a batch worker), or without ``sandbox``
    (``LIANGXIN_READ_SANDBOX=0``), or where no process can be started, it is :func:`prepare_file` itself.
    ``memory_mb``: the ceiling (``Settings.read_memory_mb``).
    """
    from concurrent.futures.process import BrokenProcessPool

    from liangxin import workers

    if workers.memory_limited() or not sandbox:
        return prepare_file(path, original_name, max_rows, cap)
    try:
        pool = _reader_pool(memory_mb)
        return pool.submit(prepare_file, path, original_name, max_rows, cap).result()
    except BrokenProcessPool:
        shutdown_reader()
        log.warning("读取进程在读取 %s 时异常终止，按超出内存上限退回", original_name or Path(path).name)
        return _died(Path(path), original_name, memory_mb)
    except (OSError, RuntimeError) as exc:  # no process can be started here
        log.warning("无法启动受限读取进程（%s），在本进程读取", exc)
        shutdown_reader()
        return prepare_file(path, original_name, max_rows, cap)


def _died(path: Path, original_name: str | None, memory_mb: int = READ_MEMORY_MB) -> Prepared:
    """The F1 rejection of a file whose reading process died (only the ceiling ends it)."""
    result = ValidationResult(path=path, sha256="", size=0, original_name=original_name or path.name)
    try:
        result.sha256, result.size = file_sha256(path)
    except OSError:  # pragma: no cover - the archived copy vanished
        pass
    return Prepared(result=result, failure=_f1(_memory_message(memory_mb)))


def finish_validation(prep: Prepared, ctx: ValidationContext) -> ValidationResult:
    """The context-dependent steps (cover F3/F6/P4, required cells, I/R/X/P rules) on a prepared file."""
    from liangxin.validate import rules

    result = prep.result
    ck = Checker(ctx)
    if prep.failure is not None:
        ck.hits.hits.append(prep.failure)
    else:
        segments = dict(prep.segments)
        ck.sheets, ck.cover, ck.cover_row, ck.cover_found = prep.sheets, prep.cover, prep.cover_row, prep.cover_found
        try:
            ck.version = template_version_of(ck.cover, ctx)
            ck.hits.absorb(_without_version_hits(segments["pre"], ck, "F2"))
            rules.check_cover(ck)
            ignore_later_columns(ck)
            for form in forms.DATA_FORMS:
                ck.hits.absorb(_without_version_hits(segments[form.key], ck, "F4"))
                sd = ck.sheets[form.key]
                if sd.present:
                    check_required(ck, sd)
            rules.run_all(ck)
        except (MemoryError, RecursionError) as exc:
            ck.hits = Hits(ctx.max_hits_per_rule_sheet)
            ck.hits.add(
                "F1", ERROR, None, None, None, None, f"文件过于复杂，无法在限定资源内读取（{type(exc).__name__}），拒收"
            )
            ck.cover, ck.sheets = None, {}
        except Exception as exc:  # noqa: BLE001 - rule F1: never a traceback for the submitter
            log.exception("unexpected error while validating %s", result.path)
            ck.hits = Hits(ctx.max_hits_per_rule_sheet)
            ck.hits.add(
                "F1",
                ERROR,
                None,
                None,
                None,
                None,
                f"文件已读取，但审核过程中发生内部错误（{type(exc).__name__}）；请联系区委组织部统计人员处理",
            )
            ck.cover, ck.sheets = None, {}
    result.hits = ck.hits.finish()
    result.backfill = bool(ctx.backfill)
    result.cover = ck.cover
    if ck.cover:
        result.unit_code = ck.cover.get("unit_code")
        result.unit_name = ck.cover.get("unit_name")
        result.period = ck.cover.get("period")
        result.correction_no = ck.cover.get("correction_no")
    result.rows = {form.key: ck.sheets[form.key].rows for form in forms.DATA_FORMS if form.key in ck.sheets}
    return result


# ------------------------------------------------------------------------------------------------
# Template versions (returns.md §1): a return is audited against the version its cover names
# ------------------------------------------------------------------------------------------------
def template_version_of(cover: dict[str, object] | None, ctx: ValidationContext) -> str | None:
    """The template version whose columns the return must have (D70).

    The cover's version when it is known; otherwise (blank or unknown: F3 rejects the return) the version
    in force for the cover's period, so that an unknown version is one F3 and not also a list of F2 for the
    columns of some other version; ``None`` when neither is known (then only the columns every version has
    are required, see :func:`_lacking`).
    """
    if not cover:
        return None
    tv = cover.get("template_version")
    if tv is not None and tv in ctx.get_template_versions() and tv in seeds.template_versions():
        return tv
    period = cover.get("period")
    if period is not None:
        try:
            return seeds.template_version_for(str(period))
        except ValueError:
            return None
    return None


def _lacking(ck: Checker) -> list[tuple[SheetData, forms.Field]]:
    """(sheet, field) of every field of a present sheet that the return's template version does not have;
    with no version known (no usable cover) every field some version adds: only the columns every version
    has are then required."""
    out = []
    for form in forms.DATA_FORMS:
        sd = ck.sheets.get(form.key)
        if sd is None or not sd.present:
            continue
        out += [
            (sd, f)
            for f in form.fields
            if f.since is not None and (ck.version is None or not forms.version_has(f, ck.version))
        ]
    return out


def _without_version_hits(segment: Hits, ck: Checker, rule: str) -> Hits:
    """``segment`` without the hits on columns the return's version does not have: F2 "missing column"
    (``rule`` F2, header row, no value) or F4 cell problems (``rule`` F4) of such a column."""
    drop = {(sd.form.sheet, f.label) for sd, f in _lacking(ck)}
    if not drop:
        return segment
    out = Hits(segment.cap)
    out.hits = [
        h
        for h in segment.hits
        if not (
            h.rule_id == rule and (h.sheet, h.column) in drop and (rule != "F2" or (h.row == 1 and h.value is None))
        )
    ]
    out._count, out._over = Counter(), segment._over
    return out


def ignore_later_columns(ck: Checker) -> None:
    """A column of a later template version in an older workbook is an unknown extra column (F7): warned,
    never loaded (its values become NULL: the field is "not collected" for this return)."""
    if ck.version is None:  # no cover to tell the version: F3 rejects the return, nothing to ignore
        return
    for sd, f in _lacking(ck):
        col = sd.col_of.pop(f.name, None)
        if col is None:
            continue
        ck.hits.add(
            "F7",
            WARNING,
            sd.form.sheet,
            1,
            f.label,
            f.label,
            f"表头“{f.label}”是模板版本 {f.since} 起的栏目，本报表封面的模板版本 {ck.version} 没有此栏目，"
            "该列已忽略（不入库）",
            f"{col_letter(col)}1",
        )
        for row in sd.rows:
            row.values[f.name] = None
            found = sd.found.get(row.source_row)
            if found is not None:
                found[f.name] = None


def validate_file(path: Path, ctx: ValidationContext, original_name: str | None = None) -> ValidationResult:
    """Validate one submitted file.  Never raises for a bad file: problems become rule hits."""
    prep = prepare_file(path, original_name, ctx.max_rows_per_sheet, ctx.max_hits_per_rule_sheet)
    return finish_validation(prep, ctx)
