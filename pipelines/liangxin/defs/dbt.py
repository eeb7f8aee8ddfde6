"""dbt inside Dagster: the warehouse models as assets downstream of ingestion, dbt tests as asset checks.

- One ``@dbt_assets`` definition over the whole project, in the ``duckdb_writer`` pool (the same pool as
  ingestion) with ``BackfillPolicy.single_run()``; dbt tests become asset checks (error severity blocks).
- Lineage: dagster-dbt wants one asset key per dbt source, so each source table ``raw.<t>`` is keyed
  ``raw/<t>`` and declared as an ``AssetSpec`` that depends on ``raw_returns`` (which writes those tables):
  ``raw_returns`` → ``raw/<t>`` → ``stg_returns__*`` → … → marts → annual.
- The build holds the cross-process writer lock (``ingest.writer_lock``) so a manual ``liangxin ingest`` and a
  build never collide on the DuckDB file.
- Configuration comes from the :class:`~liangxin.settings.Settings` given to :func:`dbt_definitions` (issue 16,
  D151): dbt gets its own ``profiles.yml`` per build database (:func:`write_profile`: the absolute DuckDB path and
  the threads, in ``dbt-profile/`` beside the database, 0600) through ``--profiles-dir`` / dagster-dbt's
  ``DbtProject(profiles_dir=…)``; the city/province register (D55) reaches the ``models/ref`` models as dbt vars
  (:func:`dbt_vars`).  This process's environment is never changed, so two builds of two databases in one
  process cannot see each other's settings.
- The manifest is (re)parsed when missing or older than the project files, so the definitions load outside
  ``dagster dev`` too (the known dagster-dbt pitfall). ``LIANGXIN_DISABLE_DBT_ASSETS=1`` leaves dbt out.
- Each build database has its own dbt target folder (``dbt-target/`` beside it) so partial parsing works, and
  ``LiangxinDbtCliResource`` skips two per-run start-up costs of dagster-dbt (decisions D56).
- dbt is started through ``dbt_child.py`` (its own process group, SIGTERM when its parent dies, D124), which gets
  the real dbt as its first argument; its event lines go to ``<home>/logs/dbt-build.log`` and its debug log to
  ``<home>/logs/dbt.log``, never to the terminal; the CLI shows nodes done / total instead (``defs/progress.py``,
  D120).
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
import yaml
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from liangxin import paths
from liangxin.defs.resources import DUCKDB_POOL
from liangxin.settings import DUCKDB_MEMORY_LIMIT, Settings, child_env

DBT_THREADS = os.cpu_count() or 2  # the threads of the build's dbt profile: one per core (issue 17)
PROFILE_NAME = "liangxin"  # dbt_project.yml's profile

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
    """What dagster-dbt starts: ``dbt_child.py`` (which execs the real dbt named by its first argument, see
    :func:`cli_flags`), or the real dbt when the wrapper is not executable here (e.g. a non-editable install that
    dropped the mode bits)."""
    if CHILD.exists() and os.access(CHILD, os.X_OK) and shutil.which("python3"):
        return str(CHILD)
    return dbt_executable()


def cli_flags(executable: str) -> list[str]:
    """dagster-dbt's ``global_config_flags`` for ``executable``: the real dbt first when it is ``dbt_child.py``
    (dagster-dbt starts ``[executable, *global_config_flags, *args]``; the child execs ``argv[1]``)."""
    return [dbt_executable()] if Path(executable) == CHILD else []


def dbt_executable() -> str:
    """dbt from the same environment as this Python (the venv's bin/), else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("找不到 dbt 命令 / dbt is not installed in this environment")
    return found


def register_files(settings: Settings) -> list[Path]:
    """The city/province register files dbt reads besides the seeds (``models/ref``, decisions D55)."""
    return settings.register_files()


# an incremental build leaves out the nodes whose inputs are all in the reference digest (the seeds, the models of
# models/ref over the seeds and the register, and the tests on those alone): the digest is unchanged, so are they.
# "cautious": a test that also reads a rebuilt model (e.g. a code-list check of new rows) still runs (D214)
REFERENCE_UNCHANGED_ARGS = ["--exclude", "resource_type:seed path:models/ref", "--indirect-selection", "cautious"]


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build asset."""

    full_refresh: bool = False  # recompute every report period (``dbt build --full-refresh``), D211


def reference_digest(settings: Settings) -> str:
    """The digest of what the incremental models assume unchanged between builds: the dbt project's files (models,
    macros, tests, seeds) and the register (D211).  When it changes, the next build is full."""
    from liangxin.partitions import reference_digest as digest

    files = [p for p in project_files() if "target" not in p.parts]
    return digest([*files, *register_files(settings)])


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The dbt vars of a build: the register and its quotas as absolute paths ('' when not set), D55/D151."""
    return {
        "liangxin_register": str(settings.register_csv or ""),
        "liangxin_development_quotas": str(settings.development_quotas or ""),
    }


def vars_args(settings: Settings) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(settings), ensure_ascii=False)]


def profile_dir(db_path: Path) -> Path:
    """The folder of the dbt profile of one build database: ``dbt-profile/<database file name>/`` beside it."""
    db = Path(db_path).resolve()
    return db.parent / "dbt-profile" / db.name


def profile_text(db_path: Path, threads: int = DBT_THREADS, memory_limit: str = DUCKDB_MEMORY_LIMIT) -> str:
    output: dict[str, Any] = {"type": "duckdb", "path": str(Path(db_path).resolve()), "threads": threads}
    if memory_limit and memory_limit.strip().lower() != "default":
        # DuckDB spills what does not fit to <database>.tmp/ (its default temp folder) instead of growing (D220)
        output["settings"] = {"memory_limit": memory_limit.strip()}
    return yaml.safe_dump(
        {PROFILE_NAME: {"target": "duckdb", "outputs": {"duckdb": output}}},
        allow_unicode=True,
        sort_keys=False,
    )


def write_profile(db_path: Path, threads: int = DBT_THREADS, memory_limit: str = DUCKDB_MEMORY_LIMIT) -> Path:
    """Write the dbt ``profiles.yml`` of one build database (folder 0700, file 0600); returns its folder.

    ``memory_limit``: DuckDB's ``memory_limit`` for the build (``Settings.duckdb_memory_limit``; ``default`` leaves
    DuckDB's own).  Rewritten only when its content changes (dbt's partial parse keys on the profile), atomically (a
    concurrent reader sees the old or the new file, never a half-written one)."""
    folder = profile_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True, mode=paths.PRIVATE_DIR)
    paths.make_private(folder)
    target = folder / "profiles.yml"
    text = profile_text(db_path, threads, memory_limit)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        tmp = folder / f".profiles.yml.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, paths.PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    paths.make_private(target)
    return folder


def dbt_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a dbt child started with ``subprocess`` (this process's, plus no tracking); the
    database and the register reach dbt through ``--profiles-dir`` and ``--vars``, not through it."""
    env = child_env({"DO_NOT_TRACK": "1", **(extra or {})})
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def dbt_command_args(settings: Settings, db_path: Path | None = None) -> list[str]:
    """``--project-dir``, ``--profiles-dir`` (the database's own profile, written now) and ``--vars`` of a dbt
    command run for ``settings`` (the build database, or ``db_path``)."""
    db = Path(db_path or settings.duckdb)
    return [
        "--project-dir",
        str(paths.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(write_profile(db, memory_limit=settings.duckdb_memory_limit)),
        *vars_args(settings),
    ]


def dbt_target_dir(db_path: Path) -> Path:
    """The dbt target folder of one build database: ``dbt-target/`` beside it (decisions D56).

    dagster-dbt would use a fresh folder per run, seeded with the project's ``target/partial_parse.msgpack``; but
    dbt discards a partial parse made for another profile (the database path is part of it), and the project's
    copy is written by whichever home parsed last (tests, benchmarks, another district), so every build re-parsed
    the whole project (≈ 4 s).  Builds of one database are serialised by the writer lock, so one stable folder per
    database is safe, and its ``partial_parse.msgpack`` always matches that database's profile.
    """
    return Path(db_path).resolve().parent / "dbt-target"


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


def _manifest_current(manifest: Path, project_dir: Path) -> bool:
    if not manifest.exists():
        return False
    mtime = manifest.stat().st_mtime
    return all(p.stat().st_mtime <= mtime for p in project_files(project_dir) if p.exists())


def ensure_manifest(settings: Settings, project_dir: Path | None = None) -> Path:
    """Run ``dbt parse`` when target/manifest.json is missing or older than any project file.

    Several processes may load the definitions at once (a code server and a CLI, parallel test workers): the parse
    runs under an exclusive lock on ``target/.parse.lock`` and is skipped when another process made the manifest
    current while this one waited, so two dbt parses never write the same target folder."""
    import fcntl

    project_dir = Path(project_dir or paths.DBT_PROJECT_DIR)
    manifest = project_dir / "target" / "manifest.json"
    if _manifest_current(manifest, project_dir):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if _manifest_current(manifest, project_dir):
            return manifest
        return _parse(settings, project_dir, manifest)


def _parse(settings: Settings, project_dir: Path, manifest: Path) -> Path:
    """``dbt parse`` into a fresh folder beside the target (seeded with the partial parse), then the manifest and the
    partial parse are moved into the target by rename: a process reading them sees the old or the new file."""
    import tempfile

    target = manifest.parent
    with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as tmp:
        work = Path(tmp)
        if (target / "partial_parse.msgpack").exists():
            shutil.copyfile(target / "partial_parse.msgpack", work / "partial_parse.msgpack")
        proc = subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(write_profile(settings.duckdb, memory_limit=settings.duckdb_memory_limit)),
                "--target-path",
                str(work),
                "--log-path",
                str(work),
                *vars_args(settings),
            ],
            env=dbt_env(),
            cwd=project_dir,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
        for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):  # the manifest last
            if (work / name).exists():
                os.replace(work / name, target / name)
    return manifest


def dbt_definitions(settings: Settings) -> dg.Definitions:
    """The dbt assets for ``settings`` (its build database's profile, its register as dbt vars)."""
    if settings.disable_dbt_assets or not (paths.DBT_PROJECT_DIR / "dbt_project.yml").exists():
        return dg.Definitions()
    manifest = ensure_manifest(settings)
    db = settings.duckdb
    profiles = write_profile(db, memory_limit=settings.duckdb_memory_limit)

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

    project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=profiles)

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        name="liangxin_dbt",
    )
    def liangxin_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
        from liangxin import partitions
        from liangxin.defs import dbt_inprocess, progress
        from liangxin.ingest import writer_lock
        from liangxin.warehouse import connect, ensure_schema

        # dbt and ingestion write the same file: the database's own profile names it (no environment change)
        with writer_lock(db):  # the same cross-process lock as the CLI ingest
            con = connect(db)
            try:
                ensure_schema(con, secret=settings.secret())  # the raw sources exist before the first return
                # which report periods this build recomputes (issue 17, D210–D213): written to meta.build_plan
                digest = reference_digest(settings)
                plan = partitions.begin_build(con, digest, full=config.full_refresh)
            finally:
                con.close()
            context.log.info(plan.describe())
            write_profile(db, memory_limit=settings.duckdb_memory_limit)  # (again: a removed home is rebuilt)
            target = dbt_target_dir(db)
            seed_partial_parse(target)
            events_log, _debug_log = progress.dbt_log_paths(settings.home)
            events_log.parent.mkdir(parents=True, exist_ok=True)
            prog = progress.current()
            if prog is not None:
                prog.dbt_start(n_nodes)
            context.log.info(f"dbt 日志 / dbt log: {events_log}")
            build_args = ["build", *(["--full-refresh"] if plan.full else REFERENCE_UNCHANGED_ARGS)]
            if settings.dbt_in_process:  # dbtRunner in this process, the parse kept warm (D219)
                invocation = dbt_inprocess.build_invocation(
                    build_args,
                    context=context,
                    project_dir=paths.DBT_PROJECT_DIR,
                    profiles_dir=profiles,
                    target_path=target,
                    log_path=events_log.parent,
                    dbt_vars=dbt_vars(settings),
                    digest=digest,
                    cli_version=dbt._cli_version,
                )
            else:  # a child process (dagster-dbt's way, through dbt_child.py)
                invocation = dbt.cli(
                    [*build_args, "--log-path", str(events_log.parent), *vars_args(settings)],
                    context=context,
                    target_path=target,
                )
            with open(events_log, "w", encoding="utf-8") as fh:
                # dagster-dbt re-prints every dbt event on sys.stdout: into the log file, not the terminal
                # (redirected only while the next event is read, never across a yield)
                events = iter(invocation.stream())
                while True:
                    with contextlib.redirect_stdout(fh):
                        try:
                            event = next(events)
                        except StopIteration:
                            break
                    if prog is not None:
                        prog.dbt_node(_event_node(event))
                    yield event
            # dbt finished without an error (a failed model or data test raised above): record this build's
            # fingerprints; a build that did not get here leaves the status 'running' and the next one is full.
            # A subset of the models (materialised from the Dagster UI) may have left a partitioned model behind:
            # it records nothing either, so the next build is full (D211)
            if context.is_subset:
                context.log.info(
                    "部分模型构建：下次构建为全量 / a subset of the models was built: the next build is full"
                )
            else:
                con = connect(db)
                try:
                    partitions.finish_build(con, plan)
                finally:
                    con.close()
            if prog is not None:
                prog.dbt_done()

    manifest_json = json.loads(manifest.read_text(encoding="utf-8"))
    n_nodes = sum(
        1
        for n in manifest_json.get("nodes", {}).values()
        if n.get("resource_type") in ("model", "seed", "snapshot", "test")
        and (n.get("config") or {}).get("enabled", True)
    )
    sources = manifest_json.get("sources", {}).values()
    raw_tables = sorted({s["name"] for s in sources if s.get("schema") == "raw"})
    raw_specs = [
        dg.AssetSpec(
            key=dg.AssetKey(["raw", t]),
            deps=[RAW_ASSET_KEY],
            group_name="ingestion",
            description=f"raw.{t}（由 raw_returns 写入）",
            kinds={"duckdb"},
        )
        for t in raw_tables
    ]
    exe = cli_executable()
    return dg.Definitions(
        assets=[*raw_specs, liangxin_dbt],
        resources={
            "dbt": LiangxinDbtCliResource(
                project_dir=project, profiles_dir=str(profiles), dbt_executable=exe, global_config_flags=cli_flags(exe)
            )
        },
    )


def _event_node(event) -> str:
    """The dbt node a Dagster event of the dbt asset is about (model, seed or test), for the progress line."""
    for attr in ("output_name", "check_name"):
        name = getattr(event, attr, None)
        if name:
            return str(name)
    key = getattr(event, "asset_key", None)
    return key.to_user_string() if key is not None else type(event).__name__
