"""``liangxin explain``: where an indicator value comes from — the units in its numerator and denominator, each
with the submission (file name, 更正序号, SHA-256), the sheet and the row it was read from.

The unit-level indicators (表1 两新组织情况: N_U, N_B, N_E, K1–K6, K11, K19) are counts of rows of the current
submissions' 表1 (``intermediate.int_unit_status``, one row per unit × community × quarter, with ``submission_id``
and ``source_row``).  :data:`UNIT_RULES` restates the predicates of ``int_community_quarter_measures.sql`` over
those rows; :func:`explain` checks its counts against the published ``marts.fct_indicators`` numerator and
denominator, so a drift between the two is reported, never hidden (D126).  Only organisation codes (统一社会信用代码)
and names appear: no person, no ID number.

``explain(indicator, unit, period, con) -> list[ExplainRow]`` is the function the dashboard's click-through calls
(``con``: a DuckDB connection to the build database, read-only is enough).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from liangxin import forms
from liangxin.settings import Settings

ORG_SHEET = next((f.sheet for f in forms.FORMS if f.key == "organizations"), "表1 两新组织情况")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _cell(text: object) -> str:
    """Submitted text for a terminal or CSV cell: control characters removed, a leading = + - @ made text."""
    s = _CONTROL.sub("", "" if text is None else str(text))
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s

# indicator -> (numerator predicate, denominator predicate or None), over intermediate.int_unit_status columns;
# the same predicates as dbt_project/models/intermediate/int_community_quarter_measures.sql
UNIT_RULES: dict[str, tuple[str, str | None]] = {
    "N_U": ("in_u", None),
    "N_B": ("in_b", None),
    "N_E": ("in_e", None),
    "K1": ("in_b and party_status = '单独建立'", "in_b"),
    "K2": ("in_b and covered_k2", "in_b"),
    "K3": ("in_e and party_status = '单独建立'", "in_e"),
    "K3b": ("in_e and party_status <> '单独建立'", None),
    "K3b_joint": ("in_e and party_status in ('联合建立', '挂靠')", None),
    "K3b_functional": ("in_e and party_status = '功能型'", None),
    "K3b_none": ("in_e and party_status = '未建立'", None),
    "K4": ("in_b and (covered_k2 or party_status = '功能型' or instructor or first_secretary or has_union "
           "or has_youth_league or has_women_org)", "in_b"),
    "K5": ("in_b and covered_k2 and (instructor or first_secretary)", "in_b and covered_k2"),
    "K6_union": ("in_b and has_union", "in_b"),
    "K6_youth": ("in_b and has_youth_league", "in_b"),
    "K6_women": ("in_b and has_women_org", "in_b"),
    "K11": ("in_b and is_enterprise and investor_trained", "in_b and is_enterprise"),
    "K19": ("in_b and inspection_result = '合格'", "in_b and inspection_result is not null and inspection_result <> '未检'"),
}

NUMERATOR, DENOMINATOR = "分子", "分母"


class ExplainError(ValueError):
    """Bad input (unknown indicator, unit or period): the message lists the valid ones."""


@dataclass
class ExplainRow:
    role: str  # 分子 | 分母 (a unit in both appears twice)
    community_code: str
    community_name: str
    uscc: str
    org_name: str
    party_status: str | None
    submission_id: str
    original_name: str
    correction_no: int | None
    received_at: str
    sheet: str
    row: int  # the row of the submitted sheet (1 = header)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Published:
    indicator_id: str
    indicator_name: str
    level: str
    entity_code: str
    entity_name: str
    period: str
    numerator: int | None
    denominator: int | None
    value: float | None


def _one_of(items: list[str], limit: int = 40) -> str:
    if not items:
        return "（无）"
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 个" if len(items) > limit else "")


def _published(con, indicator: str, unit: str, period: str) -> Published:
    ids = [r[0] for r in con.execute(
        "select distinct indicator_id from marts.fct_indicators order by 1").fetchall()]
    supported = [i for i in UNIT_RULES if i in ids] or list(UNIT_RULES)
    if indicator not in UNIT_RULES:
        names = dict(con.execute("select distinct indicator_id, indicator_name from marts.fct_indicators").fetchall())
        listing = "；".join(f"{i} {names.get(i, '')}".strip() for i in supported)
        what = "未知指标" if indicator not in ids else "该指标暂不支持逐单位溯源（不是按表1单位计数的指标）"
        raise ExplainError(f"{what}：{indicator}。可溯源的指标：{listing}")
    entities = con.execute(
        "select distinct level, entity_code, entity_name from intermediate.int_entity_membership "
        "order by case level when 'district' then 0 when 'street' then 1 else 2 end, entity_code").fetchall()
    match = [e for e in entities if e[1] == unit]
    if not match:
        listing = [f"{c} {n}" for lv, c, n in entities if lv != "community"]
        n_comm = sum(1 for e in entities if e[0] == "community")
        raise ExplainError(f"未知单位：{unit}。可用的单位：{_one_of(listing)}；以及 {n_comm} 个社区（12 位社区代码，"
                           f"如 {next((c for lv, c, _ in entities if lv == 'community'), '—')}）")
    level = match[0][0]
    periods = [r[0] for r in con.execute(
        "select distinct period from marts.fct_indicators where indicator_id = ? and entity_code = ? "
        "and level = ? order by 1", [indicator, unit, level]).fetchall()]
    if period not in periods:
        raise ExplainError(f"报告期 {period} 没有 {indicator}（{unit}）的数值。可用的报告期：{_one_of(periods)}")
    row = con.execute(
        "select indicator_id, indicator_name, level, entity_code, entity_name, period, numerator, denominator, value "
        "from marts.fct_indicators where indicator_id = ? and entity_code = ? and level = ? and period = ?",
        [indicator, unit, level, period]).fetchone()
    return Published(*row)


def _quarter_of(period: str) -> str:
    """A quarterly period as it is; a year (Q4-rule indicators) → its fourth quarter."""
    return f"{period}Q4" if re.fullmatch(r"\d{4}", period) else period


def explain(indicator: str, unit: str, period: str, con) -> list[ExplainRow]:
    """The units counted in ``indicator``'s numerator and denominator for entity ``unit`` (district, street or
    community code) and ``period`` (``YYYYQn``, or ``YYYY`` for the year value), with their lineage.

    Raises :class:`ExplainError` (Chinese, listing the valid choices) for an unknown indicator, unit or period.
    """
    indicator, unit, period = indicator.strip(), unit.strip(), period.strip().upper()
    _published(con, indicator, unit, period)
    num, den = UNIT_RULES[indicator]
    parts = [(NUMERATOR, num)] + ([(DENOMINATOR, den)] if den else [])
    out: list[ExplainRow] = []
    for role, predicate in parts:
        rows = con.execute(
            f"""
            select s.unit_code, m.entity_name as community_name, s.uscc, s.org_name, s.party_status,
                   s.submission_id, sub.original_name, sub.correction_no, cast(sub.received_at as varchar),
                   s.source_row
            from intermediate.int_unit_status as s
            inner join intermediate.int_entity_membership as mm on mm.unit_code = s.unit_code
            left join intermediate.int_entity_membership as m
                   on m.unit_code = s.unit_code and m.level = 'community'
            left join raw.submissions as sub on sub.submission_id = s.submission_id
            where mm.entity_code = ? and s.period = ? and ({predicate})
            order by s.unit_code, s.source_row
            """, [unit, _quarter_of(period)]).fetchall()
        out += [ExplainRow(role, r[0], r[1] or "", r[2] or "", r[3] or "", r[4], r[5], r[6] or "", r[7], r[8] or "",
                           ORG_SHEET, int(r[9]) if r[9] is not None else 0) for r in rows]
    return out


def check_against_published(indicator: str, unit: str, period: str, con,
                            rows: list[ExplainRow] | None = None) -> tuple[Published, int, int | None]:
    """(published value, units in the numerator, units in the denominator or None); the caller compares."""
    pub = _published(con, indicator.strip(), unit.strip(), period.strip().upper())
    rows = rows if rows is not None else explain(indicator, unit, period, con)
    n_num = sum(1 for r in rows if r.role == NUMERATOR)
    n_den = sum(1 for r in rows if r.role == DENOMINATOR) if UNIT_RULES[pub.indicator_id][1] else None
    return pub, n_num, n_den


def connect_build(db: Path):
    import duckdb

    db = Path(db)
    if not db.exists():
        raise ExplainError(f"构建库不存在：{db}。请先接收报表并运行 liangxin build（或 liangxin demo）。")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise ExplainError(f"无法只读打开构建库 {db}（可能正在构建，请稍后重试）：{exc}") from exc


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------
def explain_command(
    indicator: str = typer.Argument(..., metavar="指标", help="指标编号，如 K1（单独组建率）。"),
    unit: str = typer.Option(..., "--unit", "-u", help="区、街道或社区代码。"),
    period: str = typer.Option(..., "--period", "-p", help="报告期：季度 YYYYQn，或年度 YYYY。"),
    limit: int = typer.Option(30, "--limit", help="每个部分最多显示的单位数（0 = 全部）。"),
    output: Path = typer.Option(None, "--output", "-o", help="把全部明细写入 CSV 文件（UTF-8 带 BOM）。"),
    db: Path = typer.Option(None, "--db", help="构建库（默认 $LIANGXIN_DUCKDB）。"),
) -> None:
    """指标溯源：列出某指标数值的分子、分母所含单位，及每个单位来自哪份报表（文件、更正序号）、哪张表、哪一行。

    只显示单位（统一社会信用代码、名称），不含任何个人信息。
    """
    from rich.console import Console
    from rich.markup import escape
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
        Console(stderr=True).print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2)
    value = "—" if pub.value is None else (f"{pub.value:.1%}" if pub.denominator is not None else f"{pub.value:,.0f}")
    console.print(f"[bold]{escape(pub.indicator_id)} {escape(pub.indicator_name or '')}[/bold]　"
                  f"{escape(pub.entity_name or '')}（{escape(pub.entity_code)}）　报告期 {escape(pub.period)}")
    console.print(f"发布值：{value}　分子 {pub.numerator}" + ("" if pub.denominator is None else f"　分母 {pub.denominator}"))
    for role in (NUMERATOR, DENOMINATOR):
        part = [r for r in rows if r.role == role]
        if role == DENOMINATOR and n_den is None:
            continue
        shown = part if limit <= 0 else part[:limit]
        t = Table(title=f"{role}：{len(part)} 个单位" + ("" if len(shown) == len(part) else f"（显示前 {len(shown)} 个）"))
        for col in ("社区代码", "统一社会信用代码", "单位名称", "建立情况", "来源（报表文件 · 更正序号 · 表 · 行）"):
            t.add_column(col, overflow="fold")
        for r in shown:
            corr = "—" if r.correction_no is None else r.correction_no
            t.add_row(escape(_cell(r.community_code)), escape(_cell(r.uscc)), escape(_cell(r.org_name)),
                      escape(_cell(r.party_status)),
                      escape(_cell(f"{r.original_name} · 更正{corr} · {r.sheet} · 第{r.row}行")))
        console.print(t)
    ok = n_num == pub.numerator and (n_den is None or n_den == pub.denominator)
    console.print(("[green]明细与发布值一致[/green]" if ok else
                   f"[red]明细与发布值不一致：明细分子 {n_num}、分母 {n_den}；发布分子 {pub.numerator}、分母 {pub.denominator}[/red]"))
    if output is not None:
        import csv

        with open(output, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["部分", "社区代码", "社区", "统一社会信用代码", "单位名称", "党组织建立情况", "报表SHA-256",
                        "报表文件", "更正序号", "接收时间", "表", "行"])
            for r in rows:
                w.writerow([r.role, _cell(r.community_code), _cell(r.community_name), _cell(r.uscc), _cell(r.org_name),
                            _cell(r.party_status), r.submission_id, _cell(r.original_name), r.correction_no,
                            r.received_at, r.sheet, r.row])
        console.print(f"明细已写入：{output}")
    if not ok:
        raise typer.Exit(1)
