"""``liangxin sql``: read-only SQL on the serving snapshot for analysts.

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
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from liangxin.neutral import cell_text, strip_control, terminal_text
from liangxin.serving import connect_readonly
from liangxin.settings import Settings

console = Console()
err_console = Console(stderr=True)

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
TABLES_SQL = ("select schema_name || '.' || table_name as 表, coalesce(comment, '') as 说明 from duckdb_tables() "
              "where database_name = current_database() and not internal order by schema_name, table_name")


class SqlError(Exception):
    """A statement failed; the message is Chinese and safe to print."""


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


def run_query(con: duckdb.DuckDBPyConnection, statement: str, timeout: float,
              max_rows: int | None) -> tuple[list[str], list[tuple], bool]:
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


def render_table(cols: list[str], rows: list[tuple], truncated: bool, out: Console) -> None:
    table = Table(show_lines=False)
    for c in cols:
        table.add_column(terminal_text(c))
    for r in rows:
        table.add_row(*["" if v is None else terminal_text(v) for v in r])
    out.print(table)
    more = "（更多行已省略，可用 --max-rows 调整）" if truncated else ""
    out.print(f"[dim]{len(rows)} 行{more}[/dim]")


def render_csv(cols: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([cell_text(c) for c in cols])
    for r in rows:
        w.writerow(["" if v is None else v if isinstance(_plain(v), (int, float, decimal.Decimal)) else cell_text(v)
                    for v in r])
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

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "constant_memory": True})
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


def _private_open(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig" if path.suffix.lower() == ".csv" else "utf-8", newline="") as fh:
        fh.write(text)


def emit(cols: list[str], rows: list[tuple], truncated: bool, fmt: str, output: Path | None) -> None:
    if fmt == "table":
        render_table(cols, rows, truncated, console)
        return
    if fmt == "xlsx":
        write_xlsx(cols, rows, output)
        os.chmod(output, 0o600)
    else:
        text = render_csv(cols, rows) if fmt == "csv" else render_markdown(cols, rows)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        _private_open(output, text)
    more = "（更多行已省略，可用 --max-rows 调整）" if truncated else ""
    err_console.print(f"已写出 {len(rows)} 行到 {terminal_text(output)}{more}")


# --------------------------------------------------------------------------------------------------
# Command
# --------------------------------------------------------------------------------------------------
def sql_command(
    command: str = typer.Option(None, "-c", "--command", help="执行一条查询（或 .tables）后退出 / run one query and exit."),
    tables: bool = typer.Option(False, "--tables", help="列出可查询的表（服务契约中的公开模型）及说明后退出 / list the published tables."),
    database: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB 或 data/serve.duckdb）/ snapshot to open."),
    fmt: str = typer.Option("table", "--format", "-f", help="输出格式 / output format: table | csv | xlsx | markdown."),
    output: Path = typer.Option(None, "--output", "-o", help="写入文件（xlsx 必须指定）/ write to this file (required for xlsx)."),
    max_rows: int = typer.Option(None, "--max-rows", help="最多输出行数（终端默认 200，文件默认不限）/ at most this many rows."),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", help="每条查询的时限（秒）/ seconds per statement."),
    memory_limit: str = typer.Option(DEFAULT_MEMORY, "--memory-limit", help="内存上限 / DuckDB memory_limit, e.g. 1GB."),
    threads: int = typer.Option(DEFAULT_THREADS, "--threads", help="线程数 / DuckDB threads."),
    max_temp: str = typer.Option(DEFAULT_MAX_TEMP, "--max-temp", help="临时文件上限 / spill limit, e.g. 2GB."),
) -> None:
    """只读 SQL：查询服务快照（汇总表、指标、年报表）。Read-only SQL on the serving snapshot.

    可查询的表即服务契约中的公开模型（marts 指标与清单、annual 年报表、ref 名册与指标目录），
    用 --tables 或 .tables 列出全部表及说明。
    The tables are the public models of the serving contract; --tables lists them with their descriptions.

    连接只读，不能读写快照以外的文件；每条查询有时限、内存上限和线程数，临时文件用后即删。
    The connection is read-only and cannot reach other files; every statement runs under a timeout,
    a memory limit and a thread count, and its temporary files are removed afterwards.

    \b
    示例 / examples:
      liangxin sql --tables
      liangxin sql -c "select indicator_id, indicator_name, value from marts.fct_indicators where level = 'district' and period = '2020Q4' order by sort_order"
      liangxin sql -c "select unit_name, k1, k1_rank from marts.kpi_bulletin where period = '2020Q4' order by k1_rank" --format markdown
      liangxin sql -c "select * from annual.rpt_annual_t1 where year = 2020" --format xlsx --output t1.xlsx
      liangxin sql -c "select * from marts.kpi_training" --format csv --output k9.csv

    不带 -c 时进入交互模式：以分号结束一条语句，.tables 列出表及说明，.quit 退出。
    Without -c: an interactive shell (end a statement with ';', `.tables` lists tables, `.quit` leaves).
    """
    fmt = (fmt or "table").lower()
    if fmt not in FORMATS:
        err_console.print(f"[red]未知的输出格式 {terminal_text(fmt)}；可选：{' | '.join(FORMATS)}[/red]")
        raise typer.Exit(2)
    if fmt == "xlsx" and output is None:
        err_console.print("[red]xlsx 格式须用 --output 指定文件[/red]")
        raise typer.Exit(2)
    if output is not None and fmt == "table":
        fmt = {".csv": "csv", ".xlsx": "xlsx", ".md": "markdown"}.get(output.suffix.lower(), "csv")
    if max_rows is None:
        max_rows = 200 if fmt == "table" and output is None else (XLSX_MAX_ROWS if fmt == "xlsx" else None)
    if max_rows is not None and max_rows < 0:
        err_console.print("[red]--max-rows 不能为负数[/red]")
        raise typer.Exit(2)
    tmp = Path(tempfile.mkdtemp(prefix="liangxin-sql-"))  # 0700, ours alone; removed in `finally`
    con = None
    try:
        try:
            con = connect_readonly(database or Settings.from_env().serve_duckdb, memory_limit=memory_limit, threads=threads, temp_directory=tmp,
                                   max_temp_size=max_temp)
        except FileNotFoundError as exc:
            err_console.print(f"[red]{terminal_text(exc)}[/red]")
            raise typer.Exit(2)
        except duckdb.Error as exc:
            err_console.print(f"[red]无法打开服务快照（参数有误？）：{terminal_text(exc)}[/red]")
            raise typer.Exit(2)

        def one(statement: str) -> bool:
            if statement.strip().rstrip(";").strip() == ".tables":
                statement = TABLES_SQL
            try:
                cols, rows, truncated = run_query(con, statement, timeout, max_rows)
            except duckdb.Error as exc:
                err_console.print(f"[red]错误：{terminal_text(explain_error(exc, con, timeout, memory_limit))}[/red]")
                return False
            if cols:
                emit(cols, rows, truncated, fmt, output)
            else:
                console.print("[dim]完成（无结果集）[/dim]")
            return True

        if tables:
            command = ".tables"
        if command:
            if not one(command):
                raise typer.Exit(1)
            return
        console.print("liangxin 只读 SQL：以分号结束一条语句；.tables 列出表及说明，.quit 退出。")
        buf: list[str] = []
        while True:
            try:
                line = input("sql> " if not buf else "...> ")
            except EOFError:
                break
            if not buf and line.strip() in (".quit", ".exit", "\\q"):
                break
            if not buf and line.strip() in (".tables", ".help"):
                if line.strip() == ".help":
                    console.print(terminal_text(EXAMPLES))
                else:
                    one(".tables")
                continue
            buf.append(line)
            if line.rstrip().endswith(";"):
                one("\n".join(buf))
                buf = []
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(tmp, ignore_errors=True)
