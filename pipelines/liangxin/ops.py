"""Operations: consistent backups, restores and re-ingestion from the archive (docs/operations.md).

- :func:`backup` copies the build database (under the writer lock, after a CHECKPOINT, so no writer can
  change it and no WAL is needed), the archive (the only place raw ID numbers exist) and the outbox into
  ``<dest>/liangxin-backup-<UTC time>/`` with ``manifest.json`` listing the SHA-256 and size of every file.
  The folder is written under a temporary name and renamed when complete: a backup folder without the
  ``.partial`` prefix is always whole.  The serving snapshot is not backed up: it is re-published from the
  build database (``publish_snapshot``).
- :func:`restore` verifies every file of a backup against its manifest, then puts the database, archive and
  outbox back; it refuses to overwrite existing data unless ``force=True`` (``--force``).
- :func:`reingest_all` rebuilds a fresh build database from the archive alone (needed when the HMAC secret
  is rotated: person keys change, so every file is ingested again), with each file's original name and
  receipt time taken from ``archive/receipts.jsonl``.

- :func:`rekey` changes the HMAC secret explicitly: it re-ingests the archive with the current secret into a
  new database beside the build database and moves it into place under the writer lock (the serving
  snapshot is rebuilt by the next ``liangxin build``).  Ingestion and build refuse to run while the secret
  does not match the database's stored fingerprint (``warehouse.check_keying``), so keys of two secrets are
  never mixed.

CLI (``liangxin.cli.ops``): ``liangxin backup DEST``, ``liangxin restore SRC [--force]``,
``liangxin reingest [--db NEW.duckdb]``, ``liangxin rekey``.
"""

from __future__ import annotations

import datetime as dt

import json
import os
import shutil
from pathlib import Path

from liangxin.hashing import file_sha256
from liangxin.settings import Settings

MANIFEST = "manifest.json"
FORMAT = "liangxin-backup/1"
DB_NAME = "build.duckdb"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


class BackupError(RuntimeError):
    """A backup cannot be made or restored (message in Chinese and English)."""


def _sha256(path: Path) -> str:
    return file_sha256(path)[0]


def _lock(db: Path):
    from liangxin.ingest import writer_lock

    return writer_lock(db)


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=False, ignore=shutil.ignore_patterns("*.tmp", ".*.tmp"))
    else:
        dst.mkdir(parents=True)


def _make_private(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        os.chmod(p, PRIVATE_DIR if p.is_dir() else PRIVATE_FILE)


def _manifest_files(root: Path) -> dict[str, dict]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            out[p.relative_to(root).as_posix()] = {"sha256": _sha256(p), "size": p.stat().st_size}
    return out


# --------------------------------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------------------------------
def backup(
    dest: Path | str, *, db_path: Path, archive_dir: Path, outbox_dir: Path, now: dt.datetime | None = None
) -> Path:
    """Write a consistent backup folder under ``dest``; returns its path."""
    import duckdb

    db, archive, outbox = Path(db_path), Path(archive_dir), Path(outbox_dir)
    if not db.exists():
        raise BackupError(f"构建库不存在，无可备份内容 / build database not found: {db}")
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    name = f"liangxin-backup-{now:%Y%m%dT%H%M%S%fZ}"
    final, partial = dest / name, dest / f".partial-{name}"
    if final.exists():
        raise BackupError(f"备份目录已存在 / backup already exists: {final}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=PRIVATE_DIR)
    try:
        with _lock(db):  # no ingest, build or publish can write while we copy
            con = duckdb.connect(str(db))
            try:
                con.execute("CHECKPOINT")  # everything in the main file, nothing left in the WAL
            finally:
                con.close()
            shutil.copyfile(db, partial / DB_NAME)
            _copy_tree(archive, partial / "archive")
            _copy_tree(outbox, partial / "outbox")
        _make_private(partial)  # the archive holds raw ID numbers: the backup is as restricted
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "sources": {"db": str(db), "archive": str(archive), "outbox": str(outbox)},
            "files": _manifest_files(partial),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(partial / MANIFEST, PRIVATE_FILE)
        for p in [*partial.rglob("*")]:
            if p.is_file():
                with open(p, "rb") as fh:
                    os.fsync(fh.fileno())
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def verify(src: Path | str) -> dict:
    """Check a backup folder against its manifest; returns the manifest or raises :class:`BackupError`."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"不是有效的备份（缺少或无法读取 {MANIFEST}）/ not a backup: {src}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"未知的备份格式 / unknown backup format: {manifest.get('format')}")
    bad = []
    for rel, meta in manifest["files"].items():
        p = src / rel
        if not p.is_file() or p.stat().st_size != meta["size"] or _sha256(p) != meta["sha256"]:
            bad.append(rel)
    if bad:
        raise BackupError(f"备份已损坏，以下文件与清单不符 / backup damaged: {', '.join(bad[:10])}")
    if DB_NAME not in manifest["files"]:
        raise BackupError("备份中没有构建库 / the backup holds no build database")
    return manifest


# --------------------------------------------------------------------------------------------------
# Restore
# --------------------------------------------------------------------------------------------------
def _has_data(p: Path) -> bool:
    return p.is_file() or (p.is_dir() and any(p.iterdir()))


def restore(
    src: Path | str, *, db_path: Path, archive_dir: Path, outbox_dir: Path, force: bool = False
) -> dict[str, Path]:
    """Put a verified backup back in place; refuses to overwrite existing data unless ``force``."""
    src = Path(src)
    verify(src)
    db, archive, outbox = Path(db_path), Path(archive_dir), Path(outbox_dir)
    existing = [p for p in (db, Path(str(db) + ".wal"), archive, outbox) if _has_data(p)]
    if existing and not force:
        raise BackupError(
            "目标位置已有数据，未覆盖（确需覆盖请加 --force）/ refusing to overwrite: " + ", ".join(map(str, existing))
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    with _lock(db):
        # the database: temp copy + rename; a stale WAL would be replayed onto the restored file
        tmp = db.with_name(f".{db.name}.restore.tmp")
        shutil.copyfile(src / DB_NAME, tmp)
        Path(str(db) + ".wal").unlink(missing_ok=True)
        os.replace(tmp, db)
        for source, target, private in ((src / "archive", archive, True), (src / "outbox", outbox, False)):
            staging = target.with_name(f".{target.name}.restore")
            shutil.rmtree(staging, ignore_errors=True)
            _copy_tree(source, staging)
            if private:
                _make_private(staging)
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
    return {"db": db, "archive": archive, "outbox": outbox}


# --------------------------------------------------------------------------------------------------
# Re-ingest from the archive (secret rotation, lost database)
# --------------------------------------------------------------------------------------------------
def _receipts(archive: Path) -> dict[str, dict]:
    """sha256 -> first receipt record (original name, receipt time) from archive/receipts.jsonl."""
    out: dict[str, dict] = {}
    f = archive / "receipts.jsonl"
    if f.exists():
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            out.setdefault(rec.get("sha256"), rec)
    return out


def reingest_all(archive_dir: Path, *, settings: Settings, db_path: Path, outbox_dir: Path | None = None):
    """Ingest every archived file into the (new, empty) database ``db_path`` with the person-key secret of
    ``settings``; returns the outcomes.

    Files are taken in period / correction order; each keeps its original name and receipt time, so the
    date rules (F3 报出日期, P4 deadline) give the same answers as when the file was first received.
    """
    from liangxin.ingest import SUFFIXES, WriterSession, collect_files, ingest_file

    archive = Path(archive_dir)
    db = Path(db_path)
    if db.exists():
        raise BackupError(f"目标数据库已存在，请指定一个新文件 / target database exists: {db}")
    receipts = _receipts(archive)
    files = collect_files(
        [p for p in archive.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")]
    )
    outcomes = []
    with WriterSession(db, secret=settings.secret(), register=settings.register_csv) as session:
        for f in files:
            rec = receipts.get(f.stem, {})
            received = rec.get("received_at")
            outcomes.append(
                ingest_file(
                    f,
                    settings=settings,
                    db_path=db,
                    archive_dir=archive,
                    outbox_dir=outbox_dir or db.parent / "outbox-reingest",
                    received_at=dt.datetime.fromisoformat(received) if received else None,
                    original_name=rec.get("original_name") or f.name,
                    session=session,
                )
            )
    return outcomes


# --------------------------------------------------------------------------------------------------
# Re-key: the explicit way to change the HMAC secret
# --------------------------------------------------------------------------------------------------
def rekey(*, settings: Settings, db_path: Path | None = None, archive_dir: Path | None = None, keep_old: bool = False):
    """Re-key the build database with the secret of ``settings`` (``LIANGXIN_HMAC_SECRET``); returns (outcomes,
    old copy or None).  The locations default to those of ``settings``.

    Every archived file is ingested again into ``.<db>.rekey.tmp`` (its reports go to a scratch folder that
    is removed: the communities already have theirs), then, under the writer lock of the build database,
    the new file replaces the old one.  The old database (person keys of the old secret) is deleted unless
    ``keep_old`` (then kept as ``<db>.pre-rekey-<UTC time>``, mode 0600).  Refuses when nothing is archived.
    """
    settings.secret()  # production: refuses a missing, default or weak new secret before any work
    db = Path(db_path or settings.duckdb)
    archive = Path(archive_dir or settings.archive)
    if not archive.is_dir() or not any(
        p.is_file() and not p.name.startswith(".") and p.name != "receipts.jsonl" for p in archive.rglob("*")
    ):
        raise BackupError(f"归档为空，无法重新生成人员键 / nothing archived to re-key from: {archive}")
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.rekey.tmp")
    scratch = db.with_name(f".{db.name}.rekey-outbox")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        with _lock(db):  # no ingest or build meanwhile: the new file holds every archived file
            outcomes = reingest_all(archive, settings=settings, db_path=tmp, outbox_dir=scratch)
            failed = [o for o in outcomes if o.outcome == "failed"]
            if failed:
                raise BackupError(
                    f"{len(failed)} 个归档文件重新接收失败，构建库未替换 / "
                    f"{len(failed)} archived files failed; nothing replaced: "
                    + ", ".join(o.original_name for o in failed[:5])
                )
            from liangxin.finalize import carry_finalized

            carry_finalized(db, tmp)  # 定稿 versions are not in the archive: carry them over
            old = None
            if db.exists():
                if keep_old:
                    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    old = db.with_name(f"{db.name}.pre-rekey-{stamp}")
                    os.replace(db, old)
                    os.chmod(old, PRIVATE_FILE)
                else:
                    db.unlink()
            Path(str(db) + ".wal").unlink(missing_ok=True)
            os.chmod(tmp, PRIVATE_FILE)
            os.replace(tmp, db)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal"), Path(str(tmp) + ".lock")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return outcomes, old


__all__ = ["backup", "restore", "verify", "reingest_all", "rekey", "BackupError"]
