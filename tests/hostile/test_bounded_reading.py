"""Bounded reading (issue 19, docs/security-input.md) through the real ingest path: hostile files built at test
time go through ``ingest_paths`` (cover peek in the ingesting process, reading in worker processes or in the
bounded reader) in a fresh process, with worker processes off and on.  Each hostile file gets a Chinese F1
rejection naming the limit it exceeded, the good file after them is still accepted, no traceback, and the peak
RSS of the ingesting process and of every reading process stays under a documented bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile import bombs
from hostile.corpus import _csv_members
from returnbuilder import ReturnBuilder

HERE = Path(__file__).resolve().parent
SECRET = "bounded-reading-secret"
# Peak RSS bounds (MiB).  The ingesting process holds DuckDB and the warehouse (~250 MB on this suite's tiny
# warehouse); a reading process reads one file.  Before the checks the hostile files below needed 2–512 GiB.
MAX_MAIN_MB = 600
MAX_READER_MB = 400

HOSTILE = {  # file name -> (builder of its bytes from a clean xlsx, word the F1 message must contain)
    "a01_cover_xfd1048576.xlsx": (bombs.cover_cell_at_xfd1048576, "行数过多"),
    "a02_part_not_xml.xlsx": (bombs.worksheet_part_not_xml, ".xml"),
    "a03_same_sheet_name.xlsx": (bombs.two_sheets_same_name, "同名"),
    "a04_shared_strings.xlsx": (bombs.shared_strings_count, "共享字符串"),
    "a05_no_references.xlsx": (bombs.cells_without_references, "列数过多"),
    "a06_single_quotes.xlsx": (bombs.single_quoted_far_reference, "行数过多"),
    "a07_bzip2.zip": (lambda x: bombs.csv_bzip2(_csv_members()), "bzip2"),
    "a08_lying_size.zip": (
        lambda x: bombs.lying_size(_csv_members(), "说明.csv", bombs.big_csv_rows(2_000_000, 10)),
        "声明的大小",
    ),
    "a09_bzip2_cover_bomb.zip": (lambda x: _bzip2_cover_bomb(), "bzip2"),
}


def _bzip2_cover_bomb() -> bytes:
    """The issue's CSV zip: a bzip2 cover member that expands to 32 MiB from ~100 bytes, declaring 1 KB (so no
    declared-size or ratio check sees it).  The issue's own file expanded to 2 GB; bzip2 makes that ratio just
    as cheaply, only slower to build here — the defence (no bzip2 at all) does not depend on the size."""
    import bz2

    body = bz2.compress(b"1" * (32 << 20), 9)
    return _raw_member_zip(_csv_members(), "封面.csv", body, 1000)


def _raw_member_zip(members: dict[str, bytes], name: str, raw: bytes, size: int) -> bytes:
    """A zip with ``name`` stored as the given bzip2 stream (method 12) declaring ``size`` bytes."""
    import struct
    import zlib

    out = bytearray()
    central = bytearray()
    entries = [(n, d) for n, d in members.items() if n != name] + [(name, None)]
    for n, d in entries:
        enc = n.encode()
        if d is None:
            method, crc, comp, usize = 12, 0, raw, size
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            method, crc, comp, usize = 8, zlib.crc32(d), c.compress(d) + c.flush(), len(d)
        off = len(out)
        out += (
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 46, 0x800, method, 0, 0x21, crc, len(comp), usize, len(enc), 0)
            + enc
            + comp
        )
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                46,
                46,
                0x800,
                method,
                0,
                0x21,
                crc,
                len(comp),
                usize,
                len(enc),
                0,
                0,
                0,
                0,
                0,
                off,
            )
            + enc
        )
    cd = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd, 0)
    return bytes(out)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    work = tmp_path_factory.mktemp("bounded")
    clean = ReturnBuilder().to_xlsx(work / "clean.xlsx").read_bytes()
    inbox = work / "inbox"
    inbox.mkdir()
    for name, (build, _) in HOSTILE.items():
        (inbox / name).write_bytes(build(clean))
    (inbox / "z_good.xlsx").write_bytes(clean)
    for name, (build, _) in HOSTILE.items():
        assert (inbox / name).stat().st_size < 200_000, name  # small files: the danger is what they expand to
    return work


def _run(work: Path, workers: int, extra_env: dict | None = None, inbox: Path | None = None) -> dict:
    home = work / f"home{workers}{'x' if extra_env else ''}"
    env = dict(os.environ, LIANGXIN_HMAC_SECRET=SECRET, PYTHONPATH=str(HERE.parent), **(extra_env or {}))
    env.pop("LIANGXIN_ENV", None)
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_ingest.py"), str(home), str(workers), str(inbox or work / "inbox")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("workers", [0, 2])
def test_hostile_files_are_rejected_in_bounded_memory_and_the_next_file_accepted(folder, workers):
    out = _run(folder, workers)
    by_name = {o["name"]: o for o in out["outcomes"]}
    assert set(by_name) == set(HOSTILE) | {"z_good.xlsx"}
    for name, (_, word) in HOSTILE.items():
        o = by_name[name]
        assert o["outcome"] == "rejected" and o["internal_error"] is None, o
        assert o["rules"] == {"F1/E": 1}, o
        assert word in o["errors"][0] and o["errors"][0].startswith("[F1] "), o["errors"]
    assert by_name["z_good.xlsx"]["outcome"] in ("accepted", "accepted_with_warnings"), by_name["z_good.xlsx"]
    order = [o["name"] for o in out["outcomes"]]
    # files whose cover the peek refuses to read sort last: the good file is read after the other hostile
    # files, those after it; either way the run goes on
    assert len(set(order[: order.index("z_good.xlsx")]) & set(HOSTILE)) >= 5, order
    assert not any("Traceback" in line or "内部错误" in line for line in out["logs"]), out["logs"]
    assert out["main_hwm_mb"] < MAX_MAIN_MB, out["main_hwm_mb"]
    assert out["children_maxrss_mb"] < MAX_READER_MB, out["children_maxrss_mb"]


def _within_limits_but_heavy(path: Path, n_rows: int = 30_000, n_cols: int = 30) -> None:
    """A 2020Q2 return whose cover sheet carries 900,000 extra numeric cells below the cover row: within
    every limit of the checks (rows, columns, cells), so only the memory ceiling can stop it when set low —
    the stand-in for an unforeseen bomb."""
    from hostile.corpus import member, rezip, sheet_part
    from liangxin.validate.reader import col_letter

    data = ReturnBuilder("2020Q2").to_xlsx(path).read_bytes()
    part = sheet_part(data, "封面")
    cols = [col_letter(c).encode() for c in range(n_cols)]
    rows = b"".join(
        b'<row r="%d">' % r
        + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (cols[c], r, (r * 31 + c) % 1000) for c in range(n_cols))
        + b"</row>"
        for r in range(5, n_rows + 5)
    )
    xml = member(data, part).replace(b"</sheetData>", rows + b"</sheetData>")
    path.write_bytes(rezip(data, replace={part: xml}))


@pytest.mark.parametrize("workers", [0, 2])
def test_memory_ceiling_turns_an_unforeseen_bomb_into_a_rejection(tmp_path, workers):
    """With the ceiling at 64 MB (LIANGXIN_READ_MEMORY_MB) a file that passes every check but needs more is an
    F1 rejection naming the ceiling — whether the reading process gets a MemoryError or dies in the Rust
    reader — and the next file is read by a fresh reading process and accepted."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _within_limits_but_heavy(inbox / "a_heavy.xlsx")
    ReturnBuilder("2020Q3").to_xlsx(inbox / "z_good.xlsx")
    out = _run(tmp_path, workers, {"LIANGXIN_READ_MEMORY_MB": "64"}, inbox)
    by_name = {o["name"]: o for o in out["outcomes"]}
    heavy = by_name["a_heavy.xlsx"]
    assert heavy["outcome"] == "rejected" and heavy["rules"] == {"F1/E": 1}, heavy
    assert "内存超过上限（64 MB）" in heavy["errors"][0], heavy["errors"]
    assert by_name["z_good.xlsx"]["outcome"] in ("accepted", "accepted_with_warnings"), by_name["z_good.xlsx"]
    assert [o["name"] for o in out["outcomes"]] == ["a_heavy.xlsx", "z_good.xlsx"]
    # no RSS number here: the reader's start-up size differs by machine (150–220 MB seen); the F1 text naming the
    # 64 MB ceiling is the proof that the ceiling, not a check, stopped the file (without it the file is accepted)
