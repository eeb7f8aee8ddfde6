"""One file through the steps of the package docstring: hash, duplicate check, archive, validate (with the
warehouse as context), reports and receipt line, queued in the :class:`WriterSession`; :func:`ingest_file`."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from liangxin import seeds
from liangxin.ingest.archive import archive_file, file_sha256
from liangxin.ingest.duplicates import _duplicate_receipt
from liangxin.ingest.outcome import IngestOutcome
from liangxin.ingest.session import WriterSession, _Reports
from liangxin.settings import Settings
from liangxin.validate.result import DUPLICATE

log = logging.getLogger("liangxin.ingest")


@dataclass
class _Received:
    """A file hashed and archived, waiting for its validation."""

    out: IngestOutcome
    received_at: dt.datetime
    size: int
    archived: Path | None = None  # None: a duplicate, nothing more to do
    t0: float = 0.0


def _receive(
    path: Path, name: str, received_at: dt.datetime | None, archive_dir: Path, session: WriterSession
) -> _Received:
    """Hash; a file already received is a duplicate; otherwise archive it (idempotent by SHA-256)."""
    t0 = time.perf_counter()
    received_at = received_at or dt.datetime.now(dt.timezone.utc)
    if received_at.tzinfo is None:
        received_at = received_at.astimezone()
    sha, size = file_sha256(path)
    rec = _Received(
        IngestOutcome(path=path, original_name=name, sha256=sha, outcome=DUPLICATE), received_at, size, t0=t0
    )
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
    first = (
        session.connection()
        .execute(
            "SELECT unit_code, unit_name, period, correction_no, original_name, received_at, outcome "
            "FROM raw.submissions WHERE submission_id = ?",
            [out.sha256],
        )
        .fetchone()
    )
    if first is not None:
        out.unit_code, out.unit_name, out.period, out.correction_no = first[:4]
        out.duplicate_of = {
            "original_name": first[4],
            "received_at": str(first[5]),
            "unit_code": first[0],
            "unit_name": first[1],
            "period": first[2],
            "correction_no": first[3],
            "outcome": first[6],
        }
        log.info(
            "重复报送，已忽略：%s（与 %s 于 %s 接收的文件内容相同，SHA-256 %s）",
            out.original_name,
            first[4],
            first[5],
            out.sha256[:12],
        )
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
    ctx = session.index.validation_context(
        received_on=rec.received_at.astimezone().date(),
        received_at=rec.received_at,
        backfill=session.backfill,
        register=seeds.community_by_code(session.register),
    )
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
        "received_at": rec.received_at.isoformat(),
        "original_name": name,
        "sha256": sha,
        "size_bytes": rec.size,
        "outcome": result.outcome,
        "unit_code": result.unit_code,
        "period": result.period,
        "correction_no": result.correction_no,
        "error_count": out.error_count,
        "warning_count": out.warning_count,
        **({"backfill": True} if result.backfill else {}),
    }
    reports = _Reports(result, outbox_dir, archive_dir, rec.received_at, receipt).start(session.pool)
    session.add(result, rec.received_at, name, out, reports)
    out.seconds = time.perf_counter() - rec.t0
    log.info(
        "%s：%s（%s %s 更正%s，错误 %d，警告 %d）",
        out.outcome_zh,
        name,
        out.unit_code,
        out.period,
        out.correction_no,
        out.error_count,
        out.warning_count,
    )
    return out


def _prepare_here(rec: _Received, max_rows: int, cap: int, settings: Settings):
    from liangxin.validate.core import prepare_file_bounded  # a reader process under the memory ceiling

    return prepare_file_bounded(
        rec.archived,
        rec.out.original_name,
        max_rows,
        cap,
        memory_mb=settings.read_memory_mb,
        sandbox=settings.read_sandbox,
    )


def _validation_limits() -> tuple[int, int]:
    from liangxin.validate.context import ValidationContext

    c = ValidationContext.offline()
    return c.max_rows_per_sheet, c.max_hits_per_rule_sheet


def ingest_file(
    path: Path | str,
    *,
    settings: Settings,
    db_path: Path | None = None,
    archive_dir: Path | None = None,
    outbox_dir: Path | None = None,
    received_at: dt.datetime | None = None,
    original_name: str | None = None,
    session: WriterSession | None = None,
    backfill: bool = False,
) -> IngestOutcome:
    """Receive one file (see the module docstring). Raises only on internal failure.

    ``settings``: the locations (unless given) and the person-key secret.  ``session``: a
    :class:`WriterSession` shared by the files of a batch; without it the lock and connection are taken for
    this file only and the file is written before this returns.
    """
    secret = settings.secret()  # refuse (production without a real secret) before anything is written
    db = Path(db_path) if db_path is not None else settings.duckdb
    if session is None:
        with WriterSession(
            db, slice_seconds=0, outbox_dir=outbox_dir or settings.outbox, secret=secret, register=settings.register_csv
        ) as own:
            own.backfill = backfill
            return ingest_file(
                path,
                settings=settings,
                db_path=db,
                archive_dir=archive_dir,
                outbox_dir=outbox_dir,
                received_at=received_at,
                original_name=original_name,
                session=own,
            )
    path = Path(path)
    archive_dir = Path(archive_dir) if archive_dir is not None else settings.archive
    outbox_dir = Path(outbox_dir) if outbox_dir is not None else settings.outbox
    failed = True
    try:
        rec = _receive(path, original_name or path.name, received_at, archive_dir, session)
        out = rec.out
        if rec.archived is not None:
            out = _complete(rec, _prepare_here(rec, *_validation_limits(), settings), outbox_dir, archive_dir, session)
        failed = False
        if out.outcome == DUPLICATE:
            _duplicate_receipt(out, outbox_dir, {})
        return out
    finally:
        session.file_done(failed=failed)
