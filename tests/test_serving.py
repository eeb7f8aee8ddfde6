"""Serving snapshot: atomic publish, read-only readers that cannot reach other files."""

import duckdb
import pytest
from typer.testing import CliRunner

from liangxin.cli import app
from liangxin.serving import connect_readonly, publish_snapshot


@pytest.fixture()
def build_db(tmp_path):
    db = tmp_path / "build.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create table marts.t as select range as i from range(5)")
    con.close()
    return db


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
