"""Hostile and broken files: each gives exactly one F1 error (no traceback) within a second."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from liangxin.validate import validate_file
from returnbuilder import ReturnBuilder, context, describe

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def clean_xlsx(tmp_path) -> bytes:
    return ReturnBuilder().to_xlsx(tmp_path / "clean.xlsx").read_bytes()


def rezip(xlsx: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def declared_bomb() -> bytes:
    """A small zip whose central directory declares a 3.9 GB member (nothing that large exists)."""
    data = bytearray(zip_of({"表1 两新组织情况.csv": b"a,b\r\n1,2\r\n"}))
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 0xF0000000)  # uncompressed size in the central directory
    return bytes(data)


def ratio_bomb() -> bytes:
    return zip_of({"封面.csv": b"0" * (8 * 1024 * 1024)})  # 8 MB of '0' deflates to ~8 KB (> 200:1)


def billion_laughs(xlsx: bytes) -> bytes:
    lol = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        wb = z.read("xl/workbook.xml")
    return rezip(
        xlsx, replace={"xl/workbook.xml": lol + wb.split(b"?>", 1)[-1] if wb.startswith(b"<?xml") else lol + wb}
    )


def macro_xlsm(xlsx: bytes) -> bytes:
    return rezip(xlsx, add={"xl/vbaProject.bin": OLE2 + b"\0" * 512})


def macro_content_type(xlsx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        ct = z.read("[Content_Types].xml")
    ct = ct.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert b"macroEnabled" in ct
    return rezip(xlsx, replace={"[Content_Types].xml": ct})


def encrypted_ole() -> bytes:
    return (
        OLE2
        + b"\0" * 500
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 64
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 512
    )


CASES = {
    "not_a_zip": (lambda x: b"unit_code,period\n330199001001,2020Q3\n", "不是"),
    "renamed_pdf": (lambda x: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
    "empty": (lambda x: b"", "为空"),
    "truncated_zip": (lambda x: x[: len(x) // 2], "损坏"),
    "dotdot_member": (lambda x: zip_of({"../封面.csv": b"a\n"}), ".."),
    "absolute_member": (lambda x: zip_of({"/etc/封面.csv": b"a\n"}), "绝对路径"),
    "declared_bomb": (lambda x: declared_bomb(), "压缩炸弹"),
    "ratio_bomb": (lambda x: ratio_bomb(), "压缩比"),
    "many_members": (lambda x: zip_of({f"m{n}.csv": b"a\n" for n in range(501)}), "过多"),
    "macro_xlsm": (macro_xlsm, "宏"),
    "macro_content_type": (macro_content_type, "宏"),
    "legacy_xls": (lambda x: OLE2 + b"\0" * 2048, "旧版"),
    "encrypted": (lambda x: encrypted_ole(), "加密"),
    "billion_laughs": (billion_laughs, "DOCTYPE"),
    "zip_without_csv": (lambda x: zip_of({"readme.txt": b"hello"}), ".csv"),
    "utf16_csv": (lambda x: zip_of({"封面.csv": "填报单位编码\r\n".encode("utf-16")}), "UTF-16"),
    "binary_csv": (lambda x: zip_of({"封面.csv": bytes(range(256)) * 4}), "编码"),
    "bad_csv_encoding": (lambda x: zip_of({"封面.csv": b"\xff\xfe\xfd\x80\x81abc"}), "编码"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_gives_f1(tmp_path, case):
    make, word = CASES[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(make(clean_xlsx(tmp_path)))
    t0 = time.perf_counter()
    r = validate_file(path, context("2020Q3"))
    assert time.perf_counter() - t0 < 1.0
    assert [(h.rule_id, h.severity, h.sheet, h.row) for h in r.hits] == [("F1", "E", None, None)], describe(r)
    assert r.hits[0].message.startswith("[F1] ") and word in r.hits[0].message, r.hits[0].message
    assert r.outcome == "rejected" and r.rows == {} and r.cover is None
    assert len(r.sha256) == 64


def test_oversized_file(tmp_path):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(21 * 1024 * 1024)  # sparse: cheap to create
    t0 = time.perf_counter()
    r = validate_file(path, context("2020Q3"))
    assert time.perf_counter() - t0 < 1.0
    assert [(h.rule_id, h.severity) for h in r.hits] == [("F1", "E")] and "过大" in r.hits[0].message
    assert r.size == 21 * 1024 * 1024


def test_row_limit(tmp_path):
    for fmt in ("xlsx", "utf-8"):
        path = ReturnBuilder().write(tmp_path / f"r.{fmt}", fmt)
        r = validate_file(path, context("2020Q3", max_rows_per_sheet=3))
        assert [(h.rule_id, h.severity) for h in r.hits] == [("F1", "E")] and "行数过多" in r.hits[0].message


def test_encrypted_zip_member(tmp_path):
    data = bytearray(zip_of({"封面.csv": b"a\n"}))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the 'encrypted' general-purpose flag
        i = data.index(sig)
        struct.pack_into("<H", data, i + off, struct.unpack_from("<H", data, i + off)[0] | 1)
    path = tmp_path / "enc.zip"
    path.write_bytes(bytes(data))
    r = validate_file(path, context("2020Q3"))
    assert [h.rule_id for h in r.hits] == ["F1"] and "加密" in r.hits[0].message


def test_missing_file_is_f1_not_traceback(tmp_path):
    r = validate_file(tmp_path / "nope.xlsx", context("2020Q3"))
    assert [h.rule_id for h in r.hits] == ["F1"]


def test_failing_context_callable_is_f1_not_traceback(tmp_path):
    def broken(code):
        raise RuntimeError("warehouse unavailable")

    path = ReturnBuilder().to_xlsx(tmp_path / "r.xlsx")
    r = validate_file(path, context("2020Q3", party_org_owner=broken))
    assert [(h.rule_id, h.severity) for h in r.hits] == [("F1", "E")] and "内部错误" in r.hits[0].message
