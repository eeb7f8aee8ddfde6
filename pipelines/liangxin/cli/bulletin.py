"""``liangxin bulletin``: write the quarterly 单建率通报 (.docx, and PDF when LibreOffice is there).

The document is built by ``liangxin.bulletin``; this module parses the options and prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from liangxin.neutral import terminal_text


def bulletin_command(
    period: str = typer.Option(None, "--period", help="报告期，如 2021Q4。"),
    out_dir: Path = typer.Option(None, "-o", "--out", help="输出目录（默认 build/bulletin）。"),
    serve_db: Path = typer.Option(None, "--db", help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB）。"),
    template: Path = typer.Option(None, "--template", help="部门修改过的通报模板 .docx（默认内置模板）。"),
    write_template: Path = typer.Option(None, "--write-template", help="把内置模板写到此路径供修改，然后退出。"),
    issuer: str = typer.Option(None, "--issuer", help="落款单位（默认 $LIANGXIN_BULLETIN_ISSUER）。"),
    date: str = typer.Option(None, "--date", help="落款日期 YYYY-MM-DD（不给则留空，不取当天日期）。"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="有 LibreOffice 时同时写出 PDF。"),
) -> None:
    """写出季度单建率通报 .docx（及 PDF）/ write the quarterly 单建率通报 document."""
    from rich.console import Console

    from liangxin.annual import PdfError, convert_to_pdf
    from liangxin.bulletin import BulletinError, default_template, write_bulletin

    console = Console()
    if write_template:
        write_template.parent.mkdir(parents=True, exist_ok=True)
        default_template().save(str(write_template))
        console.print(
            f"内置通报模板已写出：{terminal_text(write_template)}（可编辑文字与样式；占位符见 liangxin.bulletin）"
        )
        return
    if not period:
        console.print("[red]请用 --period 指定报告期，如 --period 2021Q4[/red]")
        raise typer.Exit(2)
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        console.print(f"[red]落款日期格式应为 YYYY-MM-DD：{terminal_text(date)}[/red]")
        raise typer.Exit(2)
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge: LIANGXIN_BULLETIN_ISSUER / _TEMPLATE, the locations
    try:
        out = write_bulletin(
            period,
            out_dir or settings.build / "bulletin",
            serve_db or settings.serve_duckdb,
            template or settings.bulletin_template,
            issuer or settings.bulletin_issuer,
            day,
        )
    except (BulletinError, LookupError, FileNotFoundError) as exc:
        console.print(f"[red]{terminal_text(exc)}[/red]")
        raise typer.Exit(2)
    console.print(f"单建率通报已写出：[bold]{terminal_text(out)}[/bold]")
    if pdf:
        try:
            p = convert_to_pdf(out)
        except PdfError as exc:
            console.print(f"[red]PDF 未写出：{terminal_text(exc)}[/red]")
            raise typer.Exit(1)
        console.print(
            f"PDF：[bold]{terminal_text(p)}[/bold]"
            if p
            else "[yellow]未安装 LibreOffice 文字处理组件（Writer），未生成 PDF[/yellow]"
        )
