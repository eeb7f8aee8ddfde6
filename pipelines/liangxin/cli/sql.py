"""``liangxin sql``: the read-only SQL command and its interactive shell; the connection, the limits and the
formats are ``liangxin.sql``'s."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from liangxin.neutral import terminal_text
from liangxin.serving import connect_readonly
from liangxin.settings import Settings
from liangxin.sql import (
    DEFAULT_MAX_TEMP,
    DEFAULT_MEMORY,
    DEFAULT_THREADS,
    DEFAULT_TIMEOUT,
    EXAMPLES,
    FORMATS,
    TABLES_SQL,
    XLSX_MAX_ROWS,
    explain_error,
    render_csv,
    render_markdown,
    run_query,
    write_private_text,
    write_xlsx,
)

console = Console()
err_console = Console(stderr=True)


def render_table(cols: list[str], rows: list[tuple], truncated: bool, out: Console) -> None:
    table = Table(show_lines=False)
    for c in cols:
        table.add_column(terminal_text(c))
    for r in rows:
        table.add_row(*["" if v is None else terminal_text(v) for v in r])
    out.print(table)
    more = "（更多行已省略，可用 --max-rows 调整）" if truncated else ""
    out.print(f"[dim]{len(rows)} 行{more}[/dim]")


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
        write_private_text(output, text)
    more = "（更多行已省略，可用 --max-rows 调整）" if truncated else ""
    err_console.print(f"已写出 {len(rows)} 行到 {terminal_text(output)}{more}")


def sql_command(
    command: str = typer.Option(
        None, "-c", "--command", help="执行一条查询（或 .tables）后退出 / run one query and exit."
    ),
    tables: bool = typer.Option(
        False, "--tables", help="列出可查询的表（服务契约中的公开模型）及说明后退出 / list the published tables."
    ),
    database: Path = typer.Option(
        None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB 或 data/serve.duckdb）/ snapshot to open."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="输出格式 / output format: table | csv | xlsx | markdown."),
    output: Path = typer.Option(
        None, "--output", "-o", help="写入文件（xlsx 必须指定）/ write to this file (required for xlsx)."
    ),
    max_rows: int = typer.Option(
        None, "--max-rows", help="最多输出行数（终端默认 200，文件默认不限）/ at most this many rows."
    ),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", help="每条查询的时限（秒）/ seconds per statement."),
    memory_limit: str = typer.Option(
        DEFAULT_MEMORY, "--memory-limit", help="内存上限 / DuckDB memory_limit, e.g. 1GB."
    ),
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
            con = connect_readonly(
                database or Settings.from_env().serve_duckdb,
                memory_limit=memory_limit,
                threads=threads,
                temp_directory=tmp,
                max_temp_size=max_temp,
            )
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
