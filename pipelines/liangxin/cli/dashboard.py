"""``liangxin dashboard``: write the static leadership dashboard (``liangxin.dashboard.render_dashboard``)."""

from __future__ import annotations

from pathlib import Path

import typer


def dashboard_command(
    serve_db: Path = typer.Option(
        None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB 或 data/serve.duckdb）/ serving snapshot."
    ),
    out: Path = typer.Option(None, "-o", "--out", help="输出目录（默认 build/dashboard）/ output directory."),
) -> None:
    """生成领导看板：自包含、可离线打开的 index.html / write the static leadership dashboard."""
    from liangxin.dashboard import DashboardDataError, render_dashboard
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge
    try:
        path = render_dashboard(serve_db or settings.serve_duckdb, out or settings.build / "dashboard")
    except (FileNotFoundError, DashboardDataError) as exc:
        typer.echo(f"看板生成失败：{exc}", err=True)
        raise typer.Exit(2)
    size = path.stat().st_size / 1e6
    typer.echo(f"已生成领导看板 / dashboard written: {path}（{size:.1f} MB）")
