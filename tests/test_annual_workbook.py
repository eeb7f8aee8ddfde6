"""The annual return workbook, its dashboard page and the 单建率通报 over a REAL small warehouse.

The warehouse is tests/dbt_fixture.py's hand-made one, built by a real `dbt build`; expected numbers are derived
by hand from its rows (arithmetic in the comments; the same derivations as tests/test_dbt_indicators.py).
The register has 60 communities; only A (金桥, 东湖街道) and B (兰亭, 西溪街道) report, each all four
quarters of 2020 — so 2020 is produced, with the verdict 不得上报 (A0: 58 communities miss 4 quarters each).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time

import duckdb
import openpyxl
import pytest

import dbt_fixture as fx
from liangxin import annual, annual_page, bulletin

HOSTILE_SHEET = '=HYPERLINK("http://evil.example/x","点击")'
HOSTILE_MESSAGE = "=1+1 [W9] 需要说明"


def _build(work, tamper=None):
    db = work / "build.duckdb"
    fx.create_raw(db)
    con = duckdb.connect(str(db))
    try:
        # a hostile sheet name and message on a W hit of A's current Q4 return (issue 19)
        con.execute(
            "insert into raw.rule_hits (submission_id, rule_id, severity, sheet, row, column_header, value, "
            "message, cell) values ('A4c1', 'W9', 'W', ?, 7, '+cmd', '@SUM(A1)', ?, 'B7')",
            [HOSTILE_SHEET, HOSTILE_MESSAGE],
        )
        if tamper:
            tamper(con)
    finally:
        con.close()
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("annual_wb"))


@pytest.fixture(scope="module")
def book(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("annual_out") / "2020.xlsx"
    annual.write_annual_return(2020, out, built)
    return out


def grid(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def table_cells(ws):
    """{(row label, column group, column label): cell} of a table sheet (header row starts with 项目)."""
    g = grid(ws)
    top = next(i for i, row in enumerate(g) if row and row[0] in ("项目", "街道、社区"))
    merged_down = {(rng.min_row, rng.min_col) for rng in ws.merged_cells.ranges if rng.max_row > rng.min_row}
    two = any((top + 1, j + 1) in merged_down for j in range(1, len(g[top])))
    cols, group = {}, ""
    for j in range(1, len(g[top])):
        if two and (top + 1, j + 1) not in merged_down:
            group = g[top][j] if g[top][j] not in (None, "") else group
            cols[j] = (group, g[top + 1][j])
        elif g[top][j] not in (None, ""):
            cols[j] = ("", g[top][j])
    out = {}
    for i in range(top + (2 if two else 1), len(g)):
        label = g[i][0]
        if label in (None, ""):
            continue
        for j, key in cols.items():
            out[(label, *key)] = ws.cell(i + 1, j + 1)
    return out


def cover_lines(ws):
    return {row[0]: row[1] for row in grid(ws) if row and row[0]}


# ---------------------------------------------------------------------------------------------- cover


def test_years_with_any_return_are_listed(built):
    # 2020: A and B accepted; 2021: only B's rejected 2021Q1 — no accepted return, no annual return
    assert annual.annual_years(built) == [2020]


def test_draft_cover_states_verdict_reasons_coverage_and_a_blank_sign_off(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "封面" and wb.sheetnames[-1] == "审核结果"
    ws = wb["封面"]
    assert ws["A1"].value == "2020年两新组织党建工作统计年报"
    assert ws["A2"].value == "草稿"
    lines = cover_lines(ws)
    assert lines["审核结论"] == "不得上报"
    # A0: 60 communities in the register, 2 (A, B) with all four quarters; 58 × 4 = 232 missing pairs
    assert lines["报表覆盖"] == "名册 60 个社区中 2 个四个季度报表齐全；缺报 232 个社区季度（明细见“审核结果”）"
    reasons = [row[1] for row in grid(ws) if row[1] and str(row[1])[:2] in {f"{i}." for i in range(1, 10)}]
    assert reasons and any("A0" in r or "缺" in r for r in reasons), reasons
    # sign-off block: every label present, every value blank on a draft (never today's date)
    g = grid(ws)
    sign = {row[c]: row[c + 1] for row in g for c in (0, 2, 4) if row[c] and str(row[c]).endswith("：")}
    assert set(sign) == {"填报单位（盖章）：", "单位负责人：", "填表人：", "审核人：", "联系电话：", "报出日期："}
    assert all(v in (None, "") for v in sign.values()), sign
    today = dt.date.today()
    assert not any(f"{today.year}年{today.month}月{today.day}日" in str(v) for row in g for v in row if v)
    assert any("草稿" in str(v) for row in g for v in row if v and "签" in str(v))


# ---------------------------------------------------------------------------------------------- tables


def test_table_one_district_row_equals_hand_derivation(book):
    ws = openpyxl.load_workbook(book)["表一"]
    t = table_cells(ws)
    # 表一 district 2020 (non-functional): 上年底总数 = Q1 期初 A 4 + B 11 = 15; developed A 1+1, B 1 = 3;
    # transferred_in A 8 + 1 + 6 = 15 → 本年增加 18; exited A 1 → 本年减少 1; 应有 = 15 + 18 − 1 = 32; 实有 = 32
    expected = {
        ("", "上年底总数"): 15,
        ("本年增加", "合计"): 18,
        ("本年增加", "发展党员"): 3,
        ("本年增加", "转入组织关系"): 15,
        ("本年减少", "合计"): 1,
        ("本年减少", "出党"): 1,
        ("", "本年底应有数"): 32,
        ("", "本年底实有数"): 32,
        ("", "实有数与应有数之差"): 0,
    }
    for (group, label), value in expected.items():
        cell = t[("总计", group, label)]
        assert cell.value == value, (group, label, cell.value)
        assert cell.number_format == "#,##0"
    # 社会组织 row: PO-B1 (its only unit b1 is a 民非) closes Q4 at 3
    assert t[("社会组织", "", "本年底实有数")].value == 3
    rows = [k[0] for k in t]
    assert rows.index("总计") < rows.index("东湖街道") < rows.index("金桥社区党总支")


def test_every_table_cell_equals_the_mart(built, book):
    """Every published cell of 表一–表九 is in the workbook with the mart's value (— for a ratio without
    denominator, empty for 缺报), the district on the table's sheet, streets/communities of 表二/表三/表九 on
    the compact sheet."""
    wb = openpyxl.load_workbook(book)
    con = duckdb.connect(str(built), read_only=True)
    try:
        cells = con.execute(
            "select table_no, row_order, row_label, level, coalesce(col_group, ''), col_label, "
            "value, is_ratio, missing from annual.rpt_annual_cells where year = 2020"
        ).fetchall()
    finally:
        con.close()
    assert {c[0] for c in cells} == set(range(1, 10))
    sheets = {n: table_cells(wb[annual.TABLE_TITLES[n].split(" ")[0]]) for n in range(1, 10)}
    checked = 0
    for table_no, row_order, label, level, group, col, value, is_ratio, missing in cells:
        if table_no in annual.ENTITY_TABLES and level != "district":
            continue  # compared below through the compact sheet
        cell = sheets[table_no][(label, group, col)]
        if missing:
            assert cell.value is None
        elif value is None:
            assert cell.value == "—"
        else:
            assert cell.value == pytest.approx(float(value)), (table_no, label, col)
            assert cell.number_format == (
                "0.0%"
                if is_ratio and col != "提取比例"
                else "0.00%"
                if is_ratio
                else "#,##0.00"
                if col in annual.MONEY_LABELS
                else "#,##0"
            )
        checked += 1
    assert checked > 150
    # compact sheet of 表二: community A's 单位数 总数 = the mart's cell
    compact = table_cells(wb["表二（街道社区）"])
    con = duckdb.connect(str(built), read_only=True)
    try:
        a_units = con.execute(
            "select value from annual.rpt_annual_cells where year = 2020 and table_no = 2 "
            "and level = 'community' and entity_code = ? and row_label like '%：单位数' "
            "and col_order = 1",
            [fx.A],
        ).fetchone()[0]
    finally:
        con.close()
    assert compact[("金桥社区党总支", "单位数", "总数")].value == a_units
    assert ("全区合计", "单位数", "其中：列入党建基数的") in compact


def test_sheet_names_and_table_titles(book):
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [
        "封面",
        "表一",
        "表二",
        "表二（街道社区）",
        "表三",
        "表三（街道社区）",
        "表四",
        "表五",
        "表六",
        "表七",
        "表八",
        "表九",
        "表九（街道社区）",
        "审核结果",
    ]
    assert wb["表二"]["A1"].value == "2020年两新组织党建工作统计年报　表二 非公有制企业建立党组织情况"
    assert wb["表九"]["A2"].value.startswith("填报单位：")
    labels = [k[0] for k in table_cells(wb["表二"])]
    for line in ("单位数", "已单独建立党组织", "已建立联合党组织的（含挂靠）", "未建立党组织", "应建尚未建立党组织的"):
        assert line in labels


def test_print_setup_a4_landscape_fit_to_width_with_repeated_headers(book):
    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # 9 = A4
        assert int(ws.page_setup.fitToWidth) == 1, ws.title
        # height: free (0) or the grid's own page count ceil(rows / 42): the register's 60 communities + 2
        # streets + district (+ categories) = 63–65 rows → 2 pages
        assert int(ws.page_setup.fitToHeight) in (0, 1, 2), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&P" in ws.oddFooter.center.text
    assert int(wb["表一"].page_setup.fitToHeight) == 2 and int(wb["审核结果"].page_setup.fitToHeight) == 0
    assert wb["表一"].print_title_rows == "$3:$4"  # group row + label row repeat on every page
    assert wb["表二"].print_title_rows == "$3:$4"  # 控制类型 groups three columns
    assert wb["表二（街道社区）"].print_title_rows == "$3:$4"


# ---------------------------------------------------------------------------------------------- audit sheet


def test_audit_sheet_lists_rules_missing_quarters_and_unexplained_warnings(book):
    wb = openpyxl.load_workbook(book)
    g = grid(wb["审核结果"])
    flat = [str(v) for row in g for v in row if v is not None]
    assert "审核结论：不得上报" in flat
    rules = {row[0]: row for row in g if row[0] and str(row[0]).startswith("A") and str(row[0])[1:].isdigit()}
    assert set(rules) == {f"A{i}" for i in range(11)}
    assert rules["A0"][2] == "未通过" and rules["A0"][1] == "错误"
    assert rules["A2"][2] == "通过"
    # missing: every community but A and B, each with its four quarters
    missing = [
        row
        for row in g
        if row[6]
        and str(row[6]).startswith("2020Q1、2020Q2、2020Q3、2020Q4")
        or (row[4] and str(row[4]) == "2020Q1、2020Q2、2020Q3、2020Q4")
    ]
    assert len(missing) == 58
    assert not any(fx.A in str(row[1]) or fx.B in str(row[1]) for row in missing)
    # the hostile W hit is listed as inert text; the P4 warning too
    hit = next(row for row in g if row[5] == "W9")
    assert hit[3] == "'" + HOSTILE_SHEET and hit[6] == "'" + HOSTILE_MESSAGE
    assert any(row[5] == "P4" for row in g)


def test_no_formula_anywhere_even_from_a_hostile_submission(book):
    wb = openpyxl.load_workbook(book)
    formulas = [
        (ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
    # and the writer's own guard refuses one
    wb2 = openpyxl.Workbook()
    wb2.active["A1"] = "=1+1"
    with pytest.raises(ValueError):
        annual.assert_no_formulas(wb2)


# ---------------------------------------------------------------------------------------------- finalized


def _finalize(db, year, version, at, signoff, change=None):
    """Store a finalized version the way the finalize storage holds it (finalized.annual_versions/cells)."""
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "insert into finalized.annual_versions (year, version, verdict, reasons, communities_complete, "
            "communities_expected, finalized_by, finalized_at, override_reason, cells_sha256, signoff_unit, "
            "signoff_head, signoff_filled_by, signoff_reviewed_by, signoff_phone, signoff_date) "
            "values (?, ?, '不得上报', 'A0', 2, 60, '王统计', ?, '试点年份，经党工委同意上报', 'x', ?, ?, ?, ?, ?, ?)",
            [year, version, at, *signoff],
        )
        con.execute(
            "insert into finalized.annual_cells select year, ?, table_no, row_order, row_label, level, "
            "entity_code, col_order, col_group, col_label, column_name, value, is_ratio, missing "
            "from annual.rpt_annual_cells where year = ?",
            [version, year],
        )
        if change:
            con.execute(
                "update finalized.annual_cells set value = value + ? where year = ? and version = ? "
                "and table_no = 1 and level = 'district' and col_label = '本年底实有数'",
                [change, year, version],
            )
    finally:
        con.close()


SIGNOFF = ("示范区两新组织党工委", "赵主任", "钱填表", "孙审核", "0571-88880000", dt.date(2021, 2, 1))


def test_finalized_workbook_says_version_and_prints_the_stored_sign_off(built, tmp_path):
    db = tmp_path / "fin.duckdb"
    shutil.copyfile(built, db)
    _finalize(db, 2020, 1, dt.datetime(2021, 2, 1, 10), SIGNOFF)
    out = annual.write_annual_return(2020, tmp_path / "2020.xlsx", db)
    wb = openpyxl.load_workbook(out)
    ws = wb["封面"]
    assert ws["A2"].value == "定稿（第1版）"
    lines = cover_lines(ws)
    assert lines["强制定稿理由"] == "试点年份，经党工委同意上报"
    assert lines["定稿记录"] == "第1版，2021-02-01 10:00由王统计定稿"
    sign = {row[c]: row[c + 1] for row in grid(ws) for c in (0, 2, 4) if row[c] and str(row[c]).endswith("：")}
    assert sign == {
        "填报单位（盖章）：": "示范区两新组织党工委",
        "单位负责人：": "赵主任",
        "填表人：": "钱填表",
        "审核人：": "孙审核",
        "联系电话：": "0571-88880000",
        "报出日期：": "2021年2月1日",
    }
    assert "更正对照表" not in wb.sheetnames
    assert wb["表一"]["C2"].value is None or "定稿（第1版）" in str([c.value for c in wb["表一"][2]])


def test_correction_after_finalizing_shows_the_correction_table(built, tmp_path):
    db = tmp_path / "corr.duckdb"
    shutil.copyfile(built, db)
    # finalized on 2021-01-15 with 表一 总计 本年底实有数 = 31; current = 32 (A's correction A4c1 received
    # 2021-01-20, after the finalizing, is the latest current return of the year below the district)
    _finalize(db, 2020, 1, dt.datetime(2021, 1, 15, 10), SIGNOFF, change=-1)
    out = annual.write_annual_return(2020, tmp_path / "2020.xlsx", db)
    wb = openpyxl.load_workbook(out)
    assert wb["封面"]["A2"].value == "已定稿，有更正待报"
    assert wb.sheetnames[1] == "更正对照表"
    g = grid(wb["更正对照表"])
    row = next(r for r in g if r[0] == "表一" and r[1] == "总计")
    assert row[2] == "本年底实有数" and row[3] == 31 and row[4] == 32 and row[5] == 1
    assert "A4c1" in row[6] and fx.A in row[6]
    # the current numbers are not what was signed: the sign-off block is blank (草稿), D116
    sign = {r[c]: r[c + 1] for r in grid(wb["封面"]) for c in (0, 2, 4) if r[c] and str(r[c]).endswith("：")}
    assert all(v in (None, "") for v in sign.values())
    page = annual_page.write_annual_page(2020, db, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert "已定稿，有更正待报" in html and "更正对照表（与第1版定稿相比）" in html and "A4c1" in html


# ---------------------------------------------------------------------------------------------- 缺报


@pytest.fixture(scope="module")
def built_missing_q4(tmp_path_factory):
    # B's only 2020Q4 return (B4) is rejected: B has Q1–Q3 → its stock cells are 缺报
    return _build(
        tmp_path_factory.mktemp("annual_missing"),
        lambda con: con.execute("update raw.submissions set outcome = 'rejected' where submission_id = 'B4'"),
    )


def test_missing_q4_cells_are_empty_never_zero(built_missing_q4, tmp_path):
    out = annual.write_annual_return(2020, tmp_path / "2020.xlsx", built_missing_q4)
    wb = openpyxl.load_workbook(out)
    con = duckdb.connect(str(built_missing_q4), read_only=True)
    try:
        missing = con.execute(
            "select table_no, row_label, coalesce(col_group, ''), col_label from annual.rpt_annual_cells "
            "where year = 2020 and missing and level <> 'district' and table_no = 1"
        ).fetchall()
        pairs = con.execute(
            "select unit_code, quarter from annual.rpt_annual_missing where year = 2020 and unit_code = ?", [fx.B]
        ).fetchall()
    finally:
        con.close()
    assert pairs == [(fx.B, "2020Q4")]
    assert ("兰亭社区党总支", "", "本年底实有数") in {(r, g, c) for _, r, g, c in missing}
    t1 = table_cells(wb["表一"])
    for _, label, group, col in missing:
        cell = t1[(label, group, col)]
        assert cell.value is None and cell.fill.fgColor.rgb.endswith("FFF2CC"), (label, col)
    assert "缺报" in str([c.value for row in wb["表一"].iter_rows() for c in row if c.value])
    lines = cover_lines(wb["封面"])
    assert lines["报表覆盖"].startswith("名册 60 个社区中 1 个四个季度报表齐全")


# ---------------------------------------------------------------------------------------------- dashboard page


def test_annual_page_has_verdict_coverage_and_tables(built, tmp_path):
    page = annual_page.write_annual_page(2020, built, tmp_path)
    assert page.name == "annual-2020.html"
    html = page.read_text(encoding="utf-8")
    for text in (
        "2020年两新组织党建工作统计年报",
        "草稿",
        "不得上报",
        "名册 60 个社区中 2 个四个季度报表齐全",
        "表一 党员数量变化情况",
        "表九 两新组织党组织情况",
        "表二 非公有制企业建立党组织情况（分街道、社区）",
    ):
        assert text in html, text
    assert "=HYPERLINK" not in html or "&quot;" in html  # the hostile text only ever appears escaped
    assert "<script>alert" not in html


# ---------------------------------------------------------------------------------------------- bulletin


def test_bulletin_docx_has_the_sections_and_the_marts_numbers(built, tmp_path):
    import docx

    out = bulletin.write_bulletin("2020Q4", tmp_path, built, date=dt.date(2021, 1, 25), issuer="示范区两新组织党工委")
    assert out.name == "bulletin-2020Q4.docx"
    doc = docx.Document(str(out))
    paras = [p.text for p in doc.paragraphs]
    assert paras[0] == "关于2020年第四季度两新组织党组织单独组建率情况的通报"
    summary = next(p for p in paras if p.startswith("截至"))
    # district 2020Q4: K1 4/11 = 36.4% (Q3 3/7 = 42.9% → −6.5 百分点); K2 7/11 = 63.6%; K3 4/8 = 50.0%
    # (Q3 3/5 = 60.0% → −10.0); K3b 4
    assert "截至2020年12月31日" in summary
    assert "党建基数的两新组织11个，其中单独建立党组织的4个，单独组建率为36.4%，较上季度下降6.5个百分点" in summary
    assert "党组织覆盖率为63.6%" in summary and "应建必建率为50.0%，较上季度下降10.0个百分点" in summary
    assert "应建未建单位4个" in summary
    for heading in ("一、各街道情况", "二、各社区单独组建率排名", "三、需要关注的社区"):
        assert heading in paras
    # fell most: B 2/4 = 50.0% vs Q3 2/3 = 66.7% → −16.7; A rose (1/4 → 2/7)
    assert any(p.startswith("单独组建率较上季度下降最多的社区：兰亭社区党总支（下降16.7个百分点）") for p in paras)
    # K3b > 0: A 3, B 4 − 3 = 1
    assert any("金桥社区党总支（3个）、兰亭社区党总支（1个）" in p for p in paras)
    assert "示范区两新组织党工委" in paras and "2021年1月25日" in paras
    streets, ranking, annex = doc.tables
    assert [c.text for c in streets.rows[0].cells][:2] == ["街道", "单建率"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in streets.rows[1:]}
    assert rows["东湖街道"][1] == "28.6%" and rows["西溪街道"][1] == "50.0%" and rows["全区"][1] == "36.4%"
    assert rows["全区"][2] == "−6.5"
    top = [c.text for c in ranking.rows[1].cells]
    assert top[:5] == ["1", "西溪街道", "兰亭社区党总支", "50.0%", "2/4"] and top[5] == "−16.7" and top[6] == "1"
    second = [c.text for c in ranking.rows[2].cells]
    assert second[:4] == ["2", "东湖街道", "金桥社区党总支", "28.6%"] and second[5] == "+3.6"
    # annex: the K3b worklist, one row per unit (4 units)
    assert [c.text for c in annex.rows[0].cells][3] == "单位名称"
    assert len(annex.rows) == 1 + 4


def test_bulletin_template_is_editable(built, tmp_path):
    import docx

    tpl = tmp_path / "模板.docx"
    bulletin.default_template().save(str(tpl))
    doc = docx.Document(str(tpl))
    doc.paragraphs[1].text = "各街道：本季度单建率为{K1}（{K1变化}）。"
    doc.save(str(tpl))
    out = bulletin.write_bulletin("2020Q4", tmp_path / "o", built, template=tpl)
    assert docx.Document(str(out)).paragraphs[1].text == "各街道：本季度单建率为36.4%（下降6.5个百分点）。"
    doc.paragraphs[1].text = "{单建率}"
    doc.save(str(tpl))
    with pytest.raises(bulletin.BulletinError, match="无法识别的占位符"):
        bulletin.write_bulletin("2020Q4", tmp_path / "o", built, template=tpl)


def test_bulletin_for_a_period_without_data_is_refused(built, tmp_path):
    with pytest.raises(bulletin.BulletinError, match="2019Q4"):
        bulletin.write_bulletin("2019Q4", tmp_path, built)


# ---------------------------------------------------------------------------------------------- PDF


@pytest.mark.libreoffice
def test_pdf_is_rewritten_despite_a_stale_lock_and_failures_are_loud(book, tmp_path):
    if not annual.libreoffice_can_convert(book):
        pytest.skip("LibreOffice Calc not installed")
    src = tmp_path / "2020.xlsx"
    shutil.copyfile(book, src)
    pdf = tmp_path / "2020.pdf"
    pdf.write_bytes(b"%PDF-1.4 old content")
    old = time.time() - 3600
    os.utime(pdf, (old, old))
    lock = tmp_path / ".~lock.2020.pdf#"
    lock.write_text(",someone,otherhost,01.01.2020 10:00,file:///home/someone;")
    out = annual.convert_to_pdf(src)
    assert out == pdf and not lock.exists()
    assert pdf.stat().st_mtime > old + 60 and pdf.stat().st_size > 1000
    # a source LibreOffice cannot load: a loud PdfError, and the previous PDF is left as it was
    bad = tmp_path / "bad.xlsx"
    # a broken zip: with LibreOffice Writer installed, plain text would be imported as a text document
    bad.write_bytes(b"PK\x03\x04 truncated workbook")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 previous")
    with pytest.raises(annual.PdfError):
        annual.convert_to_pdf(bad)
    assert (tmp_path / "bad.pdf").read_bytes() == b"%PDF-1.4 previous"


def _pdf_pages_by_sheet(pdf):
    """{sheet name: pages} from the footer "&A 第 &P 页，共 &N 页" of each page."""
    import re
    import subprocess

    n = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        ).group(1)
    )
    pages: dict[str, int] = {}
    for i in range(1, n + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        m = re.search(r"(\S+)\s+第 (\d+) 页，共 (\d+) 页", text)
        assert m and int(m.group(2)) == i and int(m.group(3)) == n, (i, text[-200:])
        pages[m.group(1)] = pages.get(m.group(1), 0) + 1
    return n, pages


def _require_calc_and_pdftotext(source) -> None:
    """Skip without LibreOffice Calc or poppler's pdftotext; fail instead where CI requires LibreOffice
    (``LIANGXIN_REQUIRE_LIBREOFFICE=1``, set by scripts/test.sh, which installs both): a page-count check that
    silently skips is no check."""
    missing = [
        what
        for what, ok in (
            ("LibreOffice Calc", annual.libreoffice_can_convert(source)),
            ("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("LIANGXIN_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"{' and '.join(missing)} required (LIANGXIN_REQUIRE_LIBREOFFICE=1) but not installed")
        pytest.skip(f"{' and '.join(missing)} not installed")


@pytest.mark.libreoffice
def test_fixture_return_prints_each_table_on_at_most_two_pages(book, tmp_path):
    _require_calc_and_pdftotext(book)
    src = tmp_path / "2020.xlsx"
    shutil.copyfile(book, src)
    pdf = annual.convert_to_pdf(src)
    n, pages = _pdf_pages_by_sheet(pdf)
    sheets = openpyxl.load_workbook(src).sheetnames
    # rows are the register's 60 communities (most 缺报) + streets + district: each table on ≤ 2 pages; the
    # district-only sheets of 表二/表三/表九 and the cover on one
    assert set(pages) == set(sheets) and n < 30, pages
    assert all(pages[s] <= 2 for s in sheets if s != "审核结果"), pages
    assert pages["封面"] == pages["表二"] == pages["表三"] == pages["表九"] == 1, pages


@pytest.mark.libreoffice
@pytest.mark.slow
def test_district_return_prints_well_under_thirty_pages(tmp_path, make_world):
    """A whole generated district (60 communities, 8 streets): the 2020 return was 90 pages (表二/表三 alone 74);
    now every table prints on at most two pages and the whole return on fewer than 30."""
    _require_calc_and_pdftotext(tmp_path / "x.xlsx")
    db = tmp_path / "build.duckdb"
    fx.load_world(db, make_world(start="2019Q1", end="2020Q4"))  # the world of test_dbt_truth
    proc = fx.run_dbt_build(db, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    out = annual.write_annual_return(2020, tmp_path / "2020.xlsx", db)
    n, pages = _pdf_pages_by_sheet(annual.convert_to_pdf(out))
    assert n < 30, pages
    assert all(p <= 2 for p in pages.values()), pages
    assert pages["表二"] == 1 and pages["表三"] == 1
