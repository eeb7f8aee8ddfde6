"""Parsing and auditing of submitted returns (F, I, R, X and P rules of audit-rules.md)."""

from liangxin.validate.result import (  # noqa: F401
    ACCEPTED,
    ACCEPTED_WITH_WARNINGS,
    DUPLICATE,
    ERROR,
    REJECTED,
    WARNING,
    ParsedRow,
    RuleHit,
    ValidationResult,
)
