"""``liangxin demo``: from nothing to dashboards and the annual return on the embedded default (CLI only: Rich output).

Stages (each timed and summarised):

1. generate — the synthetic district (60 communities, 2019Q1–2021Q4) with its ground truth; cached: a second run
   with the same parameters reuses the files;
2. ingest   — every return through the Dagster ingestion job (archive, audit, reports, DuckDB), in-process;
3. build    — dbt build (all models and tests) as Dagster assets, then the serving snapshot, the static dashboard
   and the annual return workbooks, as Dagster assets downstream of the marts; skipped when nothing changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from liangxin.settings import Settings

console = Console()
GENERATOR_VERSION = "1"


@dataclass
class StageTimes:
    rows: list[tuple[str, float, str]] = field(default_factory=list)

    def add(self, name: str, seconds: float, note: str = "") -> None:
        self.rows.append((name, seconds, note))


def generate_stage(out: Path, start: str, end: str, seed: int, force: bool) -> tuple[int, bool]:
    """Write the district's returns (and truth.json) unless the same generation is already there."""
    marker = out / ".generated.json"
    params = {"tier": "district", "start": start, "end": end, "seed": seed, "version": GENERATOR_VERSION}
    if not force and marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == params:
        return len(list(out.rglob("*.xlsx"))), False
    from liangxin.generator import build_world, write_world
    from liangxin.truth import compute_truth

    with console.status("构建示范区世界模型 / building the synthetic district …"):
        world = build_world("district", start, end, seed)
    files = write_world(world, out, fmt="xlsx", progress=True)
    with console.status("计算真值 / computing the ground truth …"):
        truth = compute_truth(world)
    (out / "truth.json").write_text(
        json.dumps({"generated": params, "values": truth}, ensure_ascii=False, default=str), encoding="utf-8"
    )
    marker.write_text(json.dumps(params), encoding="utf-8")
    return len(files), True


def _submission_counts(db: Path) -> dict[str, int]:
    import duckdb

    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("select outcome, count(*) from raw.submissions group by 1").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def run_demo(
    settings: Settings,
    start: str = "2019Q1",
    end: str = "2021Q4",
    seed: int = 20201,
    year: int | None = None,
    force: bool = False,
) -> dict:
    from liangxin.pipeline import build_and_publish, ingest_through_dagster

    times = StageTimes()
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    returns_dir = home / "demo_returns"
    console.print(Panel.fit(f"liangxin 演示 / demo\n数据目录 / data: {home}", style="bold"))

    t = time.perf_counter()
    n_files, generated = generate_stage(returns_dir, start, end, seed, force)
    times.add(
        "生成示范数据 generate",
        time.perf_counter() - t,
        f"{n_files} 份报表" + ("" if generated else "（已存在，复用）"),
    )

    from liangxin.pipeline import dagster_home, dagster_instance, ensure_home

    ensure_home(settings)
    instance = dagster_instance(settings)
    before = _submission_counts(settings.duckdb)
    t = time.perf_counter()
    # the demo loads 2019–2021 returns today: a historical backfill (P4 and K20 judge them by 报出日期, D135)
    ingest_through_dagster([returns_dir], settings=settings, instance=instance, progress=True, backfill=True)
    after = _submission_counts(settings.duckdb)
    new = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    times.add(
        "接收入库 ingest (Dagster)",
        time.perf_counter() - t,
        "新接收 {} / 有警告 {} / 退回 {}".format(
            new.get("accepted", 0), new.get("accepted_with_warnings", 0), new.get("rejected", 0)
        ),
    )

    t = time.perf_counter()
    # every year with an accepted return gets its annual return (issue 14), or only --year
    built = build_and_publish(settings=settings, instance=instance, force=force, years=[year] if year else None)
    times.add("构建与发布 dbt build + publish", time.perf_counter() - t, built.get("note", ""))

    table = Table(title="liangxin demo 汇总 / summary")
    table.add_column("阶段 stage")
    table.add_column("用时 time", justify="right")
    table.add_column("说明 note")
    for name, secs, note in times.rows:
        table.add_row(name, f"{secs:,.1f} s", note)
    table.add_row("合计 total", f"{sum(r[1] for r in times.rows):,.1f} s", "")
    console.print(table)

    totals = Table(title="报表与指标 / returns and indicators", show_header=False)
    totals.add_row("报表（全部）submissions", str(sum(after.values())))
    for k, zh in (("accepted", "接收"), ("accepted_with_warnings", "接收（有警告）"), ("rejected", "退回")):
        totals.add_row(f"  {zh}", str(after.get(k, 0)))
    totals.add_row("指标值 indicator values", str(built.get("indicator_values", "?")))
    console.print(totals)

    outputs = Table(title="输出 / outputs", show_header=False)
    outputs.add_row("领导驾驶舱 dashboard", str(built.get("dashboard", "")))
    for y, p in sorted(built.get("annual", {}).items()):
        outputs.add_row(f"{y} 年报 annual return", str(p))
    outputs.add_row("服务快照 serving snapshot", str(settings.serve_duckdb))
    outputs.add_row("回执 outbox", str(settings.outbox))
    outputs.add_row("归档 archive", str(settings.archive))
    outputs.add_row("真值 truth", str(returns_dir / "truth.json"))
    console.print(outputs)
    verdicts = built.get("annual_verdicts") or []
    if verdicts:  # each year's cover verdict (可以上报 / 不得上报 with its reasons), as the build records it
        from liangxin.neutral import terminal_text

        console.print("年报审核结论 / annual verdicts:\n" + "\n".join(f"  • {terminal_text(v)}" for v in verdicts))
    console.print(
        "下一步 / next:\n"
        f"  • 打开驾驶舱 open the dashboard: {built.get('dashboard', '')}\n"
        f"  • Dagster 界面（本次运行的记录 {dagster_home(settings)}）: liangxin ui\n"
        "  • 指标溯源 explain a number: liangxin explain K1 --unit <街道或社区代码> --period 2021Q4\n"
        '  • 只读SQL read-only SQL: liangxin sql -c "select * from marts.kpi_bulletin limit 10"'
    )
    return {"times": times.rows, "submissions": after, **built}


def demo_command(
    start: str = typer.Option("2019Q1", "--from", help="生成的第一个季度。"),
    end: str = typer.Option("2021Q4", "--to", help="生成的最后一个季度。"),
    seed: int = typer.Option(20201, "--seed", help="生成器随机种子（同一种子生成相同文件）。"),
    year: int = typer.Option(None, "--year", help="只发布该年度的统计年报（默认：有接收报表的每个年度）。"),
    force: bool = typer.Option(False, "--force", help="即使没有变化也重新生成并重新构建。"),
) -> None:
    """演示：在内置示范区上运行整个产品——生成示范区报表，经 Dagster 接收全部报表，用 dbt 构建数据仓库，
    发布服务快照、静态驾驶舱（build/dashboard/index.html）和统计年报（build/annual/<年度>.xlsx）。

    可重复运行：生成结果有缓存，已接收的文件（SHA-256 相同）跳过，没有新报表时跳过构建。
    运行记录保存在 $LIANGXIN_HOME/dagster，`liangxin ui` 可查看。
    """
    from rich.markup import escape

    from liangxin.pipeline import PipelineError

    try:
        run_demo(Settings.from_env(), start, end, seed, year, force)  # the edge: configuration read once
    except PipelineError as exc:
        console.print(f"[red]演示未完成：{escape(str(exc))}[/red]")
        raise typer.Exit(1)
