"""Finalizing the annual return (定稿) and the verdict messages of a build (annual-return.md, "Finalizing").

The finalized versions live in the schema ``finalized`` of the build database, which dbt does not manage: dbt only
creates its tables when missing (``on-run-start``, macro ``annual_finalized_storage``; the DDL below is the same), so
no rebuild overwrites them, and ``backup``/``restore`` carry them with the database file.

- :func:`finalize_year` stores version N of year Y: every cell of ``annual.rpt_annual_cells``, the verdict and its
  reasons, the coverage, who finalized it and when, the sign-off block and the SHA-256 of the cells.  A year whose
  verdict is 不得上报 needs ``override`` (a reason, printed on the cover); a year without any accepted return and a
  missing name are refused.  The marts ``rpt_annual_verdict`` and ``rpt_annual_corrections`` are views over this
  store (status 定稿 / 已定稿，有更正待报 and the 更正对照表 without a rebuild); A3 of Y+1 and 表一's 上年底总数 read the
  latest version at the next build, which the command runs.
- :func:`record_verdicts` runs after every build: it returns one Chinese line per year for the build output and,
  when a year newly fails an E rule, writes an addendum beside the receipt of each submission received since the
  previous build that concerns the year (a receipt is written at ingestion, before dbt runs; decisions D104).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import duckdb


DDL = """
create schema if not exists finalized;
create table if not exists finalized.annual_versions (
    year integer not null,
    version integer not null,
    verdict varchar not null,
    reasons varchar,
    communities_complete integer,
    communities_expected integer,
    finalized_by varchar not null,
    finalized_at timestamp not null,
    override_reason varchar,
    cells_sha256 varchar not null,
    signoff_unit varchar,
    signoff_head varchar,
    signoff_filled_by varchar,
    signoff_reviewed_by varchar,
    signoff_phone varchar,
    signoff_date date,
    primary key (year, version)
);
create table if not exists finalized.annual_cells (
    year integer not null,
    version integer not null,
    table_no integer not null,
    row_order bigint,
    row_label varchar,
    level varchar,
    entity_code varchar,
    col_order integer,
    col_group varchar,
    col_label varchar,
    column_name varchar,
    value double,
    is_ratio boolean,
    missing boolean
);
create table if not exists finalized.annual_verdict_log (
    year integer not null,
    verdict varchar not null,
    reasons varchar,
    failed_rules varchar,
    recorded_at timestamp not null
);
create table if not exists finalized.annual_seen_submissions (
    submission_id varchar primary key,
    seen_at timestamp not null
);
"""

CELL_COLUMNS = (
    "table_no",
    "row_order",
    "row_label",
    "level",
    "entity_code",
    "col_order",
    "col_group",
    "col_label",
    "column_name",
    "value",
    "is_ratio",
    "missing",
)
SIGNOFF_FIELDS = {  # option -> (column, Chinese label, required for finalize)
    "unit": ("signoff_unit", "填报单位", False),
    "head": ("signoff_head", "单位负责人", True),
    "filled_by": ("signoff_filled_by", "填表人", True),
    "reviewed_by": ("signoff_reviewed_by", "审核人", True),
    "phone": ("signoff_phone", "联系电话", False),
    "report_date": ("signoff_date", "报出日期", True),
}


class FinalizeError(RuntimeError):
    """A finalize request that is refused (message in Chinese)."""


def ensure_storage(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


FINALIZED_TABLES = ("annual_versions", "annual_cells", "annual_verdict_log", "annual_seen_submissions")


def carry_finalized(old_db: Path, new_db: Path) -> int:
    """Copy the finalized store (定稿 versions, logs) of ``old_db`` into ``new_db``; returns the versions copied.

    The store is not in the archive, so a database rebuilt from the archive (``liangxin rekey`` / ``reingest``)
    would otherwise lose every 定稿 version.  Its cells are aggregates: nothing depends on the HMAC secret."""
    old_db, new_db = Path(old_db), Path(new_db)
    if not old_db.exists():
        return 0
    con = duckdb.connect(str(new_db))
    try:
        ensure_storage(con)
        con.execute(f"ATTACH '{old_db.as_posix()}' AS old_store (READ_ONLY)")
        have = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'old_store' and schema_name = 'finalized'"
            ).fetchall()
        }
        con.execute("BEGIN")
        for t in FINALIZED_TABLES:
            if t in have:
                con.execute(f"DELETE FROM finalized.{t}")
                con.execute(f"INSERT INTO finalized.{t} BY NAME SELECT * FROM old_store.finalized.{t}")
        con.execute("COMMIT")
        return con.execute("select count(*) from finalized.annual_versions").fetchone()[0]
    finally:
        con.close()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(round(v, 9) + 0.0)
    return str(v)


def cells_sha256(rows) -> str:
    """SHA-256 over the cells in a canonical text form (one tab-separated line per cell, ordered by table, row,
    column; values rounded to 1e-9) — the same digest from the stored version and from the mart."""
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda r: (r[0], r[1], r[5], r[2] or "", r[7] or "")):
        h.update(("\t".join(_fmt(v) for v in r) + "\n").encode("utf-8"))
    return h.hexdigest()


def _has_relation(con, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def verdict_of(con, year: int) -> dict | None:
    if not _has_relation(con, "annual", "rpt_annual_verdict"):
        raise FinalizeError("构建库中还没有年报（请先运行 liangxin build）")
    row = con.execute("select * from annual.rpt_annual_verdict where year = ?", [year]).fetchone()
    if row is None:
        return None
    names = [d[0] for d in con.description]
    return dict(zip(names, row))


def finalize_year(
    year: int,
    by: str | None,
    *,
    override: str | None = None,
    signoff: dict | None = None,
    db_path: Path,
    now: dt.datetime | None = None,
) -> dict:
    """Store the next finalized version of ``year`` from the build database; returns what was stored.

    Raises :class:`FinalizeError` (Chinese message) when refused: no name, a missing sign-off name, no accepted
    return in the year, or verdict 不得上报 without ``override``.
    """
    from liangxin.ingest import writer_lock

    by = (by or "").strip()
    if not by:
        raise FinalizeError("定稿须填写定稿人姓名（--by）")
    signoff = {k: (str(v).strip() if v is not None else "") for k, v in (signoff or {}).items()}
    missing = [label for key, (_, label, required) in SIGNOFF_FIELDS.items() if required and not signoff.get(key)]
    if missing:
        raise FinalizeError("定稿须填写签章栏：" + "、".join(missing) + "（命令选项或环境变量，见 --help）")
    try:
        report_date = dt.date.fromisoformat(signoff["report_date"])
    except ValueError:
        raise FinalizeError(f"报出日期应为 YYYY-MM-DD：{signoff['report_date']}") from None
    override = (override or "").strip() or None
    db = Path(db_path)
    if not db.exists():
        raise FinalizeError(f"构建库不存在（请先运行 liangxin build）：{db}")
    with writer_lock(db):
        con = duckdb.connect(str(db))
        try:
            ensure_storage(con)
            v = verdict_of(con, year)
            if v is None:
                raise FinalizeError(f"{year} 年没有已接收的报表，不能定稿")
            if v["verdict"] == "不得上报" and not override:
                reasons = "\n".join(f"  - {r}" for r in (v["reasons"] or "").split("；") if r)
                raise FinalizeError(
                    f"{year} 年审核结论为 不得上报，不能定稿；确需上报请加 --override 并写明理由。原因：\n{reasons}"
                )
            stamp = now or _utc_now()
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
            con.execute("begin transaction")
            try:
                version = con.execute(
                    "select coalesce(max(version), 0) + 1 from finalized.annual_versions where year = ?", [year]
                ).fetchone()[0]
                cols = ", ".join(CELL_COLUMNS)
                con.execute(
                    f"insert into finalized.annual_cells (year, version, {cols}) "
                    f"select year, ?, {cols} from annual.rpt_annual_cells where year = ?",
                    [version, year],
                )
                rows = con.execute(
                    f"select {cols} from finalized.annual_cells where year = ? and version = ?", [year, version]
                ).fetchall()
                digest = cells_sha256(rows)
                con.execute(
                    "insert into finalized.annual_versions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        year,
                        version,
                        v["verdict"],
                        v["reasons"],
                        v["communities_complete"],
                        v["communities_expected"],
                        by,
                        stamp,
                        override,
                        digest,
                        signoff.get("unit") or None,
                        signoff["head"],
                        signoff["filled_by"],
                        signoff["reviewed_by"],
                        signoff.get("phone") or None,
                        report_date,
                    ],
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.close()
    return {
        "year": year,
        "version": version,
        "verdict": v["verdict"],
        "reasons": v["reasons"],
        "sha256": digest,
        "cells": len(rows),
        "finalized_by": by,
        "finalized_at": stamp,
        "override_reason": override,
    }


# --------------------------------------------------------------------------------------------------
# After a build: verdict lines and receipt addenda
# --------------------------------------------------------------------------------------------------
def _failed_rules(con, year: int) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select rule_id from annual.rpt_annual_rule_results where year = ? and severity = 'E' and not passed "
            "order by rule_order",
            [year],
        ).fetchall()
    ]


def _addendum_path(outbox: Path, sub: tuple) -> Path:
    from liangxin.reports import UNKNOWN_PERIOD, UNKNOWN_UNIT, safe_name_part

    sid, unit, period = sub[0], sub[1], sub[2]
    stem = (
        f"{safe_name_part(unit, UNKNOWN_UNIT)}_{safe_name_part(period, UNKNOWN_PERIOD)}_{(sid or '')[:8] or '00000000'}"
    )
    return outbox / "accepted" / f"{stem}.年报审核结论.txt"


def record_verdicts(db_path: Path, outbox_dir: Path, now: dt.datetime | None = None) -> list[str]:
    """After a build: one Chinese line per year (verdict, status, reasons); record the verdicts; for each year that
    newly fails an E rule, write an addendum beside the receipts of the accepted submissions not seen by the previous
    record that concern that year (its own returns, and the previous year's — A3).  Returns the lines."""
    from liangxin.ingest import writer_lock

    db = Path(db_path)
    outbox = Path(outbox_dir)
    if not db.exists():
        return []
    lines: list[str] = []
    stamp = now or _utc_now()
    with writer_lock(db):
        con = duckdb.connect(str(db))
        try:
            if not _has_relation(con, "annual", "rpt_annual_verdict"):
                return []
            ensure_storage(con)
            verdicts = con.execute(
                "select year, verdict, reasons, status, communities_complete, communities_expected, finalized_version "
                "from annual.rpt_annual_verdict order by year"
            ).fetchall()
            new_subs = con.execute(
                "select s.submission_id, s.unit_code, s.period, s.correction_no from raw.submissions as s "
                "where s.outcome in ('accepted', 'accepted_with_warnings') and s.submission_id not in "
                "(select submission_id from finalized.annual_seen_submissions) order by s.received_at"
            ).fetchall()
            for year, verdict, reasons, status, n_ok, n_all, version in verdicts:
                failed = _failed_rules(con, year)
                prev = con.execute(
                    "select verdict, failed_rules from finalized.annual_verdict_log "
                    "where year = ? order by recorded_at desc limit 1",
                    [year],
                ).fetchone()
                label = status if version is None else f"{status}（第{version}版）"
                line = f"{year} 年报：{verdict}（{label}；四个季度齐全的社区 {n_ok}/{n_all}）"
                if verdict == "不得上报":
                    line += f"：{reasons}"
                newly = [r for r in failed if prev is not None and r not in (prev[1] or "").split(",")]
                if newly:
                    causes = [c for c in new_subs if str(c[2] or "")[:4] in (str(year), str(year - 1))]
                    text = (
                        f"{year} 年报因本次接收的报表变为 不得上报（新不通过的规则：{'、'.join(newly)}）。\n"
                        f"原因：{reasons}\n"
                    )
                    who = "、".join(f"{c[1]} {c[2]}" + (f"（更正{c[3]}）" if c[3] else "") for c in causes)
                    line = f"{year} 年报变为 不得上报（{'、'.join(newly)}），由 {who or '本次构建'} 引起：{reasons}"
                    for c in causes:
                        p = _addendum_path(outbox, c)
                        p.parent.mkdir(parents=True, exist_ok=True)
                        tmp = p.with_name(f".{p.name}.tmp")
                        tmp.write_text(
                            f"回执补充：年报审核结论\n报送：{c[1]} {c[2]}"
                            + (f" 更正{c[3]}" if c[3] else "")
                            + f"（提交编号 {c[0]}）\n{text}记录时间：{stamp:%Y-%m-%d %H:%M} UTC\n",
                            encoding="utf-8",
                        )
                        os.replace(tmp, p)
                lines.append(line)
                if prev is None or prev[0] != verdict or (prev[1] or "") != ",".join(failed):
                    con.execute(
                        "insert into finalized.annual_verdict_log values (?, ?, ?, ?, ?)",
                        [year, verdict, reasons, ",".join(failed), stamp],
                    )
            if new_subs:
                con.executemany(
                    "insert into finalized.annual_seen_submissions values (?, ?)", [[c[0], stamp] for c in new_subs]
                )
        finally:
            con.close()
    return lines
