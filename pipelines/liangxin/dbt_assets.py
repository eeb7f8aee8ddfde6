"""dbt inside Dagster: the warehouse models as assets downstream of ingestion, tests as asset checks.

- One ``@dbt_assets`` definition over the whole project, in the ``duckdb_writer`` pool (the same pool as
  ingestion), with ``BackfillPolicy.single_run()``; dbt tests become asset checks (error severity blocks).
- The dbt sources ``raw.*`` all map to the ingestion asset ``raw_returns``, so one materialisation goes
  from inbox to marts.
- The build holds the cross-process writer lock (``serving.writer_lock``) so a manual ``liangxin ingest``
  and a build never collide on the DuckDB file.
- The manifest is (re)parsed when missing or older than the project files, so definitions load outside
  ``dagster dev`` too (the known dagster-dbt pitfall).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from liangxin import paths

RAW_ASSET_KEY = AssetKey("raw_returns")
WRITER_POOL = "duckdb_writer"


def dbt_executable() -> str:
    """dbt from the same environment as this Python (the venv's bin/), else from PATH."""
    here = Path(sys.executable).parent / "dbt"
    if here.exists():
        return str(here)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("找不到 dbt 命令 / dbt is not installed in this environment")
    return found


def dbt_env(db_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["LIANGXIN_DUCKDB"] = str(Path(db_path or paths.build_db()).resolve())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env["DO_NOT_TRACK"] = "1"
    return env


def _project_files(project_dir: Path):
    yield project_dir / "dbt_project.yml"
    for sub in ("models", "macros", "tests"):
        yield from (project_dir / sub).rglob("*")
    yield from paths.SEEDS_DIR.glob("*.csv")


def ensure_manifest(project_dir: Path = paths.DBT_PROJECT_DIR) -> Path:
    """Run ``dbt parse`` when target/manifest.json is missing or older than any project file."""
    manifest = project_dir / "target" / "manifest.json"
    if manifest.exists():
        mtime = manifest.stat().st_mtime
        if all(p.stat().st_mtime <= mtime for p in _project_files(project_dir) if p.is_file()):
            return manifest
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        check=True, env=dbt_env(), cwd=project_dir, capture_output=True, text=True,
    )
    return manifest


DBT_PROJECT = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)


class LiangxinTranslator(DagsterDbtTranslator):
    """raw.* sources → the ingestion asset; models keyed by name, grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            return RAW_ASSET_KEY
        return AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "warehouse"


TRANSLATOR = LiangxinTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
)


def build_dbt_assets():
    """The @dbt_assets definition (call after the manifest exists)."""
    manifest = ensure_manifest()

    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        backfill_policy=BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        name="liangxin_dbt",
    )
    def liangxin_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        from liangxin.serving import writer_lock
        from liangxin.warehouse import connect, ensure_schema

        os.environ.update(dbt_env())
        with writer_lock():
            con = connect()
            try:
                ensure_schema(con)  # sources exist even before the first return is loaded
            finally:
                con.close()
            yield from dbt.cli(["build"], context=context).stream()

    return liangxin_dbt


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(paths.DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())
