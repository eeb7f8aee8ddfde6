"""Parsing and auditing of submitted returns (F, I, R, X and P rules of audit-rules.md).

Public API: :func:`validate_file`, :class:`ValidationContext`, :class:`PreviousReturn`, :func:`check_p5`,
and the result dataclasses of :mod:`liangxin.validate.result`.
"""

from liangxin.validate.context import PreviousReturn, ValidationContext  # noqa: F401
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
from liangxin.validate.rules import check_p5  # noqa: F401
