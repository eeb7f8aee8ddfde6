"""Receive returns: archive by SHA-256 → validate → report → load (files written in groups, in order).

``ingest_file`` (one file) and ``ingest_paths`` (many: the CLI ``liangxin ingest`` and the Dagster asset
``raw_returns``) take the same steps for every submission:

1. hash the bytes; under the writer lock (``<db>.lock``, one writer across processes) a file whose SHA-256
   is already in ``raw.submissions`` (or earlier in the same batch) is a duplicate (重复提交): nothing is
   written except a log line;
2. copy the bytes into ``archive/<sha[:2]>/<sha>.<ext>`` (temp file + ``os.replace``; folders 0o700) —
   the archive is the only place raw ID numbers exist;
3. read and parse the archived copy (``validate.core.prepare_file``: F1/F2/F4/F7 need no context, so
   ``ingest_paths`` runs this step for the next files in worker processes), then finish its validation with
   the warehouse as context (corrections, previous quarter, owners: ``warehouse.SessionIndex``);
4. write the Chinese receipt / rejection report to the outbox and append a line to
   ``archive/receipts.jsonl``;
5. queue the submission; every ``batch_files`` files are written in ONE DuckDB transaction
   (``warehouse.load_submissions``), and the validator's answers already count the queued files.

Crash safety: a transaction is all-or-nothing, the archive copy is idempotent by SHA-256, and the
duplicate check runs inside the lock; a kill loses at most the unwritten group, whose files are not in
``raw.submissions`` and are received again by a re-run, which converges to the rows of a clean run (a
receipt line may repeat, raw rows never do).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from liangxin import forms, privacy, seeds, warehouse
from liangxin.settings import Settings
from liangxin.validate.result import (
    ACCEPTED,
    ACCEPTED_WITH_WARNINGS,
    DUPLICATE,
    OUTCOME_ZH,
    REJECTED,
)

log = logging.getLogger("liangxin.ingest")

FAILED = "failed"  # internal failure (a bug or an I/O problem), not a rejection
OUTCOME_LABELS = {**OUTCOME_ZH, FAILED: "内部错误"}
SUFFIXES = (".xlsx", ".zip")
ARCHIVE_MODE = 0o700


@dataclass
class IngestOutcome:
    path: Path
    original_name: str
    sha256: str
    outcome: str  # accepted | accepted_with_warnings | rejected | duplicate | failed
    unit_code: str | None = None
    unit_name: str | None = None
    period: str | None = None
    correction_no: int | None = None
    error_count: int = 0
    warning_count: int = 0
    first_errors: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # rows written per raw table
    rule_counts: dict[str, int] = field(default_factory=dict)  # "R13/W" -> number of hits
    archived: Path | None = None
    reports: tuple[Path, Path] | None = None
    seconds: float = 0.0
    internal_error: str | None = None
    duplicate_of: dict | None = None  # a duplicate: the first submission with the same SHA-256
    duplicate_receipt: Path | None = None  # a duplicate: its receipt in outbox/duplicate/
    parsed_rows: int = 0  # data rows read from the file (for the progress display)

    @property
    def outcome_zh(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def writer_lock(db_path: Path) -> FileLock:
    """The cross-process lock of every writer of the build database (same file as ``serving.writer_lock``)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(db_path) + ".lock")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=ARCHIVE_MODE)
    os.chmod(path, ARCHIVE_MODE)
    return path


def file_sha256(path: Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in 1 MiB chunks (memory stays bounded for oversized files)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


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


def _write_reports(result, outbox_dir: Path, received_at: dt.datetime) -> tuple[Path, Path] | None:
    try:
        from liangxin.reports import write_reports
    except ImportError:  # pragma: no cover - reports module not present
        log.warning("回执模块不可用，未生成回执 / reports module unavailable")
        return None
    return write_reports(result, outbox_dir, received_at)


# --------------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------------
class WriterSession:
    """The writer lock, one DuckDB connection and the validator's answers, kept across the files of a batch.

    Opening DuckDB costs a checkpoint per open, and each write statement a few milliseconds, so a batch
    keeps the connection for up to ``slice_seconds`` and writes the files it validated in groups of
    ``batch_files`` (one transaction per group, ``warehouse.load_submissions``).  The files of a group
    that are validated before the group is written are answered from memory (``warehouse.SessionIndex``),
    so every file sees every earlier one exactly as if each had been written at once.  At the end of a
    slice the group is written and the lock released briefly (``ingest_paths`` holds it for the whole run,
    D123, so concurrent ingests are serialised rather than interleaved).
    A crash loses at most the unwritten group: its files are not in ``raw.submissions`` and a re-run
    receives them again.
    """

    def __init__(self, db: Path, slice_seconds: float = 2.0, batch_files: int = 1, outbox_dir: Path | None = None,
                 *, secret: bytes, register: Path | None = None):
        self.db = db
        self.secret = secret  # the person-key secret (``Settings.secret()``), checked against the warehouse
        self.register = register  # the extra unit register (``Settings.register_csv``), for the validator
        self.slice_seconds = slice_seconds
        self.batch_files = max(1, batch_files)
        self.outbox_dir = outbox_dir  # its leftover temp reports are removed each time the lock is taken
        self.pool = None  # worker processes that may write the reports (set by ingest_paths)
        self.backfill = False  # historical backfill (rule P4 by 报出日期; set by ingest_paths / ingest_file)
        self._lock = writer_lock(db)
        self._con = None
        self._index: warehouse.SessionIndex | None = None
        self._kept: tuple[object, warehouse.SessionIndex] | None = None  # (raw fingerprint, index) at release
        self._pending: list[tuple[object, dt.datetime, str, IngestOutcome, _Reports]] = []
        self._since = 0.0
        self._yield = False

    def connection(self):
        if self._con is None:
            if self._yield:
                time.sleep(0.12)  # > filelock's poll interval: let a waiting writer in
                self._yield = False
            self._lock.acquire()
            try:
                warehouse.create_database(self.db, self.secret)  # atomically: a kill never leaves a broken file
                self._con = warehouse.connect(self.db)
                warehouse.ensure_schema(self._con, self.secret)
                kept, self._kept = self._kept, None
                if kept is not None and kept[0] == warehouse.raw_fingerprint(self._con):
                    self._index = kept[1]  # nobody wrote raw meanwhile: keep what the index has read
                    self._index.con = self._con
                else:
                    self._index = warehouse.SessionIndex(self._con)
                if self.outbox_dir is not None:
                    from liangxin.reports import remove_stale_parts

                    remove_stale_parts(self.outbox_dir)
            except BaseException:
                self._con = self._index = None
                self._lock.release()
                raise
            self._since = time.monotonic()
        return self._con

    @property
    def index(self) -> "warehouse.SessionIndex":
        self.connection()
        return self._index

    def add(self, result, received_at: dt.datetime, name: str, out: IngestOutcome, reports: "_Reports") -> None:
        """Queue a validated file for writing (it counts for later files' validation at once)."""
        self.index.note(result, received_at)
        self._pending.append((result, received_at, name, out, reports))
        if len(self._pending) >= self.batch_files:
            self.flush()

    def flush(self) -> None:
        """Write the queued files: first their reports and receipt lines, then their rows in one transaction
        (one by one if that fails); a file whose report or rows cannot be written gets outcome ``failed``."""
        if not self._pending:
            return
        queued, self._pending = self._pending, []
        pending = []
        for r, at, name, out, rep in queued:
            try:
                out.reports = rep.wait()
                append_receipt(rep.archive_dir, rep.receipt, sync=False)
                pending.append((r, at, name, out))
            except Exception as exc:  # noqa: BLE001 - recorded as an internal failure of this file
                log.error("内部错误：%s：%s\n%s", name, exc, traceback.format_exc())
                out.outcome, out.internal_error = FAILED, f"{type(exc).__name__}: {exc}"
        if len(pending) < len(queued):
            self._index = warehouse.SessionIndex(self.connection())  # it counted the failed files
        os.sync()  # archive copies and receipt lines on disk before any row refers to them
        if not pending:
            return
        con = self.connection()
        try:
            counts = warehouse.load_submissions(con, [(r, at, name) for r, at, name, _ in pending], self.secret)
        except Exception as exc:  # find the culprit: write the others alone
            log.warning("成批入库失败（%s），逐个重试 %d 个文件", exc, len(pending))
            counts = []
            for r, at, name, out in pending:
                try:
                    counts.append(warehouse.load_submission(con, r, at, name, secret=self.secret))
                except Exception as one_exc:
                    log.error("入库失败：%s：%s\n%s", name, one_exc, traceback.format_exc())
                    out.outcome, out.internal_error = FAILED, f"{type(one_exc).__name__}: {one_exc}"
                    counts.append({})
            self._index = warehouse.SessionIndex(con)  # it counted the failed files: start afresh
        for (_, _, _, out), c in zip(pending, counts):
            if out.outcome != FAILED:
                out.rows = c

    def file_done(self, failed: bool = False) -> None:
        if self._con is not None and (failed or time.monotonic() - self._since >= self.slice_seconds):
            self.release()
            self._yield = True

    def release(self) -> None:
        if self._con is not None:
            try:
                self.flush()
                if self._index is not None and not self._pending:
                    self._kept = (warehouse.raw_fingerprint(self._con), self._index)
            finally:
                try:
                    self._con.close()
                finally:
                    self._con = self._index = None
                    for *_, rep in self._pending:  # flush failed half-way: let no report still be written
                        rep.wait_quietly()
                    self._pending = []
                    self._lock.release()

    def __enter__(self) -> "WriterSession":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass
class _Reports:
    """The reports of one file (written by a worker process or here) and its receipt line."""

    result: object
    outbox_dir: Path
    archive_dir: Path
    received_at: dt.datetime
    receipt: dict
    future: object = None

    def start(self, pool) -> "_Reports":
        if pool is not None:
            from liangxin.reports import write_reports

            slim = dataclasses.replace(self.result, rows={})  # the reports need the hits, not the rows
            try:
                self.future = pool.submit(write_reports, slim, self.outbox_dir, self.received_at)
            except Exception as exc:  # a broken pool: write them here
                log.warning("并行写回执不可用（%s），改为在本进程写", exc)
        return self

    def wait(self):
        if self.future is not None:
            try:
                return self.future.result()
            except Exception as exc:
                if type(exc).__name__ != "BrokenProcessPool":
                    raise
                log.warning("写回执的进程已退出（%s），改为在本进程写", exc)
        return _write_reports(self.result, self.outbox_dir, self.received_at)

    def wait_quietly(self) -> None:
        if self.future is not None:
            try:
                self.future.result()
            except Exception:  # noqa: BLE001 - only waiting for the temp files to be gone
                pass


@dataclass
class _Received:
    """A file hashed and archived, waiting for its validation."""

    out: IngestOutcome
    received_at: dt.datetime
    size: int
    archived: Path | None = None  # None: a duplicate, nothing more to do
    t0: float = 0.0


def _receive(path: Path, name: str, received_at: dt.datetime | None, archive_dir: Path,
             session: WriterSession) -> _Received:
    """Hash; a file already received is a duplicate; otherwise archive it (idempotent by SHA-256)."""
    t0 = time.perf_counter()
    received_at = received_at or dt.datetime.now(dt.timezone.utc)
    if received_at.tzinfo is None:
        received_at = received_at.astimezone()
    sha, size = file_sha256(path)
    rec = _Received(IngestOutcome(path=path, original_name=name, sha256=sha, outcome=DUPLICATE), received_at,
                    size, t0=t0)
    if _is_duplicate(rec, session):
        return rec
    rec.archived = archive_file(path, sha, name, archive_dir, sync=False)  # synced by WriterSession.flush
    rec.out.archived = rec.archived
    return rec


def _is_duplicate(rec: _Received, session: WriterSession) -> bool:
    """Checked inside the lock (again just before writing): two processes never both load a file."""
    out = rec.out
    if not session.index.exists(out.sha256):
        return False
    first = session.connection().execute(
        "SELECT unit_code, unit_name, period, correction_no, original_name, received_at, outcome "
        "FROM raw.submissions WHERE submission_id = ?", [out.sha256]).fetchone()
    if first is not None:
        out.unit_code, out.unit_name, out.period, out.correction_no = first[:4]
        out.duplicate_of = {"original_name": first[4], "received_at": str(first[5]), "unit_code": first[0],
                            "unit_name": first[1], "period": first[2], "correction_no": first[3],
                            "outcome": first[6]}
        log.info("重复报送，已忽略：%s（与 %s 于 %s 接收的文件内容相同，SHA-256 %s）", out.original_name, first[4],
                 first[5], out.sha256[:12])
    else:
        log.info("重复报送，已忽略：%s（与本批次中另一文件内容相同，SHA-256 %s）", out.original_name, out.sha256[:12])
    out.outcome = DUPLICATE
    out.seconds = time.perf_counter() - rec.t0
    return True


def _complete(rec: _Received, prep, outbox_dir: Path, archive_dir: Path, session: WriterSession) -> IngestOutcome:
    """Validate with the warehouse context, write the reports and the receipt line, queue the rows."""
    from liangxin.validate.core import finish_validation

    out, name, sha = rec.out, rec.out.original_name, rec.out.sha256
    if _is_duplicate(rec, session):  # e.g. the same bytes twice in one batch
        return out
    ctx = session.index.validation_context(received_on=rec.received_at.astimezone().date(),
                                           received_at=rec.received_at, backfill=session.backfill,
                                           register=seeds.community_by_code(session.register))
    result = finish_validation(prep, ctx)
    if result.sha256 != sha:  # the validator hashes what it read: it must be the archived bytes
        raise RuntimeError(f"SHA-256 mismatch for {name}: {result.sha256} != {sha}")
    if not result.original_name:
        result.original_name = name
    out.outcome = result.outcome
    out.unit_code, out.unit_name = result.unit_code, result.unit_name
    out.period, out.correction_no = result.period, result.correction_no
    out.error_count, out.warning_count = len(result.errors), len(result.warnings)
    out.first_errors = [h.message for h in result.errors[:5]]
    out.parsed_rows = sum(len(v) for v in (result.rows or {}).values())
    for h in result.hits:
        k = f"{h.rule_id}/{h.severity}"
        out.rule_counts[k] = out.rule_counts.get(k, 0) + 1
    receipt = {
        "received_at": rec.received_at.isoformat(), "original_name": name, "sha256": sha,
        "size_bytes": rec.size, "outcome": result.outcome, "unit_code": result.unit_code,
        "period": result.period, "correction_no": result.correction_no,
        "error_count": out.error_count, "warning_count": out.warning_count,
        **({"backfill": True} if result.backfill else {}),
    }
    reports = _Reports(result, outbox_dir, archive_dir, rec.received_at, receipt).start(session.pool)
    session.add(result, rec.received_at, name, out, reports)
    out.seconds = time.perf_counter() - rec.t0
    log.info("%s：%s（%s %s 更正%s，错误 %d，警告 %d）", out.outcome_zh, name, out.unit_code, out.period,
             out.correction_no, out.error_count, out.warning_count)
    return out


def _prepare_here(rec: _Received, max_rows: int, cap: int, settings: Settings):
    from liangxin.validate.core import prepare_file_bounded  # a reader process under the memory ceiling

    return prepare_file_bounded(rec.archived, rec.out.original_name, max_rows, cap,
                                memory_mb=settings.read_memory_mb, sandbox=settings.read_sandbox)


def _validation_limits() -> tuple[int, int]:
    from liangxin.validate.context import ValidationContext

    c = ValidationContext.offline()
    return c.max_rows_per_sheet, c.max_hits_per_rule_sheet


def ingest_file(path: Path | str, *, settings: Settings, db_path: Path | None = None,
                archive_dir: Path | None = None, outbox_dir: Path | None = None,
                received_at: dt.datetime | None = None, original_name: str | None = None,
                session: WriterSession | None = None, backfill: bool = False) -> IngestOutcome:
    """Receive one file (see the module docstring). Raises only on internal failure.

    ``settings``: the locations (unless given) and the person-key secret.  ``session``: a
    :class:`WriterSession` shared by the files of a batch; without it the lock and connection are taken for
    this file only and the file is written before this returns.
    """
    secret = settings.secret()  # refuse (production without a real secret) before anything is written
    db = Path(db_path) if db_path is not None else settings.duckdb
    if session is None:
        with WriterSession(db, slice_seconds=0, outbox_dir=outbox_dir or settings.outbox, secret=secret,
                           register=settings.register_csv) as own:
            own.backfill = backfill
            return ingest_file(path, settings=settings, db_path=db, archive_dir=archive_dir,
                               outbox_dir=outbox_dir, received_at=received_at, original_name=original_name,
                               session=own)
    path = Path(path)
    archive_dir = Path(archive_dir) if archive_dir is not None else settings.archive
    outbox_dir = Path(outbox_dir) if outbox_dir is not None else settings.outbox
    failed = True
    try:
        rec = _receive(path, original_name or path.name, received_at, archive_dir, session)
        out = rec.out
        if rec.archived is not None:
            out = _complete(rec, _prepare_here(rec, *_validation_limits(), settings), outbox_dir, archive_dir,
                            session)
        failed = False
        if out.outcome == DUPLICATE:
            _duplicate_receipt(out, outbox_dir, {})
        return out
    finally:
        session.file_done(failed=failed)


# --------------------------------------------------------------------------------------------------
# Duplicates and the inbox
# --------------------------------------------------------------------------------------------------
DUPLICATE_TITLE = "重复报送，已忽略"


def _duplicate_receipt(out: IngestOutcome, outbox_dir: Path, first_in_batch: dict[str, dict]) -> Path | None:
    """Write ``outbox/duplicate/<unit>_<period>_<sha8>_重复报送.txt``: the file was ignored and which earlier
    submission (file name, unit, period, 更正序号, outcome, receipt time) has the same SHA-256 (D121)."""
    from liangxin.reports import safe_name_part

    first = out.duplicate_of or first_in_batch.get(out.sha256)
    out.duplicate_of = first
    try:
        folder = Path(outbox_dir) / "duplicate"
        folder.mkdir(parents=True, exist_ok=True)
        unit = (first or {}).get("unit_code") or out.unit_code
        period = (first or {}).get("period") or out.period
        target = folder / (f"{safe_name_part(unit, '未知单位')}_{safe_name_part(period, '未知报告期')}_"
                           f"{out.sha256[:8]}_重复报送.txt")
        target.write_text(duplicate_text(out) + "\n", encoding="utf-8")
        out.duplicate_receipt = target
        return target
    except OSError as exc:  # the receipt is a courtesy: never fail the run for it
        log.warning("重复报送回执未能写入：%s", exc)
        return None


def duplicate_text(out: IngestOutcome) -> str:
    """The duplicate receipt in Chinese (also printed by ``liangxin ingest``)."""
    first = out.duplicate_of or {}
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if first:
        corr = first.get("correction_no")
        what = (f"首次报送：{first.get('original_name')}（填报单位 {first.get('unit_code') or '—'} "
                f"{first.get('unit_name') or ''}，报告期 {first.get('period') or '—'}，"
                f"更正序号 {'—' if corr is None else corr}，审核结论 "
                f"{OUTCOME_LABELS.get(first.get('outcome'), first.get('outcome') or '—')}，"
                f"接收时间 {first.get('received_at') or '—'}）")
    else:
        what = "首次报送：同一批次中内容相同的另一文件"
    return "\n".join([
        DUPLICATE_TITLE,
        f"文件名：{out.original_name}",
        f"SHA-256：{out.sha256}",
        f"接收时间：{now}",
        what,
        "本文件与首次报送的文件内容完全相同（SHA-256 一致），未重新审核、未入库，也不触发重新构建。"
        "如需更正数据，请修改后以新的更正序号（加1）重新报送。",
    ])


def _in_folder(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def leave_inbox(outcomes: list[IngestOutcome], inbox_dir: Path | None, archive_dir: Path) -> int:
    """Move every processed file out of the inbox into the archive (D122): accepted, rejected and duplicate
    files alike; a file with an internal failure stays for a re-run.  The archive keeps the bytes under their
    SHA-256 (``archive/<sha[:2]>/<sha>.<ext>``, the original name in ``receipts.jsonl`` / the receipt), so the
    inbox copy is removed once its archived copy exists; a file outside the inbox is never touched."""
    n = 0
    for o in outcomes:
        if o.outcome == FAILED or not o.sha256 or not _in_folder(o.path, inbox_dir) or not o.path.exists():
            continue
        try:
            ext = Path(o.original_name).suffix.lower().lstrip(".") or "bin"
            kept = Path(archive_dir) / o.sha256[:2] / f"{o.sha256}.{ext}"
            if not (kept.exists() or any((Path(archive_dir) / o.sha256[:2]).glob(f"{o.sha256}.*"))):
                archive_file(o.path, o.sha256, o.original_name, Path(archive_dir))  # a duplicate never archived
            o.path.unlink()
            n += 1
        except OSError as exc:
            log.warning("未能从收件箱移走 %s：%s", o.original_name, exc)
    return n


# --------------------------------------------------------------------------------------------------
# Many files
# --------------------------------------------------------------------------------------------------
def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()


def peek_cover(path: Path) -> tuple[str | None, int | None]:
    """(period, correction_no) read leniently from the cover, for ordering only (never for validation).

    Bounded (validate.reader.peek_cover_rows): the container limits of a full read, at most 256 KiB of
    any part decompressed, never the spreadsheet library (this runs in the main process)."""
    from liangxin.validate.reader import peek_cover_rows

    cover = forms.normalise_header(forms.COVER.sheet)
    rows = peek_cover_rows(path, lambda name: forms.normalise_header(_norm(name)) == cover)
    if len(rows) < 2:
        return None, None
    header = [forms.normalise_header(h) for h in rows[0]]
    values = dict(zip(header, rows[1]))
    period = _norm(values.get("报告期")).upper() or None
    corr = _norm(values.get("更正序号"))
    m = re.match(r"^(\d+)(\.0+)?$", corr)
    return period, (int(m.group(1)) if m else None)


def collect_files(paths_in: list[Path]) -> list[Path]:
    """Files as given plus *.xlsx / *.zip found recursively in folders, ordered by period, correction, name."""
    files: list[Path] = []
    for p in paths_in:
        p = Path(p)
        if p.is_dir():
            files += [f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                      and not f.name.startswith(("~$", "."))]
        else:
            files.append(p)
    seen: set[Path] = set()
    unique = [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]

    def key(f: Path):
        period, corr = peek_cover(f)
        return (period is None, period or "", corr if corr is not None else 0, f.name, str(f))

    return sorted(unique, key=key)


PARALLEL_MIN_FILES = 8  # below this, starting worker processes costs more than it saves
# DEFAULT_BATCH_FILES (settings.py): files per transaction: one insert per table costs ~2 ms, however many rows


def _worker_count(n_files: int, workers: int | None, configured: int | None = None) -> int:
    """``workers`` if given, else ``configured`` (``LIANGXIN_INGEST_WORKERS``), else one per core up to 4
    for 8 files or more."""
    if workers is not None:
        return max(0, workers)
    if configured is not None:
        return configured
    if n_files < PARALLEL_MIN_FILES:
        return 0
    return min(os.cpu_count() or 1, 4) if (os.cpu_count() or 1) > 1 else 0


def ingest_paths(paths_in: list[Path], *, settings: Settings, db_path: Path | None = None,
                 archive_dir: Path | None = None,
                 outbox_dir: Path | None = None, received_at: dt.datetime | None = None,
                 progress: bool = True, slice_seconds: float | None = None, batch_files: int | None = None,
                 workers: int | None = None, inbox_dir: Path | None = None,
                 backfill: bool = False) -> list[IngestOutcome]:
    """Ingest files and folders (see :func:`collect_files`) in order; an internal failure on one file is
    recorded as outcome ``failed`` and the others continue.

    The writer lock is held for the whole run (``slice_seconds=None``, D123): two concurrent ingests are
    serialised, so no audit outcome depends on how their files interleave.  Processed files inside the inbox
    (``inbox_dir``, default ``settings.inbox``) leave it (:func:`leave_inbox`); a duplicate gets a receipt in
    ``outbox/duplicate/`` naming the first submission.

    Reading and parsing a workbook needs no warehouse context, so with ``workers`` > 0 (default: one per
    core, up to 4, for 8 files or more; ``LIANGXIN_INGEST_WORKERS`` overrides) worker processes read
    the next files while this process validates the current one against the warehouse and writes it.
    Files are still validated and written strictly in order, each seeing all earlier ones.
    ``batch_files`` files are written per transaction (default 25; ``LIANGXIN_INGEST_BATCH`` overrides).
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a worker process re-running a script's top level (no ``if __name__ == "__main__":`` guard):
        # refuse at once instead of waiting forever for the writer lock its parent holds
        raise RuntimeError("ingest_paths called while a worker process starts: guard the calling script "
                           "with `if __name__ == \"__main__\":` (or set LIANGXIN_INGEST_WORKERS=0)")
    secret = settings.secret()  # SecretConfigurationError before any file is touched
    files = collect_files(paths_in)
    db = Path(db_path) if db_path is not None else settings.duckdb
    archive_dir = Path(archive_dir) if archive_dir is not None else settings.archive
    outbox_dir = Path(outbox_dir) if outbox_dir is not None else settings.outbox
    inbox_dir = Path(inbox_dir) if inbox_dir is not None else settings.inbox
    limits = _validation_limits()
    outcomes: list[IngestOutcome] = []
    if slice_seconds is None:
        slice_seconds = float("inf")
    if batch_files is None:
        batch_files = settings.ingest_batch  # LIANGXIN_INGEST_BATCH, default 25
    session = WriterSession(db, slice_seconds, batch_files=batch_files, outbox_dir=outbox_dir, secret=secret,
                            register=settings.register_csv)
    session.backfill = backfill  # ``backfill``: historical returns, P4 judged by 报出日期 (receipts: 历史补录)
    n_workers = _worker_count(len(files), workers, settings.ingest_workers)
    pool = None
    if n_workers:
        from concurrent.futures import ProcessPoolExecutor

        from liangxin.validate.core import prepare_file
        from liangxin.workers import reader_init

        try:  # spawn: never fork a process that may already run threads (Dagster, Rich)
            pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=reader_init, initargs=(settings.read_memory_mb,))
            session.pool = pool
        except (OSError, ValueError) as exc:  # pragma: no cover - no process support here
            log.warning("无法启动并行读取进程（%s），改为逐个读取", exc)
    queue: collections.deque = collections.deque()  # (file, _Received | IngestOutcome, future | None)
    window = 2 * n_workers + 2

    def failed_outcome(f: Path, exc: BaseException) -> IngestOutcome:
        log.error("内部错误：%s：%s\n%s", f.name, exc, traceback.format_exc())
        return IngestOutcome(path=f, original_name=f.name, sha256="", outcome=FAILED,
                             internal_error=f"{type(exc).__name__}: {exc}")

    def submit(f: Path) -> None:
        nonlocal pool
        try:
            rec = _receive(f, f.name, received_at, archive_dir, session)
        except privacy.SecretConfigurationError:
            raise
        except Exception as exc:  # internal failure: record it, go on with the next file
            if isinstance(exc, FileNotFoundError) and not f.exists():
                # listed by this run, then processed and moved out of the inbox by another ingest (the inbox
                # sensor's run, another `liangxin ingest`) while this one waited for the writer lock: that run's
                log.info("已由另一接收进程处理并移出收件箱，跳过：%s", f.name)
                return
            session.file_done(failed=True)
            queue.append((f, failed_outcome(f, exc), None))
            return
        fut = None
        if rec.archived is not None and pool is not None:
            try:
                fut = pool.submit(prepare_file, rec.archived, rec.out.original_name, *limits)
            except Exception as exc:  # a broken pool: read the remaining files here
                log.warning("并行读取进程不可用（%s），改为逐个读取", exc)
                pool = session.pool = None
        queue.append((f, rec, fut))

    def complete(f: Path, rec, fut) -> IngestOutcome:
        nonlocal pool
        if isinstance(rec, IngestOutcome):
            return rec
        if rec.archived is None:
            return rec.out
        failed = True
        try:
            prep = None
            if fut is not None:
                try:
                    prep = fut.result()
                except Exception as exc:  # the worker died (or could not pickle): read it here
                    log.warning("并行读取失败（%s: %s），改由受限读取进程重新读取 %s", type(exc).__name__, exc, f.name)
                    if type(exc).__name__ == "BrokenProcessPool":
                        pool = session.pool = None
            if prep is None:
                prep = _prepare_here(rec, *limits, settings)
            out = _complete(rec, prep, outbox_dir, archive_dir, session)
            failed = False
            return out
        except privacy.SecretConfigurationError:
            raise
        except Exception as exc:
            return failed_outcome(f, exc)
        finally:
            session.file_done(failed=failed)

    bar = task = None
    if progress and files:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("[bold]接收报表"), BarColumn(), MofNCompleteColumn(), TextColumn("个文件"),
                       TextColumn("{task.fields[rows]:,} 行"), TimeElapsedColumn(),
                       TextColumn("{task.description}"), transient=True)
        task = bar.add_task("", total=len(files), rows=0)
        bar.start()
    n_rows = 0
    try:
        pending_files = iter(files)
        exhausted = False
        while True:
            while not exhausted and len(queue) < window:
                f = next(pending_files, None)
                if f is None:
                    exhausted = True
                else:
                    submit(f)
            if not queue:
                break
            f, rec, fut = queue.popleft()
            if bar is not None:
                from rich.markup import escape

                bar.update(task, description=escape(f.name))
            outcomes.append(complete(f, rec, fut))
            if bar is not None:
                n_rows += outcomes[-1].parsed_rows
                bar.update(task, advance=1, rows=n_rows)
    finally:
        try:
            session.release()  # writes the last group
        finally:
            if bar is not None:
                bar.stop()
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    first_in_batch = {o.sha256: {"original_name": o.original_name, "unit_code": o.unit_code,
                                 "unit_name": o.unit_name, "period": o.period, "correction_no": o.correction_no,
                                 "outcome": o.outcome, "received_at": "本批次"}
                      for o in outcomes if o.outcome not in (DUPLICATE, FAILED) and o.sha256}
    for o in outcomes:
        if o.outcome == DUPLICATE:
            _duplicate_receipt(o, outbox_dir, first_in_batch)
    leave_inbox(outcomes, inbox_dir, archive_dir)
    return outcomes
