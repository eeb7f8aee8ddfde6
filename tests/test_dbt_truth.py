"""dbt vs the independent Python oracle (liangxin.truth) on the generated district (60 communities, 2019Q1–2020Q4).

The world is loaded straight into raw.* (tests/dbt_fixture.load_world), dbt builds, and every indicator record
of ``compute_truth`` must appear in marts.fct_indicators with the same numerator, denominator and value — and
no other record may exist.  Also 表一/表二 of the annual return against tests/annual_truth.py (revision 2).
"""

from __future__ import annotations

import duckdb
import pytest

import dbt_fixture as fx

pytestmark = pytest.mark.slow
pytest.importorskip("liangxin.generator")
from liangxin import truth  # noqa: E402

T1_MAP = {
    "上年底总数": "prev_year_end_total",
    "本年增加合计": "increase_total",
    "发展党员": "developed",
    "恢复党籍": "restored",
    "转入组织关系": "transferred_in",
    "其中整建制转入": "in_whole_unit",
    "本年减少合计": "decrease_total",
    "出党": "exited",
    "停止党籍": "suspended",
    "死亡": "deceased",
    "转出组织关系": "transferred_out",
    "其中整建制转出": "out_whole_unit",
    "本年底应有数": "year_end_should",
    "本年底实有数": "year_end_actual",
    "实有数与应有数之差": "actual_minus_should",
}
T2_COLS = dict(
    zip(
        truth.T2_COLUMNS,
        [
            "total",
            "employees_50_plus",
            "employees_100_plus",
            "legal_rep_member",
            "legal_rep_secretary",
            "private_control",
            "hk_macao_taiwan_control",
            "foreign_control",
        ],
    )
)


@pytest.fixture(scope="module")
def world_db(tmp_path_factory, make_world):
    world = make_world(start="2019Q1", end="2020Q4")  # shared with test_annual_workbook
    work = tmp_path_factory.mktemp("dbt_truth")
    db = work / "build.duckdb"
    fx.load_world(db, world)
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    yield world, con
    con.close()


def test_every_indicator_matches_truth(world_db):
    world, con = world_db
    expected = {(r["indicator_id"], r["level"], r["entity_code"], r["period"]): r for r in truth.compute_truth(world)}
    got = {
        (r[0], r[1], r[2], r[3]): r[4:]
        for r in con.execute(
            "select indicator_id, level, entity_code, period, numerator, denominator, value, null_reason "
            "from marts.fct_indicators"
        ).fetchall()
    }
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing, missing[:20]
    assert not extra, extra[:20]
    bad = []
    for key, e in expected.items():
        # exact: values are decimals rounded once at 10 places on both sides (D81); null_reason too (D83)
        exp = (e["numerator"], e["denominator"], e["value"], e["null_reason"])
        if got[key] != exp:
            bad.append((key, got[key], exp))
    assert not bad, f"{len(bad)} mismatches, e.g. {bad[:10]}"


T2_V2 = {
    "总数": "total",
    "其中：列入党建基数的": "in_base",
    "从业人员50人以上": "employees_50_plus",
    "从业人员100人以上": "employees_100_plus",
    "法定代表人是党员的": "legal_rep_member",
    "其中兼任企业党组织书记的": "legal_rep_secretary",
    "私有经济控制": "private_control",
    "港澳台商经济控制": "hk_macao_taiwan_control",
    "外商经济控制": "foreign_control",
}


@pytest.mark.parametrize("year", [2019, 2020])
def test_annual_t1_t2_match_truth(world_db, year):
    """表一/表二 of revision 2 (annual-return.md) against tests/annual_truth.py (annual-dbt's oracle of the tables)."""
    import annual_truth

    world, con = world_db
    exp1 = annual_truth.table_one(world, year)
    cat = {"enterprise": "非公有制企业", "social": "社会组织"}
    got1 = {}
    for r in con.execute(
        f"select level, entity_code, {', '.join(T1_MAP.values())} from annual.rpt_annual_t1 where year = ?", [year]
    ).fetchall():
        key = "总计" if r[0] == "district" else cat[r[1]] if r[0] == "category" else r[1]
        got1[key] = dict(zip(T1_MAP.keys(), r[2:]))
    assert set(got1) == set(exp1)
    for key, row in exp1.items():
        assert got1[key] == row, key
    exp2 = annual_truth.table_two(world, year)
    got2: dict = {}
    for r in con.execute(
        f"select entity_code, line_label, {', '.join(T2_V2.values())} from annual.rpt_annual_t2 where year = ?", [year]
    ).fetchall():
        got2.setdefault(r[0], {})[r[1].replace("补充：", "")] = dict(zip(T2_V2, r[2:]))
    assert set(got2) == set(exp2)
    for ent, table in exp2.items():
        for row, cols in table.items():
            assert got2[ent][row] == cols, (ent, row)
