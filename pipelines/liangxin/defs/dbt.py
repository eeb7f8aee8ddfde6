"""dbt inside Dagster: the warehouse models as assets downstream of ingestion, dbt tests as asset checks.

- One ``@dbt_assets`` definition over the whole project, in the ``duckdb_writer`` pool (the same pool as
  ingestion) with ``BackfillPolicy.single_run()``; dbt tests become asset checks (error severity blocks).
- Lineage: dagster-dbt wants one asset key per dbt source, so each source table ``raw.<t>`` is keyed
  ``raw/<t>`` and declared as an ``AssetSpec`` that depends on ``raw_returns`` (which writes those tables):
  ``raw_returns`` → ``raw/<t>`` → ``stg_returns__*`` → … → marts → annual.
- The build holds the cross-process writer lock (``ingest.writer_lock``) so a manual ``liangxin ingest`` and a
  build never collide on the DuckDB file, and it passes ``LIANGXIN_DUCKDB`` explicitly so dbt writes the same
  file as ingestion whatever the current directory.
- The manifest is (re)parsed when missing or older than the project files, so the definitions load outside
  ``dagster dev`` too (the known dagster-dbt pitfall). ``LIANGXIN_DISABLE_DBT_ASSETS=1`` leaves dbt out.
- The city/province register (``LIANGXIN_REGISTER``, ``LIANGXIN_DEVELOPMENT_QUOTAS``) reaches dbt as absolute
  paths (``dbt_env``); the ``models/ref`` models read it (decisions D55).
- Each build database has its own dbt target folder (``dbt-target/`` beside it) so partial parsing works, and
  ``LiangxinDbtCliResource`` skips two per-run start-up costs of dagster-dbt (decisions D56).
- dbt is started through ``dbt_child.py`` (its own process group, SIGTERM when its parent dies, D124); its event
  lines go to ``$LIANGXIN_HOME/logs/dbt-build.log`` and its debug log to ``$LIANGXIN_HOME/logs/dbt.log``, never to
  the terminal; the CLI shows nodes done / total instead (``defs/progress.py``, D120).
"""


import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from liangxin import paths
from liangxin.defs.resources import DUCKDB_POOL

RAW_ASSET_KEY = dg.AssetKey("raw_returns")


class LiangxinDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two start-up costs that every build paid before dbt even started (D56):

    - ``_cli_version`` ran ``dbt --version`` in a subprocess (≈ 2 s on this machine) on each run; the dbt beside
      this interpreter is the installed ``dbt-core`` package, whose version is read from its metadata;
    - ``_initialize_dbt_core_adapter`` loaded the project, the profile and the adapter in this process (≈ 2–3 s)
      only to give dagster-dbt a handle for optional column / row-count metadata, which these assets never fetch.
    """

    @cached_property
    def _cli_version(self):
        if Path(self.dbt_executable) == CHILD or Path(self.dbt_executable).parent == Path(sys.executable).parent:
            from importlib.metadata import version as dist_version

            from packaging import version

            return version.parse(dist_version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 — no in-process adapter needed
        return None


CHILD = Path(__file__).with_name("dbt_child.py")


def cli_executable() -> str:
    """What dagster-dbt starts: ``dbt_child.py`` (which execs the real dbt from ``$LIANGXIN_DBT_REAL``), or the real
    dbt when the wrapper is not executable here (e.g. a non-editable install that dropped the mode bits)."""
    if CHILD.exists() and os.access(CHILD, os.X_OK) and shutil.which("python3"):
        return str(CHILD)
    return dbt_executable()


def manifest_path() -> Path:
    return paths.DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_executable() -> str:
    """dbt from the same environment as this Python (the venv's bin/), else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("找不到 dbt 命令 / dbt is not installed in this environment")
    return found


REGISTER_VARS = ("LIANGXIN_REGISTER", "LIANGXIN_DEVELOPMENT_QUOTAS")


def register_files() -> list[Path]:
    """The city/province register files dbt reads besides the seeds (``models/ref``, decisions D55):
    ``LIANGXIN_REGISTER`` and its quotas (``LIANGXIN_DEVELOPMENT_QUOTAS``, else ``development_quotas.csv`` beside
    the register) — absolute paths, only those that are set / exist."""
    out = []
    register = os.environ.get("LIANGXIN_REGISTER", "").strip()
    if register:
        out.append(Path(register).resolve())
    quotas = os.environ.get("LIANGXIN_DEVELOPMENT_QUOTAS", "").strip()
    if quotas:
        out.append(Path(quotas).resolve())
    elif register and (Path(register).resolve().parent / "development_quotas.csv").exists():
        out.append(Path(register).resolve().parent / "development_quotas.csv")
    return out


def dbt_env(db_path: Path | None = None) -> dict[str, str]:
    """The environment of every dbt process: the build database and the register as absolute paths (dbt runs
    with the project folder as its working directory, so a relative path would point elsewhere)."""
    env = dict(os.environ)
    env["LIANGXIN_DUCKDB"] = str(Path(db_path or paths.build_db()).resolve())
    for var in REGISTER_VARS:
        if env.get(var, "").strip():
            env[var] = str(Path(env[var].strip()).resolve())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env["DO_NOT_TRACK"] = "1"
    env["LIANGXIN_DBT_REAL"] = dbt_executable()  # what dbt_child.py execs
    return env


def dbt_target_dir(db_path: Path | None = None) -> Path:
    """The dbt target folder of one build database: ``dbt-target/`` beside it (decisions D56).

    dagster-dbt would use a fresh folder per run, seeded with the project's ``target/partial_parse.msgpack``; but
    dbt discards a partial parse made for another profile (the database path is part of it), and the project's
    copy is written by whichever home parsed last (tests, benchmarks, another district), so every build re-parsed
    the whole project (≈ 4 s).  Builds of one database are serialised by the writer lock, so one stable folder per
    database is safe, and its ``partial_parse.msgpack`` always matches that database's profile.
    """
    return Path(db_path or paths.build_db()).resolve().parent / "dbt-target"


def seed_partial_parse(target: Path) -> None:
    """Start a new target folder from the project's partial parse (dbt checks that it still applies)."""
    src = paths.DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    dst = target / "partial_parse.msgpack"
    if src.exists() and not dst.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def project_files(project_dir: Path | None = None):
    """Every file the dbt build depends on (models, macros, tests, seeds, project and profile)."""
    project_dir = Path(project_dir or paths.DBT_PROJECT_DIR)
    yield project_dir / "dbt_project.yml"
    yield project_dir / "profiles.yml"
    for sub in ("models", "macros", "tests"):
        if (project_dir / sub).exists():
            yield from (p for p in (project_dir / sub).rglob("*") if p.is_file())
    yield from paths.SEEDS_DIR.glob("*.csv")


def ensure_manifest(project_dir: Path | None = None) -> Path:
    """Run ``dbt parse`` when target/manifest.json is missing or older than any project file."""
    project_dir = Path(project_dir or paths.DBT_PROJECT_DIR)
    manifest = project_dir / "target" / "manifest.json"
    if manifest.exists():
        mtime = manifest.stat().st_mtime
        if all(p.stat().st_mtime <= mtime for p in project_files(project_dir) if p.exists()):
            return manifest
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        env=dbt_env(), cwd=project_dir, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return manifest


def dbt_definitions() -> dg.Definitions:
    if os.environ.get("LIANGXIN_DISABLE_DBT_ASSETS") == "1" or not (paths.DBT_PROJECT_DIR / "dbt_project.yml").exists():
        return dg.Definitions()
    manifest = ensure_manifest()

    class Translator(DagsterDbtTranslator):
        def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
            if dbt_resource_props.get("resource_type") == "source" and dbt_resource_props.get("schema") == "raw":
                return dg.AssetKey(["raw", dbt_resource_props["name"]])
            if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
                return dg.AssetKey([dbt_resource_props["name"]])
            return super().get_asset_key(dbt_resource_props)

        def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
            if dbt_resource_props.get("resource_type") == "seed":
                return "reference"
            fqn = dbt_resource_props.get("fqn") or []
            return fqn[1] if len(fqn) > 2 else "warehouse"

    project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)

    @dbt_assets(manifest=manifest, project=project,
                dagster_dbt_translator=Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
                backfill_policy=dg.BackfillPolicy.single_run(), pool=DUCKDB_POOL, name="liangxin_dbt")
    def liangxin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        from liangxin.defs import progress
        from liangxin.ingest import writer_lock
        from liangxin.warehouse import connect, ensure_schema

        # dbt and ingestion must write the same file; set for the dbt child only and restored afterwards, so that
        # LIANGXIN_DUCKDB does not leak into this process (a later run with another LIANGXIN_HOME would build here)
        env = dbt_env()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with writer_lock(paths.build_db()):  # the same cross-process lock as the CLI ingest
                con = connect(paths.build_db())
                try:
                    ensure_schema(con)  # the raw sources exist even before the first return arrives
                finally:
                    con.close()
                target = dbt_target_dir()
                seed_partial_parse(target)
                events_log, _debug_log = progress.dbt_log_paths()
                events_log.parent.mkdir(parents=True, exist_ok=True)
                prog = progress.current()
                if prog is not None:
                    prog.dbt_start(n_nodes)
                context.log.info(f"dbt 日志 / dbt log: {events_log}")
                with open(events_log, "w", encoding="utf-8") as fh:
                    # dagster-dbt re-prints every dbt event on sys.stdout: into the log file, not the terminal
                    # (redirected only while the next event is read, never across a yield)
                    events = iter(dbt.cli(["build", "--log-path", str(events_log.parent)], context=context,
                                          target_path=target).stream())
                    while True:
                        with contextlib.redirect_stdout(fh):
                            try:
                                event = next(events)
                            except StopIteration:
                                break
                        if prog is not None:
                            prog.dbt_node(_event_node(event))
                        yield event
                if prog is not None:
                    prog.dbt_done()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    manifest_json = json.loads(manifest.read_text(encoding="utf-8"))
    n_nodes = sum(1 for n in manifest_json.get("nodes", {}).values()
                  if n.get("resource_type") in ("model", "seed", "snapshot", "test")
                  and (n.get("config") or {}).get("enabled", True))
    sources = manifest_json.get("sources", {}).values()
    raw_tables = sorted({s["name"] for s in sources if s.get("schema") == "raw"})
    raw_specs = [
        dg.AssetSpec(key=dg.AssetKey(["raw", t]), deps=[RAW_ASSET_KEY], group_name="ingestion",
                     description=f"raw.{t}（由 raw_returns 写入）", kinds={"duckdb"})
        for t in raw_tables
    ]
    return dg.Definitions(
        assets=[*raw_specs, liangxin_dbt],
        resources={"dbt": LiangxinDbtCliResource(project_dir=project, profiles_dir=str(paths.DBT_PROJECT_DIR),
                                                 dbt_executable=cli_executable())},
    )


def _event_node(event) -> str:
    """The dbt node a Dagster event of the dbt asset is about (model, seed or test), for the progress line."""
    for attr in ("output_name", "check_name"):
        name = getattr(event, attr, None)
        if name:
            return str(name)
    key = getattr(event, "asset_key", None)
    return key.to_user_string() if key is not None else type(event).__name__
