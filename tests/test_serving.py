"""Serving snapshot: atomic publish, read-only readers that cannot reach other files."""

import duckdb
import pytest
from typer.testing import CliRunner

from contract_manifest import write_manifest
from liangxin.cli import app
from liangxin.contract import ContractError
from liangxin.serving import connect_readonly
from liangxin.serving import publish_snapshot as _publish


@pytest.fixture()
def build_db(tmp_path):
    db = tmp_path / "build.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create table marts.t as select range as i from range(5)")
    con.close()
    write_manifest(tmp_path / "manifest.json", {"marts.t": [("i", "BIGINT")]})
    return db


def publish_snapshot(build, serve):
    """The publish with the test's hand-made contract (manifest.json beside the build file)."""
    return _publish(build, serve, manifest=build.parent / "manifest.json")


def test_publish_snapshot_copies_and_replaces(build_db, tmp_path):
    serve = tmp_path / "serve.duckdb"
    publish_snapshot(build_db, serve)
    con = connect_readonly(serve)
    assert con.execute("select sum(i) from marts.t").fetchone()[0] == 10
    con.close()
    w = duckdb.connect(str(build_db))
    w.execute("insert into marts.t values (100)")
    w.close()
    # a reader holding the old snapshot open is not disturbed by a new publish
    reader = connect_readonly(serve)
    publish_snapshot(build_db, serve)
    assert reader.execute("select sum(i) from marts.t").fetchone()[0] == 10
    reader.close()
    assert connect_readonly(serve).execute("select sum(i) from marts.t").fetchone()[0] == 110
    assert not list(tmp_path.glob(".serve-*"))  # no temporary left behind


def test_readonly_connection_cannot_write_or_read_files(build_db, tmp_path):
    serve = tmp_path / "serve.duckdb"
    publish_snapshot(build_db, serve)
    con = connect_readonly(serve)
    with pytest.raises(duckdb.Error):
        con.execute("insert into marts.t values (1)")
    with pytest.raises(duckdb.Error):
        con.execute("create table x as select 1")
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(duckdb.Error):
        con.execute(f"select * from read_csv('{secret}')")
    with pytest.raises(duckdb.Error):
        con.execute(f"copy marts.t to '{tmp_path / 'out.csv'}'")
    assert not (tmp_path / "out.csv").exists()


def test_sql_command_prints_a_table_and_refuses_writes(build_db, tmp_path, monkeypatch):
    serve = tmp_path / "serve.duckdb"
    publish_snapshot(build_db, serve)
    monkeypatch.setenv("LIANGXIN_SERVE_DUCKDB", str(serve))
    runner = CliRunner()
    res = runner.invoke(app, ["sql", "-c", "select count(*) as n from marts.t"])
    assert res.exit_code == 0, res.output
    assert "5" in res.output
    res = runner.invoke(app, ["sql", "-c", "delete from marts.t"])
    assert res.exit_code == 1
    assert "错误" in res.output


def test_snapshot_holds_the_public_models_only(tmp_path):
    """Issue 16 and 19: only the contract's public models are published; raw, staging, intermediate, meta and
    protected models (a person-level mart) stay in the build file, and the file is new, so their bytes are not in
    it either."""
    import os
    import stat

    from liangxin.serving import person_columns

    build = tmp_path / "build.duckdb"
    con = duckdb.connect(str(build))
    con.execute("""
        create schema raw; create table raw.attendance as select 'KEY-RAW-0001' as person_key;
        create schema intermediate; create table intermediate.int_x as select 'INTERMEDIATE-ROW' as v;
        create schema staging; create view staging.stg_x as select * from raw.attendance;
        create schema meta; create table meta.keying as select 'FPRINT-0001' as fingerprint;
        create schema marts;
        create table marts.fct_training_attendance as select 'KEY-MART-0001' as person_key, 1980 as person_birth_year;
        create table marts.kpi_training as select 'district' as level, 0.75 as k9_value;
        create table marts.kpi_not_in_contract as select 'NOT-PUBLIC-ROW' as v;
        create schema annual; create table annual.rpt_annual_t5 as select 2020 as year, 3 as secretaries;
        create view annual.rpt_annual_verdict as select year, '可以上报' as verdict from annual.rpt_annual_t5;
        create schema ref; create table ref.communities as select '330199001001' as unit_code;
    """)
    con.close()
    write_manifest(
        tmp_path / "manifest.json",
        {
            "marts.kpi_training": [("level", "VARCHAR"), ("k9_value", "DECIMAL(3,2)")],
            "annual.rpt_annual_t5": [("year", "INTEGER"), ("secretaries", "INTEGER")],
            "annual.rpt_annual_verdict": [("year", "INTEGER"), ("verdict", "VARCHAR")],
            "ref.communities": [("unit_code", "VARCHAR")],
        },
        protected={"marts.fct_training_attendance": [("person_key", "VARCHAR")]},
    )
    assert {"person_key", "secretary_key", "secretary_name", "phone", "person_birth_year"} <= person_columns()
    serve = publish_snapshot(build, tmp_path / "serve.duckdb")
    con = connect_readonly(serve)
    tables = {
        f"{s}.{t}": c
        for s, t, c in con.execute("select schema_name, table_name, comment from duckdb_tables()").fetchall()
    }
    verdict = con.execute("select year, verdict from annual.rpt_annual_verdict").fetchall()
    con.close()
    assert set(tables) == {"marts.kpi_training", "annual.rpt_annual_t5", "annual.rpt_annual_verdict", "ref.communities"}
    assert tables["ref.communities"] == "测试表 ref.communities"  # the model's description, for liangxin sql
    assert verdict == [(2020, "可以上报")]  # a view of the build file becomes a table
    blob = serve.read_bytes()
    for needle in (b"KEY-RAW-0001", b"INTERMEDIATE-ROW", b"FPRINT-0001", b"KEY-MART-0001", b"NOT-PUBLIC-ROW"):
        assert needle not in blob
    assert stat.S_IMODE(os.stat(serve).st_mode) == 0o600


def test_a_public_model_missing_in_the_build_fails_the_publish(build_db, tmp_path):
    write_manifest(tmp_path / "manifest.json", {"marts.t": [("i", "BIGINT")], "marts.gone": [("x", "INTEGER")]})
    with pytest.raises(ContractError, match="构建库缺少公开模型.*marts.gone"):
        publish_snapshot(build_db, tmp_path / "serve.duckdb")
    assert not (tmp_path / "serve.duckdb").exists() and not list(tmp_path.glob(".serve-*"))
