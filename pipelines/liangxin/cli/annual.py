"""``liangxin annual-return [--year Y …] | finalize | status``: the annual return's commands.

The workbook is written by ``liangxin.annual``, finalized by ``liangxin.finalize``; this module only parses the
options, calls them and prints (Rich).
"""

from __future__ import annotations

from pathlib import Path

import typer

annual_return_app = typer.Typer(
    help="统计年报：写出年报工作簿（liangxin annual-return --year Y），定稿（finalize），查看审核结论与状态（status）。",
    no_args_is_help=False,
)


def finalize_command(
    year: int = typer.Option(..., "--year", help="定稿的年份"),
    by: str = typer.Option(None, "--by", help="定稿人姓名（必填）"),
    override: str = typer.Option(None, "--override", help="审核结论为 不得上报 时强制定稿的理由（印在封面）"),
    unit: str = typer.Option(None, "--unit", envvar="LIANGXIN_SIGNOFF_UNIT", help="填报单位（盖章）"),
    head: str = typer.Option(None, "--head", envvar="LIANGXIN_SIGNOFF_HEAD", help="单位负责人（必填）"),
    filled_by: str = typer.Option(None, "--filled-by", envvar="LIANGXIN_SIGNOFF_FILLED_BY", help="填表人（必填）"),
    reviewed_by: str = typer.Option(
        None, "--reviewed-by", envvar="LIANGXIN_SIGNOFF_REVIEWED_BY", help="审核人（必填）"
    ),
    phone: str = typer.Option(None, "--phone", envvar="LIANGXIN_SIGNOFF_PHONE", help="联系电话"),
    report_date: str = typer.Option(
        None, "--date", envvar="LIANGXIN_SIGNOFF_DATE", help="报出日期 YYYY-MM-DD（必填，不默认今天）"
    ),
    rebuild: bool = typer.Option(
        True, "--rebuild/--no-rebuild", help="定稿后重新构建并发布（年报封面、下一年 A3 读取新版本）"
    ),
) -> None:
    """定稿：把当前年报（全部单元格、审核结论、定稿人、时间、SHA-256）存为第 N 版；重建不会覆盖。"""
    from rich.console import Console

    from liangxin.finalize import FinalizeError, finalize_year
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge
    console = Console()
    try:
        out = finalize_year(
            year,
            by,
            db_path=settings.duckdb,
            override=override,
            signoff=dict(
                unit=unit, head=head, filled_by=filled_by, reviewed_by=reviewed_by, phone=phone, report_date=report_date
            ),
        )
    except FinalizeError as exc:
        console.print(f"[red]定稿被拒绝：{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2)
    console.print(
        f"{year} 年报已定稿（第{out['version']}版）：{out['verdict']}，{out['cells']} 个单元格，"
        f"SHA-256 {out['sha256']}，定稿人 {out['finalized_by']}",
        soft_wrap=True,
    )
    if out["override_reason"]:
        console.print(f"[yellow]强制定稿理由：{out['override_reason']}[/yellow]")
    if rebuild:
        from liangxin.pipeline import PipelineError, build_and_publish

        try:
            built = build_and_publish(settings=settings, force=True)
        except PipelineError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1)
        for line in built.get("annual_verdicts", []):
            console.print(line, soft_wrap=True)


def status_command(
    serve_db: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB）"),
) -> None:
    """各年年报的审核结论（可以上报 / 不得上报及原因）、覆盖情况与定稿状态。"""
    from rich.console import Console
    from rich.table import Table

    from liangxin.serving import connect_readonly
    from liangxin.settings import Settings

    con = connect_readonly(serve_db or Settings.from_env().serve_duckdb)
    try:
        rows = con.execute(
            "select year, verdict, status, finalized_version, communities_complete, communities_expected, "
            "reasons from annual.rpt_annual_verdict order by year"
        ).fetchall()
    finally:
        con.close()
    table = Table(title="统计年报审核结论")
    for h in ("年份", "结论", "状态", "定稿版本", "四季齐全社区", "原因"):
        table.add_column(h)
    for y, verdict, status, version, ok, n, reasons in rows:
        table.add_row(str(y), verdict, status, str(version or ""), f"{ok}/{n}", reasons or "")
    Console().print(table)


def _annual_return(
    ctx: typer.Context,
    year: int = typer.Option(None, "--year", help="年份；不给则写出每个有已接收报表的年份。"),
    output: Path = typer.Option(
        None, "-o", "--output", help="工作簿路径（默认 build/annual/<年>.xlsx；仅与 --year 一起用）。"
    ),
    serve_db: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB）。"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="有 LibreOffice 时同时写出 PDF。"),
) -> None:
    """统计年报：写出年报工作簿（封面、表一至表九、审核结果）和年报看板页；子命令 finalize 定稿，status 审核结论与状态。

    ``liangxin annual-return [--year Y] …`` without a sub-command runs the workbook writer (:func:`write_command`)."""
    if ctx.invoked_subcommand is not None:
        return
    write_command(year=year, output=output, serve_db=serve_db, pdf=pdf)


def write_command(
    year: int = typer.Option(None, "--year", help="年份（用该年第四季度报表的存量与四个季度的流量）。"),
    output: Path = typer.Option(
        None, "-o", "--output", help="工作簿路径（默认 build/annual/<年>.xlsx；仅与 --year 一起用）。"
    ),
    serve_db: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB）。"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="有 LibreOffice 时同时写出 PDF。"),
) -> None:
    """写出统计年报（封面、表一至表九、审核结果）.xlsx，并写出年报看板页 / write the annual return."""
    from rich.console import Console

    from liangxin.annual import PdfError, SignOff, annual_years, convert_to_pdf, verdict_line, write_annual_return
    from liangxin.neutral import terminal_text
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge: configuration read here, once
    serve_db = serve_db or settings.serve_duckdb
    configured = SignOff.from_settings(settings)
    console = Console()
    try:
        years = [year] if year is not None else annual_years(serve_db)
    except (LookupError, FileNotFoundError) as exc:
        console.print(f"[red]{terminal_text(exc)}[/red]")
        raise typer.Exit(2)
    if not years:
        console.print("[red]服务快照中没有任何年份的年报（没有已接收的报表）[/red]")
        raise typer.Exit(2)
    failed = False
    for y in years:
        out = Path(output) if (output and year is not None) else settings.build / "annual" / f"{y}.xlsx"
        try:
            write_annual_return(y, out, serve_db, configured=configured)
            data_verdict = verdict_line(y, serve_db)
        except (LookupError, FileNotFoundError) as exc:
            console.print(f"[red]{terminal_text(exc)}[/red]")
            failed = True
            continue
        console.print(f"{y} 年年报已写出：[bold]{terminal_text(out)}[/bold]　{terminal_text(data_verdict)}")
        try:
            from liangxin.annual_page import write_annual_page

            page = write_annual_page(y, serve_db, settings.build / "dashboard")
            console.print(f"　年报看板页：{terminal_text(page)}")
        except (LookupError, FileNotFoundError) as exc:
            console.print(f"[yellow]年报看板页未写出：{terminal_text(exc)}[/yellow]")
        if pdf:
            try:
                p = convert_to_pdf(out)
            except PdfError as exc:
                console.print(f"[red]PDF 未写出：{terminal_text(exc)}[/red]")
                failed = True
                continue
            if p:
                console.print(f"　PDF：[bold]{terminal_text(p)}[/bold]")
            else:
                console.print("　[yellow]未安装 LibreOffice，未生成 PDF[/yellow]")
    if failed:
        raise typer.Exit(1)


annual_return_app.callback(invoke_without_command=True)(_annual_return)
annual_return_app.command("finalize")(finalize_command)
annual_return_app.command("status")(status_command)
