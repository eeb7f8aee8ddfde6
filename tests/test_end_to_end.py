"""End to end on the real path: generated workbooks → Dagster ingestion → dbt build → serving snapshot →
dashboard and annual return, held against the generator's ground truth (an oracle computed in plain Python
from the world model, independent of the SQL).

The district is generated for 2019Q1–2021Q4 (60 communities, 720 workbooks).  Then one community's 2020Q3
return is corrected (correction 1) and every indicator and the annual tables must change exactly as the truth
of the corrected world says.
"""

import copy
import datetime as dt
import math
import os
import re
from decimal import Decimal

import duckdb
import openpyxl
import pytest

from liangxin.settings import Settings

from liangxin.forms import ENTERPRISE

pytestmark = pytest.mark.slow

START, END, SEED = "2019Q1", "2021Q4", 20201
CORRECTED = ("330199002003", "2020Q3")


def _env(tmp):
    return {
        "LIANGXIN_HOME": str(tmp / "data"),
        "LIANGXIN_BUILD": str(tmp / "build"),
        "LIANGXIN_ANNUAL_PDF": "0",
        "LIANGXIN_HMAC_SECRET": "end-to-end-test-secret",
    }


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, make_world):
    from dagster import DagsterInstance

    from liangxin.generator import write_world
    from liangxin.pipeline import build_and_publish, ingest_through_dagster

    tmp = tmp_path_factory.mktemp("e2e")
    saved = {k: os.environ.get(k) for k in _env(tmp)}
    os.environ.update(_env(tmp))
    try:
        world = make_world(start=START, end=END, seed=SEED)  # the world of test_validate_world
        returns_dir = tmp / "returns"
        write_world(world, returns_dir, fmt="xlsx", progress=False)
        instance = DagsterInstance.ephemeral()
        ingest_through_dagster([returns_dir], settings=Settings.from_env(), instance=instance)
        built = build_and_publish(settings=Settings.from_env(), instance=instance, force=True, years=[2019, 2020, 2021])
        yield {"tmp": tmp, "world": world, "instance": instance, "built": built}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _warehouse_indicators(serve_db):
    con = duckdb.connect(str(serve_db), read_only=True)
    try:
        rows = con.execute(
            "select indicator_id, level, entity_code, period, numerator, denominator, value, "
            "null_reason from marts.fct_indicators"
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}


def _receipts(build_db):
    """The ingestion facts K20 needs (D84): every submission's receipt time, outcome and backfill flag.  They are
    inputs the world cannot know (when the files arrived), not computed values; the oracle picks the first
    accepted return itself."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = 'submissions'"
            ).fetchall()
        }
        backfill = "coalesce(backfill, false)" if "backfill" in cols else "false"
        rows = con.execute(
            f"select unit_code, period, correction_no, received_at, outcome, submitted_on, {backfill} "
            "from raw.submissions"
        ).fetchall()
    finally:
        con.close()
    out: dict = {}
    for unit, period, corr, received, outcome, submitted, bf in rows:
        out.setdefault((unit, period), []).append(
            dict(correction_no=corr, received_at=received, outcome=outcome, submitted_on=submitted, backfill=bool(bf))
        )
    return out


def _compare(truth_records, warehouse):
    truth = {(t["indicator_id"], t["level"], t["entity_code"], t["period"]): t for t in truth_records}
    missing = sorted(set(truth) - set(warehouse))[:10]
    extra = sorted(set(warehouse) - set(truth))[:10]
    assert not missing, f"in truth, not in the warehouse: {missing}"
    assert not extra, f"in the warehouse, not in truth: {extra}"
    bad = []
    for key, t in truth.items():
        num, den, val, reason = warehouse[key]
        # exact: integers, and values as exact decimals rounded once at 10 places on both sides (D81); a truth read
        # back from truth.json carries its decimals as text
        tv = None if t["value"] is None else Decimal(str(t["value"]))
        ok = (num, den, val, reason) == (t["numerator"], t["denominator"], tv, t.get("null_reason"))
        if not ok:
            bad.append((key, t["numerator"], t["denominator"], t["value"], t["null_reason"], num, den, val, reason))
    assert not bad, f"{len(bad)} values differ, e.g. {bad[:5]}"
    return len(truth)


def test_one_dagster_run_materialises_every_model_with_green_checks(pipeline):
    import json

    from dagster_dbt import DagsterDbtTranslator
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from liangxin.defs.dbt import dbt_target_dir

    built = pipeline["built"]
    # build_and_publish raises on any failed asset check; here: every dbt test that dagster-dbt makes an asset check
    # (its own rule, applied to the build's manifest; a singular test with several parents is an observation) ran
    # as a check and passed
    manifest = json.loads((dbt_target_dir(pipeline["tmp"] / "data" / "build.duckdb") / "manifest.json").read_text())
    tests = [uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"]
    checks = [uid for uid in tests if get_asset_check_key_for_test(manifest, DagsterDbtTranslator(), uid, None)]
    assert len(tests) > 250 and len(checks) >= len(tests) - 3
    assert built["asset_checks_passed"] == len(checks)
    assert built["assets_materialized"] > 60  # seeds, staging, intermediate, marts, annual, publishing


def test_every_return_accepted_and_raw_counts_equal_the_generator(pipeline):
    world = pipeline["world"]
    con = duckdb.connect(str(pipeline["tmp"] / "data" / "build.duckdb"), read_only=True)  # raw: not published
    try:
        outcomes = dict(con.execute("select outcome, count(*) from raw.submissions group by 1").fetchall())
        assert outcomes.get("rejected", 0) == 0, outcomes
        assert sum(outcomes.values()) == len(world.returns) == 720
        for form in ("organizations", "party_orgs", "member_flows", "trainings", "attendance", "mobile_members"):
            expected = sum(len(r.get(form, [])) for r in world.returns.values())
            assert con.execute(f"select count(*) from raw.{form}").fetchone()[0] == expected, form
    finally:
        con.close()


def test_every_indicator_equals_the_truth(pipeline):
    from liangxin.truth import compute_truth

    serve = pipeline["tmp"] / "data" / "serve.duckdb"
    build = pipeline["tmp"] / "data" / "build.duckdb"  # raw.submissions is not published (serve is aggregate-only)
    n = _compare(compute_truth(pipeline["world"], _receipts(build)), _warehouse_indicators(serve))
    print(f"\n{n} indicator values compared with the generator's truth: all equal")
    assert n > 30000


def test_no_raw_id_in_the_warehouse(pipeline):
    world = pipeline["world"]
    ids = set()
    for ret in world.returns.values():
        ids.update(o["secretary_id"] for o in ret.get("party_orgs", []))
        ids.update(a["person_id"] for a in ret.get("attendance", []))
    blob = (pipeline["tmp"] / "data" / "build.duckdb").read_bytes()
    assert len(ids) > 500
    # one pass over the file instead of one search per ID: every occurrence of an ID (18 characters of [0-9Xx]) lies
    # inside a maximal run of such characters, so every 18-character window of every such run is compared
    wanted = {i.encode() for i in ids}
    found = {
        run[k : k + 18]
        for m in re.finditer(rb"[0-9Xx]{18,}", blob)
        for run in (m.group(),)
        for k in range(len(run) - 17)
        if run[k : k + 18] in wanted
    }
    assert not found, sorted(found)[:5]


T1_COLUMNS = {  # rpt_annual_t1 column → the truth's (and the workbook's) Chinese column
    "prev_year_end_total": "上年底总数",
    "increase_total": "本年增加合计",
    "developed": "发展党员",
    "restored": "恢复党籍",
    "transferred_in": "转入组织关系",
    "in_whole_unit": "其中整建制转入",
    "decrease_total": "本年减少合计",
    "exited": "出党",
    "suspended": "停止党籍",
    "deceased": "死亡",
    "transferred_out": "转出组织关系",
    "out_whole_unit": "其中整建制转出",
    "year_end_should": "本年底应有数",
    "year_end_actual": "本年底实有数",
    "actual_minus_should": "实有数与应有数之差",
}
T2_COLUMNS = {
    "total": "总数",
    "employees_50_plus": "从业人员50人以上",
    "employees_100_plus": "从业人员100人以上",
    "legal_rep_member": "法定代表人是党员的",
    "legal_rep_secretary": "其中兼任企业党组织书记的",
    "private_control": "私有经济控制",
    "hk_macao_taiwan_control": "港澳台商经济控制",
    "foreign_control": "外商经济控制",
}


def _same(v, expected) -> bool:
    """Equal numbers, or both empty (缺报 / 未采集)."""
    return (v is None and expected is None) or (v is not None and expected is not None and float(v) == float(expected))


def _truth_col(group, label):
    return f"{group}{label}" if label == "合计" else label


def workbook_cells(path, sheet):
    """{(row label, column group, column label): value} read back from one sheet of the annual workbook."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    top = next(i for i, row in enumerate(grid) if row and row[0] == "项目")
    two_rows = any(v not in (None, "") for v in grid[top + 1][1:]) and not isinstance(grid[top + 1][1], (int, float))
    cols, group = {}, None
    for j in range(1, len(grid[top])):
        if two_rows and grid[top + 1][j] not in (None, ""):
            group = grid[top][j] if grid[top][j] not in (None, "") else group
            cols[j] = (group, grid[top + 1][j])
        else:
            group = None
            if grid[top][j] not in (None, ""):
                cols[j] = ("", grid[top][j])
    out = {}
    for row in grid[top + (2 if two_rows else 1) :]:
        if not row or row[0] in (None, "") or str(row[0]).startswith("填报人"):
            continue
        for j, (g, label) in cols.items():
            out[(row[0], g or "", label)] = row[j]
    return out


def test_annual_workbook_tables_one_and_two_equal_marts_and_truth(pipeline):
    """Every cell of 表一 and 表二 in the workbook = the mart; every community, street and district row = truth
    (revision 2 tables: tests/annual_truth.py)."""
    import annual_truth

    path = pipeline["built"]["annual"]["2020"]
    truth = {
        "t1": annual_truth.table_one(pipeline["world"], 2020),
        "t2": annual_truth.table_two(pipeline["world"], 2020),
    }
    con = duckdb.connect(str(pipeline["tmp"] / "data" / "serve.duckdb"), read_only=True)
    try:
        cells = con.execute(
            "select table_no, row_label, coalesce(col_group, ''), col_label, value "
            "from annual.rpt_annual_cells where year = 2020 and table_no in (1, 2) "
            "and (table_no = 1 or level = 'district')"
        ).fetchall()  # 表二's streets/communities: D117
        t1 = con.execute(
            f"select level, entity_code, {', '.join(T1_COLUMNS)} from annual.rpt_annual_t1 where year = 2020"
        ).fetchall()
        t2 = con.execute(
            f"select level, entity_code, line_label, {', '.join(T2_COLUMNS)} "
            "from annual.rpt_annual_t2 where year = 2020"
        ).fetchall()
    finally:
        con.close()
    checked = 0
    for table_no, sheet in ((1, "表一"), (2, "表二")):
        book = workbook_cells(path, sheet)
        mart = {(r, g, c): v for t, r, g, c, v in cells if t == table_no}
        assert set(book) == set(mart), (sheet, sorted(set(book) ^ set(mart))[:5])
        for key, v in book.items():
            expected = mart[key]
            assert (v == "—" and expected is None) or float(v) == float(expected), (sheet, key, v, expected)
            checked += 1
    print(f"\n{checked} workbook cells of 表一/表二 equal the marts")
    cat = {"enterprise": "非公有制企业", "social": "社会组织"}
    compared = 0
    for level, code, *values in t1:
        key = "总计" if level == "district" else cat.get(code, code) if level == "category" else code
        expected = truth["t1"][key]
        for col, v in zip(T1_COLUMNS.values(), values):
            assert _same(v, expected[col]), (key, col, v, expected[col])
            compared += 1
    assert compared == len(truth["t1"]) * len(T1_COLUMNS)
    for level, code, line, *values in t2:
        if level not in ("community", "street", "district"):
            continue
        expected = truth["t2"][code][line.replace("补充：", "")]
        for col, v in zip(T2_COLUMNS.values(), values):
            assert _same(v, expected[col]), (code, line, col, v, expected[col])
            compared += 1
    print(f"{compared} cells of 表一/表二 equal the generator's truth")
    assert compared > 5000


def _correct(world):
    """A correction of one community's 2020Q3 return, consistent with every error rule."""
    ret = copy.deepcopy(world.returns[CORRECTED])
    ret["cover"][0]["correction_no"] = 1
    ret["cover"][0]["correction_reason"] = "更正发展党员、出党人数及部分单位群团组织情况"
    ret["cover"][0]["submitted_on"] = dt.date(2020, 10, 20)
    flows = [f for f in ret["member_flows"] if f["closing_actual"] and f["closing_actual"] > 0]
    flows[0]["developed"] += 1
    flows[0]["exited"] += 1  # closing unchanged: balance, X2 and next quarter's P1 still hold
    flows[0]["revealed"] += 2
    flipped = 0
    for u in ret["organizations"]:
        if u["reg_status"] == "存续" and u["has_union"] and flipped < 3:
            u["has_union"] = False
            flipped += 1
    for u in ret["organizations"]:
        if (
            u["org_category"] == ENTERPRISE
            and u["reg_status"] == "存续"
            and u["employees"] >= 10
            and u["operating"]
            and u["fixed_premises"]
            and (u["members_formal"] or 0) + (u["members_probationary"] or 0) == 0
        ):
            u["employees"] = 5  # leaves the base B
            break
    assert flipped == 3
    new_world = copy.copy(world)
    new_world.returns = dict(world.returns)
    new_world.returns[CORRECTED] = ret
    return new_world, ret


def test_a_correction_changes_indicators_and_annual_tables_as_the_truth_says(pipeline):
    from liangxin.generator import write_return
    from liangxin.pipeline import build_and_publish, ingest_through_dagster
    import annual_truth
    from liangxin.truth import compute_truth

    build = pipeline["tmp"] / "data" / "build.duckdb"  # receipts live in raw, which is not published
    old_truth = {
        (t["indicator_id"], t["level"], t["entity_code"], t["period"]): t["value"]
        for t in compute_truth(pipeline["world"], _receipts(build))
    }
    new_world, ret = _correct(pipeline["world"])
    path = pipeline["tmp"] / "corrections" / f"{CORRECTED[0]}_{CORRECTED[1]}_更正1.xlsx"
    write_return(ret, path, fmt="xlsx")
    ingest_through_dagster([path], settings=Settings.from_env(), instance=pipeline["instance"])
    build_and_publish(settings=Settings.from_env(), instance=pipeline["instance"], force=True, years=[2020])
    new_records = compute_truth(new_world, _receipts(build))
    n = _compare(new_records, _warehouse_indicators(pipeline["tmp"] / "data" / "serve.duckdb"))
    changed = [
        k
        for k in old_truth
        if k[3] == CORRECTED[1]
        and k[2] == CORRECTED[0]
        and old_truth[k]
        != {(t["indicator_id"], t["level"], t["entity_code"], t["period"]): t["value"] for t in new_records}.get(k)
    ]
    assert {k[0] for k in changed} >= {"K6_union", "K7c", "K7"}, changed
    print(f"\nafter the correction: {n} values compared, {len(changed)} community values changed")
    t1 = annual_truth.table_one(new_world, 2020)
    con = duckdb.connect(str(pipeline["tmp"] / "data" / "serve.duckdb"), read_only=True)
    try:
        mart = dict(
            ((r, _truth_col(g, c)), v)
            for r, g, c, v in con.execute(
                "select row_label, coalesce(col_group, ''), col_label, value from annual.rpt_annual_cells "
                "where year = 2020 and table_no = 1"
            ).fetchall()
        )
    finally:
        con.close()
    con = duckdb.connect(str(pipeline["tmp"] / "data" / "build.duckdb"), read_only=True)  # not published
    try:
        current = con.execute(
            "select correction_no from intermediate.int_current_submissions where unit_code = ? and period = ?",
            list(CORRECTED),
        ).fetchone()[0]
    finally:
        con.close()
    assert current == 1
    for col, value in t1["总计"].items():
        assert float(mart[("总计", col)]) == float(value), col
    assert t1["总计"]["发展党员"] == annual_truth.table_one(pipeline["world"], 2020)["总计"]["发展党员"] + 1


# the warehouse's own tables: the dbt models (the incremental ones and everything downstream of them)
BUILT_SCHEMAS = ("staging", "intermediate", "marts", "annual", "ref")


def _earlier_year_correction(world):
    """A 2019Q4 correction (an earlier year than the 2020Q3 one) that makes the 2019 annual rule A10 warn: one
    unit of a community now says its investor was trained (出资人参加培训), with no 出资人 attendance in 2019."""
    trained = {
        a.get("uscc")
        for (unit, period), ret in world.returns.items()
        if period.startswith("2019")
        for a in ret.get("attendance", [])
        if a.get("role") == "出资人"
    }
    for (unit, period), ret in sorted(world.returns.items()):
        if period != "2019Q4" or unit == CORRECTED[0]:
            continue
        ret = copy.deepcopy(ret)
        for u in ret["organizations"]:
            uscc = u.get("uscc") or ""
            if u["reg_status"] == "存续" and not uscc.startswith("92") and not u.get("investor_trained"):
                if uscc not in trained:
                    u["investor_trained"] = True
                    ret["cover"][0]["correction_no"] = 1
                    ret["cover"][0]["correction_reason"] = "更正出资人参加培训情况"
                    ret["cover"][0]["submitted_on"] = dt.date(2020, 1, 15)
                    return (unit, period), uscc, ret
    raise AssertionError("no unit to correct in 2019Q4")


def _a10_hits(build, year):
    con = duckdb.connect(str(build), read_only=True)
    try:
        return con.execute(
            "select hit_count from annual.rpt_annual_rule_results where year = ? and rule_id = 'A10'", [year]
        ).fetchone()[0]
    finally:
        con.close()


def test_incremental_builds_equal_a_full_build_cell_by_cell(pipeline):
    """Issue 17: the build after the 2020Q3 correction (the test above) recomputed only 2020Q3 in the incremental
    models; then a 2019Q4 correction (an earlier year) that makes the 2019 annual rule A10 warn recomputes only
    2019Q4 and still rebuilds the 2019 annual tables (no stale annual cell).  A full rebuild of the same inputs then
    gives the same rows in every table of every built schema (flows, stocks, indicators, annual tables and rule
    results of every year)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from hostile.dump import diff, dump
    from liangxin import partitions
    from liangxin.generator import write_return
    from liangxin.pipeline import build_and_publish, ingest_through_dagster

    build = pipeline["tmp"] / "data" / "build.duckdb"

    def last():
        con = duckdb.connect(str(build), read_only=True)
        try:
            return partitions.last_build(con)
        finally:
            con.close()

    assert last() == {"status": "ok", "mode": "incremental", "periods": CORRECTED[1], "reason": None}
    a10_before = _a10_hits(build, 2019)
    key, uscc, ret = _earlier_year_correction(pipeline["world"])
    path = pipeline["tmp"] / "corrections" / f"{key[0]}_{key[1]}_更正1.xlsx"
    write_return(ret, path, fmt="xlsx")
    ingest_through_dagster([path], settings=Settings.from_env(), instance=pipeline["instance"])
    build_and_publish(settings=Settings.from_env(), instance=pipeline["instance"], years=[2019])
    assert last() == {"status": "ok", "mode": "incremental", "periods": "2019Q4", "reason": None}
    assert _a10_hits(build, 2019) == a10_before + 1, uscc  # the 2019 annual rule results were rebuilt

    incremental = dump(build, BUILT_SCHEMAS)
    assert {"intermediate.int_unit_level", "marts.fct_indicators", "annual.rpt_annual_cells"} <= set(incremental)
    build_and_publish(settings=Settings.from_env(), instance=pipeline["instance"], full_refresh=True, years=[2019])
    assert last()["mode"] == "full"
    full = dump(build, BUILT_SCHEMAS)
    assert set(full) == set(incremental)
    changed = diff(full, incremental)
    assert changed == {}, {t: {k: v[:3] for k, v in d.items()} for t, d in changed.items()}
    n = sum(len(rows) for rows in full.values())
    print(f"\nincremental == full: {len(full)} tables, {n} rows compared")
    assert n > 100_000


def test_dashboard_in_chromium_offline_shows_the_warehouse_headline_numbers(pipeline):
    """The published build/dashboard/index.html, opened offline in headless Chromium: no console errors, and
    the headline cards (after the page's scripts ran) equal fct_indicators in the serving snapshot."""
    import re
    import shutil
    import subprocess
    from pathlib import Path

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("LIANGXIN_REQUIRE_CHROMIUM") == "1":
            pytest.fail("Debian's chromium is required (LIANGXIN_REQUIRE_CHROMIUM=1)")
        pytest.skip("chromium not installed")
    page = Path(pipeline["built"]["dashboard"])
    tmp = pipeline["tmp"]
    base = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",  # no network at all
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
    ]
    res = subprocess.run(
        [*base, f"--user-data-dir={tmp / 'chr1'}", "--dump-dom", page.as_uri() + "#period=2021Q4"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    problems = [ln for ln in res.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "net::ERR" in ln]
    assert problems == []
    assert 'data-ready="1"' in re.search(r"<body[^>]*>", res.stdout).group(0)
    cards = dict(re.findall(r'data-indicator="([A-Za-z0-9_]+)" data-value="([-0-9.e]*)"', res.stdout))
    con = duckdb.connect(str(tmp / "data" / "serve.duckdb"), read_only=True)
    try:
        want = dict(
            con.execute(
                """select indicator_id, value from marts.fct_indicators where level = 'district'
               and ((indicator_id in ('K1', 'K2', 'K3', 'K4', 'M') and period = '2021Q4')
                    or (indicator_id = 'K9' and period = '2021'))"""
            ).fetchall()
        )
    finally:
        con.close()
    assert set(want) == {"K1", "K2", "K3", "K4", "K9", "M"}
    for k, v in want.items():
        assert math.isclose(float(cards[k]), float(v), rel_tol=1e-9), (k, cards[k], v)
    shot = tmp / "build" / "dashboard.png"
    subprocess.run(
        [
            *base,
            f"--user-data-dir={tmp / 'chr2'}",
            f"--screenshot={shot}",
            "--window-size=1400,2600",
            "--hide-scrollbars",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert shot.exists() and shot.stat().st_size > 50_000
    repo_build = Path(__file__).resolve().parents[1] / "build"
    repo_build.mkdir(exist_ok=True)
    shutil.copyfile(shot, repo_build / "dashboard-demo.png")


def test_readers_are_not_blocked_by_a_running_build(pipeline):
    """While dbt builds (holding the build database), `liangxin sql -c` and the dashboard render still work."""
    import subprocess
    import sys
    import time

    from liangxin.dashboard import render_dashboard
    from liangxin.defs.dbt import dbt_command_args, dbt_env, dbt_executable
    from liangxin.paths import DBT_PROJECT_DIR

    tmp = pipeline["tmp"]
    env = dbt_env()
    build = subprocess.Popen(
        [
            dbt_executable(),
            "build",
            *dbt_command_args(Settings.from_env(), tmp / "data" / "build.duckdb"),
            "--target-path",
            str(tmp / "dbt-target"),
            "--log-path",
            str(tmp / "dbt-logs"),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)  # dbt holds the build database by now
        assert build.poll() is None, "the build finished before the readers could run"
        cli = [sys.executable, "-m", "liangxin.cli", "sql", "-c", "select count(*) as n from marts.fct_indicators"]
        res = subprocess.run(
            cli,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LIANGXIN_SERVE_DUCKDB": str(tmp / "data" / "serve.duckdb")},
        )
        assert res.returncode == 0, res.stdout + res.stderr
        con = duckdb.connect(str(tmp / "data" / "serve.duckdb"), read_only=True)
        n = con.execute("select count(*) from marts.fct_indicators").fetchone()[0]
        con.close()
        assert f"│ {n} " in res.stdout, res.stdout
        out = render_dashboard(tmp / "data" / "serve.duckdb", tmp / "dash-during-build")
        assert out.exists() and out.stat().st_size > 1_000_000
        assert build.poll() is None, "the readers finished only after the build (not concurrent)"
    finally:
        build.wait(timeout=900)
    assert build.returncode == 0


def test_dbt_docs_generate_and_every_mart_column_is_described(pipeline):
    """`dbt docs generate` works on the built warehouse; every mart/annual model and each of its columns (as
    the catalog sees them) has a description, Chinese label included."""
    import json
    import re
    import subprocess

    from liangxin.defs.dbt import dbt_command_args, dbt_env, dbt_executable
    from liangxin.paths import DBT_PROJECT_DIR

    tmp = pipeline["tmp"]
    target = tmp / "docs-target"
    res = subprocess.run(
        [
            dbt_executable(),
            "docs",
            "generate",
            *dbt_command_args(Settings.from_env(), tmp / "data" / "build.duckdb"),
            "--target-path",
            str(target),
            "--log-path",
            str(tmp / "docs-logs"),
        ],
        env=dbt_env(),
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-3000:]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    han = re.compile(r"[\u4e00-\u9fff]")
    missing, models = [], 0
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["fqn"][1] not in ("marts", "annual"):
            continue
        models += 1
        if not han.search(node.get("description") or ""):
            missing.append(uid)
        documented = {c.lower(): (v.get("description") or "") for c, v in node["columns"].items()}
        for col in catalog["nodes"].get(uid, {}).get("columns", {}):
            if not han.search(documented.get(col.lower(), "")):
                missing.append(f"{uid}.{col}")
    assert models >= 15
    assert not missing, missing[:20]
