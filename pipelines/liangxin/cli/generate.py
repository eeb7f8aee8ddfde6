"""``liangxin generate``: build a synthetic district (or city / province), write its returns, inject defects."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from liangxin.periods import PERIOD_RE


def generate(
    tier: Annotated[
        str, typer.Option("--tier", help="规模 tier: district（示范区60个社区）、city（×10）或 province（×100）")
    ] = "district",
    from_: Annotated[str, typer.Option("--from", help="起始报告期 first quarter, YYYYQn")] = "2019Q1",
    to: Annotated[str, typer.Option("--to", help="截止报告期 last quarter, YYYYQn")] = "2021Q4",
    out: Annotated[
        Path, typer.Option("--out", help="输出目录 output folder; files go to <out>/<period>/<unit>_<period>.xlsx")
    ] = Path("generated"),
    seed: Annotated[int, typer.Option("--seed", help="随机种子 seed: same seed ⇒ byte-identical files")] = 20201,
    defects: Annotated[
        str | None,
        typer.Option(
            "--defects",
            help="注入缺陷 defects to inject, e.g. 'bad_uscc_check:3,broken_balance:2' or 'all'; manifest in <out>/defects.json",
        ),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="写出指标真值 write the indicator oracle (liangxin.truth) as JSON to this path"),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="文件格式 xlsx（默认）或 csvzip（每张表一个CSV的zip）")
    ] = "xlsx",
    encoding: Annotated[str, typer.Option("--encoding", help="csvzip 编码: utf-8, utf-8-sig 或 gb18030")] = "utf-8",
    communities: Annotated[
        int | None,
        typer.Option(
            "--communities", min=1, help="只生成名册前N个社区（小规模试验、测试用） only the first N communities"
        ),
    ] = None,
) -> None:
    """生成合成的两新组织党建季报（世界模型 → 每个社区每季度一个文件），可选注入缺陷并写出真值。

    Build a consistent synthetic world quarter by quarter, derive every community's return from it and
    write them as workbooks (or CSV zips). City and province tiers also write <out>/register.csv and
    <out>/development_quotas.csv (set LIANGXIN_REGISTER to the register before ingesting them).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from liangxin.generator import build_world
    from liangxin.generator.defects import apply_defects, parse_defect_spec
    from liangxin.generator.world import TIERS
    from liangxin.generator.writer import write_world

    console = Console()
    if tier not in TIERS:
        raise typer.BadParameter(f"未知规模 {tier!r}，可选 district / city / province", param_hint="--tier")
    for p, hint in ((from_, "--from"), (to, "--to")):
        if not PERIOD_RE.match(p):
            raise typer.BadParameter(f"报告期格式应为 YYYYQn，实际为 {p!r}", param_hint=hint)
    if from_ > to:
        raise typer.BadParameter("起始报告期晚于截止报告期", param_hint="--from")
    if format not in ("xlsx", "csvzip"):
        raise typer.BadParameter("格式只能是 xlsx 或 csvzip", param_hint="--format")
    if encoding not in ("utf-8", "utf-8-sig", "gb18030"):
        raise typer.BadParameter("编码只能是 utf-8、utf-8-sig 或 gb18030", param_hint="--encoding")
    try:
        spec = parse_defect_spec(defects)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--defects") from exc
    compute_truth = None
    if truth is not None:
        try:
            from liangxin.truth import compute_truth
        except ImportError as exc:
            console.print(f"[red]无法导入 liangxin.truth（指标真值模块尚不可用）：{exc}[/red]")
            raise typer.Exit(2) from exc

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    from liangxin.periods import periods_between

    periods = periods_between(from_, to)
    with Progress(
        TextColumn("构建世界 building world"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("world", total=len(periods))
        world = build_world(
            tier=tier, start=from_, end=to, seed=seed, communities=communities, progress=lambda p: bar.advance(task)
        )
    t1 = time.perf_counter()
    if tier != "district":
        cols = ["unit_code", "unit_name", "street_code", "street_name", "district_code", "district_name", "sort_order"]
        with open(out / "register.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(world.communities)
        with open(out / "development_quotas.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["unit_code", "year", "quota"])
            for (u, y), q in sorted(world.quotas.items()):
                w.writerow([u, y, q])
    paths = write_world(world, out, fmt=format, encoding=encoding, progress=True)
    t2 = time.perf_counter()
    manifest = apply_defects(world, out, defects, seed=seed, fmt=format, encoding=encoding) if spec else []
    if truth is not None:
        values = compute_truth(world)
        truth.parent.mkdir(parents=True, exist_ok=True)
        truth.write_text(
            json.dumps(
                {
                    "generated": {
                        "tier": tier,
                        "from": from_,
                        "to": to,
                        "seed": seed,
                        "defects": defects,
                        "format": format,
                        "encoding": encoding,
                        "communities": communities,
                    },
                    "values": values,
                },
                ensure_ascii=False,
                default=str,
                indent=0,
            ),
            encoding="utf-8",
        )
    s = world.stats
    table = Table(title=f"合成数据 generated ({tier}, {from_}–{to}, seed {seed})")
    table.add_column("项目 item")
    table.add_column("数量 count", justify="right")
    rows = [
        ("文件 files", len(paths)),
        ("社区 communities", len(world.communities)),
        (f"两新组织 units ({s['period']}, 存续)", s["units"]),
        ("党建基数 base B", s["base"]),
        ("应单独组建 E (≥3 正式党员)", s["eligible"]),
        ("党组织 Party orgs", s["party_orgs"]),
        ("单独组建 standalone", s["standalone_orgs"]),
        ("联合党支部 joint branches", s["joint_branches"]),
        ("联合覆盖单位 units in joint branches", s["joint_units"]),
        ("党员 members", s["members"]),
        ("流入/流出 mobile in/out", f"{s['inflow']}/{s['outflow']}"),
        ("缺陷 defects (manifest rows)", len(manifest)),
        ("用时 seconds: world / write", f"{t1 - t0:.1f} / {t2 - t1:.1f}"),
    ]
    for y, d in sorted(s["per_year"].items()):
        rows.append((f"{y} 发展党员 / 参训人次", f"{d['developed']} / {d['attendance']}"))
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)
