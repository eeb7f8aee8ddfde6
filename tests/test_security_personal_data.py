"""Personal data (returns.md §5) after a full small pipeline (tests/hostile/pipeline.py: generate → liangxin
ingest → dbt build → publish → dashboard/annual): no raw citizen ID or phone number of the generated world
anywhere outside the archive — not in any DuckDB file (every cell of every table, and the raw bytes), not in
outbox/ or build/ (zip members decompressed), not in dbt's target/logs, not in the captured logs of every
step.  Positive controls prove the scanner finds them where they are (the archive, a planted cell)."""

from __future__ import annotations

import io
import re
import shutil
import stat
import zipfile
from pathlib import Path

import duckdb
import pytest

from liangxin import forms
from hostile.pipeline import full_pipeline, logs_dir

ID_RE = re.compile(rb"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
PHONE_RE = re.compile(rb"(?<![0-9])1\d{10}(?![0-9])")
ID_TEXT_RE = re.compile(r"\d{17}[0-9Xx]")
PHONE_TEXT_RE = re.compile(r"1\d{10}")


@pytest.fixture(scope="module")
def pipe():
    return full_pipeline()


def secrets_of(world) -> set[str]:
    """Every raw citizen ID and phone number of the world (what the files carry)."""
    out: set[str] = set()
    for ret in world.returns.values():
        for form in forms.FORMS:
            rows = ret.get(form.key) or []
            for r in [rows] if isinstance(rows, dict) else rows:
                for f in form.fields:
                    if f.pii in (forms.PII_ID, forms.PII_PHONE) and r.get(f.name):
                        out.add(str(r[f.name]).strip().upper())
    return out


def _members(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return [(f"{path}!{i.filename}", z.read(i)) for i in z.infolist()]
        except zipfile.BadZipFile:
            pass
    return [(str(path), data)]


def scan_bytes(path: Path, needles: set[str]) -> list[str]:
    found = []
    for where, data in _members(path):
        for rx in (ID_RE, PHONE_RE):
            for m in rx.finditer(data):
                if m.group().decode().upper() in needles:
                    found.append(f"{where}: {m.group().decode()}")
        for enc in ("utf-16-le",):  # e.g. Excel/OLE strings
            for n in needles:
                if n.encode(enc) in data:
                    found.append(f"{where}: {n} ({enc})")
    return found


def scan_duckdb(path: Path, needles: set[str]) -> list[str]:
    """Every cell of every table, as text (DuckDB compresses strings: bytes alone can miss them)."""
    found = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        # base tables: views only re-read them (and dbt's views name the build catalog, absent in copies)
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
                for v in row:
                    if v is None:
                        continue
                    s = str(v).upper()
                    for rx in (ID_TEXT_RE, PHONE_TEXT_RE):
                        for m in rx.finditer(s):
                            if m.group() in needles:
                                found.append(f"{path.name}:{schema}.{table}: {m.group()}")
    finally:
        con.close()
    return found + scan_bytes(path, needles)


def test_no_raw_id_or_phone_outside_the_archive(pipe):
    needles = secrets_of(pipe.world)
    assert len(needles) > 50  # IDs of secretaries, attendees, mobile members + phones
    root = pipe.root.parent
    archive = pipe.root / "archive"
    dbs = [p for p in root.rglob("*.duckdb") if p.is_file()]  # dbt-profile/<db name>/ is a folder
    assert {pipe.db, pipe.serve} <= set(dbs)
    leaks: list[str] = []
    for db in dbs:
        leaks += scan_duckdb(db, needles)
    scanned = 0
    for p in root.rglob("*"):
        if (
            not p.is_file()
            or p.suffix in (".duckdb", ".wal")
            or archive in p.parents
            or (pipe.root / "inbox") in p.parents
        ):
            continue
        scanned += 1
        leaks += scan_bytes(p, needles)
    assert scanned >= 10  # outbox reports, dashboard, dbt target + logs, step logs
    assert list((pipe.root / "outbox").rglob("*.html")) and list((pipe.root / "build").rglob("*.html"))
    assert list(logs_dir(pipe).glob("*.log"))
    assert leaks == [], leaks[:20]


def test_scanner_positive_controls(pipe, tmp_path):
    needles = secrets_of(pipe.world)
    archived = [p for p in (pipe.root / "archive").rglob("*") if p.suffix in (".xlsx", ".zip")]
    assert len(archived) == len(pipe.files)
    assert sum(bool(scan_bytes(p, needles)) for p in archived) == len(archived)  # the IDs are there
    planted = tmp_path / "planted.duckdb"
    shutil.copyfile(pipe.serve, planted)
    some_id = sorted(n for n in needles if len(n) == 18)[0]
    con = duckdb.connect(str(planted))
    con.execute("create table leak as select ? as note", [f"身份证 {some_id} "])
    con.close()
    assert any(some_id in x for x in scan_duckdb(planted, needles))


def test_archive_is_private(pipe):
    archive = pipe.root / "archive"
    dirs = [archive] + [p for p in archive.rglob("*") if p.is_dir()]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in dirs), [(p, oct(p.stat().st_mode)) for p in dirs]
    files = [p for p in archive.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in files)
