"""Where things live: the project's own folders, and the permission rules of the working data.

The working locations (home, inbox, archive, outbox, build and serving databases, published outputs) are
settings: :class:`liangxin.settings.Settings` (``LIANGXIN_HOME``, ``LIANGXIN_INBOX``, …, with the defaults below),
read once at the edge and passed down (issue 16).  This module reads no environment.

| variable              | default                      | what                                         |
|-----------------------|------------------------------|----------------------------------------------|
| LIANGXIN_HOME         | ./data (relative to the cwd) | root of the working data                     |
| LIANGXIN_INBOX        | $LIANGXIN_HOME/inbox         | where communities drop their workbooks       |
| LIANGXIN_ARCHIVE      | $LIANGXIN_HOME/archive       | every received file by SHA-256 (restricted)  |
| LIANGXIN_OUTBOX       | $LIANGXIN_HOME/outbox        | receipt / rejection reports                  |
| LIANGXIN_DUCKDB       | $LIANGXIN_HOME/build.duckdb  | the build database (one writer)              |
| LIANGXIN_SERVE_DUCKDB | $LIANGXIN_HOME/serve.duckdb  | the read-only serving snapshot               |
| LIANGXIN_BUILD        | ./build                      | published outputs (dashboard, annual return) |

Permissions (issue 19): everything under the home is private to the service account — folders 0700, files
0600.  ``private_umask`` (called by the CLI and the Dagster code location) makes every file the process
creates private, including DuckDB's WAL and dbt's files; ``secure_home`` repairs an existing home's top level
(folders, the databases, reports made before this rule).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liangxin.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_ROOT / "seeds"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SPEC_DIR = PROJECT_ROOT.parent / "shared" / "spec"


PRIVATE_UMASK = 0o077
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def private_umask() -> int:
    """Make files and folders this process creates private (umask 077); returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def make_private(path: Path) -> None:
    """chmod 0700 (folder) or 0600 (file); symlinks and missing paths are left alone."""
    try:
        p = Path(path)
        if p.is_symlink() or not p.exists():
            return
        mode = PRIVATE_DIR if p.is_dir() else PRIVATE_FILE
        if (p.stat().st_mode & 0o777) != mode:
            os.chmod(p, mode)
    except OSError:  # not ours (e.g. a shared mount): the umask still protects what we create
        pass


def secure_home(settings: Settings) -> None:
    """Make the known parts of an existing home private (cheap: no walk of the archive); no home, no-op.

    The home, inbox, archive and outbox folders and the outbox's accepted/rejected folders and reports,
    the build and serving databases with their WAL files.
    """
    h = settings.home
    if not h.is_dir():
        return
    targets = [h, settings.inbox, settings.archive, settings.outbox]
    for db in (settings.duckdb, settings.serve_duckdb):
        targets += [db, Path(str(db) + ".wal")]
    for sub in ("accepted", "rejected"):
        folder = settings.outbox / sub
        targets.append(folder)
        if folder.is_dir():
            targets += list(folder.iterdir())
    for t in targets:
        if t == h or h in t.parents:  # only inside the home: moved locations are the operator's business
            make_private(t)
