"""The static leadership dashboard: one self-contained, offline ``build/dashboard/index.html``.

Two modules, one reason to change each: ``liangxin.dashboard.data`` reads the serving snapshot (the contract's
fixed names) into plain Python; ``liangxin.dashboard.render`` turns that into the page (Jinja2 template
``liangxin/templates/dashboard.html.j2``).  This package re-exports their public names.
"""

from __future__ import annotations

# the package re-exports the public names of its two modules
# ruff: noqa: F401

from liangxin.dashboard.data import (
    BULLETIN_IDS,
    DEFAULT_COVERAGE_THRESHOLD,
    HEADLINE,
    NOT_COLLECTED,  # noqa: F401
    REQUIRED_TABLES,
    WORK_CARDS,
    YEARLY_HEADLINE,
    DashboardDataError,
    _competition_rank,
    default_period,
    find_table,
    headline_numbers,
    load_dashboard_data,
    resolve_table,
)
from liangxin.dashboard.render import (
    STATIC_DIR,
    banner_text,
    coverage_text,
    explain_command,
    fmt_change,  # noqa: F401
    fmt_value,
    num_attr,
    period_label,
    render_dashboard,
    render_html,
)
