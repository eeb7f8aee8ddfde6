"""Quarter arithmetic for report periods written ``YYYYQn``."""

from __future__ import annotations

import datetime as dt
import re

PERIOD_RE = re.compile(r"^(\d{4})Q([1-4])$")


def parse_period(period: str) -> tuple[int, int]:
    m = PERIOD_RE.match(period or "")
    if not m:
        raise ValueError(f"报告期格式应为 YYYYQn（如 2020Q3），实际为 {period!r}")
    return int(m.group(1)), int(m.group(2))


def make_period(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def period_start(period: str) -> dt.date:
    y, q = parse_period(period)
    return dt.date(y, 3 * q - 2, 1)


def period_end(period: str) -> dt.date:
    y, q = parse_period(period)
    nxt = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
    return nxt - dt.timedelta(days=1)


def previous_period(period: str) -> str:
    y, q = parse_period(period)
    return make_period(y - 1, 4) if q == 1 else make_period(y, q - 1)


def next_period(period: str) -> str:
    y, q = parse_period(period)
    return make_period(y + 1, 1) if q == 4 else make_period(y, q + 1)


def periods_between(start: str, end: str) -> list[str]:
    """Inclusive list of quarters from start to end."""
    parse_period(start), parse_period(end)
    out, p = [], start
    while p <= end:
        out.append(p)
        p = next_period(p)
    return out


def period_of(day: dt.date) -> str:
    return make_period(day.year, (day.month - 1) // 3 + 1)


def is_q4(period: str) -> bool:
    return parse_period(period)[1] == 4
