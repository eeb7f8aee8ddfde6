"""Receipt / rejection reports: written, then read back with openpyxl and as HTML text."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import openpyxl
import pytest

from liangxin.reports import write_reports
from liangxin.validate.result import RuleHit, ValidationResult

SHA = "ab12cd34" + "0" * 56
RECEIVED = dt.datetime(2020, 10, 9, 14, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FORMULA = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert(1)</script>"

T1, T2, T3 = "表1 两新组织情况", "表2 党组织情况", "表3 党员队伍变动情况"


def _rejected() -> ValidationResult:
    # deliberately out of order: the report must sort file-level first, then 封面, 表1, 表2, 表3; then by row
    hits = [
        RuleHit("R11", "E", T3, 7, "期末应有数", "12", "[R11] 期末应有数应等于期初+发展+…，应为 13", "M7"),
        RuleHit("F4", "E", T1, 9, "从业人员数", "-1+2", "[F4] 从业人员数应为非负整数", "I9"),
        RuleHit("F4", "E", T1, 3, "统一社会信用代码", FORMULA, "[F4] 统一社会信用代码应为18位", "A3"),
        RuleHit("I1", "W", T1, 3, "单位名称", SCRIPT, "[I1] 统一社会信用代码校验位不符（警告）", "B3"),
        RuleHit("F4", "E", T2, 4, "成立日期", "@SUM(1)", "[F4] 成立日期无法识别", "E4"),
        RuleHit("F7", "W", None, None, None, "Sheet1", "[F7] 未知工作表 Sheet1 已忽略", None),
        RuleHit("F3", "W", "封面", 2, "填报单位名称", "金桥社区", "[F3] 填报单位名称与名册不一致", "B2"),
        RuleHit("F2", "E", T2, None, "党组织名称", None, "[F2] 缺少必填列 党组织名称", None),
    ]
    return ValidationResult(
        path=Path("/inbox/x.xlsx"),
        sha256=SHA,
        size=1234,
        original_name="=cmd|' /C calc'!A0.xlsx",
        format="xlsx",
        unit_code="330199001001",
        unit_name="-金桥社区",
        period="2020Q3",
        correction_no=0,
        hits=hits,
    )


def _warned() -> ValidationResult:
    hits = [RuleHit("I1", "W", T1, 5, "统一社会信用代码", "91330199MA2H00001Y", "[I1] 校验位不符", "A5")]
    return ValidationResult(
        path=Path("/inbox/金桥.xlsx"),
        sha256="ff" * 32,
        size=10,
        original_name="金桥.xlsx",
        unit_code="330199001001",
        unit_name="金桥社区党总支",
        period="2020Q4",
        correction_no=1,
        hits=hits,
    )


def _all_values(ws) -> list[object]:
    return [c.value for row in ws.iter_rows() for c in row if c.value is not None]


def _hit_table(ws) -> tuple[int, list[tuple]]:
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号")
    rows = [tuple(c.value for c in ws[r][:9]) for r in range(header_row + 1, ws.max_row + 1)]
    return header_row, rows


def _summary(ws) -> dict[str, object]:
    return {ws.cell(r, 1).value: ws.cell(r, 4).value for r in range(2, 12)}


@pytest.fixture()
def rejected_reports(tmp_path):
    return write_reports(_rejected(), tmp_path, received_at=RECEIVED), tmp_path


def test_rejected_paths(rejected_reports):
    (xlsx, htm), outbox = rejected_reports
    assert xlsx == outbox / "rejected" / "330199001001_2020Q3_ab12cd34.xlsx"
    assert htm == outbox / "rejected" / "330199001001_2020Q3_ab12cd34.html"
    assert xlsx.stat().st_size > 0 and htm.stat().st_size > 0
    assert sorted(p.name for p in (outbox / "rejected").iterdir()) == sorted([xlsx.name, htm.name])  # no leftovers


def test_rejected_xlsx_content(rejected_reports):
    (xlsx, _), _ = rejected_reports
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "两新组织党建工作季报 退回通知"
    s = _summary(ws)
    assert s["审核结论"] == "退回"
    assert s["SHA-256"] == SHA
    assert s["文件名"] == "'=cmd|' /C calc'!A0.xlsx"
    assert s["填报单位"] == "330199001001 -金桥社区"  # starts with the code, so no apostrophe needed
    assert s["报告期"] == "2020Q3" and s["更正序号"] == "0"
    assert s["接收时间"].startswith("2020-10-09 14:30:05")
    assert s["错误数"] == "5 条" and s["警告数"] == "3 条"

    header_row, rows = _hit_table(ws)
    assert [c.value for c in ws[header_row][:9]] == [
        "序号",
        "规则编号",
        "严重程度",
        "工作表",
        "行",
        "列",
        "单元格",
        "填报值",
        "说明",
    ]
    got = [(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
    assert got == [
        ("F7", "警告", "（整个文件）", None, None, None, "Sheet1"),
        ("F3", "警告", "封面", 2, "填报单位名称", "B2", "金桥社区"),
        ("F4", "错误", T1, 3, "统一社会信用代码", "A3", "'" + FORMULA),
        ("I1", "警告", T1, 3, "单位名称", "B3", SCRIPT),
        ("F4", "错误", T1, 9, "从业人员数", "I9", "'-1+2"),
        ("F2", "错误", T2, None, "党组织名称", None, None),
        ("F4", "错误", T2, 4, "成立日期", "E4", "'@SUM(1)"),
        ("R11", "错误", T3, 7, "期末应有数", "M7", "12"),
    ]
    assert [r[0] for r in rows] == list(range(1, 9))
    assert rows[2][8] == "[F4] 统一社会信用代码应为18位"
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref == f"A{header_row}:I{header_row + 8}"
    assert ws.page_setup.orientation == "landscape"
    # fit to one page wide (fitToWidth absent = 1, the OOXML default), any number of pages tall
    assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    assert all(c.font.b for c in ws[header_row][:9])
    assert ws.column_dimensions["I"].width > ws.column_dimensions["A"].width


def test_no_formula_cells(rejected_reports):
    (xlsx, _), _ = rejected_reports
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    dangerous = [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert dangerous == []
    for v in ("'" + FORMULA, "'@SUM(1)", "'-1+2"):
        cell = next(c for c in cells if c.value == v)
        assert cell.data_type == "s"


def test_rejected_html(rejected_reports):
    (_, htm), _ = rejected_reports
    text = htm.read_text(encoding="utf-8")
    assert "<script>" not in text and SCRIPT not in text
    assert html.escape(SCRIPT) in text
    assert html.escape(FORMULA) in text
    assert "两新组织党建工作季报 退回通知" in text and "退回" in text
    for cell in ("M7", "I9", "A3", "B3", "E4", "B2"):
        assert f"<td>{cell}</td>" in text
    # grouped by sheet in forms order, file-level first
    positions = [text.index(f"<h2>{g}") for g in ("（整个文件）", "封面", T1, T2, T3)]
    assert positions == sorted(positions)
    assert f"<h2>{T1}（错误 2 条，警告 1 条）</h2>" in text
    assert html.escape("=cmd|' /C calc'!A0.xlsx") in text


def test_accepted_with_warnings(tmp_path):
    xlsx, htm = write_reports(_warned(), tmp_path, received_at=RECEIVED)
    assert xlsx == tmp_path / "accepted" / "330199001001_2020Q4_ffffffff.xlsx"
    assert htm.parent == tmp_path / "accepted"
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    assert ws["A1"].value == "两新组织党建工作季报 审核回执"
    s = _summary(ws)
    assert s["审核结论"] == "接收（有警告）"
    assert s["错误数"] == "0 条" and s["警告数"] == "1 条" and s["更正序号"] == "1"
    _, rows = _hit_table(ws)
    assert rows == [(1, "I1", "警告", T1, 5, "统一社会信用代码", "A5", "91330199MA2H00001Y", "[I1] 校验位不符")]
    text = htm.read_text(encoding="utf-8")
    assert "接收（有警告）" in text and "91330199MA2H00001Y" in text and "未发现问题" not in text


def test_clean_acceptance(tmp_path):
    res = _warned()
    res.hits = []
    xlsx, htm = write_reports(res, tmp_path)
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    assert _summary(ws)["审核结论"] == "接收"
    header_row, rows = _hit_table(ws)
    assert rows == [("未发现问题",) + (None,) * 8]
    assert "未发现问题" in htm.read_text(encoding="utf-8")


def test_unknown_unit_and_hostile_names(tmp_path):
    res = ValidationResult(
        path=Path("/inbox/bad.bin"),
        sha256="12345678" + "9" * 56,
        size=3,
        hits=[RuleHit("F1", "E", None, None, None, None, "[F1] 文件无法作为 xlsx 或 CSV 压缩包打开")],
    )
    xlsx, htm = write_reports(res, tmp_path)
    assert xlsx == tmp_path / "rejected" / "未知单位_未知报告期_12345678.xlsx"
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    assert _summary(ws)["文件名"] == "bad.bin"
    res2 = ValidationResult(
        path=Path("/inbox/y.xlsx"),
        sha256="a" * 64,
        size=3,
        unit_code="../../etc/x",
        period="2020Q1\x00",
        hits=[RuleHit("F3", "E", "封面", 2, "填报单位编码", "../../etc/x\x01", "[F3] 单位编码不在名册中", "A2")],
    )
    xlsx2, htm2 = write_reports(res2, tmp_path)
    assert xlsx2.parent == tmp_path / "rejected" and xlsx2.name == "etc_x_2020Q1_aaaaaaaa.xlsx"
    ws2 = openpyxl.load_workbook(xlsx2).worksheets[0]
    assert "../../etc/x\ufffd" in _all_values(ws2)
