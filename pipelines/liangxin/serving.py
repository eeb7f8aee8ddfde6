"""The serving snapshot: readers never open the build database.

After a successful build the published part of the build file is written to a temporary file beside the
serving file and moved over it with ``os.replace`` (atomic on POSIX).  Every reader — the static dashboard,
Superset, analysts' SQL — opens ``serve.duckdb`` read-only, so a running build never blocks them and they
never see a half-written file: they see the previous snapshot or the new one.

What is published (issue 16, decisions D140; issue 19, docs/security.md): exactly the public dbt models of the
serving contract (``liangxin.contract``: ``access: public`` in ``dbt_project/models``, read from dbt's
``target/manifest.json``), each as ``schema.alias`` — the marts, the annual ``rpt_*`` tables and the ``ref``
tables.  ``raw``, ``staging``, ``intermediate``, ``meta``, the seeds and every protected model (person-level marts
such as ``fct_training_attendance`` among them) stay in the build file, which only the service account can read
(0600).  A public model with a person-level column (``person_columns``: the person keys, birth years and sexes
derived from ID numbers, masked names and phones), declared or built, fails the publish with an error naming it:
the contract is wrong, and nothing is dropped silently.  The snapshot is a new database written table by table
(``ATTACH … (READ_ONLY)`` + ``CREATE TABLE … AS SELECT``), never a copy with tables dropped: a dropped table's
bytes would remain in the file's free blocks.  Each table carries its model's description as a comment
(``COMMENT ON TABLE``), which ``liangxin sql`` lists.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
from filelock import FileLock

from liangxin import forms
from liangxin.contract import ContractError, PublicModel, load_public_models

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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_contract(models: list[PublicModel]) -> None:
    """Refuse a contract that declares a person-level column in a public model (raises ``ContractError``)."""
    personal = person_columns()
    bad = [
        f"{m.name}（{', '.join(sorted({c for c, _ in m.columns if c.lower() in personal}))}）"
        for m in models
        if any(c.lower() in personal for c, _ in m.columns)
    ]
    if bad:
        raise ContractError(
            "服务契约错误：公开模型含个人级字段，拒绝发布服务快照："
            + "；".join(bad)
            + "。请把这些模型改为 access: protected，或去掉个人级字段。"
            + " / a public model has a person-level column"
        )


def _write_published(build: Path, target: Path, models: list[PublicModel]) -> None:
    """Write the public models of ``build`` into the new database ``target`` (one ``CREATE TABLE AS`` each)."""
    personal = person_columns()
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH {_lit(str(build))} AS build_src (READ_ONLY)")
        built: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in con.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = 'build_src' "
            "ORDER BY schema_name, table_name, column_index"
        ).fetchall():
            built.setdefault((schema, table), []).append(column)
        missing = [m.name for m in models if (m.schema, m.table) not in built]
        if missing:
            raise ContractError(
                "构建库缺少公开模型，拒绝发布服务快照（请先运行 dbt build / liangxin build）："
                + "、".join(missing)
                + " / public models missing in the build database"
            )
        for m in models:
            leaked = sorted(c for c in built[(m.schema, m.table)] if c.lower() in personal)
            if leaked:  # built columns beyond the declared ones (a contract that is not enforced)
                raise ContractError(
                    f"服务契约错误：公开模型 {m.name} 含个人级字段 {', '.join(leaked)}，拒绝发布服务快照。"
                    " / a public model has a person-level column"
                )
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(m.schema)}")
            con.execute(
                f"CREATE TABLE {_q(m.schema)}.{_q(m.table)} AS SELECT * FROM build_src.{_q(m.schema)}.{_q(m.table)}"
            )
            if m.description:
                con.execute(f"COMMENT ON TABLE {_q(m.schema)}.{_q(m.table)} IS {_lit(m.description)}")
        con.execute("DETACH build_src")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def writer_lock(db_path: Path) -> FileLock:
    """The cross-process lock every writer of the build database holds (the same as ``ingest.writer_lock``)."""
    from liangxin.ingest import writer_lock as _lock

    return _lock(Path(db_path))


def publish_snapshot(build_db: Path, serve_db: Path, *, manifest: Path | None = None) -> Path:
    """Publish the public models of the build database as the serving snapshot, atomically; returns its path.

    ``manifest``: the dbt manifest holding the contract (default: the project's, re-parsed when stale)."""
    build = Path(build_db)
    serve = Path(serve_db)
    if not build.exists():
        raise FileNotFoundError(f"构建库不存在 / build database not found: {build}")
    models = load_public_models(manifest)
    check_contract(models)
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
            _write_published(build, Path(tmp), models)
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


def connect_readonly(
    serve_db: Path | None = None,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: Path | None = None,
    max_temp_size: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving snapshot that cannot touch files outside it.

    With ``memory_limit`` / ``threads`` / ``temp_directory`` (``liangxin sql``) the limits are set and the
    configuration is locked (``lock_configuration``): a query cannot ``SET`` them back.
    """
    serve = Path(serve_db)
    if not serve.exists():
        raise FileNotFoundError(
            f"服务快照不存在，请先运行 liangxin demo 或 liangxin build / serving snapshot not found: {serve}"
        )
    config: dict[str, object] = {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
    }
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
