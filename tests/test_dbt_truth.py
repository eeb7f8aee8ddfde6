"""dbt vs the independent Python oracle (liangxin.truth) on the generated district (60 communities, 2019Q1–2020Q4).

The world is loaded straight into raw.* (tests/dbt_fixture.load_world), dbt builds, and every indicator record
of ``compute_truth`` must appear in marts.fct_indicators with the same numerator, denominator and value — and
no other record may exist.  Also 表一/表二 of the annual return against ``compute_annual_truth``.
"""
from __future__ import annotations

import duckdb
import pytest

import dbt_fixture as fx

pytestmark = pytest.mark.slow
pytest.importorskip("liangxin.generator")
from liangxin import truth  # noqa: E402
from liangxin.generator import build_world  # noqa: E402

T1_MAP = {
    "上年底总数": "prev_year_end_total", "本年增加合计": "increase_total", "发展党员": "developed", "恢复党籍": "restored",
    "转入组织关系": "transferred_in", "其中整建制转入": "in_whole_unit", "本年减少合计": "decrease_total", "出党": "exited",
    "停止党籍": "suspended", "死亡": "deceased", "转出组织关系": "transferred_out", "其中整建制转出": "out_whole_unit",
    "本年底应有数": "year_end_should", "本年底实有数": "year_end_actual", "实有数与应有数之差": "actual_minus_should",
}
T2_COLS = dict(zip(truth.T2_COLUMNS, ["total", "employees_50_plus", "employees_100_plus", "legal_rep_member",
                                      "legal_rep_secretary", "private_control", "hk_macao_taiwan_control",
                                      "foreign_control"]))


@pytest.fixture(scope="module")
def world_db(tmp_path_factory):
    world = build_world(tier="district", start="2019Q1", end="2020Q4", seed=20201)
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
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in con.execute(
        "select indicator_id, level, entity_code, period, numerator, denominator, value, null_reason "
        "from marts.fct_indicators").fetchall()}
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


@pytest.mark.parametrize("year", [2019, 2020])
def test_annual_t1_t2_match_truth(world_db, year):
    world, con = world_db
    exp = truth.compute_annual_truth(world, year)
    names = {"总计": ("district", None), "非公有制企业": ("category", "enterprise"), "社会组织": ("category", "social")}
    t1 = {}
    for r in con.execute(f"select level, entity_code, {', '.join(T1_MAP.values())} from annual.rpt_annual_t1 "
                         "where year = ?", [year]).fetchall():
        t1[(r[0], r[1])] = dict(zip(T1_MAP.values(), r[2:]))
    district = next(code for (lvl, code) in t1 if lvl == "district")
    for key, row in exp["t1"].items():
        lvl, code = names.get(key, (None, key))
        if lvl == "district":
            code = district
        match = [v for (l2, c2), v in t1.items() if c2 == code and (lvl is None or l2 == lvl)]
        assert len(match) == 1, key
        assert match[0] == {T1_MAP[k]: v for k, v in row.items()}, key
    assert len(t1) == len(exp["t1"])
    rows = con.execute(f"select entity_code, line_label, {', '.join(T2_COLS.values())} from annual.rpt_annual_t2 "
                       "where year = ?", [year]).fetchall()
    got2 = {}
    for r in rows:
        label = r[1].replace("补充：", "")
        got2.setdefault(r[0], {})[label] = dict(zip(T2_COLS.keys(), r[2:]))
    assert set(got2) == set(exp["t2"])
    for ent, table in exp["t2"].items():
        for row, cols in table.items():
            assert got2[ent][row] == cols, (ent, row)
