"""Every defect of the generator's catalogue, through the real ingest path into a warehouse holding other returns.

For each defect the manifest (written by the generator, independently of the validator) names the file, sheet,
row, column and the rule it must trigger.  Here we ingest the whole folder and read the *report the submitter
receives* (the outbox .xlsx): the rule id, severity, sheet, row and column must be in it; for an error the
submission must be rejected with nothing of it in the raw tables, while every clean submission is loaded.
"""

from collections import defaultdict

import duckdb
import openpyxl
import pytest

from liangxin.generator import apply_defects, build_world, write_world
from liangxin.ingest import ingest_paths
from liangxin.settings import Settings
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED

DATA_TABLES = ("organizations", "party_orgs", "member_flows", "trainings", "attendance", "mobile_members")


def _report_rows(path):
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r and "规则编号" in r)
    cols = rows[head]
    return [dict(zip(cols, r)) for r in rows[head + 1 :] if r and r[cols.index("规则编号")]]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defects")
    world = build_world("district", "2020Q4", "2021Q1", seed=7, communities=24)  # LX-Q-2020.1 and 2021.1 returns
    out = tmp / "returns"
    write_world(world, out, fmt="xlsx", progress=False)
    manifest = apply_defects(world, out, "all", seed=3)
    db, archive, outbox = tmp / "build.duckdb", tmp / "archive", tmp / "outbox"
    outcomes = ingest_paths(
        [out], settings=Settings.from_env(), db_path=db, archive_dir=archive, outbox_dir=outbox, progress=False
    )
    return {"manifest": manifest, "outcomes": outcomes, "db": db, "out": out}


def test_the_manifest_covers_every_defect_of_the_catalogue(ingested):
    from liangxin.generator import DEFECTS

    assert {e["defect"] for e in ingested["manifest"]} == set(DEFECTS)


def test_each_defect_is_reported_with_its_rule_sheet_row_and_column(ingested):
    by_name = {o.path.name: o for o in ingested["outcomes"]}
    entries = defaultdict(list)
    for e in ingested["manifest"]:
        entries[e["file"].split("/")[-1]].append(e)
    checked = checked_cells = 0
    for name, es in entries.items():
        outcome = by_name[name]
        assert outcome.outcome != "failed", (name, outcome.internal_error)
        report = _report_rows(outcome.reports[0])
        for e in es:
            if not e["expected_rule"]:  # an accepted spelling variant
                assert outcome.outcome in (ACCEPTED, ACCEPTED_WITH_WARNINGS), (e, outcome.first_errors)
                continue
            sev = {"E": "错误", "W": "警告"}
            # P1 is an error only when the previous quarter's return was accepted (audit-rules.md)
            allowed = {sev[e["expected_severity"]]} | ({"警告"} if e["expected_rule"] == "P1" else set())
            hits = [r for r in report if r["规则编号"] == e["expected_rule"] and r["严重程度"] in allowed]
            assert hits, (e["defect"], name, [(r["规则编号"], r["工作表"], r["行"], r["列"]) for r in report][:10])
            checked += 1
            if e["expected_rule"].startswith("X"):
                continue  # a cross-sheet rule may be reported on the other sheet of the pair (X2: 表3 vs 表2)
            checked_cells += 1
            if e.get("sheet"):
                hits = [r for r in hits if r["工作表"] in (e["sheet"], None)]
                assert hits, (e["defect"], "sheet", e["sheet"])
            p1_unchecked = e["expected_rule"] == "P1" and all(r["严重程度"] == "警告" for r in hits)
            if e.get("row") and e["expected_rule"] not in ("F2", "F7") and not p1_unchecked:
                # (P1 as a warning - the previous quarter's file carries a defect - is one sheet-level hit)
                # single-cell rules name the very cell; a cross-field rule (R11: a changed 恢复党籍 breaks the
                # balance reported at 期末应有数) names the row it concerns
                cell_rule = e["expected_rule"] in ("F3", "F4", "I1", "I2")
                assert any(str(r["行"]) == str(e["row"]) and (not cell_rule or r["列"] == e["column"]) for r in hits), (
                    e["defect"],
                    e["row"],
                    e["column"],
                    [(r["行"], r["列"]) for r in hits],
                )
    assert checked >= 28 and checked_cells >= 20
    print(f"\n{checked} defects found in their reports with rule and severity; {checked_cells} at their sheet/row")


def test_rejected_submissions_leave_nothing_and_the_others_are_loaded(ingested):
    outcomes = ingested["outcomes"]
    con = duckdb.connect(str(ingested["db"]), read_only=True)
    try:
        rows_by_sub = defaultdict(int)
        for t in DATA_TABLES:
            for sid, n in con.execute(f"select submission_id, count(*) from raw.{t} group by 1").fetchall():
                rows_by_sub[sid] += n
        recorded = dict(con.execute("select submission_id, outcome from raw.submissions").fetchall())
    finally:
        con.close()
    error_files = {
        e["file"].split("/")[-1]
        for e in ingested["manifest"]
        if e["expected_rule"] and e["expected_severity"] == "E" and e["expected_rule"] != "P1"
    }
    rejected = [o for o in outcomes if o.outcome == REJECTED]
    assert error_files <= {o.path.name for o in rejected}
    for o in rejected:
        assert recorded.get(o.sha256) == REJECTED  # the receipt is kept …
        assert rows_by_sub.get(o.sha256, 0) == 0  # … but no data row of it
    loaded = [o for o in outcomes if o.outcome in (ACCEPTED, ACCEPTED_WITH_WARNINGS)]
    assert len(loaded) + len(rejected) == len(outcomes)
    assert len(loaded) >= 48 - len(error_files) - 2  # every clean file (a P1 follow-on may add one or two)
    for o in loaded:
        assert rows_by_sub[o.sha256] == sum(n for t, n in o.rows.items() if t in DATA_TABLES) > 0
