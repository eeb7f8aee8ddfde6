"""End-to-end ingestion on real workbooks: archive, validate, report, load; duplicates; corrections;
concurrent CLI processes; SIGKILL at random points followed by a re-run."""

import datetime as dt
import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liangxin import forms, warehouse
from liangxin.ingest import collect_files, ingest_file, ingest_paths
from liangxin.settings import Settings

SECRET = "ingest-test-secret"
RECEIVED = dt.datetime(2021, 1, 5, 9, 30, tzinfo=dt.timezone.utc)
LIANGXIN = Path(sys.executable).parent / "liangxin"


from hostile.writers import write_return  # noqa: E402  (the generator's own writer)
from procs import alive, cmdline  # noqa: E402


def variant(ret: dict, *, correction_no: int | None = None, break_r11: bool = False) -> dict:
    out = {k: [dict(r) for r in v] for k, v in ret.items()}
    if correction_no is not None:
        out["cover"][0]["correction_no"] = correction_no
        out["cover"][0]["correction_reason"] = "更正党员数" if correction_no else None
    if break_r11:
        out["member_flows"][0]["closing_should"] += 1  # R11 error: the balance no longer adds up
    return out


def data_rows(ret: dict) -> dict[str, int]:
    return {f.key: len(ret.get(f.key, [])) for f in forms.DATA_FORMS}


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET)
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "home"))
    for var in ("LIANGXIN_INBOX", "LIANGXIN_ARCHIVE", "LIANGXIN_OUTBOX", "LIANGXIN_DUCKDB"):
        monkeypatch.delenv(var, raising=False)


def units(world, n):
    return [c["unit_code"] for c in world.communities[:n]]


def dirs(tmp_path):
    """The locations of one test run, and its settings as an edge builds them (``Settings`` reads the env)."""
    return dict(
        db_path=tmp_path / "db" / "build.duckdb",
        archive_dir=tmp_path / "archive",
        outbox_dir=tmp_path / "outbox",
        settings=Settings.from_env(),
    )


def counts(db: Path, sha: str | None = None) -> dict[str, int]:
    con = warehouse.connect(db, read_only=True)
    try:
        if sha is None:
            return warehouse.table_counts(con)
        return {
            t: con.execute(f"select count(*) from raw.{t} where submission_id = ?", [sha]).fetchone()[0]
            for t in warehouse.table_columns()
        }
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------
# In-process
# --------------------------------------------------------------------------------------------------
def test_accepted_file_loads_every_row(tmp_path, world):
    u = units(world, 1)[0]
    ret = world.returns[(u, "2020Q1")]
    f = write_return(tmp_path / "in" / "金桥 一季度.xlsx", ret)
    d = dirs(tmp_path)
    out = ingest_file(f, received_at=RECEIVED, **d)
    assert out.outcome == "accepted_with_warnings"  # P1: 2019Q4 was never loaded
    # P4 (spec rev. 2): received 2021-01-05, after the 2020Q1 deadline 2020-04-15 (receipt time counts)
    assert out.rule_counts == {"P1/W": 1, "P4/W": 1}
    assert (out.unit_code, out.period, out.correction_no) == (u, "2020Q1", 0)
    assert out.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert out.rows == {"submissions": 1, "rule_hits": 2, **data_rows(ret)}
    assert counts(d["db_path"], out.sha256) == {"submissions": 1, "rule_hits": 2, **data_rows(ret)}
    # reports in the outbox
    xlsx, html = out.reports
    assert xlsx.exists() and html.exists() and xlsx.parent == d["outbox_dir"] / "accepted"
    # archive: once, by sha, private folders
    archived = d["archive_dir"] / out.sha256[:2] / f"{out.sha256}.xlsx"
    assert archived.read_bytes() == f.read_bytes()
    assert stat.S_IMODE(d["archive_dir"].stat().st_mode) == 0o700
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o700
    receipts = [json.loads(x) for x in (d["archive_dir"] / "receipts.jsonl").read_text().splitlines()]
    assert [(r["sha256"], r["original_name"], r["outcome"], r["warning_count"]) for r in receipts] == [
        (out.sha256, "金桥 一季度.xlsx", "accepted_with_warnings", 2)
    ]  # P1 + P4
    # the next quarter is checked against this one (P1 passes: openings = last closings)
    out2 = ingest_file(
        write_return(tmp_path / "in" / "q2.xlsx", world.returns[(u, "2020Q2")]), received_at=RECEIVED, **d
    )
    assert out2.outcome in ("accepted", "accepted_with_warnings")
    assert not any(k.startswith("P1/") for k in out2.rule_counts), out2.rule_counts


def test_rejected_file_writes_only_submission_and_hits(tmp_path, world):
    u = units(world, 1)[0]
    f = write_return(tmp_path / "bad.xlsx", variant(world.returns[(u, "2020Q1")], break_r11=True))
    d = dirs(tmp_path)
    out = ingest_file(f, received_at=RECEIVED, **d)
    assert out.outcome == "rejected"
    assert out.rule_counts.get("R11/E") == 1
    assert any("[R11]" in m for m in out.first_errors)
    c = counts(d["db_path"], out.sha256)
    assert c["submissions"] == 1 and c["rule_hits"] == out.error_count + out.warning_count >= 1
    assert all(c[f.key] == 0 for f in forms.DATA_FORMS)
    assert out.reports[0].parent == d["outbox_dir"] / "rejected"
    con = warehouse.connect(d["db_path"], read_only=True)
    assert con.execute("select outcome, error_count from raw.submissions").fetchone() == ("rejected", out.error_count)
    con.close()


def test_same_file_twice_is_a_duplicate_and_changes_nothing(tmp_path, world):
    u = units(world, 1)[0]
    f = write_return(tmp_path / "a.xlsx", world.returns[(u, "2020Q1")])
    d = dirs(tmp_path)
    first = ingest_file(f, received_at=RECEIVED, **d)
    before = counts(d["db_path"])
    receipts = (d["archive_dir"] / "receipts.jsonl").read_bytes()
    copy = tmp_path / "other name.xlsx"
    copy.write_bytes(f.read_bytes())
    again = ingest_file(copy, **d)
    assert again.outcome == "duplicate" and again.sha256 == first.sha256
    assert (again.unit_code, again.period, again.correction_no) == (u, "2020Q1", 0)  # from the first receipt
    assert again.rows == {} and again.reports is None
    assert counts(d["db_path"]) == before
    assert (d["archive_dir"] / "receipts.jsonl").read_bytes() == receipts
    assert [p.name for p in (d["archive_dir"] / first.sha256[:2]).iterdir()] == [f"{first.sha256}.xlsx"]


def test_correction_after_original_in_one_folder(tmp_path, world):
    u = units(world, 1)[0]
    ret = world.returns[(u, "2020Q1")]
    folder = tmp_path / "drop"
    # names chosen so that name order would put the correction first: ordering must come from the cover
    write_return(folder / "a-更正.xlsx", variant(ret, correction_no=1))
    write_return(folder / "b-原始.xlsx", ret)
    (folder / "notes.txt").write_text("ignored")
    d = dirs(tmp_path)
    files = collect_files([folder])
    assert [p.name for p in files] == ["b-原始.xlsx", "a-更正.xlsx"]
    outs = ingest_paths([folder], progress=False, **d)
    assert [(o.original_name, o.correction_no, o.outcome) for o in outs] == [
        ("b-原始.xlsx", 0, "accepted_with_warnings"),
        ("a-更正.xlsx", 1, "accepted_with_warnings"),
    ]
    con = warehouse.connect(d["db_path"], read_only=True)
    assert warehouse.WarehouseContext(con).accepted_corrections(u, "2020Q1") == [0, 1]
    # both stay queryable (append-only): twice the rows
    assert con.execute("select count(*) from raw.party_orgs").fetchone()[0] == 2 * len(ret["party_orgs"])
    con.close()
    # the same correction number again (new bytes) is rejected by F6
    again = ingest_file(
        write_return(
            tmp_path / "c.xlsx",
            variant(ret, correction_no=1)
            | {"cover": [dict(ret["cover"][0], correction_no=1, correction_reason="再次更正")]},
        ),
        **d,
    )
    assert again.outcome == "rejected" and "F6/E" in again.rule_counts


def test_failure_of_one_file_does_not_stop_the_others(tmp_path, world, monkeypatch):
    u1, u2 = units(world, 2)
    folder = tmp_path / "drop"
    write_return(folder / "1.xlsx", world.returns[(u1, "2020Q1")])
    write_return(folder / "2.xlsx", world.returns[(u2, "2020Q1")])
    import liangxin.ingest.session as ingest_mod  # where the reports of a group are written

    real = ingest_mod._write_reports
    calls = []

    def flaky(result, outbox, received_at):
        calls.append(result.original_name)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return real(result, outbox, received_at)

    monkeypatch.setattr(ingest_mod, "_write_reports", flaky)
    outs = ingest_paths([folder], progress=False, **dirs(tmp_path))
    assert [o.outcome for o in outs] == ["failed", "accepted_with_warnings"]
    assert "disk on fire" in outs[0].internal_error
    assert counts(dirs(tmp_path)["db_path"])["submissions"] == 1


# --------------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ten_files(world, tmp_path_factory):
    """5 communities × 2 quarters, plus (for the crash test) a correction and a rejected file."""
    folder = tmp_path_factory.mktemp("ten")
    for i, u in enumerate(units(world, 5)):
        for p in ("2020Q1", "2020Q2"):
            write_return(folder / f"{u}-{p}.xlsx", world.returns[(u, p)])
    extra = tmp_path_factory.mktemp("extra")
    u = units(world, 1)[0]
    write_return(extra / "correction.xlsx", variant(world.returns[(u, "2020Q1")], correction_no=1))
    write_return(extra / "broken.xlsx", variant(world.returns[(units(world, 6)[5], "2020Q1")], break_r11=True))
    return folder, extra


def cli_env(home: Path) -> dict:
    env = dict(os.environ)
    env.update(LIANGXIN_HOME=str(home), LIANGXIN_HMAC_SECRET=SECRET, COLUMNS="200")
    for var in ("LIANGXIN_INBOX", "LIANGXIN_ARCHIVE", "LIANGXIN_OUTBOX", "LIANGXIN_DUCKDB", "LIANGXIN_ENV"):
        env.pop(var, None)
    return env


def snapshot(db: Path) -> dict[str, tuple[int, str]]:
    """Per raw table: row count and a hash of its sorted content (receipt time excluded)."""
    con = warehouse.connect(db, read_only=True)
    try:
        out = {}
        for table, cols in warehouse.table_columns().items():
            names = ", ".join(f'"{c}"' for c, _, _ in cols if c != "received_at")
            rows = sorted(repr(r) for r in con.execute(f"select {names} from raw.{table}").fetchall())
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return out
    finally:
        con.close()


def test_two_cli_processes_on_the_same_files(tmp_path, ten_files):
    folder, _ = ten_files
    env = cli_env(tmp_path / "home")
    procs = [
        subprocess.Popen(
            [str(LIANGXIN), "ingest", str(folder), "--no-progress"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (so, se) in zip(procs, outs):
        assert p.returncode == 0, se
        assert "内部错误" not in so + se and "Traceback" not in se
        assert "报表接收汇总" in so and "重复提交" in so
    db = tmp_path / "home" / "build.duckdb"
    con = warehouse.connect(db, read_only=True)
    subs = con.execute(
        "select count(*), count(distinct submission_id), count(distinct unit_code || period) from raw.submissions"
    ).fetchone()
    dupe_rows = con.execute(
        "select count(*) from (select submission_id, source_sheet, source_row, count(*) n "
        "from raw.party_orgs group by all having n > 1)"
    ).fetchone()[0]
    con.close()
    assert subs == (10, 10, 10)
    assert dupe_rows == 0
    archived = [p for p in (tmp_path / "home" / "archive").rglob("*.xlsx")]
    assert len(archived) == 10


def _lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_equals_clean_run(tmp_path, ten_files):
    folder, extra = ten_files
    cmd = [str(LIANGXIN), "ingest", str(folder), str(extra), "--no-progress"]
    env = {"LIANGXIN_INGEST_BATCH": "2", "LIANGXIN_INGEST_WORKERS": "0"}
    for attempt in ("cold", "clean"):  # time the second, warm run: the crash runs below are warm too
        clean_home = tmp_path / attempt
        t0 = time.monotonic()
        p = subprocess.Popen(
            cmd, env={**cli_env(clean_home), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        receipts = clean_home / "archive" / "receipts.jsonl"
        first = last = None  # first and last receipt (each written just before its group's transaction)
        while p.poll() is None:
            n = _lines(receipts)
            if first is None and n:
                first = time.monotonic() - t0
            if n >= 12 and last is None:
                last = time.monotonic() - t0
            time.sleep(0.005)
        clean_seconds = time.monotonic() - t0
        assert p.returncode == 0
    first = first or clean_seconds / 2
    span = max(0.2, (last or clean_seconds) - first)  # the receipts-and-transactions part of the work
    clean = snapshot(clean_home / "build.duckdb")
    assert clean["submissions"][0] == 12 and clean["organizations"][0] > 0

    rng = random.Random(20201)
    kills = 0
    progress = []  # submissions present after each kill: the kills land at different stages
    homes = 0

    def check_converged(home: Path) -> None:
        subprocess.run(cmd, env=cli_env(home), check=True, capture_output=True, timeout=300)  # defaults
        assert snapshot(home / "build.duckdb") == clean
        archived = sorted(p.name for p in (home / "archive").rglob("*") if p.is_file() and p.suffix == ".xlsx")
        assert archived == sorted(p.name for p in (clean_home / "archive").rglob("*") if p.suffix == ".xlsx")
        assert not [p for p in (home / "archive").rglob("*.tmp")]

    crash_home = None
    for _ in range(60):
        if kills >= 10:
            break
        if crash_home is None:  # a fresh home: an attempt that got through leaves nothing left to interrupt
            homes += 1
            crash_home = tmp_path / f"crash{homes}"
        # groups of 2 files per transaction, read in this process: the kills land before, inside and between
        # group transactions at a pace the clean run measured (its default groups would hold all 12 files)
        p = subprocess.Popen(
            cmd, env={**cli_env(crash_home), **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # the kill lands at a random point: now and then during start-up (before any receipt of this attempt),
        # mostly inside the work, timed from this attempt's first new receipt — start-up (Dagster, the instance's
        # state) varies with the machine's load, so it is not a clock to aim by
        receipts = crash_home / "archive" / "receipts.jsonl"
        n0 = _lines(receipts)
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0, first))
        else:
            t0 = time.monotonic()
            while p.poll() is None and _lines(receipts) == n0 and time.monotonic() - t0 < 120:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, span))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        if (crash_home / "build.duckdb").exists():
            progress.append(snapshot(crash_home / "build.duckdb")["submissions"][0])
        if p.returncode == 0:  # finished before the kill
            check_converged(crash_home)
            crash_home = None
    assert kills >= 10
    assert len(set(progress)) >= 2, progress  # kills landed at different stages of the work
    print("clean run", round(clean_seconds, 2), "s; submissions after each attempt:", progress)
    if crash_home is not None:
        check_converged(crash_home)


def test_csv_zip_and_unreadable_files(tmp_path):
    from returnbuilder import ReturnBuilder

    folder = tmp_path / "drop"
    folder.mkdir()
    ReturnBuilder("2020Q3").to_csvzip(folder / "gbk.zip", encoding="gb18030")
    (folder / "junk.xlsx").write_bytes(b"this is not a workbook")
    d = dirs(tmp_path)
    outs = {o.original_name: o for o in ingest_paths([folder], progress=False, **d)}
    assert outs["gbk.zip"].outcome in ("accepted", "accepted_with_warnings")
    assert outs["gbk.zip"].rows["organizations"] == 4
    assert outs["junk.xlsx"].outcome == "rejected" and outs["junk.xlsx"].rule_counts == {"F1/E": 1}
    con = warehouse.connect(d["db_path"], read_only=True)
    rows = dict(con.execute("select original_name, (format, unit_code, period) from raw.submissions").fetchall())
    con.close()
    assert rows == {"gbk.zip": ("csvzip", "330199001001", "2020Q3"), "junk.xlsx": (None, None, None)}
    assert (d["archive_dir"] / outs["gbk.zip"].sha256[:2] / f"{outs['gbk.zip'].sha256}.zip").exists()


@pytest.mark.slow
def test_whole_district_two_quarters_against_the_world(tmp_path, world):
    """20 communities × 2 quarters through the real validator with the warehouse as context: nothing is
    rejected, the second quarter is checked against the first (no P1), no false I3/I4 across communities,
    and the loaded figures equal the world's."""
    folder = tmp_path / "district"
    chosen = set(units(world, 20))
    returns = {k: v for k, v in world.returns.items() if k[0] in chosen}
    for (u, p), ret in returns.items():
        write_return(folder / p / f"{u}.xlsx", ret)
    d = dirs(tmp_path)
    outs = ingest_paths([folder], progress=False, **d)
    assert len(outs) == len(returns) == 40
    assert not [o for o in outs if o.outcome not in ("accepted", "accepted_with_warnings")]
    q2_rules = {k for o in outs if o.period == "2020Q2" for k in o.rule_counts}
    assert not {k for k in q2_rules if k.split("/")[0] in ("P1", "I3", "I4")}, q2_rules
    con = warehouse.connect(d["db_path"], read_only=True)
    for period in ("2020Q1", "2020Q2"):
        got = con.execute(
            "select sum(closing_actual), count(*) from raw.member_flows where period = ?", [period]
        ).fetchone()
        rets = [r for (u, p), r in returns.items() if p == period]
        assert got == (
            sum(x["closing_actual"] for r in rets for x in r["member_flows"]),
            sum(len(r["member_flows"]) for r in rets),
        )
        assert con.execute("select count(*) from raw.attendance where period = ?", [period]).fetchone()[0] == sum(
            len(r["attendance"]) for r in rets
        )
    con.close()


def test_production_without_secret_refuses_before_writing_anything(tmp_path, world, monkeypatch):
    from liangxin.privacy import SecretConfigurationError

    f = write_return(tmp_path / "r.xlsx", world.returns[(units(world, 1)[0], "2020Q1")])
    monkeypatch.setenv("LIANGXIN_ENV", "production")
    monkeypatch.delenv("LIANGXIN_HMAC_SECRET")
    d = dirs(tmp_path)
    with pytest.raises(SecretConfigurationError):
        ingest_paths([f], progress=False, **d)
    with pytest.raises(SecretConfigurationError):
        ingest_file(f, **d)
    assert not d["archive_dir"].exists() and not d["outbox_dir"].exists() and not d["db_path"].exists()
    p = subprocess.run(
        [str(LIANGXIN), "ingest", str(f), "--no-progress"],
        capture_output=True,
        text=True,
        env={**cli_env(tmp_path / "home"), "LIANGXIN_ENV": "production", "LIANGXIN_HMAC_SECRET": ""},
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stdout + p.stderr
    assert "生产环境" in p.stderr and not (tmp_path / "home" / "archive").exists()


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    return {int(a) for a, b in (line.split() for line in out.splitlines()) if int(b) == pid}


@pytest.mark.slow
def test_worker_processes_exit_when_the_ingesting_process_is_killed(tmp_path, ten_files):
    folder, extra = ten_files
    cmd = [str(LIANGXIN), "ingest", str(folder), str(extra), "--no-progress"]
    p = subprocess.Popen(
        cmd,
        env={**cli_env(tmp_path / "home"), "LIANGXIN_INGEST_WORKERS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and p.poll() is None and time.monotonic() < deadline:
        workers |= {c for c in _children(p.pid) if "spawn_main" in cmdline(c)}
        time.sleep(0.02)
    assert len(workers) >= 2, "the ingest finished before its worker processes were seen"
    p.send_signal(signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 15
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if alive(w)]
    for w in left:  # do not leave them behind either way
        os.kill(w, signal.SIGKILL)
    assert not left, f"worker processes outlived the killed ingest: {left}"
