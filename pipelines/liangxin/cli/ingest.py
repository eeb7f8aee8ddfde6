"""``liangxin ingest``: receive returns through the home's Dagster ``ingest_job`` and print the summary.

The receiving itself (archive, validate, report, load) is ``liangxin.ingest``; :func:`print_summary` is also used
by ``liangxin reingest`` / ``rekey`` (``liangxin.cli.ops``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from liangxin import privacy, warehouse
from liangxin.ingest import DUPLICATE_TITLE, FAILED, OUTCOME_LABELS, IngestOutcome
from liangxin.settings import Settings
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, REJECTED


def print_summary(outcomes: list[IngestOutcome], console=None, max_errors: int = 3) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    counts = {k: 0 for k in (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, DUPLICATE, FAILED)}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    table = Table(title="报表接收汇总")
    table.add_column("结果")
    table.add_column("文件数", justify="right")
    for k, n in counts.items():
        if k == FAILED and n == 0:
            continue
        table.add_row(OUTCOME_LABELS[k], str(n))
    table.add_row("合计", str(len(outcomes)), style="bold")
    console.print(table)
    from liangxin.neutral import terminal_text as escape  # submitted text: markup escaped, control chars removed

    rejected = [o for o in outcomes if o.outcome == REJECTED]
    if rejected:
        t = Table(title="退回文件（前几条错误）", show_lines=True)
        t.add_column("文件")
        t.add_column("单位 / 报告期")
        t.add_column("错误数", justify="right")
        t.add_column("主要错误")
        for o in rejected:
            t.add_row(
                escape(o.original_name),
                escape(f"{o.unit_code or '—'} {o.period or ''}"),
                str(o.error_count),
                escape("\n".join(o.first_errors[:max_errors])),
            )
        console.print(t)

    for o in outcomes:
        if o.outcome == DUPLICATE:
            first = o.duplicate_of or {}
            corr = first.get("correction_no")
            console.print(
                f"[yellow]{DUPLICATE_TITLE}[/yellow]：{escape(o.original_name)}"
                + (
                    f"（与 {escape(str(first.get('original_name')))} 相同：{escape(str(first.get('unit_code') or '—'))} "
                    f"{escape(str(first.get('period') or '—'))} 更正序号 {'—' if corr is None else corr}，"
                    f"{escape(OUTCOME_LABELS.get(first.get('outcome'), str(first.get('outcome') or '—')))}，"
                    f"接收于 {escape(str(first.get('received_at') or '—'))}）"
                    if first
                    else ""
                )
                + (f"\n  回执：{escape(str(o.duplicate_receipt))}" if o.duplicate_receipt else "")
            )
    for o in outcomes:
        if o.outcome == FAILED:
            console.print(f"[red]内部错误：{escape(o.original_name)}：{escape(str(o.internal_error))}[/red]")


def ingest_command(
    paths_in: list[Path] = typer.Argument(
        None, metavar="路径...", help="报表文件（.xlsx / .zip）或文件夹；默认：收件箱。"
    ),
    db: Path = typer.Option(None, "--db", help="构建库（默认 $LIANGXIN_DUCKDB 或 $LIANGXIN_HOME/build.duckdb）。"),
    archive: Path = typer.Option(None, "--archive", help="归档目录（默认 $LIANGXIN_ARCHIVE）。"),
    outbox: Path = typer.Option(None, "--outbox", help="回执目录（默认 $LIANGXIN_OUTBOX）。"),
    no_progress: bool = typer.Option(False, "--no-progress", help="不显示进度条。"),
    backfill: bool = typer.Option(
        False, "--backfill", help="历史补录：按报出日期（而非接收时间）判断是否逾期（规则P4），回执注明“历史补录”。"
    ),
) -> None:
    """接收报表：归档、审核、出具回执并入库。

    收件箱中处理过的文件（接收、退回、重复）移入归档；内容重复的文件（SHA-256 相同）出具“重复报送，已忽略”回执，
    不重新审核、不入库。退回（审核错误）属正常结果，退出码为 0；仅内部错误时退出码非 0。
    """
    from rich.logging import RichHandler

    # our own INFO lines; the libraries Dagster brings (alembic creating the instance's storage, …) only warn
    logging.basicConfig(
        level=logging.WARNING, format="%(message)s", datefmt="[%X]", handlers=[RichHandler(show_path=False)]
    )
    logging.getLogger("liangxin").setLevel(logging.INFO)
    from liangxin.pipeline import ensure_home

    settings = Settings.from_env()  # the edge: the environment is read here, once
    try:
        secret = settings.secret()  # refuse before anything is created (production without a real secret)
        # a secret other than the one the warehouse was keyed with: refuse before the Dagster run (exit 2)
        warehouse.check_secret_for(Path(db) if db else settings.duckdb, secret)
    except privacy.SecretConfigurationError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]拒绝接收：{exc}[/bold red]\n未归档、未回执、未入库任何文件。")
        raise typer.Exit(2)
    ensure_home(settings)  # the home's folders (inbox, archive, outbox) exist from the first use
    targets = list(paths_in) if paths_in else [settings.inbox]
    missing = [p for p in targets if not Path(p).exists()]
    if missing:
        from rich.console import Console

        from liangxin.neutral import terminal_text

        Console(stderr=True).print(f"[red]路径不存在：{terminal_text(', '.join(map(str, missing)))}[/red]")
        raise typer.Exit(2)
    # through the home's Dagster instance (the same ingest_job as the inbox sensor), so the run, its asset
    # materialization and its rule-hit checks show in `liangxin ui` (issue 15)
    from liangxin.defs import ingestion as ingestion_defs
    from liangxin.pipeline import PipelineError, ingest_through_dagster

    ingestion_defs.last_outcomes = []
    failure = None
    try:
        ingest_through_dagster(
            targets,
            settings=settings,
            progress=not no_progress,
            backfill=backfill,
            db=db,
            archive=archive,
            outbox=outbox,
        )
    except PipelineError as exc:  # an internal failure on some file: the others were processed; say which
        failure = exc
    outcomes = list(ingestion_defs.last_outcomes)
    print_summary(outcomes)
    if failure is not None and not any(o.outcome == FAILED for o in outcomes):
        from rich.console import Console

        from liangxin.neutral import terminal_text

        Console(stderr=True).print(f"[bold red]{terminal_text(str(failure))}[/bold red]")
    if failure is not None or any(o.outcome == FAILED for o in outcomes):
        raise typer.Exit(1)
