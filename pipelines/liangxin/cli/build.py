"""``liangxin build``: the Dagster build job in-process — dbt build, serving snapshot, dashboard, annual returns."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def build_command(
    force: bool = typer.Option(False, "--force", help="即使没有新报表也重新构建。"),
    year: list[int] = typer.Option(
        None, "--year", help="发布统计年报的年度（可多次给出；默认：每个有第四季度报表的年度）。"
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="不显示进度。"),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="全量重算全部报告期（默认只重算当前报送有变化的报告期）。"
    ),
) -> None:
    """构建与发布：用 dbt 构建数据仓库（模型与测试，按报告期增量），发布服务快照、静态驾驶舱和统计年报——
    与 Dagster 界面在每次接收后运行的是同一个作业，运行记录保存在 $LIANGXIN_HOME/dagster（`liangxin ui` 查看）。

    自上次成功构建以来没有变化时跳过（--force 强制重建）。构建按报告期增量：只重算当前报送有变化的报告期，
    其余报告期沿用上次构建的结果；上次构建未完成、模型/种子/名册有变化或给出 --full-refresh 时全量重算。dbt 日志写入 $LIANGXIN_HOME/logs/，失败时显示其路径和最后的错误。
    """
    from liangxin.pipeline import PipelineError, build_and_publish
    from liangxin.settings import Settings

    try:
        out = build_and_publish(
            settings=Settings.from_env(),
            force=force,
            years=list(year or []),
            progress=not no_progress,
            full_refresh=full_refresh,
        )
    except PipelineError as exc:
        from rich.markup import escape

        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1)
    console.print(out.get("note", ""))
    console.print(f"指标值：{out.get('indicator_values')}")
    console.print(f"领导驾驶舱：{out.get('dashboard')}")
    for y, p in sorted((out.get("annual") or {}).items()):
        console.print(f"{y} 年统计年报：{p}")
    for line in out.get("annual_verdicts") or []:  # 可以上报 / 不得上报 and why (liangxin.finalize.record_verdicts)
        console.print(line)
