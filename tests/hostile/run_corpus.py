"""Worker (run in a subprocess so that its peak RSS is its own): ingest every corpus file into a copy of the
base warehouse and report outcome, time, peak-RSS growth of the ingesting process, peak RSS of the bounded
reading process (the file is read there, liangxin.validate.core.prepare_file_bounded) and the warehouse diff
as JSON on stdout.

    python run_corpus.py <workdir>     (workdir/manifest.json written by tests/hostile/test_hostile_corpus.py)
"""

from __future__ import annotations

import json
import os
import logging
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


def one(ingest_file, path, home, rss0, handler, received, settings) -> dict:
    from liangxin.validate.core import _reader_pool

    _reader_pool().submit(int).result()  # the bounded reader is started once per run, not per file: not timed
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    error = None
    o = None
    try:
        o = ingest_file(
            path,
            settings=settings,
            db_path=home / "build.duckdb",
            archive_dir=home / "archive",
            outbox_dir=home / "outbox",
            received_at=received,
        )
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        import traceback

        error = traceback.format_exc()
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from liangxin.validate.core import shutdown_reader

    shutdown_reader()  # the bounded reader that read the file: waited for, so its peak is in RUSAGE_CHILDREN
    return {
        "seconds": seconds,
        "rss_growth_mb": (rss - max(rss0, rss_start)) / 1024,
        "reader_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "exception": error,
        "outcome": o.outcome if o else None,
        "sha256": o.sha256 if o else None,
        "unit_code": o.unit_code if o else None,
        "internal_error": o.internal_error if o else None,
        "rule_counts": o.rule_counts if o else {},
        "rows": o.rows if o else {},
        "logs": list(handler.records),
        "reports": [str(p) for p in (o.reports or ())] if o else [],
    }


def main(work: Path) -> None:
    from liangxin.ingest import ingest_file
    from liangxin.settings import Settings

    from hostile.corpus import RECEIVED
    from hostile.dump import dump, diff

    settings = Settings.from_env()  # this script is an edge: the test gives it LIANGXIN_HMAC_SECRET
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    manifest = json.loads((work / "manifest.json").read_text())
    base = work / "base"
    base_dump = dump(base / "build.duckdb")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    results = {}
    for name, filename in manifest["cases"].items():
        home = work / "cases" / name
        shutil.copytree(base, home)
        path = work / "files" / name / filename
        handler.records.clear()
        # one forked child per file: its peak RSS is this file's alone (the parent's peak never grows)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            code = 0
            try:
                res = one(ingest_file, path, home, rss0, handler, RECEIVED, settings)
                res["diff"] = diff(base_dump, dump(home / "build.duckdb"))
                with os.fdopen(write_fd, "w") as fh:
                    json.dump(res, fh, ensure_ascii=False)
            except BaseException:  # noqa: BLE001
                code = 3
            finally:
                os._exit(code)
        os.close(write_fd)
        with os.fdopen(read_fd) as fh:
            text = fh.read()
        _, status = os.waitpid(pid, 0)
        results[name] = json.loads(text) if text else {"exception": f"worker died: status {status}"}
        shutil.rmtree(home / "archive", ignore_errors=True)  # keep the temp folder small
    json.dump({"rss0_mb": rss0 / 1024, "results": results}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
