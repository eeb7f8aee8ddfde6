"""The command line's way into the Dagster definitions: the same jobs the UI and the sensors run, in-process.

- :func:`ingest_through_dagster` runs ``ingest_job`` (the ``raw_returns`` asset) on files or folders;
- :func:`build_and_publish` runs ``build_and_publish_job`` (dbt build, serving snapshot, dashboard, annual
  returns, Superset when configured), skipped when nothing changed since the last successful build.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rich.console import Console

from liangxin import paths

console = Console()


class PipelineError(RuntimeError):
    pass


def _defs():
    from liangxin.definitions import defs

    return defs


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the CLI shows its own progress


def ingest_through_dagster(targets: list[Path], instance=None, progress: bool = False):
    job = _defs().resolve_job_def("ingest_job")
    result = job.execute_in_process(
        run_config={"ops": {"raw_returns": {"config": {"paths": [str(p) for p in targets], "progress": progress}}},
                    **QUIET},
        instance=instance,
        raise_on_error=False,
    )
    if not result.success:
        raise PipelineError("接收作业失败 / the ingestion job failed: see the Dagster run log above")
    return result


def build_fingerprint() -> dict:
    """What the build depends on: the accepted submissions, the dbt project files, the seeds and the register."""
    import duckdb

    from liangxin.defs.dbt import project_files

    from liangxin.defs.dbt import register_files

    h = hashlib.sha256()
    for p in sorted(project_files()):
        if p.is_file() and "target" not in p.parts:
            h.update(str(p.relative_to(paths.PROJECT_ROOT)).encode())
            h.update(p.read_bytes())
    for p in register_files():  # the city/province register (LIANGXIN_REGISTER) is an input of the build too
        h.update(str(p).encode())
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    subs: list = []
    db = paths.build_db()
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            subs = con.execute("select count(*), max(received_at)::varchar from raw.submissions").fetchall()
        except duckdb.Error:
            subs = []
        finally:
            con.close()
    return {"project": h.hexdigest(), "submissions": [list(r) for r in subs]}


def _state_file() -> Path:
    return paths.home() / "build_state.json"


def build_and_publish(instance=None, force: bool = False, years: list[int] | None = None) -> dict:
    from liangxin import privacy, warehouse

    try:  # a secret that does not match the warehouse's keys stops the build (issue 19; liangxin rekey)
        warehouse.check_secret_for(paths.build_db())
    except privacy.SecretConfigurationError as exc:
        raise PipelineError(str(exc)) from exc
    fp = build_fingerprint()
    state = _state_file()
    dashboard = paths.build_dir() / "dashboard" / "index.html"
    if (not force and state.exists() and json.loads(state.read_text(encoding="utf-8")).get("fingerprint") == fp
            and paths.serve_db().exists() and dashboard.exists()):
        prev = json.loads(state.read_text(encoding="utf-8"))
        return {**prev.get("outputs", {}), "note": "无新报表，跳过构建 / nothing changed, build skipped"}

    job = _defs().resolve_job_def("build_and_publish_job")
    with console.status("dbt build 与发布 / building the warehouse and publishing …"):
        result = job.execute_in_process(
            run_config={"ops": {"annual_returns": {"config": {"years": list(years or [])}}}, **QUIET},
            instance=instance,
            raise_on_error=False,
        )
    if not result.success:
        raise PipelineError("构建作业失败 / the build job failed: see the Dagster run log above")
    # guard against the known dagster-dbt regression where downstream assets are silently skipped
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
                    if e.asset_key is not None}
    for key in ("fct_indicators", "serve_snapshot", "static_dashboard", "annual_returns"):
        if key not in materialized:
            raise PipelineError(f"资产 {key} 未物化 / asset {key} was not materialised")
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [ev.asset_check_key.name for ev in evaluations if not ev.passed]
    if failed:
        raise PipelineError(f"数据测试未通过 / data tests failed: {', '.join(sorted(failed))}")
    from liangxin.serving import connect_readonly

    con = connect_readonly()
    try:
        n = con.execute("select count(*) from marts.fct_indicators").fetchone()[0]
    finally:
        con.close()
    annual = {}
    for y in sorted(p.stem for p in (paths.build_dir() / "annual").glob("*.xlsx")):
        annual[y] = str(paths.build_dir() / "annual" / f"{y}.xlsx")
    outputs = {"dashboard": str(dashboard), "annual": annual, "indicator_values": n,
               "asset_checks_passed": len(evaluations), "assets_materialized": len(materialized)}
    state.write_text(json.dumps({"fingerprint": build_fingerprint(), "outputs": outputs}, ensure_ascii=False),
                     encoding="utf-8")
    return {**outputs, "note": f"dbt build 完成，发布 {len(annual)} 份年报"}
