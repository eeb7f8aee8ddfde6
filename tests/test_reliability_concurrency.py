"""Concurrency: the Dagster inbox sensor with the ingest job executed in-process for each of its run
requests, a manual ``liangxin ingest`` subprocess and a rebuild (``dbt build`` holding the same writer lock
as ingest, as defs/dbt.py does) all started at once over the same 200 files (50 communities × 4 quarters).

No lock error surfaces anywhere, every run succeeds, nothing is duplicated or lost: each SHA-256 exactly
once in raw.submissions, data row counts equal the generator's, every file archived once.  Each ingest holds the
writer lock for its whole run (D123) and moves the files it processed out of the inbox (D122), so a sensor run
whose file the CLI already took finds nothing to do: every file is accounted for exactly once overall.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import dagster as dg
import duckdb
import pytest

from hostile.pipeline import BIN, DBT_PROJECT, home_env, locked_dbt_cmd
from hostile.writers import expected_rows, write_world_files
from liangxin.ingest import file_sha256

LOCK_ERRORS = (
    "Could not set lock",
    "Conflicting lock",
    "database is locked",
    "IO Error",
    "Timeout",
    "内部错误",
    "Traceback",
)


@pytest.fixture(scope="module")
def district(tmp_path_factory, make_world):
    world = make_world(end="2020Q4", communities=50)
    inbox = tmp_path_factory.mktemp("conc") / "home" / "inbox"
    files = write_world_files(world, inbox)
    assert len(files) == 200
    return world, inbox


@pytest.mark.slow
def test_sensor_cli_and_rebuild_at_once(district, monkeypatch):
    from liangxin.defs.ingestion import inbox_sensor, ingest_job, raw_returns
    from liangxin.defs.resources import LiangxinPaths

    world, inbox = district
    home = inbox.parent
    shas = {file_sha256(p)[0] for p in inbox.iterdir()}  # before the ingests move the files out of the inbox
    env = home_env(home)
    for k, v in env.items():
        if k.startswith("LIANGXIN_"):
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("LIANGXIN_INBOX_SETTLE_SECONDS", "0")
    db = home / "build.duckdb"
    from liangxin.settings import Settings

    res = LiangxinPaths(
        Settings.from_env(),
        db_path=str(db),
        inbox_dir=str(inbox),
        archive_dir=str(home / "archive"),
        outbox_dir=str(home / "outbox"),
    )

    # all three start at once
    # outputs go to files, not pipes: a full pipe would block a writer while it holds the lock
    cli_log, dbt_log = home / "cli.log", home / "dbt.out"
    cli = subprocess.Popen(
        [str(BIN / "liangxin"), "ingest", "--no-progress"],
        env=env,
        cwd=home,
        stdout=open(cli_log, "w"),
        stderr=subprocess.STDOUT,
    )
    time.sleep(0.5)  # the rebuild waits for the lock like any writer, between two files of the ingest
    dbt = subprocess.Popen(
        locked_dbt_cmd(db, home / "dbt"), env=env, cwd=DBT_PROJECT, stdout=open(dbt_log, "w"), stderr=subprocess.STDOUT
    )
    result = inbox_sensor(dg.build_sensor_context(resources={"liangxin": res}))
    requests = list(result.run_requests)
    assert len(requests) == 200 and len({r.run_key for r in requests}) == 200
    job = dg.Definitions(assets=[raw_returns], jobs=[ingest_job], resources={"liangxin": res}).resolve_job_def(
        "ingest_job"
    )
    outcomes: Counter = Counter()
    taken = 0  # sensor runs whose file another ingest had already processed and moved out of the inbox
    failures = []
    instance = dg.DagsterInstance.ephemeral()  # one instance for the 200 runs, as a daemon would have
    for r in requests:
        run = job.execute_in_process(run_config=r.run_config, tags=r.tags, raise_on_error=False, instance=instance)
        if not run.success:
            failures.append(r.run_key)
            continue
        md = run.asset_materializations_for_node("raw_returns")[0].metadata
        if md["files"].value == 0:
            taken += 1
        for k in ("accepted", "accepted_with_warnings", "rejected", "duplicate"):
            outcomes[k] += md[f"outcome_{k}"].value
    cli.wait(timeout=900)
    dbt.wait(timeout=900)
    cli_out, dbt_out = cli_log.read_text(encoding="utf-8"), dbt_log.read_text(encoding="utf-8")

    assert failures == []
    assert cli.returncode == 0, cli_out[-3000:]
    for text in (cli_out, dbt_out):
        assert not [e for e in LOCK_ERRORS if e in text], text[-3000:]
    assert "locked" in dbt_out and "Done." in dbt_out
    # every sensor run accounted for its file: loaded by it, a duplicate of the CLI's load, or already taken
    # (processed and moved out of the inbox by the CLI)
    assert sum(outcomes.values()) + taken == 200 and outcomes["rejected"] == 0
    assert list(inbox.iterdir()) == []  # every file left the inbox

    con = duckdb.connect(str(db), read_only=True)
    try:
        subs = con.execute("select submission_id, count(*) from raw.submissions group by 1").fetchall()
        counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in expected_rows(world)}
        per_sub = con.execute(
            "select count(*) from (select submission_id, source_sheet, source_row, count(*) n "
            "from raw.organizations group by all having n > 1)"
        ).fetchone()[0]
        outcomes_db = dict(con.execute("select outcome, count(*) from raw.submissions group by 1").fetchall())
    finally:
        con.close()
    assert {s for s, _ in subs} == shas and all(n == 1 for _, n in subs)
    assert counts == expected_rows(world)
    assert per_sub == 0
    assert "rejected" not in outcomes_db
    archived = [p for p in (home / "archive").rglob("*") if p.suffix in (".xlsx", ".zip")]
    assert sorted(p.stem for p in archived) == sorted(shas)
    print(
        f"concurrent: sensor runs {len(requests)}, dagster outcomes {dict(outcomes)}, taken by the CLI {taken}, "
        f"db {outcomes_db}"
    )
