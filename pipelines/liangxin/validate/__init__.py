"""Parsing and auditing of submitted returns (F, I, R, X and P rules of audit-rules.md).

Public API: :func:`validate_file`, :class:`ValidationContext`, :class:`PreviousReturn`, :class:`NextReturn`
and the result dataclasses of :mod:`liangxin.validate.result`.  (P5 was removed in spec revision 2.)
"""

from liangxin.validate.context import NextReturn, PreviousReturn, ValidationContext  # noqa: F401
from liangxin.validate.core import validate_file  # noqa: F401
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
