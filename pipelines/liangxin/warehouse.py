"""The raw layer of the DuckDB build database (docs/internals.md, "Raw warehouse tables").

- ``raw.submissions``: one row per received file (accepted, accepted with warnings, rejected).
- ``raw.rule_hits``: every rule hit of every received file.
- ``raw.<form key>``: the typed rows of accepted submissions, columns ``forms.raw_columns(form)``.

Raw is append-only: nothing is ever updated or deleted.  The *current* return of a unit and period (its
highest accepted correction) is always derived by a query (here for the validator, in dbt for the marts).

Each submission is written in one transaction (``load_submission``): either all of its rows exist or none.
Personal data is transformed before anything reaches DuckDB (``liangxin.privacy``): citizen IDs become
HMAC person keys + birth year + sex, names are masked to surname + ``*``, phones to ``138****8000``.
Rule-hit values and messages are scrubbed of the ID numbers, names and phones they quote.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb

from liangxin import forms, paths, periods, privacy
from liangxin.checks import id_valid
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, ValidationResult

ACCEPTED_OUTCOMES = (ACCEPTED, ACCEPTED_WITH_WARNINGS)

SUBMISSION_COLUMNS: list[tuple[str, str, str]] = [
    ("submission_id", "VARCHAR NOT NULL PRIMARY KEY", "SHA-256 of the received file"),
    ("original_name", "VARCHAR", "file name as received"),
    ("received_at", "TIMESTAMP", "receipt time (UTC)"),
    ("size_bytes", "BIGINT", "file size in bytes"),
    ("outcome", "VARCHAR", "accepted | accepted_with_warnings | rejected"),
    ("error_count", "INTEGER", "number of E rule hits"),
    ("warning_count", "INTEGER", "number of W rule hits"),
    ("format", "VARCHAR", "xlsx | csvzip"),
] + forms.raw_columns(forms.COVER)

RULE_HIT_COLUMNS: list[tuple[str, str, str]] = [
    ("submission_id", "VARCHAR NOT NULL", "SHA-256 of the received file"),
    ("rule_id", "VARCHAR", "rule id (F4, R11, …)"),
    ("severity", "VARCHAR", "E | W"),
    ("sheet", "VARCHAR", "sheet name"),
    ("row", "INTEGER", "1-based sheet row (header = 1)"),
    ("column_header", "VARCHAR", "Chinese column header"),
    ("value", "VARCHAR", "value found (personal data masked)"),
    ("message", "VARCHAR", "Chinese message (personal data masked)"),
    ("cell", "VARCHAR", "cell reference such as C5"),
    ("hit_no", "INTEGER", "order of the hit within the submission (0-based)"),
]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _base_type(sql_type: str) -> str:
    """Column type without constraints (for read_json column specs)."""
    return sql_type.replace(" NOT NULL", "").replace(" PRIMARY KEY", "").strip()


def table_columns() -> dict[str, list[tuple[str, str, str]]]:
    """table name (without schema) -> (column, SQL type, description)."""
    out = {"submissions": SUBMISSION_COLUMNS, "rule_hits": RULE_HIT_COLUMNS}
    for form in forms.DATA_FORMS:
        out[form.key] = forms.raw_columns(form)
    return out


# --------------------------------------------------------------------------------------------------
# Connection and schema
# --------------------------------------------------------------------------------------------------
def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the build database (default ``paths.build_db()``), creating its folder when writing."""
    db = Path(path) if path is not None else paths.build_db()
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(db), read_only=read_only)


def create_database(path: Path | str) -> bool:
    """Create the build database with its raw schema atomically, if it does not exist; True if created.

    DuckDB killed while creating a file leaves an empty or partial file that it refuses to open, so the
    database is built under a temporary name and moved into place with ``os.replace``.  An existing
    0-byte file (such a leftover) holds no data and is replaced.  Call it while holding the writer lock.
    """
    db = Path(path)
    if db.exists() and db.stat().st_size > 0:
        return False
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    for leftover in db.parent.glob(f".{db.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            ensure_schema(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)  # a WAL beside a missing/empty file belongs to no data
        os.replace(tmp, db)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` and its tables if they do not exist (idempotent)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table, cols in table_columns().items():
        body = ", ".join(f"{_q(c)} {t}" for c, t, _ in cols)
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{_q(table)} ({body})")


# --------------------------------------------------------------------------------------------------
# Personal-data transformation
# --------------------------------------------------------------------------------------------------
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PII_ID_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_ID}
_PII_NAME_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_NAME}
_PII_PHONE_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_PHONE}


def mask_id_text(value: str, secret: bytes) -> str:
    """How an ID number quoted in a rule hit is stored: its person key (joinable with the raw tables)."""
    return "person_key:" + privacy.person_key(value, secret)


def transform_row(form: forms.Form, values: dict[str, object], secret: bytes) -> dict[str, object]:
    """Typed values of one row -> raw-table values (personal data transformed, no raw ID left)."""
    out: dict[str, object] = {}
    for f in form.fields:
        v = values.get(f.name)
        if f.pii == forms.PII_ID:
            stem = f.name[: -len("_id")]
            if v is None or str(v).strip() == "":
                out[f"{stem}_key"] = out[f"{stem}_birth_year"] = out[f"{stem}_sex"] = None
            else:
                out[f"{stem}_key"] = privacy.person_key(str(v), secret)
                out[f"{stem}_birth_year"] = privacy.birth_year(str(v))
                out[f"{stem}_sex"] = privacy.sex(str(v))
        elif f.pii == forms.PII_NAME:
            out[f.name] = privacy.mask_name(v if v is None else str(v))
        elif f.pii == forms.PII_PHONE:
            out[f.name] = privacy.mask_phone(v if v is None else str(v))
        else:
            out[f.name] = v
    return out


@dataclass
class _Scrubber:
    """Replaces personal data quoted in rule hits (values and messages) by its stored form."""

    secret: bytes
    replacements: dict[str, str] = field(default_factory=dict)

    def add(self, raw: object, masked: str | None) -> None:
        if raw is None:
            return
        s = str(raw).strip()
        if len(s) >= 2 and masked is not None and s != masked:
            self.replacements[s] = masked

    def text(self, s: str | None) -> str | None:
        if s is None:
            return None
        for raw in sorted(self.replacements, key=len, reverse=True):
            if raw in s:
                s = s.replace(raw, self.replacements[raw])
        # any remaining well-formed citizen ID number (check character right) is keyed as well
        return _ID_RE.sub(lambda m: mask_id_text(m.group(0), self.secret) if id_valid(m.group(0).upper())
                          else m.group(0), s)

    def hit_value(self, column: str | None, value: str | None) -> str | None:
        if value is None:
            return None
        label = forms.normalise_header(column or "")
        if label in _PII_ID_LABELS:
            return mask_id_text(str(value), self.secret) if str(value).strip() else value
        if label in _PII_NAME_LABELS:
            return privacy.mask_name(value)
        if label in _PII_PHONE_LABELS:
            return privacy.mask_phone(value)
        return self.text(str(value))


def _scrubber_for(result: ValidationResult, secret: bytes) -> _Scrubber:
    sc = _Scrubber(secret)
    all_rows: list[tuple[forms.Form, dict]] = []
    if result.cover:
        all_rows.append((forms.COVER, result.cover))
    for key, rows in (result.rows or {}).items():
        form = forms.FORMS_BY_KEY.get(key)
        if form is not None:
            all_rows += [(form, r.values) for r in rows]
    for form, values in all_rows:
        for f in form.fields:
            if f.pii is None:
                continue
            v = values.get(f.name)
            if v is None:
                continue
            if f.pii == forms.PII_ID:
                sc.add(v, mask_id_text(str(v), secret))
            elif f.pii == forms.PII_NAME and len(str(v).strip()) >= 2:
                sc.add(v, privacy.mask_name(str(v)))
            elif f.pii == forms.PII_PHONE:
                sc.add(v, privacy.mask_phone(str(v)))
    for h in result.hits:  # values of ID / name / phone cells that did not parse
        label = forms.normalise_header(h.column or "")
        if h.value and label in _PII_ID_LABELS:
            sc.add(h.value, mask_id_text(h.value, secret))
        elif h.value and label in _PII_NAME_LABELS and len(h.value.strip()) >= 2:
            sc.add(h.value, privacy.mask_name(h.value))
        elif h.value and label in _PII_PHONE_LABELS:
            sc.add(h.value, privacy.mask_phone(h.value))
    return sc


# --------------------------------------------------------------------------------------------------
# Bulk insert
# --------------------------------------------------------------------------------------------------
def _json_value(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, (int, float, str)):
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    raise TypeError(f"unsupported value type {type(v).__name__}: {v!r}")


def _bulk_insert(con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str, str]],
                 records: Iterable[dict[str, object]]) -> int:
    """Insert dict records into raw.<table> through a newline-delimited JSON temp file.

    DuckDB's ``executemany`` and parameter binding cost ~2-3 ms per row; ``read_json`` of a temp file with
    an explicit column spec loads a district return (~300 rows) in a few milliseconds.  Values are cast by
    DuckDB to the declared column types, so a value of the wrong type raises (and the caller rolls back).
    The temp file only ever holds transformed (masked) data.
    """
    names = [c for c, _, _ in cols]
    fd, tmp = tempfile.mkstemp(prefix="liangxin-load-", suffix=".jsonl")
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps([_json_value(rec.get(c)) for c in names], ensure_ascii=False))
                fh.write("\n")
                n += 1
        if n == 0:
            return 0
        # each line is a JSON array; read it as one LIST(JSON) column and pick the elements by position
        select = ", ".join(
            f"CAST(json_extract_string(j, '$[{i}]') AS {_base_type(t)}) AS {_q(c)}" for i, (c, t, _) in enumerate(cols)
        )
        con.execute(
            f"INSERT INTO raw.{_q(table)} ({', '.join(_q(c) for c in names)}) "
            f"SELECT {select} FROM read_json(?, format='newline_delimited', records=false, "
            f"columns={{'j': 'JSON'}})",
            [tmp],
        )
        return n
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


# --------------------------------------------------------------------------------------------------
# Loading one submission
# --------------------------------------------------------------------------------------------------
def _utc_naive(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts


def submission_exists(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return con.execute("SELECT 1 FROM raw.submissions WHERE submission_id = ?", [sha256]).fetchone() is not None


def load_submission(con: duckdb.DuckDBPyConnection, result: ValidationResult, received_at: dt.datetime,
                    original_name: str | None = None) -> dict[str, int]:
    """Write one received file in ONE transaction; returns rows written per table.

    Always a ``raw.submissions`` row and its ``raw.rule_hits``; data rows only when not rejected.
    Any error rolls the whole submission back and is re-raised.
    """
    secret = privacy.hmac_secret()
    outcome = result.outcome
    cover_in = dict(result.cover or {})
    for k, v in (("unit_code", result.unit_code), ("unit_name", result.unit_name), ("period", result.period),
                 ("correction_no", result.correction_no)):
        if cover_in.get(k) is None and v is not None:
            cover_in[k] = v
    cover = transform_row(forms.COVER, cover_in, secret)
    sub = {
        "submission_id": result.sha256,
        "original_name": original_name if original_name is not None else result.original_name,
        "received_at": _utc_naive(received_at),
        "size_bytes": result.size,
        "outcome": outcome,
        "error_count": len(result.errors),
        "warning_count": len(result.warnings),
        "format": result.format,
        **cover,
    }
    sc = _scrubber_for(result, secret)
    hits = [
        {
            "submission_id": result.sha256, "rule_id": h.rule_id, "severity": h.severity, "sheet": h.sheet,
            "row": h.row, "column_header": h.column, "value": sc.hit_value(h.column, h.value),
            "message": sc.text(h.message), "cell": h.cell, "hit_no": i,
        }
        for i, h in enumerate(result.hits)
    ]
    lineage = {"submission_id": result.sha256, "unit_code": result.unit_code, "period": result.period,
               "correction_no": result.correction_no}
    counts: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        counts["submissions"] = _bulk_insert(con, "submissions", SUBMISSION_COLUMNS, [sub])
        counts["rule_hits"] = _bulk_insert(con, "rule_hits", RULE_HIT_COLUMNS, hits)
        if outcome != REJECTED:
            for form in forms.DATA_FORMS:
                rows = (result.rows or {}).get(form.key, [])
                recs = (
                    {**lineage, "source_sheet": r.sheet, "source_row": r.source_row,
                     **transform_row(form, r.values, secret)}
                    for r in rows
                )
                counts[form.key] = _bulk_insert(con, form.key, forms.raw_columns(form), recs)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    return counts


# --------------------------------------------------------------------------------------------------
# What the validator asks the warehouse (ValidationContext callables)
# --------------------------------------------------------------------------------------------------
_CURRENT_SQL = f"""
    SELECT unit_code, period, max(correction_no) AS correction_no
    FROM raw.submissions
    WHERE outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}') AND unit_code IS NOT NULL AND period IS NOT NULL
    GROUP BY unit_code, period
"""


class WarehouseContext:
    """Answers the validator's cross-submission questions from accepted submissions in ``raw``.

    Use it for one ingestion at a time, inside the writer lock: answers that scan the whole warehouse
    (Party-organization owners, uscc owners per period) are cached for the life of the object.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._org_owner: dict[str, str] | None = None
        self._uscc_owners: dict[str, dict[str, set[str]]] = {}

    def _current_submission(self, unit_code: str, period: str) -> str | None:
        row = self.con.execute(
            f"""SELECT s.submission_id FROM raw.submissions s
                JOIN ({_CURRENT_SQL}) c USING (unit_code, period, correction_no)
                WHERE s.unit_code = ? AND s.period = ?
                  AND s.outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}')
                ORDER BY s.received_at DESC LIMIT 1""",
            [unit_code, period],
        ).fetchone()
        return row[0] if row else None

    def accepted_corrections(self, unit_code: str, period: str) -> list[int]:
        rows = self.con.execute(
            f"""SELECT DISTINCT correction_no FROM raw.submissions
                WHERE unit_code = ? AND period = ? AND outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}')
                  AND correction_no IS NOT NULL ORDER BY 1""",
            [unit_code, period],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def previous_return(self, unit_code: str, period: str):
        from liangxin.validate.context import PreviousReturn

        try:
            prev = periods.previous_period(period)
        except ValueError:
            return None
        sid = self._current_submission(unit_code, prev)
        if sid is None:
            return None
        orgs = dict(self.con.execute(
            "SELECT party_org_code, closing_actual FROM raw.member_flows WHERE submission_id = ?", [sid]
        ).fetchall())
        units = self.con.execute("SELECT count(*) FROM raw.organizations WHERE submission_id = ?", [sid]).fetchone()[0]
        n_orgs = self.con.execute("SELECT count(*) FROM raw.party_orgs WHERE submission_id = ?", [sid]).fetchone()[0]
        return PreviousReturn(
            party_orgs={k: int(v or 0) for k, v in orgs.items() if k is not None},
            units=int(units), party_org_count=int(n_orgs),
            members=int(sum(int(v or 0) for v in orgs.values())),
        )

    def party_org_owner(self, party_org_code: str) -> str | None:
        """The community whose current accepted returns list the code (most recent period first)."""
        if self._org_owner is None:
            rows = self.con.execute(
                f"""SELECT p.party_org_code, p.unit_code FROM raw.party_orgs p
                    JOIN ({_CURRENT_SQL}) c USING (unit_code, period, correction_no)
                    ORDER BY p.period ASC"""
            ).fetchall()
            self._org_owner = {code: unit for code, unit in rows}  # later periods overwrite earlier ones
        return self._org_owner.get(party_org_code)

    def uscc_owners(self, uscc: str, period: str) -> set[str]:
        """Units whose current return of ``period`` lists the uscc with 登记状态 = 存续."""
        if period not in self._uscc_owners:
            by: dict[str, set[str]] = {}
            for code, unit in self.con.execute(
                f"""SELECT upper(o.uscc), o.unit_code FROM raw.organizations o
                    JOIN ({_CURRENT_SQL}) c USING (unit_code, period, correction_no)
                    WHERE o.period = ? AND o.reg_status = '存续'""",
                [period],
            ).fetchall():
                by.setdefault(code, set()).add(unit)
            self._uscc_owners[period] = by
        return set(self._uscc_owners[period].get(str(uscc).upper(), set()))

    def callables(self) -> dict[str, object]:
        """The four ValidationContext callables, by field name."""
        return {
            "accepted_corrections": self.accepted_corrections,
            "previous_return": self.previous_return,
            "party_org_owner": self.party_org_owner,
            "uscc_owners": self.uscc_owners,
        }

    def validation_context(self, received_on: dt.date, **overrides):
        from liangxin.validate.context import ValidationContext

        return ValidationContext(received_on=received_on, **self.callables(), **overrides)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every raw table (tests, CLI summaries, Dagster metadata)."""
    return {t: int(con.execute(f"SELECT count(*) FROM raw.{_q(t)}").fetchone()[0]) for t in table_columns()}
