"""``liangxin sql``: read-only SQL on the serving snapshot for analysts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from liangxin.serving import connect_readonly

console = Console()


def _print_result(cur: duckdb.DuckDBPyConnection, max_rows: int) -> None:
    cols = [d[0] for d in cur.description or []]
    rows = cur.fetchmany(max_rows + 1)
    table = Table(show_lines=False)
    for c in cols:
        table.add_column(c)
    for r in rows[:max_rows]:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)
    more = " (更多行已省略 / more rows omitted)" if len(rows) > max_rows else ""
    console.print(f"[dim]{min(len(rows), max_rows)} 行 / rows{more}[/dim]")


def sql_command(
    command: str = typer.Option(None, "-c", "--command", help="Run one query, print it as a table and exit."),
    database: Path = typer.Option(None, "--db", help="Snapshot to open (default: $LIANGXIN_SERVE_DUCKDB or data/serve.duckdb)."),
    max_rows: int = typer.Option(200, "--max-rows", help="Print at most this many rows."),
) -> None:
    """Open a read-only SQL shell on the serving snapshot (marts, indicators, annual tables).

    The connection is read-only and cannot read or write files outside the snapshot
    (DuckDB enable_external_access=false). Try:  liangxin sql -c "select * from main_marts.kpi_bulletin limit 10"
    Type .tables to list tables, .quit to leave.
    """
    try:
        con = connect_readonly(database)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)
    if command:
        try:
            _print_result(con.execute(command), max_rows)
        except duckdb.Error as exc:
            console.print(f"[red]SQL 错误 / error:[/red] {exc}")
            raise typer.Exit(1)
        return
    console.print("liangxin 只读SQL / read-only SQL. `.tables` 列出表, `.quit` 退出; end a statement with ';'.")
    buf: list[str] = []
    while True:
        try:
            line = input("sql> " if not buf else "...> ")
        except EOFError:
            break
        if not buf and line.strip() in (".quit", ".exit", "\\q"):
            break
        if not buf and line.strip() == ".tables":
            _print_result(con.execute(
                "select table_schema, table_name from information_schema.tables order by 1, 2"), 1000)
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            try:
                _print_result(con.execute("\n".join(buf)), max_rows)
            except duckdb.Error as exc:
                console.print(f"[red]SQL 错误 / error:[/red] {exc}")
            buf = []
