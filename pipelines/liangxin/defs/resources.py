"""Where the Dagster code location reads and writes: one resource, defaults from ``liangxin.paths`` (env vars)."""


from pathlib import Path

import dagster as dg

from liangxin import paths

# Every asset that opens the DuckDB build database runs in this pool; dagster.yaml limits pools to 1 slot.
DUCKDB_POOL = "duckdb_writer"


class LiangxinPaths(dg.ConfigurableResource):
    """Locations; ``None`` means the environment default (LIANGXIN_HOME, LIANGXIN_DUCKDB, …)."""

    db_path: str | None = None
    inbox_dir: str | None = None
    archive_dir: str | None = None
    outbox_dir: str | None = None

    def db(self) -> Path:
        return Path(self.db_path) if self.db_path else paths.build_db()

    def inbox(self) -> Path:
        return Path(self.inbox_dir) if self.inbox_dir else paths.inbox()

    def archive(self) -> Path:
        return Path(self.archive_dir) if self.archive_dir else paths.archive()

    def outbox(self) -> Path:
        return Path(self.outbox_dir) if self.outbox_dir else paths.outbox()
