"""``liangxin sql`` (issue 15 and 19): the documented examples run on a real snapshot; formats csv / xlsx /
markdown; a timeout, a memory limit and thread count the query cannot change; the temporary directory is
removed; Chinese errors that list the tables; hostile values are printed and written inertly."""

from __future__ import annotations

import csv
import io
import re
import shlex
import tempfile

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from liangxin import sql
from liangxin.cli import app


@pytest.fixture(scope="module")
def pipe():
    from hostile.pipeline import full_pipeline

    return full_pipeline()


@pytest.fixture()
def hostile_snapshot(tmp_path):
    db = tmp_path / "serve.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute("create table marts.t (name varchar, n integer)")
    con.executemany(
        "insert into marts.t values (?, ?)",
        [
            ('=HYPERLINK("http://evil.invalid","点我")', 1),
            ("[/]", 2),
            ("[bold]粗体", 3),
            ("\x1b[2J\x1b]0;title\x07清屏", 4),
            ("+1+1", 5),
            ("@SUM(A1)", 6),
            ("a|b", 7),
            ("-5", -5),
        ],
    )
    con.close()
    return db


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["sql", *args], env={"COLUMNS": "200", **(env or {})})


def _examples() -> list[list[str]]:
    return [shlex.split(line.strip())[2:] for line in sql.EXAMPLES.splitlines()[1:]]


def test_the_help_examples_are_the_tested_ones():
    res = CliRunner().invoke(app, ["sql", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    for line in sql.EXAMPLES.splitlines()[1:]:
        assert line.strip().split(" -c ")[0] in res.output


@pytest.mark.parametrize("i", range(5))
def test_documented_example_runs_on_the_real_snapshot(pipe, tmp_path, monkeypatch, i):
    monkeypatch.chdir(tmp_path)
    args = _examples()[i]
    res = invoke("--db", str(pipe.serve), *args)
    assert res.exit_code == 0, res.output
    if "--output" in args:
        out = tmp_path / args[args.index("--output") + 1]
        assert out.exists() and (out.stat().st_mode & 0o077) == 0
        if out.suffix == ".xlsx":
            ws = openpyxl.load_workbook(out).active
            assert ws.max_row > 1 and ws["A1"].value == "year"
        else:
            rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
            assert rows[0][:2] == ["level", "entity_code"] and len(rows) > 1
    elif "markdown" in args:
        assert res.output.startswith("| unit_name | k1 | k1_rank |")
    else:
        assert "行" in res.output


def test_unknown_table_is_a_chinese_error_listing_the_tables(pipe):
    res = invoke("--db", str(pipe.serve), "-c", "select * from marts.no_such_table")
    assert res.exit_code == 1
    assert "表、视图或列不存在" in res.output and "marts:" in res.output and "fct_indicators" in res.output
    assert "Traceback" not in res.output


def test_tables_lists_exactly_the_public_models_with_their_descriptions(pipe):
    from liangxin.contract import load_public_models

    public = {m.name: m.description for m in load_public_models()}
    res = invoke("--db", str(pipe.serve), "--tables", "-f", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(res.output)))
    assert rows[0] == ["表", "说明"]
    assert dict(rows[1:]) == public  # every public model, nothing else, each with its dbt description
    # the interactive .tables gives the same listing
    res = invoke("--db", str(pipe.serve), "-c", ".tables", "-f", "csv")
    assert dict(list(csv.reader(io.StringIO(res.output)))[1:]) == public


def test_person_level_tables_are_not_in_the_snapshot(pipe):
    res = invoke("--db", str(pipe.serve), "-c", "select * from marts.fct_training_attendance")
    assert res.exit_code == 1 and "不存在" in res.output
    for t in ("raw.submissions", "intermediate.int_current_submissions", "meta.keying"):
        assert invoke("--db", str(pipe.serve), "-c", f"select * from {t}").exit_code == 1


def test_timeout_interrupts(hostile_snapshot):
    res = invoke("--db", str(hostile_snapshot), "--timeout", "0.5", "-c", "select count(*) from range(100000000000) a")
    assert res.exit_code == 1 and "查询超时" in res.output


def test_memory_limit_and_locked_configuration(hostile_snapshot):
    res = invoke(
        "--db",
        str(hostile_snapshot),
        "--memory-limit",
        "64MB",
        "--timeout",
        "60",
        "-c",
        "select string_agg(repeat('x', 100), ',') from range(10000000)",
    )
    assert res.exit_code == 1 and "超出内存上限 64MB" in res.output
    for stmt in (
        "set memory_limit='100GB'",
        "set threads=64",
        "set enable_external_access=true",
        "set temp_directory='/tmp'",
        "set lock_configuration=false",
    ):
        res = invoke("--db", str(hostile_snapshot), "-c", stmt)
        assert res.exit_code == 1, stmt
    res = invoke(
        "--db",
        str(hostile_snapshot),
        "--memory-limit",
        "300MB",
        "--threads",
        "1",
        "-c",
        "select current_setting('memory_limit'), current_setting('threads')",
    )
    assert res.exit_code == 0 and "1" in res.output and "MiB" in res.output


def test_temp_directory_is_removed_even_after_a_spilling_query(hostile_snapshot, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    res = invoke(
        "--db",
        str(hostile_snapshot),
        "--memory-limit",
        "40MB",
        "--threads",
        "1",
        "--timeout",
        "120",
        "-c",
        "select count(*) from (select range % 1000003 as k, count(*) from range(6000000) group by 1)",
    )
    assert res.exit_code == 0, res.output
    assert "1000003" in res.output
    assert list(scratch.iterdir()) == []
    res = invoke("--db", str(hostile_snapshot), "--timeout", "0.5", "-c", "select count(*) from range(100000000000)")
    assert res.exit_code == 1 and list(scratch.iterdir()) == []


def test_hostile_values_are_printed_verbatim_and_inert(hostile_snapshot, tmp_path):
    res = invoke("--db", str(hostile_snapshot), "-c", "select * from marts.t order by n")
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "[/]" in res.output and "[bold]粗体" in res.output
    res = invoke("--db", str(hostile_snapshot), "-c", "select * from marts.t order by n", "-f", "csv")
    rows = list(csv.reader(io.StringIO(res.output)))
    assert rows[2][0].startswith("'=HYPERLINK") and rows[6][0] == "'+1+1" and rows[7][0] == "'@SUM(A1)"
    assert rows[1] == ["'-5", "-5"]  # text "-5" made inert; the number -5 stays a number
    res = invoke("--db", str(hostile_snapshot), "-c", "select * from marts.t order by n", "-f", "markdown")
    assert "a\\|b" in res.output and "\x1b" not in res.output
    out = tmp_path / "t.xlsx"
    res = invoke("--db", str(hostile_snapshot), "-c", "select * from marts.t order by n", "-f", "xlsx", "-o", str(out))
    assert res.exit_code == 0, res.output
    cells = [c for row in openpyxl.load_workbook(out).active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == -5 and c.data_type == "n" for c in cells)


def test_bad_arguments_are_clear(hostile_snapshot, tmp_path):
    res = invoke("--db", str(hostile_snapshot), "-c", "select 1", "-f", "pdf")
    assert res.exit_code == 2 and "未知的输出格式" in res.output
    res = invoke("--db", str(hostile_snapshot), "-c", "select 1", "-f", "xlsx")
    assert res.exit_code == 2 and "--output" in res.output
    res = invoke("--db", str(tmp_path / "missing.duckdb"), "-c", "select 1")
    assert res.exit_code == 2 and "服务快照不存在" in res.output
    assert re.search(r"只读", invoke("--db", str(hostile_snapshot), "-c", "delete from marts.t").output)
