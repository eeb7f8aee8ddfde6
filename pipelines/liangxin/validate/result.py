"""What validation produces: parsed rows and every rule hit (see docs/internals.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ERROR = "E"
WARNING = "W"

ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
REJECTED = "rejected"
DUPLICATE = "duplicate"

OUTCOME_ZH = {
    ACCEPTED: "接收",
    ACCEPTED_WITH_WARNINGS: "接收（有警告）",
    REJECTED: "退回",
    DUPLICATE: "重复提交",
}
SEVERITY_ZH = {ERROR: "错误", WARNING: "警告"}


@dataclass
class RuleHit:
    rule_id: str  # "F4", "R11", …
    severity: str  # ERROR | WARNING
    sheet: str | None  # sheet name as in forms.py (None for file-level hits)
    row: int | None  # 1-based sheet row (header = 1)
    column: str | None  # Chinese header text
    value: str | None  # the value found, as text
    message: str  # Chinese; starts with "[<rule_id>] "
    cell: str | None = None  # e.g. "C5" when row and column are known


@dataclass
class ParsedRow:
    sheet: str
    source_row: int
    values: dict[str, object]


@dataclass
class ValidationResult:
    path: Path
    sha256: str
    size: int
    original_name: str | None = None
    format: str | None = None  # "xlsx" | "csvzip"
    unit_code: str | None = None
    unit_name: str | None = None
    period: str | None = None
    correction_no: int | None = None
    cover: dict[str, object] | None = None
    rows: dict[str, list[ParsedRow]] = field(default_factory=dict)
    hits: list[RuleHit] = field(default_factory=list)
    backfill: bool = False  # loaded with the explicit historical-backfill flag (P4 by 报出日期; 历史补录)

    @property
    def errors(self) -> list[RuleHit]:
        return [h for h in self.hits if h.severity == ERROR]

    @property
    def warnings(self) -> list[RuleHit]:
        return [h for h in self.hits if h.severity == WARNING]

    @property
    def outcome(self) -> str:
        if self.errors:
            return REJECTED
        return ACCEPTED_WITH_WARNINGS if self.warnings else ACCEPTED
