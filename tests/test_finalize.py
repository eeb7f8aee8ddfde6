"""Finalizing (定稿) end to end on a real DuckDB file with real `dbt build` runs (annual-return.md, "Finalizing").

District of tests/annual_fixture.py: 60 communities, each 3 members all year, 2019 and 2020 complete, 2021Q1 only.
Path: build → finalize 2019 (v1) → late 2019Q4 correction of community C0 (closing 3 → 5 by 发展党员 2) and a 2020Q4
correction of C1 (closing 3 → 4) → build → 2019 shows 已定稿，有更正待报 with the 更正对照表, 2020's A3 compares with the
finalized 2019 (passes), 2021's A3 compares with the current 2020 (fails: 2020 never finalized) → finalize 2019 v2 →
build → 2020's A3 now fails against v2.  Plus survival of the finalized store (rebuild, backup/restore) and the
refusals of bad input.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

import annual_fixture as af
import dbt_fixture as fx
from liangxin import finalize

C0, C1 = af.COMMUNITIES[0], af.COMMUNITIES[1]
SIGN = dict(
    unit="示范区党工委",
    head="王主任",
    filled_by="李统计",
    reviewed_by="张审核",
    phone="0571-1234567",
    report_date="2020-01-20",
)


def _build(db, work):
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc


def _q(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _verdicts(db):
    return {
        r[0]: r[1:]
        for r in _q(
            db,
            "select year, verdict, status, finalized_version, reasons, communities_complete, "
            "communities_expected from annual.rpt_annual_verdict",
        )
    }


def _t1(db, year, level="district"):
    return _q(
        db,
        "select prev_year_end_total, year_end_actual, opening_q1 from annual.rpt_annual_t1 "
        "where year = ? and level = ?",
        [year, level],
    )[0]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    work = tmp_path_factory.mktemp("finalize")
    db = work / "build.duckdb"
    outbox = work / "outbox"
    subs, data = af.world()
    af.write(db, subs, data)
    _build(db, work)
    steps = {"v_initial": _verdicts(db)}
    steps["lines_initial"] = finalize.record_verdicts(db, outbox, now=dt.datetime(2020, 1, 31))

    # --- finalize 2019, version 1
    steps["fin1"] = finalize.finalize_year(2019, "李统计", signoff=SIGN, db_path=db, now=dt.datetime(2020, 2, 1, 8))
    steps["v_after_fin1"] = _verdicts(db)  # the verdict is a view: 定稿 at once, before any rebuild

    # --- late corrections: 2019Q4 of C0 (after finalizing) and 2020Q4 of C1
    s1, d1 = af.correction(C0, "2019Q4", 1, dt.datetime(2020, 3, 1, 9), closing=5, developed=2)
    s2, d2 = af.correction(C1, "2020Q4", 1, dt.datetime(2021, 3, 1, 9), closing=4, developed=1)
    af.write(db, s1 + s2, {**d1, **d2}, create=False)
    _build(db, work)
    steps["v_after_corr"] = _verdicts(db)
    steps["corrections"] = _q(
        db,
        "select table_no, row_label, col_group, col_label, finalized_value, current_value, "
        "causing_submission_id, causing_unit_code, causing_period, causing_correction_no "
        "from annual.rpt_annual_corrections where year = 2019",
    )
    steps["rules_after_corr"] = {
        (r[0], r[1]): r[2:] for r in _q(db, "select year, rule_id, passed, detail from annual.rpt_annual_rule_results")
    }
    steps["t1_2020_after_corr"] = _t1(db, 2020)
    steps["lines_after_corr"] = finalize.record_verdicts(db, outbox, now=dt.datetime(2021, 3, 2))
    steps["outbox_files"] = (
        sorted(p.name for p in (outbox / "accepted").glob("*.txt")) if (outbox / "accepted").exists() else []
    )
    steps["addenda"] = (
        {p.name: p.read_text(encoding="utf-8") for p in (outbox / "accepted").glob("*.txt")}
        if (outbox / "accepted").exists()
        else {}
    )

    # --- finalize 2019 again: version 2
    steps["fin2"] = finalize.finalize_year(2019, "李统计", signoff=SIGN, db_path=db, now=dt.datetime(2021, 3, 5, 8))
    steps["v_after_fin2"] = _verdicts(db)
    steps["corrections_after_fin2"] = _q(db, "select count(*) from annual.rpt_annual_corrections where year = 2019")[0][
        0
    ]
    _build(db, work)
    steps["v_final"] = _verdicts(db)
    steps["t1_2020_final"] = _t1(db, 2020)
    steps["a3_2020_final"] = _q(
        db, "select passed, detail from annual.rpt_annual_rule_results where year = 2020 and rule_id = 'A3'"
    )[0]
    return dict(db=db, work=work, outbox=outbox, **steps)


def test_every_year_is_produced_with_a_verdict_and_coverage(story):
    v = story["v_initial"]
    # 2019, 2020: 60 of 60 communities with all four quarters, every E rule passes
    assert v[2019][:3] == ("可以上报", "草稿", None) and v[2019][4:] == (60, 60)
    assert v[2020][:2] == ("可以上报", "草稿")
    # 2021 is partial (Q1 only): produced, 不得上报, A0 names the 3 missing quarters × 60 communities, coverage 0/60
    assert v[2021][0] == "不得上报"
    assert v[2021][3] == "60 个社区缺少 2021Q2 报表；60 个社区缺少 2021Q3 报表；60 个社区缺少 2021Q4 报表"
    assert v[2021][4:] == (0, 60)
    assert any(line.startswith("2021 年报：不得上报") for line in story["lines_initial"])


def test_finalize_stores_version_one_with_digest(story):
    fin = story["fin1"]
    assert (fin["version"], fin["verdict"], fin["finalized_by"]) == (1, "可以上报", "李统计")
    db = story["db"]
    row = _q(
        db,
        "select verdict, finalized_by, finalized_at, cells_sha256, signoff_head, signoff_date "
        "from finalized.annual_versions where year = 2019 and version = 1",
    )[0]
    assert row[:3] == ("可以上报", "李统计", dt.datetime(2020, 2, 1, 8))
    assert row[4:] == ("王主任", dt.date(2020, 1, 20))
    cells = _q(
        db, f"select {', '.join(finalize.CELL_COLUMNS)} from finalized.annual_cells where year = 2019 and version = 1"
    )
    assert len(cells) == fin["cells"] > 1000
    assert finalize.cells_sha256(cells) == row[3] == fin["sha256"]
    # 表一 总计 本年底实有数 finalized = 60 × 3 = 180
    assert _q(
        db,
        "select value from finalized.annual_cells where year = 2019 and version = 1 and table_no = 1 "
        "and level = 'district' and column_name = 'year_end_actual'",
    ) == [(180.0,)]
    assert story["v_after_fin1"][2019][1:3] == ("定稿", 1)


def test_late_correction_shows_pending_and_the_correction_table(story):
    v = story["v_after_corr"]
    assert v[2019][:3] == ("可以上报", "已定稿，有更正待报", 1)
    corr = {(r[0], r[1], r[3]): r[4:] for r in story["corrections"]}
    sid = af.sid(C0, "2019Q4", 1)
    # 表一 总计: 本年底实有数 180 → 182 (C0 closes at 5 instead of 3); 发展党员 0 → 2; the causing submission is C0's
    # 2019Q4 correction 1
    assert corr[(1, "总计", "本年底实有数")] == (180.0, 182.0, sid, C0, "2019Q4", 1)
    assert corr[(1, "总计", "发展党员")] == (0.0, 2.0, sid, C0, "2019Q4", 1)
    assert corr[(1, "金桥社区党总支", "本年底实有数")] == (3.0, 5.0, sid, C0, "2019Q4", 1)
    assert all(r[6] == sid for r in story["corrections"])  # nothing else changed, nothing else blamed


def test_a3_reads_the_finalized_previous_year_and_else_the_current_one(story):
    rules = story["rules_after_corr"]
    # 2020: Q1 opening 180 = finalized 2019 (180), although the current 2019 now closes at 182
    assert rules[(2020, "A3")][0] is True
    assert story["v_after_corr"][2020][0] == "可以上报"
    assert story["t1_2020_after_corr"] == (180, 181, 180)  # 上年底总数 = finalized 180; 实有 180 + 1 (C1); Q1 期初 180
    # 2021: 2020 never finalized → compared with current 2020 (C1 corrected to close at 4): district 181 vs 180
    passed, detail = rules[(2021, "A3")]
    assert passed is False
    assert "上年底总数（第一季度期初）与2020年本年底实有数相差 1 名" in detail
    assert "A3 不通过" in story["v_after_corr"][2021][3]


def test_build_output_and_receipt_addendum_name_the_year_and_the_cause(story):
    lines = story["lines_after_corr"]
    line = next(x for x in lines if x.startswith("2021 "))
    assert "2021 年报变为 不得上报（A3）" in line and f"{C1} 2020Q4（更正1）" in line
    # an addendum beside the receipt of the 2020Q4 correction (the 2019Q4 one changed no verdict: 2019 and 2020
    # stay 可以上报, 2021 newly fails A3)
    sid = af.sid(C1, "2020Q4", 1)
    name = f"{C1}_2020Q4_{sid[:8]}.年报审核结论.txt"
    assert name in story["outbox_files"]
    text = story["addenda"][name]
    assert "2021 年报因本次接收的报表变为 不得上报" in text and "A3 不通过" in text


def test_finalize_again_makes_version_two_and_next_year_a3_compares_with_it(story):
    assert story["fin2"]["version"] == 2
    assert story["v_after_fin2"][2019][1:3] == ("定稿", 2)
    assert story["corrections_after_fin2"] == 0
    # after the rebuild 2020's 上年底总数 = finalized v2 (182) while its Q1 opening stays 180: A3 fails, 不得上报
    assert story["t1_2020_final"] == (182, 181, 180)
    passed, detail = story["a3_2020_final"]
    assert passed is False and "与2019年定稿数相差 2 名" in detail
    assert story["v_final"][2020][0] == "不得上报"
    assert story["v_final"][2019][1:3] == ("定稿", 2)


def test_finalized_store_survives_rebuild_and_backup_restore(story, tmp_path):
    from liangxin import ops

    db = story["db"]
    before = _q(db, "select year, version, cells_sha256 from finalized.annual_versions order by 1, 2")
    assert [r[:2] for r in before] == [(2019, 1), (2019, 2)]
    # a build from scratch of every dbt model (the store was already rebuilt over twice in the story) — once more
    # with --full-refresh
    proc = fx.run_dbt_build(db, story["work"])
    assert proc.returncode == 0
    assert _q(db, "select year, version, cells_sha256 from finalized.annual_versions order by 1, 2") == before
    archive, outbox = tmp_path / "archive", tmp_path / "outbox"
    archive.mkdir()
    outbox.mkdir()
    backup = ops.backup(tmp_path / "backups", db_path=db, archive_dir=archive, outbox_dir=outbox)
    restored = tmp_path / "restored" / "build.duckdb"
    ops.restore(backup, db_path=restored, archive_dir=tmp_path / "r-archive", outbox_dir=tmp_path / "r-outbox")
    assert _q(restored, "select year, version, cells_sha256 from finalized.annual_versions order by 1, 2") == before
    n = _q(db, "select count(*) from finalized.annual_cells")[0][0]
    assert _q(restored, "select count(*) from finalized.annual_cells")[0][0] == n > 2000


def test_bad_input_is_refused(story, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(story["db"], db)
    # 2020 is 不得上报 after the rebuild: refused without --override, the reasons listed
    with pytest.raises(finalize.FinalizeError) as e:
        finalize.finalize_year(2020, "李统计", signoff=SIGN, db_path=db)
    assert "不得上报" in str(e.value) and "A3 不通过" in str(e.value) and "--override" in str(e.value)
    # with --override: stored, the reason kept
    out = finalize.finalize_year(2020, "李统计", override="经区委同意先行上报", signoff=SIGN, db_path=db)
    assert out["version"] == 1
    assert _q(db, "select override_reason, verdict from finalized.annual_versions where year = 2020") == [
        ("经区委同意先行上报", "不得上报")
    ]
    # a year without any return
    with pytest.raises(finalize.FinalizeError, match="2018 年没有已接收的报表"):
        finalize.finalize_year(2018, "李统计", signoff=SIGN, db_path=db)
    # no finalizer name; a missing sign-off name
    with pytest.raises(finalize.FinalizeError, match="定稿人"):
        finalize.finalize_year(2019, "  ", signoff=SIGN, db_path=db)
    with pytest.raises(finalize.FinalizeError, match="审核人"):
        finalize.finalize_year(2019, "李统计", signoff=dict(SIGN, reviewed_by=""), db_path=db)
    with pytest.raises(finalize.FinalizeError, match="报出日期"):
        finalize.finalize_year(2019, "李统计", signoff=dict(SIGN, report_date=None), db_path=db)
    # nothing was stored by the refusals
    assert _q(db, "select year, version from finalized.annual_versions order by 1, 2") == [
        (2019, 1),
        (2019, 2),
        (2020, 1),
    ]


def test_ddl_of_the_store_is_the_same_in_python_and_dbt():
    from liangxin.paths import DBT_PROJECT_DIR

    macro = (DBT_PROJECT_DIR / "macros" / "annual_finalized.sql").read_text(encoding="utf-8")
    body = macro.split("{% macro annual_finalized_ddl() -%}")[1].split("{%- endmacro %}")[0]
    norm = lambda s: " ".join(s.split())  # noqa: E731
    assert norm(body) == norm(finalize.DDL)


def test_cli_finalize_refusals_and_status(story, tmp_path, monkeypatch):
    """Through the real command line: `liangxin annual-return finalize` refuses with the reasons (exit 2) and stores
    nothing; `status` lists each year's verdict; `annual-return --year` stays the workbook writer's option."""
    from typer.testing import CliRunner

    from liangxin.cli import app

    db = tmp_path / "cli.duckdb"
    shutil.copyfile(story["db"], db)
    monkeypatch.setenv("LIANGXIN_DUCKDB", str(db))
    for var in ("HEAD", "FILLED_BY", "REVIEWED_BY", "DATE", "UNIT", "PHONE"):
        monkeypatch.delenv(f"LIANGXIN_SIGNOFF_{var}", raising=False)
    runner = CliRunner()
    sign = [
        "--head",
        "王主任",
        "--filled-by",
        "李统计",
        "--reviewed-by",
        "张审核",
        "--date",
        "2021-01-20",
        "--no-rebuild",
    ]
    res = runner.invoke(app, ["annual-return", "finalize", "--year", "2020", "--by", "李统计", *sign])
    assert res.exit_code == 2, res.output
    assert "定稿被拒绝" in res.output and "不得上报" in res.output and "A3 不通过" in res.output
    res = runner.invoke(app, ["annual-return", "finalize", "--year", "2021", *sign])
    assert res.exit_code == 2 and "定稿人" in res.output
    res = runner.invoke(app, ["annual-return", "finalize", "--year", "2019", "--by", "李统计", "--no-rebuild"])
    assert res.exit_code == 2 and "单位负责人" in res.output and "审核人" in res.output
    assert _q(db, "select year, version from finalized.annual_versions order by 1, 2") == [(2019, 1), (2019, 2)]
    # sign-off from configuration (environment) instead of options
    monkeypatch.setenv("LIANGXIN_SIGNOFF_HEAD", "王主任")
    monkeypatch.setenv("LIANGXIN_SIGNOFF_FILLED_BY", "李统计")
    monkeypatch.setenv("LIANGXIN_SIGNOFF_REVIEWED_BY", "张审核")
    monkeypatch.setenv("LIANGXIN_SIGNOFF_DATE", "2021-03-10")
    res = runner.invoke(app, ["annual-return", "finalize", "--year", "2019", "--by", "李统计", "--no-rebuild"])
    assert res.exit_code == 0, res.output
    assert "2019 年报已定稿（第3版）" in res.output
    res = runner.invoke(app, ["annual-return", "status", "--db", str(db)])
    assert res.exit_code == 0 and "不得上报" in res.output and "定稿" in res.output, res.output
    res = runner.invoke(app, ["annual-return", "--help"])
    assert "--year" in res.output and "finalize" in res.output and "status" in res.output
