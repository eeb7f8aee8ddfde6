"""Blank return templates (两新组织党建工作季报 空白模板), derived from :mod:`liangxin.forms`.

One workbook per community and quarter: the sheets of ``forms.FORMS`` in order, with the columns of the
template version in force for the quarter (``forms.fields_for``), header row 1, the cover
pre-filled (unit, period, template version, correction 0), Excel data validation on every typed column
(drop-down lists for codes and booleans, number / date / text-length checks) with Chinese prompts and
error messages, and text format on the columns whose leading zeros matter.  No other sheet is added
(the validator warns about unknown sheets, rule F7).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation

from liangxin import forms
from liangxin import seeds
from liangxin.workbooks import save_openpyxl
from liangxin.periods import parse_period

DATA_LAST_ROW = 5000  # validations and formats cover rows 2..DATA_LAST_ROW of the data sheets
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
AUTHOR = "liangxin"

HEADER_FONT = Font(bold=True, color="1F1F1F")
HEADER_FILL = PatternFill("solid", start_color="FCE4D6", end_color="FCE4D6")
HEADER_ANNUAL_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")  # [年] columns
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="A6A6A6")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

TYPE_ZH = {
    forms.TEXT: "文本",
    forms.INT: "非负整数",
    forms.MONEY: "金额（元，保留2位小数，≥0）",
    forms.NUMBER: "数值（>0）",
    forms.DATE: "日期（如 2020-03-31）",
    forms.BOOL: "是/否",
    forms.CODE: "代码（从下拉列表选择）",
}
REQUIRED_ZH = {
    forms.REQ: "必填",
    forms.ANNUAL: "[年] 第四季度报表必填（一至三季度可空）",
    forms.COND: "条件必填（见上方说明）",
    forms.OPTIONAL: "可空（留空有特定含义，见上方说明）",
}


class TemplateError(ValueError):
    """Bad template request (unknown unit, malformed period, no template version); message is bilingual.

    A plain ``ValueError``; ``option`` names the command-line option at fault (``--unit`` / ``--period``), which the
    command line (``liangxin.cli.template``) reports as ``typer.BadParameter`` ("Invalid value for --unit: …",
    exit code 2).
    """

    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.option = param


def display_width(text: str) -> int:
    """Column width in Excel character units: CJK (wide / full-width) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def exact_length(field: forms.Field) -> int | None:
    """The exact text length enforced on the template: 18 for USCC and citizen IDs, 12 for unit codes."""
    if field.type != forms.TEXT:
        return None
    if field.max_len == 18 or field.name == "uscc" or field.pii == forms.PII_ID:
        return 18
    if field.name in ("unit_code", "organizer_code"):  # 12-digit 统计用区划代码
        return 12
    return None


def column_width(field: forms.Field) -> float:
    """Width from the header (wrapped to at most two lines) and from the widest expected content."""
    header = display_width(field.label)
    width = header + 2 if header <= 16 else (header + 1) / 2 + 2  # long headers wrap onto two lines
    content = {forms.DATE: 12, forms.MONEY: 14, forms.INT: 8, forms.NUMBER: 8, forms.BOOL: 6}.get(field.type, 10)
    if field.type == forms.CODE and field.code_list:
        content = max(display_width(v) for v in forms.code_values(field.code_list)) + 4  # + drop-down arrow
    n = exact_length(field) or field.max_len
    if n:
        content = max(content, n + 2)
    if field.type == forms.TEXT and field.name.endswith(("_name", "_org", "organizer", "reason", "note")):
        content = max(content, 24)
    return float(min(max(width, content, 8), 40))


def is_text_formatted(field: forms.Field) -> bool:
    """Text and code columns get the text number format so that leading zeros survive."""
    return field.type in (forms.TEXT, forms.CODE)


def header_comment(field: forms.Field) -> str:
    lines = [f"{field.label}（{field.name}）"]
    if field.rule:
        lines.append(field.rule)
    lines.append(f"类型：{TYPE_ZH[field.type]}")
    if field.type == forms.CODE and field.code_list:
        lines.append("可选值：" + "、".join(forms.code_values(field.code_list)))
    n = exact_length(field)
    if n:
        lines.append(f"长度：{n}位")
    elif field.max_len:
        lines.append(f"长度：不超过{field.max_len}位")
    lines.append(f"填报要求：{REQUIRED_ZH[field.required]}")
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def data_validation(field: forms.Field) -> DataValidation | None:
    """The Excel validation for one column (None for free text)."""
    title = _clip(field.label, 32)  # Excel limits titles to 32 characters, texts to 255
    prompt = _clip(field.rule or TYPE_ZH[field.type], 255)
    kw = dict(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle=title,
        prompt=prompt,
        errorTitle=_clip(f"{field.label}：输入无效", 32),
        errorStyle="stop",
    )
    if field.type == forms.CODE:
        values = forms.code_values(field.code_list)
        formula = '"' + ",".join(values) + '"'
        if len(formula) > 257:  # Excel: inline list ≤ 255 characters
            raise ValueError(f"code list {field.code_list} too long for an inline drop-down")
        return DataValidation(
            type="list", formula1=formula, error=_clip("请从下拉列表中选择：" + "、".join(values), 255), **kw
        )
    if field.type == forms.BOOL:
        return DataValidation(
            type="list", formula1='"' + ",".join(forms.BOOL_DISPLAY) + '"', error="请从下拉列表中选择“是”或“否”。", **kw
        )
    if field.type == forms.INT:
        return DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", error="请填写大于或等于0的整数。", **kw
        )
    if field.type == forms.MONEY:
        return DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            error="请填写大于或等于0的金额（元，最多2位小数）。",
            **kw,
        )
    if field.type == forms.NUMBER:
        return DataValidation(type="decimal", operator="greaterThan", formula1="0", error="请填写大于0的数值。", **kw)
    if field.type == forms.DATE:
        return DataValidation(
            type="date",
            operator="between",
            formula1=str(int(to_excel(DATE_MIN))),
            formula2=str(int(to_excel(DATE_MAX))),
            error="请填写日期，格式如 2020-03-31。",
            **kw,
        )
    n = exact_length(field)
    if n:
        return DataValidation(
            type="textLength",
            operator="equal",
            formula1=str(n),
            error=f"请填写{n}位代码（文本格式，不要丢失开头的0）。",
            **kw,
        )
    if field.max_len:
        return DataValidation(
            type="textLength",
            operator="between",
            formula1="1",
            formula2=str(field.max_len),
            error=f"长度应为1–{field.max_len}位。",
            **kw,
        )
    return None


def check_request(unit_code: str, period: str, register_csv: Path | None = None) -> dict[str, str]:
    """Validate the unit code and the period (``register_csv``: the extra register, ``LIANGXIN_REGISTER``);
    returns the register row. Raises TemplateError."""
    register = seeds.community_by_code(register_csv)
    unit_code = (unit_code or "").strip()
    if unit_code not in register:
        raise TemplateError(
            f"填报单位编码 {unit_code!r} 不在单位名册中（seeds/communities.csv）/ "
            f"unknown unit code {unit_code!r}: not in the unit register",
            "--unit",
        )
    try:
        parse_period(period)
    except ValueError:
        raise TemplateError(
            f"报告期 {period!r} 格式错误，应为 YYYYQn（如 2020Q3）/ "
            f"bad period {period!r}: expected YYYYQn, e.g. 2020Q3",
            "--period",
        ) from None
    try:
        seeds.template_version_for(period)
    except ValueError:
        raise TemplateError(
            f"报告期 {period!r} 没有适用的模板版本（seeds/template_versions.csv）/ "
            f"no template version covers period {period!r}",
            "--period",
        ) from None
    return register[unit_code]


def _write_sheet(
    ws, form: forms.Form, last_row: int, values: dict[str, object] | None = None, version: str | None = None
) -> None:
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 36
    for col, field in enumerate(forms.fields_for(form, version), start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=field.label)
        cell.font = HEADER_FONT
        cell.fill = HEADER_ANNUAL_FILL if field.is_annual else HEADER_FILL
        cell.alignment = HEADER_ALIGN
        cell.border = HEADER_BORDER
        text = header_comment(field)
        comment = Comment(text, AUTHOR)
        comment.width = 320
        comment.height = 40 + 20 * (text.count("\n") + 1 + len(text) // 24)
        cell.comment = comment

        dim = ws.column_dimensions[letter]
        dim.width = column_width(field)
        if is_text_formatted(field):
            dim.number_format = TEXT_FORMAT
        elif field.type == forms.DATE:
            dim.number_format = DATE_FORMAT
        elif field.type == forms.MONEY:
            dim.number_format = "0.00"

        dv = data_validation(field)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.add_data_validation(dv)

        if values is not None:
            c = ws.cell(row=2, column=col)
            if is_text_formatted(field):
                c.number_format = TEXT_FORMAT
            elif field.type == forms.DATE:
                c.number_format = DATE_FORMAT
            v = values.get(field.name)
            if v is not None:
                c.value = v


def build_template(
    unit_code: str, period: str, unit_name: str | None = None, register_csv: Path | None = None
) -> Workbook:
    """The template workbook in memory (see :func:`write_template`)."""
    row = check_request(unit_code, period, register_csv)
    unit_code = unit_code.strip()
    cover_values = {
        "unit_code": unit_code,
        "unit_name": unit_name if unit_name is not None else row["unit_name"],
        "period": period,
        "template_version": seeds.template_version_for(period),
        "correction_no": 0,
    }
    version = cover_values["template_version"]  # its columns only (returns.md §1)
    wb = Workbook()
    for i, form in enumerate(forms.FORMS):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = form.sheet
        if form.single_row:
            _write_sheet(ws, form, 2, cover_values, version)
        else:
            _write_sheet(ws, form, DATA_LAST_ROW, version=version)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
    wb.active = 0
    wb.properties.title = f"两新组织党建工作季报 {cover_values['unit_name']} {period}"
    wb.properties.creator = AUTHOR
    wb.properties.keywords = cover_values["template_version"]
    return wb


def write_template(
    unit_code: str, period: str, path: Path, unit_name: str | None = None, register_csv: Path | None = None
) -> Path:
    """Write the blank return workbook for one community and quarter to ``path`` (.xlsx); returns the path.

    Raises :class:`TemplateError` (a ``ValueError``) for an unknown unit code, a malformed period or a
    period no template version covers.
    """
    wb = build_template(unit_code, period, unit_name, register_csv)
    return save_openpyxl(wb, Path(path))
