"""Incremental builds by report period (issue 17, decisions D210–D216).

The heavy, period-local dbt models (``int_current_*`` rows of the current returns, ``int_unit_status``,
``int_unit_level``) are dbt ``incremental`` models on DuckDB: a build recomputes only the report periods whose
current returns changed and keeps the rows of every other period.  Everything downstream of them (indicators,
marts, the annual tables and their audit rules) is still a table rebuilt from those rows, so no stale annual cell
can survive a correction of any year.

Which periods changed is decided here, before dbt starts, from the content of the warehouse, not from what was
ingested: the *fingerprint* of a period is the set of its current returns (``unit_code``, ``submission_id``),
chosen by the same rule as ``int_current_submissions`` (``warehouse.CURRENT_RETURNS_SQL``).  A period whose
fingerprint differs from the one recorded by the last successful build is rebuilt.  The plan reaches the models
through the table ``meta.build_plan`` (not a dbt var: a new ``--vars`` value would make dbt re-parse the
whole project, the fixed cost this work removes):

- no row: every period (a manual ``dbt build`` outside the product's path is always a full build);
- the row ``'*'``: every period (a full build);
- otherwise the listed periods.

A build is *full* (``dbt build --full-refresh``, every period) when the previous build did not finish (the
status row says ``running``: a crash, a failed model or a failed data test), when nothing was recorded yet, when
the reference inputs changed (the dbt project files, the seeds, the register: their digest is recorded) or when
the caller asks for it (``liangxin build --full-refresh``).  Only a build that finished, over the whole dbt project
(not a subset of the models materialised from the Dagster UI), records its fingerprints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from liangxin.warehouse.context import CURRENT_RETURNS_SQL

SCHEMA = "meta"
ALL = "*"

_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.build_plan (period VARCHAR NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.partition_state (period VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL)",
    # one row: the state of the last build of this database
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.build_status (
        status VARCHAR NOT NULL,            -- running | ok
        reference VARCHAR,                  -- digest of the dbt project, seeds and register of that build
        mode VARCHAR,                       -- full | incremental
        periods VARCHAR,                    -- the periods it rebuilt (comma-separated; '*' = all)
        reason VARCHAR                      -- why it was full
    )""",
)


@dataclass(frozen=True)
class BuildPlan:
    """What one dbt build recomputes: every period (``full``) or ``periods``."""

    full: bool
    periods: tuple[str, ...] = ()
    reason: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    reference: str = field(default="", compare=False, repr=False)

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"

    def describe(self) -> str:
        """One line for the log, Chinese first."""
        if self.full:
            return f"全量构建（{self.reason}）/ full build ({self.reason})"
        if not self.periods:
            return "增量构建：无报告期变化 / incremental build: no period changed"
        shown = "、".join(self.periods)
        return f"增量构建：{len(self.periods)} 个报告期（{shown}）/ incremental build of {len(self.periods)} period(s)"


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``meta`` tables of the build plan (idempotent)."""
    for stmt in _DDL:
        con.execute(stmt)


def reference_digest(files: Iterable[Path]) -> str:
    """A digest of the reference inputs of the build (paths and contents, in a stable order)."""
    h = hashlib.sha256()
    for p in sorted(Path(f) for f in files):
        h.update(str(p).encode())
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()


def period_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """period -> digest of its current returns (unit_code:submission_id, in unit order)."""
    rows = con.execute(
        f"""SELECT period, md5(string_agg(unit_code || ':' || submission_id, ',' ORDER BY unit_code, submission_id))
            FROM ({CURRENT_RETURNS_SQL}) GROUP BY period"""
    ).fetchall()
    return {p: fp for p, fp in rows}


def begin_build(con: duckdb.DuckDBPyConnection, reference: str, *, full: bool = False) -> BuildPlan:
    """Decide what this build recomputes, write it to ``build_plan`` and mark the build ``running``.

    Call it inside the writer lock, just before dbt starts; call :func:`finish_build` when dbt succeeded."""
    ensure_meta(con)
    now = period_fingerprints(con)
    status = con.execute(f"SELECT status, reference FROM {SCHEMA}.build_status").fetchall()
    before = dict(con.execute(f"SELECT period, fingerprint FROM {SCHEMA}.partition_state").fetchall())
    reason = ""
    if full:
        reason = "按要求 / requested"
    elif not status:
        reason = "首次构建 / first build"
    elif status[0][0] != "ok":
        reason = "上次构建未完成 / the previous build did not finish"
    elif status[0][1] != reference:
        reason = "模型、种子或名册已变化 / models, seeds or register changed"
    if reason:
        plan = BuildPlan(full=True, reason=reason, fingerprints=now, reference=reference)
    else:
        changed = sorted(p for p in set(now) | set(before) if now.get(p) != before.get(p))
        plan = BuildPlan(full=False, periods=tuple(changed), fingerprints=now, reference=reference)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SCHEMA}.build_plan")
        if plan.full:
            con.execute(f"INSERT INTO {SCHEMA}.build_plan VALUES (?)", [ALL])
        elif plan.periods:
            con.executemany(f"INSERT INTO {SCHEMA}.build_plan VALUES (?)", [[p] for p in plan.periods])
        else:  # nothing changed: a sentinel no period matches (an empty plan would mean "every period")
            con.execute(f"INSERT INTO {SCHEMA}.build_plan VALUES ('')")
        con.execute(f"DELETE FROM {SCHEMA}.build_status")
        con.execute(
            f"INSERT INTO {SCHEMA}.build_status VALUES ('running', ?, ?, ?, ?)",
            [reference, plan.mode, ALL if plan.full else ",".join(plan.periods), plan.reason or None],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return plan


def finish_build(con: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Record a finished build: its fingerprints become the state; the plan is emptied (= every period)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SCHEMA}.partition_state")
        if plan.fingerprints:
            con.executemany(
                f"INSERT INTO {SCHEMA}.partition_state VALUES (?, ?)", [list(kv) for kv in plan.fingerprints.items()]
            )
        con.execute(f"DELETE FROM {SCHEMA}.build_plan")
        con.execute(f"UPDATE {SCHEMA}.build_status SET status = 'ok'")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def last_build(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The status row of the last build (``status``, ``mode``, ``periods``, ``reason``), or None."""
    try:
        row = con.execute(f"SELECT status, mode, periods, reason FROM {SCHEMA}.build_status").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None else dict(zip(("status", "mode", "periods", "reason"), row, strict=True))
