"""``liangxin template``: write a blank (or, with ``--prefill``, pre-filled) return workbook.

``liangxin.template.TemplateError`` (a plain ``ValueError`` naming the option at fault) is mapped here to
``typer.BadParameter``: "Invalid value for --unit: …", exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import typer


def template_command(
    unit: str = typer.Option(
        ...,
        "--unit",
        help="填报单位编码：社区党总支的12位统计用区划代码，须在单位名册"
        "（seeds/communities.csv）中 / 12-digit code of the community, from the unit register.",
    ),
    period: str = typer.Option(..., "--period", help="报告期，格式 YYYYQn，如 2020Q3 / report period YYYYQn."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="输出的 .xlsx 文件路径 / where to write the .xlsx.", dir_okay=False, writable=True
    ),
    prefill: bool = typer.Option(
        False, "--prefill", help="预填：表1、表2、表6 从该单位上一份已接收报表结转，流量表为空。"
    ),
) -> None:
    """生成空白季报模板（.xlsx）：封面已预填单位、报告期、模板版本和更正序号0，各表带下拉列表和数据校验。

    Write the blank quarterly return workbook for one community and quarter: one sheet per form (封面, 表1–表6), a comment on every header explaining the column, drop-down lists for codes and 是/否, number, date and length checks, and the cover pre-filled. Example: liangxin template --unit 330199001001 --period 2020Q3 -o 金桥_2020Q3.xlsx
    """
    from liangxin.settings import Settings
    from liangxin.template import TemplateError, write_template

    settings = Settings.from_env()  # the edge: the extra register (LIANGXIN_REGISTER), the warehouse
    if prefill:  # liangxin.prefill (newuser-cli): the stock sheets carried forward
        from liangxin.prefill import write_prefilled

        try:
            res = write_prefilled(unit, period, output, settings=settings)
        except TemplateError as exc:
            raise typer.BadParameter(str(exc), param_hint=exc.option) from exc
        typer.echo(res.message)
        typer.echo(f"已生成{'预填' if res.source else '空白'}模板：{res.path}")
        return
    try:
        path = write_template(unit, period, output, register_csv=settings.register_csv)
    except TemplateError as exc:  # a domain error, reported as a bad option (exit code 2)
        raise typer.BadParameter(str(exc), param_hint=exc.option) from exc
    typer.echo(f"已生成模板 / template written: {path}")
