"""单建率通报 — the quarterly bulletin document (annual-return.md, "单建率通报"; kpis.md, "Bulletin").

``liangxin bulletin --period 2021Q4`` writes ``build/bulletin/bulletin-2021Q4.docx`` (python-docx) and, where
LibreOffice exists, the PDF beside it.  Every number is read from the marts of the serving snapshot:

- the district's and the streets' K1, K2, K3, K3b and their change against the previous quarter from
  ``fct_indicators`` (levels district / street);
- the communities' ranking (K1, change, rank, K3b) from ``kpi_bulletin``;
- the annex (units that should form a Party organization but have not) from ``kpi_worklist_should_form``.

The wording lives in a .docx template the department can edit: ``liangxin bulletin --write-template 模板.docx``
writes the built-in one; ``--template`` (or ``LIANGXIN_BULLETIN_TEMPLATE``) uses an edited copy.  In the
template, ``{名称}`` placeholders are replaced by text (see ``PLACEHOLDERS``) and a paragraph that holds only
``{街道表}``, ``{社区排名表}`` or ``{应建未建清单}`` is replaced by that table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from liangxin import contract as lx
from liangxin.neutral import cell_text
from liangxin.periods import parse_period, period_end, previous_period
from liangxin.serving import connect_readonly

FELL_MOST = 5  # how many of the communities whose K1 fell most the text names

PLACEHOLDERS = {
    "年": "报告期的年份",
    "季": "季度（一、二、三、四）",
    "报告期": "如 2021Q4",
    "截止日期": "如 2021年12月31日",
    "K1": "全区单独组建率",
    "K1变化": "较上季度变化（上升/下降 x.x 个百分点）",
    "K1分子": "单独建立党组织的基数单位数",
    "K1分母": "党建基数单位数",
    "K2": "全区党组织覆盖率",
    "K2变化": "",
    "K3": "全区应建必建率",
    "K3变化": "",
    "K3分母": "应建单位数（正式党员3名以上）",
    "K3b": "应建未建单位数",
    "K3b变化": "较上季度增减（个）",
    "下降最多": "K1 下降最多的社区及降幅",
    "应建未建社区": "K3b > 0 的社区及单位数",
    "社区数": "名册社区数",
    "发文单位": "落款单位",
    "发文日期": "落款日期（--date；未给出时留空）",
}
TABLE_PLACEHOLDERS = ("街道表", "社区排名表", "应建未建清单")
CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}


class BulletinError(RuntimeError):
    """A bulletin cannot be written (no data for the period, a template error); the message is Chinese."""


# ---------------------------------------------------------------------------------------------- data


def _table(con, name: str) -> str:
    """The quoted fixed name ``schema.table`` (serving contract, ``liangxin.contract``) of a table read here."""
    if not lx.present(con, name):
        raise BulletinError(f"服务快照中没有表 {name}（请先运行 liangxin build）")
    return lx.quoted(name)


@dataclasses.dataclass
class BulletinData:
    period: str
    previous: str
    district: dict  # {indicator: (value, numerator, denominator)} for period and "prev:" + indicator
    district_name: str
    streets: list[dict]
    communities: list[dict]
    worklist: list[dict]


def load_bulletin(con, period: str) -> BulletinData:
    year, quarter = parse_period(period)
    prev = previous_period(period)
    ind = _table(con, lx.FCT_INDICATORS)
    rows = con.execute(
        f"""select level, entity_code, entity_name, period, indicator_id, value, numerator, denominator
            from {ind} where level in ('district', 'street') and period in (?, ?)
              and indicator_id in ('K1', 'K2', 'K3', 'K3b')""",
        [period, prev],
    ).fetchall()
    district: dict = {}
    district_name = ""
    streets: dict[str, dict] = {}
    for level, code, name, per, iid, value, num, den in rows:
        key = iid if per == period else f"prev:{iid}"
        if level == "district":
            district[key] = (value, num, den)
            district_name = name or district_name
        else:
            s = streets.setdefault(code, {"code": code, "name": name})
            s[key] = value
    if not any(k in district for k in ("K1", "K2", "K3")):
        raise BulletinError(f"{period} 没有全区的单建率数据（该季度没有已接收的报表，或尚未运行 liangxin build）")
    cur = con.execute(
        f"""select unit_code, unit_name, street_name, k1, k1_numerator, k1_denominator, k1_change, k1_rank, k3b,
                   k3b_change, sort_order
            from {_table(con, lx.KPI_BULLETIN)} where period = ?
            order by k1_rank nulls last, sort_order, unit_code""",
        [period],
    )
    names = [d[0] for d in cur.description]
    communities = [dict(zip(names, r)) for r in cur.fetchall()]
    cur = con.execute(
        f"""select street_name, unit_name, org_name, uscc, org_category, members_formal, members_probationary,
                   party_status, split_category
            from {_table(con, lx.KPI_WORKLIST_SHOULD_FORM)} where period = ?
            order by street_code, unit_code, split_category, org_name, uscc""",
        [period],
    )
    names = [d[0] for d in cur.description]
    worklist = [dict(zip(names, r)) for r in cur.fetchall()]
    street_list = sorted(streets.values(), key=lambda s: s["code"])
    return BulletinData(period, prev, district, district_name, street_list, communities, worklist)


# ---------------------------------------------------------------------------------------------- wording


def pct(value) -> str:
    """A rate at one decimal (D115): 45.3%; no denominator → —."""
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def change_pp(value, prev) -> str:
    """The change of a rate in 百分点 against the previous quarter."""
    if value is None or prev is None:
        return "上季度无可比数据"
    d = round((float(value) - float(prev)) * 100, 1)
    if d > 0:
        return f"上升{d:.1f}个百分点"
    if d < 0:
        return f"下降{-d:.1f}个百分点"
    return "持平"


def signed_pp(change) -> str:
    """A change column: +1.2 / −0.5 / 0.0 (百分点); — when not comparable."""
    if change is None:
        return "—"
    d = round(float(change) * 100, 1)
    return f"+{d:.1f}" if d > 0 else (f"−{-d:.1f}" if d < 0 else "0.0")


def _int(v) -> str:
    return "—" if v is None else f"{int(v):,}"


def text_values(data: BulletinData, issuer: str, date: dt.date | None) -> dict[str, str]:
    year, quarter = parse_period(data.period)
    d = data.district

    def v(key):
        return d.get(key, (None, None, None))

    k3b, k3b_prev = v("K3b")[0], v("prev:K3b")[0]
    k3b_change = (
        "上季度无可比数据"
        if k3b is None or k3b_prev is None
        else (
            f"增加{int(k3b - k3b_prev)}个"
            if k3b > k3b_prev
            else f"减少{int(k3b_prev - k3b)}个"
            if k3b < k3b_prev
            else "持平"
        )
    )
    fell = sorted(
        (c for c in data.communities if c["k1_change"] is not None and c["k1_change"] < 0),
        key=lambda c: (c["k1_change"], c["unit_code"]),
    )[:FELL_MOST]
    fell_text = (
        "、".join(f"{c['unit_name']}（下降{-round(float(c['k1_change']) * 100, 1):.1f}个百分点）" for c in fell) or "无"
    )
    open_k3b = [c for c in data.communities if c["k3b"] is not None and c["k3b"] > 0]
    open_k3b.sort(key=lambda c: (-c["k3b"], c["unit_code"]))
    k3b_text = "、".join(f"{c['unit_name']}（{int(c['k3b'])}个）" for c in open_k3b) or "无"
    end = period_end(data.period)
    return {
        "年": str(year),
        "季": CN_QUARTER[quarter],
        "报告期": data.period,
        "截止日期": f"{end.year}年{end.month}月{end.day}日",
        "K1": pct(v("K1")[0]),
        "K1变化": change_pp(v("K1")[0], v("prev:K1")[0]),
        "K1分子": _int(v("K1")[1]),
        "K1分母": _int(v("K1")[2]),
        "K2": pct(v("K2")[0]),
        "K2变化": change_pp(v("K2")[0], v("prev:K2")[0]),
        "K3": pct(v("K3")[0]),
        "K3变化": change_pp(v("K3")[0], v("prev:K3")[0]),
        "K3分母": _int(v("K3")[2]),
        "K3b": _int(k3b),
        "K3b变化": k3b_change,
        "下降最多": fell_text,
        "应建未建社区": k3b_text,
        "社区数": str(len(data.communities)),
        "发文单位": issuer,
        "发文日期": f"{date.year}年{date.month}月{date.day}日" if date else "　　年　　月　　日",
    }


# ---------------------------------------------------------------------------------------------- template


def _set_fonts(doc, body: str = "仿宋", heading: str = "黑体", title: str = "宋体") -> None:
    def font(style, name, size, bold=False):
        style.font.name = name
        style.font.size = Pt(size)
        style.font.bold = bold
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), name)

    font(doc.styles["Normal"], body, 14)
    font(doc.styles["Title"], title, 20, True)
    font(doc.styles["Heading 1"], heading, 14, False)
    font(doc.styles["Heading 2"], heading, 12, False)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.color.rgb = None


def default_template() -> Document:
    """The built-in template (what ``--write-template`` writes for the department to edit)."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _set_fonts(doc)
    t = doc.add_paragraph("关于{年}年第{季}季度两新组织党组织单独组建率情况的通报", style="Title")
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("各街道党工委，各社区党总支：")
    p = doc.add_paragraph(
        "截至{截止日期}，全区纳入党建基数的两新组织{K1分母}个，其中单独建立党组织的{K1分子}个，单独组建率为{K1}，"
        "较上季度{K1变化}；党组织覆盖率为{K2}，较上季度{K2变化}；正式党员3名以上的应建单位{K3分母}个，应建必建率为{K3}，"
        "较上季度{K3变化}；应建未建单位{K3b}个，较上季度{K3b变化}。现将各街道、社区情况通报如下。"
    )
    p.paragraph_format.first_line_indent = Pt(28)
    doc.add_paragraph("一、各街道情况", style="Heading 1")
    doc.add_paragraph("{街道表}")
    doc.add_paragraph("二、各社区单独组建率排名", style="Heading 1")
    doc.add_paragraph("{社区排名表}")
    doc.add_paragraph("三、需要关注的社区", style="Heading 1")
    p = doc.add_paragraph("单独组建率较上季度下降最多的社区：{下降最多}。")
    p.paragraph_format.first_line_indent = Pt(28)
    p = doc.add_paragraph(
        "仍有应建未建单位的社区：{应建未建社区}。请上述社区对照附件清单，逐个单位明确责任人和时限，"
        "推动符合条件的单位单独组建党组织。"
    )
    p.paragraph_format.first_line_indent = Pt(28)
    doc.add_paragraph("")
    p = doc.add_paragraph("附件：{年}年第{季}季度应建未建党组织单位清单")
    p.paragraph_format.first_line_indent = Pt(28)
    doc.add_paragraph("")
    doc.add_paragraph("{发文单位}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("{发文日期}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("").add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("附件", style="Heading 2")
    a = doc.add_paragraph("{年}年第{季}季度应建未建党组织单位清单", style="Heading 1")
    a.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{应建未建清单}")
    return doc


PLACEHOLDER_RE = re.compile(r"\{([^{}\s]{1,12})\}")


def _paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for section in doc.sections:
        for part in (section.header, section.footer):
            yield from part.paragraphs


def _fill_text(doc, values: dict[str, str]) -> None:
    unknown = set()
    for p in _paragraphs(doc):
        text = "".join(r.text for r in p.runs)
        if "{" not in text:
            continue
        names = PLACEHOLDER_RE.findall(text)
        unknown.update(n for n in names if n not in values and n not in TABLE_PLACEHOLDERS)
        if text.strip() in {f"{{{n}}}" for n in TABLE_PLACEHOLDERS}:
            continue
        new = PLACEHOLDER_RE.sub(lambda m: cell_text(values[m.group(1)]) if m.group(1) in values else m.group(0), text)
        if new != text and p.runs:  # keep the first run's formatting
            p.runs[0].text = new
            for r in p.runs[1:]:
                r.text = ""
    if unknown:
        raise BulletinError(
            "通报模板中有无法识别的占位符："
            + "、".join("{" + n + "}" for n in sorted(unknown))
            + "（可用："
            + "、".join("{" + n + "}" for n in [*PLACEHOLDERS, *TABLE_PLACEHOLDERS])
            + "）"
        )


def _insert_table(doc, marker, head: list[str], rows: list[list], widths_cm: list[float], numeric: set[int]):
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, h in enumerate(head):
        cell = table.rows[0].cells[j]
        cell.text = h
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
            run.font.size = Pt(10.5)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = table.add_row().cells
        for j, v in enumerate(row):
            text = "" if v is None else str(v)
            # numbers formatted here are ours; names and other text from the returns are neutralised
            cells[j].text = text if j in numeric else (cell_text(text) or "")
            para = cells[j].paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if j in numeric else WD_ALIGN_PARAGRAPH.LEFT
            for run in para.runs:
                run.font.size = Pt(10.5)
    for j, w in enumerate(widths_cm):
        for row in table.rows:
            row.cells[j].width = Cm(w)
    # header row repeats on every page
    trpr = table.rows[0]._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    marker._p.addnext(table._tbl)
    marker._p.getparent().remove(marker._p)
    return table


def _fill_tables(doc, data: BulletinData) -> None:
    found = set()
    for p in list(doc.paragraphs):
        name = p.text.strip()[1:-1] if p.text.strip().startswith("{") and p.text.strip().endswith("}") else None
        if name == "街道表":
            rows = [
                [
                    s["name"],
                    pct(s.get("K1")),
                    signed_pp(_diff(s.get("K1"), s.get("prev:K1"))),
                    pct(s.get("K2")),
                    signed_pp(_diff(s.get("K2"), s.get("prev:K2"))),
                    pct(s.get("K3")),
                    signed_pp(_diff(s.get("K3"), s.get("prev:K3"))),
                    _int(s.get("K3b")),
                ]
                for s in data.streets
            ]
            d = data.district
            rows.append(
                [
                    "全区",
                    pct(d.get("K1", (None,))[0]),
                    signed_pp(_diff(d.get("K1", (None,))[0], d.get("prev:K1", (None,))[0])),
                    pct(d.get("K2", (None,))[0]),
                    signed_pp(_diff(d.get("K2", (None,))[0], d.get("prev:K2", (None,))[0])),
                    pct(d.get("K3", (None,))[0]),
                    signed_pp(_diff(d.get("K3", (None,))[0], d.get("prev:K3", (None,))[0])),
                    _int(d.get("K3b", (None,))[0]),
                ]
            )
            _insert_table(
                doc,
                p,
                [
                    "街道",
                    "单建率",
                    "变化(百分点)",
                    "覆盖率",
                    "变化(百分点)",
                    "应建必建率",
                    "变化(百分点)",
                    "应建未建(个)",
                ],
                rows,
                [2.6, 1.8, 2.0, 1.8, 2.0, 2.0, 2.0, 1.8],
                set(range(1, 8)),
            )
            found.add(name)
        elif name == "社区排名表":
            rows = [
                [
                    c["k1_rank"] if c["k1_rank"] is not None else "—",
                    c["street_name"],
                    c["unit_name"],
                    pct(c["k1"]),
                    f"{_int(c['k1_numerator'])}/{_int(c['k1_denominator'])}",
                    signed_pp(c["k1_change"]),
                    _int(c["k3b"]),
                ]
                for c in data.communities
            ]
            _insert_table(
                doc,
                p,
                ["排名", "街道", "社区", "单建率", "单建/基数", "变化(百分点)", "应建未建(个)"],
                rows,
                [1.3, 2.4, 3.6, 1.8, 2.2, 2.2, 2.2],
                {0, 3, 4, 5, 6},
            )
            found.add(name)
        elif name == "应建未建清单":
            rows = [
                [
                    i,
                    w["street_name"],
                    w["unit_name"],
                    w["org_name"],
                    w["uscc"],
                    w["org_category"],
                    _int(w["members_formal"]),
                    w["split_category"],
                ]
                for i, w in enumerate(data.worklist, 1)
            ]
            if not rows:
                rows = [["", "", "", "无", "", "", "", ""]]
            _insert_table(
                doc,
                p,
                ["序号", "街道", "社区", "单位名称", "统一社会信用代码", "类别", "正式党员", "情形"],
                rows,
                [1.0, 1.8, 2.2, 3.6, 3.4, 1.8, 1.3, 1.8],
                {0, 6},
            )
            found.add(name)


def _diff(a, b):
    return None if a is None or b is None else float(a) - float(b)


def render_bulletin(
    data: BulletinData, template: Path | None = None, issuer: str | None = None, date: dt.date | None = None
):
    doc = Document(str(template)) if template else default_template()
    _fill_text(doc, text_values(data, issuer or "中共示范区两新组织党工委", date))
    _fill_tables(doc, data)
    return doc


def write_bulletin(
    period: str,
    out_dir: Path,
    serve_db: Path,
    template: Path | None = None,
    issuer: str | None = None,
    date: dt.date | None = None,
) -> Path:
    """Write ``bulletin-<period>.docx`` from the serving snapshot; returns its path."""
    try:
        parse_period(period)
    except (ValueError, TypeError) as exc:
        raise BulletinError(f"报告期格式应为 YYYYQn（如 2021Q4）：{period}") from exc
    if template is not None and not Path(template).exists():
        raise BulletinError(f"通报模板不存在：{template}")
    con = connect_readonly(serve_db)
    try:
        data = load_bulletin(con, period)
    finally:
        con.close()
    doc = render_bulletin(data, template, issuer, date)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"bulletin-{period}.docx"
    tmp = out_dir / f".bulletin-{period}.docx.tmp"
    doc.save(str(tmp))
    os.replace(tmp, target)
    return target
