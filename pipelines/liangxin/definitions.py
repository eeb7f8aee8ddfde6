"""Dagster code location of liangxin (``[tool.dagster] module_name``): ``dagster dev -m liangxin.definitions``.

Set ``DAGSTER_HOME`` to a folder holding the repository's ``dagster.yaml`` (pool ``duckdb_writer`` = 1 slot).
"""

from liangxin.defs import build_definitions
from liangxin.paths import private_umask

private_umask()  # issue 19: the warehouse files the code location writes are private (0600 / 0700)

defs = build_definitions()
