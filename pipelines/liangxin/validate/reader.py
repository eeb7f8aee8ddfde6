"""Safe opening (rule F1) and reading of the two accepted file formats into raw cell grids.

Nothing here interprets cells: :class:`RawSheet` holds the values as found (``str``, ``float``, ``bool``,
``datetime``/``date`` or ``None``) at their absolute positions (row 0 = sheet row 1, the header).

Order of the checks (all before any spreadsheet parsing): file size, OLE2 signature (legacy .xls or an
encrypted workbook), zip structure from the central directory only (member count, paths, declared sizes
and ratios, encrypted members), then a bounded read of every XML part (DOCTYPE / ENTITY declarations),
macro content, and only then the cell reader (python-calamine for xlsx, the csv module for the CSV zip).
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 500
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024  # members smaller than this cannot be bombs, whatever their ratio
MAX_COLUMNS = 1000
MAX_CELLS = 5_000_000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CELL_RE = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.DOTALL)
_REF_RE = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_TYPE_E_RE = re.compile(rb'\bt="e"')
_V_RE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")


class FileRejected(Exception):
    """Raised with a Chinese message (without the rule prefix) when a file fails F1."""


@dataclass
class RawSheet:
    name: str  # the sheet name as found in the file
    rows: list[list[object]]  # absolute positions; rows[0] is sheet row 1
    formula_no_value: set[tuple[int, int]] = field(default_factory=set)  # (row0, col0)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) -> '#REF!'


@dataclass
class Workbook:
    format: str  # "xlsx" | "csvzip"
    sheets: list[RawSheet]
    ignored_members: list[str] = field(default_factory=list)  # CSV zip: members that are not <sheet>.csv


def _col_letter(col0: int) -> str:
    s, n = "", col0 + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


_COL_LETTERS = tuple(_col_letter(c) for c in range(MAX_COLUMNS + 1))  # cell references are built per hit


def col_letter(col0: int) -> str:
    if 0 <= col0 <= MAX_COLUMNS:
        return _COL_LETTERS[col0]
    return _col_letter(col0)  # CSV sheets have no column bound


def col_index(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + (ord(ch) - 64)
    return n - 1


# --------------------------------------------------------------------------------------------------
# F1 checks before parsing
# --------------------------------------------------------------------------------------------------
def check_signature(data: bytes) -> None:
    if data.startswith(OLE2_MAGIC) or data.startswith(OLE2_MAGIC[:4]):
        if any(s in data for s in _ENCRYPTION_STREAMS):
            raise FileRejected("文件已加密（设置了打开密码），无法读取；请取消密码后另存为 .xlsx 再报送")
        raise FileRejected("文件为旧版 Excel 97-2003（.xls）或其他 OLE 复合文档格式；请另存为 .xlsx（Excel 工作簿）再报送")
    if data.startswith(b"%PDF"):
        raise FileRejected("文件是 PDF，不是 Excel 工作簿；请报送 .xlsx 文件或 CSV 压缩包")
    if not data:
        raise FileRejected("文件为空")
    if not data.startswith(ZIP_MAGICS):
        raise FileRejected("文件既不是 .xlsx 工作簿也不是 zip 压缩包；请报送 .xlsx 文件或 CSV 压缩包")


def _unsafe_member_name(name: str) -> bool:
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n) or "\x00" in n:
        return True
    return any(part == ".." for part in n.split("/"))


def check_zip_directory(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Central-directory checks: nothing is decompressed here."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileRejected(f"压缩包内文件过多（{len(infos)} 个，上限 {MAX_MEMBERS} 个），疑似异常文件")
    total = 0
    for info in infos:
        if _unsafe_member_name(info.filename):
            raise FileRejected(f"压缩包内含不安全的文件路径“{info.filename}”（绝对路径或“..”），拒收")
        if info.flag_bits & 0x1:
            raise FileRejected("压缩包或工作簿已加密（设置了密码），无法读取；请取消密码后再报送")
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise FileRejected(f"解压后总大小超过 {MAX_TOTAL_UNCOMPRESSED // 1024 // 1024} MB，疑似压缩炸弹，拒收")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileRejected(
                f"压缩包内文件“{info.filename}”压缩比超过 {MAX_RATIO}:1，疑似压缩炸弹，拒收")
    return infos


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read one member; zipfile stops at the declared size and verifies the CRC, so a lying size fails."""
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except NotImplementedError as exc:
        raise FileRejected(f"压缩包内文件“{info.filename}”使用了不支持的压缩方式；请用常规 zip 格式重新压缩") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise FileRejected(f"文件已损坏：压缩包内文件“{info.filename}”无法解压（校验失败）；请重新保存后报送") from exc
    if len(data) > info.file_size:  # pragma: no cover - zipfile never returns more than declared
        raise FileRejected(f"压缩包内文件“{info.filename}”实际大小与声明不符，拒收")
    return data


def _check_xml_part(name: str, data: bytes) -> None:
    head = data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = data.decode("utf-16", errors="replace").encode("utf-8")
    if _DTD_RE.search(head):
        raise FileRejected(f"工作簿部件“{name}”含 DOCTYPE/ENTITY 声明（可能是恶意 XML），拒收")


# --------------------------------------------------------------------------------------------------
# Open
# --------------------------------------------------------------------------------------------------
def open_file(data: bytes, max_rows: int) -> Workbook:
    check_signature(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError, OSError) as exc:
        raise FileRejected("文件已损坏或不完整（zip 结构无法读取）；请重新保存后报送") from exc
    with zf:
        infos = check_zip_directory(zf)
        names = {i.filename for i in infos}
        lower = {n.lower() for n in names}
        if "[content_types].xml" in lower or "xl/workbook.xml" in lower:
            return _open_xlsx(data, zf, infos, max_rows)
        return _open_csv_zip(zf, infos, max_rows)


def _open_xlsx(data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_rows: int) -> Workbook:
    parts: dict[str, bytes] = {}
    for info in infos:
        low = info.filename.lower()
        if posixpath.basename(low) == "vbaproject.bin" or low.endswith((".bin",)) and "vba" in low:
            raise FileRejected("工作簿含宏（VBA），拒收；请另存为不含宏的 .xlsx 后报送")
        if low.endswith((".xml", ".rels", ".vml")) and not info.is_dir():
            body = _read_member(zf, info)
            _check_xml_part(info.filename, body)
            parts[info.filename] = body
    ct = next((v for k, v in parts.items() if k.lower() == "[content_types].xml"), b"")
    if b"macroenabled" in ct.lower():
        raise FileRejected("工作簿为启用宏的格式（.xlsm），拒收；请另存为 .xlsx 后报送")
    wb_xml = next((v for k, v in parts.items() if k.lower() == "xl/workbook.xml"), None)
    if wb_xml is None:
        raise FileRejected("xlsx 工作簿缺少 xl/workbook.xml，文件已损坏")
    sheet_parts = _sheet_part_names(wb_xml, parts)

    import python_calamine as pc  # local import: only xlsx needs it

    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError as exc:
        raise FileRejected("工作簿已加密，无法读取") from exc
    except Exception as exc:  # calamine reports corrupt parts with several exception types
        raise FileRejected(f"工作簿无法读取（{type(exc).__name__}）；请用 Excel 重新保存为 .xlsx 后报送") from exc
    sheets: list[RawSheet] = []
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ).split(".")[-1] != "WorkSheet":
                continue
            part = sheet_parts.get(meta.name)
            if part is not None and part in parts and not _extent_surely_within(parts[part], max_rows):
                # bound the sheet from its XML BEFORE calamine materialises the used range (a single cell at
                # row 1,048,576 would otherwise cost ~1 GB)
                x_rows, x_cols = _declared_extent(parts[part])
                if x_rows > max_rows + 1:
                    raise FileRejected(f"工作表“{meta.name}”行数过多（{x_rows} 行，上限 {max_rows} 行数据），拒收")
                if x_cols > MAX_COLUMNS or x_rows * x_cols > MAX_CELLS:
                    raise FileRejected(f"工作表“{meta.name}”的数据区域过大（{x_rows} 行 × {x_cols} 列），拒收")
            sheet = book.get_sheet_by_name(meta.name)
            raw = RawSheet(name=meta.name, rows=[])
            end = sheet.end
            if end is not None:
                n_rows, n_cols = end[0] + 1, end[1] + 1
                if n_rows > max_rows + 1:
                    raise FileRejected(f"工作表“{meta.name}”行数过多（{n_rows} 行，上限 {max_rows} 行数据），拒收")
                if n_cols > MAX_COLUMNS or n_rows * n_cols > MAX_CELLS:
                    raise FileRejected(f"工作表“{meta.name}”的数据区域过大（{n_rows} 行 × {n_cols} 列），拒收")
                raw.rows = sheet.to_python(skip_empty_area=False)
            if part is not None and part in parts:
                _scan_formulas(parts[part], raw)
            sheets.append(raw)
    finally:
        book.close()
    return Workbook(format="xlsx", sheets=sheets)


# a row counts only when it holds a cell (an empty <row r="1048576"/> holds nothing to read)
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d{1,9})"[^>]*?(?<!/)>\s*<(?:\w+:)?c\b')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,4})(\d{1,9})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


_EXTENT_CHUNK = 1 << 20  # bytes of sheet XML whose cell references are collected at once (bounds memory)
_group1 = operator.methodcaller("group", 1)


def _letters_key(letters: bytes) -> tuple[int, bytes]:
    # for A–Z letters the column number grows with the length, then with the letters themselves
    return len(letters), letters


# Cheap conservative pre-checks for _declared_extent, (rows, cols, looks_bigger): when ``looks_bigger`` finds
# nothing, no row or cell reference of the sheet can exceed ``rows`` / ``cols``.  Every reference the two
# regexes above capture is the text r="<letters><digits>" (letters empty for rows), and looks_bigger finds
# every such text whose number is > rows (leading zeros allowed) or whose letters are beyond ``cols``
# (3 letters: > ZZ = 702; T?, S[G-Z]: > SF = 500).  It finds more (other attributes ending in r, leading
# zeros...), which only sends the sheet to the exact count.
_SMALL_EXTENTS = (
    (999, 702, re.compile(rb'r="(?:[A-Z]{0,4}0*[1-9]\d{3}|[A-Z]{3})')),
    (9999, 500, re.compile(rb'r="(?:[A-Z]{0,4}0*[1-9]\d{4}|[A-Z]{3}|[T-Z][A-Z]|S[G-Z])')),
)


def _extent_surely_within(sheet_xml: bytes, max_rows: int) -> bool:
    """True when the sheet's declared extent cannot exceed the limits (one regex search, no counting)."""
    for rows, cols, looks_bigger in _SMALL_EXTENTS:
        if rows <= max_rows + 1 and cols <= MAX_COLUMNS and rows * cols <= MAX_CELLS \
                and looks_bigger.search(sheet_xml) is None:
            return True
    return False


def _declared_extent(sheet_xml: bytes) -> tuple[int, int]:
    """(highest row number, highest column number) referenced in a worksheet's XML.

    Every row and cell reference is looked at (the ``<dimension>`` element, or the order of the rows, could
    lie).  For speed the maxima are taken by C-level ``map``/``max`` over the regex results rather than a
    Python loop per cell: rows stream from ``finditer``; cell references are collected with ``findall`` one
    slice of about ``_EXTENT_CHUNK`` bytes at a time, each slice ending right after a ``>`` (no cell
    reference match contains ``>``, so no match straddles two slices and every slice finds exactly the
    matches the whole document has there).  Without a ``>`` near the slice end the rest is streamed.
    """
    xml = sheet_xml
    rows = max(map(int, map(_group1, _ROW_REF.finditer(xml))), default=0)
    top = b""
    pos, n = 0, len(xml)
    while pos < n:
        end = xml.find(b">", pos + _EXTENT_CHUNK, pos + 2 * _EXTENT_CHUNK)
        if end >= 0:
            end += 1
        elif n - pos <= 2 * _EXTENT_CHUNK:
            end = n
        else:  # hostile: no '>' for megabytes; stream the rest with bounded memory
            for m in _CELL_REF.finditer(xml, pos):
                letters, digits = m.groups()
                rows = max(rows, int(digits))
                top = max(top, letters, key=_letters_key)
            break
        refs = _CELL_REF.findall(xml, pos, end)
        if refs:
            letters, digits = zip(*refs)
            rows = max(rows, max(map(int, digits)))
            top = max(top, max(set(letters), key=_letters_key), key=_letters_key)
        pos = end
    return rows, (_column_number(top) if top else 0)


def _sheet_part_names(wb_xml: bytes, parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> zip member of its worksheet XML (via xl/_rels/workbook.xml.rels)."""
    from defusedxml import ElementTree as ET

    out: dict[str, str] = {}
    rels_xml = next((v for k, v in parts.items() if k.lower() == "xl/_rels/workbook.xml.rels"), None)
    if rels_xml is None:
        return out
    try:
        rels = {}
        for el in ET.fromstring(rels_xml):
            target = el.get("Target") or ""
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join("xl", target))
            rels[el.get("Id")] = target
        root = ET.fromstring(wb_xml)
    except Exception as exc:
        raise FileRejected(f"工作簿结构 XML 无法解析（{type(exc).__name__}），文件已损坏") from exc
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for el in root.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            name, r = el.get("name"), el.get(rid)
            if name and r in rels:
                out[name] = rels[r]
    return out


def _scan_formulas(xml: bytes, raw: RawSheet) -> None:
    """Flag formula cells without a cached value and error cells (calamine shows both as empty)."""
    if b"<f" not in xml and b't="e"' not in xml:
        return
    for m in _CELL_RE.finditer(xml):
        attrs, inner = m.group(1), m.group(3) or b""
        ref = _REF_RE.search(attrs)
        if not ref:
            continue
        pos = (int(ref.group(2)) - 1, col_index(ref.group(1)))
        v = _V_RE.search(inner)
        value = v.group(1).decode("utf-8", "replace") if v else ""
        if _TYPE_E_RE.search(attrs):
            raw.errors[pos] = value or "#错误"
        elif b"<f" in inner and not value:
            raw.formula_no_value.add(pos)


# --------------------------------------------------------------------------------------------------
# CSV zip
# --------------------------------------------------------------------------------------------------
def _member_display_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile decoded it as cp437; recover the bytes
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for enc in ("utf-8", "gb18030"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    return name


def decode_csv(data: bytes, member: str) -> str:
    """UTF-8 (with or without BOM) or GB18030 (GBK is a subset); anything else is F1."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRejected(f"“{member}”以 UTF-8 标记开头，但内容不是有效的 UTF-8 编码") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejected(f"“{member}”为 UTF-16 编码；请另存为 UTF-8 或 GB18030/GBK 编码的 CSV")
    if b"\x00" in data:
        raise FileRejected(f"“{member}”含空字符，不是 UTF-8 或 GB18030/GBK 编码的文本")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"“{member}”的编码无法识别；请使用 UTF-8 或 GB18030/GBK 编码") from exc


def _open_csv_zip(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_rows: int) -> Workbook:
    sheets: list[RawSheet] = []
    ignored: list[str] = []
    for info in infos:
        if info.is_dir():
            continue
        shown = _member_display_name(info)
        base = posixpath.basename(shown.replace("\\", "/"))
        if shown.startswith("__MACOSX/") or base.startswith("."):
            continue
        if not base.lower().endswith(".csv"):
            ignored.append(shown)
            continue
        text = decode_csv(_read_member(zf, info), shown)
        raw = RawSheet(name=base[:-4], rows=[])
        try:
            for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
                if i > max_rows:
                    raise FileRejected(f"“{shown}”行数过多（上限 {max_rows} 行数据），拒收")
                raw.rows.append([c if c != "" else None for c in row])
        except csv.Error as exc:
            raise FileRejected(f"“{shown}”不是有效的 CSV 文件（{exc}）") from exc
        sheets.append(raw)
    if not sheets:
        raise FileRejected("压缩包既不是 .xlsx 工作簿，也不含任何 .csv 文件；请报送 .xlsx 文件或 CSV 压缩包")
    return Workbook(format="csvzip", sheets=sheets, ignored_members=ignored)
