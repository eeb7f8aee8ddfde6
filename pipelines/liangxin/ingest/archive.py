"""The archive and the receipts: the writer lock, SHA-256 of a file, the archived copy
``archive/<sha[:2]>/<sha>.<ext>`` and the ``archive/receipts.jsonl`` lines."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from filelock import FileLock

from liangxin.hashing import bytes_sha256 as sha256_bytes  # noqa: F401 (liangxin.ingest's names)
from liangxin.hashing import file_sha256
from liangxin.ingest.outcome import ARCHIVE_MODE


def writer_lock(db_path: Path) -> FileLock:
    """The cross-process lock of every writer of the build database (same file as ``serving.writer_lock``)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(db_path) + ".lock")


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=ARCHIVE_MODE)
    os.chmod(path, ARCHIVE_MODE)
    return path


def archive_file(path: Path, sha: str, original_name: str, archive_dir: Path, sync: bool = True) -> Path:
    """Copy a file to ``archive/<sha[:2]>/<sha>.<ext>`` once (temp + fsync + os.replace; folders 0o700).

    The copy is hashed while it is written; if the source changed since it was hashed (still being
    copied into the inbox), nothing is archived and an error is raised.  ``sync=False``: no fsync here —
    the caller syncs before any database row refers to the file (``WriterSession.flush``: one ``os.sync``
    per group instead of one fsync per file, which costs ~4 ms here).
    """
    ext = Path(original_name).suffix.lower().lstrip(".") or "bin"
    _private_dir(archive_dir)
    folder = _private_dir(archive_dir / sha[:2])
    target = folder / f"{sha}.{ext}"
    for stale in folder.glob(f".{sha}.*.tmp"):  # left by a killed process (we hold the writer lock)
        stale.unlink(missing_ok=True)
    if target.exists() and file_sha256(target)[0] == sha:
        return target
    tmp = folder / f".{sha}.{os.getpid()}.tmp"
    try:
        h = hashlib.sha256()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            if sync:
                os.fsync(out.fileno())
        if h.hexdigest() != sha:
            raise RuntimeError(f"文件在读取过程中发生变化，请稍后重试 / file changed while being read: {path}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def append_receipt(archive_dir: Path, record: dict, sync: bool = True) -> None:
    """One JSON line per received file in ``archive/receipts.jsonl`` (appended with a single write)."""
    _private_dir(archive_dir)
    line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(archive_dir / "receipts.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
