"""What the Dagster code location reads and writes: the ``liangxin`` resource, holding the :class:`Settings`
built at the edge (``liangxin.definitions`` or the command line), and the ``duckdb_writer`` pool name.

The resource is a plain object (a Dagster "ResourceParam"), not a ``ConfigurableResource``: its settings hold
the person-key secret, which must not appear as resource configuration in the Dagster UI.
"""

from __future__ import annotations

from pathlib import Path

from liangxin.settings import Settings

# Every asset that opens the DuckDB build database runs in this pool; dagster.yaml limits pools to 1 slot.
DUCKDB_POOL = "duckdb_writer"


class LiangxinPaths:
    """The settings of the code location, with optional location overrides (tests, one-off runs)."""

    def __init__(
        self,
        settings: Settings,
        *,
        db_path: str | Path | None = None,
        inbox_dir: str | Path | None = None,
        archive_dir: str | Path | None = None,
        outbox_dir: str | Path | None = None,
    ):
        self.settings = settings
        self.db_path, self.inbox_dir, self.archive_dir, self.outbox_dir = db_path, inbox_dir, archive_dir, outbox_dir

    def db(self) -> Path:
        return Path(self.db_path) if self.db_path else self.settings.duckdb

    def inbox(self) -> Path:
        return Path(self.inbox_dir) if self.inbox_dir else self.settings.inbox

    def archive(self) -> Path:
        return Path(self.archive_dir) if self.archive_dir else self.settings.archive

    def outbox(self) -> Path:
        return Path(self.outbox_dir) if self.outbox_dir else self.settings.outbox
