"""The static leadership dashboard: one self-contained, offline ``build/dashboard/index.html``.

Two modules, one reason to change each: ``liangxin.dashboard.data`` reads the serving snapshot (the contract's
fixed names) into plain Python; ``liangxin.dashboard.render`` turns that into the page (Jinja2 template
``liangxin/templates/dashboard.html.j2``).  This package re-exports their public names.
"""

from __future__ import annotations

from pathlib import Path

import typer

from liangxin.dashboard.data import (BULLETIN_IDS, DEFAULT_COVERAGE_THRESHOLD, HEADLINE, NOT_COLLECTED,  # noqa: F401
                                     REQUIRED_TABLES, WORK_CARDS, YEARLY_HEADLINE, DashboardDataError,
                                     _competition_rank, default_period, find_table, headline_numbers,
                                     load_dashboard_data, resolve_table)
from liangxin.dashboard.render import (STATIC_DIR, banner_text, coverage_text, explain_command, fmt_change,  # noqa: F401
                                       fmt_value, num_attr, period_label, render_dashboard, render_html)


# the CLI command (Typer); the CLI package (issue 16 #4) is where it belongs
def dashboard_command(
    serve_db: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB 或 data/serve.duckdb）/ serving snapshot."),
    out: Path = typer.Option(None, "-o", "--out", help="输出目录（默认 build/dashboard）/ output directory."),
) -> None:
    """生成领导看板：自包含、可离线打开的 index.html / write the static leadership dashboard."""
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge
    try:
        path = render_dashboard(serve_db or settings.serve_duckdb, out or settings.build / "dashboard")
    except (FileNotFoundError, DashboardDataError) as exc:
        typer.echo(f"看板生成失败：{exc}", err=True)
        raise typer.Exit(2)
    size = path.stat().st_size / 1e6
    typer.echo(f"已生成领导看板 / dashboard written: {path}（{size:.1f} MB）")
