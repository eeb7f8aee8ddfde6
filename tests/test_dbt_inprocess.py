"""dbt in the build's own process (D219): the warm parse is reused only for the same project state."""

from __future__ import annotations

import json

import pytest

from liangxin import paths
from liangxin.defs import dbt as dbt_defs
from liangxin.defs import dbt_inprocess


@pytest.fixture
def parse_args(tmp_path):
    db = tmp_path / "build.duckdb"
    target = tmp_path / "dbt-target"
    return (
        db,
        dbt_inprocess.common_args(
            paths.DBT_PROJECT_DIR,
            dbt_defs.write_profile(db),
            target,
            tmp_path / "logs",
            json.dumps({"liangxin_register": "", "liangxin_development_quotas": ""}),
        ),
    )


def test_the_parse_is_kept_for_the_same_key_and_replaced_for_another(parse_args, tmp_path):
    db, args = parse_args
    dbt_inprocess.forget_manifests()
    key = ("project", "profile", "target", "vars", "digest-1")
    with dbt_inprocess._RUN_LOCK:
        first = dbt_inprocess.warm_manifest(key, args)
        again = dbt_inprocess.warm_manifest(key, args)
        other = dbt_inprocess.warm_manifest((*key[:4], "digest-2"), args)
    assert first is not None and "model.liangxin.fct_indicators" in first.nodes
    assert again is first  # not parsed again
    assert other is not first  # a changed project (another digest) is parsed anew
    assert list(dbt_inprocess._MANIFESTS) == [(*key[:4], "digest-2")]  # one warm project per process
    assert (tmp_path / "logs" / "dbt.log").exists()  # dbt's debug log as for a child process
    dbt_inprocess.forget_manifests()


def test_a_failed_parse_is_not_kept(parse_args, tmp_path):
    _db, args = parse_args
    dbt_inprocess.forget_manifests()
    bad = [a if a != str(paths.DBT_PROJECT_DIR) else str(tmp_path / "no-project") for a in args]
    with dbt_inprocess._RUN_LOCK:
        assert dbt_inprocess.warm_manifest(("k",), bad) is None
    assert dbt_inprocess._MANIFESTS == {}


def test_the_build_profile_limits_duckdbs_memory(tmp_path):
    """The dbt build's DuckDB has a memory limit (D220: a province build peaked at 4.2 GB without one) and dbt-duckdb
    applies it: DuckDB itself reports the limit of the profile (512MB = 488.2 MiB); 'default' leaves DuckDB's own."""
    from dbt.cli.main import dbtRunner

    from liangxin.settings import Settings

    db = tmp_path / "build.duckdb"
    assert Settings.from_values({}).duckdb_memory_limit == "1GB"
    assert "memory_limit" not in dbt_defs.profile_text(db, memory_limit="default")
    args = dbt_inprocess.common_args(
        paths.DBT_PROJECT_DIR,
        dbt_defs.write_profile(db, memory_limit="512MB"),
        tmp_path / "dbt-target",
        tmp_path / "logs",
        json.dumps({"liangxin_register": "", "liangxin_development_quotas": ""}),
    )
    dbt_inprocess.forget_manifests()
    with dbt_inprocess._RUN_LOCK:
        manifest = dbt_inprocess.warm_manifest(("memory-limit",), args)
        try:
            res = dbtRunner(manifest=manifest).invoke(
                ["show", *args, "--inline", "select current_setting('memory_limit') as m"]
            )
        finally:
            dbt_inprocess.release_duckdb()
    assert res.success, res.exception
    assert res.result.results[0].agate_table.rows[0][0] == "488.2 MiB"
