"""dbt in this process for the Dagster dbt asset: ``dbtRunner`` with the parsed manifest kept warm (issue 17, D219).

dagster-dbt starts dbt as a child process for every build: a new Python that imports dbt (~1 s), loads the
partial parse of the project (~1–1.5 s), and prints its events as JSON lines that Dagster parses back.  Here the
build runs dbt's own programmatic entry point (``dbtRunner``) in a thread of this process instead:

- the project is parsed once per process and kept (:func:`warm_manifest`), keyed by everything a parse depends on
  (the project and register files' digest, the vars, the profile folder, the target folder); a later build with the
  same key hands the parsed manifest to dbt, which then skips parsing altogether;
- dbt's structured events reach a queue through a callback and are turned into the same dicts the JSON log lines
  carry, so dagster-dbt's own conversion (:class:`DbtCliInvocation`, ``to_default_asset_events``) yields the same
  materialisations and asset checks as for a child process;
- dbt's terminal output is off (``--log-level none``); its debug log still goes to ``--log-path``.

One build at a time per process (:data:`_RUN_LOCK`): dbt keeps global state (flags, the event manager, the
dbt-duckdb environment).  A kill of the process kills dbt with it (no child to outlive it).  An interrupt
(Ctrl-C, a Dagster run termination) waits until dbt has finished the build: a thread cannot be killed, and the
writer lock must not be released while dbt still writes (a second Ctrl-C, or a kill, ends the process at once).

It leans on internals of the pinned versions (pyproject): dagster-dbt 0.29's ``DbtCliInvocation`` and selection
helpers, and dbt-duckdb 1.11's ``DuckDBConnectionManager._ENV``.  An upgrade of either must pass
``tests/test_dbt_inprocess.py``, ``tests/test_end_to_end.py`` and ``tests/test_newuser_cli.py`` again.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.dagster_dbt_translator import DagsterDbtTranslator
from dagster_dbt.errors import DagsterDbtCliRuntimeError

_RUN_LOCK = threading.Lock()  # dbt's global state allows one invocation per process at a time
_MANIFESTS: dict[tuple, Any] = {}  # warm parses: key → dbt Manifest (one per build database and project state)
_DONE = object()

# the flags every in-process invocation gets: no terminal output but the debug log file as before (the file level
# follows the terminal level unless given), no usage statistics (no network here)
QUIET = ["--log-level", "none", "--log-level-file", "debug", "--no-send-anonymous-usage-stats"]


def common_args(project_dir: Path, profiles_dir: Path, target_path: Path, log_path: Path, vars_json: str) -> list[str]:
    return [
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
        "--vars",
        vars_json,
        *QUIET,
    ]


def warm_manifest(key: tuple, parse_args: Sequence[str]):
    """The parsed manifest for ``key``: parsed now (dbt's partial parse from the target folder) the first time in this
    process, then reused.  Returns None when the parse failed (the build then parses itself and reports the error).
    Called under :data:`_RUN_LOCK`."""
    cached = _MANIFESTS.get(key)
    if cached is not None:
        return cached
    from dbt.cli.main import dbtRunner

    res = dbtRunner().invoke(["parse", *parse_args])
    if not res.success or res.result is None:
        return None
    _MANIFESTS.clear()  # one warm project per process: an older key is never valid again
    _MANIFESTS[key] = res.result
    return res.result


def release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in this process after a dbt command (its environment outlives the
    command, with its own DuckDB instance on the build file): the publishing steps that follow attach that file,
    and DuckDB refuses a second handle on a file already open in the process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (Spark)
        return
    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if env is not None:
        env.close()


def forget_manifests() -> None:
    _MANIFESTS.clear()


def _event_dict(msg) -> dict[str, Any] | None:
    """One dbt event as the dict of its JSON log line; None for debug events (a child process at the default log
    level does not print those either)."""
    from dbt_common.events.functions import msg_to_dict

    if msg.info.level == "debug":
        return None
    return msg_to_dict(msg)


@dataclass
class InProcessDbtInvocation(DbtCliInvocation):
    """A :class:`DbtCliInvocation` whose events come from ``dbtRunner`` in a thread instead of a child's stdout."""

    dbt_args: list[str] = field(default_factory=list)
    manifest_key: tuple = ()  # what the warm parse depends on (see warm_manifest)
    parse_args: list[str] = field(default_factory=list)
    _events: queue.Queue = field(init=False, default_factory=queue.Queue)
    _thread: threading.Thread | None = field(init=False, default=None)
    _runner_result: Any = field(init=False, default=None)
    _finished: bool = field(init=False, default=False)

    def _run(self) -> None:
        from dbt.cli.main import dbtRunner

        def on_event(msg) -> None:
            event = _event_dict(msg)
            if event is not None:
                self._events.put(event)

        try:
            with _RUN_LOCK:
                try:
                    warm = warm_manifest(self.manifest_key, self.parse_args)
                    self._runner_result = dbtRunner(manifest=warm, callbacks=[on_event]).invoke(self.dbt_args)
                finally:
                    release_duckdb()
        except BaseException as exc:  # noqa: BLE001 — reported by get_error, never lost in the thread
            self._runner_result = exc
        finally:
            self._events.put(_DONE)

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        if self._finished:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dbt-in-process", daemon=True)
            self._thread.start()
        try:
            while True:
                try:
                    item = self._events.get(timeout=0.2)  # a timeout keeps this thread responsive to signals
                except queue.Empty:
                    continue
                if item is _DONE:
                    break
                if item["info"]["level"] == "error":
                    self._error_messages.append(item["info"]["msg"])
                yield item
        except BaseException:  # an interrupt (Dagster's or Ctrl-C), or the consumer stopped reading
            self._thread.join()  # dbt finishes first: the caller's writer lock must outlive dbt's writes
            raise
        finally:
            self._finished = True
        self._thread.join()

    def is_successful(self) -> bool:
        if not self._finished:
            self._stdout = list(self._stream_stdout())
        res = self._runner_result
        return bool(getattr(res, "success", False)) and not self._error_messages

    def get_error(self) -> Exception | None:
        if self.is_successful():
            return None
        res = self._runner_result
        exc = res if isinstance(res, BaseException) else getattr(res, "exception", None)
        detail = f"\n\n{type(exc).__name__}: {exc}" if exc is not None else ""
        return DagsterDbtCliRuntimeError(
            description=f"dbt (in process) `{self.dbt_command}` failed.{detail}{self._format_error_messages()}"
        )

    @property
    def dbt_command(self) -> str:
        return "dbt " + " ".join(self.dbt_args)


def build_invocation(
    args: Sequence[str],
    *,
    context,
    project_dir: Path,
    profiles_dir: Path,
    target_path: Path,
    log_path: Path,
    dbt_vars: Mapping[str, str],
    digest: str,
    cli_version,
) -> InProcessDbtInvocation:
    """The in-process counterpart of ``DbtCliResource.cli(args, context=context, target_path=…)``: the same subset
    selection for the Dagster context (dagster-dbt's own helpers), run by ``dbtRunner`` with a warm manifest."""
    cleaned, selects, excludes = extract_runtime_selection_from_args(list(args))
    params = get_updated_cli_invocation_params_for_context(
        context=context,
        manifest={},
        dagster_dbt_translator=DagsterDbtTranslator(),
        runtime_selects=selects,
        runtime_excludes=excludes,
    )
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else Path(project_dir)
    vars_json = json.dumps(dict(dbt_vars), ensure_ascii=False)
    common = common_args(project_dir, profiles_dir, target_path, log_path, vars_json)
    key = (str(project_dir), str(profiles_dir), str(target_path), vars_json, digest)
    indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
    if indirect and "--indirect-selection" in cleaned:
        indirect = []  # the caller's own choice stands
    dbt_args = [*cleaned, *common, *params.selection_args, *indirect]
    return InProcessDbtInvocation(
        process=None,  # type: ignore[arg-type] — no child process
        manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator,
        project_dir=project_dir,
        target_path=target_path,
        raise_on_error=True,
        context=context,
        adapter=None,
        cli_version=cli_version,
        project=params.dbt_project,
        dbt_args=dbt_args,
        manifest_key=key,
        parse_args=common,
    )
