"""The annual statistical return workbook (两新组织党建工作统计年报), annual-return.md.

The numbers come from the serving snapshot, never recomputed here: the dbt model ``rpt_annual_cells``
holds every published cell in long form (year, table_no, row, column, value) and ``rpt_audit`` the audit
result.  This module only lays them out in the official look: title, 填报单位, 报告期, 单位, a bordered
grid with two-level headers, a signature line, print setup with repeated header rows; the last sheet
审核结果 states the audit result.  A PDF is written alongside when LibreOffice is present.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import typer
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from liangxin import paths
from liangxin.serving import connect_readonly

TABLE_TITLES = {
    1: "表一 党员数量变化情况",
    2: "表二 非公有制企业建立党组织情况",
    3: "表三 社会组织建立党组织情况",
    4: "表四 四个一批发展情况",
    5: "表五 党务干部和出资人培训情况",
    6: "表六 组织生活和民主评议情况",
    7: "表七 流动党员情况",
    8: "表八 经费保障情况",
}
TABLE_UNITS = {1: "单位：名", 2: "单位：个、名", 3: "单位：个、名", 4: "单位：名、%", 5: "单位：名、次、学时、%",
               6: "单位：个、名", 7: "单位：名", 8: "单位：个、元、%"}

THIN = Side(style="thin", color="000000")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _table(con, name: str) -> str:
    row = con.execute(
        "select table_schema from information_schema.tables where table_name = ? order by table_schema limit 1",
        [name],
    ).fetchone()
    if not row:
        raise LookupError(f"服务快照中没有表 {name}（请先运行 liangxin build）/ table {name} not in the snapshot")
    return f'"{row[0]}"."{name}"'


def load_cells(con, year: int) -> list[tuple]:
    return con.execute(
        f"""select table_no, row_order, row_label, col_order, col_group, col_label, value, is_ratio
            from {_table(con, 'rpt_annual_cells')} where year = ? order by table_no, row_order, col_order""",
        [year],
    ).fetchall()


def _fmt_value(value, is_ratio: bool):
    if value is None:
        return "—"
    if is_ratio:
        return float(value)
    f = float(value)
    return int(f) if f.is_integer() else round(f, 2)


def write_annual_return(year: int, output: Path, serve_db: Path | None = None,
                        unit_name: str = "示范区党工委（两新组织党建办）") -> Path:
    """Write the annual return workbook for ``year`` from the serving snapshot; returns the path."""
    con = connect_readonly(serve_db)
    try:
        cells = load_cells(con, year)
        if not cells:
            raise LookupError(f"{year} 年没有年报数据（需要该年第四季度的报表）/ no annual data for {year}")
        audit = con.execute(
            f"select rule_id, rule_name, severity, status, detail from {_table(con, 'rpt_audit')} "
            "where year = ? order by rule_id, detail", [year]).fetchall()
        hits = []
        try:
            hits = con.execute(
                f"""select unit_code, community_name, sheet, row_no, rule_id, message
                    from {_table(con, 'rpt_audit_open_warnings')} where year = ? order by unit_code, rule_id, sheet, row_no""",
                [year]).fetchall()
        except LookupError:
            pass
    finally:
        con.close()

    wb = Workbook()
    wb.remove(wb.active)
    by_table: dict[int, list[tuple]] = {}
    for c in cells:
        by_table.setdefault(int(c[0]), []).append(c)
    for table_no in sorted(by_table):
        _write_table(wb, year, table_no, by_table[table_no], unit_name)
    _write_audit(wb, year, audit, hits, unit_name)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    wb.save(output)
    return output


def _header_block(ws, title: str, year: int, unit_name: str, unit_text: str, width: int) -> int:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1, title).font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = CENTER
    ws.row_dimensions[1].height = 30
    ws.cell(2, 1, f"填报单位：{unit_name}")
    ws.cell(2, max(2, width // 2), f"报告期：{year}年")
    ws.cell(2, width, unit_text).alignment = Alignment(horizontal="right")
    return 3


def _write_table(wb: Workbook, year: int, table_no: int, cells: list[tuple], unit_name: str) -> None:
    title = TABLE_TITLES.get(table_no, f"表{table_no}")
    ws = wb.create_sheet(title.split(" ")[0])
    cols: dict[int, tuple[str | None, str]] = {}
    rows: dict[int, str] = {}
    values: dict[tuple[int, int], tuple] = {}
    for _, row_order, row_label, col_order, col_group, col_label, value, is_ratio in cells:
        cols[int(col_order)] = (col_group, col_label)
        rows[int(row_order)] = row_label
        values[(int(row_order), int(col_order))] = (value, bool(is_ratio))
    col_orders = sorted(cols)
    width = len(col_orders) + 1
    top = _header_block(ws, f"两新组织党建工作统计年报  {title}", year, unit_name, TABLE_UNITS.get(table_no, ""), width)
    has_groups = any(g for g, _ in cols.values())
    h1, h2 = top, top + (1 if has_groups else 0)
    ws.cell(h1, 1, "项目")
    if has_groups:
        ws.merge_cells(start_row=h1, start_column=1, end_row=h2, end_column=1)
    # column headers: merge runs of the same group
    j = 0
    while j < len(col_orders):
        group, label = cols[col_orders[j]]
        k = j
        while group and k + 1 < len(col_orders) and cols[col_orders[k + 1]][0] == group:
            k += 1
        c0, c1 = j + 2, k + 2
        if group:
            ws.cell(h1, c0, group)
            if c1 > c0:
                ws.merge_cells(start_row=h1, start_column=c0, end_row=h1, end_column=c1)
            for idx in range(j, k + 1):
                ws.cell(h2, idx + 2, cols[col_orders[idx]][1])
        else:
            ws.cell(h1, c0, label)
            if has_groups:
                ws.merge_cells(start_row=h1, start_column=c0, end_row=h2, end_column=c0)
        j = k + 1
    for r in range(h1, h2 + 1):
        for c in range(1, width + 1):
            cell = ws.cell(r, c)
            cell.font = Font(bold=True)
            cell.alignment = CENTER
            cell.fill = HEAD_FILL
            cell.border = GRID
    r = h2 + 1
    for row_order in sorted(rows):
        label_cell = ws.cell(r, 1, rows[row_order])
        label_cell.border = GRID
        label_cell.alignment = Alignment(vertical="center", wrap_text=True)
        for idx, co in enumerate(col_orders):
            value, is_ratio = values.get((row_order, co), (None, False))
            cell = ws.cell(r, idx + 2, _fmt_value(value, is_ratio))
            cell.border = GRID
            cell.alignment = Alignment(horizontal="right", vertical="center")
            if is_ratio and value is not None:
                cell.number_format = "0.0%"
        r += 1
    r += 1
    ws.cell(r, 1, "填报人：")
    ws.cell(r, max(2, width // 3), "审核人：")
    ws.cell(r, max(3, 2 * width // 3), f"报出日期：{dt.date.today():%Y年%m月%d日}")
    ws.column_dimensions["A"].width = 24
    for idx in range(len(col_orders)):
        ws.column_dimensions[get_column_letter(idx + 2)].width = 12
    ws.freeze_panes = ws.cell(h2 + 1, 2)
    ws.print_title_rows = f"{h1}:{h2}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def _write_audit(wb: Workbook, year: int, audit: list[tuple], hits: list[tuple], unit_name: str) -> None:
    ws = wb.create_sheet("审核结果")
    _header_block(ws, "两新组织党建工作统计年报  审核结果", year, unit_name, "", 6)
    failed = [a for a in audit if a[3] != "通过" and a[2] == "E"]
    ws.cell(3, 1, "审核结论：" + ("全部错误类审核规则通过，可以上报" if not failed else f"有 {len(failed)} 条错误类审核未通过，不得上报"))
    ws.cell(3, 1).font = Font(bold=True, color="006100" if not failed else "9C0006")
    head = ["规则编号", "规则", "严重程度", "结果", "说明"]
    for j, h in enumerate(head, 1):
        c = ws.cell(5, j, h)
        c.font, c.fill, c.border, c.alignment = Font(bold=True), HEAD_FILL, GRID, CENTER
    r = 6
    for rule_id, rule_name, severity, status, detail in audit:
        for j, v in enumerate([rule_id, rule_name, "错误" if severity == "E" else "警告", status, detail], 1):
            c = ws.cell(r, j, v)
            c.border = GRID
            c.alignment = Alignment(wrap_text=True, vertical="top")
        r += 1
    r += 1
    ws.cell(r, 1, "需要说明的问题（年末仍未说明的警告）").font = Font(bold=True)
    r += 1
    for j, h in enumerate(["社区编码", "社区", "工作表", "行", "规则编号", "说明"], 1):
        c = ws.cell(r, j, h)
        c.font, c.fill, c.border, c.alignment = Font(bold=True), HEAD_FILL, GRID, CENTER
    r += 1
    if not hits:
        ws.cell(r, 1, "无")
    for hit in hits:
        for j, v in enumerate(hit, 1):
            c = ws.cell(r, j, v)
            c.border = GRID
        r += 1
    for col, w in zip("ABCDEF", (14, 40, 10, 10, 10, 60)):
        ws.column_dimensions[col].width = w
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def convert_to_pdf(xlsx: Path) -> Path | None:
    """Convert with LibreOffice when present; returns the PDF path or None when LibreOffice is absent."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(xlsx.parent), str(xlsx)],
            check=True, capture_output=True, timeout=300,
        )
    pdf = xlsx.with_suffix(".pdf")
    return pdf if pdf.exists() else None


def annual_return_command(
    year: int = typer.Option(..., "--year", help="The year of the return (uses the Q4 returns and the year's four quarters)."),
    output: Path = typer.Option(None, "-o", "--output", help="Workbook to write (default build/annual/<year>.xlsx)."),
    serve_db: Path = typer.Option(None, "--db", help="Serving snapshot (default $LIANGXIN_SERVE_DUCKDB)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write a PDF when LibreOffice is installed."),
) -> None:
    """Write the annual statistical return (表一–表八 and 审核结果) as an .xlsx in the official look."""
    from rich.console import Console

    console = Console()
    out = Path(output or paths.build_dir() / "annual" / f"{year}.xlsx")
    try:
        write_annual_return(year, out, serve_db)
    except (LookupError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    console.print(f"年报已写出 / annual return written: [bold]{out}[/bold]")
    if pdf:
        try:
            p = convert_to_pdf(out)
        except (subprocess.SubprocessError, OSError) as exc:
            console.print(f"[yellow]PDF 转换失败 / PDF conversion failed: {exc}[/yellow]")
            p = None
        if p:
            console.print(f"PDF: [bold]{p}[/bold]")
