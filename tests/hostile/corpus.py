"""A corpus of malformed and malicious submissions, built by code at test time (no binary blobs).

Every case is a file plus its documented outcome (see ``docs/operations.md`` § Hostile input):

- ``Expect.rejected(rule, word)``: rejected; the receipt has an E hit of ``rule`` (whose message contains
  ``word`` when given) — nothing of it reaches the data tables;
- ``Expect.accepted(*w)``: a tolerable oddity: accepted (possibly with warnings); ``w`` lists warning rules
  that must be among the hits;
- ``Expect.duplicate()``: byte-identical to a file already received: nothing is written at all.

The base warehouse the corpus is ingested into holds one accepted return: the hand-made community
330199001001 for **2021Q1** (``BASE_PERIOD``).  Corpus returns are that community's **2020Q3** return
(tests/returnbuilder.py) with one hostile change each, received on ``RECEIVED`` (2021-04-20).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from liangxin import forms
from returnbuilder import ErrorValue, Formula, ReturnBuilder, UNIT_CODE
from hostile.writers import csv_member

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BASE_PERIOD = "2021Q1"
PERIOD = "2020Q3"
OTHER_UNIT = "330199002001"  # another community of the register (兰亭社区)
RECEIVED = dt.datetime(2021, 4, 20, 9, 0, tzinfo=dt.timezone.utc)
ZWSP, RLM, LRM = "\u200b", "\u200f", "\u200e"


@dataclass
class Expect:
    outcome: str  # accepted | rejected | duplicate
    rule: str | None = None
    word: str | None = None
    warnings: tuple[str, ...] = ()
    unit: str | None = UNIT_CODE  # for accepted: the unit the rows are loaded under

    @classmethod
    def rejected(cls, rule: str, word: str | None = None) -> "Expect":
        return cls("rejected", rule, word)

    @classmethod
    def accepted(cls, *warnings: str, unit: str = UNIT_CODE) -> "Expect":
        return cls("accepted", warnings=warnings, unit=unit)

    @classmethod
    def duplicate(cls) -> "Expect":
        return cls("duplicate")


@dataclass
class Case:
    name: str
    filename: str
    make: Callable[[Path], None]  # writes the file at the given path
    expect: Expect
    why: str = ""
    sparse: bool = False  # very large but cheap (sparse) file


# --------------------------------------------------------------------------------------------------
# byte-level helpers
# --------------------------------------------------------------------------------------------------
def rezip(
    data: bytes,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    drop: set[str] | None = None,
    rename: dict[str, str] | None = None,
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if drop and info.filename in drop:
                continue
            name = (rename or {}).get(info.filename, info.filename)
            dst.writestr(name, (replace or {}).get(info.filename, src.read(info)))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def zip_of(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def sheet_part(data: bytes, sheet: str) -> str:
    """Zip member of the worksheet named ``sheet`` (openpyxl writes sheets in order: sheetN.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    names = re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb)
    rid = dict(names)[sheet]
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels
    )
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def clean(period: str = PERIOD) -> ReturnBuilder:
    return ReturnBuilder(period)


def xlsx_bytes(b: ReturnBuilder, tmp: Path) -> bytes:
    return b.to_xlsx(tmp).read_bytes()


def _writer(fn: Callable[[Path], bytes]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(fn(path.with_suffix(".tmp-src")))

    return make


def _builder(mutate: Callable[[ReturnBuilder], object], fmt: str = "xlsx", period: str = PERIOD):
    def make(path: Path) -> None:
        b = clean(period)
        mutate(b)
        b.write(path, fmt)

    return make


def _openpyxl(mutate: Callable, period: str = PERIOD):
    """Write the clean return with openpyxl, then let ``mutate(workbook)`` change it before saving."""

    def make(path: Path) -> None:
        import openpyxl

        tmp = path.with_suffix(".src.xlsx")
        clean(period).to_xlsx(tmp)
        wb = openpyxl.load_workbook(tmp)
        mutate(wb)
        wb.save(path)
        tmp.unlink()

    return make


def _clean_xlsx(tmp: Path) -> bytes:
    return xlsx_bytes(clean(), tmp)


def _declared_bomb(tmp: Path) -> bytes:
    data = bytearray(zip_of({"表1 两新组织情况.csv": b"a,b\r\n1,2\r\n"}))
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 0xFFFFFFF0)  # 4 GB declared in the central directory
    return bytes(data)


def _ratio_bomb_in_xlsx(tmp: Path) -> bytes:
    return rezip(_clean_xlsx(tmp), add={"xl/media/image1.png": b"\0" * (16 << 20)})  # 16 MB → ~16 KB


def _many_members(tmp: Path) -> bytes:
    return rezip(_clean_xlsx(tmp), add={f"customXml/item{i}.xml": b"<a/>" for i in range(600)})


def _billion_laughs(tmp: Path) -> bytes:
    data = _clean_xlsx(tmp)
    part = sheet_part(data, "封面")
    xml = member(data, part)
    lol = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b"]>"
    )
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    body = body.replace(b"<sheetData>", b"<sheetData>", 1)
    return rezip(data, replace={part: lol + body.replace(b"</sheetData>", b"</sheetData><!-- &lol9; -->", 1)})


def _truncated(tmp: Path) -> bytes:
    data = _clean_xlsx(tmp)
    return data[: len(data) * 2 // 3]


def _corrupt_member(tmp: Path) -> bytes:
    """Flip bytes inside the compressed stream of a worksheet: the CRC no longer matches."""
    data = bytearray(_clean_xlsx(tmp))
    part = sheet_part(bytes(data), "表1 两新组织情况").encode()
    i = data.index(part)  # first occurrence: the member's local header (name at offset 30)
    hdr = data.rfind(b"PK\x03\x04", 0, i)
    name_len, extra_len = struct.unpack_from("<HH", data, hdr + 26)
    start = hdr + 30 + name_len + extra_len
    for k in range(start + 20, start + 60):
        data[k] ^= 0x5A
    return bytes(data)


def _absolute_member(tmp: Path) -> bytes:
    return rezip(_clean_xlsx(tmp), add={"/etc/cron.d/evil": b"* * * * * root sh\n"})


def _dotdot_member(tmp: Path) -> bytes:
    return zip_of(
        {"../../封面.csv": csv_member_of("cover")} | {f"{f.sheet}.csv": csv_member_of(f.key) for f in forms.DATA_FORMS}
    )


def csv_member_of(key: str, encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n") -> bytes:
    return csv_member(clean().data, forms.FORMS_BY_KEY[key], encoding, bom, newline)


def _csvzip(encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n", extra: dict | None = None):
    def fn(tmp: Path) -> bytes:
        members = {f"{f.sheet}.csv": csv_member_of(f.key, encoding, bom, newline) for f in forms.FORMS}
        return zip_of(members | (extra or {}))

    return fn


def _encrypted_ole(tmp: Path) -> bytes:
    """An OLE2 compound file as Excel writes a password-protected workbook (EncryptionInfo + EncryptedPackage)."""
    sector = b"\0" * 512
    names = b"".join(
        n.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64
        for n in ("Root Entry", "EncryptionInfo", "EncryptedPackage")
    )
    return OLE2 + b"\0" * 16 + struct.pack("<HH", 0x3E, 3) + b"\0" * 480 + names + sector * 8


def _legacy_xls(tmp: Path) -> bytes:
    names = b"".join(n.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64 for n in ("Root Entry", "Workbook"))
    return OLE2 + b"\0" * 16 + struct.pack("<HH", 0x3E, 3) + b"\0" * 480 + names + b"\x09\x08" + b"\0" * 4094


def _xlsm(tmp: Path) -> bytes:
    data = _clean_xlsx(tmp)
    ct = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return rezip(data, replace={"[Content_Types].xml": ct}, add={"xl/vbaProject.bin": OLE2 + b"\0" * 1024})


def _vba_only(tmp: Path) -> bytes:
    return rezip(_clean_xlsx(tmp), add={"xl/vbaProject.bin": OLE2 + b"\0" * 1024})


def _sparse_oversized(path: Path) -> None:
    data = _clean_xlsx(path.with_suffix(".src"))
    with open(path, "wb") as fh:
        fh.write(data)
        fh.truncate(21 * 1024 * 1024)  # sparse tail: a 21 MB file that costs nothing to create


def _million_rows(with_cell: bool):
    def fn(tmp: Path) -> bytes:
        data = _clean_xlsx(tmp)
        part = sheet_part(data, "表1 两新组织情况")
        xml = member(data, part)
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:AC1048576"/>', xml)
        last = (
            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            if with_cell
            else b'<row r="1048576" spans="1:29"/>'
        )
        return rezip(data, replace={part: xml.replace(b"</sheetData>", last + b"</sheetData>")})

    return fn


def _too_many_columns(tmp: Path) -> bytes:
    data = _clean_xlsx(tmp)
    part = sheet_part(data, "表1 两新组织情况")
    xml = member(data, part)
    cell = b'<c r="ALZ2" t="inlineStr"><is><t>x</t></is></c>'  # column 1014 (> 1000)
    xml = re.sub(rb'(<row r="2"[^>]*>)', rb"\1", xml)
    xml = xml.replace(b"</row>", cell + b"</row>", 2).replace(cell + b"</row>", b"</row>", 1)
    return rezip(data, replace={part: xml})


def _merged_header(wb) -> None:
    ws = wb["表2 党组织情况"]
    ws.merge_cells("B1:C1")  # openpyxl empties C1 (组织类别 → gone): the header is merged over two columns


def _header_on_row2(wb) -> None:
    ws = wb["表1 两新组织情况"]
    ws.insert_rows(1)
    ws["A1"] = "表1 两新组织情况（2020年第三季度）"


def _hide_all(wb) -> None:
    for ws in wb.worksheets[1:]:
        ws.sheet_state = "hidden"


def _hidden_junk(wb) -> None:
    ws = wb.create_sheet("隐藏计算")
    ws["A1"] = "草稿"
    ws.sheet_state = "veryHidden"


def _duplicate_sheet(wb) -> None:
    src = wb["表4 培训情况"]
    dup = wb.copy_worksheet(src)
    dup.title = "表4\u3000培训情况"  # ideographic space: the same name after normalisation


def _formula_cached(tmp: Path) -> bytes:
    """Formulas with cached values, as Excel saves them (<f>…</f><v>6</v>)."""
    data = _clean_xlsx(tmp)
    part = sheet_part(data, "表3 党员队伍变动情况")
    xml = member(data, part)
    b = clean()
    ref = b.cell("member_flows", 0, "closing_should").encode()
    xml, n = re.subn(
        rb'<c r="' + ref + rb'"([^>]*)><v>6</v></c>',
        b'<c r="' + ref + b'"><f>B2+C2+D2+E2-H2-I2-J2-K2</f><v>6</v></c>',
        xml,
    )
    assert n == 1, "closing_should cell not found"
    return rezip(data, replace={part: xml})


def _zwsp_headers(b: ReturnBuilder) -> None:
    b.rename_header("organizations", "employees", ZWSP + "从业人员数" + ZWSP)
    b.rename_header("party_orgs", "deputies", "副书记" + ZWSP + "人数")


def _fullwidth(b: ReturnBuilder) -> None:
    b.rename_header("organizations", "org_name", "单位名称\u3000")
    b.rename_header("member_flows", "opening", "期初党员数 ")
    b.set("organizations", 0, "employees", "３０")
    b.set("party_orgs", 0, "general_meetings", "　１　")
    b.rename_sheet("trainings", "表４ 培训情况")


def _unicode_values(b: ReturnBuilder) -> None:
    b.set("organizations", 0, "org_name", RLM + "金桥\u202e精密\u202c机械😀有限公司" + LRM)
    b.set("party_orgs", 0, "secretary_name", "王😀五")
    b.set("attendance", 2, "person_name", "孙\u200b八")
    b.set("cover", 0, "filled_by", "张三👍")
    b.set("organizations", 1, "org_name", "'; DROP TABLE raw.submissions; --")
    b.set("organizations", 2, "org_name", '=HYPERLINK("http://evil.example","点我")')
    b.set("organizations", 3, "org_name", "金" * 3000)


CASES: list[Case] = []


def case(name, filename, make, expect, why=""):
    CASES.append(Case(name, filename, make, expect, why))


# ---- F1: the file itself --------------------------------------------------------------------------
case("empty", "r.xlsx", lambda p: p.write_bytes(b""), Expect.rejected("F1", "为空"))
case("plain_text", "r.xlsx", lambda p: p.write_bytes("填报单位编码,报告期\n".encode()), Expect.rejected("F1"))
case(
    "renamed_pdf",
    "r.xlsx",
    lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"),
    Expect.rejected("F1", "PDF"),
)
case("truncated_xlsx", "r.xlsx", _writer(_truncated), Expect.rejected("F1"))
case("truncated_zip_of_csv", "r.zip", _writer(lambda t: _csvzip()(t)[:300]), Expect.rejected("F1"))
case("corrupt_member_crc", "r.xlsx", _writer(_corrupt_member), Expect.rejected("F1"))
case("encrypted_ole2", "r.xlsx", _writer(_encrypted_ole), Expect.rejected("F1", "加密"))
case("legacy_xls", "r.xls.xlsx", _writer(_legacy_xls), Expect.rejected("F1", "旧版"))
case("xlsm_macros", "r.xlsm.xlsx", _writer(_xlsm), Expect.rejected("F1", "宏"))
case("vba_project_only", "r.xlsx", _writer(_vba_only), Expect.rejected("F1", "宏"))
case("declared_4gb_member", "r.zip", _writer(_declared_bomb), Expect.rejected("F1", "压缩炸弹"))
case("ratio_bomb_in_xlsx", "r.xlsx", _writer(_ratio_bomb_in_xlsx), Expect.rejected("F1", "压缩"))
case("600_members", "r.xlsx", _writer(_many_members), Expect.rejected("F1", "过多"))
case("billion_laughs", "r.xlsx", _writer(_billion_laughs), Expect.rejected("F1", "DOCTYPE"))
case("absolute_member_path", "r.xlsx", _writer(_absolute_member), Expect.rejected("F1", "绝对路径"))
case("dotdot_member_path", "r.zip", _writer(_dotdot_member), Expect.rejected("F1", ".."))
case("oversized_21mb_sparse", "r.xlsx", _sparse_oversized, Expect.rejected("F1", "过大"))
case("million_rows_claimed_with_cell", "r.xlsx", _writer(_million_rows(True)), Expect.rejected("F1", "行数过多"))
case("too_many_columns", "r.xlsx", _writer(_too_many_columns), Expect.rejected("F1"))
case(
    "utf16_csv",
    "r.zip",
    _writer(lambda t: zip_of({"封面.csv": "填报单位编码\r\n".encode("utf-16")})),
    Expect.rejected("F1", "UTF-16"),
)
case(
    "zip_without_csv",
    "r.zip",
    _writer(lambda t: zip_of({"readme.txt": b"hi", "a.exe": b"MZ" + b"\0" * 64})),
    Expect.rejected("F1", ".csv"),
)
case(
    "gbk_with_utf8_bom",
    "r.zip",
    _writer(_csvzip("gbk", bom=True)),
    Expect.rejected("F1", "UTF-8"),
    "a BOM declares UTF-8; GBK bytes after it are not guessed (returns.md §1: detected, never assumed)",
)

# ---- F2: sheets and columns -------------------------------------------------------------------------
case("merged_header_cells", "r.xlsx", _openpyxl(_merged_header), Expect.rejected("F2", "组织类别"))
case("headers_on_row_2", "r.xlsx", _openpyxl(_header_on_row2), Expect.rejected("F2", "第1行"))
case("duplicate_sheet_same_normalised_name", "r.xlsx", _openpyxl(_duplicate_sheet), Expect.rejected("F2", "不止一次"))
case("missing_sheet", "r.xlsx", _builder(lambda b: b.drop_sheet("mobile_members")), Expect.rejected("F2", "缺少工作表"))
case("missing_column", "r.xlsx", _builder(lambda b: b.drop_column("party_orgs", "lectures")), Expect.rejected("F2"))

# ---- F3: the cover ----------------------------------------------------------------------------------
case(
    "unit_not_in_register",
    "r.xlsx",
    _builder(lambda b: b.set("cover", 0, "unit_code", "330199999999")),
    Expect.rejected("F3"),
)
case("period_in_future", "r.xlsx", _builder(lambda b: b.set("cover", 0, "period", "2031Q1")), Expect.rejected("F3"))
case(
    "submitted_on_future",
    "r.xlsx",
    _builder(lambda b: b.set("cover", 0, "submitted_on", dt.date(2099, 1, 1))),
    Expect.rejected("F3"),
)
case(
    "unknown_template_version",
    "r.xlsx",
    _builder(lambda b: b.set("cover", 0, "template_version", "LX-Q-9999.9")),
    Expect.rejected("F3"),
)

# ---- F4: cells --------------------------------------------------------------------------------------
case(
    "formula_without_cached_value",
    "r.xlsx",
    _builder(lambda b: b.set("member_flows", 0, "closing_should", Formula("=B2+C2"))),
    Expect.rejected("F4"),
)
case(
    "error_cell_ref",
    "r.xlsx",
    _builder(lambda b: b.set("party_orgs", 0, "deputies", ErrorValue("#REF!"))),
    Expect.rejected("F4", "#REF!"),
)
case(
    "negative_count",
    "r.xlsx",
    _builder(lambda b: b.set("organizations", 0, "employees", -3)),
    Expect.rejected("F4", "负数"),
)
case(
    "fractional_count",
    "r.xlsx",
    _builder(lambda b: b.set("party_orgs", 0, "lectures", 1.5)),
    Expect.rejected("F4", "小数"),
)
case(
    "int_10e20_text",
    "r.xlsx",
    _builder(lambda b: b.set("organizations", 3, "employees", "100000000000000000000")),
    Expect.rejected("F4", "过大"),
)
case(
    "int_10e20_number",
    "r.xlsx",
    _builder(lambda b: b.set("organizations", 3, "employees", 1e20)),
    Expect.rejected("F4"),
)
case(
    "date_before_1900_text",
    "r.xlsx",
    _builder(lambda b: b.set("party_orgs", 0, "established_on", "1899-12-31")),
    Expect.accepted(),
    "a real date; no rule bounds 成立日期 from below (stored as 1899-12-31)",
)
case(
    "date_garbage",
    "r.xlsx",
    _builder(lambda b: b.set("party_orgs", 0, "established_on", "2020-02-30")),
    Expect.rejected("F4"),
)
case(
    "training_date_in_future",
    "r.xlsx",
    _builder(lambda b: b.set("trainings", 0, "end_on", dt.date(2099, 12, 31))),
    Expect.rejected("R14"),
)
case(
    "code_not_in_list",
    "r.xlsx",
    _builder(lambda b: b.set("organizations", 0, "reg_status", "存续😀")),
    Expect.rejected("F4"),
)

# ---- F6: corrections --------------------------------------------------------------------------------
case(
    "correction_without_original",
    "r.xlsx",
    _builder(lambda b: (b.set("cover", 0, "correction_no", 1), b.set("cover", 0, "correction_reason", "更正"))),
    Expect.rejected("F6"),
)
case(
    "resubmit_base_period_changed",
    "r.xlsx",
    _builder(lambda b: b.set("cover", 0, "filled_by", "王五"), period=BASE_PERIOD),
    Expect.rejected("F6"),
    "same unit+period+correction 0 as the accepted return: lower-or-equal correction",
)
case("byte_identical_resubmission", "r.xlsx", None, Expect.duplicate())  # filled in by the test (base bytes)

# ---- tolerable oddities: accepted ----------------------------------------------------------------------
case("clean_xlsx", "r.xlsx", _builder(lambda b: None), Expect.accepted())
case(
    "hidden_sheets_right_names",
    "r.xlsx",
    _openpyxl(_hide_all),
    Expect.accepted(),
    "hidden sheets are sheets: the spec matches sheets by name, visibility carries no meaning",
)
case("very_hidden_extra_sheet", "r.xlsx", _openpyxl(_hidden_junk), Expect.accepted("F7"))
case(
    "million_empty_rows_claimed",
    "r.xlsx",
    _writer(_million_rows(False)),
    Expect.accepted(),
    "a dimension and an empty row 1,048,576 hold no cells: nothing to read, read in bounded time",
)
case(
    "formula_with_cached_value",
    "r.xlsx",
    _writer(_formula_cached),
    Expect.accepted(),
    "the cached value is the value Excel shows; it is what is read",
)
case("whole_float_count", "r.xlsx", _builder(lambda b: b.set("organizations", 0, "employees", 30.0)), Expect.accepted())
case(
    "zero_width_spaces_in_headers",
    "r.xlsx",
    _builder(_zwsp_headers),
    Expect.accepted(),
    "normalise_header drops format characters (Cf) as it drops spaces",
)
case("fullwidth_headers_digits_sheet", "r.xlsx", _builder(_fullwidth), Expect.accepted())
case("unicode_rtl_emoji_injection_text", "r.xlsx", _builder(_unicode_values), Expect.accepted())
case(
    "thousands_separators_text_numbers",
    "r.xlsx",
    _builder(
        lambda b: (b.set("organizations", 0, "employees", " 30 "), b.set("party_orgs", 0, "fiscal_support", "5,000.00"))
    ),
    Expect.accepted(),
)
case(
    "extra_unknown_column",
    "r.xlsx",
    _builder(lambda b: b.add_column("organizations", "备注", ["a", "b"])),
    Expect.accepted("F7"),
)
case("csv_utf8_bom_crlf", "r.zip", _writer(_csvzip("utf-8", bom=True)), Expect.accepted())
case("csv_gbk_no_bom", "r.zip", _writer(_csvzip("gbk")), Expect.accepted())
case(
    "csv_utf8_lf_with_junk_members",
    "r.zip",
    _writer(_csvzip("utf-8", newline="\n", extra={"__MACOSX/._封面.csv": b"\0\1", "说明.txt": b"readme"})),
    Expect.accepted("F7"),
)
case(
    "cover_of_another_community",
    f"{OTHER_UNIT}_2020Q3.xlsx",
    _builder(lambda b: None),
    Expect.accepted(),
    "returns.md §1: the file name carries no meaning; a file named for B with A's cover is A's return",
)
case(
    "b_named_file_for_a_base_period",
    f"{OTHER_UNIT}_2021Q1.xlsx",
    _builder(lambda b: b.set("cover", 0, "approved_by", "钱七"), period=BASE_PERIOD),
    Expect.rejected("F6"),
    "A's cover for a unit+period A already reported: F6, whatever the file name says",
)


# ---- bounded reading (issue 19): each of these made the reader attempt a huge allocation or decompression ----
def _bomb(build):
    def fn(tmp: Path) -> bytes:
        return build(_clean_xlsx(tmp))

    return fn


def _csv_members() -> dict[str, bytes]:
    return {f"{f.sheet}.csv": csv_member_of(f.key) for f in forms.FORMS}


def _csv_with(name: str, body: bytes) -> Callable[[Path], bytes]:
    return lambda tmp: zip_of(_csv_members() | {name: body})


from hostile import bombs  # noqa: E402  (imports this module's helpers)

case(
    "cover_cell_at_XFD1048576",
    "r.xlsx",
    _writer(_bomb(bombs.cover_cell_at_xfd1048576)),
    Expect.rejected("F1", "行数过多"),
)
case("worksheet_part_not_xml", "r.xlsx", _writer(_bomb(bombs.worksheet_part_not_xml)), Expect.rejected("F1", ".xml"))
case("two_sheets_same_name", "r.xlsx", _writer(_bomb(bombs.two_sheets_same_name)), Expect.rejected("F1", "同名"))
case(
    "shared_strings_count_2e9",
    "r.xlsx",
    _writer(_bomb(bombs.shared_strings_count)),
    Expect.rejected("F1", "共享字符串"),
)
case(
    "cells_without_references",
    "r.xlsx",
    _writer(_bomb(bombs.cells_without_references)),
    Expect.rejected("F1", "列数过多"),
)
case(
    "single_quoted_far_reference",
    "r.xlsx",
    _writer(_bomb(bombs.single_quoted_far_reference)),
    Expect.rejected("F1", "行数过多"),
)
case("workbook_moved", "r.xlsx", _writer(_bomb(bombs.workbook_moved)), Expect.rejected("F1", "非标准"))
case("csv_bzip2_members", "r.zip", _writer(lambda t: bombs.csv_bzip2(_csv_members())), Expect.rejected("F1", "bzip2"))
case(
    "csv_member_lying_size",
    "r.zip",
    _writer(lambda t: bombs.lying_size(_csv_members(), "说明.csv", bombs.big_csv_rows(400_000, 10))),
    Expect.rejected("F1", "声明的大小"),
)
case(
    "csv_cell_too_long",
    "r.zip",
    _writer(_csv_with("备注.csv", ("a," + bombs.varied_text(40_000) + "\r\n").encode())),
    Expect.rejected("F1", "过长"),
)
case(
    "csv_too_many_columns",
    "r.zip",
    _writer(_csv_with("备注.csv", bombs.big_csv_rows(2, 1500))),
    Expect.rejected("F1", "列数过多"),
)
case(
    "csv_too_many_cells",
    "r.zip",
    _writer(_csv_with("备注.csv", bombs.big_csv_rows(3200, 999, seed=1))),
    Expect.rejected("F1", "单元格总数"),
)
