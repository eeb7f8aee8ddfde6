"""The raw layer of the DuckDB build database (docs/internals.md, "Raw warehouse tables").

- ``raw.submissions``: one row per received file (accepted, accepted with warnings, rejected).
- ``raw.rule_hits``: every rule hit of every received file.
- ``raw.<form key>``: the typed rows of accepted submissions, columns ``forms.raw_columns(form)``.

Raw is append-only: nothing is ever updated or deleted.  The *current* return of a unit and period (its
highest accepted correction) is always derived by a query (here for the validator, in dbt for the marts).

Each submission is written in one transaction (``load_submission``): either all of its rows exist or none.
Personal data is transformed before anything reaches DuckDB (``liangxin.privacy``): citizen IDs become
HMAC person keys + birth year + sex, names are masked to surname + ``*``, phones to ``138****8000``.
Rule-hit values and messages are scrubbed of the ID numbers, names and phones they quote; sheet names, column
headers, file names and free-text fields (``is_free_text``: 更正说明, 差额说明 …) of every ID-shaped string.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb

from liangxin import forms, neutral, paths, periods, privacy
from liangxin.checks import id_valid, uscc_valid
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, ValidationResult

ACCEPTED_OUTCOMES = (ACCEPTED, ACCEPTED_WITH_WARNINGS)

# storage constraints of the raw tables; their columns are defined once, in liangxin.forms (raw_tables)
CONSTRAINTS = {("submissions", "submission_id"): "NOT NULL PRIMARY KEY", ("rule_hits", "submission_id"): "NOT NULL"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _base_type(sql_type: str) -> str:
    """Column type without constraints (for read_json column specs)."""
    return sql_type.replace(" NOT NULL", "").replace(" PRIMARY KEY", "").strip()


def table_columns() -> dict[str, list[tuple[str, str, str]]]:
    """table name (without schema) -> (column, SQL type with its storage constraint, description)."""
    return {t: [(c, f"{typ} {CONSTRAINTS[(t, c)]}" if (t, c) in CONSTRAINTS else typ, d) for c, typ, d in cols]
            for t, cols in forms.raw_tables().items()}


# --------------------------------------------------------------------------------------------------
# Connection and schema
# --------------------------------------------------------------------------------------------------
def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the build database ``path`` (``Settings.duckdb``), creating its folder when writing."""
    db = Path(path)
    if not read_only:
        db.parent.mkdir(parents=True, exist_ok=True)
        paths.make_private(db)  # an older home's 0644 file (issue 19)
    return duckdb.connect(str(db), read_only=read_only)


def create_database(path: Path | str, secret: bytes | None = None) -> bool:
    """Create the build database with its raw schema atomically, if it does not exist; True if created.

    DuckDB killed while creating a file leaves an empty or partial file that it refuses to open, so the
    database is built under a temporary name and moved into place with ``os.replace``.  An existing
    0-byte file (such a leftover) holds no data and is replaced.  Call it while holding the writer lock.
    ``secret`` (the person-key secret) is recorded as the new database's fingerprint.
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
            ensure_schema(con, secret)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)  # a WAL beside a missing/empty file belongs to no data
        os.chmod(tmp, paths.PRIVATE_FILE)
        os.replace(tmp, db)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def ensure_schema(con: duckdb.DuckDBPyConnection, secret: bytes | None = None) -> None:
    """Create schema ``raw`` and its tables if they do not exist (idempotent), and (given the person-key
    ``secret``) check that it is the one the warehouse is keyed with (``check_keying``): every writer —
    ingestion, the dbt build asset, re-ingestion — opens the build database through here with its secret."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    have: dict[str, set[str]] = {}
    for t, c in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = 'raw'").fetchall():
        have.setdefault(t, set()).add(c)
    for table, cols in table_columns().items():
        if table not in have:
            body = ", ".join(f"{_q(c)} {t}" for c, t, _ in cols)
            con.execute(f"CREATE TABLE IF NOT EXISTS raw.{_q(table)} ({body})")
            continue
        for c, t, _ in cols:  # a database made before a column was defined (e.g. backfill): add it, empty
            if c not in have[table]:
                con.execute(f"ALTER TABLE raw.{_q(table)} ADD COLUMN IF NOT EXISTS {_q(c)} {_base_type(t)}")
    if secret is not None:
        check_keying(con, secret)


# --------------------------------------------------------------------------------------------------
# The secret's fingerprint (meta.keying)
# --------------------------------------------------------------------------------------------------
KEYING_TABLE = "meta.keying"


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the secret the warehouse is keyed with, or None (no table or no row yet)."""
    try:
        row = con.execute(f"SELECT fingerprint FROM {KEYING_TABLE} ORDER BY recorded_at DESC LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def record_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str, note: str) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(f"CREATE TABLE IF NOT EXISTS {KEYING_TABLE} (fingerprint VARCHAR NOT NULL, "
                "recorded_at TIMESTAMP NOT NULL, note VARCHAR)")
    con.execute(f"DELETE FROM {KEYING_TABLE}")
    con.execute(f"INSERT INTO {KEYING_TABLE} VALUES (?, ?, ?)",
                [fingerprint, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), note])


def mismatch_message(stored: str, current: str) -> str:
    dev = "（开发默认密钥）" if stored == privacy.DEV_FINGERPRINT else ""
    cur_dev = "（开发默认密钥）" if current == privacy.DEV_FINGERPRINT else ""
    return (f"区级密钥与构建库不符：构建库的人员键由指纹 {stored[:12]}{dev} 的密钥生成，当前 LIANGXIN_HMAC_SECRET "
            f"的指纹为 {current[:12]}{cur_dev}。继续会把新旧两种人员键混在一起，已停止，未接收、未构建任何内容。"
            "若是环境变量设错，请改回原密钥；确需更换密钥，请执行 liangxin rekey（从归档重新接收全部文件）。/ "
            "LIANGXIN_HMAC_SECRET does not match the secret this warehouse was keyed with; "
            "restore it, or run `liangxin rekey` to re-key from the archive.")


def check_keying(con: duckdb.DuckDBPyConnection, secret: bytes) -> str:
    """Raise ``privacy.SecretMismatchError`` unless the secret's fingerprint is the stored one; returns it.

    A database without a stored fingerprint (new, or made before fingerprints existed) adopts the current
    secret's.  ``Settings.secret`` has already refused a missing, default or weak secret in production.
    """
    fp = privacy.secret_fingerprint(secret)
    stored = stored_fingerprint(con)
    if stored is None:
        has_data = con.execute("SELECT count(*) FROM raw.submissions").fetchone()[0] > 0
        record_fingerprint(con, fp, "adopted: existing data keyed before fingerprints" if has_data else "created")
        return fp
    if stored != fp:
        raise privacy.SecretMismatchError(mismatch_message(stored, fp))
    return fp


def check_secret_for(db: Path | str, secret: bytes) -> None:
    """Check the secret against an existing build database (read-only; nothing to check without one)."""
    db = Path(db)
    if not db.exists() or db.stat().st_size == 0:
        return
    fp = privacy.secret_fingerprint(secret)
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = stored_fingerprint(con)
    finally:
        con.close()
    if stored is not None and stored != fp:
        raise privacy.SecretMismatchError(mismatch_message(stored, fp))


# --------------------------------------------------------------------------------------------------
# Personal-data transformation
# --------------------------------------------------------------------------------------------------
_ID_RE = neutral.ID_RE  # one definition of an ID-shaped string (liangxin.neutral)
_PII_ID_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_ID}
_PII_NAME_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_NAME}
_PII_PHONE_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_PHONE}
_USCC_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.name == "uscc"}


def is_free_text(f: forms.Field) -> bool:
    """A field whose value is prose a submitter types (更正说明, 差额说明, names of units, organizations,
    trainings …): ID-shaped strings in it are scrubbed on ingestion.  Codes and keys are not free text
    (their rules already constrain them) and are stored as received."""
    return (f.type == forms.TEXT and f.pii is None and f.code_list is None and f.max_len is None
            and f.name not in ("uscc", "period", "template_version") and not f.name.endswith("_code"))


def scrub_id_text(s: str | None, secret: bytes) -> str | None:
    """Free text with every ID-shaped string replaced: a valid citizen ID by its person key (joinable with
    the raw tables), any other (a mistyped ID is still somebody's) by ``neutral.ID_PLACEHOLDER``."""
    return neutral.scrub_ids(s, lambda m: mask_id_text(m, secret) if id_valid(m.upper()) else neutral.ID_PLACEHOLDER)


def mask_id_text(value: str, secret: bytes) -> str:
    """How an ID number quoted in a rule hit is stored: its person key (joinable with the raw tables)."""
    return "person_key:" + privacy.person_key(value, secret)


_PLANS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]] = {}


def _plan(form: forms.Form) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """(plain field names, (name, pii kind, stem) of personal fields, free-text field names) of a form,
    computed once."""
    plan = _PLANS.get(form.key)
    if plan is None:
        plain = tuple(f.name for f in form.fields if f.pii is None)
        pii = tuple((f.name, f.pii, f.name[: -len("_id")] if f.pii == forms.PII_ID else f.name)
                    for f in form.fields if f.pii is not None)
        free = tuple(f.name for f in form.fields if is_free_text(f))
        plan = _PLANS[form.key] = (plain, pii, free)
    return plan


def transform_row(form: forms.Form, values: dict[str, object], secret: bytes) -> dict[str, object]:
    """Typed values of one row -> raw-table values (personal data transformed, no raw ID left)."""
    plain, pii, free = _plan(form)
    get = values.get
    out: dict[str, object] = {name: get(name) for name in plain}
    for name in free:
        v = out.get(name)
        if isinstance(v, str) and len(v) >= 18:
            out[name] = scrub_id_text(v, secret)
    for name, kind, stem in pii:
        v = get(name)
        if kind == forms.PII_ID:
            if v is None or str(v).strip() == "":
                out[f"{stem}_key"] = out[f"{stem}_birth_year"] = out[f"{stem}_sex"] = None
            else:
                out[f"{stem}_key"] = privacy.person_key(str(v), secret)
                out[f"{stem}_birth_year"] = privacy.birth_year(str(v))
                out[f"{stem}_sex"] = privacy.sex(str(v))
        elif kind == forms.PII_NAME:
            out[name] = privacy.mask_name(v if v is None else str(v))
        elif kind == forms.PII_PHONE:
            out[name] = privacy.mask_phone(v if v is None else str(v))
        else:  # pragma: no cover - every personal-data kind is handled above
            raise ValueError(f"unknown personal-data kind {kind!r} of {form.key}.{name}")
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
        # any remaining ID-shaped string: a valid ID keyed as well, any other hidden
        return scrub_id_text(s, self.secret)

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
        if label in _USCC_LABELS and uscc_valid(str(value).strip()) and not id_valid(str(value).strip().upper()):
            return value  # an all-digit credit code is a unit's public code, not an ID
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
_ARROW_TYPES = {
    "VARCHAR": "string", "INTEGER": "int32", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool_",
    "DATE": "date32", "TIMESTAMP": "timestamp",
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


def _bulk_insert(con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str, str]],
                 records: Iterable[dict[str, object]]) -> int:
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
        con.execute(f"INSERT INTO raw.{_q(table)} ({', '.join(_q(c) for c in names)}) "
                    f"SELECT {select} FROM _liangxin_batch")
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


def submission_records(result: ValidationResult, received_at: dt.datetime, original_name: str | None,
                       secret: bytes) -> dict[str, list[dict[str, object]]]:
    """The raw-table records of one received file (personal data transformed), by table name."""
    cover_in = dict(result.cover or {})
    for k, v in (("unit_code", result.unit_code), ("unit_name", result.unit_name), ("period", result.period),
                 ("correction_no", result.correction_no)):
        if cover_in.get(k) is None and v is not None:
            cover_in[k] = v
    cover = transform_row(forms.COVER, cover_in, secret)
    sub = {
        "submission_id": result.sha256,
        "original_name": scrub_id_text(original_name if original_name is not None else result.original_name,
                                       secret),
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
                "submission_id": result.sha256, "rule_id": h.rule_id, "severity": h.severity,
                "sheet": sc.text(h.sheet), "row": h.row, "column_header": sc.text(h.column),
                "value": sc.hit_value(h.column, h.value),
                "message": sc.text(h.message), "cell": h.cell, "hit_no": i,
            }
            for i, h in enumerate(result.hits)
        ],
    }
    lineage = {"submission_id": result.sha256, "unit_code": result.unit_code, "period": result.period,
               "correction_no": result.correction_no}
    for form in forms.DATA_FORMS:
        rows = (result.rows or {}).get(form.key, []) if result.outcome != REJECTED else []
        out[form.key] = [
            {**lineage, "source_sheet": r.sheet, "source_row": r.source_row, **transform_row(form, r.values, secret)}
            for r in rows
        ]
    return out


def load_submissions(con: duckdb.DuckDBPyConnection,
                     items: list[tuple[ValidationResult, dt.datetime, str | None]],
                     secret: bytes) -> list[dict[str, int]]:
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


def load_submission(con: duckdb.DuckDBPyConnection, result: ValidationResult, received_at: dt.datetime,
                    original_name: str | None = None, *, secret: bytes) -> dict[str, int]:
    """Write one received file in ONE transaction; returns rows written per table (see load_submissions)."""
    return load_submissions(con, [(result, received_at, original_name)], secret)[0]


# --------------------------------------------------------------------------------------------------
# What the validator asks the warehouse (ValidationContext callables)
# --------------------------------------------------------------------------------------------------
# The current return of a (community, period): among its accepted submissions the highest 更正序号, then the
# latest received, then the smallest submission id.  The same rule as dbt's int_current_submissions, which
# everything built reads; this copy answers the validator during ingestion, before any build
# (tests/test_dbt_indicators.py::test_current_return_and_spine checks that both pick the same files).
CURRENT_RETURNS_SQL = f"""
    SELECT submission_id, unit_code, period, correction_no, received_at FROM (
        SELECT submission_id, unit_code, period, correction_no, received_at,
               row_number() OVER (PARTITION BY unit_code, period
                                  ORDER BY correction_no DESC, received_at DESC, submission_id) AS rn
        FROM raw.submissions
        WHERE outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}') AND unit_code IS NOT NULL AND period IS NOT NULL
    ) WHERE rn = 1
"""
def current_returns(con: duckdb.DuckDBPyConnection, period: str | None = None) -> dict[tuple[str, str], tuple]:
    """(unit_code, period) -> (submission_id, correction_no, received_at) of the current returns in ``raw``."""
    sql = f"SELECT unit_code, period, submission_id, correction_no, received_at FROM ({CURRENT_RETURNS_SQL})"
    rows = con.execute(sql + " WHERE period = ?", [period]).fetchall() if period else con.execute(sql).fetchall()
    return {(u, p): (sid, corr, at) for u, p, sid, corr, at in rows}


def _previous_return(orgs: dict[object, object], units: int, party_org_count: int):
    """PreviousReturn from 表3 (党组织编码 -> 期末实有数) and the row counts of 表1 and 表2."""
    from liangxin.validate.context import PreviousReturn

    return PreviousReturn(
        party_orgs={k: int(v or 0) for k, v in orgs.items() if k is not None},
        units=int(units), party_org_count=int(party_org_count),
        members=int(sum(int(v or 0) for v in orgs.values())),
    )


class WarehouseContext:
    """Answers the validator's cross-submission questions from accepted submissions in ``raw``.

    Use it for one ingestion at a time, inside the writer lock: answers that scan the whole warehouse
    (Party-organization owners, uscc owners per period) are cached for the life of the object.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._org_owner: dict[str, list[tuple[str, str]]] | None = None
        self._uscc_owners: dict[str, dict[str, set[str]]] = {}

    def _current_submission(self, unit_code: str, period: str) -> str | None:
        row = self._current_row(unit_code, period)
        return row[0] if row else None

    def _current_row(self, unit_code: str, period: str) -> tuple[str, int, dt.datetime] | None:
        """(submission_id, correction_no, received_at) of the current accepted return, or None."""
        row = self.con.execute(
            f"""SELECT submission_id, correction_no, received_at FROM ({CURRENT_RETURNS_SQL})
                WHERE unit_code = ? AND period = ?""",
            [unit_code, period],
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def accepted_corrections(self, unit_code: str, period: str) -> list[int]:
        rows = self.con.execute(
            f"""SELECT DISTINCT correction_no FROM raw.submissions
                WHERE unit_code = ? AND period = ? AND outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}')
                  AND correction_no IS NOT NULL ORDER BY 1""",
            [unit_code, period],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def previous_return(self, unit_code: str, period: str):
        try:
            prev = periods.previous_period(period)
        except ValueError:
            return None
        sid = self._current_submission(unit_code, prev)
        if sid is None:
            return None
        return self._previous_from_db(sid)

    def next_return(self, unit_code: str, period: str):
        """The current accepted return of the quarter after ``period`` (rule P6), or None."""
        try:
            nxt = periods.next_period(period)
        except ValueError:
            return None
        row = self._current_row(unit_code, nxt)
        return self._next_from_db(nxt, row) if row is not None else None

    def _next_from_db(self, period: str, row):
        from liangxin.validate.context import NextReturn

        openings = self.con.execute(
            "SELECT party_org_code, opening FROM raw.member_flows WHERE submission_id = ?", [row[0]]).fetchall()
        return NextReturn(period=period, correction_no=int(row[1]),
                          openings={k: int(v or 0) for k, v in openings if k is not None})

    def _previous_from_db(self, sid: str):
        orgs = dict(self.con.execute(
            "SELECT party_org_code, closing_actual FROM raw.member_flows WHERE submission_id = ?", [sid]
        ).fetchall())
        units = self.con.execute("SELECT count(*) FROM raw.organizations WHERE submission_id = ?", [sid]).fetchone()[0]
        n_orgs = self.con.execute("SELECT count(*) FROM raw.party_orgs WHERE submission_id = ?", [sid]).fetchone()[0]
        return _previous_return(orgs, units, n_orgs)

    def _org_listings(self) -> dict[str, list[tuple[str, str]]]:
        """党组织编码 -> [(period, unit)] over the current accepted returns (read once)."""
        if self._org_owner is None:
            by: dict[str, list[tuple[str, str]]] = {}
            for code, unit, period in self.con.execute(
                f"""SELECT p.party_org_code, p.unit_code, p.period FROM raw.party_orgs p
                    JOIN ({CURRENT_RETURNS_SQL}) c USING (submission_id)"""
            ).fetchall():
                by.setdefault(code, []).append((period, unit))
            self._org_owner = by
        return self._org_owner

    def party_org_owner(self, party_org_code: str) -> str | None:
        """The community whose current accepted returns list the code: the latest period's (within a period,
        the largest unit code, deterministically)."""
        listings = self._org_listings().get(party_org_code)
        return max(listings)[1] if listings else None

    def _uscc_map(self, period: str) -> dict[str, set[str]]:
        """Upper-case uscc -> units whose current return of ``period`` lists it as 存续 (read once per period)."""
        if period not in self._uscc_owners:
            by: dict[str, set[str]] = {}
            for code, unit in self.con.execute(
                f"""SELECT upper(o.uscc), o.unit_code FROM raw.organizations o
                    JOIN ({CURRENT_RETURNS_SQL}) c USING (submission_id)
                    WHERE o.period = ? AND o.reg_status = '存续'""",
                [period],
            ).fetchall():
                by.setdefault(code, set()).add(unit)
            self._uscc_owners[period] = by
        return self._uscc_owners[period]

    def uscc_owners(self, uscc: str, period: str) -> set[str]:
        """Units whose current return of ``period`` lists the uscc with 登记状态 = 存续."""
        return set(self._uscc_map(period).get(str(uscc).upper(), set()))

    def callables(self) -> dict[str, object]:
        """The four ValidationContext callables, by field name."""
        return {
            "accepted_corrections": self.accepted_corrections,
            "previous_return": self.previous_return,
            "party_org_owner": self.party_org_owner,
            "uscc_owners": self.uscc_owners,
            "next_return": self.next_return,
        }

    def validation_context(self, received_on: dt.date, **overrides):
        from liangxin.validate.context import ValidationContext

        return ValidationContext(received_on=received_on, **self.callables(), **overrides)


@dataclass
class _Noted:
    """What the validator may ask about an accepted submission of this session (kept in memory)."""

    submission_id: str
    correction_no: int
    received_at: dt.datetime  # naive UTC, as stored
    previous: object  # PreviousReturn for the quarter after it
    usccs: frozenset[str]  # 表1 统一社会信用代码 with 登记状态 存续 (upper case)
    org_codes: frozenset[str]  # 表2 党组织编码
    openings: dict = field(default_factory=dict)  # 表3 党组织编码 -> 期初党员数 (rule P6)


class SessionIndex(WarehouseContext):
    """The validator's warehouse answers for one writer session, including files not yet written.

    A batch loads accepted files in groups (one transaction per group, ``load_submissions``) while later
    files are validated, so the answers combine what the database held when the session opened with every
    file accepted since (``note``).  The warehouse-wide maps (uscc owners per period, Party-organization
    owners) are read once per session instead of once per file.  The writer lock is held for the life of
    the object: nobody else can change ``raw`` meanwhile.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        super().__init__(con)
        self._noted: dict[tuple[str, str], _Noted] = {}  # (unit, period) -> current noted submission
        self._noted_corrections: dict[tuple[str, str], set[int]] = {}
        self._noted_shas: set[str] = set()
        self._noted_uscc_inv: dict[str, dict[str, set[str]]] = {}  # period -> uscc -> units (noted)
        self._noted_units: dict[str, set[str]] = {}  # period -> units with a noted current return
        self._noted_org_inv: dict[str, set[tuple[str, str]]] = {}  # code -> {(period, unit)} (noted)
        # read once per session from raw.submissions (small: one row per received file)
        self._db_shas: set[str] | None = None
        self._db_current: dict[tuple[str, str], tuple[str, int, dt.datetime]] | None = None
        self._db_corrections: dict[tuple[str, str], list[int]] | None = None
        self._db_previous: dict[str, dict[str, object]] = {}  # period -> submission id -> PreviousReturn

    def _load_submissions(self) -> None:
        if self._db_shas is not None:
            return
        self._db_shas = {r[0] for r in self.con.execute("SELECT submission_id FROM raw.submissions").fetchall()}
        self._db_corrections = {}
        for unit, period, corr in self.con.execute(
            f"""SELECT DISTINCT unit_code, period, correction_no FROM raw.submissions
                WHERE outcome IN ('{ACCEPTED}', '{ACCEPTED_WITH_WARNINGS}') AND unit_code IS NOT NULL
                  AND period IS NOT NULL AND correction_no IS NOT NULL ORDER BY 1, 2, 3"""
        ).fetchall():
            self._db_corrections.setdefault((unit, period), []).append(int(corr))
        self._db_current = current_returns(self.con)

    def _current_row(self, unit_code: str, period: str) -> tuple[str, int, dt.datetime] | None:
        self._load_submissions()
        return self._db_current.get((unit_code, period))

    def _db_previous_for(self, period: str, sid: str):
        """PreviousReturn of a current database submission, read for its whole period at once."""
        if period not in self._db_previous:
            self._load_submissions()
            sids = [row[0] for (_, p), row in self._db_current.items() if p == period]
            orgs: dict[str, dict[str, object]] = {s: {} for s in sids}
            for s_id, code, closing in self.con.execute(
                "SELECT submission_id, party_org_code, closing_actual FROM raw.member_flows "
                "WHERE period = ? AND list_contains(?, submission_id) ORDER BY submission_id, source_row",
                [period, sids],
            ).fetchall():
                orgs[s_id][code] = closing
            counts = {t: dict(self.con.execute(
                f"SELECT submission_id, count(*) FROM raw.{t} WHERE period = ? AND list_contains(?, submission_id) "
                "GROUP BY 1", [period, sids]).fetchall()) for t in ("organizations", "party_orgs")}
            self._db_previous[period] = {
                s: _previous_return(orgs[s], counts["organizations"].get(s, 0), counts["party_orgs"].get(s, 0))
                for s in sids
            }
        found = self._db_previous[period].get(sid)
        return found if found is not None else self._previous_from_db(sid)

    # files seen in this session ------------------------------------------------------------------
    def exists(self, sha256: str) -> bool:
        self._load_submissions()
        return sha256 in self._noted_shas or sha256 in self._db_shas

    def note(self, result: ValidationResult, received_at: dt.datetime) -> None:
        """Record a file about to be written (accepted files change later answers)."""
        self._noted_shas.add(result.sha256)
        if result.outcome not in ACCEPTED_OUTCOMES or result.unit_code is None or result.period is None \
                or result.correction_no is None:
            return
        unit, period, corr = result.unit_code, result.period, int(result.correction_no)
        at = _utc_naive(received_at)
        self._noted_corrections.setdefault((unit, period), set()).add(corr)
        old = self._noted.get((unit, period))
        if old is not None and (old.correction_no, old.received_at) > (corr, at):
            return  # not the current return of (unit, period)
        rows = result.rows or {}
        orgs = {r.values.get("party_org_code"): r.values.get("closing_actual") for r in rows.get("member_flows", [])}
        new = _Noted(
            submission_id=result.sha256, correction_no=corr, received_at=at,
            previous=_previous_return(orgs, len(rows.get("organizations", [])), len(rows.get("party_orgs", []))),
            usccs=frozenset(str(r.values["uscc"]).upper() for r in rows.get("organizations", [])
                            if r.values.get("uscc") is not None and r.values.get("reg_status") == "存续"),
            org_codes=frozenset(r.values["party_org_code"] for r in rows.get("party_orgs", [])
                                if r.values.get("party_org_code") is not None),
            openings={r.values["party_org_code"]: int(r.values.get("opening") or 0)
                      for r in rows.get("member_flows", []) if r.values.get("party_org_code") is not None},
        )
        inv = self._noted_uscc_inv.setdefault(period, {})
        for u in old.usccs if old is not None else ():
            inv.get(u, set()).discard(unit)
        for u in new.usccs:
            inv.setdefault(u, set()).add(unit)
        for c in old.org_codes if old is not None else ():
            self._noted_org_inv.get(c, set()).discard((period, unit))
        for c in new.org_codes:
            self._noted_org_inv.setdefault(c, set()).add((period, unit))
        self._noted_units.setdefault(period, set()).add(unit)
        self._noted[(unit, period)] = new

    # the four ValidationContext answers ----------------------------------------------------------
    def accepted_corrections(self, unit_code: str, period: str) -> list[int]:
        self._load_submissions()
        noted = self._noted_corrections.get((unit_code, period))
        db = list(self._db_corrections.get((unit_code, period), []))
        return sorted(set(db) | noted) if noted else db

    def previous_return(self, unit_code: str, period: str):
        try:
            prev = periods.previous_period(period)
        except ValueError:
            return None
        noted = self._noted.get((unit_code, prev))
        row = self._current_row(unit_code, prev)
        if noted is not None and (row is None or (noted.correction_no, noted.received_at) >= (row[1], row[2])):
            return noted.previous
        return self._db_previous_for(prev, row[0]) if row is not None else None

    def next_return(self, unit_code: str, period: str):
        from liangxin.validate.context import NextReturn

        try:
            nxt = periods.next_period(period)
        except ValueError:
            return None
        noted = self._noted.get((unit_code, nxt))
        row = self._current_row(unit_code, nxt)
        if noted is not None and (row is None or (noted.correction_no, noted.received_at) >= (row[1], row[2])):
            return NextReturn(period=nxt, correction_no=noted.correction_no, openings=dict(noted.openings))
        return self._next_from_db(nxt, row) if row is not None else None

    def uscc_owners(self, uscc: str, period: str) -> set[str]:
        key = str(uscc).upper()
        owners = set(self._uscc_map(period).get(key, ()))
        noted_units = self._noted_units.get(period)
        if noted_units:  # a unit's noted return replaces what the database held for it
            owners -= noted_units
            owners |= self._noted_uscc_inv.get(period, {}).get(key, set())
        return owners

    def party_org_owner(self, party_org_code: str) -> str | None:
        cands = [(p, u) for p, u in self._org_listings().get(party_org_code, ()) if (u, p) not in self._noted]
        cands += self._noted_org_inv.get(party_org_code, ())
        return max(cands)[1] if cands else None


def raw_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """Changes whenever a file is written to raw (append-only) or the database is replaced (restore)."""
    return tuple(con.execute("SELECT count(*), bit_xor(hash(submission_id)) FROM raw.submissions").fetchone())


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every raw table (tests, CLI summaries, Dagster metadata)."""
    return {t: int(con.execute(f"SELECT count(*) FROM raw.{_q(t)}").fetchone()[0]) for t in table_columns()}
