"""Backup and restore (liangxin.ops): a consistent backup of the build database, archive and outbox with a
SHA-256 manifest; restore into a fresh LIANGXIN_HOME gives identical marts after ``dbt build`` there;
restore refuses to overwrite without --force and refuses a damaged backup; re-ingestion from the archive
with a rotated HMAC secret gives the same rows with new person keys."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from hostile.dump import digest, dump
from liangxin.settings import Settings
from hostile.pipeline import DBT_PROJECT, SECRET, dbt_build_cmd, full_pipeline, home_env, nondeterministic
from liangxin import ops
from liangxin.cli import ops as ops_cli


@pytest.fixture(scope="module")
def pipe():
    return full_pipeline()


@pytest.fixture(scope="module")
def made(pipe, tmp_path_factory):
    dest = tmp_path_factory.mktemp("backups")
    out = ops.backup(dest, db_path=pipe.db, archive_dir=pipe.root / "archive", outbox_dir=pipe.root / "outbox")
    return out


def _schemas(db: Path) -> tuple[str, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(
            sorted(r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall())
        )
    finally:
        con.close()


def test_backup_is_complete_and_private(pipe, made):
    manifest = ops.verify(made)
    files = manifest["files"]
    assert "build.duckdb" in files
    archived = {p.relative_to(pipe.root).as_posix() for p in (pipe.root / "archive").rglob("*") if p.is_file()}
    reports = {p.relative_to(pipe.root).as_posix() for p in (pipe.root / "outbox").rglob("*") if p.is_file()}
    assert archived | reports <= set(files)
    assert all(len(m["sha256"]) == 64 for m in files.values())
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert not list(made.parent.glob(".partial-*"))
    # the copy is the database as it was: same tables, same rows
    assert digest(dump(made / "build.duckdb", _schemas(pipe.db))) == digest(dump(pipe.db, _schemas(pipe.db)))


@pytest.mark.slow
def test_restore_into_fresh_home_then_dbt_build_gives_identical_marts(pipe, made, tmp_path):
    home = tmp_path / "home"
    where = ops.restore(made, db_path=home / "build.duckdb", archive_dir=home / "archive", outbox_dir=home / "outbox")
    db = where["db"]
    # rebuild everything from the restored raw layer: drop every derived schema first (meta: the secret's
    # fingerprint, finalized: the 定稿 versions — both kept data, not derived by dbt)
    kept = ("raw", "meta", "finalized")
    derived = [s for s in _schemas(db) if s not in (*kept, "main")]
    con = duckdb.connect(str(db))
    for s in derived:
        con.execute(f'drop schema "{s}" cascade')
    for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall():
        con.execute(f'drop table main."{t}" cascade')
    con.close()
    assert set(_schemas(db)) <= set(kept) and "raw" in _schemas(db)
    p = subprocess.run(
        dbt_build_cmd(tmp_path / "dbt"),
        env=home_env(home),
        cwd=DBT_PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Done." in p.stdout and p.returncode == 0, p.stdout[-3000:]
    schemas = _schemas(pipe.db)
    assert set(_schemas(db)) == set(schemas)
    got, want = digest(dump(db, schemas)), digest(dump(pipe.db, schemas))
    assert [t for t in want if t.endswith("fct_indicators") or t.startswith("main_marts.kpi")], sorted(want)
    differ = {t for t in set(got) | set(want) if got.get(t) != want.get(t)}
    if differ:  # tables dbt does not build deterministically (or a project changed meanwhile) are not ours
        unstable = nondeterministic(pipe, tmp_path / "clean", want)
        assert differ <= unstable, sorted(differ - unstable)
        print("dbt builds these tables non-deterministically (ignored):", sorted(unstable))
    assert sorted(p.relative_to(home / "archive") for p in (home / "archive").rglob("*")) == sorted(
        p.relative_to(pipe.root / "archive") for p in (pipe.root / "archive").rglob("*")
    )
    assert stat.S_IMODE((home / "archive").stat().st_mode) == 0o700


def test_restore_refuses_to_overwrite_without_force(made, tmp_path):
    home = tmp_path / "home"
    target = dict(db_path=home / "build.duckdb", archive_dir=home / "archive", outbox_dir=home / "outbox")
    ops.restore(made, **target)
    con = duckdb.connect(str(home / "build.duckdb"))
    con.execute("create table raw.after_restore as select 1 as x")
    con.close()
    with pytest.raises(ops.BackupError, match="--force"):
        ops.restore(made, **target)
    assert "after_restore" in str(dump(home / "build.duckdb").keys())  # untouched
    (home / "build.duckdb.wal").write_bytes(b"stale wal from another database")
    ops.restore(made, force=True, **target)
    assert not (home / "build.duckdb.wal").exists()
    assert "raw.after_restore" not in dump(home / "build.duckdb")


def test_damaged_backup_is_refused(made, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(made, copy)
    victim = next(p for p in (copy / "archive").rglob("*") if p.suffix in (".xlsx", ".zip"))
    data = bytearray(victim.read_bytes())
    data[100] ^= 1
    victim.write_bytes(bytes(data))
    with pytest.raises(ops.BackupError, match="damaged"):
        ops.restore(
            copy,
            db_path=tmp_path / "h" / "build.duckdb",
            archive_dir=tmp_path / "h" / "archive",
            outbox_dir=tmp_path / "h" / "outbox",
        )
    assert not (tmp_path / "h" / "build.duckdb").exists()
    with pytest.raises(ops.BackupError):
        ops.verify(tmp_path)  # not a backup at all


def test_backup_and_restore_commands(pipe, tmp_path, monkeypatch):
    app = typer.Typer()
    app.command("backup")(ops_cli.backup_command)
    app.command("restore")(ops_cli.restore_command)
    for k, v in home_env(pipe.root).items():
        monkeypatch.setenv(k, v)
    r = CliRunner().invoke(app, ["backup", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    (folder,) = (tmp_path / "b").iterdir()
    fresh = tmp_path / "fresh"
    for k, v in home_env(fresh).items():
        monkeypatch.setenv(k, v)
    r = CliRunner().invoke(app, ["restore", str(folder)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["restore", str(folder)])
    assert r.exit_code == 2 and "--force" in r.output
    r = CliRunner().invoke(app, ["restore", str(folder), "--force"])
    assert r.exit_code == 0, r.output


def test_reingest_all_with_a_rotated_secret(pipe, tmp_path, monkeypatch):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET + "-rotated")
    archive = tmp_path / "archive"
    shutil.copytree(pipe.root / "archive", archive)
    outcomes = ops.reingest_all(
        archive, settings=Settings.from_env(), db_path=tmp_path / "new.duckdb", outbox_dir=tmp_path / "outbox"
    )
    assert len(outcomes) == len(pipe.files) and all(o.outcome != "failed" for o in outcomes)
    old = duckdb.connect(str(pipe.raw_only), read_only=True)
    new = duckdb.connect(str(tmp_path / "new.duckdb"), read_only=True)
    try:
        q = "select count(*), count(distinct person_key) from raw.attendance"
        assert old.execute(q).fetchone() == new.execute(q).fetchone()
        assert not set(old.execute("select person_key from raw.attendance").fetchall()) & set(
            new.execute("select person_key from raw.attendance").fetchall()
        )
        q = "select submission_id, original_name, outcome, unit_code, period from raw.submissions order by 1"
        assert old.execute(q).fetchall() == new.execute(q).fetchall()
        q = "select * exclude (secretary_key) from raw.party_orgs order by all"
        assert old.execute(q).fetchall() == new.execute(q).fetchall()
    finally:
        old.close()
        new.close()
    with pytest.raises(ops.BackupError):
        ops.reingest_all(archive, settings=Settings.from_env(), db_path=tmp_path / "new.duckdb")
