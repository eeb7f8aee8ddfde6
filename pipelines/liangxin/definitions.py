"""Dagster code location of liangxin (``[tool.dagster] module_name``): ``dagster dev -m liangxin.definitions``.

Configuration: the ``LIANGXIN_*`` environment variables, read once here into a ``Settings`` (issue 16).
Set ``DAGSTER_HOME`` to a folder holding the repository's ``dagster.yaml`` (pool ``duckdb_writer`` = 1 slot).
"""

from liangxin.defs import build_definitions
from liangxin.paths import private_umask
from liangxin.settings import Settings

private_umask()  # issue 19: the warehouse files the code location writes are private (0600 / 0700)

settings = Settings.from_env()  # the edge of the code location: the environment is read here, once (D150)
defs = build_definitions(settings)
