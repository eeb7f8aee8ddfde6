"""``liangxin explain``: the members behind an indicator value, printed (Rich) or written as CSV.

The members and the check against the published value come from ``liangxin.explain`` (D160–D162).
"""

from __future__ import annotations

from pathlib import Path

import typer

from liangxin.explain import (
    COMMUNITY,
    DENOMINATOR,
    KEY_LABEL,
    NUMERATOR,
    SPECS,
    ExplainError,
    ExplainRow,
    check_against_published,
    connect_build,
    explain,
)
from liangxin.neutral import cell_text, scrub_ids, terminal_text
from liangxin.settings import Settings


def _t(value: object) -> str:
    """Terminal-safe (IDs scrubbed, controls removed, Rich markup escaped)."""
    return terminal_text(scrub_ids("" if value is None else value))


def _c(value: object) -> str:
    """CSV-safe (IDs scrubbed, formula prefixes neutralised)."""
    return cell_text(scrub_ids("" if value is None else value)) or ""


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


CSV_HEADER = [
    "部分",
    "成员类型",
    "社区代码",
    "社区",
    "编号",
    "名称",
    "说明",
    "计入值",
    "报告期",
    "报表SHA-256",
    "报表文件",
    "更正序号",
    "接收时间",
    "表",
    "行",
]


def explain_command(
    indicator: str = typer.Argument(..., metavar="指标", help="指标编号，如 K1（单独组建率）、K13、K18、K20。"),
    unit: str = typer.Option(..., "--unit", "-u", help="区、街道或社区代码。"),
    period: str = typer.Option(..., "--period", "-p", help="报告期：季度 YYYYQn，或年度 YYYY。"),
    limit: int = typer.Option(30, "--limit", help="每个部分最多显示的成员数（0 = 全部）。"),
    output: Path = typer.Option(None, "--output", "-o", help="把全部明细写入 CSV 文件（UTF-8 带 BOM）。"),
    db: Path = typer.Option(None, "--db", help="构建库（默认 $LIANGXIN_DUCKDB）。"),
) -> None:
    """指标溯源：列出某指标数值的分子、分母所含成员（单位、党组织、表3行、台账行、人员、培训或社区），及每个成员来自哪份报表（文件、更正序号）、哪张表、哪一行。

    人员只以人员键（假名）出现，不显示姓名或身份证号。
    """
    from rich.console import Console
    from rich.table import Table

    console = Console()
    try:
        con = connect_build(db or Settings.from_env().duckdb)  # the edge: the --db option, else the settings
        try:
            rows = explain(indicator, unit, period, con)
            pub, n_num, n_den = check_against_published(indicator, unit, period, con, rows)
        finally:
            con.close()
    except ExplainError as exc:
        Console(stderr=True).print(f"[red]{_t(exc)}[/red]")
        raise typer.Exit(2)
    spec = SPECS[pub.indicator_id]
    if pub.value is None:
        value = f"—（{pub.null_reason}）" if pub.null_reason else "—"
    elif pub.kind == "ratio":
        value = f"{pub.value:.1%}"
    else:
        value = _fmt(pub.value)
    console.print(
        f"[bold]{_t(pub.indicator_id)} {_t(pub.indicator_name)}[/bold]　"
        f"{_t(pub.entity_name)}（{_t(pub.entity_code)}）　报告期 {_t(pub.period)}"
    )
    console.print(
        f"发布值：{_t(value)}　分子 {_fmt(pub.numerator)}"
        + ("" if pub.denominator is None else f"　分母 {_fmt(pub.denominator)}")
    )
    num_keys = {(r.community_code, r.key) for r in rows if r.role == NUMERATOR}
    for role in (NUMERATOR, DENOMINATOR):
        part = [r for r in rows if r.role == role]
        total = n_num if role == NUMERATOR else n_den
        kind = spec.kind_of(role)
        key_label = KEY_LABEL[kind]
        counted = all(r.value == 1 for r in part)
        if role == DENOMINATOR and (not spec.denominator or pub.denominator is None):
            continue
        if spec.distinct:
            title = f"{role}：{len(part)} 行，按不同{key_label}计 {_fmt(total)} 个{kind}"
        elif counted:
            title = f"{role}：{_fmt(total)} 个{kind}"
        else:
            title = f"{role}：{len(part)} 个{kind}，计入值合计 {_fmt(total)}"
        if role == DENOMINATOR and (counted or spec.distinct):
            # readable: the denominator's count, and those of its members not in the numerator
            part = [r for r in part if (r.community_code, r.key) not in num_keys]
            title += f"，其中 {len(part)} 个不在分子中" + ("（列出如下）" if part else "")
        shown = part if limit <= 0 else part[:limit]
        if len(shown) != len(part):
            title += f"（显示前 {len(shown)} 个）"
        if not shown:
            console.print(title)
            continue
        t = Table(title=title)
        cols = (
            ["社区代码"]
            + ([] if kind == COMMUNITY else [key_label])
            + ["名称", "说明"]
            + ([] if counted else ["计入"])
            + ["来源（报表文件 · 更正序号 · 表 · 行）"]
        )
        for col in cols:
            t.add_column(col, overflow="fold")
        for r in shown:
            cells = (
                [_t(r.community_code)]
                + ([] if kind == COMMUNITY else [_t(r.key)])
                + [_t(r.name), _t(r.detail)]
                + ([] if counted else [_fmt(r.value)])
                + [_t(_source(r))]
            )
            t.add_row(*cells)
        console.print(t)
    if pub.numerator is None:
        ok = n_num is None and (n_den is None or n_den == pub.denominator)
        console.print("分子未采集（该报告期有报表使用的模板不采集所需字段），不列明细。")
    else:
        ok = n_num == pub.numerator and (n_den is None or n_den == pub.denominator)
    console.print(
        (
            "[green]明细与发布值一致[/green]"
            if ok
            else f"[red]明细与发布值不一致：明细分子 {_fmt(n_num)}、分母 {_fmt(n_den)}；"
            f"发布分子 {_fmt(pub.numerator)}、分母 {_fmt(pub.denominator)}[/red]"
        )
    )
    if output is not None:
        import csv

        with open(output, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_HEADER)
            for r in rows:
                w.writerow(
                    [
                        r.role,
                        r.kind,
                        _c(r.community_code),
                        _c(r.community_name),
                        _c(r.key),
                        _c(r.name),
                        _c(r.detail),
                        r.value,
                        _c(r.period),
                        _c(r.submission_id),
                        _c(r.original_name),
                        r.correction_no,
                        _c(r.received_at),
                        _c(r.sheet),
                        r.row,
                    ]
                )
        console.print(f"明细已写入：{_t(output)}")
    if not ok:
        raise typer.Exit(1)


def _source(r: ExplainRow) -> str:
    if not r.submission_id:
        return r.sheet or "—"
    corr = "—" if r.correction_no is None else r.correction_no
    where = f" · {r.sheet} · 第{r.row}行" if r.row else ""
    return f"{r.original_name} · 更正{corr}{where}" + (
        f" · 接收（UTC）{r.received_at[:19]}" if r.sheet == "接收记录" else ""
    )
