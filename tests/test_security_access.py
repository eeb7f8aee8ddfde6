"""Access: ``liangxin sql`` (the analysts' door, via the real CLI) can neither write nor reach files outside
the snapshot, nor load code; ``LIANGXIN_ENV=production`` without a real secret refuses to ingest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from hostile.pipeline import BIN, home_env
from hostile.writers import write_return
from liangxin.privacy import DEV_DEFAULT_SECRET

LIANGXIN = BIN / "liangxin"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """A copy of the pipeline's serving snapshot (its tables) plus an outside file to try to reach."""
    root = tmp_path_factory.mktemp("sql")
    serve = root / "serve.duckdb"
    con = duckdb.connect(str(serve))
    con.execute("create table t as select 42 as answer")
    con.close()
    secret_file = root / "outside.csv"
    secret_file.write_text("secret_column\nTOP-SECRET-VALUE\n")
    return serve, secret_file


def _sql(serve: Path, statement: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")} | {"COLUMNS": "200"}
    return subprocess.run(
        [str(LIANGXIN), "sql", "--db", str(serve), "-c", statement],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sql_cli_reads_the_snapshot(snapshot):
    serve, _ = snapshot
    p = _sql(serve, "select answer from t")
    assert p.returncode == 0 and "42" in p.stdout


ATTACKS = {
    "read_csv_etc_passwd": ("select * from read_csv('/etc/passwd')", "root:"),
    "replacement_scan_etc_passwd": ("select * from '/etc/passwd'", "root:"),
    "read_text": ("select content from read_text('/etc/passwd')", "root:"),
    "glob_etc": ("select * from glob('/etc/*')", "/etc/passwd"),
    "read_outside_csv": ("select * from read_csv('{outside}')", "TOP-SECRET-VALUE"),
    "copy_to": ("copy (select 1 as x) to '{target}'", None),
    "copy_database_export": ("export database '{target_dir}'", None),
    "attach_writable": ("attach '{target_db}' as evil", None),
    "install": ("install httpfs", None),
    "load": ("load httpfs", None),
    "create_table": ("create table evil as select 1", None),
    "insert": ("insert into t values (1)", None),
    "reenable_external_access": ("set enable_external_access = true", None),
    "pragma_reenable": ("pragma enable_external_access=true", None),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_sql_cli_refuses(snapshot, tmp_path, name):
    serve, outside = snapshot
    statement, leak = ATTACKS[name]
    target, target_dir, target_db = tmp_path / "out.csv", tmp_path / "export", tmp_path / "evil.duckdb"
    p = _sql(serve, statement.format(outside=outside, target=target, target_dir=target_dir, target_db=target_db))
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "Traceback" not in out
    assert "错误" in out or "error" in out.lower()
    if leak:
        assert leak not in out
    assert not target.exists() and not target_dir.exists() and not target_db.exists()


def test_snapshot_unchanged_after_the_attacks(snapshot):
    serve, _ = snapshot
    con = duckdb.connect(str(serve), read_only=True)
    assert con.execute("select * from t").fetchall() == [(42,)]
    assert {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()} == {"t"}
    con.close()


# --------------------------------------------------------------------------------------------------
# production secret
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_return(tmp_path_factory):
    from hostile.pipeline import small_world

    world = small_world()
    key = sorted(world.returns)[0]
    return write_return(tmp_path_factory.mktemp("prod") / "r.xlsx", world.returns[key])


@pytest.mark.parametrize("secret", [None, "", DEV_DEFAULT_SECRET])
def test_production_without_a_real_secret_refuses_to_ingest(tmp_path, one_return, secret):
    home = tmp_path / "home"
    env = home_env(home, LIANGXIN_ENV="production")
    env.pop("LIANGXIN_HMAC_SECRET")
    if secret is not None:
        env["LIANGXIN_HMAC_SECRET"] = secret
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(one_return), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "LIANGXIN_HMAC_SECRET" in out and "生产环境" in out
    db = home / "build.duckdb"
    if db.exists():  # nothing loaded, nothing keyed with a public constant
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("select count(*) from raw.submissions").fetchone()[0] == 0
        con.close()


def test_production_refusal_happens_before_anything_is_written(tmp_path, one_return):
    """Found by this suite (the refusal used to come at load time, after an 'accepted' receipt was sent);
    ingest.py now checks the secret before touching archive, outbox or database."""
    home = tmp_path / "home"
    env = home_env(home, LIANGXIN_ENV="production")
    env.pop("LIANGXIN_HMAC_SECRET")
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(one_return), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = p.stdout + p.stderr
    assert p.returncode != 0 and "Traceback" not in out
    assert not list((home / "outbox").rglob("*.*")), "a receipt claiming 接收 was sent for an unloaded file"
    assert not (home / "archive" / "receipts.jsonl").exists()


def test_production_with_a_secret_ingests(tmp_path, one_return):
    home = tmp_path / "home"
    env = home_env(home, LIANGXIN_ENV="production", LIANGXIN_HMAC_SECRET="a-real-district-secret-9f3c-Xq7Lm2Vb8Nw4Kp")
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(one_return), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "开发用默认密钥" not in p.stdout + p.stderr
