"""The Dagster code location: definitions load, the inbox sensor, the ingestion job in-process, checks, pools."""

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from liangxin import warehouse
from liangxin.defs.ingestion import (
    CHECK_ERRORS,
    CHECK_WARNINGS,
    RawReturnsConfig,
    inbox_sensor,
    ingest_job,
    period_submissions,
    raw_returns,
)
from liangxin.defs.partitions import quarter_keys, quarterly_partitions
from liangxin.defs.resources import DUCKDB_POOL, LiangxinPaths
from liangxin.settings import Settings
from liangxin.paths import PROJECT_ROOT
from test_ingest import data_rows, variant, write_return

SECRET = "dagster-test-secret"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET)
    monkeypatch.setenv("LIANGXIN_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)


def resource(tmp_path: Path) -> LiangxinPaths:
    return LiangxinPaths(
        Settings.from_env(),
        db_path=str(tmp_path / "build.duckdb"),
        inbox_dir=str(tmp_path / "inbox"),
        archive_dir=str(tmp_path / "archive"),
        outbox_dir=str(tmp_path / "outbox"),
    )


def test_definitions_load():
    from liangxin.definitions import defs

    job = defs.resolve_job_def("ingest_job")
    assert job is not None
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "ingest_job"
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_returns", "period_submissions"} <= keys
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("raw_returns")).pools == {DUCKDB_POOL}
    assert graph.get(dg.AssetKey("period_submissions")).pools == {DUCKDB_POOL}
    checks = {c.name for c in raw_returns.check_specs}
    assert checks == {CHECK_ERRORS, CHECK_WARNINGS}


def test_quarterly_partitions_are_yyyyqn():
    keys = quarterly_partitions.get_partition_keys()
    assert keys[0] == "2019Q1" and keys[:5] == ["2019Q1", "2019Q2", "2019Q3", "2019Q4", "2020Q1"]
    assert quarter_keys(dt.date(2021, 5, 1))[-1] == "2021Q2"
    assert len(quarter_keys(dt.date(2021, 5, 1))) == 10


def test_dagster_yaml_limits_the_duckdb_pool_to_one(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(home))  # what `dagster dev` does with DAGSTER_HOME
    try:
        info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
        assert info.limit == 1
    finally:
        instance.dispose()


def test_inbox_sensor_one_run_per_new_file(tmp_path, world):
    inbox = tmp_path / "inbox"
    u = [c["unit_code"] for c in world.communities[:3]]
    files = [write_return(inbox / f"{x}.xlsx", world.returns[(x, "2020Q1")]) for x in u]
    (inbox / "readme.txt").write_text("not a return")
    shutil.copy(files[0], inbox / "copy-of-first.xlsx")  # identical content: one run
    shas = {hashlib.sha256(f.read_bytes()).hexdigest(): f for f in files}

    ctx = dg.build_sensor_context(resources={"liangxin": resource(tmp_path)})
    result = inbox_sensor(ctx)
    assert len(result.run_requests) == 3
    assert {r.run_key for r in result.run_requests} == set(shas)
    for r in result.run_requests:
        cfg = r.run_config["ops"]["raw_returns"]["config"]
        assert [Path(p) for p in cfg["paths"]] in ([shas[r.run_key]], [inbox / "copy-of-first.xlsx"])
        assert hashlib.sha256(Path(cfg["paths"][0]).read_bytes()).hexdigest() == r.run_key
    assert set(json.loads(result.cursor)["seen"]) == set(shas)

    ctx2 = dg.build_sensor_context(cursor=result.cursor, resources={"liangxin": resource(tmp_path)})
    result2 = inbox_sensor(ctx2)
    assert not result2.run_requests

    # a fourth file later: exactly one more run
    new = write_return(inbox / "late.xlsx", world.returns[(u[0], "2020Q2")])
    result3 = inbox_sensor(dg.build_sensor_context(cursor=result.cursor, resources={"liangxin": resource(tmp_path)}))
    assert [r.run_key for r in result3.run_requests] == [hashlib.sha256(new.read_bytes()).hexdigest()]


def test_ingest_job_in_process_loads_a_file(tmp_path, world):
    u = world.communities[0]["unit_code"]
    ret = world.returns[(u, "2020Q1")]
    f = write_return(tmp_path / "inbox" / "q1.xlsx", ret)
    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    res = resource(tmp_path)
    defs = dg.Definitions(assets=[raw_returns, period_submissions], jobs=[ingest_job], resources={"liangxin": res})
    job = defs.resolve_job_def("ingest_job")
    # the run the sensor asks for, executed as is
    (request,) = inbox_sensor(dg.build_sensor_context(resources={"liangxin": res})).run_requests
    run = job.execute_in_process(run_config=request.run_config, tags=request.tags)
    assert run.success
    assert run.dagster_run.tags["liangxin/sha256"] == sha
    assert not f.exists() and (tmp_path / "archive" / sha[:2] / f"{sha}.xlsx").exists()  # moved to the archive (D122)
    mats = run.asset_materializations_for_node("raw_returns")
    md = mats[0].metadata
    assert md["outcome_accepted_with_warnings"].value == 1
    assert md["rows_loaded"].value["party_orgs"] == len(ret["party_orgs"])
    checks = {e.check_name: e for e in run.get_asset_check_evaluations()}
    assert checks[CHECK_ERRORS].passed
    assert not checks[CHECK_WARNINGS].passed
    assert checks[CHECK_WARNINGS].severity == dg.AssetCheckSeverity.WARN
    # P1: no 2019Q4 return in this home; P4: received today, long after the 2020Q1 deadline, and not a backfill
    # (revision 2 judges lateness by the receipt time)
    assert checks[CHECK_WARNINGS].metadata["warning_hits_per_rule"].value == {"P1": 1, "P4": 1}

    con = warehouse.connect(res.db(), read_only=True)
    got = warehouse.table_counts(con)
    con.close()
    assert got == {"submissions": 1, "rule_hits": 2, **data_rows(ret)}

    # a rejected file: the run succeeds (a rejection is a business outcome), the error check fails as WARN
    bad = write_return(
        tmp_path / "inbox" / "bad.xlsx",
        variant(world.returns[(world.communities[1]["unit_code"], "2020Q1")], break_r11=True),
    )
    run2 = job.execute_in_process(run_config=dg.RunConfig(ops={"raw_returns": RawReturnsConfig(paths=[str(bad)])}))
    assert run2.success
    checks2 = {e.check_name: e for e in run2.get_asset_check_evaluations()}
    assert not checks2[CHECK_ERRORS].passed
    assert checks2[CHECK_ERRORS].severity == dg.AssetCheckSeverity.WARN
    assert checks2[CHECK_ERRORS].metadata["error_hits_per_rule"].value.get("R11") == 1

    # the quarter's status partition sees one community with a current return
    mat = dg.materialize([period_submissions], partition_key="2020Q1", resources={"liangxin": res})
    assert mat.success
    pmd = mat.asset_materializations_for_node("period_submissions")[0].metadata
    assert pmd["communities_with_current_return"].value == 1
    assert pmd["communities_missing"].value == pmd["communities_in_register"].value - 1


def test_raw_returns_without_paths_ingests_the_inbox(tmp_path, world):
    u = [c["unit_code"] for c in world.communities[:2]]
    for x in u:
        write_return(tmp_path / "inbox" / f"{x}.xlsx", world.returns[(x, "2020Q1")])
    res = resource(tmp_path)
    first = dg.materialize([raw_returns], resources={"liangxin": res})
    assert first.asset_materializations_for_node("raw_returns")[0].metadata["outcome_accepted_with_warnings"].value == 2
    assert list((tmp_path / "inbox").iterdir()) == []  # processed files left the inbox (D122)
    empty = dg.materialize([raw_returns], resources={"liangxin": res})
    assert empty.asset_materializations_for_node("raw_returns")[0].metadata["files"].value == 0
    for x in u:  # the same bytes again: duplicates, and they leave the inbox too
        write_return(tmp_path / "inbox" / f"again-{x}.xlsx", world.returns[(x, "2020Q1")])
    again = dg.materialize([raw_returns], resources={"liangxin": res})
    assert again.asset_materializations_for_node("raw_returns")[0].metadata["outcome_duplicate"].value == 2
    assert list((tmp_path / "inbox").iterdir()) == []
    assert len(list((tmp_path / "outbox" / "duplicate").glob("*_重复报送.txt"))) == 2


def test_dbt_assets_parse_the_project_when_needed_and_wire_downstream_of_raw_returns(tmp_path, monkeypatch):
    from liangxin import paths
    from liangxin.defs.dbt import dbt_definitions

    monkeypatch.setattr(paths, "DBT_PROJECT_DIR", tmp_path / "nothing")
    assert not list(dbt_definitions(Settings.from_env()).assets or [])  # no dbt project: no dbt assets
    monkeypatch.setenv("LIANGXIN_DISABLE_DBT_ASSETS", "1")
    monkeypatch.setattr(paths, "DBT_PROJECT_DIR", PROJECT_ROOT / "dbt_project")
    assert not list(dbt_definitions(Settings.from_env()).assets or [])  # switched off explicitly
    monkeypatch.delenv("LIANGXIN_DISABLE_DBT_ASSETS")

    # a copy of the project WITHOUT target/: loading the definitions runs `dbt parse` itself (the known
    # dagster-dbt pitfall of definitions that do not load outside `dagster dev`)
    shutil.copytree(
        PROJECT_ROOT / "dbt_project",
        tmp_path / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    shutil.copytree(PROJECT_ROOT / "seeds", tmp_path / "seeds")
    monkeypatch.setenv("LIANGXIN_DUCKDB", str(tmp_path / "x.duckdb"))
    monkeypatch.setattr(paths, "DBT_PROJECT_DIR", tmp_path / "dbt_project")
    from liangxin.defs import build_definitions

    assert not (tmp_path / "dbt_project" / "target" / "manifest.json").exists()

    graph = build_definitions(Settings.from_env()).resolve_asset_graph()
    children = {k.to_user_string() for k in graph.get(dg.AssetKey("raw_returns")).child_keys}
    assert "raw/submissions" in children
    # the DuckDB dbt assets (the spark group's build reads the Parquet raw layer, not the build database)
    dbt_keys = [
        k for k in graph.materializable_asset_keys if graph.get(k).group_name not in ("ingestion", "publish", "spark")
    ]
    assert dbt_keys
    assert all(graph.get(k).pools == {DUCKDB_POOL} for k in dbt_keys)
    assert (tmp_path / "dbt_project" / "target" / "manifest.json").exists()


def test_sigterm_is_given_back_after_dagsters_interrupt_handling():
    """D223: Dagster's interrupt handling leaves SIGTERM with SIGINT's original disposition, which is 'ignored' in a
    process a shell started in the background; ``pipeline.sigterm_kept`` (around every in-process run) restores it."""
    import signal

    from dagster._utils.interrupts import capture_interrupts

    from liangxin.pipeline import sigterm_kept

    old_int, old_term = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background start
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with capture_interrupts():
            pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # the mechanism, without the fix
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with sigterm_kept():
            with capture_interrupts():
                pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
