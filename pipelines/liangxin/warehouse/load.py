"""Writing received files into ``raw``: bulk inserts (Arrow), one transaction per batch of submissions."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import duckdb

from liangxin import forms
from liangxin.validate.result import REJECTED, ValidationResult
from liangxin.warehouse.schema import _base_type, _q, table_columns
from liangxin.warehouse.transform import _scrubber_for, scrub_id_text, transform_row

# --------------------------------------------------------------------------------------------------
# Bulk insert
# --------------------------------------------------------------------------------------------------
_ARROW_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "DOUBLE": "float64",
    "BOOLEAN": "bool_",
    "DATE": "date32",
    "TIMESTAMP": "timestamp",
}


def _arrow_column(values: list[object], sql_type: str):
    """One column as a typed Arrow array; DECIMAL goes as text and is cast by DuckDB (exact, as before)."""
    import pyarrow as pa

    kind = _ARROW_TYPES.get(sql_type)
    if kind is None:  # DECIMAL(18,2): text, cast in SQL (no float rounding on the way)
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if kind == "timestamp":
        return pa.array(values, type=pa.timestamp("us"))
    return pa.array(values, type=getattr(pa, kind)())


def _bulk_insert(
    con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str, str]], records: Iterable[dict[str, object]]
) -> int:
    """Insert dict records into raw.<table> from an in-memory Arrow table (DuckDB scans it without copying).

    Parameter binding costs ~2-3 ms per row and a JSON temp file ~5 ms per table; an Arrow table with
    an explicit type per column loads a district return (~300 rows, 8 tables) in a few milliseconds.  A
    value of the wrong type raises (pyarrow, or DuckDB's cast for DECIMAL) and the caller rolls back.
    """
    import pyarrow as pa

    names = [c for c, _, _ in cols]
    records = records if isinstance(records, list) else list(records)
    n = len(records)
    if n == 0:
        return 0
    data = {c: [rec.get(c) for rec in records] for c in names}
    try:
        batch = pa.table({c: _arrow_column(data[c], _base_type(t)) for c, t, _ in cols})
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise TypeError(f"raw.{table}: value of the wrong type: {exc}") from exc
    select = ", ".join(
        f"CAST({_q(c)} AS {_base_type(t)})" if _base_type(t) not in _ARROW_TYPES else _q(c) for c, t, _ in cols
    )
    con.register("_liangxin_batch", batch)
    try:
        con.execute(
            f"INSERT INTO raw.{_q(table)} ({', '.join(_q(c) for c in names)}) SELECT {select} FROM _liangxin_batch"
        )
    finally:
        con.unregister("_liangxin_batch")
    return n


# --------------------------------------------------------------------------------------------------
# Loading one submission
# --------------------------------------------------------------------------------------------------
def _utc_naive(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def submission_records(
    result: ValidationResult, received_at: dt.datetime, original_name: str | None, secret: bytes
) -> dict[str, list[dict[str, object]]]:
    """The raw-table records of one received file (personal data transformed), by table name."""
    cover_in = dict(result.cover or {})
    for k, v in (
        ("unit_code", result.unit_code),
        ("unit_name", result.unit_name),
        ("period", result.period),
        ("correction_no", result.correction_no),
    ):
        if cover_in.get(k) is None and v is not None:
            cover_in[k] = v
    cover = transform_row(forms.COVER, cover_in, secret)
    sub = {
        "submission_id": result.sha256,
        "original_name": scrub_id_text(original_name if original_name is not None else result.original_name, secret),
        "received_at": _utc_naive(received_at),
        "size_bytes": result.size,
        "outcome": result.outcome,
        "error_count": len(result.errors),
        "warning_count": len(result.warnings),
        "format": result.format,
        **cover,
        "backfill": bool(getattr(result, "backfill", False)),
    }
    sc = _scrubber_for(result, secret)
    out: dict[str, list[dict[str, object]]] = {
        "submissions": [sub],
        "rule_hits": [
            {
                "submission_id": result.sha256,
                "rule_id": h.rule_id,
                "severity": h.severity,
                "sheet": sc.text(h.sheet),
                "row": h.row,
                "column_header": sc.text(h.column),
                "value": sc.hit_value(h.column, h.value),
                "message": sc.text(h.message),
                "cell": h.cell,
                "hit_no": i,
            }
            for i, h in enumerate(result.hits)
        ],
    }
    lineage = {
        "submission_id": result.sha256,
        "unit_code": result.unit_code,
        "period": result.period,
        "correction_no": result.correction_no,
    }
    for form in forms.DATA_FORMS:
        rows = (result.rows or {}).get(form.key, []) if result.outcome != REJECTED else []
        out[form.key] = [
            {**lineage, "source_sheet": r.sheet, "source_row": r.source_row, **transform_row(form, r.values, secret)}
            for r in rows
        ]
    return out


def load_submissions(
    con: duckdb.DuckDBPyConnection, items: list[tuple[ValidationResult, dt.datetime, str | None]], secret: bytes
) -> list[dict[str, int]]:
    """Write several received files in ONE transaction (one insert per table); rows written per file.

    Always a ``raw.submissions`` row and its ``raw.rule_hits``; data rows only when not rejected.
    Any error rolls every file of the call back and is re-raised (the caller may retry them one by one).
    """
    if not items:
        return []
    per_file = [submission_records(r, at, name, secret) for r, at, name in items]
    columns = table_columns()
    con.execute("BEGIN TRANSACTION")
    try:
        for table, cols in columns.items():
            records = [rec for recs in per_file for rec in recs[table]]
            if records:
                _bulk_insert(con, table, cols, records)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    counts = []
    for (result, _, _), recs in zip(items, per_file):
        c = {"submissions": 1, "rule_hits": len(recs["rule_hits"])}
        if result.outcome != REJECTED:
            c.update({form.key: len(recs[form.key]) for form in forms.DATA_FORMS})
        counts.append(c)
    return counts


def load_submission(
    con: duckdb.DuckDBPyConnection,
    result: ValidationResult,
    received_at: dt.datetime,
    original_name: str | None = None,
    *,
    secret: bytes,
) -> dict[str, int]:
    """Write one received file in ONE transaction; returns rows written per table (see load_submissions)."""
    return load_submissions(con, [(result, received_at, original_name)], secret)[0]
