"""Many files: :func:`ingest_paths`, the batch loop (worker processes read the next files while this process
validates and writes each one in order)."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import os
import traceback
from pathlib import Path

from liangxin import privacy
from liangxin.ingest.duplicates import _duplicate_receipt
from liangxin.ingest.inbox import collect_files, leave_inbox
from liangxin.ingest.outcome import FAILED, IngestOutcome
from liangxin.ingest.receive import _complete, _prepare_here, _receive, _validation_limits
from liangxin.ingest.session import WriterSession
from liangxin.settings import Settings
from liangxin.validate.result import DUPLICATE

log = logging.getLogger("liangxin.ingest")

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


def ingest_paths(
    paths_in: list[Path],
    *,
    settings: Settings,
    db_path: Path | None = None,
    archive_dir: Path | None = None,
    outbox_dir: Path | None = None,
    received_at: dt.datetime | None = None,
    progress: bool = True,
    slice_seconds: float | None = None,
    batch_files: int | None = None,
    workers: int | None = None,
    inbox_dir: Path | None = None,
    backfill: bool = False,
) -> list[IngestOutcome]:
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
        raise RuntimeError(
            "ingest_paths called while a worker process starts: guard the calling script "
            'with `if __name__ == "__main__":` (or set LIANGXIN_INGEST_WORKERS=0)'
        )
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
    session = WriterSession(
        db, slice_seconds, batch_files=batch_files, outbox_dir=outbox_dir, secret=secret, register=settings.register_csv
    )
    session.backfill = backfill  # ``backfill``: historical returns, P4 judged by 报出日期 (receipts: 历史补录)
    n_workers = _worker_count(len(files), workers, settings.ingest_workers)
    pool = None
    if n_workers:
        from concurrent.futures import ProcessPoolExecutor

        from liangxin.validate.core import prepare_file
        from liangxin.workers import reader_init

        try:  # spawn: never fork a process that may already run threads (Dagster, Rich)
            pool = ProcessPoolExecutor(
                n_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=reader_init,
                initargs=(settings.read_memory_mb,),
            )
            session.pool = pool
        except (OSError, ValueError) as exc:  # pragma: no cover - no process support here
            log.warning("无法启动并行读取进程（%s），改为逐个读取", exc)
    queue: collections.deque = collections.deque()  # (file, _Received | IngestOutcome, future | None)
    window = 2 * n_workers + 2

    def failed_outcome(f: Path, exc: BaseException) -> IngestOutcome:
        log.error("内部错误：%s：%s\n%s", f.name, exc, traceback.format_exc())
        return IngestOutcome(
            path=f, original_name=f.name, sha256="", outcome=FAILED, internal_error=f"{type(exc).__name__}: {exc}"
        )

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

        bar = Progress(
            TextColumn("[bold]接收报表"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("个文件"),
            TextColumn("{task.fields[rows]:,} 行"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            transient=True,
        )
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
    first_in_batch = {
        o.sha256: {
            "original_name": o.original_name,
            "unit_code": o.unit_code,
            "unit_name": o.unit_name,
            "period": o.period,
            "correction_no": o.correction_no,
            "outcome": o.outcome,
            "received_at": "本批次",
        }
        for o in outcomes
        if o.outcome not in (DUPLICATE, FAILED) and o.sha256
    }
    for o in outcomes:
        if o.outcome == DUPLICATE:
            _duplicate_receipt(o, outbox_dir, first_in_batch)
    leave_inbox(outcomes, inbox_dir, archive_dir)
    return outcomes
