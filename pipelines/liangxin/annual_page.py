"""The annual return's dashboard page: ``build/dashboard/annual-<year>.html`` (annual-return.md, published three
ways from the same tables).

Self-contained and offline (Plotly's code inlined), in Chinese: the verdict (可以上报 / 不得上报 with each reason),
the status (草稿 / 定稿（第N版） / 已定稿，有更正待报), the coverage (N of M communities with all four quarters and
the missing community-quarters), the 更正对照表, the A-rule results and every table as the workbook shows it
(表二/表三/表九: the district in the national layout plus the compact street/community table).  Numbers come from
the same marts and the same views as the workbook (``liangxin.annual``); the markup is the Jinja2 template
``templates/annual_page.html.j2``, where every text passes the ``text`` filter (``html_text``).
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from liangxin.annual import (
    ENTITY_TABLES,
    FAIL,
    FINAL,
    PASS,
    RULE_NAMES,
    TABLE_TITLES,
    TABLE_UNITS,
    AnnualData,
    district_view,
    entity_view,
    load_annual,
)
from liangxin import templating
from liangxin.serving import connect_readonly


def _fmt(value, fmt: str) -> str:
    if value is None:
        return "—"
    if "%" in fmt:
        return f"{float(value) * 100:.{2 if fmt.startswith('0.00') else 1}f}%"
    if fmt == "#,##0.00":
        return f"{float(value):,.2f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def _grid(head_label: str, columns: list[tuple[str, str]], rows: list[dict], formats: list[str]) -> dict:
    """A table as the workbook shows it, for the template's ``grid`` macro: the head (column groups spanning
    their columns, ungrouped columns spanning both head rows) and the formatted cells (None = 缺报)."""
    has_groups = any(g for g, _ in columns)
    span = 2 if has_groups else 1
    heads = []
    j = 0
    while j < len(columns):
        g, label = columns[j]
        k = j
        while g and k + 1 < len(columns) and columns[k + 1][0] == g:
            k += 1
        heads.append(
            {"attr": "colspan", "n": k - j + 1, "text": g} if g else {"attr": "rowspan", "n": span, "text": label}
        )
        j = k + 1
    return {
        "head_label": head_label,
        "span": span,
        "heads": heads,
        "sub": [label for g, label in columns if g] if has_groups else [],
        "rows": [
            {
                "lvl": row.get("level") in ("district", "street", "category"),
                "label": row["label"],
                "cells": [None if row["missing"][i] else _fmt(v, formats[i]) for i, v in enumerate(row["values"])],
            }
            for row in rows
        ],
    }


def _listing(rows: list[list]) -> list[list[tuple[bool, object]]]:
    """Rows for the template's ``listing`` macro: each value with whether it is a number (right-aligned)."""
    return [[(isinstance(v, (int, float)), v) for v in r] for r in rows]


def _chart(data: AnnualData) -> str:
    """表一 by street: 本年增加 / 本年减少 / 本年底实有数 (a glance at where the members are)."""
    streets = [c for c in data.cells if int(c["table_no"]) == 1 and c.get("level") == "street"]
    if not streets:
        return ""
    names: dict[int, str] = {}
    series: dict[str, dict[int, float | None]] = {"本年增加合计": {}, "本年减少合计": {}, "本年底实有数": {}}
    for c in streets:
        names[int(c["row_order"])] = c["row_label"]
        key = (c.get("col_group") or "") + c["col_label"] if c["col_label"] == "合计" else c["col_label"]
        if key in series:
            series[key][int(c["row_order"])] = None if c.get("missing") else c["value"]
    order = sorted(names)
    fig = go.Figure()
    for key, vals in series.items():
        fig.add_bar(name=key, x=[names[o] for o in order], y=[vals.get(o) for o in order])
    fig.update_layout(
        barmode="group",
        height=360,
        margin=dict(l=40, r=10, t=30, b=40),
        title=dict(text="各街道党员数量变化（表一）", font=dict(size=14)),
        legend=dict(orientation="h"),
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def render_annual_page(data: AnnualData) -> str:
    """The page (template ``templates/annual_page.html.j2``)."""
    verdict = data.verdict.get("verdict") or FAIL
    corrections = []
    for c in data.corrections:
        col = "／".join(x for x in (c.get("col_group"), c.get("col_label")) if x)
        cause = "，".join(
            str(x)
            for x in (
                c.get("causing_unit_code"),
                c.get("causing_period"),
                f"更正号 {c.get('causing_correction_no')}",
                c.get("causing_submission_id"),
            )
            if x not in (None, "")
        )
        fv, cv = c.get("finalized_value"), c.get("current_value")
        corrections.append(
            [
                TABLE_TITLES.get(int(c["table_no"]), "").split(" ")[0],
                c.get("row_label"),
                col,
                "缺报" if fv is None else _fmt(fv, "#,##0.##"),
                "缺报" if cv is None else _fmt(cv, "#,##0.##"),
                cause,
            ]
        )
    rules = [
        [
            r["rule_id"],
            "错误" if r.get("severity") == "E" else "警告",
            "通过" if r.get("passed") else ("未通过" if r.get("severity") == "E" else "警告"),
            int(r.get("hit_count") or 0),
            r.get("rule_name") or RULE_NAMES.get(str(r["rule_id"]), ""),
            "" if r.get("detail") == "通过" else (r.get("detail") or ""),
        ]
        for r in data.rules
    ]
    missing: dict[tuple, list[str]] = {}
    for m in data.missing:
        missing.setdefault((m.get("street_name") or "", m["unit_code"], m.get("unit_name") or ""), []).append(
            str(m["quarter"])
        )
    by_table: dict[int, list[dict]] = {}
    for c in data.cells:
        by_table.setdefault(int(c["table_no"]), []).append(c)
    tables = []
    for table_no in sorted(by_table):
        cells = by_table[table_no]
        columns, rows, formats = district_view(table_no, cells)
        entity = None
        if table_no in ENTITY_TABLES:
            view = entity_view(table_no, cells)
            if view:
                ecols, erows = view
                entity = _grid("街道、社区", ecols, erows, ["#,##0"] * len(ecols))
        tables.append(
            {
                "no": table_no,
                "title": TABLE_TITLES.get(table_no, f"表{table_no}"),
                "units": TABLE_UNITS.get(table_no, ""),
                "district": _grid("项目", columns, rows, formats),
                "entity": entity,
            }
        )
    version = data.verdict.get("finalized_version")
    return templating.render(
        "annual_page.html.j2",
        year=data.year,
        status=data.status_text(),
        status_class="final" if data.status == FINAL else "draft",
        verdict=verdict,
        verdict_class="pass" if verdict == PASS else "fail",
        reasons=data.reasons,
        coverage=data.coverage_text(),
        finalized_version=int(version) if version else None,
        finalized_at=data.verdict.get("finalized_at"),
        finalized_by=data.verdict.get("finalized_by"),
        override_reason=data.verdict.get("override_reason"),
        corrections=_listing(corrections),
        corrections_version=int(data.corrections[0].get("finalized_version") or 0) if data.corrections else 0,
        rules=_listing(rules),
        missing=_listing([[s, c, n, "、".join(q)] for (s, c, n), q in sorted(missing.items())]),
        chart=_chart(data),
        tables=tables,
        plotlyjs=get_plotlyjs(),
    )


def annual_page_path(year: int, out_dir: Path) -> Path:
    return Path(out_dir) / f"annual-{year}.html"


def write_annual_page(year: int, serve_db: Path | None = None, out_dir: Path | None = None) -> Path:
    """Write ``annual-<year>.html`` from the serving snapshot; returns its path."""
    con = connect_readonly(serve_db)
    try:
        data = load_annual(con, year)
    finally:
        con.close()
    target = annual_page_path(year, out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(render_annual_page(data), encoding="utf-8")
    os.replace(tmp, target)
    return target
