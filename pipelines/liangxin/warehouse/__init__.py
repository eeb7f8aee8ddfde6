"""The raw layer of the DuckDB build database (docs/internals.md, "Raw warehouse tables").

- ``raw.submissions``: one row per received file (accepted, accepted with warnings, rejected).
- ``raw.rule_hits``: every rule hit of every received file.
- ``raw.<form key>``: the typed rows of accepted submissions, columns ``forms.raw_columns(form)``.

Raw is append-only: nothing is ever updated or deleted.  The *current* return of a unit and period (its
highest accepted correction) is always derived by a query (here for the validator, in dbt for the marts).

Each submission is written in one transaction (``load_submission``): either all of its rows exist or none.
Personal data is transformed before anything reaches DuckDB (``liangxin.privacy``): citizen IDs become
HMAC person keys + birth year + sex, names are masked to surname + ``*``, phones to ``138****8000``.
Rule-hit values and messages are scrubbed of the ID numbers, names and phones they quote; sheet names, column
headers, file names and free-text fields (``is_free_text``: 更正说明, 差额说明 …) of every ID-shaped string.

The package by concern: ``schema`` (connection, tables, keying), ``transform`` (personal data), ``load`` (bulk
writes, one transaction per batch), ``context`` (the validator's questions).  Import from ``liangxin.warehouse``.
"""

from __future__ import annotations

from liangxin.warehouse.context import *  # noqa: F403
from liangxin.warehouse.load import *  # noqa: F403
from liangxin.warehouse.schema import *  # noqa: F403
from liangxin.warehouse.transform import *  # noqa: F403
