"""Safe opening (rule F1) and reading of the two accepted file formats into raw cell grids.

Nothing here interprets cells: :class:`RawSheet` holds the values as found (``str``, ``float``, ``bool``,
``datetime``/``date`` or ``None``) at their absolute positions (row 0 = sheet row 1, the header).

Order of the checks (all before any spreadsheet parsing): file size, OLE2 signature (legacy .xls or an
encrypted workbook), zip structure from the central directory only (member count, unique safe names,
compression methods, declared sizes and ratios, encrypted members), then every member is decompressed
with a streaming cap at its declared size (a member that produces more is rejected at once, CRC checked),
every XML part is checked (DOCTYPE / ENTITY declarations, UTF-16), macro content, the sheets (unique names,
``.xml`` parts) and the rows and columns every part holding cells reaches, the declared shared-string
count, and only then the cell reader (python-calamine for xlsx, the csv module for the CSV zip), whose
results are capped in cells and text length.  Every limit is listed in ``docs/security-input.md``.
The cover peek (:func:`peek_cover_rows`, ordering of a batch) obeys the same container limits and never
calls the spreadsheet library.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 500
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024  # members smaller than this cannot be bombs, whatever their ratio
MAX_COLUMNS = 1000
# One community's return holds a few hundred rows (spec scale.md: ~220 units, ~17 Party organizations,
# ~100 members per community); 2,000,000 cells is 80,000 rows of 25 columns in one sheet.
MAX_CELLS = 2_000_000  # rows x columns of one sheet (the area the cell reader allocates)
MAX_WORKBOOK_CELLS = 3_000_000  # the same, summed over every sheet of a file (xlsx), or cells of a CSV zip
MAX_CELL_CHARS = 32_767  # characters of one cell's text (Excel's own limit)
MAX_SHARED_STRINGS = MAX_WORKBOOK_CELLS  # entries a shared-string table may declare (memory is reserved for them)
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 93: "zstd", 98: "PPMd"}
_INFLATE_CHUNK = 1 << 20  # bytes of output produced per step of a streaming inflate

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
        raise FileRejected(
            "文件为旧版 Excel 97-2003（.xls）或其他 OLE 复合文档格式；请另存为 .xlsx（Excel 工作簿）再报送"
        )
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
    """Central-directory checks: nothing is decompressed here.

    Member count, names (safe, unique ignoring case: the xlsx reader looks parts up ignoring case),
    encryption, compression method (stored or deflate only), declared sizes (total and ratio).
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileRejected(f"压缩包内文件过多（{len(infos)} 个，上限 {MAX_MEMBERS} 个），疑似异常文件")
    total = 0
    seen: set[str] = set()
    for info in infos:
        if _unsafe_member_name(info.filename):
            raise FileRejected(f"压缩包内含不安全的文件路径“{info.filename}”（绝对路径或“..”），拒收")
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            raise FileRejected(f"压缩包内有重名文件“{info.filename}”（不区分大小写），拒收")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise FileRejected("压缩包或工作簿已加密（设置了密码），无法读取；请取消密码后再报送")
        if info.compress_type not in ALLOWED_METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"方式 {info.compress_type}")
            raise FileRejected(
                f"压缩包内文件“{info.filename}”使用了不允许的压缩方式（{method}）；只接受常规 zip "
                "压缩（deflate）或不压缩（stored），请用常规方式重新压缩后报送"
            )
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise FileRejected(f"解压后总大小超过 {MAX_TOTAL_UNCOMPRESSED // 1024 // 1024} MB，疑似压缩炸弹，拒收")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileRejected(f"压缩包内文件“{info.filename}”压缩比超过 {MAX_RATIO}:1，疑似压缩炸弹，拒收")
    return infos


def _corrupt(info: zipfile.ZipInfo) -> FileRejected:
    return FileRejected(f"文件已损坏：压缩包内文件“{info.filename}”无法解压（校验失败）；请重新保存后报送")


def _compressed_bytes(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """The member's stored (compressed) bytes: the local header is checked against the central directory."""
    off = info.header_offset
    if off < 0 or data[off : off + 4] != b"PK\x03\x04" or len(data) < off + 30:
        raise _corrupt(info)
    (method,) = struct.unpack_from("<H", data, off + 8)
    n_name, n_extra = struct.unpack_from("<HH", data, off + 26)
    if method != info.compress_type:
        raise _corrupt(info)
    start = off + 30 + n_name + n_extra
    end = start + info.compress_size
    if end > len(data):
        raise _corrupt(info)
    return memoryview(data)[start:end]


def inflate_member(
    data: bytes, info: zipfile.ZipInfo, keep: bool = True, markers: tuple[bytes, ...] = (), limit: int | None = None
) -> tuple[bytes | None, bool]:
    """Decompress one member with a streaming cap; ``(bytes or None, whether a marker occurs)``.

    Without ``limit`` the member must decompress to exactly its declared size with a matching CRC: output
    beyond the declared size stops the inflation at once (a member that lies about its size is a bomb,
    whatever the size it declares), so at most ``info.file_size`` bytes are ever produced and, with
    ``keep=False``, at most one chunk is held.  ``limit``: produce at most that many bytes, no CRC (the
    lenient cover peek).  ``markers`` are searched in the output, also across chunk borders.
    """
    raw = _compressed_bytes(data, info)
    size = info.file_size if limit is None else min(limit, info.file_size)
    chunks: list[bytes] = []
    found = False
    overlap = max((len(m) for m in markers), default=1) - 1
    tail = b""
    total = 0
    crc = 0

    def take(out: bytes) -> None:
        nonlocal found, tail, total, crc
        total += len(out)
        if total > size:
            if limit is not None:
                out = out[: len(out) - (total - size)]
                total = size
            else:
                raise FileRejected(
                    f"压缩包内文件“{info.filename}”解压后超过其声明的大小（{info.file_size} 字节），疑似压缩炸弹，拒收"
                )
        if markers and not found:
            window = tail + out
            found = any(m in window for m in markers)
            tail = window[-overlap:] if overlap else b""
        crc = zlib.crc32(out, crc)
        if keep:
            chunks.append(out)

    if info.compress_type == zipfile.ZIP_STORED:
        if limit is None and len(raw) != info.file_size:
            raise _corrupt(info)
        for i in range(0, min(len(raw), size), _INFLATE_CHUNK):
            take(bytes(raw[i : min(i + _INFLATE_CHUNK, size)]))
    else:
        d = zlib.decompressobj(-15)
        pos = 0
        try:
            while not d.eof and total < size + (limit is None):
                if d.unconsumed_tail:
                    inp = d.unconsumed_tail
                elif pos < len(raw):
                    inp = raw[pos : pos + _INFLATE_CHUNK]
                    pos += _INFLATE_CHUNK
                else:
                    inp = b""
                out = d.decompress(inp, _INFLATE_CHUNK)
                if not out and not inp:
                    break  # no input left and nothing pending: the stream is truncated
                take(out)
        except zlib.error as exc:
            raise _corrupt(info) from exc
        if limit is None and (not d.eof or total != info.file_size):
            raise _corrupt(info)
    if limit is None and (total != info.file_size or crc != info.CRC):
        raise _corrupt(info)
    return (b"".join(chunks) if keep else None), found


def _read_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    body, _ = inflate_member(data, info)
    return body  # type: ignore[return-value]


def _check_xml_part(name: str, data: bytes) -> None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data[:2] in (b"<\0", b"\0<"):
        raise FileRejected(f"工作簿部件“{name}”为 UTF-16 编码（Excel 不会这样保存），拒收；请用 Excel 重新保存为 .xlsx")
    if _DTD_RE.search(data):
        raise FileRejected(f"工作簿部件“{name}”含 DOCTYPE/ENTITY 声明（可能是恶意 XML），拒收")


# --------------------------------------------------------------------------------------------------
# Open
# --------------------------------------------------------------------------------------------------
def _zip(data: bytes) -> zipfile.ZipFile:
    check_signature(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError, OSError) as exc:
        raise FileRejected("文件已损坏或不完整（zip 结构无法读取）；请重新保存后报送") from exc


def _is_xlsx(infos: list[zipfile.ZipInfo]) -> bool:
    lower = {i.filename.lower() for i in infos}
    return "[content_types].xml" in lower or "xl/workbook.xml" in lower


def open_file(data: bytes, max_rows: int) -> Workbook:
    with _zip(data) as zf:
        infos = check_zip_directory(zf)
        if _is_xlsx(infos):
            return _open_xlsx(data, infos, max_rows)
        return _open_csv_zip(data, infos, max_rows)


_XML_SUFFIXES = (".xml", ".rels", ".vml")
# content that makes a part a worksheet (cells) or a shared-string table for the xlsx reader
_SHEET_MARKER, _SST_MARKER = b"sheetData", b"uniqueCount"
_UNIQUE_COUNT = re.compile(rb"""\suniqueCount\s*=\s*["']\s*([^"']*)["']""")


@dataclass
class Package:
    """An xlsx whose every member has been checked (:func:`inspect_xlsx`); nothing parsed it yet."""

    parts: dict[str, bytes]  # every .xml/.rels/.vml member, by name
    sheets: list[tuple[str, str]]  # (sheet name, zip member) in workbook order
    extents: dict[str, tuple[int, int]]  # zip member holding cells -> (rows, columns) it reaches


def inspect_xlsx(data: bytes, infos: list[zipfile.ZipInfo], max_rows: int) -> Package:
    """Every check an xlsx passes before any spreadsheet parser touches it (see ``docs/security-input.md``).

    Checks go by content, not by the names the package claims, so that no route by which the cell reader
    finds a part (relationships, case-insensitive lookups, a moved workbook) escapes them: every member
    decompresses to exactly its declared size (streaming cap, CRC); every member that holds cells
    (``sheetData``) is a ``.xml`` part and the rows and columns it reaches are within the limits; no
    shared-string table declares more entries than the cell limit (the reader reserves memory for the
    declared count); sheet names are unique and each sheet's part exists and is ``.xml``.
    """
    parts: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        low = info.filename.lower()
        if posixpath.basename(low) == "vbaproject.bin" or low.endswith(".bin") and "vba" in low:
            raise FileRejected("工作簿含宏（VBA），拒收；请另存为不含宏的 .xlsx 后报送")
        if low.endswith(_XML_SUFFIXES):
            body, _ = inflate_member(data, info)
            _check_xml_part(info.filename, body)
            parts[info.filename] = body
        else:
            _, found = inflate_member(data, info, keep=False, markers=(_SHEET_MARKER, _SST_MARKER))
            if found:
                raise FileRejected(
                    f"工作簿部件“{info.filename}”含工作表或共享字符串内容，但不是 .xml 文件，疑似恶意文件，拒收"
                )
    by_lower = {k.lower(): k for k in parts}
    ct = parts.get(by_lower.get("[content_types].xml", ""), b"")
    if b"macroenabled" in ct.lower():
        raise FileRejected("工作簿为启用宏的格式（.xlsm），拒收；请另存为 .xlsx 后报送")
    wb_name = by_lower.get("xl/workbook.xml")
    if wb_name is None:
        raise FileRejected("xlsx 工作簿缺少 xl/workbook.xml，文件已损坏")
    _check_package_root(parts.get(by_lower.get("_rels/.rels", ""), None))
    sheets = _sheet_parts(parts[wb_name], parts.get(by_lower.get("xl/_rels/workbook.xml.rels", ""), None), by_lower)
    names = {part: name for name, part in sheets}
    extents: dict[str, tuple[int, int]] = {}
    total = 0
    for part, body in parts.items():
        for m in _UNIQUE_COUNT.finditer(body):
            n = m.group(1).strip()
            if not n.isdigit() or int(n) > MAX_SHARED_STRINGS:
                raise FileRejected(
                    f"工作簿部件“{part}”声明的共享字符串数量“{n.decode('ascii', 'replace')[:20]}”"
                    f"超过上限 {MAX_SHARED_STRINGS:,} 个，拒收"
                )
        if _SHEET_MARKER not in body:
            continue
        shown = names.get(part, part)
        rows, cols = sheet_extent(body)
        if rows > max_rows + 1:
            raise FileRejected(f"工作表“{shown}”行数过多（{rows} 行，上限 {max_rows} 行数据），拒收")
        if cols > MAX_COLUMNS:
            raise FileRejected(f"工作表“{shown}”列数过多（{cols} 列，上限 {MAX_COLUMNS} 列），拒收")
        if rows * cols > MAX_CELLS:
            raise FileRejected(
                f"工作表“{shown}”的数据区域过大（{rows} 行 × {cols} 列，上限 {MAX_CELLS:,} 个单元格），拒收"
            )
        total += rows * cols
        if total > MAX_WORKBOOK_CELLS:
            raise FileRejected(f"工作簿单元格总数过多（超过 {MAX_WORKBOOK_CELLS:,} 个），拒收")
        extents[part] = (rows, cols)
    return Package(parts=parts, sheets=sheets, extents=extents)


def _check_package_root(rels_xml: bytes | None) -> None:
    """The package's main part must be xl/workbook.xml (the reader would follow another target)."""
    if rels_xml is None:
        return
    from defusedxml import ElementTree as ET

    try:
        root = ET.fromstring(rels_xml)
    except Exception as exc:
        raise FileRejected(f"工作簿结构 XML 无法解析（{type(exc).__name__}），文件已损坏") from exc
    for el in root.iter():
        if (el.get("Type") or "").endswith("/officeDocument"):
            target = (el.get("Target") or "").lstrip("/")
            if target.lower() != "xl/workbook.xml":
                raise FileRejected(f"工作簿主部件位置非标准（“{target[:80]}”），拒收；请用 Excel 重新保存为 .xlsx")


def _sheet_parts(wb_xml: bytes, rels_xml: bytes | None, by_lower: dict[str, str]) -> list[tuple[str, str]]:
    """(sheet name, zip member) of every sheet in workbook order; names unique, parts present and .xml."""
    from defusedxml import ElementTree as ET

    if rels_xml is None:
        raise FileRejected("xlsx 工作簿缺少 xl/_rels/workbook.xml.rels，文件已损坏")
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
    out: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for el in root.iter():
        if not (el.tag.endswith("}sheet") or el.tag == "sheet"):
            continue
        name, r = el.get("name") or "", el.get(rid)
        key = name.casefold()
        if key in seen:
            raise FileRejected(f"工作簿中有两个同名工作表“{name}”（不区分大小写），拒收；请删除或改名其中一个")
        seen[key] = name
        target = rels.get(r)
        if target is None:
            raise FileRejected(f"工作表“{name}”在工作簿结构中找不到对应部件，文件已损坏")
        if not target.lower().endswith(".xml"):
            raise FileRejected(f"工作表“{name}”的部件“{target[:80]}”不是 .xml 文件，疑似恶意文件，拒收")
        member = by_lower.get(target.lower())
        if member is None:
            raise FileRejected(f"工作表“{name}”的部件“{target[:80]}”缺失，文件已损坏")
        out.append((name, member))
    return out


def _open_xlsx(data: bytes, infos: list[zipfile.ZipInfo], max_rows: int) -> Workbook:
    pkg = inspect_xlsx(data, infos, max_rows)
    sheet_parts = dict(pkg.sheets)

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
            if part is None:  # pragma: no cover - inspect_xlsx found every sheet's part
                raise FileRejected(f"工作表“{meta.name}”在工作簿结构中找不到对应部件，文件已损坏")
            sheet = book.get_sheet_by_name(meta.name)
            raw = RawSheet(name=meta.name, rows=[])
            end = sheet.end
            if end is not None:
                n_rows, n_cols = end[0] + 1, end[1] + 1
                x_rows, x_cols = pkg.extents.get(part, (0, 0))
                if n_rows > x_rows or n_cols > x_cols:  # pragma: no cover - the extent is conservative
                    raise FileRejected(f"工作表“{meta.name}”的数据区域与其部件不符，拒收")
                raw.rows = sheet.to_python(skip_empty_area=False)
                _check_text_lengths(raw, pkg.parts.get(part, b""), pkg.parts)
            _scan_formulas(pkg.parts.get(part, b""), raw)
            sheets.append(raw)
    finally:
        book.close()
    return Workbook(format="xlsx", sheets=sheets)


def _longest_run(xml: bytes) -> int:
    """Length of the longest stretch of ``xml`` without a ``<`` (linear, in slices of about 1 MiB that end at a
    ``<``, so memory stays bounded; a regex for a long run would rescan every stretch from each position)."""
    longest, pos, n = 0, 0, len(xml)
    while pos < n:
        end = xml.find(b"<", pos + _EXTENT_CHUNK)
        end = n if end < 0 else end
        longest = max(longest, max(map(len, xml[pos:end].split(b"<"))))
        pos = end
    return longest


_RICH_RUN = re.compile(rb"<(?:[^\s<>/:!?]+:)?r[\s>]")


def _check_text_lengths(raw: RawSheet, sheet_xml: bytes, parts: dict[str, bytes]) -> None:
    """No cell text longer than MAX_CELL_CHARS.  A text is never longer (in characters) than its bytes in
    UTF-8 XML, so without a run of more than MAX_CELL_CHARS bytes free of ``<`` in the sheet and the shared
    strings, and without rich-text runs (``<r>``, which join several texts), no cell can exceed the limit
    and the cells need not be visited one by one."""
    sst = [b for k, b in parts.items() if _SST_MARKER in b and b"<si" in b]
    suspicious = any(_longest_run(b) > MAX_CELL_CHARS or _RICH_RUN.search(b) for b in (sheet_xml, *sst))
    if not suspicious:
        return
    for r0, row in enumerate(raw.rows):
        for c0, v in enumerate(row):
            if type(v) is str and len(v) > MAX_CELL_CHARS:
                raise FileRejected(
                    f"工作表“{raw.name}”单元格 {col_letter(c0)}{r0 + 1} 的文本过长（{len(v):,} 个字符，"
                    f"上限 {MAX_CELL_CHARS:,} 个），拒收"
                )


# Cell references.  The fast path holds when every cell start tag is ``<c r="A1"`` (r the first attribute,
# canonical: 1–3 capital letters, a row 1–9999999), as Excel, LibreOffice, openpyxl and xlsxwriter write
# them: then the reference of each cell is unambiguous and the extent is the largest row and column.  Any
# other form goes to the exact slow path, which follows the reader's own rules for cells without ``r``.
_C_START = re.compile(rb"<(?:[^\s<>/:!?]+:)?c[\s/>]")
_C_CANON = re.compile(rb'<(?:[^\s<>/:!?]+:)?c r="([A-Z]{1,3})([1-9][0-9]{0,6})"[\s/>]')
_EXTENT_CHUNK = 1 << 20  # bytes of sheet XML whose cell references are collected at once (bounds memory)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _letters_key(letters: bytes) -> tuple[int, bytes]:
    # for A–Z letters the column number grows with the length, then with the letters themselves
    return len(letters), letters


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """(rows, columns) a worksheet's cells reach: the highest row and column of any cell, 1-based.

    Conservative: markup inside comments or CDATA counts as cells.  Slices of about ``_EXTENT_CHUNK``
    bytes end right after a ``>`` (no match contains a ``>`` before its last byte), so every slice finds
    exactly the matches the whole document has there, and memory stays bounded.
    """
    n_cells = _count_cell_tags(xml)
    if n_cells > MAX_CELLS:
        raise FileRejected(f"工作表含 {n_cells:,} 个单元格标记，超过上限 {MAX_CELLS:,} 个，拒收")
    rows, top, n_canon = 0, b"", 0
    pos, n = 0, len(xml)
    while pos < n:
        end = xml.find(b">", pos + _EXTENT_CHUNK)
        end = n if end < 0 else end + 1
        refs = _C_CANON.findall(xml, pos, end)
        if refs:
            n_canon += len(refs)
            letters, digits = zip(*refs)
            rows = max(rows, max(map(int, digits)))
            top = max(top, max(set(letters), key=_letters_key), key=_letters_key)
        pos = end
    if n_canon == n_cells:
        return rows, (_column_number(top) if top else 0)
    return _sheet_extent_exact(xml)


def _count_cell_tags(xml: bytes) -> int:
    n = sum(xml.count(b"<c" + t) for t in (b" ", b"\t", b"\n", b"\r", b">", b"/"))
    if b":c" in xml:  # prefixed element names (<x:c ...>): count them one by one
        n = sum(1 for _ in _C_START.finditer(xml))
    return n


_TAG_SCAN = re.compile(
    rb"<(/?)(?:[^\s<>/:!?]+:)?(c|row)(?=[\s/>])((?:\s+[^\s=<>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
    rb"\s*(/?)>"
)
_ROW_START = re.compile(rb"<(?:[^\s<>/:!?]+:)?row[\s/>]")
_ATTR = re.compile(rb"""([^\s=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF_STRICT = re.compile(rb"([A-Za-z]{0,3})([0-9]{1,7})")


def _sheet_extent_exact(xml: bytes) -> tuple[int, int]:
    """The extent as the cell reader computes positions: a cell's ``r`` if it has one, else the column after
    the previous cell of the row; a row's ``r`` sets the row, each row end moves to the next row."""
    if xml.find(b"<!") >= 0 or xml.find(b"<?", 8) >= 0:
        # comments, CDATA or processing instructions may hide markup from the reader but not from this scan
        raise FileRejected(
            "工作表 XML 含注释或 CDATA 且单元格缺少标准引用，无法确定数据范围，拒收；请用 Excel 重新保存为 .xlsx"
        )
    n_tags = _count_cell_tags(xml) + sum(1 for _ in _ROW_START.finditer(xml))
    row = col = 0  # 0-based, as the reader
    max_row = max_col = -1
    n_seen = 0
    in_cell = False
    for m in _TAG_SCAN.finditer(xml):
        closing, name, attrs, empty = m.groups()
        if in_cell and (name == b"row" or not closing):  # the reader reads a cell's content as its value
            raise FileRejected("工作表 XML 结构异常（单元格内嵌套行或单元格），拒收；请用 Excel 重新保存为 .xlsx")
        if closing:
            if name == b"row":
                row, col = row + 1, 0
            else:
                in_cell = False
            continue
        n_seen += 1
        r = None
        for a in _ATTR.finditer(attrs):
            if a.group(1) == b"r":
                r = a.group(2) if a.group(2) is not None else a.group(3)
                break
        if name == b"row":
            if r is not None:
                ref = _REF_STRICT.fullmatch(r.strip())
                if ref is None or ref.group(1) or int(ref.group(2)) < 1:
                    raise FileRejected(f"工作表含无效的行号“{r[:20].decode('ascii', 'replace')}”，拒收")
                row = int(ref.group(2)) - 1
            if empty:
                row, col = row + 1, 0
            continue
        if r is not None:
            ref = _REF_STRICT.fullmatch(r.strip())
            if ref is None or not ref.group(1) or int(ref.group(2)) < 1:
                raise FileRejected(f"工作表含无效的单元格引用“{r[:20].decode('ascii', 'replace')}”，拒收")
            pos = (int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1)
            col = pos[1]
        else:
            pos = (row, col)
        max_row, max_col = max(max_row, pos[0]), max(max_col, pos[1])
        col += 1
        in_cell = not empty
    if n_seen != n_tags:  # a start tag the scan could not read: its cells cannot be bounded
        raise FileRejected("工作表 XML 结构异常（单元格标记无法识别），拒收；请用 Excel 重新保存为 .xlsx")
    return max_row + 1, max_col + 1


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
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
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


def _open_csv_zip(data: bytes, infos: list[zipfile.ZipInfo], max_rows: int) -> Workbook:
    sheets: list[RawSheet] = []
    ignored: list[str] = []
    cells = 0
    for info in infos:
        if info.is_dir():
            continue
        shown = _member_display_name(info)
        base = posixpath.basename(shown.replace("\\", "/"))
        if shown.startswith("__MACOSX/") or base.startswith("."):
            continue
        if not base.lower().endswith(".csv"):
            inflate_member(data, info, keep=False)  # verified all the same (size, CRC): no member escapes
            ignored.append(shown)
            continue
        text = decode_csv(_read_member(data, info), shown)
        raw = RawSheet(name=base[:-4], rows=[])
        try:
            for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
                if i > max_rows:
                    raise FileRejected(f"“{shown}”行数过多（上限 {max_rows} 行数据），拒收")
                if len(row) > MAX_COLUMNS:
                    raise FileRejected(f"“{shown}”第 {i + 1} 行列数过多（{len(row)} 列，上限 {MAX_COLUMNS} 列），拒收")
                cells += len(row)
                if cells > MAX_WORKBOOK_CELLS:
                    raise FileRejected(f"压缩包内 CSV 单元格总数过多（超过 {MAX_WORKBOOK_CELLS:,} 个），拒收")
                if row and max(map(len, row)) > MAX_CELL_CHARS:
                    c0 = next(c for c, v in enumerate(row) if len(v) > MAX_CELL_CHARS)
                    raise FileRejected(
                        f"“{shown}”第 {i + 1} 行第 {c0 + 1} 列的文本过长（{len(row[c0]):,} 个字符，"
                        f"上限 {MAX_CELL_CHARS:,} 个），拒收"
                    )
                raw.rows.append([c if c != "" else None for c in row])
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileRejected(f"“{shown}”含过长的文本（超过 {MAX_CELL_CHARS:,} 个字符的单元格），拒收") from exc
            raise FileRejected(f"“{shown}”不是有效的 CSV 文件（{exc}）") from exc
        del text
        sheets.append(raw)
    if not sheets:
        raise FileRejected("压缩包既不是 .xlsx 工作簿，也不含任何 .csv 文件；请报送 .xlsx 文件或 CSV 压缩包")
    return Workbook(format="csvzip", sheets=sheets, ignored_members=ignored)


# --------------------------------------------------------------------------------------------------
# The cover peek (ordering of a batch): bounded, and never the spreadsheet library
# --------------------------------------------------------------------------------------------------
PEEK_BYTES = 256 * 1024  # at most this much of the cover (and of the shared strings) is decompressed


def peek_cover_rows(path, is_cover) -> list[list[object]]:
    """The first rows (at most 3) of the cover sheet, read leniently for ordering only; ``[]`` when unsure.

    Runs in the main process for every file of a batch, before any worker exists, so it never calls the
    spreadsheet library and never decompresses more than ``PEEK_BYTES`` of any member: the file passes the
    same container checks as a full read (size, signature, member count, names, methods, declared sizes),
    then the cover's first rows are taken from at most ``PEEK_BYTES`` of the cover part (and of the
    shared strings) by regular expressions.  ``is_cover(sheet name) -> bool``.  Never raises.
    """
    try:
        from pathlib import Path

        p = Path(path)
        if p.stat().st_size > MAX_FILE_BYTES:
            return []
        data = p.read_bytes()
        with _zip(data) as zf:
            infos = check_zip_directory(zf)
        if _is_xlsx(infos):
            return _peek_xlsx(data, infos, is_cover)
        return _peek_csv(data, infos, is_cover)
    except Exception:  # noqa: BLE001 - ordering only: a file the peek cannot read sorts last
        return []


def _peek_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    body, _ = inflate_member(data, info, limit=PEEK_BYTES)
    return body or b""


def _peek_csv(data: bytes, infos: list[zipfile.ZipInfo], is_cover) -> list[list[object]]:
    for info in infos:
        stem = posixpath.basename(_member_display_name(info).replace("\\", "/"))
        if not stem.lower().endswith(".csv") or not is_cover(stem[:-4]):
            continue
        raw = _peek_member(data, info)
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = codecs.getincrementaldecoder(enc)().decode(raw, final=False)
                break
            except UnicodeDecodeError:
                continue
        else:
            return []
        rows = []
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append([c if c != "" else None for c in row[:MAX_COLUMNS]])
            if len(rows) == 3:
                break
        return rows
    return []


_PEEK_ROW = re.compile(rb"<(?:\w+:)?row\b")
_PEEK_CELL = re.compile(rb"<(?:\w+:)?c\b")
_PEEK_SI = re.compile(rb"<(?:\w+:)?si\b")
_PEEK_ATTR = re.compile(rb"""\s(r|t)\s*=\s*["']([^"']*)["']""")
_PEEK_V = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)<")
_PEEK_T = re.compile(rb"<(?:\w+:)?t\b[^>]*>([^<]*)<")
PEEK_REGION = 64 * 1024  # the cover's first rows are looked for in this many bytes after <sheetData>


def _segments(rx: re.Pattern, buf: bytes, start: int, end: int, limit: int) -> list[bytes]:
    """The pieces of ``buf[start:end]`` from one match of ``rx`` to the next (at most ``limit``): no
    closing tag is ever searched for, so a hostile part costs linear time."""
    starts = []
    for m in rx.finditer(buf, start, end):
        starts.append(m.start())
        if len(starts) > limit:
            break
    return [buf[a:b] for a, b in zip(starts, starts[1:] + [end])][:limit]


def _xml_text(raw: bytes) -> str:
    import html

    return html.unescape(raw.decode("utf-8", "replace"))


def _peek_xlsx(data: bytes, infos: list[zipfile.ZipInfo], is_cover) -> list[list[object]]:
    from defusedxml import ElementTree as ET

    by_lower = {i.filename.lower(): i for i in infos}

    def small(name: str) -> bytes | None:
        info = by_lower.get(name.lower())
        if info is None:
            return None
        body = _peek_member(data, info)
        _check_xml_part(info.filename, body)
        return body

    wb, rels = small("xl/workbook.xml"), small("xl/_rels/workbook.xml.rels")
    if wb is None or rels is None:
        return []
    targets = {}
    for el in ET.fromstring(rels):
        t = el.get("Target") or ""
        targets[el.get("Id")] = t[1:] if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    part = next(
        (
            targets.get(el.get(rid))
            for el in ET.fromstring(wb).iter()
            if (el.tag.endswith("}sheet") or el.tag == "sheet") and is_cover(el.get("name") or "")
        ),
        None,
    )
    if not part or not part.lower().endswith(".xml"):
        return []
    sheet = small(part)
    if sheet is None:
        return []
    start = max(sheet.find(b"sheetData"), 0)
    rows: dict[int, dict[int, object]] = {}
    shared: set[int] = set()
    r_next = 0
    for seg in _segments(_PEEK_ROW, sheet, start, min(len(sheet), start + PEEK_REGION), 3):
        r0 = r_next
        head = seg[: seg.find(b">")]
        for k, v in _PEEK_ATTR.findall(head):
            if k == b"r" and v.isdigit():
                r0 = int(v) - 1
        r_next = r0 + 1
        if r0 > 2:
            break
        cells: dict[int, object] = {}
        c_next = 0
        for cseg in _segments(_PEEK_CELL, seg, 0, len(seg), MAX_COLUMNS):
            gt = cseg.find(b">")
            attrs = dict(_PEEK_ATTR.findall(cseg[:gt]))
            ref = _REF_STRICT.fullmatch(attrs.get(b"r", b"").strip())
            c0 = _column_number(ref.group(1)) - 1 if ref and ref.group(1) else c_next
            c_next = c0 + 1
            if not 0 <= c0 < MAX_COLUMNS or cseg[gt - 1 : gt] == b"/":
                continue
            inner = cseg[gt + 1 :]
            kind = attrs.get(b"t", b"n")
            if kind == b"inlineStr":
                cells[c0] = "".join(_xml_text(t) for t in _PEEK_T.findall(inner))
                continue
            v = _PEEK_V.search(inner)
            if v is None:
                continue
            text = _xml_text(v.group(1))
            if kind == b"s" and text.strip().isdigit():
                shared.add(int(text))
                cells[c0] = ("s", int(text))
            else:
                cells[c0] = text
        rows[r0] = cells
    if shared:
        strings = _peek_shared_strings(small, targets, max(shared))
        for cells in rows.values():
            for c0, v in list(cells.items()):
                if isinstance(v, tuple):
                    cells[c0] = strings.get(v[1])
    out = []
    for r0 in range(3):
        cells = rows.get(r0, {})
        out.append([cells.get(c) for c in range(max(cells, default=-1) + 1)])
    while out and not out[-1]:
        out.pop()
    return out


def _peek_shared_strings(small, targets: dict, last: int) -> dict[int, str]:
    name = next((t for t in targets.values() if t.lower().endswith("sharedstrings.xml")), "xl/sharedStrings.xml")
    body = small(name) or b""
    out = {}
    for i, seg in enumerate(_segments(_PEEK_SI, body, 0, len(body), last + 1)):
        cut = seg.find(b"rPh")  # phonetic runs follow the text runs: not part of the value
        out[i] = "".join(_xml_text(t) for t in _PEEK_T.findall(seg if cut < 0 else seg[:cut]))
    return out
