"""The annual marts of revision 2 on a hand-made district (tests/annual_fixture.py, extras in 金桥社区 = SPECIAL):
expected cells derived by hand from annual-return.md (arithmetic in the comments), A6–A9 as independent
cross-checks, a year with 2 of 60 communities, a partial year, and no threshold as a literal.

World: 2019 — only C0 (金桥, SPECIAL) and C1 (银杏) report, all four quarters (3 members each all year);
2020 — all 60 communities, 3 members each, plus SPECIAL's extras (annual_fixture.EXTRA_DOC); 2021 — Q1 only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import duckdb
import pytest

import annual_fixture as af
import dbt_fixture as fx

C0, C1 = af.COMMUNITIES[0], af.COMMUNITIES[1]
DIST = "330199"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("yearly")
    db = work / "build.duckdb"
    subs, data = af.world(extras=True, only={2019: [C0, C1]})
    af.write(db, subs, data)
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return db, work


@pytest.fixture(scope="module")
def con(built):
    c = duckdb.connect(str(built[0]), read_only=True)
    yield c
    c.close()


def _cells(con, year, table_no):
    return {
        (r[0], r[1], r[2]): (r[3], r[4])
        for r in con.execute(
            "select row_label, col_group, col_label, value, missing from annual.rpt_annual_cells "
            "where year = ? and table_no = ?",
            [year, table_no],
        ).fetchall()
    }


def test_two_of_sixty_communities_is_not_complete(con):
    verdict, reasons, ok, n = con.execute(
        "select verdict, reasons, communities_complete, communities_expected "
        "from annual.rpt_annual_verdict where year = 2019"
    ).fetchone()
    # 58 communities × 4 quarters missing; coverage 2 of 60
    assert (verdict, ok, n) == ("不得上报", 2, 60)
    assert reasons.startswith(
        "58 个社区缺少 2019Q1 报表；58 个社区缺少 2019Q2 报表；58 个社区缺少 2019Q3 报表；58 个社区缺少 2019Q4 报表"
    )
    assert con.execute("select count(*) from annual.rpt_annual_missing where year = 2019").fetchone()[0] == 232
    # the tables are produced: 总计 = 2 × 3 = 6; a community that did not report has empty (缺报) cells, never 0
    t1 = _cells(con, 2019, 1)
    assert t1[("总计", "", "本年底实有数")] == (6.0, False)
    assert t1[("枫林社区党总支", "", "本年底实有数")] == (None, True)
    assert t1[("枫林社区党总支", "本年增加", "发展党员")] == (None, True)
    t2 = _cells(con, 2019, 2)
    assert t2[("枫林社区党总支：单位数", "", "总数")] == (None, True)
    assert t2[("单位数", "", "总数")] == (2.0, False)


def test_2020_is_complete_and_every_rule_passes(con):
    verdict, reasons, ok, n = con.execute(
        "select verdict, reasons, communities_complete, communities_expected "
        "from annual.rpt_annual_verdict where year = 2020"
    ).fetchone()
    assert (verdict, reasons, ok, n) == ("可以上报", None, 60, 60)
    rules = dict(con.execute("select rule_id, passed from annual.rpt_annual_rule_results where year = 2020").fetchall())
    assert rules == {f"A{i}": True for i in range(11)}


def test_table_one_category_is_fixed_for_the_year(con):
    t1 = _cells(con, 2020, 1)
    # PO-MIX covers M1 (enterprise) in Q1–Q3 and M1, S1, S2 (2 social) in Q4 → 社会组织 all year:
    # 上年底总数 0 (Q1 opening), 转入 3 (Q1), 发展 1 (Q2), 本年增加 4, 本年底实有数 4
    assert [
        t1[("社会组织", g, c)][0]
        for g, c in [
            ("", "上年底总数"),
            ("本年增加", "转入组织关系"),
            ("本年增加", "发展党员"),
            ("本年增加", "合计"),
            ("", "本年底实有数"),
        ]
    ] == [0, 3, 1, 4, 4]
    # 非公有制企业: 60 branches 180 → 180, PO-JNT (tie J1/J2 → enterprise) 0 + 2, PO-NEW 0 + 3: 180, 转入 5, 实有 185
    assert [
        t1[("非公有制企业", g, c)][0]
        for g, c in [("", "上年底总数"), ("本年增加", "转入组织关系"), ("", "本年底实有数")]
    ] == [180, 5, 185]
    # 总计 = both rows: 180 + 0, 转入 8, 发展 1, 应有 = 180 + 9 = 189 = 实有 4 + 185; 差 0
    assert [
        t1[("总计", g, c)][0]
        for g, c in [
            ("", "上年底总数"),
            ("本年增加", "合计"),
            ("", "本年底应有数"),
            ("", "本年底实有数"),
            ("", "实有数与应有数之差"),
        ]
    ] == [180, 9, 189, 189, 0]


def test_joint_branch_in_tables_two_three_and_nine(con):
    t2, t3, t9 = _cells(con, 2020, 2), _cells(con, 2020, 3), _cells(con, 2020, 9)
    # PO-JNT (联合组建) covers J1 (enterprise, 8 employees: U not B) and J2 (社会团体: B):
    # 表二 联合党组织数 总数 1, 党建基数 0; 表三 联合党组织数 1 (社会团体 column 1)
    assert (t2[("联合党组织数", "", "总数")][0], t2[("联合党组织数", "", "其中：列入党建基数的")][0]) == (1, 0)
    assert (t3[("联合党组织数", "", "总数")][0], t3[("联合党组织数", "", "社会团体")][0]) == (1, 1)
    # 表九 counts it once: 联合党组织 1, covering both kinds 1; A8: 1 + 1 − 1 = 1
    assert [
        t9[("联合党组织", "", c)][0] for c in ("总数", "覆盖非公有制企业的", "覆盖社会组织的", "其中同时覆盖两类的")
    ] == [1, 1, 1, 1]
    # 表九 总计: 60 + PO-MIX + PO-JNT + PO-NEW = 63 organizations; 党支部 62 (60 + MIX + NEW); 正式党员
    # 180 + 4 + 2 + 3 = 189; 本年新成立的 PO-JNT (2020-01-01) and PO-NEW (2020-11-01) = 2
    assert [t9[("总计", "", c)][0] for c in ("总数", "正式党员", "本年新成立的")] == [63, 189, 2]
    assert t9[("党支部", "", "总数")][0] == 62
    # 表二 总数 column (U): 60 E + M1 + J1 + N1 = 63 units, 党建基数 62 (J1 has 8 employees); 已单独建立 62;
    # 已建立联合党组织的（含挂靠） 1 (J1); 表三: S1, S2 (挂靠 PO-MIX) and J2 (联合建立) = 3, all 已建立联合党组织的（含挂靠）
    assert [t2[(r, "", "总数")][0] for r in ("单位数", "已单独建立党组织", "已建立联合党组织的（含挂靠）")] == [
        63,
        62,
        1,
    ]
    assert t2[("单位数", "", "其中：列入党建基数的")][0] == 62
    assert [t3[(r, "", "总数")][0] for r in ("单位数", "已建立联合党组织的（含挂靠）")] == [3, 3]


def test_table_six_does_not_pass_vacuously(con):
    t6 = _cells(con, 2020, 6)
    # 63 organizations in Q4; PO-NEW (established 2020-11-01) never existed for a whole quarter → not counted;
    # the other 62 studied in every whole quarter
    assert (t6[("总计", "", "党组织数")][0], t6[("总计", "", "每季度学习达标的")][0]) == (63, 62)


def test_partial_year_is_produced_with_missing_stock_cells(con):
    verdict, status = con.execute("select verdict, status from annual.rpt_annual_verdict where year = 2021").fetchone()
    assert (verdict, status) == ("不得上报", "草稿")
    t1 = _cells(con, 2021, 1)
    # Q1 opening known (60 × 3 = 180); no Q4: 本年底实有数 缺报; flows need all four quarters: 缺报
    assert t1[("总计", "", "上年底总数")] == (180.0, False)
    assert t1[("总计", "", "本年底实有数")] == (None, True)
    assert t1[("总计", "本年增加", "发展党员")] == (None, True)
    assert _cells(con, 2021, 2)[("单位数", "", "总数")] == (None, True)


def test_thresholds_come_from_the_seeds_not_literals(con):
    # the labels are built from the seeds (annual_parameters: 50, 100; kpi_parameters eligible_min_formal_members: 3)
    labels = {
        r[0]
        for r in con.execute("select distinct col_label from annual.rpt_annual_cells where table_no = 2").fetchall()
    }
    assert {"从业人员50人以上", "从业人员100人以上"} <= labels
    rows = {r[0] for r in con.execute("select distinct line_label from annual.rpt_annual_t2").fetchall()}
    assert "其中具有3名以上正式党员的" in rows
    # and the SQL of 表二/表三 holds no threshold literal
    root = fx.DBT_PROJECT
    for f in (
        "models/annual/rpt_annual_t2.sql",
        "models/annual/rpt_annual_t3.sql",
        "macros/formation_table.sql",
        "models/annual/ann_units.sql",
        "models/annual/rpt_annual_t8.sql",
    ):
        sql = (root / f).read_text(encoding="utf-8")
        code = "\n".join(line.split("--")[0] for line in sql.splitlines())
        assert not re.search(r"(>=|>|<=|<)\s*(3|10|50|100|0\.005|0\.01|0\.02)\b", code), f


def test_cross_checks_a6_to_a9_catch_a_table_that_disagrees_with_its_independent_source(built):
    """Each of 表一, 表二, 表九, 表八 is altered at district level in a copy; the rule mart (re-run alone) reports the
    independent cross-check: A6 (表2 members), A7 (K1 numerator), A8 (表二 + 表三 − both), A9 (K17)."""
    db, work = built
    tampered = work / "tampered.duckdb"
    shutil.copyfile(db, tampered)
    c = duckdb.connect(str(tampered))
    c.execute(
        "update annual.rpt_annual_t1 set year_end_actual = year_end_actual + 1 where year = 2020 and level = 'district'"
    )
    c.execute(
        "update annual.rpt_annual_t2 set in_base = in_base + 1 "
        "where year = 2020 and level = 'district' and line_code = 'formed_alone'"
    )
    c.execute(
        "update annual.rpt_annual_t9 set total = total + 1 "
        "where year = 2020 and level = 'district' and line_code = 'joint'"
    )
    c.execute("update annual.rpt_annual_t8 set compliant = compliant + 1 where year = 2020 and level = 'district'")
    c.close()
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
            str(work / "target-t"),
            "--log-path",
            str(work / "logs-t"),
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
        rr = {
            r[0]: (r[1], r[2])
            for r in c.execute(
                "select rule_id, passed, detail from annual.rpt_annual_rule_results where year = 2020"
            ).fetchall()
        }
        verdict = c.execute("select verdict from annual.rpt_annual_verdict where year = 2020").fetchone()[0]
    finally:
        c.close()
    # A6: 总计 本年底实有数 190 vs 第四季度表2 members 180 + 4 + 2 + 3 = 189
    assert rr["A6"] == (False, "A6 不通过：总计：本年底实有数 190，第四季度表2党员数 189")
    # A7: 党建基数列已单独建立 63 + 0 vs K1 numerator 62 (60 E + M1 + N1)
    assert rr["A7"][0] is False and "党建基数列已单独建立之和 63 ≠ K1 分子 62" in rr["A7"][1]
    # A8: 1 + 1 − 1 ≠ 2
    assert rr["A8"] == (False, "A8 不通过：表二联合党组织数 1 + 表三 1 − 表九同时覆盖两类的 1 ≠ 表九联合党组织总数 2")
    # A9: 表八 1/0 vs K17 0/0 (no payroll in the district)
    assert rr["A9"] == (False, "A9 不通过：总计：表八 1/0 ≠ K17 0/0")
    assert verdict == "不得上报"
