"""The serving snapshot: readers never open the build database.

After a successful build the build file is checkpointed, copied to a temporary name beside the serving file
and moved over it with ``os.replace`` (atomic on POSIX).  Every reader — the static dashboard, Superset,
analysts' SQL — opens ``serve.duckdb`` read-only, so a running build never blocks them and they never see
a half-written file: they see the previous snapshot or the new one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
from filelock import FileLock

from liangxin import paths


def writer_lock(db_path: Path | None = None) -> FileLock:
    """The cross-process lock every writer of the build database holds (the same as ``ingest.writer_lock``)."""
    from liangxin.ingest import writer_lock as _lock

    return _lock(Path(db_path or paths.build_db()))


def publish_snapshot(build_db: Path | None = None, serve_db: Path | None = None) -> Path:
    """Copy the build database to the serving snapshot atomically; returns the snapshot path."""
    build = Path(build_db or paths.build_db())
    serve = Path(serve_db or paths.serve_db())
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
        try:
            shutil.copyfile(build, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, serve)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return serve


def connect_readonly(serve_db: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving snapshot that cannot touch files outside it."""
    serve = Path(serve_db or paths.serve_db())
    if not serve.exists():
        raise FileNotFoundError(f"服务快照不存在，请先运行 liangxin demo 或 liangxin build / serving snapshot not found: {serve}")
    return duckdb.connect(
        str(serve),
        read_only=True,
        config={"enable_external_access": False, "autoload_known_extensions": False,
                "autoinstall_known_extensions": False},
    )
