"""A small full pipeline, run once per test session and shared (read-only) by the security, crash and
backup tests: generate → write files → ``liangxin ingest`` (CLI) → ``dbt build`` (under the writer lock)
→ ``publish_snapshot`` → ``liangxin dashboard`` + ``liangxin annual-return`` into build/.

Every step runs as a subprocess with its stdout/stderr kept in ``<root>/logs/*.log`` (the "captured logs"
the personal-data scan reads).  Users of the pipeline must not write into it; copy first.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hostile.dump import digest, dump
from hostile.writers import write_world_files

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
BIN = Path(sys.executable).parent
SECRET = "reliability-pipeline-secret"
START, END, COMMUNITIES = "2020Q1", "2020Q4", 3  # a complete year, so the annual return exists


def dbt_executable() -> str:
    """dbt beside this interpreter (the venv's bin/), else on PATH — the same rule as the pipeline's."""
    from liangxin.defs.dbt import dbt_executable as _dbt

    return _dbt()


def home_env(home: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env.update(
        LIANGXIN_HOME=str(home),
        LIANGXIN_HMAC_SECRET=SECRET,
        LIANGXIN_BUILD=str(home / "build"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        COLUMNS="200",
        LIANGXIN_DUCKDB=str(home / "build.duckdb"),
        LIANGXIN_SERVE_DUCKDB=str(home / "serve.duckdb"),
    )
    env.update(extra)
    return env


def dbt_build_cmd(work: Path) -> list[str]:
    return [
        dbt_executable(),
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]


LOCKED_DBT = (
    "import subprocess, sys\n"
    "from pathlib import Path\n"
    "from liangxin.ingest import writer_lock\n"
    "with writer_lock(Path(sys.argv[1])):\n"
    "    print('locked', flush=True)\n"
    "    sys.exit(subprocess.call(sys.argv[2:]))\n"
)


def locked_dbt_cmd(db: Path, work: Path) -> list[str]:
    """``dbt build`` holding the writer lock, as the Dagster dbt asset does (defs/dbt.py)."""
    return [sys.executable, "-c", LOCKED_DBT, str(db)] + dbt_build_cmd(work)


def run(cmd: list[str], env: dict, log: Path, timeout: int = 600, cwd: Path | None = None, check: bool = True):
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}\n", encoding="utf-8")
    assert proc.returncode == 0 or not check, f"{cmd[:3]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@dataclass
class Pipeline:
    root: Path  # the LIANGXIN_HOME
    world: object
    files: dict  # file name -> (unit, period)
    dbt_rc: int = 0

    @property
    def db(self) -> Path:
        return self.root / "build.duckdb"

    @property
    def serve(self) -> Path:
        return self.root / "serve.duckdb"

    @property
    def raw_only(self) -> Path:
        """A copy of the build database after ingest, before dbt."""
        return self.root.parent / "raw_only.duckdb"

    def env(self, **extra) -> dict[str, str]:
        return home_env(self.root, **extra)


_PIPELINE: Pipeline | None = None


def small_world():
    from liangxin.generator import build_world

    return build_world(start=START, end=END, communities=COMMUNITIES)


def full_pipeline() -> Pipeline:
    global _PIPELINE
    if _PIPELINE is not None:
        return _PIPELINE
    from liangxin.serving import publish_snapshot

    top = Path(tempfile.mkdtemp(prefix="liangxin-pipeline-"))
    atexit.register(shutil.rmtree, top, True)
    root = top / "home"
    world = small_world()
    files = write_world_files(world, root / "inbox")
    p = Pipeline(root=root, world=world, files=files)
    env = p.env()
    logs = top / "logs"
    run([str(BIN / "liangxin"), "ingest", "--no-progress"], env, logs / "ingest.log", cwd=top)
    shutil.copyfile(p.db, p.raw_only)
    p.dbt_rc = run(locked_dbt_cmd(p.db, top / "dbt"), env, logs / "dbt.log", cwd=DBT_PROJECT).returncode
    publish_snapshot(p.db, p.serve)
    run([str(BIN / "liangxin"), "dashboard"], env, logs / "dashboard.log", cwd=top)
    run([str(BIN / "liangxin"), "annual-return", "--year", "2020", "--no-pdf"], env, logs / "annual.log", cwd=top)
    _PIPELINE = p
    return p


def logs_dir(p: Pipeline) -> Path:
    return p.root.parent / "logs"


# --------------------------------------------------------------------------------------------------
# comparing whole databases
def all_tables(db: Path) -> dict:
    return digest(dump(db, schemas=tuple(schemas(db))))


def schemas(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()]
    finally:
        con.close()


def nondeterministic(pipe, work: Path, clean: dict) -> set[str]:
    """Tables in which a second clean ``dbt build`` of the same raw data differs from the first."""
    work.mkdir()
    db = work / "build.duckdb"
    shutil.copyfile(pipe.raw_only, db)
    subprocess.run(
        dbt_build_cmd(work),
        env=home_env(work, LIANGXIN_DUCKDB=str(db)),
        cwd=DBT_PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    again = all_tables(db)
    return {t for t in set(again) | set(clean) if again.get(t) != clean.get(t)}
