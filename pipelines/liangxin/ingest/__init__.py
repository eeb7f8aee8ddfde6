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

The package, by concern (issue 16 #4, D191): ``outcome`` (:class:`IngestOutcome`, labels), ``archive`` (writer lock,
SHA-256, the archive copy, receipt lines), ``session`` (:class:`WriterSession`: grouped transactions, reports),
``receive`` (one file: :func:`ingest_file`), ``duplicates`` (the 重复报送 receipt), ``inbox`` (:func:`collect_files`,
:func:`leave_inbox`) and ``batch`` (:func:`ingest_paths`).  The command ``liangxin ingest`` is
``liangxin.cli.ingest``.
"""

from __future__ import annotations

from liangxin.ingest.archive import (
    append_receipt,
    archive_file,
    file_sha256,
    sha256_bytes,
    writer_lock,
)
from liangxin.ingest.batch import PARALLEL_MIN_FILES, ingest_paths
from liangxin.ingest.duplicates import DUPLICATE_TITLE, duplicate_text
from liangxin.ingest.inbox import collect_files, leave_inbox, peek_cover
from liangxin.ingest.outcome import ARCHIVE_MODE, FAILED, OUTCOME_LABELS, SUFFIXES, IngestOutcome
from liangxin.ingest.receive import ingest_file
from liangxin.ingest.session import WriterSession

__all__ = [
    "ARCHIVE_MODE",
    "DUPLICATE_TITLE",
    "FAILED",
    "OUTCOME_LABELS",
    "PARALLEL_MIN_FILES",
    "SUFFIXES",
    "IngestOutcome",
    "WriterSession",
    "append_receipt",
    "archive_file",
    "collect_files",
    "duplicate_text",
    "file_sha256",
    "ingest_file",
    "ingest_paths",
    "leave_inbox",
    "peek_cover",
    "sha256_bytes",
    "writer_lock",
]
