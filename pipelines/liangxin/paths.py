"""Where things live.  Every location can be moved with an environment variable; defaults are local.

| variable              | default                      | what                                         |
|-----------------------|------------------------------|----------------------------------------------|
| LIANGXIN_HOME         | ./data (relative to the cwd) | root of the working data                     |
| LIANGXIN_INBOX        | $LIANGXIN_HOME/inbox         | where communities drop their workbooks       |
| LIANGXIN_ARCHIVE      | $LIANGXIN_HOME/archive       | every received file by SHA-256 (restricted)  |
| LIANGXIN_OUTBOX       | $LIANGXIN_HOME/outbox        | receipt / rejection reports                  |
| LIANGXIN_DUCKDB       | $LIANGXIN_HOME/build.duckdb  | the build database (one writer)              |
| LIANGXIN_SERVE_DUCKDB | $LIANGXIN_HOME/serve.duckdb  | the read-only serving snapshot               |
| LIANGXIN_BUILD        | ./build                      | published outputs (dashboard, annual return) |
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_ROOT / "seeds"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SPEC_DIR = PROJECT_ROOT.parent / "shared" / "spec"


def _env_path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default.resolve()


def home() -> Path:
    return _env_path("LIANGXIN_HOME", Path.cwd() / "data")


def inbox() -> Path:
    return _env_path("LIANGXIN_INBOX", home() / "inbox")


def archive() -> Path:
    return _env_path("LIANGXIN_ARCHIVE", home() / "archive")


def outbox() -> Path:
    return _env_path("LIANGXIN_OUTBOX", home() / "outbox")


def build_db() -> Path:
    return _env_path("LIANGXIN_DUCKDB", home() / "build.duckdb")


def serve_db() -> Path:
    return _env_path("LIANGXIN_SERVE_DUCKDB", home() / "serve.duckdb")


def build_dir() -> Path:
    return _env_path("LIANGXIN_BUILD", Path.cwd() / "build")
