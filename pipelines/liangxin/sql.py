"""``liangxin sql``: read-only SQL on the serving snapshot for analysts (the command: ``liangxin.cli.sql``).

The connection (``serving.connect_readonly``) is read-only, cannot read or write files outside the snapshot
(``enable_external_access=false``) and runs under limits a query cannot change (``lock_configuration``):
``--timeout`` seconds per statement (the statement is interrupted), ``--memory-limit``, ``--threads``, and a
private temporary directory for spilling (at most ``--max-temp``) that is removed afterwards, whatever happens.

Everything printed is neutralised (``liangxin.neutral``): table cells and error messages go through
``terminal_text`` (Rich markup escaped, escape sequences removed); CSV and xlsx cells through ``cell_text``
(a value starting with ``= + - @`` TAB or CR is written as text).  The snapshot holds exactly the public models
of the serving contract (``liangxin.contract``, decisions D140): ``.tables`` / ``--tables`` lists them with the
descriptions dbt declares (stored as table comments by ``serving.publish_snapshot``); person-level data is not
reachable from here.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import os
import threading
from pathlib import Path

import duckdb

from liangxin.neutral import cell_text, strip_control

FORMATS = ("table", "csv", "xlsx", "markdown")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY = "1GB"
DEFAULT_THREADS = 2
DEFAULT_MAX_TEMP = "2GB"
XLSX_MAX_ROWS = 1_048_575  # Excel's last row, minus the header

EXAMPLES = """示例 / examples:
  liangxin sql --tables
  liangxin sql -c "select indicator_id, indicator_name, value from marts.fct_indicators where level = 'district' and period = '2020Q4' order by sort_order"
  liangxin sql -c "select unit_name, k1, k1_rank from marts.kpi_bulletin where period = '2020Q4' order by k1_rank" --format markdown
  liangxin sql -c "select * from annual.rpt_annual_t1 where year = 2020" --format xlsx --output t1.xlsx
  liangxin sql -c "select * from marts.kpi_training" --format csv --output k9.csv"""

#: the published tables (the contract's public models) with their descriptions
TABLES_SQL = (
    "select schema_name || '.' || table_name as 表, coalesce(comment, '') as 说明 from duckdb_tables() "
    "where database_name = current_database() and not internal order by schema_name, table_name"
)


# --------------------------------------------------------------------------------------------------
# Running a statement under the limits
# --------------------------------------------------------------------------------------------------
def table_listing(con: duckdb.DuckDBPyConnection) -> str:
    by: dict[str, list[str]] = {}
    for name, _ in con.execute(TABLES_SQL).fetchall():
        schema, table = name.split(".", 1)
        by.setdefault(schema, []).append(table)
    return "\n".join(f"  {s}: {', '.join(ts)}" for s, ts in by.items()) or "  （快照中没有表）"


def explain_error(exc: duckdb.Error, con: duckdb.DuckDBPyConnection, timeout: float, memory: str) -> str:
    """A Chinese message for a failed statement (DuckDB's own text kept after it, for the details)."""
    text = str(exc).strip()
    low = text.lower()
    if isinstance(exc, duckdb.InterruptException):
        return f"查询超时：超过 {timeout:g} 秒，已中止（可用 --timeout 调整，或缩小查询范围）。"
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in low:
        return f"查询超出内存上限 {memory}，已中止（可用 --memory-limit 调整，或缩小查询范围）。\n{text}"
    if "read-only" in low or "read only" in low:
        return f"服务快照只读，不能创建、修改或删除数据。\n{text}"
    if "cannot change configuration" in low or "lock_configuration" in low:
        return f"连接的限制（内存、线程、外部访问）已锁定，不能在查询中修改。\n{text}"
    if isinstance(exc, duckdb.PermissionException) or "external access" in low or "disabled by configuration" in low:
        return f"只读快照不能访问外部文件、网络或扩展。\n{text}"
    if isinstance(exc, duckdb.CatalogException):
        return f"表、视图或列不存在。快照中可查询的表（模式: 表）：\n{table_listing(con)}\n{text}"
    if isinstance(exc, duckdb.ParserException):
        return f"SQL 语法错误。\n{text}"
    if isinstance(exc, duckdb.BinderException):
        return f"SQL 引用错误（列名、类型或函数不对）。\n{text}"
    return f"SQL 错误。\n{text}"


def run_query(
    con: duckdb.DuckDBPyConnection, statement: str, timeout: float, max_rows: int | None
) -> tuple[list[str], list[tuple], bool]:
    """(columns, rows, truncated) of one statement; the statement is interrupted after ``timeout`` seconds."""
    timer = threading.Timer(timeout, con.interrupt) if timeout and timeout > 0 else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        cur = con.execute(statement)
        cols = [d[0] for d in cur.description or []]
        if not cols:
            return [], [], False
        rows = cur.fetchall() if max_rows is None else cur.fetchmany(max_rows + 1)
    finally:
        if timer is not None:
            timer.cancel()
    truncated = max_rows is not None and len(rows) > max_rows
    return cols, rows[:max_rows] if truncated else rows, truncated


# --------------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------------
def _plain(v: object) -> object:
    return v if v is None or isinstance(v, (bool, int, float, decimal.Decimal)) else str(v)


def render_csv(cols: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([cell_text(c) for c in cols])
    for r in rows:
        w.writerow(
            [
                "" if v is None else v if isinstance(_plain(v), (int, float, decimal.Decimal)) else cell_text(v)
                for v in r
            ]
        )
    return buf.getvalue()


def _md(v: object) -> str:
    if v is None:
        return ""
    s = strip_control(v).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(s.split("\n"))


def render_markdown(cols: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(_md(c) for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_md(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_xlsx(cols: list[str], rows: list[tuple], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "constant_memory": True},
    )
    ws = wb.add_worksheet("查询结果")
    bold = wb.add_format({"bold": True})
    for c, name in enumerate(cols):
        ws.write_string(0, c, cell_text(name) or "", bold)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float, decimal.Decimal)) and abs(float(v)) < 1e15:
                ws.write_number(r, c, float(v))
            else:
                ws.write_string(r, c, cell_text(v.isoformat() if isinstance(v, (dt.date, dt.time)) else v) or "")
    wb.close()


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by its owner only (0600); a .csv gets a BOM for Excel."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig" if path.suffix.lower() == ".csv" else "utf-8", newline="") as fh:
        fh.write(text)
