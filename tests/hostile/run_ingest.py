"""Run the real ``ingest_paths`` (the CLI's path: collect_files with its cover peek, then reading, validating,
writing) over a folder in this fresh process and report outcomes and peak memory as JSON on stdout.

    python run_ingest.py <home> <workers> <folder>

Peak RSS: ``VmHWM`` of this process (the ingesting process) and ``RUSAGE_CHILDREN`` ``ru_maxrss`` (the largest
reading process: batch workers and the bounded reader, all waited for before it is read).
"""

from __future__ import annotations

import json
import logging
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(home: Path, workers: int, folder: Path) -> None:
    from liangxin.ingest import ingest_paths
    from liangxin.settings import Settings
    from liangxin.validate.core import shutdown_reader

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(f"{record.levelname} {record.name} {record.getMessage()}")

    logging.getLogger().addHandler(Collect(logging.WARNING))
    outcomes = ingest_paths(
        [folder],
        settings=Settings.from_env(),
        db_path=home / "build.duckdb",
        archive_dir=home / "archive",
        outbox_dir=home / "outbox",
        progress=False,
        workers=workers,
    )
    shutdown_reader()
    hwm = next(
        int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")
    )
    json.dump(
        {
            "outcomes": [
                {
                    "name": o.original_name,
                    "outcome": o.outcome,
                    "rules": o.rule_counts,
                    "errors": o.first_errors,
                    "internal_error": o.internal_error,
                }
                for o in outcomes
            ],
            "main_hwm_mb": hwm / 1024,
            "children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "logs": records,
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
