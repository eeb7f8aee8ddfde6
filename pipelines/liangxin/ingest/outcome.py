"""The outcome of receiving one file (:class:`IngestOutcome`) and the outcome labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from liangxin.validate.result import OUTCOME_ZH

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
