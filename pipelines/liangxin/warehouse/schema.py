"""The raw schema of the build database: connecting, creating it atomically, its tables (columns from
``liangxin.forms``) and the fingerprint of the person-key secret it is keyed with (``meta.keying``)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from liangxin import forms, paths, privacy
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS

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
    return {
        t: [(c, f"{typ} {CONSTRAINTS[(t, c)]}" if (t, c) in CONSTRAINTS else typ, d) for c, typ, d in cols]
        for t, cols in forms.raw_tables().items()
    }


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
    """Create schema ``raw`` and its tables, and the build-plan tables in ``meta``, if they do not exist
    (idempotent), and (given the person-key
    ``secret``) check that it is the one the warehouse is keyed with (``check_keying``): every writer —
    ingestion, the dbt build asset, re-ingestion — opens the build database through here with its secret."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    have: dict[str, set[str]] = {}
    for t, c in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'raw'"
    ).fetchall():
        have.setdefault(t, set()).add(c)
    for table, cols in table_columns().items():
        if table not in have:
            body = ", ".join(f"{_q(c)} {t}" for c, t, _ in cols)
            con.execute(f"CREATE TABLE IF NOT EXISTS raw.{_q(table)} ({body})")
            continue
        for c, t, _ in cols:  # a database made before a column was defined (e.g. backfill): add it, empty
            if c not in have[table]:
                con.execute(f"ALTER TABLE raw.{_q(table)} ADD COLUMN IF NOT EXISTS {_q(c)} {_base_type(t)}")
    from liangxin.partitions import ensure_meta  # the build plan of the incremental dbt models (D210)

    ensure_meta(con)
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
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {KEYING_TABLE} (fingerprint VARCHAR NOT NULL, "
        "recorded_at TIMESTAMP NOT NULL, note VARCHAR)"
    )
    con.execute(f"DELETE FROM {KEYING_TABLE}")
    con.execute(
        f"INSERT INTO {KEYING_TABLE} VALUES (?, ?, ?)",
        [fingerprint, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), note],
    )


def mismatch_message(stored: str, current: str) -> str:
    dev = "（开发默认密钥）" if stored == privacy.DEV_FINGERPRINT else ""
    cur_dev = "（开发默认密钥）" if current == privacy.DEV_FINGERPRINT else ""
    return (
        f"区级密钥与构建库不符：构建库的人员键由指纹 {stored[:12]}{dev} 的密钥生成，当前 LIANGXIN_HMAC_SECRET "
        f"的指纹为 {current[:12]}{cur_dev}。继续会把新旧两种人员键混在一起，已停止，未接收、未构建任何内容。"
        "若是环境变量设错，请改回原密钥；确需更换密钥，请执行 liangxin rekey（从归档重新接收全部文件）。/ "
        "LIANGXIN_HMAC_SECRET does not match the secret this warehouse was keyed with; "
        "restore it, or run `liangxin rekey` to re-key from the archive."
    )


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
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException:  # a writer holds the file now: it checks the keying itself (ensure_schema)
        return
    try:
        stored = stored_fingerprint(con)
    finally:
        con.close()
    if stored is not None and stored != fp:
        raise privacy.SecretMismatchError(mismatch_message(stored, fp))
