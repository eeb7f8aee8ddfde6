"""The command line's way into the Dagster definitions: the same jobs the UI and the sensors run, in-process.

- :func:`ingest_through_dagster` runs ``ingest_job`` (the ``raw_returns`` asset) on files or folders;
- :func:`build_and_publish` runs ``build_and_publish_job`` (dbt build, serving snapshot, dashboard, annual
  returns, Superset when configured), skipped when nothing changed since the last successful build.

Every function takes the :class:`~liangxin.settings.Settings` of its caller (the edge: a CLI command, a test);
the Dagster definitions are built for those settings (:func:`definitions_for`, one per distinct settings).
Both run on the persistent Dagster instance of the home (:func:`dagster_instance`: ``$LIANGXIN_HOME/dagster``
with the repository's ``dagster.yaml``, or ``$DAGSTER_HOME`` when set), so ``liangxin ui`` shows the CLI's runs
with their asset materializations and checks (D125).  The build shows Rich progress (dbt nodes, publishing
steps); dbt's own log goes to ``$LIANGXIN_HOME/logs/`` and a failure names that file and the last error (D120).
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from pathlib import Path

from rich.console import Console

from liangxin import paths
from liangxin.settings import Settings

console = Console()


class PipelineError(RuntimeError):
    pass


HOME_MODE = 0o700


def ensure_home(settings: Settings) -> None:
    """Create the home's folders on first use (inbox, archive, outbox, logs; owner-only), D121."""
    import os

    for folder in (settings.home, settings.inbox, settings.archive, settings.outbox, settings.logs):
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
            try:
                os.chmod(folder, HOME_MODE)
            except OSError:
                pass


_INSTANCES: dict[str, object] = {}


def dagster_home(settings: Settings) -> Path:
    """``$DAGSTER_HOME`` when set, else ``<home>/dagster`` (``Settings.dagster_home``)."""
    return settings.dagster_home


def dagster_instance(settings: Settings):
    """The persistent Dagster instance of this home: ``$DAGSTER_HOME`` if set, else ``$LIANGXIN_HOME/dagster``
    (created with a copy of the repository's ``dagster.yaml``).  One instance object per folder and process;
    the environment is not changed, so another home in the same process gets its own instance."""
    import shutil

    from dagster import DagsterInstance

    from filelock import FileLock

    dh = dagster_home(settings).resolve()
    inst = _INSTANCES.get(str(dh))
    if inst is None:
        dh.mkdir(parents=True, exist_ok=True)
        # two CLI processes starting at once on a new home must not both create the instance's SQLite storage
        with FileLock(str(dh / ".instance.lock")):
            src = paths.PROJECT_ROOT / "dagster.yaml"
            if src.exists() and not (dh / "dagster.yaml").exists():
                shutil.copyfile(src, dh / "dagster.yaml")
            inst = DagsterInstance.from_config(str(dh))
            inst.get_runs(limit=1)  # creates (or migrates) the run and event storage now, under the lock
            inst.event_log_storage.get_concurrency_run_ids()
        _INSTANCES[str(dh)] = inst
    return inst


def _failure_text(result) -> str:
    """The failed steps and their last error lines, from a Dagster run result."""
    out = []
    for e in result.all_events:
        if e.event_type_value == "STEP_FAILURE":
            err = getattr(e.event_specific_data, "error", None)
            while err is not None and getattr(err, "cause", None) is not None:  # the root cause, not the wrapper
                err = err.cause
            msg = (err.message if err is not None else "").strip()
            marker = "Errors parsed from dbt logs:"  # dagster-dbt appends dbt's error events after this line
            if marker in msg:
                msg = msg.split(marker, 1)[1]
            lines = [ln.rstrip() for ln in msg.splitlines() if ln.strip()]
            # the head of the error says what failed (a DuckDB error may append a long dump of its settings)
            out.append(f"{e.step_key}：" + "\n".join(lines[:6]) + ("\n…" if len(lines) > 6 else ""))
    return "\n".join(out) or "（无错误信息）"


_DEFS: dict[str, object] = {}


def definitions_for(settings: Settings):
    """The Dagster definitions built for ``settings`` (cached per distinct settings in this process)."""
    from liangxin.defs import build_definitions

    key = settings.to_json()
    defs = _DEFS.get(key)
    if defs is None:
        defs = _DEFS[key] = build_definitions(settings)
    return defs


PID_TAG, HOST_TAG = "liangxin/pid", "liangxin/host"  # on every CLI run: which process runs it in-process


def _run_tags() -> dict[str, str]:
    import os
    import socket

    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _process_alive(pid: int) -> bool:
    import os

    if pid <= 0 or pid == os.getpid():  # our own pid: no run of ours is in flight when this is called
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_runs(instance) -> list[str]:
    """Free the ``duckdb_writer`` pool slot of CLI runs whose process died (killed, power cut) and mark them
    failed; returns their run ids.  Without this a killed ``liangxin ingest``/``build`` keeps the pool's only
    slot claimed in the instance, and every later run waits for it forever.  Only runs this machine's CLI
    started in-process (tagged with their pid and host) are touched; runs launched by the webserver or the
    daemon are the daemon's to monitor."""
    import socket

    host = socket.gethostname()
    freed = []
    try:
        run_ids = instance.event_log_storage.get_concurrency_run_ids()
    except Exception:  # noqa: BLE001 - storage without concurrency support: nothing can be held
        return []
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            continue
        tags = run.tags or {}
        if tags.get(HOST_TAG) != host or not tags.get(PID_TAG, "").isdigit():
            continue
        if run.is_finished or not _process_alive(int(tags[PID_TAG])):
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            if not run.is_finished:
                instance.report_run_failed(run, f"运行它的进程（{tags[PID_TAG]}）已终止；已释放其占用的写入槽。")
            freed.append(run_id)
    if freed:
        console.print(
            f"[yellow]已释放被中断的运行占用的写入槽：{len(freed)} 个（{', '.join(r[:8] for r in freed)}）[/yellow]"
        )
    return freed


@contextlib.contextmanager
def sigterm_kept():
    """Give SIGTERM its disposition back after an in-process Dagster run (D223).

    Dagster's interrupt handling (``dagster._utils.interrupts``) sets SIGTERM to the SIGINT handler and, on the way
    out, to SIGINT's original one; in a process that a shell started in the background SIGINT is ignored, so SIGTERM
    stayed ignored for the rest of the process and for every child it started: a ``multiprocessing`` pool's
    ``terminate`` then waited forever for workers that could not be ended (a CI run hung in the benchmark smoke test
    this way), and dbt's child outlived its parent (D218).  Signals can only be set from the main thread."""
    main = threading.current_thread() is threading.main_thread()
    saved = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if main and saved is not None and signal.getsignal(signal.SIGTERM) is not saved:
            signal.signal(signal.SIGTERM, saved)


def _defs(settings: Settings):
    return definitions_for(settings)


# the CLI shows its own progress, and on failure the failed step's last error (the run log is in the UI)
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def ingest_through_dagster(
    targets: list[Path],
    *,
    settings: Settings,
    instance=None,
    progress: bool = False,
    backfill: bool = False,
    db: Path | None = None,
    archive: Path | None = None,
    outbox: Path | None = None,
):
    """Run ``ingest_job`` on files or folders in-process on the home's instance (shown in ``liangxin ui``).
    ``backfill``: historical returns (P4 by 报出日期); ``db``/``archive``/``outbox``: the CLI's overrides."""
    ensure_home(settings)
    job = _defs(settings).resolve_job_def("ingest_job")
    config = {
        "paths": [str(p) for p in targets],
        "progress": progress,
        "backfill": backfill,
        "db_path": str(db or ""),
        "archive_dir": str(archive or ""),
        "outbox_dir": str(outbox or ""),
    }
    instance = instance if instance is not None else dagster_instance(settings)
    release_dead_runs(instance)
    with sigterm_kept():
        result = job.execute_in_process(
            run_config={"ops": {"raw_returns": {"config": config}}, **QUIET},
            instance=instance,
            tags=_run_tags(),
            raise_on_error=False,
        )
    if not result.success:
        raise PipelineError(f"接收作业失败（Dagster 运行 {result.run_id}）：\n{_failure_text(result)}")
    return result


def build_fingerprint(settings: Settings) -> dict:
    """What the build depends on: the accepted submissions, and the reference inputs (the dbt project files, the
    seeds and the register: the digest the incremental build also keys on, ``defs.dbt.reference_digest``)."""
    import duckdb

    from liangxin.defs.dbt import reference_digest

    subs: list = []
    db = settings.duckdb
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            subs = con.execute("select count(*), max(received_at)::varchar from raw.submissions").fetchall()
        except duckdb.Error:
            subs = []
        finally:
            con.close()
    return {"project": reference_digest(settings), "submissions": [list(r) for r in subs]}


def _state_file(settings: Settings) -> Path:
    return settings.home / "build_state.json"


def build_and_publish(
    *,
    settings: Settings,
    instance=None,
    force: bool = False,
    years: list[int] | None = None,
    progress: bool = True,
    full_refresh: bool = False,
) -> dict:
    """Build the warehouse (dbt), publish the serving snapshot, the dashboard and the annual returns.

    The dbt build is incremental by report period (only the periods whose current returns changed are recomputed,
    :mod:`liangxin.partitions`); ``full_refresh`` recomputes every period (implies ``force``)."""
    force = force or full_refresh
    ensure_home(settings)
    from liangxin import privacy, warehouse

    try:  # a secret that does not match the warehouse's keys stops the build (issue 19; liangxin rekey)
        warehouse.check_secret_for(settings.duckdb, settings.secret())
    except privacy.SecretConfigurationError as exc:
        raise PipelineError(str(exc)) from exc
    fp = build_fingerprint(settings)
    state = _state_file(settings)
    dashboard = settings.build / "dashboard" / "index.html"
    if (
        not force
        and state.exists()
        and json.loads(state.read_text(encoding="utf-8")).get("fingerprint") == fp
        and settings.serve_duckdb.exists()
        and dashboard.exists()
    ):
        prev = json.loads(state.read_text(encoding="utf-8"))
        return {**prev.get("outputs", {}), "note": "无新报表，跳过构建"}

    from liangxin.defs import progress as build_progress

    job = _defs(settings).resolve_job_def("build_and_publish_job")
    n_steps = len(job.graph.node_defs)
    with build_progress.showing(n_steps, enabled=progress), sigterm_kept():
        instance = instance if instance is not None else dagster_instance(settings)
        release_dead_runs(instance)
        result = job.execute_in_process(
            run_config={
                "ops": {
                    "annual_returns": {"config": {"years": list(years or [])}},
                    "liangxin_dbt": {"config": {"full_refresh": full_refresh}},
                },
                **QUIET,
            },
            instance=instance,
            tags=_run_tags(),
            raise_on_error=False,
        )
    if not result.success:
        events_log, debug_log = build_progress.dbt_log_paths(settings.home)
        raise PipelineError(
            f"构建作业失败（Dagster 运行 {result.run_id}）：\n{_failure_text(result)}\n"
            f"dbt 日志：{events_log}\ndbt 调试日志：{debug_log}"
        )
    # guard against the known dagster-dbt regression where downstream assets are silently skipped
    materialized = {
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key is not None
    }
    for key in ("fct_indicators", "serve_snapshot", "static_dashboard", "annual_returns"):
        if key not in materialized:
            raise PipelineError(f"资产 {key} 未物化（Dagster 运行 {result.run_id}）")
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [ev.asset_check_key.name for ev in evaluations if not ev.passed]
    if failed:
        events_log, _ = build_progress.dbt_log_paths(settings.home)
        raise PipelineError(f"数据测试未通过：{', '.join(sorted(failed))}\ndbt 日志：{events_log}")
    from liangxin.serving import connect_readonly

    con = connect_readonly(settings.serve_duckdb)
    try:
        n = con.execute("select count(*) from marts.fct_indicators").fetchone()[0]
    finally:
        con.close()
    annual = {}
    for y in sorted(p.stem for p in (settings.build / "annual").glob("*.xlsx")):
        annual[y] = str(settings.build / "annual" / f"{y}.xlsx")
    from liangxin.finalize import record_verdicts  # each year's verdict; receipt addenda when a year newly fails

    outputs = {
        "dashboard": str(dashboard),
        "annual": annual,
        "indicator_values": n,
        "asset_checks_passed": len(evaluations),
        "assets_materialized": len(materialized),
        "annual_verdicts": record_verdicts(settings.duckdb, settings.outbox),
    }
    state.write_text(
        json.dumps({"fingerprint": build_fingerprint(settings), "outputs": outputs}, ensure_ascii=False),
        encoding="utf-8",
    )
    return {**outputs, "note": f"dbt build 完成，发布 {len(annual)} 份年报"}
