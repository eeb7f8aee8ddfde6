"""Quarterly partitions keyed ``YYYYQn``.

Dagster's time-window partitions format keys with strftime, which has no quarter directive, so their keys
would be dates (``2020-01-01``) rather than the ``YYYYQn`` used everywhere else (covers, seeds, dbt).  A
static partition set from 2019Q1 to the current quarter keeps the business key; it grows when the code
location is (re)loaded in a new quarter, which happens on every deploy and at least daily under ``dagster dev``.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from liangxin.periods import period_of, periods_between

FIRST_PERIOD = "2019Q1"


def quarter_keys(today: dt.date | None = None) -> list[str]:
    return periods_between(FIRST_PERIOD, period_of(today or dt.date.today()))


quarterly_partitions = dg.StaticPartitionsDefinition(quarter_keys())
