"""The Dagster code location, one module per concern (dagster-open-platform style).

- ``resources``: ``LiangxinPaths`` (the :class:`~liangxin.settings.Settings` of the edge) and the ``duckdb_writer``
  pool name;
- ``partitions``: quarterly ``YYYYQn`` partitions;
- ``ingestion``: ``inbox_sensor`` → ``ingest_job`` → ``raw_returns`` (+ rule-hit asset checks),
  ``period_submissions`` (per quarter);
- ``dbt``: the dbt models downstream of ``raw_returns``, dbt tests as asset checks;
- publishing (``liangxin.publish_assets``): ``serve_snapshot`` → ``static_dashboard``, ``annual_returns``,
  ``superset_dashboards``;
- ``build_and_publish_job`` (dbt build + publishing) and ``rebuild_after_ingest`` (a run-status sensor that
  starts it after every successful ingestion run; a run key per ingestion run, so one rebuild each).
"""

from __future__ import annotations

import dagster as dg

from liangxin.settings import Settings

BUILD_JOB = "build_and_publish_job"


def build_definitions(settings: Settings) -> dg.Definitions:
    """The definitions for ``settings`` (built by the caller, the edge: ``liangxin.definitions`` or the CLI)."""
    from liangxin.defs.dbt import dbt_definitions
    from liangxin.defs.ingestion import NEW_SUBMISSIONS_TAG, inbox_sensor, ingest_job, period_submissions, raw_returns
    from liangxin.defs.progress import progress_hook
    from liangxin.defs.resources import LiangxinPaths
    from liangxin.publish_assets import build_publish_assets

    dbt_defs = dbt_definitions(settings)
    dbt_assets = [a for a in (dbt_defs.assets or []) if isinstance(a, dg.AssetsDefinition)]
    marts = [k for a in dbt_assets for k in a.keys if a.group_names_by_key.get(k) in ("marts", "annual")]
    publish = build_publish_assets(marts)
    build_selection = (
        dg.AssetSelection.assets(*dbt_assets, *publish) if dbt_assets else dg.AssetSelection.assets(*publish)
    )
    build_job = dg.define_asset_job(
        BUILD_JOB,
        selection=build_selection,
        description="dbt build（模型与测试，按报告期增量）→ 服务快照 → 静态驾驶舱、统计年报、Superset（如已配置）。",
        hooks={progress_hook},  # the CLI's progress display (a no-op elsewhere)
    )

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[ingest_job],
        request_job=build_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="每次接收成功后重新构建并发布。",
    )
    def rebuild_after_ingest(context: dg.RunStatusSensorContext):
        # an ingestion that loaded nothing new (only duplicates, D121) changes nothing: no rebuild
        if context.dagster_run.tags.get(NEW_SUBMISSIONS_TAG) == "0":
            return dg.SkipReason("本次接收无新报表（均为重复报送），不重新构建")
        return dg.RunRequest(run_key=f"rebuild-after-{context.dagster_run.run_id}")

    core = dg.Definitions(
        assets=[raw_returns, period_submissions, *publish],
        jobs=[ingest_job, build_job],
        sensors=[inbox_sensor, rebuild_after_ingest],
        resources={"liangxin": LiangxinPaths(settings)},
    )
    from liangxin.defs.raw_files import raw_files_definitions  # issue 18: Parquet raw layer, spark target resource

    return dg.Definitions.merge(core, dbt_defs, raw_files_definitions())
