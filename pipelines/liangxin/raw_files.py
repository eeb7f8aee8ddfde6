"""The raw layer as files: raw.* of the DuckDB build file exported as Parquet (docs/scale-out.md).

Layout under ``out_dir`` (one directory per raw table, the Hive convention both DuckDB and Spark read):

    <out_dir>/submissions/part-0.parquet            every received file, rejected ones too (one row per file)
    <out_dir>/rule_hits/part-0.parquet              audit rule hits (one row per hit)
    <out_dir>/<form>/period=2021Q4/data_0.parquet   accepted rows of each data form, partitioned by period

``submissions`` and ``rule_hits`` are small and a rejected file may have no readable period, so they are not
partitioned.  The partition column ``period`` lives in the directory name only (not inside the files).

Personal data: raw.* never holds an ID number (the loader stores ``*_key`` HMACs, birth year and sex only;
liangxin.forms.raw_columns), and this export copies raw.* column for column, so no ID number reaches the
Parquet layer either — ``export_raw_parquet`` refuses a raw table with an ``*_id`` column of a PII_ID field.

The export is a plain function of two paths; it rewrites the whole layer each time (OVERWRITE), so a re-run is
idempotent and a file that was taken out of the warehouse disappears from the layer too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from liangxin import forms

UNPARTITIONED = ("submissions", "rule_hits")


def raw_tables() -> list[str]:
    """The raw tables of the layer, in the order of __sources.yml."""
    return list(UNPARTITIONED) + [f.key for f in forms.DATA_FORMS]


def _forbidden_columns() -> set[str]:
    return {f.name for form in forms.DATA_FORMS for f in form.fields if f.pii == forms.PII_ID} | {
        f.name for f in forms.COVER.fields if f.pii == forms.PII_ID
    }


def _quote_path(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def export_raw_parquet(build_db: Path, out_dir: Path) -> dict[str, int]:
    """Write raw.* of ``build_db`` as Parquet under ``out_dir``; returns the row count per table.

    Opens the DuckDB file read-only (the warehouse writer is not blocked for longer than the copy; callers in
    Dagster run it in the ``duckdb_writer`` pool).  A table absent from the file is written as an empty
    directory so the spark target's external tables still resolve.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    forbidden = _forbidden_columns()
    counts: dict[str, int] = {}
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for table in raw_tables():
            target = out_dir / table
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            if table not in present:
                counts[table] = 0
                continue
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
                    "order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            leaked = forbidden & set(cols)
            if leaked:
                raise ValueError(f"raw.{table} 含身份证号列 {sorted(leaked)}：拒绝导出（原始号码不得离开加载器）")
            n = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            counts[table] = n
            if table in UNPARTITIONED:
                con.execute(f"copy raw.{table} to {_quote_path(target / 'part-0.parquet')} (format parquet)")
            elif n:
                con.execute(
                    f"copy raw.{table} to {_quote_path(target)} "
                    "(format parquet, partition_by (period), overwrite_or_ignore true)"
                )
    finally:
        con.close()
    return counts
