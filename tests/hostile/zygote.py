"""A pre-imported process that forks one child per step and SIGKILLs it after a chosen delay.

Crash tests need many kills at precise moments of the work, not of Python's start-up: this process imports
liangxin once, then for each command line on stdin

    {"action": "ingest"|"publish_loop"|"publish", "delay": seconds or null, ...}

(a publish names its serving contract: ``"manifest"``, a hand-made dbt manifest declaring the table ``t`` public)

forks a child that does the work (a real process: real files, real DuckDB, its own writer lock) and, when
``delay`` is given, kills it with SIGKILL after that many seconds.  It answers one JSON line:
``{"killed": bool, "status": exit status, "seconds": how long the child ran}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from liangxin.ingest import ingest_paths  # noqa: E402
from liangxin.settings import Settings  # noqa: E402
from liangxin.serving import publish_snapshot  # noqa: E402

RECEIVED = dt.datetime(2021, 2, 1, 9, 0, tzinfo=dt.timezone.utc)


def _die_after(module, name: str) -> None:
    """SIGKILL this process right after ``module.name(...)`` returns: a crash at an exact point."""
    original = getattr(module, name)

    def wrapper(*a, **kw):
        out = original(*a, **kw)
        os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(module, name, wrapper)


def work(cmd: dict) -> None:
    if cmd.get("die_at") == "report_temp":  # the receipt report's temp file exists, not yet renamed
        import types

        import liangxin.workbooks

        def die_instead_of_rename(src, dst):  # atomic_output's os.replace: the temp file is complete
            os.kill(os.getpid(), signal.SIGKILL)

        liangxin.workbooks.os = types.SimpleNamespace(**{**vars(os), "replace": die_instead_of_rename})
    elif cmd.get("die_at") == "snapshot_copy":  # the snapshot's temp copy is written, not yet renamed
        import liangxin.serving

        _die_after(liangxin.serving, "_write_published")
    if cmd["action"] == "ingest":
        # the kill hooks patch this process: with die_at, the reports are written here, not by worker processes
        ingest_paths(
            [Path(p) for p in cmd["paths"]],
            settings=Settings.from_env(),
            db_path=Path(cmd["db"]),
            archive_dir=Path(cmd["archive"]),
            outbox_dir=Path(cmd["outbox"]),
            received_at=RECEIVED,
            progress=False,
            slice_seconds=0.3,
            workers=0 if cmd.get("die_at") else cmd.get("workers"),
            batch_files=cmd.get("batch_files"),
        )
    elif cmd["action"] == "publish":
        publish_snapshot(Path(cmd["db"]), Path(cmd["serve"]), manifest=Path(cmd["manifest"]))
    elif cmd["action"] == "publish_loop":  # change the build database, publish, again and again
        from liangxin.ingest import writer_lock

        build, serve = Path(cmd["db"]), Path(cmd["serve"])
        for _ in range(cmd.get("rounds", 1000)):
            with writer_lock(build):
                con = duckdb.connect(str(build))
                v = (con.execute("select coalesce(max(v), 0) from t").fetchone()[0] or 0) + 1
                con.execute(f"create or replace table t as select {v} as v, range as r from range({cmd['rows']})")
                con.close()
            publish_snapshot(build, serve, manifest=Path(cmd["manifest"]))
    else:
        raise ValueError(cmd["action"])


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                work(cmd)
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        killed = False
        if cmd.get("delay") is not None:
            deadline = t0 + cmd["delay"]
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.001)
            else:
                os.kill(pid, signal.SIGKILL)
                killed = True
                _, status = os.waitpid(pid, 0)
        else:
            _, status = os.waitpid(pid, 0)
        if not killed or not os.WIFSIGNALED(status):
            killed = False if not os.WIFSIGNALED(status) else killed
        print(
            json.dumps(
                {"killed": killed and os.WIFSIGNALED(status), "status": status, "seconds": time.monotonic() - t0}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
