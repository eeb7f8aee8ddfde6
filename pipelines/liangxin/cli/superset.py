"""``liangxin superset …`` — stand Superset up locally and publish the dashboards to it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from liangxin.settings import Settings  # each command is an edge: the environment is read there

app = typer.Typer(
    name="superset",
    help="Superset：本地启动/停止、发布看板（领导驾驶舱、单建率通报、统计年报）与按社区的行级权限。",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.command("up")
def up_command(
    serve_db: Optional[Path] = typer.Option(None, "--serve-db", help="服务快照（默认 LIANGXIN_SERVE_DUCKDB）"),
) -> None:
    """创建 Superset 自己的虚拟环境（已装则跳过）、写配置、迁移元数据库、建管理员、后台启动 gunicorn。"""
    from liangxin.superset import server

    res = server.up(serve_db, log=console.print, app=Settings.from_env())
    console.print(f"[green]Superset: {res['url']}[/green]  pid {res['pid']}")


@app.command("down")
def down_command() -> None:
    """按 PID 停止本地 Superset。"""
    from liangxin.superset import server

    server.down(log=console.print, app=Settings.from_env())


@app.command("status")
def status_command() -> None:
    """显示本地 Superset 的状态。"""
    from liangxin.superset import server

    st = server.status(app=Settings.from_env())
    table = Table(title="Superset 状态 / status")
    table.add_column("项目")
    table.add_column("值")
    from liangxin.neutral import terminal_text

    for k, v in st.items():
        table.add_row(k, terminal_text(v))
    console.print(table)
    if not st["healthy"]:
        raise typer.Exit(1)


@app.command("publish")
def publish_command(
    serve_db: Optional[Path] = typer.Option(None, "--serve-db", help="服务快照（默认 LIANGXIN_SERVE_DUCKDB）"),
    url: Optional[str] = typer.Option(None, "--url", help="Superset 地址（默认 LIANGXIN_SUPERSET_URL 或本地）"),
) -> None:
    """把 dashboards/superset/ 中的看板打包导入 Superset，并建立每个社区的角色与行级权限。"""
    from liangxin.superset.publish import publish

    res = publish(serve_db, url=url, log=console.print, app=Settings.from_env())
    for slug, title in res["dashboards"].items():
        console.print(f"  看板 {title}: {res['url']}/superset/dashboard/liangxin-{slug}/")
