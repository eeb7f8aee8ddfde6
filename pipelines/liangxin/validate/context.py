"""What the validator needs to know beyond the file itself (docs/internals.md, "Validation result").

Reference data defaults to the seeds; the callables are answered by the warehouse
(``liangxin.warehouse.WarehouseContext``) and by :meth:`ValidationContext.offline` ("nothing loaded yet").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from liangxin import seeds

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # China Standard Time, no DST since 1991


@dataclass(frozen=True)
class PreviousReturn:
    """The current accepted return of the previous quarter for the same unit (rules P1–P3).

    ``party_orgs``: 党组织编码 -> 表3 期末实有数; ``units``: rows of 表1; ``party_org_count``: rows of 表2;
    ``members``: Σ 表3 期末实有数 over all rows of 表3.
    """

    party_orgs: dict[str, int]
    units: int
    party_org_count: int
    members: int


@dataclass(frozen=True)
class NextReturn:
    """The current accepted return of the *next* quarter for the same unit (rule P6).

    ``openings``: 党组织编码 -> 表3 期初党员数 of that return; ``period`` and ``correction_no`` identify it.
    """

    period: str
    correction_no: int
    openings: dict[str, int]


def _no_next(unit_code: str, period: str) -> NextReturn | None:
    return None


def _no_corrections(unit_code: str, period: str) -> list[int]:
    return []


def _no_previous(unit_code: str, period: str) -> PreviousReturn | None:
    return None


def _no_owner(party_org_code: str) -> str | None:
    return None


def _no_owners(uscc: str, period: str) -> set[str]:
    return set()


@dataclass
class ValidationContext:
    """``received_on``: the receipt date (F3: period not in the future, 报出日期 not after it).

    Overrides (``None`` = read the seed): ``register`` unit_code -> register row (needs ``unit_name``),
    ``template_versions`` known versions, ``uscc_allow_list``, ``deadlines`` period -> date,
    ``parameters`` (kpi_parameters.csv).

    Callables (the warehouse answers them):

    - ``accepted_corrections(unit, period)``: correction numbers already accepted for the unit and period.
    - ``previous_return(unit, period)``: called with the period *being validated*; answers the current
      accepted return of the quarter before it (``periods.previous_period(period)``; Q1 -> last year's Q4),
      or ``None`` when there is none.
    - ``party_org_owner(code)``: the unit whose accepted returns list the Party organization, or ``None``.
    - ``uscc_owners(uscc, period)``: units whose current return of ``period`` lists the uscc with 登记状态 存续.
    - ``next_return(unit, period)``: called with the period *being validated*; answers the current accepted
      return of the quarter after it (``periods.next_period(period)``), or ``None`` (rule P6).

    ``received_at``: the receipt time (aware, any zone; P4 judges it in Asia/Shanghai), ``None`` = the end
    of ``received_on``.  ``backfill``: the file is a historical backfill loaded with the explicit flag
    (``liangxin ingest --backfill``): P4 judges it by its 报出日期 and says so.
    """

    received_on: dt.date
    register: dict[str, dict[str, str]] | None = None
    template_versions: set[str] | frozenset[str] | None = None
    uscc_allow_list: frozenset[str] | set[str] | None = None
    deadlines: dict[str, dt.date] | None = None
    parameters: dict[str, str] | None = None
    accepted_corrections: Callable[[str, str], list[int]] = _no_corrections
    previous_return: Callable[[str, str], PreviousReturn | None] = _no_previous
    party_org_owner: Callable[[str], str | None] = _no_owner
    uscc_owners: Callable[[str, str], set[str]] = _no_owners
    next_return: Callable[[str, str], NextReturn | None] = _no_next
    received_at: dt.datetime | None = None
    backfill: bool = False
    max_hits_per_rule_sheet: int = 200
    max_rows_per_sheet: int = 200_000

    @classmethod
    def offline(cls, received_on: dt.date | None = None, **overrides) -> "ValidationContext":
        """A context with seed reference data whose callables answer "nothing loaded yet"."""
        return cls(received_on=received_on or dt.date.today(), **overrides)

    # resolved reference data -------------------------------------------------------------------
    def get_register(self) -> dict[str, dict[str, str]]:
        if self.register is None:
            self.register = seeds.community_by_code()  # the seeds; the ingest passes Settings' register
        return self.register

    def get_template_versions(self) -> frozenset[str]:
        if self.template_versions is None:
            self.template_versions = frozenset(seeds.template_versions())
        return frozenset(self.template_versions)

    def get_allow_list(self) -> frozenset[str]:
        if self.uscc_allow_list is None:
            self.uscc_allow_list = seeds.uscc_allow_list()
        return frozenset(u.upper() for u in self.uscc_allow_list)

    def get_deadlines(self) -> dict[str, dt.date]:
        if self.deadlines is None:
            self.deadlines = seeds.deadlines()
        return self.deadlines

    def receipt_date_shanghai(self) -> dt.date:
        """The receipt date in Asia/Shanghai (UTC+8, no daylight saving): what the deadline (end of day) is
        compared with (P4).  Without ``received_at``, ``received_on`` as given."""
        if self.received_at is None:
            return self.received_on
        at = self.received_at if self.received_at.tzinfo is not None else self.received_at.astimezone()
        return at.astimezone(SHANGHAI).date()

    def get_parameters(self) -> dict[str, str]:
        if self.parameters is None:
            self.parameters = seeds.parameters()
        return self.parameters
