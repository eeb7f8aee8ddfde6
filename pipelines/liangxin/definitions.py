"""Dagster code location of liangxin (``[tool.dagster] module_name``): ``dagster dev -m liangxin.definitions``.

Set ``DAGSTER_HOME`` to a folder holding the repository's ``dagster.yaml`` (pool ``duckdb_writer`` = 1 slot).
"""

from liangxin.defs import build_definitions

defs = build_definitions()
