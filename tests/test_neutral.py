"""liangxin.neutral: the one neutralising module every writer uses (issue 19, docs/security.md)."""

from __future__ import annotations

import io

import openpyxl
import pytest
import xlsxwriter
from rich.console import Console
from rich.table import Table

from liangxin import neutral

VALID_ID = "11010519491231002X"  # GB 11643 example: check character X
HOSTILE = [
    '=HYPERLINK("http://evil","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    "[/]",
    "[bold]粗体[/bold]",
    "\x1b[2J\x1b[H清屏",
    "\x1b]0;标题\x07",
    "a\x9b31mb",
    "\u202eRTL",
    "\x00\x01\x0b",
    "[link=file:///etc/passwd]x[/link]",
    "\\",
    "a\\[b]",
]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_cell_text_makes_formula_prefixes_text(text):
    assert neutral.cell_text(text) == "'" + text
    assert neutral.neutralise(text) == "'" + text  # historic name


def test_cell_text_cleans_and_caps():
    assert neutral.cell_text("a\x00b\x1fc") == "a\ufffdb\ufffdc"
    long = "字" * 5000
    out = neutral.cell_text(long)
    assert len(out) == neutral.MAX_TEXT and out.endswith("…")
    assert neutral.cell_text(None) is None
    assert neutral.cell_text("普通文字") == "普通文字"


def test_cell_value_keeps_numbers_and_neutralises_text():
    assert neutral.cell_value(-5) == -5
    assert neutral.cell_value(2.5) == 2.5
    assert neutral.cell_value("-5") == "'-5"


def test_no_formula_cell_when_written_by_xlsxwriter_and_read_by_openpyxl():
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("t")
    for r, t in enumerate(HOSTILE):
        ws.write(r, 0, neutral.cell_text(t))  # even the untyped write() cannot make a formula of it
    wb.close()
    buf.seek(0)
    cells = [c for row in openpyxl.load_workbook(buf).active.iter_rows() for c in row]
    assert cells and all(c.data_type != "f" for c in cells)


def test_html_text_escapes():
    assert neutral.html_text('<script>"x"</script>') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"
    assert neutral.html_text(None) == ""


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_text_prints_verbatim_without_controls(text):
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=False, width=200, color_system=None)
    t = Table()
    t.add_column("值")
    t.add_row(neutral.terminal_text(text))
    con.print(t)
    con.print(neutral.terminal_text(text))  # no MarkupError
    out = buf.getvalue()
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out and "\x00" not in out
    visible = neutral.strip_control(text)
    assert visible.replace("\t", "") in out.replace("\t", "")  # markup shown literally, not interpreted


def test_strip_control_removes_sequences_whole():
    assert neutral.strip_control("\x1b[31m红\x1b[0m") == "红"
    assert neutral.strip_control("\x1b]8;;http://x\x1b\\链接\x1b]8;;\x1b\\") == "链接"
    assert neutral.strip_control("a\r\nb\tc") == "a\nb\tc"


def test_scrub_ids_replaces_every_id_shaped_string():
    assert neutral.scrub_ids(f"身份证{VALID_ID}重复") == f"身份证{neutral.ID_PLACEHOLDER}重复"
    assert neutral.scrub_ids(f"ID{VALID_ID[:-1]}1x") == f"ID{neutral.ID_PLACEHOLDER}x"  # wrong check char too
    assert neutral.scrub_ids("１１０１０５１９４９１２３１００２Ｘ") == neutral.ID_PLACEHOLDER  # full-width
    assert neutral.scrub_ids("1" * 19) == "1" * 19  # not an ID: a longer run of digits
    assert neutral.scrub_ids("91310000MA1K12345X") == "91310000MA1K12345X"  # a USCC with letters
    assert neutral.scrub_ids(None) is None
    assert neutral.scrub_ids(VALID_ID, replace=lambda s: f"<{s}>") == f"<{VALID_ID}>"
    assert neutral.safe_text(f"={VALID_ID}") == f"'={neutral.ID_PLACEHOLDER}"
