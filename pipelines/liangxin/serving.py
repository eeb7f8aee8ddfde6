"""The serving snapshot: readers never open the build database.

After a successful build the published part of the build file is written to a temporary file beside the
serving file and moved over it with ``os.replace`` (atomic on POSIX).  Every reader — the static dashboard,
Superset, analysts' SQL — opens ``serve.duckdb`` read-only, so a running build never blocks them and they
never see a half-written file: they see the previous snapshot or the new one.

What is published (issue 19, docs/security.md): only the aggregate schemas ``marts``, ``annual``, ``ref``
(``PUBLISHED_SCHEMAS``; dbt's ``main_<x>`` spellings too), and of those only tables without a person-level
column (``person_columns``: the person keys, birth years and sexes derived from ID numbers, masked names and
phones).  ``raw``, ``staging``, ``intermediate``, ``meta`` and person-level marts such as
``fct_training_attendance`` stay in the build file, which only the service account can read (0600).  The
snapshot is a new database written table by table (``CREATE TABLE … AS SELECT``), never a copy with tables
dropped: a dropped table's bytes would remain in the file's free blocks.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
from filelock import FileLock

from liangxin import forms

# dbt's aggregate schemas (and ``main``, where a model without a custom schema would go); never raw, staging,
# intermediate or meta
PUBLISHED_SCHEMAS = ("marts", "annual", "ref", "seeds", "main")
PRIVATE_FILE = 0o600


def person_columns() -> frozenset[str]:
    """Column names that make a table person-level: what ingestion derives from personal fields."""
    out: set[str] = set()
    for form in forms.FORMS:
        for f in form.fields:
            if f.pii == forms.PII_ID:
                stem = f.name[: -len("_id")]
                out |= {f"{stem}_key", f"{stem}_birth_year", f"{stem}_sex", "person_key"}
            elif f.pii is not None:
                out.add(f.name)
    return frozenset(out)


def published_schema(schema: str) -> bool:
    return any(schema == s or schema == f"main_{s}" for s in PUBLISHED_SCHEMAS)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple[list[tuple[str, str]], list[str]]:
    """([(schema, table)] to publish, ["schema.table" withheld as person-level]) of an attached catalog."""
    personal = person_columns()
    cols: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = ? "
            "ORDER BY 1, 2", [catalog]).fetchall():
        if published_schema(schema):
            cols.setdefault((schema, table), set()).add(column.lower())
    keep, withheld = [], []
    for key, names in sorted(cols.items()):
        (withheld.append(f"{key[0]}.{key[1]}") if names & personal else keep.append(key))
    return keep, withheld


def _write_published(build: Path, target: Path) -> list[str]:
    """Write the published tables of ``build`` into the new database ``target``; returns the withheld ones."""
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH '{str(build).replace(chr(39), chr(39) * 2)}' AS build_src (READ_ONLY)")
        keep, withheld = published_tables(con, "build_src")
        for schema, table in keep:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
            con.execute(f"CREATE TABLE {_q(schema)}.{_q(table)} AS "
                        f"SELECT * FROM build_src.{_q(schema)}.{_q(table)}")
        con.execute("DETACH build_src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return withheld


def writer_lock(db_path: Path) -> FileLock:
    """The cross-process lock every writer of the build database holds (the same as ``ingest.writer_lock``)."""
    from liangxin.ingest import writer_lock as _lock

    return _lock(Path(db_path))


def publish_snapshot(build_db: Path, serve_db: Path) -> Path:
    """Publish the aggregate part of the build database as the serving snapshot, atomically; returns its path."""
    build = Path(build_db)
    serve = Path(serve_db)
    if not build.exists():
        raise FileNotFoundError(f"构建库不存在 / build database not found: {build}")
    serve.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(build):
        con = duckdb.connect(str(build))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
        for stale in serve.parent.glob(".serve-*.duckdb.tmp"):  # left by a publish killed mid-copy
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".serve-", suffix=".duckdb.tmp", dir=serve.parent)
        os.close(fd)
        os.unlink(tmp)  # DuckDB creates the file itself (an empty file is not a database)
        try:
            _write_published(build, Path(tmp))
            Path(tmp + ".wal").unlink(missing_ok=True)
            os.chmod(tmp, PRIVATE_FILE)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            Path(str(serve) + ".wal").unlink(missing_ok=True)
            os.replace(tmp, serve)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            Path(tmp + ".wal").unlink(missing_ok=True)
            raise
    return serve


def connect_readonly(serve_db: Path | None = None, *, memory_limit: str | None = None, threads: int | None = None,
                     temp_directory: Path | None = None,
                     max_temp_size: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving snapshot that cannot touch files outside it.

    With ``memory_limit`` / ``threads`` / ``temp_directory`` (``liangxin sql``) the limits are set and the
    configuration is locked (``lock_configuration``): a query cannot ``SET`` them back.
    """
    serve = Path(serve_db)
    if not serve.exists():
        raise FileNotFoundError(f"服务快照不存在，请先运行 liangxin demo 或 liangxin build / serving snapshot not found: {serve}")
    config: dict[str, object] = {"enable_external_access": False, "autoload_known_extensions": False,
                                 "autoinstall_known_extensions": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads is not None:
        config["threads"] = int(threads)
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    if max_temp_size is not None:
        config["max_temp_directory_size"] = max_temp_size
    if len(config) > 3:
        config["lock_configuration"] = True
    return duckdb.connect(str(serve), read_only=True, config=config)
