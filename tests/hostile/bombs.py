"""Small hostile files against bounded reading (issue 19), built at test time: each is a few KB on disk
and, before the container checks, made the reader attempt a huge allocation or decompression.

Every builder takes the bytes of a clean xlsx (or nothing) and returns the hostile file's bytes.
"""

from __future__ import annotations

import re
import struct
import zipfile


def _corpus():  # hostile.corpus imports this module: its helpers are looked up when first used
    import hostile.corpus

    return hostile.corpus


def member(data: bytes, name: str) -> bytes:
    return _corpus().member(data, name)


def rezip(data: bytes, **kw) -> bytes:
    return _corpus().rezip(data, **kw)


def sheet_part(data: bytes, sheet: str) -> str:
    return _corpus().sheet_part(data, sheet)


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    return _corpus().zip_of(members, method)


FAR_ROW = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
WS_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _with_far_cell(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", FAR_ROW + b"</sheetData>", 1)


def cover_cell_at_xfd1048576(xlsx: bytes) -> bytes:
    """One cell at the last address of a sheet: the reader would allocate 2^20 x 2^14 cells (512 GiB)."""
    part = sheet_part(xlsx, "封面")
    return rezip(xlsx, replace={part: _with_far_cell(member(xlsx, part))})


def worksheet_part_not_xml(xlsx: bytes) -> bytes:
    """The cover's worksheet part stored as .bin (and the far cell in it): an extension-based check misses it."""
    part = sheet_part(xlsx, "封面")
    rels = member(xlsx, "xl/_rels/workbook.xml.rels")
    target = part.split("xl/", 1)[1]
    rels = rels.replace(target.encode(), target.replace(".xml", ".bin").encode())
    return rezip(
        xlsx,
        replace={"xl/_rels/workbook.xml.rels": rels, part: _with_far_cell(member(xlsx, part))},
        rename={part: part.replace(".xml", ".bin")},
    )


def two_sheets_same_name(xlsx: bytes) -> bytes:
    """A second sheet named 封面 whose part holds the far cell: a name -> part map checks the wrong one."""
    cover = member(xlsx, sheet_part(xlsx, "封面"))
    wb = member(xlsx, "xl/workbook.xml").replace(
        b"<sheets>",
        (
            '<sheets><sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            'name="封面" sheetId="99" state="visible" r:id="rId99" />'
        ).encode(),
        1,
    )
    rels = member(xlsx, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Type="' + WS_TYPE + b'" Target="/xl/worksheets/sheet99.xml" Id="rId99" /></Relationships>',
    )
    ct = member(xlsx, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/worksheets/sheet99.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" /></Types>',
    )
    return rezip(
        xlsx,
        replace={"xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": ct},
        add={"xl/worksheets/sheet99.xml": _with_far_cell(cover)},
    )


def shared_strings_count(xlsx: bytes) -> bytes:
    """A shared-string table declaring 2,000,000,000 entries (the reader reserves 48 GB for them)."""
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" count="2000000000" uniqueCount="2000000000"><si><t>a</t></si></sst>'
    )
    rels = member(xlsx, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId98" /></Relationships>',
    )
    return rezip(xlsx, replace={"xl/_rels/workbook.xml.rels": rels}, add={"xl/sharedStrings.xml": sst})


def cells_without_references(xlsx: bytes) -> bytes:
    """17,000 cells without an r attribute in row 150,000: each takes the next column (81 GB of range)."""
    part = sheet_part(xlsx, "封面")
    cells = b"".join(b"<c><v>%d</v></c>" % i for i in range(17_000))
    xml = member(xlsx, part).replace(b"</sheetData>", b'<row r="150000">' + cells + b"</row></sheetData>", 1)
    return rezip(xlsx, replace={part: xml})


def single_quoted_far_reference(xlsx: bytes) -> bytes:
    """The far cell written with r='...' (valid XML): a reference pattern that expects double quotes misses it."""
    part = sheet_part(xlsx, "封面")
    xml = member(xlsx, part).replace(
        b"</sheetData>", b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row></sheetData>"
    )
    return rezip(xlsx, replace={part: xml})


def workbook_moved(xlsx: bytes) -> bytes:
    """The package's main part pointed elsewhere (the reader follows _rels/.rels, the checks read xl/)."""
    rels = member(xlsx, "_rels/.rels")
    rels = re.sub(rb'Target="/?xl/workbook.xml"', b'Target="/evil/workbook.xml"', rels)
    return rezip(xlsx, replace={"_rels/.rels": rels})


def csv_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    return zip_of(members, method)


def csv_bzip2(members: dict[str, bytes]) -> bytes:
    """The CSV members bzip2-compressed (a few KB can expand to gigabytes; only deflate/stored are allowed)."""
    return zip_of(members, zipfile.ZIP_BZIP2)


def lying_size(members: dict[str, bytes], name: str, real: bytes, declared: int = 1000) -> bytes:
    """``name`` holds ``real`` (deflated) but the central directory and local header declare ``declared``
    bytes (and the CRC of the declared prefix, so a reader that stops at the declared size sees no error)."""
    import zlib

    data = bytearray(zip_of({**members, name: real}))
    crc = zlib.crc32(real[:declared])
    enc = name.encode("utf-8")
    cd = data.index(b"PK\x01\x02")  # the first central directory entry
    while True:  # the central entry of `name`
        n = struct.unpack_from("<H", data, cd + 28)[0]
        if bytes(data[cd + 46 : cd + 46 + n]) == enc:
            break
        cd = data.index(b"PK\x01\x02", cd + 4)
    struct.pack_into("<I", data, cd + 16, crc)
    struct.pack_into("<I", data, cd + 24, declared)
    off = struct.unpack_from("<I", data, cd + 42)[0]
    struct.pack_into("<I", data, off + 14, crc)
    struct.pack_into("<I", data, off + 22, declared)
    return bytes(data)


def big_csv_rows(n_rows: int, n_cols: int, seed: int | None = None) -> bytes:
    """``n_rows`` lines of ``n_cols`` one-digit cells: all "1" (compresses ~1000:1), or random digits
    (``seed``: compresses ~2:1, below any ratio check)."""
    if seed is None:
        return (",".join("1" for _ in range(n_cols)) + "\r\n").encode() * n_rows
    import random

    rnd = random.Random(seed)
    digits = "0123456789"
    return "".join(",".join(rnd.choices(digits, k=n_cols)) + "\r\n" for _ in range(n_rows)).encode()


def varied_text(n: int) -> str:
    """``n`` CJK characters that do not compress away (no ratio check catches them)."""
    return "".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(n))
