"""The annual return's dashboard page: ``build/dashboard/annual-<year>.html`` (annual-return.md, published three
ways from the same tables).

Self-contained and offline (Plotly's code inlined), in Chinese: the verdict (可以上报 / 不得上报 with each reason),
the status (草稿 / 定稿（第N版） / 已定稿，有更正待报), the coverage (N of M communities with all four quarters and
the missing community-quarters), the 更正对照表, the A-rule results and every table as the workbook shows it
(表二/表三/表九: the district in the national layout plus the compact street/community table).  Numbers come from
the same marts and the same views as the workbook (``liangxin.annual``); every text passes ``html_text``.
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from liangxin.annual import (ENTITY_TABLES, FAIL, FINAL, PASS, RULE_NAMES, TABLE_TITLES, TABLE_UNITS, AnnualData,
                             district_view, entity_view, load_annual)
from liangxin.neutral import html_text
from liangxin.serving import connect_readonly

CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#222}
header{background:#b71c1c;color:#fff;padding:14px 20px}header h1{margin:0;font-size:22px}
main{padding:12px 20px;max-width:1400px}section{background:#fff;border-radius:6px;padding:12px 16px;margin:12px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:17px;margin:4px 0 10px}
.badge{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:bold;margin-right:8px}
.pass{background:#e6f4ea;color:#0b6b2b}.fail{background:#fde7e9;color:#9c0006}.draft{background:#fff4ce;color:#7a5b00}
.final{background:#e8eefc;color:#1a3e8c}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #999;padding:2px 6px}th{background:#f2f2f2;font-weight:bold}td.n{text-align:right;
font-variant-numeric:tabular-nums}td.miss{background:#fff2cc}tr.lvl td{font-weight:bold}
.scroll{overflow-x:auto}.note{color:#555;font-size:12px}
"""


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


def _grid_html(head_label: str, columns: list[tuple[str, str]], rows: list[dict], formats: list[str]) -> str:
    has_groups = any(g for g, _ in columns)
    out = ['<div class="scroll"><table><thead><tr>']
    out.append(f'<th rowspan="{2 if has_groups else 1}">{html_text(head_label)}</th>')
    j = 0
    while j < len(columns):
        g, label = columns[j]
        k = j
        while g and k + 1 < len(columns) and columns[k + 1][0] == g:
            k += 1
        if g:
            out.append(f'<th colspan="{k - j + 1}">{html_text(g)}</th>')
        else:
            out.append(f'<th rowspan="{2 if has_groups else 1}">{html_text(label)}</th>')
        j = k + 1
    out.append("</tr>")
    if has_groups:
        out.append("<tr>" + "".join(f"<th>{html_text(label)}</th>" for g, label in columns if g) + "</tr>")
    out.append("</thead><tbody>")
    for row in rows:
        cls = ' class="lvl"' if row.get("level") in ("district", "street", "category") else ""
        cells = []
        for i, v in enumerate(row["values"]):
            if row["missing"][i]:
                cells.append('<td class="n miss" title="缺报"></td>')
            else:
                cells.append(f'<td class="n">{html_text(_fmt(v, formats[i]))}</td>')
        out.append(f"<tr{cls}><td>{html_text(row['label'])}</td>{''.join(cells)}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _list_html(head: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p>无</p>"
    body = "".join("<tr>" + "".join(
        f'<td class="n">{html_text(v)}</td>' if isinstance(v, (int, float)) else f"<td>{html_text(v)}</td>"
        for v in r) + "</tr>" for r in rows)
    return ("<div class=\"scroll\"><table><thead><tr>" + "".join(f"<th>{html_text(h)}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table></div>")


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
    fig.update_layout(barmode="group", height=360, margin=dict(l=40, r=10, t=30, b=40),
                      title=dict(text="各街道党员数量变化（表一）", font=dict(size=14)), legend=dict(orientation="h"))
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def render_annual_page(data: AnnualData) -> str:
    verdict = data.verdict.get("verdict") or FAIL
    status = data.status_text()
    status_cls = "final" if data.status == FINAL else "draft"
    parts = [f"<header><h1>{data.year}年两新组织党建工作统计年报</h1></header><main>"]
    reasons = "".join(f"<li>{html_text(r)}</li>" for r in data.reasons)
    info = [f'<span class="badge {status_cls}">{html_text(status)}</span>',
            f'<span class="badge {"pass" if verdict == PASS else "fail"}">{html_text(verdict)}</span>']
    parts.append('<section id="verdict"><h2>审核结论</h2><p>' + "".join(info) + "</p>")
    if reasons:
        parts.append(f"<p>不得上报的原因：</p><ol>{reasons}</ol>")
    parts.append(f"<p>报表覆盖：{html_text(data.coverage_text())}</p>")
    if data.verdict.get("finalized_version"):
        at = data.verdict.get("finalized_at")
        parts.append(f"<p>定稿记录：第{int(data.verdict['finalized_version'])}版，{html_text(at)}，"
                     f"由{html_text(data.verdict.get('finalized_by'))}定稿</p>")
    if data.verdict.get("override_reason"):
        parts.append(f"<p>强制定稿理由：{html_text(data.verdict['override_reason'])}</p>")
    parts.append("</section>")
    if data.corrections:
        rows = []
        for c in data.corrections:
            col = "／".join(x for x in (c.get("col_group"), c.get("col_label")) if x)
            cause = "，".join(str(x) for x in (c.get("causing_unit_code"), c.get("causing_period"),
                                               f"更正号 {c.get('causing_correction_no')}",
                                               c.get("causing_submission_id")) if x not in (None, ""))
            fv, cv = c.get("finalized_value"), c.get("current_value")
            rows.append([TABLE_TITLES.get(int(c["table_no"]), "").split(" ")[0], c.get("row_label"), col,
                         "缺报" if fv is None else _fmt(fv, "#,##0.##"), "缺报" if cv is None else _fmt(cv, "#,##0.##"),
                         cause])
        parts.append(f'<section id="corrections"><h2>更正对照表（与第{int(data.corrections[0].get("finalized_version") or 0)}'
                     f"版定稿相比）</h2>" + _list_html(["表", "行", "列", "定稿值", "当前值", "引起更正的报送"], rows)
                     + "</section>")
    rule_rows = [[r["rule_id"], "错误" if r.get("severity") == "E" else "警告",
                  "通过" if r.get("passed") else ("未通过" if r.get("severity") == "E" else "警告"),
                  int(r.get("hit_count") or 0), r.get("rule_name") or RULE_NAMES.get(str(r["rule_id"]), ""),
                  "" if r.get("detail") == "通过" else (r.get("detail") or "")] for r in data.rules]
    parts.append('<section id="rules"><h2>年报审核规则</h2>'
                 + _list_html(["规则", "严重程度", "结果", "违规数", "规则内容", "说明"], rule_rows) + "</section>")
    missing: dict[tuple, list[str]] = {}
    for m in data.missing:
        missing.setdefault((m.get("street_name") or "", m["unit_code"], m.get("unit_name") or ""), []).append(str(m["quarter"]))
    parts.append('<section id="coverage"><h2>缺报的社区季度</h2>'
                 + _list_html(["街道", "社区编码", "社区", "缺报的季度"],
                              [[s, c, n, "、".join(q)] for (s, c, n), q in sorted(missing.items())]) + "</section>")
    chart = _chart(data)
    if chart:
        parts.append(f'<section id="chart">{chart}</section>')
    by_table: dict[int, list[dict]] = {}
    for c in data.cells:
        by_table.setdefault(int(c["table_no"]), []).append(c)
    for table_no in sorted(by_table):
        cells = by_table[table_no]
        columns, rows, formats = district_view(table_no, cells)
        title = TABLE_TITLES.get(table_no, f"表{table_no}")
        parts.append(f'<section id="t{table_no}"><h2>{html_text(title)}</h2>'
                     f'<p class="note">{html_text(TABLE_UNITS.get(table_no, ""))}；底色空白为缺报（不是零）</p>'
                     + _grid_html("项目", columns, rows, formats))
        if table_no in ENTITY_TABLES:
            view = entity_view(table_no, cells)
            if view:
                ecols, erows = view
                eformats = ["#,##0"] * len(ecols)
                parts.append(f"<h2>{html_text(title)}（分街道、社区）</h2>" + _grid_html("街道、社区", ecols, erows, eformats))
        parts.append("</section>")
    parts.append("</main>")
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{data.year}年统计年报 · {html_text(status)} · {html_text(verdict)}</title>"
            f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>"
            + "".join(parts) + "</body></html>")


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
