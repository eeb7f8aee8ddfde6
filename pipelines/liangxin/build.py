"""``liangxin build``: the Dagster build job in-process — dbt build, serving snapshot, dashboard, annual returns."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console()


def build_command(
    force: bool = typer.Option(False, "--force", help="Rebuild even when no new submission arrived."),
    year: list[int] = typer.Option(None, "--year", help="Annual return year(s) to publish (default: every year with a Q4 return)."),
) -> None:
    """Build the warehouse with dbt (every model and test) and publish the serving snapshot, the static dashboard
    and the annual returns — the same Dagster job the UI runs after each ingestion.

    Skipped when nothing changed since the last successful build (use --force to rebuild anyway).
    """
    from liangxin.pipeline import PipelineError, build_and_publish

    try:
        out = build_and_publish(force=force, years=list(year or []))
    except PipelineError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1)
    console.print(out.get("note", ""))
    console.print(f"指标值 indicator values: {out.get('indicator_values')}")
    console.print(f"领导驾驶舱 dashboard: {out.get('dashboard')}")
    for y, p in sorted((out.get("annual") or {}).items()):
        console.print(f"{y} 年报 annual return: {p}")
    for line in out.get("annual_verdicts") or []:  # 可以上报 / 不得上报 and why (liangxin.finalize.record_verdicts)
        console.print(line)
