"""dbt build over the hand-made warehouse of tests/dbt_fixture.py; indicator values computed BY HAND.

Every expected number below is derived in the comments from the rows in dbt_fixture.py (never read back
from dbt).  A = 330199001001 (东湖街道 330199001, 7 communities in the register), B = 330199002001 (西溪街道
330199002, 7 communities); district 330199 has 60 communities.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

import dbt_fixture as fx

A, B = fx.A, fx.B
S1, S2, DIST = "330199001", "330199002", "330199"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt")
    db = work / "build.duckdb"
    fx.create_raw(db)
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    return db, work, proc


@pytest.fixture(scope="module")
def con(built):
    c = duckdb.connect(str(built[0]), read_only=True)
    yield c
    c.close()


def ind(con, iid, level, entity, period):
    rows = con.execute(
        "select numerator, denominator, value from marts.fct_indicators "
        "where indicator_id = ? and level = ? and entity_code = ? and period = ?",
        [iid, level, entity, period],
    ).fetchall()
    assert len(rows) <= 1
    return rows[0] if rows else None


def check(con, iid, level, entity, period, num, den=None):
    """Assert numerator, denominator and value (ratio = num/den, NULL when den = 0; count = num)."""
    row = ind(con, iid, level, entity, period)
    assert row is not None, (iid, level, entity, period)
    n, d, v = row
    assert n == num, (iid, level, entity, period, n, num)
    assert d == den, (iid, level, entity, period, d, den)
    if den is None:
        assert v == num
    elif den == 0:
        assert v is None
    else:  # exact decimal, rounded once (half up) at 10 places (D81): no float noise
        assert isinstance(v, Decimal), type(v)
        assert v == (Decimal(num) / Decimal(den)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP), (v, num, den)


def test_build_has_no_failures_or_warnings(built):
    _, work, proc = built
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert results, "run_results.json is empty"
    # exposures (models/exposures.yml) are listed with status no-op: dbt has nothing to run for them
    bad = [
        (r["unique_id"], r["status"], r.get("failures"))
        for r in results
        if not (r["unique_id"].startswith("exposure.") and r["status"] == "no-op")
        and (r["status"] not in ("success", "pass") or (r.get("failures") or 0) != 0)
    ]
    assert any(r["unique_id"].startswith("exposure.") for r in results)  # the serving contract's consumers
    assert not bad, bad
    n_tests = sum(1 for r in results if r["unique_id"].startswith("test."))
    assert n_tests > 100
    assert "[WARNING]" not in proc.stdout


def test_current_return_and_spine(con):
    # A 2020Q4: correction 1 wins over 0; rejected correction 2 ignored
    cur = dict(
        con.execute("select unit_code || period, submission_id from intermediate.int_current_submissions").fetchall()
    )
    assert cur == {
        A + "2020Q1": "A1",
        A + "2020Q2": "A2",
        A + "2020Q3": "A3",
        A + "2020Q4": "A4c1",
        B + "2020Q1": "B1",
        B + "2020Q2": "B2",
        B + "2020Q3": "B3",
        B + "2020Q4": "B4",
    }
    # the ingestion-time copy of the rule (warehouse.current_returns, on raw) picks the same files
    from liangxin import warehouse

    assert {u + p: v[0] for (u, p), v in warehouse.current_returns(con).items()} == cur
    # B's rejected 2021Q1 does not extend the spine
    periods = sorted(r[0] for r in con.execute("select period from marts.dim_period").fetchall())
    assert periods == ["2020", "2020Q1", "2020Q2", "2020Q3", "2020Q4"]
    assert con.execute("select count(*) from marts.fct_indicators where period = '2021Q1'").fetchone()[0] == 0


def test_coverage_q4(con):
    # A Q4: U = 9, B = 7 (a1 a2 a3 a4 a5 a9 a10), E = 5 (a1 a2 a3 a4 a10)
    # B Q4: U = B = 4, E = 3 (b1 b2 b4)
    for iid, a, b in [("N_U", 9, 4), ("N_B", 7, 4), ("N_E", 5, 3)]:
        check(con, iid, "community", A, "2020Q4", a)
        check(con, iid, "community", B, "2020Q4", b)
        check(con, iid, "district", DIST, "2020Q4", a + b)
    # K1 单建率: A a1 a10 / 7; B b1 b2 / 4; district 4/11
    check(con, "K1", "community", A, "2020Q4", 2, 7)
    check(con, "K1", "community", B, "2020Q4", 2, 4)
    check(con, "K1", "street", S1, "2020Q4", 2, 7)
    check(con, "K1", "street", S2, "2020Q4", 2, 4)
    check(con, "K1", "district", DIST, "2020Q4", 4, 11)
    # K2: A a1 a2 a9 a10 = 4/7; B b1 b2 b4 = 3/4
    check(con, "K2", "community", A, "2020Q4", 4, 7)
    check(con, "K2", "district", DIST, "2020Q4", 7, 11)
    # K3: A a1 a10 / 5; B b1 b2 / 3
    check(con, "K3", "community", A, "2020Q4", 2, 5)
    check(con, "K3", "street", S2, "2020Q4", 2, 3)
    check(con, "K3", "district", DIST, "2020Q4", 4, 8)
    # K3b: A a2 (joint) a3 (none) a4 (functional) = 3; B b4 (挂靠, joint) = 1
    check(con, "K3b", "community", A, "2020Q4", 3)
    check(con, "K3b", "district", DIST, "2020Q4", 4)
    check(con, "K3b_joint", "district", DIST, "2020Q4", 2)
    check(con, "K3b_functional", "district", DIST, "2020Q4", 1)
    check(con, "K3b_none", "district", DIST, "2020Q4", 1)
    # K4: A covered 4 + a4 functional + a3 youth league = 6/7 (a5 nothing); B 3/4 (b3 nothing)
    check(con, "K4", "community", A, "2020Q4", 6, 7)
    check(con, "K4", "district", DIST, "2020Q4", 9, 11)
    # K5: covered B-units with instructor/first secretary: A a2 a9 of 4; B none of 3
    check(con, "K5", "district", DIST, "2020Q4", 2, 7)


def test_coverage_q3_and_year(con):
    # Q3: A a1 a2 a3 a5 -> K1 1/4; B b1 b2 b3 -> K1 2/3; district 3/7
    check(con, "K1", "community", A, "2020Q3", 1, 4)
    check(con, "K1", "district", DIST, "2020Q3", 3, 7)
    check(con, "K3", "district", DIST, "2020Q3", 3, 5)
    # year value (year_rule Q4) = Q4 value
    check(con, "K1", "district", DIST, "2020", 4, 11)


def test_membership(con):
    # M (Q4): A 6 + 6 + 8 = 20 (PO-AF functional excluded), B 3 + 9 = 12
    check(con, "M", "community", A, "2020Q4", 20)
    check(con, "M", "street", S1, "2020Q4", 20)
    check(con, "M", "district", DIST, "2020Q4", 32)
    check(con, "M", "district", DIST, "2020Q3", 13 + 11)
    # K7a: Q3 A 1, B 0; Q4 A 1, B 1; year = sum = 3
    check(con, "K7a", "district", DIST, "2020Q4", 2)
    check(con, "K7a", "district", DIST, "2020", 3)
    check(con, "K7", "community", A, "2020Q4", 4)  # 1 + 1 + 1 + 1
    check(con, "K7", "community", A, "2020", 5)
    # K7q: ytd K7a / quota (A 2020: 2, B 2020: 3)
    check(con, "K7q", "community", A, "2020Q3", 1, 2)
    check(con, "K7q", "community", A, "2020Q4", 2, 2)
    check(con, "K7q", "community", B, "2020Q4", 1, 3)
    check(con, "K7q", "district", DIST, "2020Q4", 3, 5)
    check(con, "K7q", "district", DIST, "2020", 3, 5)
    # K8 (Q4): A 20 - 13 = 7; B 12 - 11 = 1; K8r = / opening
    check(con, "K8", "community", A, "2020Q4", 7)
    check(con, "K8", "district", DIST, "2020Q4", 8)
    check(con, "K8r", "district", DIST, "2020Q4", 8, 24)
    # yearly span: Σ Q4 期末实有数 − Σ Q1 期初党员数: A 20 - 4 = 16, B 12 - 11 = 1
    check(con, "K8", "community", A, "2020", 16)
    check(con, "K8", "district", DIST, "2020", 17)
    check(con, "K8r", "district", DIST, "2020", 17, 15)


def test_training(con):
    # secretaries 2020: A {S1..S5}, B {S6, S1}; K9-trained {S1, S5 (A T-D1), S4 (B's T-D1)} anywhere in district
    check(con, "K9", "community", A, "2020", 3, 5)
    check(con, "K9", "community", B, "2020", 1, 2)
    check(con, "K9", "street", S2, "2020", 1, 2)
    check(con, "K9", "district", DIST, "2020", 3, 6)  # distinct persons: 6, not 7
    # K9b (revision 2): attended AS 书记 a 任职/集中培训 run at 区级/街道/社区党总支: S1, S5 (T-D1 in A's Q3),
    # S4 (T-D1 in B's Q4).  S3 attended a community 党务干部培训 (wrong type), S6 T-D2 as 党员 (wrong role).
    check(con, "K9b", "community", A, "2020", 3, 5)
    check(con, "K9b", "district", DIST, "2020", 3, 6)
    # K10: A organised (主办单位 = its register name) a cadre + an investor class; B none; register denominators
    check(con, "K10", "community", A, "2020", 1, 1)
    check(con, "K10", "community", B, "2020", 0, 1)
    check(con, "K10", "street", S1, "2020", 1, 7)
    check(con, "K10", "district", DIST, "2020", 1, 60)
    # K11: enterprises of B with investor trained: A a1 a10 of 6; B 0 of 2
    check(con, "K11", "district", DIST, "2020", 2, 8)
    # K12: distinct district-level events: A {T-D1}, B {T-D1, T-D2}, district 2
    check(con, "K12", "community", A, "2020", 1)
    check(con, "K12", "community", B, "2020", 2)
    check(con, "K12", "district", DIST, "2020", 2)
    assert ind(con, "K9", "district", DIST, "2020Q4") is None  # yearly only


def test_org_life_funds_mobile_reporting(con):
    # K13 Q4: A whole-quarter PO-A1 PO-AF PO-A10 (PO-AJ est 11-15), study: PO-A1 PO-AF -> 2/3; B 2/2
    check(con, "K13", "community", A, "2020Q4", 2, 3)
    check(con, "K13", "district", DIST, "2020Q4", 4, 5)
    # K15 Q3: A PO-A1 pass, PO-AF fail (PO-A10 not whole); B PO-B1 pass, PO-B2 fail
    check(con, "K15", "district", DIST, "2020Q3", 2, 4)
    # K15y: A PO-A1 only of 3; B PO-B1 only of 2
    check(con, "K15y", "community", A, "2020", 1, 3)
    check(con, "K15y", "district", DIST, "2020", 2, 5)
    # K16 / K16m (Q4): A 2 of 4, items 6+3+0+6 = 15; B 1 of 2, items 6+5 = 11
    check(con, "K16", "district", DIST, "2020", 3, 6)
    check(con, "K16m", "community", A, "2020", 15, 4)
    check(con, "K16m", "district", DIST, "2020", 26, 6)
    # K17: a1 0.5% (ok), a10 2.0% (ok, flagged), a11 3.0% (not ok); B has none -> NULL
    check(con, "K17", "community", A, "2020", 2, 3)
    check(con, "K17", "community", B, "2020", 0, 0)
    check(con, "K17f", "district", DIST, "2020", 1)
    # K18 (stock, 在流动 rows only): inflow A 2 (1 verified, 1 hosted), B 1 (verified, not hosted);
    # outflow A: M3 在流动 (cert) counts, M4 已返回 does not -> 1 / 1; B none
    check(con, "K18", "district", DIST, "2020Q4", 2, 3)
    check(con, "K18b", "district", DIST, "2020Q4", 1, 3)
    check(con, "K18c_out", "community", B, "2020Q4", 0, 0)
    check(con, "K18c_out", "district", DIST, "2020Q4", 1, 1)
    check(con, "K18e", "district", DIST, "2020Q4", 0)
    # K19: A inspected 6 (a3 未检), 合格 4; B 4 of 4
    check(con, "K19", "district", DIST, "2020", 8, 10)
    # K20 on the FIRST accepted receipt: A Q3 on time; A Q4 original received 2021-01-05 09:00 UTC = 17:00 in
    # Shanghai <= 01-15: on time, and the late correction (01-20) does not change it; B Q3 late, Q4 on time
    check(con, "K20", "community", A, "2020Q4", 1, 1)
    check(con, "K20", "street", S1, "2020Q3", 1, 7)
    check(con, "K20", "district", DIST, "2020Q4", 2, 60)
    check(con, "K20", "community", "330199001002", "2020Q4", 0, 1)  # no return at all


def test_yearly_only_for_complete_years(con):
    # 2020Q1-Q4 loaded: one yearly period; Q1/Q2 returns are on time -> K20 2/2 for A over the two quarters
    assert con.execute(
        "select count(distinct period) from marts.fct_indicators where period_type = 'year'"
    ).fetchone() == (1,)
    check(con, "K20", "community", A, "2020Q1", 1, 1)
    check(con, "K20", "district", DIST, "2020Q2", 2, 60)


def test_no_value_without_return(con):
    # D7: a community without a return has only K20
    ids = {
        r[0]
        for r in con.execute(
            "select distinct indicator_id from marts.fct_indicators where entity_code = '330199001002'"
        ).fetchall()
    }
    assert ids == {"K20"}


def test_bulletin_and_worklist(con):
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select unit_code, k1, k1_change, k3b, k3b_change, k1_rank from marts.kpi_bulletin where period = '2020Q4'"
        ).fetchall()
    }
    assert len(rows) == 60
    k1, ch, k3b, k3bch, rank = rows[B]
    # exact decimals rounded once at 10 places (D81): 1/2 - 2/3 = 0.5 - 0.6666666667
    assert k1 == Decimal("0.5") and ch == Decimal("-0.1666666667") and k3b == 1 and k3bch == 1 and rank == 1
    k1, ch, k3b, k3bch, rank = rows[A]
    # 2/7 = 0.2857142857; 1/4 = 0.25
    assert k1 == Decimal("0.2857142857") and ch == Decimal("0.0357142857") and k3bch == 1 and rank == 2
    assert rows["330199001002"] == (None, None, None, None, None)
    wl = sorted(
        con.execute(
            "select unit_code, org_name, members_formal, split_category from marts.kpi_worklist_should_form "
            "where period = '2020Q4'"
        ).fetchall()
    )
    assert wl == sorted(
        [(A, "a2", 4, "联合中应单建"), (A, "a3", 3, "未建立"), (A, "a4", 4, "功能型"), (B, "b4", 3, "联合中应单建")]
    )


def test_unit_status_split(con):
    status = dict(
        con.execute(
            "select org_name, status from intermediate.int_unit_status where period = '2020Q4' and unit_code = ?", [A]
        ).fetchall()
    )
    assert status["a3"] == "NONE_SHOULD" and status["a5"] == "NONE_FEW" and status["a6"] == "NONE_ZERO"
    assert status["a1"] == "STANDALONE" and status["a9"] == "AFFILIATED" and status["a4"] == "FUNCTIONAL"


def test_annual_tables(con):
    # 表一 district 2020: non-functional flows: developed A 1+1, B 1 = 3; transferred_in A 8 + 1 + 6 = 15;
    # exited A 1; 上年底总数 = Q1 opening A 4 + B 11 = 15; 应有 = 15 + 18 - 1 = 32; 实有 = Q4 M = 32
    t1 = con.execute(
        "select increase_total, developed, transferred_in, decrease_total, year_end_should, year_end_actual, "
        "actual_minus_should from annual.rpt_annual_t1 where year = 2020 and level = 'district'"
    ).fetchone()
    assert t1 == (18, 3, 15, 1, 32, 32, 0)
    # 社会组织 row: PO-B1 (its only unit b1 is a 民非) closes Q4 at 3
    assert con.execute(
        "select year_end_actual from annual.rpt_annual_t1 "
        "where year = 2020 and level = 'category' and entity_code = 'social'"
    ).fetchone() == (3,)
    # 表二 district (revision 2: population = enterprises of U, column 其中：列入党建基数的 = B).
    # 党建基数 column: enterprises of B = a1 a2 a3 a5 a9 a10 b2 b4
    t2 = dict(
        con.execute(
            "select line_code, in_base from annual.rpt_annual_t2 where year = 2020 and level = 'district'"
        ).fetchall()
    )
    assert (
        t2["units"],
        t2["instructor"],
        t2["formed_alone"],
        t2["alone_committee"],
        t2["alone_general"],
        t2["alone_branch"],
    ) == (8, 1, 3, 0, 1, 2)
    # 已建立联合党组织的（含挂靠）: a2 (联合建立) a9 b4 (挂靠); 联合党组织数 = joint-mode organizations covering an
    # enterprise: PO-AJ (联合组建) only (PO-A1, PO-B2 are 单独组建)
    assert (t2["formed_joint"], t2["joint_3plus"], t2["joint_orgs"]) == (3, 2, 1)
    assert (t2["not_formed"], t2["none_should"], t2["none_few"], t2["none_zero"]) == (2, 1, 1, 0)
    assert (t2["employees"], t2["members"]) == (228, 30)
    # 总数 column (U): adds a6 (30 employees, no premises, 未建立, no member) and a11 (9 employees, 单独建立 in PO-A10
    # 党支部, 1 formal): units 10, 单独 4 (支部 3), 未建立 3 (没有党员 a6), employees 228 + 30 + 9, members 30 + 1
    u = dict(
        con.execute(
            "select line_code, total from annual.rpt_annual_t2 where year = 2020 and level = 'district'"
        ).fetchall()
    )
    assert (
        u["units"],
        u["formed_alone"],
        u["alone_branch"],
        u["not_formed"],
        u["none_zero"],
        u["employees"],
        u["members"],
    ) == (10, 4, 3, 3, 1, 267, 31)
    # 表三 district: a4 (社会团体, functional only), b1 (民非, 单独), b3 (律所, none)
    t3 = {
        r[0]: r[1:]
        for r in con.execute(
            "select line_code, total, social_group, private_non_enterprise, law_firm from annual.rpt_annual_t3 "
            "where year = 2020 and level = 'district'"
        ).fetchall()
    }
    assert t3["units"] == (3, 1, 1, 1)
    assert t3["not_formed"] == (2, 1, 0, 1) and t3["none_functional"] == (1, 1, 0, 0)
    assert t3["none_should"] == (1, 1, 0, 0) and t3["none_zero"] == (1, 0, 0, 1)
    # 表七 district (在流动 rows): inflow 3 (2 verified, 1 hosted, 2 certificate), outflow 1 (M3, certificate);
    # M4 (已返回) is 本年返回或转接关系的
    assert con.execute(
        "select inflow_total, inflow_verified, inflow_hosted, inflow_certificate, outflow_total, "
        "outflow_certificate, returned_or_transferred from annual.rpt_annual_t7 "
        "where year = 2020 and level = 'district'"
    ).fetchone() == (3, 2, 1, 2, 1, 1, 1)
    # audit: every A-rule on the tables passes; A0 fails (2 of the 60 communities reported: 58 × 4 missing); the P4
    # warning on A's current Q4 return is counted, the rejected F4 is not
    audit = {
        (r[0], r[1]): (r[2], r[3])
        for r in con.execute(
            "select kind, rule_id, hit_count, passed from annual.rpt_audit where year = 2020"
        ).fetchall()
    }
    for rule in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9"):
        assert audit[("annual_rule", rule)] == (0, True), rule
    assert audit[("annual_rule", "A0")] == (232, False)
    assert audit[("warning_hits", "P4")] == (1, None)
    assert ("warning_hits", "F4") not in audit


def test_a_broken_rollup_fails_exactly_the_roll_up_rule(built):
    """A community row of 表一 altered consistently (A2 still holds for it) breaks only A1 (district = Σ communities):
    the rule mart records it as data and the verdict says 不得上报 with the A1 reason; nothing stops."""
    import os
    import shutil
    import subprocess

    db, work, _ = built
    tampered = work / "tampered.duckdb"
    shutil.copyfile(db, tampered)
    c = duckdb.connect(str(tampered))
    changed = c.execute(
        """update annual.rpt_annual_t1
           set developed = developed + 1, increase_total = increase_total + 1,
               year_end_should = year_end_should + 1, actual_minus_should = actual_minus_should - 1
           where level = 'community' and entity_code = ? and year = 2020""",
        [A],
    ).fetchone()
    c.close()
    assert changed is None or changed[0] == 1
    env = dict(os.environ, LIANGXIN_DUCKDB=str(tampered), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run(
        [
            fx.dbt_executable(),
            "run",
            "--select",
            "rpt_annual_rule_results",
            "--project-dir",
            str(fx.DBT_PROJECT),
            "--profiles-dir",
            str(fx.DBT_PROJECT),
            "--target-path",
            str(work / "target-tampered"),
            "--log-path",
            str(work / "logs-tampered"),
        ],
        env=env,
        cwd=str(fx.DBT_PROJECT),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    c = duckdb.connect(str(tampered), read_only=True)
    try:
        passed = dict(
            c.execute("select rule_id, passed from annual.rpt_annual_rule_results where year = 2020").fetchall()
        )
        verdict, reasons = c.execute(
            "select verdict, reasons from annual.rpt_annual_verdict where year = 2020"
        ).fetchone()
    finally:
        c.close()
    assert {r for r, ok in passed.items() if not ok} == {"A0", "A1", "A10"}, passed
    # 4 altered cells (发展党员, 本年增加合计, 应有数, 差) differ at the district and at 东湖街道: 8 hits
    # (the district's 表一 is summed from the organizations' rows, so only the communities' sum moved: 2 → 3 at 东湖街道)
    assert verdict == "不得上报" and "A1 不通过：" in reasons and "，等 8 处" in reasons, reasons
    assert "表一（东湖街道）「本年增加发展党员」本级 2 ≠ 所属社区之和 3" in reasons
