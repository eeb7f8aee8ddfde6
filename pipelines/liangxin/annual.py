"""The annual statistical return workbook (两新组织党建工作统计年报), annual-return.md (revision 2).

The numbers come from the serving snapshot, never recomputed here.  The annual marts (dbt, ``annual`` schema)
hold everything this module lays out:

- ``rpt_annual_verdict``      — one row a year: 可以上报 / 不得上报 with its reasons, the coverage (N of M
  communities with all four quarters), the status (草稿 / 定稿 / 已定稿，有更正待报) and the finalized version;
- ``rpt_annual_rule_results`` — A0–A10 as data (pass/fail, hit count, detail);
- ``rpt_annual_missing``      — the missing (community, quarter) pairs;
- ``rpt_annual_corrections``  — the 更正对照表 (finalized value vs current value and the causing submission);
- ``rpt_annual_cells``        — every published cell of 表一–表九 in long form (``missing`` = 缺报: empty,
  never zero);
- ``rpt_audit`` / ``rpt_audit_open_warnings`` — the year's W-rule hit counts and the warnings still unexplained.

The workbook: 封面 (verdict, reasons, coverage, status, sign-off block), 更正对照表 (when a finalized year was
corrected later), 表一–表九 (表二/表三: the district in the national layout, then every street and community
on one compact sheet), 审核结果.  Every sheet prints on A4 landscape, fit to width, header rows repeated.
Untrusted text (names, sheet names, notes from submissions) goes through ``liangxin.neutral.cell_text`` and the
finished workbook is checked to hold no formula at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from liangxin import contract as lx
from liangxin.neutral import cell_text
from liangxin.serving import connect_readonly
from liangxin.workbooks import save_openpyxl

TABLE_TITLES = {
    1: "表一 党员数量变化情况",
    2: "表二 非公有制企业建立党组织情况",
    3: "表三 社会组织建立党组织情况",
    4: "表四 四个一批发展情况",
    5: "表五 党务干部和出资人培训情况",
    6: "表六 组织生活和民主评议情况",
    7: "表七 流动党员情况",
    8: "表八 经费保障情况",
    9: "表九 两新组织党组织情况",
}
TABLE_UNITS = {
    1: "单位：名",
    2: "单位：个、名",
    3: "单位：个、名",
    4: "单位：名、%",
    5: "单位：名、次、学时、%",
    6: "单位：个、名",
    7: "单位：名、%",
    8: "单位：个、元、%",
    9: "单位：个、名",
}
# 表八's money columns print with two decimals (yuan, returns.md `money`); every other count as #,##0.
MONEY_LABELS = {"上年工资总额", "提取经费", "党费返还", "财政支持", "以奖代补"}
# Percentages: one decimal (0.0%), except 表八's 提取比例 whose targets are 0.5%–2% (two decimals), D115.
FINE_RATIO_LABELS = {"提取比例"}
ROWS_PER_PAGE = 42  # data rows of 12 pt under a two-row header on an A4 landscape page at 100 %
DATA_ROW_HEIGHT = 12.0  # points: 9-point text, so that a district's 70-odd rows print on two pages
COUNT_FORMAT, MONEY_FORMAT, RATIO_FORMAT, FINE_RATIO_FORMAT = "#,##0", "#,##0.00", "0.0%", "0.00%"
DEFAULT_UNIT = "示范区党工委（两新组织党建办）"
DRAFT, FINAL, CORRECTED = "草稿", "定稿", "已定稿，有更正待报"
PASS, FAIL = "可以上报", "不得上报"

FONT_NAME = "宋体"
THIN = Side(style="thin", color="000000")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
MISSING_FILL = PatternFill("solid", fgColor="FFF2CC")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
LEFT_TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


def _font(size: float = 10, bold: bool = False, color: str | None = None) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, color=color)


# ---------------------------------------------------------------------------------------------- sign-off


@dataclasses.dataclass(frozen=True)
class SignOff:
    """The official sign-off block of the cover (annual-return.md): names and date of the finalized version.

    Never filled from today's date: ``report_date`` is None unless the finalizing command gave it."""

    unit: str | None = None  # 填报单位（盖章）
    head: str | None = None  # 单位负责人
    filled_by: str | None = None  # 填表人
    reviewer: str | None = None  # 审核人
    phone: str | None = None  # 联系电话
    report_date: dt.date | None = None  # 报出日期

    LABELS = (
        ("unit", "填报单位（盖章）"),
        ("head", "单位负责人"),
        ("filled_by", "填表人"),
        ("reviewer", "审核人"),
        ("phone", "联系电话"),
        ("report_date", "报出日期"),
    )

    @classmethod
    def from_settings(cls, settings) -> "SignOff":
        """Names from configuration (``Settings.signoff_*``, i.e. ``LIANGXIN_SIGNOFF_*``); the date never (it is
        the finalizing command's)."""
        return cls(
            unit=settings.signoff_unit or None,
            head=settings.signoff_head or None,
            filled_by=settings.signoff_filled_by or None,
            reviewer=settings.signoff_reviewed_by or None,
            phone=settings.signoff_phone or None,
        )

    def merged(self, fallback: "SignOff") -> "SignOff":
        return SignOff(
            **{
                f: getattr(self, f) if getattr(self, f) not in (None, "") else getattr(fallback, f)
                for f, _ in self.LABELS
            }
        )

    def text(self, field: str) -> str:
        v = getattr(self, field)
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            v = v.date()
        if isinstance(v, dt.date):
            return f"{v.year}年{v.month}月{v.day}日"
        return str(v)


def reporting_unit(configured: SignOff | None = None) -> str:
    """The reporting unit: the configured sign-off's (``LIANGXIN_SIGNOFF_UNIT``), else the default."""
    return (configured.unit if configured is not None else None) or DEFAULT_UNIT


# ---------------------------------------------------------------------------------------------- data


def _table(con, name: str) -> str:
    """The quoted fixed name ``schema.table`` (serving contract, ``liangxin.contract``) of a table read here."""
    if not lx.present(con, name):
        raise LookupError(f"服务快照中没有表 {name}（请先运行 liangxin build）/ table {name} not in the snapshot")
    return lx.quoted(name)


def _dicts(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@dataclasses.dataclass
class AnnualData:
    """Everything the workbook and the dashboard page show for one year, read from the annual marts."""

    year: int
    verdict: dict
    rules: list[dict]
    missing: list[dict]
    corrections: list[dict]
    cells: list[dict]
    warning_counts: list[dict]
    open_warnings: list[dict]
    difference_notes: list[dict]

    @property
    def status(self) -> str:
        return self.verdict.get("status") or DRAFT

    @property
    def reasons(self) -> list[str]:
        return _reason_list(self.verdict.get("reasons"))

    def status_text(self) -> str:
        """定稿（第N版） / 已定稿，有更正待报 / 草稿 — the words the cover and the page print."""
        v = self.verdict.get("finalized_version")
        if self.status == FINAL:
            return f"定稿（第{int(v)}版）" if v else FINAL
        return self.status

    def coverage_text(self) -> str:
        n, m = self.verdict.get("communities_complete"), self.verdict.get("communities_expected")
        missing_pairs = len(self.missing)
        text = f"名册 {_int(m)} 个社区中 {_int(n)} 个四个季度报表齐全"
        return text + (f"；缺报 {missing_pairs} 个社区季度（明细见“审核结果”）" if missing_pairs else "；无缺报")


def _int(v) -> str:
    return "—" if v is None else f"{int(v):,}"


def _reason_list(reasons) -> list[str]:
    if reasons is None:
        return []
    if isinstance(reasons, (list, tuple)):
        return [str(r) for r in reasons if r not in (None, "")]
    return [r.strip() for r in str(reasons).replace("；", "\n").splitlines() if r.strip()]


def annual_years(serve_db: Path | None = None, con=None) -> list[int]:
    """Every year the snapshot has an annual return for: every year with any accepted return."""
    own = con is None
    con = con or connect_readonly(serve_db)
    try:
        return [
            int(r[0])
            for r in con.execute(
                f"select distinct year from {_table(con, lx.RPT_ANNUAL_VERDICT)} order by 1"
            ).fetchall()
        ]
    finally:
        if own:
            con.close()


def load_annual(con, year: int) -> AnnualData:
    verdicts = _dicts(con, f"select * from {_table(con, lx.RPT_ANNUAL_VERDICT)} where year = ?", [year])
    if not verdicts:
        raise LookupError(f"{year} 年没有年报数据（该年没有任何已接收的报表）/ no annual return for {year}")
    rules = _dicts(
        con, f"select * from {_table(con, lx.RPT_ANNUAL_RULE_RESULTS)} where year = ? order by rule_id", [year]
    )
    rules.sort(
        key=lambda r: (str(r["rule_id"])[0], int(str(r["rule_id"])[1:]) if str(r["rule_id"])[1:].isdigit() else 99)
    )
    missing = _dicts(
        con,
        f"select unit_code, unit_name, street_name, quarter from {_table(con, lx.RPT_ANNUAL_MISSING)} "
        "where year = ? order by street_name, unit_code, quarter",
        [year],
    )
    corrections = _dicts(
        con,
        f"select * from {_table(con, lx.RPT_ANNUAL_CORRECTIONS)} where year = ? "
        "order by table_no, row_label, col_label",
        [year],
    )
    cells = _dicts(
        con,
        f"select * from {_table(con, lx.RPT_ANNUAL_CELLS)} where year = ? order by table_no, row_order, col_order",
        [year],
    )
    warning_counts = _dicts(
        con,
        f"select rule_id, hit_count from {_table(con, lx.RPT_AUDIT)} "
        "where year = ? and kind = 'warning_hits' order by rule_id",
        [year],
    )
    open_warnings = _dicts(
        con,
        f"select * from {_table(con, lx.RPT_AUDIT_OPEN_WARNINGS)} where year = ? "
        "order by unit_code, period, rule_id, sheet, row_no",
        [year],
    )
    notes = _dicts(
        con,
        f"""select f.unit_code, c.unit_name, f.period, f.party_org_code, f.difference_note
                            from {_table(con, lx.FCT_MEMBER_FLOW)} as f
                            left join {_table(con, lx.DIM_COMMUNITY)} as c on f.unit_code = c.unit_code
                            where f.year = ? and nullif(trim(f.difference_note), '') is not null
                            order by f.unit_code, f.period, f.party_org_code""",
        [year],
    )
    return AnnualData(year, verdicts[0], rules, missing, corrections, cells, warning_counts, open_warnings, notes)


def finalized_signoff(verdict: dict) -> SignOff:
    """The sign-off stored with the latest finalized version (``liangxin annual-return finalize``), as
    ``rpt_annual_verdict`` carries it."""
    return SignOff(
        unit=verdict.get("signoff_unit"),
        head=verdict.get("signoff_head"),
        filled_by=verdict.get("signoff_filled_by"),
        reviewer=verdict.get("signoff_reviewed_by"),
        phone=verdict.get("signoff_phone"),
        report_date=verdict.get("signoff_date"),
    )


# ---------------------------------------------------------------------------------------------- layout helpers


def display_width(text: str) -> int:
    """Width in Excel column units: a CJK character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _text(
    ws,
    row: int,
    col: int,
    value,
    font: Font | None = None,
    align: Alignment | None = None,
    border: Border | None = None,
    fill: PatternFill | None = None,
):
    """Write text through ``cell_text`` (untrusted text never becomes a formula)."""
    cell = ws.cell(row, col)
    cell.value = cell_text(value) if isinstance(value, str) else value
    if isinstance(cell.value, str) and cell.data_type == "f":  # belt and braces: cell_text already prefixed
        cell.data_type = "s"
    cell.font = font or _font()
    if align:
        cell.alignment = align
    if border:
        cell.border = border
    if fill:
        cell.fill = fill
    return cell


def _print_setup(ws, title_rows: str | None, landscape: bool = True, data_rows: int = 0) -> None:
    """A4 landscape, fit to one page wide; a grid of ``data_rows`` rows at most ceil(rows / ROWS_PER_PAGE) pages
    tall (so that a 78-row table prints on two pages, not two and a few rows on a third)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = math.ceil(data_rows / ROWS_PER_PAGE) if data_rows else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.2, footer=0.25)
    ws.oddFooter.center.text = "&A　第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9


def _title_block(ws, title: str, year: int, unit_name: str, unit_text: str, width: int, status: str) -> int:
    """Title (row 1), 填报单位 / 报告期 / 单位 (row 2); returns the first free row."""
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    _text(ws, 1, 1, title, _font(15, True), CENTER)
    ws.row_dimensions[1].height = 28
    left = max(1, width // 2 - 1)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=left)
    _text(ws, 2, 1, f"填报单位：{unit_name}", _font(10), LEFT)
    mid = left + 1
    right_start = max(mid + 1, width - 2)
    if right_start - 1 > mid:
        ws.merge_cells(start_row=2, start_column=mid, end_row=2, end_column=right_start - 1)
    _text(ws, 2, mid, f"报告期：{year}年　　{status}", _font(10), CENTER)
    if width > right_start:
        ws.merge_cells(start_row=2, start_column=right_start, end_row=2, end_column=width)
    _text(ws, 2, right_start, unit_text, _font(10), Alignment(horizontal="right", vertical="center"))
    ws.row_dimensions[2].height = 18
    return 3


def _number_format(label: str, is_ratio: bool, values: list) -> str:
    if is_ratio:
        return FINE_RATIO_FORMAT if label in FINE_RATIO_LABELS else RATIO_FORMAT
    if label in MONEY_LABELS:
        return MONEY_FORMAT
    if all(float(v).is_integer() for v in values if v is not None):
        return COUNT_FORMAT
    return "#,##0.0#"


def _cell_value(value, is_ratio: bool):
    if value is None:
        return None
    f = float(value)
    if is_ratio:
        return f
    return int(f) if f.is_integer() else round(f, 2)


def _grid(
    ws,
    top: int,
    head_label: str,
    columns: list[tuple[str, str]],
    rows: list[dict],
    label_width: float,
    formats: list[str],
) -> int:
    """A bordered grid with one or two header rows; returns the row after the last data row.

    ``columns`` = [(group, label)]; ``rows`` = [{"label", "values", "missing"}] (values None + missing =
    缺报: left empty and shaded; None otherwise = "—", a ratio with denominator 0)."""
    has_groups = any(g for g, _ in columns)
    h1, h2 = top, top + (1 if has_groups else 0)
    _text(ws, h1, 1, head_label)
    if has_groups:
        ws.merge_cells(start_row=h1, start_column=1, end_row=h2, end_column=1)
    j = 0
    while j < len(columns):
        group, label = columns[j]
        k = j
        while group and k + 1 < len(columns) and columns[k + 1][0] == group:
            k += 1
        c0, c1 = j + 2, k + 2
        if group:
            _text(ws, h1, c0, group)
            if c1 > c0:
                ws.merge_cells(start_row=h1, start_column=c0, end_row=h1, end_column=c1)
            for idx in range(j, k + 1):
                _text(ws, h2, idx + 2, columns[idx][1])
        else:
            _text(ws, h1, c0, label)
            if has_groups:
                ws.merge_cells(start_row=h1, start_column=c0, end_row=h2, end_column=c0)
        j = k + 1
    widths = [label_width] + [_column_width(columns[i], rows, i) for i in range(len(columns))]
    for c, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = w
    for r in range(h1, h2 + 1):
        for c in range(1, len(columns) + 2):
            cell = ws.cell(r, c)
            cell.font, cell.alignment, cell.fill, cell.border = _font(9, True), CENTER, HEAD_FILL, GRID
    # header heights: enough lines for the longest wrapped label; a label merged over both header rows
    # (no group) shares their height
    need2 = 1
    need_merged = 1
    for c in range(2, len(columns) + 2):
        group, label = columns[c - 2]
        lines = math.ceil(display_width(label) / max(1.0, widths[c - 1] - 1.5))
        if has_groups and group:
            need2 = max(need2, lines)
        else:
            need_merged = max(need_merged, lines)
    line_h = 11.5
    if has_groups:
        h2_height = line_h * need2 + 4
        h1_height = max(line_h + 4, line_h * need_merged + 6 - h2_height)
        ws.row_dimensions[h1].height = h1_height
        ws.row_dimensions[h2].height = h2_height
    else:
        ws.row_dimensions[h1].height = line_h * need_merged + 6
    r = h2 + 1
    for row in rows:
        bold = row.get("level") in ("district", "street", "category")
        _text(ws, r, 1, row["label"], _font(9, bold), LEFT, GRID)
        for i, value in enumerate(row["values"]):
            cell = ws.cell(r, i + 2)
            cell.border = GRID
            cell.font = _font(9, bold)
            cell.alignment = RIGHT
            if row["missing"][i]:
                cell.value = None  # 缺报: empty, never zero (annual-return.md)
                cell.fill = MISSING_FILL
            elif value is None:
                cell.value = "—"
            else:
                cell.value = value
                cell.number_format = formats[i]
        lines = math.ceil(display_width(row["label"]) / (label_width - 1.5))
        ws.row_dimensions[r].height = DATA_ROW_HEIGHT * lines + (1 if lines > 1 else 0)
        r += 1
    ws.freeze_panes = ws.cell(h2 + 1, 2)
    ws.print_title_rows = f"{h1}:{h2}"
    return r


def _column_width(column: tuple[str, str], rows: list[dict], i: int) -> float:
    longest_number = max(
        (len(f"{v:,.2f}") for row in rows for v in [row["values"][i]] if isinstance(v, (int, float))), default=1
    )
    label = column[1]
    # wrap a header to at most ~4 lines; numbers never cut (a cut number prints as ###)
    return float(max(7, min(13, longest_number + 2), math.ceil(display_width(label) / 4) + 2))


def _footnotes(ws, row: int, notes: list[str], width: int) -> int:
    """Notes under a grid, starting in column B (column A stays empty so readers of the grid stop there)."""
    for note in notes:
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=max(2, width))
        _text(ws, row, 2, note, _font(9), LEFT)
        row += 1
    return row


# ---------------------------------------------------------------------------------------------- sheets


def _table_rows(cells: list[dict]) -> tuple[list[tuple[str, str]], list[int], list[dict]]:
    cols: dict[int, tuple[str, str]] = {}
    rows: dict[int, str] = {}
    values: dict[tuple[int, int], dict] = {}
    levels: dict[int, str | None] = {}
    for c in cells:
        levels[int(c["row_order"])] = c.get("level")
        cols[int(c["col_order"])] = (c.get("col_group") or "", c["col_label"])
        rows[int(c["row_order"])] = c["row_label"]
        values[(int(c["row_order"]), int(c["col_order"]))] = c
    col_orders = sorted(cols)
    out = []
    for ro in sorted(rows):
        vals, miss = [], []
        for co in col_orders:
            c = values.get((ro, co))
            vals.append(None if c is None else _cell_value(c["value"], bool(c["is_ratio"])))
            miss.append(bool(c.get("missing")) if c is not None else False)
        out.append({"label": rows[ro], "values": vals, "missing": miss, "row_order": ro, "level": levels.get(ro)})
    return [cols[c] for c in col_orders], col_orders, out


def _formats(columns, col_orders, cells, rows) -> list[str]:
    ratio = {int(c["col_order"]): bool(c["is_ratio"]) for c in cells}
    return [
        _number_format(columns[i][1], ratio.get(co, False), [r["values"][i] for r in rows])
        for i, co in enumerate(col_orders)
    ]


def _missing_note(rows: list[dict]) -> list[str]:
    if any(any(r["missing"]) for r in rows):
        return ["注：底色空白单元格为缺报（该社区没有所需季度的报表），不是零，也不取其他季度的数。"]
    return []


def _write_table(wb: Workbook, data: AnnualData, table_no: int, cells: list[dict], unit_name: str) -> None:
    title = TABLE_TITLES.get(table_no, f"表{table_no}")
    ws = wb.create_sheet(title.split(" ")[0])
    columns, rows, formats = district_view(table_no, cells)  # 表二/表三/表九: the district here, D117
    width = len(columns) + 1
    top = _title_block(
        ws,
        f"{data.year}年两新组织党建工作统计年报　{title}",
        data.year,
        unit_name,
        TABLE_UNITS.get(table_no, ""),
        width,
        data.status_text(),
    )
    label_width = float(max(14, min(30, max((display_width(r["label"]) for r in rows), default=8) + 2)))
    end = _grid(ws, top, "项目", columns, rows, label_width, formats)
    notes = _missing_note(rows)
    if table_no in ENTITY_TABLES:
        notes.append(f"各街道、社区的分项数见“{ws.title}（街道社区）”。")
    _footnotes(ws, end + 1, notes, width)
    _print_setup(ws, ws.print_title_rows, data_rows=len(rows))


# Tables laid out as the national ones (rows = lines, columns = categories) for each entity: the district prints
# in that layout, the streets and communities on one compact sheet (row_order = entity order × 100 + line).
ENTITY_TABLES = (2, 3, 9)
# Columns besides 总数 that the compact sheet shows for a line: {table: [(line label prefix, column label)]}.
COMPACT_EXTRA = {
    2: [
        ("单位数", "其中：列入党建基数的"),
        ("已单独建立", "其中：列入党建基数的"),
        ("已建立联合", "其中：列入党建基数的"),
    ],
    3: [
        ("单位数", "其中：列入党建基数的"),
        ("已单独建立", "其中：列入党建基数的"),
        ("已建立联合", "其中：列入党建基数的"),
    ],
    9: [
        ("总计", "覆盖非公有制企业的"),
        ("总计", "覆盖社会组织的"),
        ("总计", "其中同时覆盖两类的"),
        ("总计", "正式党员"),
        ("总计", "预备党员"),
    ],
}


def entity_view(table_no: int, cells: list[dict]) -> tuple[list[tuple[str, str]], list[dict]] | None:
    """表二/表三/表九 for every street and community, compact: one row per entity, one column per line (its
    总数; a few lines also a second column, ``COMPACT_EXTRA``), D117.  None when the table has no entity rows."""
    columns, col_orders, rows = _table_rows(cells)
    entity_rows = [r for r in rows if r["level"] != "district"]
    if not entity_rows:
        return None
    district = {r["row_order"] % 100: r for r in rows if r["level"] == "district"}
    col_index = {lab: i for i, (_, lab) in enumerate(columns)}
    spec = []  # (line_no, column index, group, label)
    for n in sorted(district):
        line = district[n]["label"]
        extras = [
            (col_index[c], c)
            for prefix, c in COMPACT_EXTRA.get(table_no, [])
            if line.startswith(prefix) and c in col_index
        ]
        if extras:
            spec.append((n, 0, line, columns[0][1]))
            spec.extend((n, ci, line, c) for ci, c in extras)
        else:
            spec.append((n, 0, "", line))
    by_entity: dict[int, dict[int, dict]] = {}
    for r in entity_rows:
        by_entity.setdefault(r["row_order"] // 100, {})[r["row_order"] % 100] = r
    out_rows = [
        {
            "label": "全区合计",
            "values": [district[n]["values"][ci] for n, ci, _, _ in spec],
            "missing": [district[n]["missing"][ci] for n, ci, _, _ in spec],
            "row_order": -1,
            "level": "district",
        }
    ]
    for ent in sorted(by_entity):
        lines = by_entity[ent]
        n0 = min(lines)
        label = lines[n0]["label"]
        line_label = district[n0]["label"] if n0 in district else ""
        name = (
            label[: -len(line_label) - 1]
            if line_label and label.endswith("：" + line_label)
            else label.split("：", 1)[0]
        )
        vals, miss = [], []
        for n, ci, _, _ in spec:
            r = lines.get(n)
            vals.append(None if r is None else r["values"][ci])
            miss.append(bool(r["missing"][ci]) if r is not None else False)
        out_rows.append({"label": name, "values": vals, "missing": miss, "row_order": ent, "level": lines[n0]["level"]})
    return [(g, lab) for _, _, g, lab in spec], out_rows


def district_view(table_no: int, cells: list[dict]) -> tuple[list[tuple[str, str]], list[dict], list[str]]:
    """A table as the workbook's main sheet shows it: columns, rows and number formats (表二/表三/表九: the
    district only, in the national layout)."""
    columns, col_orders, rows = _table_rows(cells)
    if table_no in ENTITY_TABLES:
        rows = [r for r in rows if r["level"] == "district"]
    return columns, rows, _formats(columns, col_orders, cells, rows)


def _write_entity_sheet(wb: Workbook, data: AnnualData, table_no: int, cells: list[dict], unit_name: str) -> None:
    view = entity_view(table_no, cells)
    if view is None:
        return
    sheet_columns, out_rows = view
    title = TABLE_TITLES[table_no]
    ws = wb.create_sheet(f"{title.split(' ')[0]}（街道社区）")
    formats = [
        _number_format(lab, False, [r["values"][i] for r in out_rows]) for i, (_, lab) in enumerate(sheet_columns)
    ]
    width = len(sheet_columns) + 1
    top = _title_block(
        ws,
        f"{data.year}年两新组织党建工作统计年报　{title}（分街道、社区）",
        data.year,
        unit_name,
        TABLE_UNITS.get(table_no, ""),
        width,
        data.status_text(),
    )
    label_width = float(max(14, min(24, max(display_width(r["label"]) for r in out_rows) + 2)))
    end = _grid(ws, top, "街道、社区", sheet_columns, out_rows, label_width, formats)
    notes = _missing_note(out_rows) + [
        "注：未注明的列为该行项目的“总数”；街道、全区按统一社会信用代码（党组织按编码）去重计数。"
    ]
    _footnotes(ws, end + 1, notes, width)
    _print_setup(ws, ws.print_title_rows, data_rows=len(out_rows))


def _write_cover(wb: Workbook, data: AnnualData, unit_name: str, signoff: SignOff) -> None:
    ws = wb.create_sheet("封面", 0)
    width = 6
    for c, w in zip("ABCDEF", (16, 22, 14, 22, 14, 22)):
        ws.column_dimensions[c].width = w
    ws.merge_cells("A1:F1")
    _text(ws, 1, 1, f"{data.year}年两新组织党建工作统计年报", _font(20, True), CENTER)
    ws.row_dimensions[1].height = 40
    ws.merge_cells("A2:F2")
    status = data.status_text()
    _text(ws, 2, 1, status, _font(14, True, "9C0006" if data.status != FINAL else "000000"), CENTER)
    ws.row_dimensions[2].height = 24
    r = 4

    def line(label: str, value: str, font: Font | None = None, height: float | None = None) -> None:
        nonlocal r
        _text(ws, r, 1, label, _font(11, True), LEFT)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=width)
        _text(ws, r, 2, value, font or _font(11), LEFT)
        lines = max(1, math.ceil(display_width(value) / 100))
        ws.row_dimensions[r].height = height or 18 * lines
        r += 1

    line("填报单位", unit_name)
    line("报告期", f"{data.year}年（第四季度报表的年末存量，四个季度的本年流量）")
    verdict = data.verdict.get("verdict") or FAIL
    line("审核结论", verdict, _font(14, True, "006100" if verdict == PASS else "9C0006"), 24)
    reasons = data.reasons
    if verdict != PASS or reasons:
        for i, reason in enumerate(reasons or ["（未给出原因）"], 1):
            line("不得上报的原因" if i == 1 else "", f"{i}. {reason}")
    line("报表覆盖", data.coverage_text())
    version = data.verdict.get("finalized_version")
    if version:
        at = data.verdict.get("finalized_at")
        at_text = f"{at:%Y-%m-%d %H:%M}" if isinstance(at, (dt.datetime, dt.date)) else (at or "")
        line("定稿记录", f"第{int(version)}版，{at_text}由{data.verdict.get('finalized_by') or ''}定稿")
    if data.verdict.get("override_reason"):
        line("强制定稿理由", str(data.verdict["override_reason"]), _font(11, False, "9C0006"))
    if data.status == CORRECTED:
        line(
            "更正情况",
            f"定稿后又接收了更正，{len(data.corrections)} 个单元格与第{int(version or 0)}版定稿数不同，"
            "见“更正对照表”；需重新定稿（第{}版）后上报。".format(int(version or 0) + 1),
            _font(11, False, "9C0006"),
        )
    line("所含表格", "、".join(s.title for s in wb.worksheets[1:]) or "—")
    r += 1
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    draft = data.status != FINAL
    _text(ws, r, 1, "签　署" + ("（草稿：定稿后填写）" if draft else ""), _font(12, True), LEFT)
    r += 1
    fields = SignOff.LABELS
    for i in range(0, len(fields), 3):
        for j, (f, label) in enumerate(fields[i : i + 3]):
            _text(ws, r, 2 * j + 1, label + "：", _font(11, True), RIGHT, GRID)
            _text(ws, r, 2 * j + 2, "" if draft else signoff.text(f), _font(11), LEFT, GRID)
        ws.row_dimensions[r].height = 30
        r += 1
    _print_setup(ws, None)


def _write_corrections(wb: Workbook, data: AnnualData, unit_name: str) -> None:
    if not data.corrections:
        return
    ws = wb.create_sheet("更正对照表")
    head = ["表", "行", "列", "定稿值", "当前值", "差", "引起更正的报送"]
    top = _title_block(
        ws,
        f"{data.year}年两新组织党建工作统计年报　更正对照表",
        data.year,
        unit_name,
        "",
        len(head),
        data.status_text(),
    )
    version = data.corrections[0].get("finalized_version")
    ws.merge_cells(start_row=top, start_column=1, end_row=top, end_column=len(head))
    _text(ws, top, 1, f"与第{int(version or 0)}版定稿相比，以下单元格因定稿后接收的更正而改变：", _font(10), LEFT)
    h = top + 1
    for j, label in enumerate(head, 1):
        _text(ws, h, j, label, _font(9, True), CENTER, GRID, HEAD_FILL)
    r = h + 1
    for c in data.corrections:
        fv, cv = c.get("finalized_value"), c.get("current_value")
        diff = (float(cv) - float(fv)) if fv is not None and cv is not None else None
        col = "／".join(x for x in (c.get("col_group"), c.get("col_label")) if x)
        cause = "，".join(
            x
            for x in (
                c.get("causing_unit_code"),
                c.get("causing_period"),
                f"更正号 {c['causing_correction_no']}" if c.get("causing_correction_no") is not None else None,
                f"报送编号 {c['causing_submission_id']}" if c.get("causing_submission_id") else None,
            )
            if x
        )
        values = [
            TABLE_TITLES.get(int(c["table_no"]), str(c["table_no"])).split(" ")[0],
            c.get("row_label"),
            col,
            _cell_value(fv, False),
            _cell_value(cv, False),
            _cell_value(diff, False),
            cause,
        ]
        for j, v in enumerate(values, 1):
            cell = _text(
                ws, r, j, "缺报" if v is None and j in (4, 5) else v, _font(9), RIGHT if j in (4, 5, 6) else LEFT, GRID
            )
            if isinstance(v, (int, float)):
                cell.number_format = "#,##0.##"
        r += 1
    for col, w in zip("ABCDEFG", (8, 30, 26, 12, 12, 10, 46)):
        ws.column_dimensions[col].width = w
    _print_setup(ws, f"{h}:{h}")


def _section(ws, r: int, title: str, width: int) -> int:
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    _text(ws, r, 1, title, _font(11, True), LEFT)
    ws.row_dimensions[r].height = 20
    return r + 1


def _rows_block(ws, r: int, head: list[tuple[str, int, int]], rows: list[list], empty: str = "无") -> int:
    """A small bordered list: ``head`` = [(label, first column, last column)], each field merged over its
    columns; returns the row after a blank line."""

    def put(row_no, values, bold):
        lines = 1
        for (label, c0, c1), v in zip(head, values):
            if c1 > c0:
                ws.merge_cells(start_row=row_no, start_column=c0, end_row=row_no, end_column=c1)
            cell = _text(
                ws,
                row_no,
                c0,
                v,
                _font(9, bold),
                CENTER if bold else (LEFT_TOP if isinstance(v, str) or v is None else RIGHT),
                GRID,
                HEAD_FILL if bold else None,
            )
            if isinstance(v, int) and not bold:
                cell.number_format = COUNT_FORMAT
            for c in range(c0 + 1, c1 + 1):
                ws.cell(row_no, c).border = GRID
            if isinstance(v, str):
                w = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(c0, c1 + 1))
                lines = max(lines, math.ceil(display_width(v) / max(1.0, w - 1.5)))
        ws.row_dimensions[row_no].height = DATA_ROW_HEIGHT * lines + 3

    put(r, [h[0] for h in head], True)
    r += 1
    if not rows:
        _text(ws, r, 1, empty, _font(9), LEFT)
        return r + 2
    for row in rows:
        put(r, row, False)
        r += 1
    return r + 1


# A-rules of audit-rules.md, short Chinese names for the 审核结果 sheet and the dashboard page.
RULE_NAMES = {
    "A0": "完整性：名册中每个社区四个季度均有已接收的报表",
    "A1": "区级可加单元格 = 各社区之和",
    "A2": "表一：应有数 = 上年底总数 + 本年增加 − 本年减少；增减 = 各项之和；差 = 实有 − 应有",
    "A3": "表一：上年底总数 = 上年定稿（未定稿时为当前）本年底实有数",
    "A4": "表二、表三：分项之和、其中 ≤ 所属项、总数 = 各类别之和",
    "A5": "⌈联合覆盖单位数 ÷ 5⌉ ≤ 联合党组织数",
    "A6": "表一本年底实有数 = 第四季度表2非功能型党组织正式、预备党员之和",
    "A7": "表二、表三单位数、党建基数、单独建立与 K1、K2 口径一致",
    "A8": "表九每个党组织只计一次，联合党组织数与表二、表三一致",
    "A9": "表八 比例在0.5%–2%的 ÷ 建立党组织的非公企业数（工资总额>0）= K17",
    "A10": "出资人本年参加培训的单位在表5中有出资人参训记录",
}


def _write_audit(wb: Workbook, data: AnnualData, unit_name: str) -> None:
    ws = wb.create_sheet("审核结果")
    width = 7
    for col, w in zip("ABCDEFG", (14, 18, 12, 16, 10, 10, 56)):
        ws.column_dimensions[col].width = w
    top = _title_block(
        ws, f"{data.year}年两新组织党建工作统计年报　审核结果", data.year, unit_name, "", width, data.status_text()
    )
    verdict = data.verdict.get("verdict") or FAIL
    ws.merge_cells(start_row=top, start_column=1, end_row=top, end_column=width)
    _text(ws, top, 1, f"审核结论：{verdict}", _font(12, True, "006100" if verdict == PASS else "9C0006"), LEFT)
    r = top + 1
    for i, reason in enumerate(data.reasons, 1):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        _text(ws, r, 1, f"{i}. {reason}", _font(10), LEFT)
        r += 1
    r += 1
    r = _section(ws, r, "一、年报审核规则（A0–A10）", width)
    rule_rows = []
    for rule in data.rules:
        passed = rule.get("passed")
        result = "通过" if passed else ("未通过" if rule.get("severity") == "E" else "警告")
        name = rule.get("rule_name") or RULE_NAMES.get(str(rule["rule_id"]), "")
        detail = rule.get("detail") or ""
        detail = "" if detail == "通过" else detail
        rule_rows.append(
            [
                rule["rule_id"],
                "错误" if rule.get("severity") == "E" else "警告",
                result,
                int(rule["hit_count"] or 0),
                "；".join(x for x in (name, detail) if x),
            ]
        )
    r = _rows_block(
        ws,
        r,
        [("规则编号", 1, 1), ("严重程度", 2, 2), ("结果", 3, 3), ("违规数", 4, 4), ("规则与说明", 5, 7)],
        rule_rows,
    )
    r = _section(ws, r, f"二、报表覆盖情况：{data.coverage_text()}", width)
    by_unit: dict[tuple, list[str]] = {}
    for m in data.missing:
        by_unit.setdefault((m.get("street_name") or "", m["unit_code"], m.get("unit_name") or ""), []).append(
            str(m["quarter"])
        )
    missing_rows = [[street, code, name, "、".join(qs)] for (street, code, name), qs in sorted(by_unit.items())]
    r = _rows_block(
        ws, r, [("街道", 1, 1), ("社区编码", 2, 2), ("社区", 3, 4), ("缺报的季度", 5, 7)], missing_rows, "无缺报"
    )
    r = _section(ws, r, "三、本年警告类审核命中数（当前报送）", width)
    r = _rows_block(
        ws,
        r,
        [("规则编号", 1, 1), ("命中数", 2, 2)],
        [[w["rule_id"], int(w["hit_count"] or 0)] for w in data.warning_counts],
    )
    r = _section(ws, r, "四、需要说明的问题（年末仍未说明的警告）", width)
    hits = [
        [
            w.get("unit_code"),
            w.get("community_name"),
            w.get("period"),
            w.get("sheet"),
            w.get("row_no"),
            w.get("rule_id"),
            w.get("message"),
        ]
        for w in data.open_warnings
    ]
    r = _rows_block(
        ws,
        r,
        [
            ("社区编码", 1, 1),
            ("社区", 2, 2),
            ("报告期", 3, 3),
            ("工作表", 4, 4),
            ("行", 5, 5),
            ("规则编号", 6, 6),
            ("说明", 7, 7),
        ],
        hits,
    )
    r = _section(ws, r, "五、差额说明（表3 实有数与应有数之差的说明）", width)
    notes = [
        [n.get("unit_code"), n.get("unit_name"), n.get("period"), n.get("party_org_code"), n.get("difference_note")]
        for n in data.difference_notes
    ]
    _rows_block(
        ws, r, [("社区编码", 1, 1), ("社区", 2, 2), ("报告期", 3, 3), ("党组织编码", 4, 4), ("差额说明", 5, 7)], notes
    )
    _print_setup(ws, None)


def assert_no_formulas(wb: Workbook) -> None:
    """The return holds values only: a cell of type formula means untrusted text got through (issue 19)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise ValueError(f"工作表 {ws.title} 单元格 {cell.coordinate} 成了公式 / formula cell written")


# ---------------------------------------------------------------------------------------------- entry points


def build_workbook(
    data: AnnualData, unit_name: str | None = None, signoff: SignOff | None = None, configured: SignOff | None = None
) -> Workbook:
    """``configured``: the sign-off names of the configuration (``SignOff.from_settings``), used where
    ``signoff`` has none."""
    unit_name = unit_name or reporting_unit(configured)
    signoff = (signoff or SignOff()).merged(configured or SignOff()).merged(SignOff(unit=unit_name))
    wb = Workbook()
    wb.remove(wb.active)
    by_table: dict[int, list[dict]] = {}
    for c in data.cells:
        by_table.setdefault(int(c["table_no"]), []).append(c)
    _write_corrections(wb, data, unit_name)
    for table_no in sorted(by_table):
        _write_table(wb, data, table_no, by_table[table_no], unit_name)
        if table_no in ENTITY_TABLES:
            _write_entity_sheet(wb, data, table_no, by_table[table_no], unit_name)
    _write_audit(wb, data, unit_name)
    _write_cover(wb, data, unit_name, signoff)
    assert_no_formulas(wb)
    return wb


def write_annual_return(
    year: int,
    output: Path,
    serve_db: Path | None = None,
    unit_name: str | None = None,
    signoff: SignOff | None = None,
    configured: SignOff | None = None,
) -> Path:
    """Write the annual return workbook for ``year`` from the serving snapshot; returns the path.

    ``signoff`` (the finalizing command's names and date) is printed only when the year is 定稿; without it
    the finalized version's stored sign-off is used."""
    con = connect_readonly(serve_db)
    try:
        data = load_annual(con, year)
    finally:
        con.close()
    if signoff is None and data.status == FINAL:
        signoff = finalized_signoff(data.verdict)
    wb = build_workbook(data, unit_name, signoff, configured)
    return save_openpyxl(wb, Path(output))


# ---------------------------------------------------------------------------------------------- PDF


class PdfError(RuntimeError):
    """The PDF could not be (re)written; the message is Chinese and names the file."""


def _lock_file(path: Path) -> Path:
    return path.with_name(f".~lock.{path.name}#")


def remove_stale_locks(target: Path) -> list[Path]:
    """Remove LibreOffice lock files beside ``target`` (``.~lock.<name>#``) and beside its source.

    Conversion never opens the target for editing, so a lock beside it is left over from a crashed or killed
    LibreOffice (or a user's viewer); it made LibreOffice silently skip rewriting the PDF (issue 19)."""
    removed = []
    for p in {_lock_file(target), _lock_file(target.with_suffix(".xlsx")), _lock_file(target.with_suffix(".docx"))}:
        if p.exists() or p.is_symlink():
            p.unlink()
            removed.append(p)
    return removed


def libreoffice_can_convert(source: Path, soffice: str | None = None) -> bool:
    """Whether the installed LibreOffice has the component for ``source``: Calc for .xlsx, Writer for .docx
    (Debian's ``libreoffice-calc-nogui`` alone cannot load a .docx: "source file could not be loaded")."""
    soffice = soffice or shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return False
    program = Path(os.path.realpath(soffice)).parent
    lib = {".docx": "libswlo", ".xlsx": "libsclo"}.get(Path(source).suffix.lower())
    if lib is None or not program.is_dir():
        return True
    return any(p.name.startswith(lib) for p in program.iterdir())


def convert_to_pdf(source: Path, timeout: int = 300) -> Path | None:
    """Convert ``source`` (.xlsx / .docx) to a PDF beside it with LibreOffice; None when LibreOffice (or its
    component for that format) is absent.

    LibreOffice writes into a fresh private directory (own profile), the result is checked (exists, new,
    starts with %PDF) and moved over the target atomically; anything else raises ``PdfError``: a PDF that was
    not rewritten is never reported as written."""
    source = Path(source)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not libreoffice_can_convert(source, soffice):
        return None
    target = source.with_suffix(".pdf")
    remove_stale_locks(target)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="liangxin-pdf-") as work:
        work_dir = Path(work)
        out_dir = work_dir / "out"
        out_dir.mkdir()
        try:
            proc = subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{work_dir / 'profile'}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out_dir),
                    str(source.resolve()),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"PDF 转换超时（{timeout} 秒）：{source}") from exc
        produced = out_dir / target.name
        if proc.returncode != 0 or not produced.exists():
            detail = (proc.stderr or proc.stdout or "").strip()[-500:]
            raise PdfError(f"LibreOffice 未能生成 PDF：{source}（退出码 {proc.returncode}）{detail}")
        with open(produced, "rb") as fh:
            if fh.read(5) != b"%PDF-":
                raise PdfError(f"LibreOffice 生成的不是 PDF：{produced}")
        size = produced.stat().st_size
        os.replace(produced, target) if produced.stat().st_dev == target.parent.stat().st_dev else shutil.move(
            str(produced), str(target)
        )
    if not target.exists() or target.stat().st_size != size or target.stat().st_mtime < started - 1:
        raise PdfError(f"PDF 没有被改写：{target}")
    return target


def verdict_line(year: int, serve_db: Path | None) -> str:
    """The year's status and verdict in one line (可以上报 / 不得上报 and why), as the command prints it."""
    con = connect_readonly(serve_db)
    try:
        data = load_annual(con, year)
    finally:
        con.close()
    text = f"{data.status_text()}，{data.verdict.get('verdict')}"
    if data.reasons and data.verdict.get("verdict") != PASS:
        text += "：" + "；".join(data.reasons)
    return text
