"""Issue 19, output side: a hostile return per class, each asserting the documented safe outcome
(docs/security.md): ID-shaped text placed anywhere a submitter can type never reaches the warehouse tables or
the outbox; formula-shaped sheet names and values never become formula cells; a secret that does not match
the warehouse stops ingestion with a clear Chinese message and nothing written; ``liangxin rekey`` re-keys
explicitly; files under the home are private."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from liangxin import forms, neutral, privacy, warehouse
from liangxin.ingest import ingest_file
from liangxin.settings import Settings
from returnbuilder import ReturnBuilder, citizen_id

SECRET = "security-output-test-secret"
LIANGXIN = Path(sys.executable).parent / "liangxin"
RECEIVED = dt.datetime(2020, 10, 8, 9, 0, tzinfo=dt.timezone.utc)
# IDs a hostile (or careless) submitter types where no ID belongs; one has a wrong check character
PLANTED = [
    citizen_id("11010519800101201"),
    citizen_id("44030619900315302"),
    citizen_id("32010219751120403"),
    citizen_id("51010719880808504"),
    citizen_id("33010619950505605"),
]
BAD_CHECK = PLANTED[4][:-1] + ("0" if PLANTED[4][-1] != "0" else "1")
FORMULAS = ["=1+2", "+SUM(1,2)", "-3+4", "@SUM(1,2)", "=cmd|' -C calc'!A0"]


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET)
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "home"))
    for var in ("LIANGXIN_INBOX", "LIANGXIN_ARCHIVE", "LIANGXIN_OUTBOX", "LIANGXIN_DUCKDB", "LIANGXIN_SERVE_DUCKDB"):
        monkeypatch.delenv(var, raising=False)


def dirs(tmp_path: Path) -> dict:
    return dict(
        db_path=tmp_path / "db" / "build.duckdb", archive_dir=tmp_path / "archive", outbox_dir=tmp_path / "outbox"
    )


def hostile_return(tmp_path: Path) -> Path:
    b = ReturnBuilder("2020Q3")
    b.set("cover", 0, "correction_reason", f"误填身份证号{PLANTED[0]}，已更正")
    b.set("member_flows", 0, "difference_note", f"差额系{BAD_CHECK}转出")
    b.set("organizations", 0, "org_name", f"{b.get('organizations', 0, 'org_name')}{PLANTED[1]}")
    b.add_column("organizations", PLANTED[2], ["x"])  # an ID as a column header
    b.add_sheet(PLANTED[3], [["说明"], ["x"]])  # an ID as a sheet name
    for i, f in enumerate(FORMULAS):
        b.add_sheet(f[:31], [["说明"], [f]])  # formula-shaped sheet names (unknown sheets are reported)
    return b.to_xlsx(tmp_path / f"{PLANTED[0]}.xlsx")  # and an ID as the file name


def _all_text(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    out = []
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
    ).fetchall():
        for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
            out += [(f"{schema}.{table}", str(v)) for v in row if v is not None]
    return out


def _planted_in(text: str) -> list[str]:
    return [p for p in (*PLANTED, BAD_CHECK) if p in text.upper()]


def test_ids_typed_anywhere_never_reach_the_warehouse_or_the_outbox(tmp_path):
    d = dirs(tmp_path)
    out = ingest_file(hostile_return(tmp_path), received_at=RECEIVED, settings=Settings.from_env(), **d)
    assert out.outcome in ("accepted", "accepted_with_warnings", "rejected"), out
    con = duckdb.connect(str(d["db_path"]), read_only=True)
    try:
        leaks = [(t, v) for t, v in _all_text(con) if _planted_in(v)]
        assert not leaks, leaks[:5]
        # the free text is kept, with the ID replaced (a valid ID by its person key, joinable)
        reason = con.execute("select correction_reason from raw.submissions").fetchone()[0]
        assert reason.startswith("误填身份证号person_key:") and reason.endswith("，已更正")
        note = con.execute("select difference_note from raw.member_flows where difference_note is not null").fetchall()
        if out.outcome != "rejected":
            assert note == [(f"差额系{neutral.ID_PLACEHOLDER}转出",)]
        names = con.execute("select original_name from raw.submissions").fetchone()[0]
        assert names.startswith("person_key:") and names.endswith(".xlsx")
        sheets = {r[0] for r in con.execute("select sheet from raw.rule_hits").fetchall()}
        headers = {r[0] for r in con.execute("select column_header from raw.rule_hits").fetchall()}
        assert any(s and s.startswith("person_key:") for s in sheets), sheets  # the ID-named sheet, keyed
        assert any(h and h.startswith("person_key:") for h in headers), headers
    finally:
        con.close()
    reports = [p for p in d["outbox_dir"].rglob("*") if p.is_file()]
    assert len(reports) == 2
    for p in reports:
        if p.suffix == ".html":
            text = p.read_text(encoding="utf-8")
        else:
            wb = openpyxl.load_workbook(p)
            text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
        assert not _planted_in(text), (p.name, _planted_in(text))
        assert neutral.ID_PLACEHOLDER in text


def test_formula_shaped_text_is_never_a_formula_in_the_outbox(tmp_path):
    d = dirs(tmp_path)
    ingest_file(hostile_return(tmp_path), received_at=RECEIVED, settings=Settings.from_env(), **d)
    (xlsx,) = d["outbox_dir"].rglob("*.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [str(c.value) for c in cells]
    for f in FORMULAS:  # each hostile sheet name is quoted in the report, as inert text
        assert any(t == "'" + f[:31] or ("'" + f[:31]) in t for t in texts), f
    html = next(d["outbox_dir"].rglob("*.html")).read_text(encoding="utf-8")
    assert "<script" not in html


# --------------------------------------------------------------------------------------------------
# Secrets: fingerprint stored with the warehouse; mismatch stops ingestion; rekey is explicit
# --------------------------------------------------------------------------------------------------
def _clean(tmp_path: Path, name: str = "r.xlsx", period: str = "2020Q3") -> Path:
    return ReturnBuilder(period).to_xlsx(tmp_path / name)


def test_fingerprint_is_stored_and_a_mismatch_stops_ingestion_before_anything_is_written(tmp_path, monkeypatch):
    d = dirs(tmp_path)
    ingest_file(_clean(tmp_path), received_at=RECEIVED, settings=Settings.from_env(), **d)
    con = duckdb.connect(str(d["db_path"]), read_only=True)
    try:
        assert warehouse.stored_fingerprint(con) == privacy.secret_fingerprint(SECRET.encode())
        before = warehouse.table_counts(con)
    finally:
        con.close()
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET + "-changed")
    second = _clean(tmp_path, "r2.xlsx", "2020Q4")
    archived_before = sorted(p.name for p in d["archive_dir"].rglob("*"))
    with pytest.raises(privacy.SecretMismatchError, match="liangxin rekey"):
        ingest_file(second, received_at=RECEIVED, settings=Settings.from_env(), **d)
    con = duckdb.connect(str(d["db_path"]), read_only=True)
    try:
        assert warehouse.table_counts(con) == before
    finally:
        con.close()
    assert sorted(p.name for p in d["archive_dir"].rglob("*")) == archived_before
    with pytest.raises(privacy.SecretMismatchError):
        warehouse.check_secret_for(
            d["db_path"], Settings.from_env().secret()
        )  # what `liangxin build` checks first (pipeline.py)


def test_cli_mismatch_is_a_clear_chinese_refusal_then_rekey_rekeys(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env.update(LIANGXIN_HOME=str(home), LIANGXIN_HMAC_SECRET=SECRET, COLUMNS="200")
    first = _clean(tmp_path)
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(first), "--no-progress"], env=env, capture_output=True, text=True, timeout=180
    )
    assert p.returncode == 0, p.stdout + p.stderr
    db = home / "build.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    old_keys = set(con.execute("select secretary_key from raw.party_orgs").fetchall())
    con.close()

    env["LIANGXIN_HMAC_SECRET"] = SECRET + "-rotated"
    second = _clean(tmp_path, "r2.xlsx", "2020Q4")
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(second), "--no-progress"], env=env, capture_output=True, text=True, timeout=180
    )
    out = p.stdout + p.stderr
    assert p.returncode == 2 and "Traceback" not in out, out
    assert "区级密钥与构建库不符" in out and "liangxin rekey" in out
    assert len(list((home / "outbox").rglob("*.xlsx"))) == 1  # no receipt for the refused file

    p = subprocess.run([str(LIANGXIN), "rekey", "--yes"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert warehouse.stored_fingerprint(con) == privacy.secret_fingerprint((SECRET + "-rotated").encode())
        new_keys = set(con.execute("select secretary_key from raw.party_orgs").fetchall())
        assert len(new_keys) == len(old_keys) and not new_keys & old_keys
        assert con.execute("select count(*) from raw.submissions").fetchone()[0] == 1
    finally:
        con.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert not list(home.glob(".build.duckdb.rekey*"))
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(second), "--no-progress"], env=env, capture_output=True, text=True, timeout=180
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_development_keyed_warehouse_cannot_be_used_in_production(tmp_path, monkeypatch):
    d = dirs(tmp_path)
    monkeypatch.delenv("LIANGXIN_HMAC_SECRET")
    ingest_file(
        _clean(tmp_path), received_at=RECEIVED, settings=Settings.from_env(), **d
    )  # development default (with its warning)
    monkeypatch.setenv("LIANGXIN_ENV", "production")
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", "Zk3-production-district-secret-Qw9x7Lm")
    with pytest.raises(privacy.SecretMismatchError, match="开发默认密钥"):
        warehouse.check_secret_for(d["db_path"], Settings.from_env().secret())


def test_id_scrub_keeps_codes_intact():
    """Codes are not free text: an 18-digit credit code survives (its rules constrain it)."""
    free = {f.name for fm in forms.FORMS for f in fm.fields if warehouse.is_free_text(f)}
    assert {"correction_reason", "difference_note", "unit_name", "org_name"} <= free
    assert not free & {"uscc", "party_org_code", "unit_code", "training_code", "period"}
    assert not re.search(r"_id$", " ".join(free))


# --------------------------------------------------------------------------------------------------
# Files: 0600 / 0700 under the home
# --------------------------------------------------------------------------------------------------
def _open_modes(root: Path) -> list[str]:
    return [
        f"{p.relative_to(root)} {oct(stat.S_IMODE(p.lstat().st_mode))}"
        for p in [root, *root.rglob("*")]
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]


def test_everything_ingest_writes_under_the_home_is_private(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env.update(LIANGXIN_HOME=str(home), LIANGXIN_HMAC_SECRET=SECRET, COLUMNS="200")
    hostile = hostile_return(tmp_path)
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(hostile), str(_clean(tmp_path)), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert (home / "build.duckdb").exists() and list((home / "outbox").rglob("*.xlsx"))
    assert _open_modes(home) == []


def test_an_older_home_is_repaired_by_any_command(tmp_path):
    home = tmp_path / "home"
    (home / "outbox" / "accepted").mkdir(parents=True)
    report = home / "outbox" / "accepted" / "x.html"
    report.write_text("x")
    db = home / "build.duckdb"
    duckdb.connect(str(db)).close()
    for p in (home, home / "outbox", home / "outbox" / "accepted"):
        os.chmod(p, 0o755)
    os.chmod(report, 0o644)
    os.chmod(db, 0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env.update(LIANGXIN_HOME=str(home))
    p = subprocess.run([str(LIANGXIN), "paths"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert _open_modes(home) == []
