"""Writing to the build database: :class:`WriterSession` (the writer lock, one connection, the validator's
answers, files written in groups of ``batch_files`` per transaction) and the reports of each file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from liangxin import warehouse
from liangxin.ingest.archive import append_receipt, writer_lock
from liangxin.ingest.outcome import FAILED, IngestOutcome

log = logging.getLogger("liangxin.ingest")


def _write_reports(result, outbox_dir: Path, received_at: dt.datetime) -> tuple[Path, Path] | None:
    try:
        from liangxin.reports import write_reports
    except ImportError:  # pragma: no cover - reports module not present
        log.warning("回执模块不可用，未生成回执 / reports module unavailable")
        return None
    return write_reports(result, outbox_dir, received_at)


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

    def __init__(
        self,
        db: Path,
        slice_seconds: float = 2.0,
        batch_files: int = 1,
        outbox_dir: Path | None = None,
        *,
        secret: bytes,
        register: Path | None = None,
    ):
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
