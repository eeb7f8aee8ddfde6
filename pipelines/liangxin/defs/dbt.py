"""Hook for the dbt assets (owned by the dbt work; wired by the lead).

``dbt_definitions()`` returns an empty ``Definitions`` while ``dbt_project/target/manifest.json`` does not
exist (run ``dbt parse`` or ``dagster-dbt project prepare-and-package`` first).  When it exists, the dbt
models become assets downstream of ``raw_returns`` and run in the same ``duckdb_writer`` pool as ingestion.

Lineage: dagster-dbt requires one asset key per dbt source, so each source table ``raw.<t>`` is keyed
``raw/<t>`` and declared here as an (external) ``AssetSpec`` that depends on ``raw_returns``:
``raw_returns`` → ``raw/<t>`` → ``stg_returns__*`` → … (``raw_returns`` is what writes those tables).
"""


import os
from pathlib import Path
from typing import Any, Mapping

import dagster as dg

from liangxin import paths
from liangxin.defs.resources import DUCKDB_POOL

RAW_ASSET_KEY = dg.AssetKey("raw_returns")


def manifest_path() -> Path:
    return paths.DBT_PROJECT_DIR / "target" / "manifest.json"


def _dbt_executable() -> str:
    """``dbt`` of this virtualenv when PATH does not hold it (e.g. /venv/bin/python -m ...)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "dbt"
    return "dbt" if shutil.which("dbt") or not beside.exists() else str(beside)


def dbt_definitions() -> dg.Definitions:
    manifest = manifest_path()
    if not manifest.exists() or os.environ.get("LIANGXIN_DISABLE_DBT_ASSETS") == "1":
        return dg.Definitions()

    from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

    class Translator(DagsterDbtTranslator):
        def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
            if dbt_resource_props.get("resource_type") == "source" and dbt_resource_props.get("schema") == "raw":
                return dg.AssetKey(["raw", dbt_resource_props["name"]])
            return super().get_asset_key(dbt_resource_props)

    project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)

    @dbt_assets(manifest=manifest, project=project, dagster_dbt_translator=Translator(), pool=DUCKDB_POOL)
    def liangxin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        from liangxin.ingest import writer_lock

        with writer_lock(paths.build_db()):  # the same cross-process lock as the CLI ingest
            yield from dbt.cli(["build"], context=context).stream()

    import json

    sources = json.loads(manifest.read_text(encoding="utf-8")).get("sources", {}).values()
    raw_tables = sorted({s["name"] for s in sources if s.get("schema") == "raw"})
    raw_specs = [
        dg.AssetSpec(key=dg.AssetKey(["raw", t]), deps=[RAW_ASSET_KEY], group_name="ingestion",
                     description=f"raw.{t}（由 raw_returns 写入）", kinds={"duckdb"})
        for t in raw_tables
    ]
    return dg.Definitions(assets=[*raw_specs, liangxin_dbt], resources={"dbt": DbtCliResource(project_dir=project, dbt_executable=_dbt_executable())})
