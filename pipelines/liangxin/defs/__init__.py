"""The Dagster code location, one module per concern (dagster-open-platform style).

- ``resources``: ``LiangxinPaths`` (locations from env vars) and the ``duckdb_writer`` pool name;
- ``partitions``: quarterly ``YYYYQn`` partitions;
- ``ingestion``: ``inbox_sensor`` → ``ingest_job`` → ``raw_returns`` (+ rule-hit asset checks),
  ``period_submissions`` (per quarter);
- ``dbt``: the hook where the dbt assets plug in downstream of ``raw_returns`` (empty until a manifest exists).
"""

from __future__ import annotations

import dagster as dg


def build_definitions() -> dg.Definitions:
    from liangxin.defs.dbt import dbt_definitions
    from liangxin.defs.ingestion import inbox_sensor, ingest_job, period_submissions, raw_returns
    from liangxin.defs.resources import LiangxinPaths

    core = dg.Definitions(
        assets=[raw_returns, period_submissions],
        jobs=[ingest_job],
        sensors=[inbox_sensor],
        resources={"liangxin": LiangxinPaths()},
    )
    return dg.Definitions.merge(core, dbt_definitions())
