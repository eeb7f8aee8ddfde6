"""Chinese receipt / rejection reports (审核回执 / 退回通知) for one submission, as .xlsx and .html.

Written to ``<outbox>/<rejected|accepted>/<unit_code>_<period>_<sha256[:8]>.xlsx|.html``.  Everything that
comes from the submitted file (values, unit name, file name, unknown sheet or column names) is untrusted:
in the workbook any text starting with ``= + - @``, TAB or CR is stored as a string with a leading
apostrophe (never a formula), and in the HTML (Jinja2 template ``templates/receipt.html.j2``, autoescape on)
everything is escaped (``liangxin.neutral``).  ID-shaped
strings in any of them are replaced (``scrub_ids``): a report may be mailed, and raw IDs never leave the archive.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from liangxin import forms, templating
from liangxin.workbooks import atomic_output, xlsxwriter_workbook
from liangxin.neutral import FORMULA_PREFIXES, MAX_TEXT, clean_text, html_text, neutralise, scrub_ids  # noqa: F401 (re-exported)
from liangxin.validate.result import (
    ERROR,
    OUTCOME_ZH,
    REJECTED,
    SEVERITY_ZH,
    WARNING,
    RuleHit,
    ValidationResult,
)

TITLE_ACCEPTED = "两新组织党建工作季报 审核回执"
TITLE_REJECTED = "两新组织党建工作季报 退回通知"
UNKNOWN_UNIT = "未知单位"
UNKNOWN_PERIOD = "未知报告期"
FILE_LEVEL = "（整个文件）"
NO_PROBLEMS = "未发现问题"

HIT_COLUMNS = ("序号", "规则编号", "严重程度", "工作表", "行", "列", "单元格", "填报值", "说明")
HIT_WIDTHS = (6, 9, 9, 22, 7, 22, 9, 28, 70)

_SHEET_ORDER = {f.sheet: i for i, f in enumerate(forms.FORMS)}
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff-]")


def safe_name_part(value: str | None, fallback: str) -> str:
    """A file-name component from a submitted value: letters, digits, CJK and '-' only, at most 40 chars."""
    s = _UNSAFE_NAME.sub("_", (value or "").strip())[:40].strip("_")
    return s or fallback


def report_stem(result: ValidationResult) -> str:
    return (
        f"{safe_name_part(result.unit_code, UNKNOWN_UNIT)}_{safe_name_part(result.period, UNKNOWN_PERIOD)}_"
        f"{(result.sha256 or '')[:8] or '00000000'}"
    )


# --------------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------------
def _column_index(sheet: str | None, column: str | None) -> int:
    form = forms.FORMS_BY_SHEET.get(sheet or "")
    if form is None or column is None:
        return -1 if column is None else 10_000
    labels = [forms.normalise_header(h) for h in form.headers]
    key = forms.normalise_header(column)
    return labels.index(key) if key in labels else 10_000


def sort_key(hit: RuleHit) -> tuple:
    """File-level hits first, then sheets in forms.FORMS order (unknown sheets last), then row and column."""
    if hit.sheet is None:
        group = -1
    else:
        group = _SHEET_ORDER.get(hit.sheet, len(forms.FORMS))
    return (group, hit.sheet or "", hit.row or 0, _column_index(hit.sheet, hit.column))


def sorted_hits(result: ValidationResult) -> list[RuleHit]:
    return sorted(result.hits, key=sort_key)  # stable: equal keys keep the validator's order


def grouped_hits(result: ValidationResult) -> list[tuple[str, list[RuleHit]]]:
    groups: list[tuple[str, list[RuleHit]]] = []
    for hit in sorted_hits(result):
        label = scrub_ids(hit.sheet) if hit.sheet is not None else FILE_LEVEL
        if groups and groups[-1][0] == label:
            groups[-1][1].append(hit)
        else:
            groups.append((label, [hit]))
    return groups


def _format_time(t: dt.datetime) -> str:
    s = t.strftime("%Y-%m-%d %H:%M:%S")
    off = t.utcoffset()
    if off is not None:
        minutes = int(off.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        s += f"（UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}）"
    return s


def summary_rows(result: ValidationResult, received_at: dt.datetime) -> list[tuple[str, str | None]]:
    """(label, raw text) pairs of the report head; texts from the file are NOT yet neutralised."""
    unit = " ".join(x for x in (result.unit_code, result.unit_name) if x) or UNKNOWN_UNIT
    errors, warnings = len(result.errors), len(result.warnings)
    return [
        ("文件名", scrub_ids(result.original_name or Path(result.path).name)),
        ("SHA-256", result.sha256),
        ("接收时间", _format_time(received_at)),
        ("填报单位", scrub_ids(unit)),
        ("报告期", scrub_ids(result.period or UNKNOWN_PERIOD)),
        ("更正序号", "" if result.correction_no is None else str(result.correction_no)),
        *([("报送方式", "历史补录（按报出日期判断是否逾期）")] if getattr(result, "backfill", False) else []),
        ("审核结论", OUTCOME_ZH.get(result.outcome, result.outcome)),
        ("错误数", f"{errors} 条"),
        ("警告数", f"{warnings} 条"),
    ]


def guidance(result: ValidationResult) -> str:
    if result.outcome == REJECTED:
        corr = "未填" if result.correction_no is None else result.correction_no  # which 更正序号 was rejected
        return (
            f"本次报送（报告期 {result.period or UNKNOWN_PERIOD}，更正序号 {corr}）存在 {len(result.errors)} 条错误，"
            "已退回，数据未入库。"
            "请按下列清单逐项修改后重新报送；警告事项请一并核实。"
        )
    if result.hits:
        return f"本次报送已接收，另有 {len(result.warnings)} 条警告，请核实；如确有差错，请以更正报送（更正序号加1）。"
    return f"本次报送已接收，{NO_PROBLEMS}。"


def _hit_cells(i: int, hit: RuleHit) -> list[object]:
    return [
        i,
        hit.rule_id,
        SEVERITY_ZH.get(hit.severity, hit.severity),
        scrub_ids(hit.sheet) if hit.sheet is not None else FILE_LEVEL,
        hit.row,
        scrub_ids(hit.column),
        hit.cell,
        scrub_ids(hit.value),
        scrub_ids(hit.message),
    ]


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------
def remove_stale_parts(outbox_dir: Path) -> int:
    """Delete the temp files (``.*.part``) a killed run left in the outbox; call it holding the writer lock
    (ingestion does, each time it takes the lock) and before any report of this run is being written."""
    n = 0
    for sub in ("accepted", "rejected"):
        folder = Path(outbox_dir) / sub
        if not folder.is_dir():
            continue
        with os.scandir(folder) as it:
            for e in it:
                if e.name.startswith(".") and e.name.endswith(".part"):
                    Path(e.path).unlink(missing_ok=True)
                    n += 1
    return n


def _write_xlsx(result: ValidationResult, received_at: dt.datetime, path: Path) -> None:
    title = TITLE_REJECTED if result.outcome == REJECTED else TITLE_ACCEPTED
    with atomic_output(path) as tmp:
        wb = xlsxwriter_workbook(tmp, in_memory=True)
        wb.set_properties({"title": title, "author": "liangxin", "comments": result.sha256 or ""})
        ws = wb.add_worksheet("审核结果")
        f_title = wb.add_format({"bold": True, "font_size": 16, "align": "left", "valign": "vcenter"})
        f_label = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "valign": "top"})
        f_value = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        f_outcome = wb.add_format(
            {
                "border": 1,
                "bold": True,
                "valign": "top",
                "font_color": "#C00000" if result.outcome == REJECTED else "#006100",
            }
        )
        f_head = wb.add_format(
            {
                "bold": True,
                "bg_color": "#FCE4D6",
                "border": 1,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
            }
        )
        f_cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        f_error = wb.add_format({"border": 1, "valign": "top", "font_color": "#C00000", "bold": True})
        f_warn = wb.add_format({"border": 1, "valign": "top", "font_color": "#9C5700"})
        f_note = wb.add_format({"italic": True, "text_wrap": True})

        def text(r: int, c: int, value: object, fmt) -> None:
            s = neutralise(value)
            if s is None or s == "":
                ws.write_blank(r, c, None, fmt)
            else:
                ws.write_string(r, c, s, fmt)  # always a string cell, never a formula

        last_col = len(HIT_COLUMNS) - 1
        ws.set_row(0, 28)
        ws.merge_range(0, 0, 0, last_col, title, f_title)
        r = 1
        for label, value in summary_rows(result, received_at):
            ws.merge_range(r, 0, r, 2, "", f_label)
            ws.write_string(r, 0, label, f_label)
            ws.merge_range(r, 3, r, last_col, "", f_value)
            text(r, 3, value, f_outcome if label == "审核结论" else f_value)
            r += 1
        ws.merge_range(r, 0, r, last_col, "", f_note)
        ws.write_string(r, 0, guidance(result), f_note)
        ws.set_row(r, 30)
        r += 2

        header_row = r
        for c, h in enumerate(HIT_COLUMNS):
            ws.write_string(header_row, c, h, f_head)
        for c, w in enumerate(HIT_WIDTHS):
            ws.set_column(c, c, w)
        r += 1
        hits = sorted_hits(result)
        if not hits:
            ws.merge_range(r, 0, r, last_col, "", f_cell)
            ws.write_string(r, 0, NO_PROBLEMS, f_cell)
            r += 1
        for i, hit in enumerate(hits, start=1):
            cells = _hit_cells(i, hit)
            for c, v in enumerate(cells):
                fmt = f_cell
                if c == 2:
                    fmt = f_error if hit.severity == ERROR else f_warn if hit.severity == WARNING else f_cell
                if isinstance(v, int) and not isinstance(v, bool):
                    ws.write_number(r, c, v, fmt)
                else:
                    text(r, c, v, fmt)
            r += 1
        ws.freeze_panes(header_row + 1, 0)
        ws.autofilter(header_row, 0, max(r - 1, header_row), last_col)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
        wb.close()


def render_html(result: ValidationResult, received_at: dt.datetime) -> str:
    """The HTML report (template ``templates/receipt.html.j2``): the same head and hit table as the workbook."""
    groups, i = [], 0
    for label, hits in grouped_hits(result):
        rows = []
        for hit in hits:
            i += 1
            rows.append((hit, _hit_cells(i, hit)))
        groups.append(
            {
                "label": label,
                "rows": rows,
                "errors": sum(h.severity == ERROR for h in hits),
                "warnings": sum(h.severity == WARNING for h in hits),
            }
        )
    return templating.render(
        "receipt.html.j2",
        title=TITLE_REJECTED if result.outcome == REJECTED else TITLE_ACCEPTED,
        unit=result.unit_code or UNKNOWN_UNIT,
        period=result.period or UNKNOWN_PERIOD,
        summary=summary_rows(result, received_at),
        outcome_label="审核结论",
        outcome_class="outcome-rejected" if result.outcome == REJECTED else "outcome-accepted",
        guidance=guidance(result),
        no_problems=NO_PROBLEMS,
        columns=HIT_COLUMNS,
        groups=groups,
    )


def write_reports(
    result: ValidationResult, outbox_dir: Path, received_at: dt.datetime | None = None
) -> tuple[Path, Path]:
    """Write the receipt (accepted) or rejection notice (rejected) of one submission; returns (xlsx, html).

    ``received_at`` defaults to now (local time, with its UTC offset).
    """
    if received_at is None:
        received_at = dt.datetime.now().astimezone()
    folder = Path(outbox_dir) / ("rejected" if result.outcome == REJECTED else "accepted")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # reports are 0600 (mkstemp), folders 0700
    for f in (folder, folder.parent):
        if f.stat().st_mode & 0o077:
            os.chmod(f, 0o700)
    stem = report_stem(result)
    xlsx_path = folder / f"{stem}.xlsx"
    html_path = folder / f"{stem}.html"
    _write_xlsx(result, received_at, xlsx_path)
    with atomic_output(html_path) as tmp:
        tmp.write_text(render_html(result, received_at), encoding="utf-8")
    return xlsx_path, html_path
