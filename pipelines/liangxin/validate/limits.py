"""Documented ranges of the numeric fields (issue 19 item 7): ``seeds/field_limits.csv``.

One row per ``(form, field)``: ``min`` / ``max`` (blank: no bound on that side) and the Chinese ``reason``
shown on the receipt.  Rows with form ``*`` give the default of a field type (``int``, ``money``,
``number``) for fields without their own row, so a field added to the forms is bounded from day one.
A value outside its range is an F4 error ("every cell parses to its type": a value the warehouse column or
the statistics cannot hold is not a value of that type here), found while the cells are parsed, before any
receipt is written; see docs/decisions.md D60 and docs/security-input.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

RANGE_PROBLEM = "超出允许范围"  # every range problem starts with this (the F4 message reads differently)


@dataclass(frozen=True)
class Limit:
    min: Decimal | None
    max: Decimal | None
    reason: str

    def problem(self, value) -> str | None:
        """None when ``value`` (int, Decimal or float) is within the range, else the Chinese problem."""
        if value is None:
            return None
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            return f"{RANGE_PROBLEM}（{self.describe()}）：{self.reason}"
        return None

    def describe(self) -> str:
        lo = None if self.min is None else _fmt(self.min)
        hi = None if self.max is None else _fmt(self.max)
        if lo is not None and hi is not None:
            return f"应在 {lo} 至 {hi} 之间"
        if hi is not None:
            return f"不得大于 {hi}"
        return f"不得小于 {lo}"


def _fmt(d: Decimal) -> str:
    return f"{d:,f}" if d != d.to_integral_value() else f"{int(d):,}"


def _num(text: str) -> Decimal | None:
    t = (text or "").strip()
    return Decimal(t) if t else None


@lru_cache(maxsize=None)
def field_limits(path: str | None = None) -> dict[tuple[str, str], Limit]:
    """``(form key or "*", field name or type) -> Limit`` from the seed."""
    from liangxin.paths import SEEDS_DIR

    p = Path(path) if path else Path(SEEDS_DIR) / "field_limits.csv"
    out: dict[tuple[str, str], Limit] = {}
    with open(p, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["form"].strip(), row["field"].strip())
            if key in out:
                raise ValueError(f"{p}: {key} twice")
            out[key] = Limit(_num(row["min"]), _num(row["max"]), row["reason"].strip())
    return out


def limit_for(form_key: str, field) -> Limit | None:
    """The range of ``field`` (a forms.Field) on form ``form_key``; None for fields without one."""
    limits = field_limits()
    return limits.get((form_key, field.name)) or limits.get(("*", field.type))
