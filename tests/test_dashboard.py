"""The static leadership dashboard, rendered from a small hand-made serving snapshot.

Every number asserted here was typed by hand below; nothing of our pipeline (dbt, generator) is involved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from liangxin import paths
from liangxin.cli import app
from liangxin.dashboard import (
    DashboardDataError,
    _competition_rank,
    headline_numbers,
    load_dashboard_data,
    render_dashboard,
)

CHROMIUM = "/usr/bin/chromium"
D, S, C1, C2 = "330199", "330199001", "330199001001", "330199001002"
SNAP = "2021-04-20"

# (indicator, level, entity, name, period, numerator, denominator, value, denominator name)
ROWS = [
    ("K1", "district", D, "示范区", "2020Q4", 10, 100, 0.1, "党建基数单位数"),
    ("K2", "district", D, "示范区", "2020Q4", 80, 100, 0.8, "党建基数单位数"),
    ("K3", "district", D, "示范区", "2020Q4", 9, 15, 0.6, "应单独组建单位数"),
    ("K4", "district", D, "示范区", "2020Q4", 90, 100, 0.9, "党建基数单位数"),
    ("M", "district", D, "示范区", "2020Q4", 240, None, 240, None),
    ("K1", "district", D, "示范区", "2021Q1", 12, 100, 0.12, "党建基数单位数"),
    ("K2", "district", D, "示范区", "2021Q1", 85, 100, 0.85, "党建基数单位数"),
    ("K3", "district", D, "示范区", "2021Q1", 10, 16, 0.625, "应单独组建单位数"),
    ("K4", "district", D, "示范区", "2021Q1", 95, 100, 0.95, "党建基数单位数"),
    ("M", "district", D, "示范区", "2021Q1", 250, None, 250, None),
    ("K7a", "district", D, "示范区", "2021Q1", 3, None, 3, None),
    ("K7b", "district", D, "示范区", "2021Q1", 2, None, 2, None),
    ("K7q", "district", D, "示范区", "2021Q1", 3, 5, 0.6, "本年发展计划数"),
    ("K13", "district", D, "示范区", "2021Q1", 20, 25, 0.8, "整季度存在的党组织数"),
    ("K20", "district", D, "示范区", "2021Q1", 1, 2, 0.5, "社区数"),
    ("K9", "district", D, "示范区", "2020", 30, 40, 0.75, "本年书记人数"),
    ("K9", "district", D, "示范区", "2021", 0, 0, None, "本年书记人数"),
    ("K1", "street", S, "东湖街道", "2021Q1", 12, 100, 0.12, "党建基数单位数"),
    ("K2", "street", S, "东湖街道", "2021Q1", 85, 100, 0.85, "党建基数单位数"),
    ("K1", "community", C1, "金桥社区党总支", "2020Q4", 6, 50, 0.12, "党建基数单位数"),
    ("K2", "community", C1, "金桥社区党总支", "2020Q4", 40, 50, 0.8, "党建基数单位数"),
    ("K3", "community", C1, "金桥社区党总支", "2020Q4", 5, 8, 0.625, "应单独组建单位数"),
    ("K3b", "community", C1, "金桥社区党总支", "2020Q4", 3, None, 3, None),
    ("K1", "community", C1, "金桥社区党总支", "2021Q1", 7, 50, 0.14, "党建基数单位数"),
    ("K2", "community", C1, "金桥社区党总支", "2021Q1", 43, 50, 0.86, "党建基数单位数"),
    ("K3", "community", C1, "金桥社区党总支", "2021Q1", 6, 8, 0.75, "应单独组建单位数"),
    ("K3b", "community", C1, "金桥社区党总支", "2021Q1", 2, None, 2, None),
    ("K1", "community", C2, "银杏社区党总支", "2020Q4", 4, 50, 0.08, "党建基数单位数"),
    ("K2", "community", C2, "银杏社区党总支", "2020Q4", 40, 50, 0.8, "党建基数单位数"),
    ("K3", "community", C2, "银杏社区党总支", "2020Q4", 4, 7, 4 / 7, "应单独组建单位数"),
    ("K3b", "community", C2, "银杏社区党总支", "2020Q4", 3, None, 3, None),
    ("K1", "community", C2, "银杏社区党总支", "2021Q1", 5, 50, 0.1, "党建基数单位数"),
    ("K2", "community", C2, "银杏社区党总支", "2021Q1", 42, 50, 0.84, "党建基数单位数"),
    ("K3", "community", C2, "银杏社区党总支", "2021Q1", 4, 8, 0.5, "应单独组建单位数"),
    ("K3b", "community", C2, "银杏社区党总支", "2021Q1", 4, None, 4, None),
]

WORKLIST = [  # (community, period, uscc, org_name, members_formal, party_status, category)
    (C1, "2021Q1", "91330100MA2AAAAA1X", "杭州甲乙科技有限公司", 4, "联合建立", "K3b_joint"),
    (C1, "2021Q1", "91330100MA2BBBBB2X", "东湖丙丁贸易有限公司", 3, "未建立", "K3b_none"),
    (C2, "2021Q1", "52330100MA2CCCCC3X", "银杏社工服务中心", 5, "功能型", "K3b_functional"),
    (C2, "2020Q4", "91330100MA2DDDDD4X", "西溪戊己物流有限公司", 3, "挂靠", "K3b_joint"),
]


# A later quarter 2021Q2 that only 金桥 (C1) has reported: 1 of the 2 register communities (已报 1/2, 不完整).
# The district's 2021Q2 figures are C1's alone (K1 8/50 = 0.16), which is exactly why the page must not open on it.
# 四个一批: K7a 2020Q4 = 4, 2021Q1 = 3 (ROWS), 2021Q2 = 2 -> the year-to-date line is 4 | 3, 5 (a new year restarts).
# C2's K4 of 2021Q1 was not collected by its template version (NULL, null_reason 未采集).
ROWS_Q2 = [
    ("K1", "district", D, "示范区", "2021Q2", 8, 50, 0.16, "党建基数单位数"),
    ("K2", "district", D, "示范区", "2021Q2", 44, 50, 0.88, "党建基数单位数"),
    ("K3", "district", D, "示范区", "2021Q2", 6, 8, 0.75, "应单独组建单位数"),
    ("K4", "district", D, "示范区", "2021Q2", 46, 50, 0.92, "党建基数单位数"),
    ("M", "district", D, "示范区", "2021Q2", 130, None, 130, None),
    ("K7a", "district", D, "示范区", "2020Q4", 4, None, 4, None),
    ("K7a", "district", D, "示范区", "2021Q2", 2, None, 2, None),
    ("K7q", "district", D, "示范区", "2021Q2", 5, 5, 1.0, "本年发展计划数"),
    ("K1", "street", S, "东湖街道", "2021Q2", 8, 50, 0.16, "党建基数单位数"),
    ("K1", "community", C1, "金桥社区党总支", "2021Q2", 8, 50, 0.16, "党建基数单位数"),
    ("K2", "community", C1, "金桥社区党总支", "2021Q2", 44, 50, 0.88, "党建基数单位数"),
    ("K4", "community", C2, "银杏社区党总支", "2021Q1", None, None, None, "党建基数单位数"),
    # 入党积极分子数 (template LX-Q-2021.1): not collected in 2020Q4, 12 in 2021Q1
    ("K7f", "district", D, "示范区", "2020Q4", None, None, None, None),
    ("K7f", "district", D, "示范区", "2021Q1", 12, None, 12, None),
]

# fct_reporting_coverage for the snapshot with ROWS_Q2, typed by hand: (level, entity, period, N, M, complete)
COVERAGE = [
    ("district", D, "2020Q4", 2, 2, True),
    ("district", D, "2021Q1", 2, 2, True),
    ("district", D, "2021Q2", 1, 2, False),
    ("district", D, "2020", 0, 2, False),
    ("district", D, "2021", 0, 2, False),
    ("street", S, "2020Q4", 2, 2, True),
    ("street", S, "2021Q1", 2, 2, True),
    ("street", S, "2021Q2", 1, 2, False),
    ("community", C1, "2020Q4", 1, 1, True),
    ("community", C1, "2021Q1", 1, 1, True),
    ("community", C1, "2021Q2", 1, 1, True),
    ("community", C2, "2020Q4", 1, 1, True),
    ("community", C2, "2021Q1", 1, 1, True),
    ("community", C2, "2021Q2", 0, 1, False),
]


# Three earlier years of district figures (2018Q1–2020Q3, no community rows: 不完整 by the computed coverage), so
# that the quarter axes are long enough to crowd a phone's width.
ROWS_LONG = [
    (i, "district", D, "示范区", f"{y}Q{q}", n, 100, n / 100, "党建基数单位数")
    for y in (2018, 2019, 2020)
    for q in (1, 2, 3, 4)
    if (y, q) < (2020, 4)
    for i, n in (("K1", 5 + q), ("K2", 70 + y - 2018 + q))
] + [
    ("K7a", "district", D, "示范区", f"{y}Q{q}", q, None, q, None)
    for y in (2018, 2019, 2020)
    for q in (1, 2, 3, 4)
    if (y, q) < (2020, 4)
]


def make_snapshot(
    path: Path,
    *,
    bulletin: bool = True,
    worklist: bool = True,
    fct: bool = True,
    q2: bool = False,
    coverage: bool = False,
    threshold: str | None = None,
    long: bool = False,
    pending: bool = False,
) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema ref")
    if fct:
        con.execute("""create table marts.fct_indicators (indicator_id varchar, level varchar,
            entity_code varchar, entity_name varchar, period varchar, period_type varchar, numerator bigint,
            denominator bigint, value double, denominator_name varchar, snapshot_date date, null_reason varchar)""")
        con.executemany(
            "insert into marts.fct_indicators values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    lv,
                    e,
                    n,
                    p,
                    "quarter" if "Q" in p else "year",
                    num,
                    den,
                    v,
                    dn,
                    SNAP,
                    "未采集" if v is None and num is None else "分母为0" if v is None and den == 0 else None,
                )
                for i, lv, e, n, p, num, den, v, dn in ROWS + (ROWS_Q2 if q2 else []) + (ROWS_LONG if long else [])
            ],
        )
    if coverage:
        con.execute("""create table marts.fct_reporting_coverage (level varchar, entity_code varchar,
            entity_name varchar, period varchar, period_type varchar, reported_communities bigint,
            expected_communities bigint, reported_share double, complete_threshold decimal(18, 6),
            is_complete boolean, coverage_label varchar, snapshot_date date)""")
        con.executemany(
            "insert into marts.fct_reporting_coverage values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (lv, e, None, p, "quarter" if "Q" in p else "year", n, m, n / m, 1, ok, f"已报 {n}/{m}", None)
                for lv, e, p, n, m, ok in COVERAGE
            ],
        )
    if pending:  # the columns of the dbt models kpi_pending_corrections (P6) and kpi_worklist_no_mass_org (K6b)
        con.execute("""create table marts.kpi_pending_corrections (unit_code varchar, unit_name varchar,
            street_code varchar, street_name varchar, period varchar, previous_period varchar, party_org_code varchar,
            party_org_name varchar, opening_reported integer, closing_corrected integer, difference integer,
            later_submission_id varchar, later_correction_no integer, later_received_at timestamp,
            correction_submission_id varchar, correction_no integer, correction_reason varchar,
            correction_received_at timestamp)""")
        con.execute(
            """insert into marts.kpi_pending_corrections values
            (?, '金桥社区党总支', ?, '东湖街道', '2021Q1', '2020Q4', 'P001', '甲公司党支部', 12, 13, -1, 's2', 0,
             '2021-04-10 09:00', 's1', 1, '<b>补报</b>一名转入党员', '2021-04-12 09:00')""",
            [C1, S],
        )
        con.execute("""create table marts.kpi_worklist_no_mass_org (unit_code varchar, unit_name varchar,
            street_code varchar, street_name varchar, period varchar, year integer, quarter integer, uscc varchar,
            org_name varchar, org_category varchar, party_status varchar, party_org_code varchar, employees integer)""")
        con.execute(
            """insert into marts.kpi_worklist_no_mass_org values
            (?, null, ?, '东湖街道', '2021Q1', 2021, 1, '91330100MA2EEEEE5X', '乙科技有限公司', '非公有制企业', '单独建立', 'P002', 40),
            (?, null, ?, '东湖街道', '2021Q1', 2021, 1, '91330100MA2FFFFF6X', '丙商贸有限公司', '非公有制企业', '联合建立', 'P003', 15),
            (?, null, ?, '东湖街道', '2020Q4', 2020, 4, '91330100MA2FFFFF6X', '丙商贸有限公司', '非公有制企业', '联合建立', 'P003', 15)
            """,
            [C1, S, C2, S, C2, S],
        )
    if threshold is not None:
        con.execute("create table ref.dashboard_parameters (parameter varchar, value varchar, description varchar)")
        con.execute("insert into ref.dashboard_parameters values ('coverage_complete_min', ?, '')", [threshold])
    if bulletin:  # the columns of the dbt model kpi_bulletin
        con.execute("""create table marts.kpi_bulletin (unit_code varchar, unit_name varchar,
            street_code varchar, street_name varchar, district_code varchar, period varchar, snapshot_date date,
            k1 double, k1_numerator bigint, k1_denominator bigint, k1_change double, k2 double, k2_change double,
            k3 double, k3_change double, k3b double, k3b_change double, k1_rank bigint, sort_order integer)""")
        con.executemany(
            "insert into marts.kpi_bulletin values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    C1,
                    "金桥社区党总支",
                    S,
                    "东湖街道",
                    D,
                    "2021Q1",
                    "2021-03-31",
                    0.14,
                    7,
                    50,
                    0.02,
                    0.86,
                    0.06,
                    0.75,
                    0.125,
                    2,
                    -1,
                    1,
                    1,
                ),
                (
                    C2,
                    "银杏社区党总支",
                    S,
                    "东湖街道",
                    D,
                    "2021Q1",
                    "2021-03-31",
                    0.1,
                    5,
                    50,
                    0.02,
                    0.84,
                    0.04,
                    0.5,
                    -0.0714,
                    4,
                    1,
                    2,
                    2,
                ),
                (
                    C1,
                    "金桥社区党总支",
                    S,
                    "东湖街道",
                    D,
                    "2020Q4",
                    "2020-12-31",
                    0.12,
                    6,
                    50,
                    None,
                    0.8,
                    None,
                    0.625,
                    None,
                    3,
                    None,
                    1,
                    1,
                ),
                (
                    C2,
                    "银杏社区党总支",
                    S,
                    "东湖街道",
                    D,
                    "2020Q4",
                    "2020-12-31",
                    0.08,
                    4,
                    50,
                    None,
                    0.8,
                    None,
                    0.5714,
                    None,
                    3,
                    None,
                    2,
                    2,
                ),
            ],
        )
    if worklist:  # the columns of the dbt model kpi_worklist_should_form (unit_code = the community)
        con.execute("""create table marts.kpi_worklist_should_form (unit_code varchar, unit_name varchar,
            street_code varchar, street_name varchar, period varchar, uscc varchar, org_name varchar,
            org_category varchar, members_formal integer, members_probationary integer, party_status varchar,
            status varchar, split_indicator_id varchar, split_category varchar)""")
        zh = {"K3b_joint": "联合中应单建", "K3b_functional": "功能型", "K3b_none": "未建立"}
        con.executemany(
            "insert into marts.kpi_worklist_should_form values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c, None, S, "东湖街道", p, u, o, "非公有制企业", m, 0, st, "NONE_SHOULD", cat, zh[cat])
                for c, p, u, o, m, st, cat in WORKLIST
            ],
        )
    seeds = paths.SEEDS_DIR
    con.execute(f"create table ref.indicators as select * from read_csv('{seeds / 'indicators.csv'}', header=true)")
    con.execute("""create table ref.streets as select * from (values
        ('330199001', '东湖街道', '330199', '示范区', 1)) t(street_code, street_name, district_code, district_name, sort_order)""")
    con.execute("""create table ref.communities as select * from (values
        ('330199001001', '金桥社区党总支', '330199001', '东湖街道', '330199', '示范区', 1),
        ('330199001002', '银杏社区党总支', '330199001', '东湖街道', '330199', '示范区', 2))
        t(unit_code, unit_name, street_code, street_name, district_code, district_name, sort_order)""")
    con.execute("""create table ref.development_quotas as select * from (values
        ('330199001001', 2021, 3), ('330199001002', 2021, 2)) t(unit_code, year, quota)""")
    con.close()
    return path


@pytest.fixture()
def snapshot(tmp_path):
    return make_snapshot(tmp_path / "serve.duckdb")


def embedded_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="lx-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def card_values(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-indicator="([A-Za-z0-9_]+)" data-value="([-0-9.e]*)"', page))


def headline_cards(dom: str) -> dict[str, str]:
    """The headline cards only (#lx-cards), not the second row of revision-2 cards."""
    return card_values(re.search(r'id="lx-cards">(.*?)</section>', dom, re.S).group(1))


def test_render_is_offline_and_headline_numbers_are_the_typed_ones(snapshot, tmp_path):
    out = render_dashboard(snapshot, tmp_path / "dash")
    assert out == tmp_path / "dash" / "index.html"
    page = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 15_000_000
    # offline: no external script, stylesheet, image or font; Plotly's code inlined exactly once
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"<img[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", page.split("<script>")[0], re.I)
    assert page.count("plotly.js v") == 1
    assert 'lang="zh-CN"' in page and '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif' in page
    # headline cards of the default period (latest quarter 2021Q1, whole district); K9 is the year 2021 (0/0 → —)
    assert card_values(page) == {
        "K1": "0.12",
        "K2": "0.85",
        "K3": "0.625",
        "K4": "0.95",
        "K7q": "0.6",
        "K9": "",
        "M": "250",
    }
    assert "12.0%" in page and "分子/分母：12 / 100（分母：党建基数单位数）" in page
    assert "较上季 ▲2.0个百分点" in page  # K1 0.10 → 0.12
    assert "较上季 ▲10" in page  # M 240 → 250
    # every card's click-through names its own value: K1 of the quarter, K9 of the year (issue 15, explain)
    assert re.search(r"liangxin explain K1 --unit \d+ --period 2021Q1<", page)
    assert re.search(r"liangxin explain K9 --unit \d+ --period 2021<", page)
    assert headline_numbers(snapshot, "2021Q1") == {
        "K1": 0.12,
        "K2": 0.85,
        "K3": 0.625,
        "K4": 0.95,
        "K7q": 0.6,
        "K9": None,
        "M": 250,
    }
    assert headline_numbers(snapshot, "2020Q4") == {
        "K1": 0.1,
        "K2": 0.8,
        "K3": 0.6,
        "K4": 0.9,
        "K7q": None,
        "K9": 0.75,
        "M": 240,
    }
    assert headline_numbers(snapshot, "2021Q1", C2)["K1"] == 0.1


def test_embedded_bulletin_and_worklist(snapshot, tmp_path):
    data = embedded_data(render_dashboard(snapshot, tmp_path).read_text(encoding="utf-8"))
    assert data["quarters"] == ["2020Q4", "2021Q1"] and data["years"] == ["2020", "2021"]
    assert data["meta"]["default_period"] == "2021Q1" and data["meta"]["snapshot_date"] == SNAP
    assert data["meta"]["worklist_source"] == "table"
    assert data["meta"]["bulletin_source"] == "table"
    b = data["bulletin"]["2021Q1"]
    assert [(r["code"], r["rank"], r["K1"], r["K1_chg"], r["K3b"], r["K3b_chg"]) for r in b] == [
        (C1, 1, 0.14, 0.02, 2, -1),
        (C2, 2, 0.1, 0.02, 4, 1),
    ]
    w = data["worklist"]["2021Q1"]
    assert [(r["code"], r["org"], r["members"], r["cat"]) for r in w] == [
        (C1, "东湖丙丁贸易有限公司", 3, "未建立"),
        (C1, "杭州甲乙科技有限公司", 4, "联合中应单建"),
        (C2, "银杏社工服务中心", 5, "功能型"),
    ]
    assert data["values"][D]["2021Q1"]["K7q"] == [0.6, 3, 5]
    assert data["entities"][C1]["street_name"] == "东湖街道"


def test_bulletin_computed_when_table_absent(tmp_path):
    db = make_snapshot(tmp_path / "s.duckdb", bulletin=False, worklist=False)
    data = load_dashboard_data(db)
    assert data["meta"]["bulletin_source"] == "computed" and data["meta"]["worklist_source"] == "absent"
    b = {r["code"]: r for r in data["bulletin"]["2021Q1"]}
    assert b[C1]["rank"] == 1 and b[C2]["rank"] == 2
    assert b[C1]["K1_chg"] == pytest.approx(0.02) and b[C2]["K2_chg"] == pytest.approx(0.04)
    assert b[C1]["K3b_chg"] == -1 and b[C2]["K3b_chg"] == 1
    assert all(r["K1_chg"] is None for r in data["bulletin"]["2020Q4"])  # no previous quarter
    page = render_dashboard(db, tmp_path / "d").read_text(encoding="utf-8")
    assert card_values(page)["K1"] == "0.12"


def test_names_denominators_and_snapshots_are_read_once_per_entity_indicator_and_period(tmp_path):
    """The loader reads names, denominator names and snapshot dates by entity, indicator and period (not per cell):
    an empty name on one row does not hide the entity's name, the latest snapshot of a period wins, and a row whose
    period is neither a quarter nor a year contributes nothing (values typed here by hand)."""
    db = make_snapshot(tmp_path / "s.duckdb")
    con = duckdb.connect(str(db))
    con.executemany(
        "insert into marts.fct_indicators values (?, ?, ?, ?, ?, 'quarter', 1, 2, 0.5, ?, ?, null)",
        [
            ("K13", "community", C1, "", "2021Q1", None, "2021-04-25"),  # empty name; a later snapshot of 2021Q1
            ("K13", "community", C2, None, "2021Q1", "整季度存在的党组织数", None),
            # not a period of the page: its entity, name, denominator name and snapshot are all left out
            ("K14", "community", "330199009009", "不应出现社区", "合计", "不应出现分母", "2030-01-01"),
        ],
    )
    con.close()
    data = load_dashboard_data(db)
    assert data["entities"][C1]["name"] == "金桥社区党总支" and data["entities"][C2]["name"] == "银杏社区党总支"
    assert "330199009009" not in data["entities"] and "合计" not in data["quarters"] + data["years"]
    assert data["snapshots"] == {"2020": SNAP, "2021": SNAP, "2020Q4": SNAP, "2021Q1": "2021-04-25"}
    assert data["values"][C1]["2021Q1"]["K13"] == [0.5, 1, 2]
    assert list(data["entities"])[:2] == [D, S]  # the order of first appearance in fct_indicators
    assert data["entities"][D]["level"] == "district" and data["entities"][C2]["level"] == "community"


def test_competition_ranking_ties_and_nulls():
    assert _competition_rank([("a", 0.5), ("b", 0.3), ("c", 0.5), ("d", None), ("e", 0.2)]) == {
        "a": 1,
        "c": 1,
        "b": 3,
        "e": 4,
        "d": None,
    }


def test_missing_table_is_named_in_chinese(tmp_path):
    db = make_snapshot(tmp_path / "s.duckdb", fct=False)
    with pytest.raises(DashboardDataError, match="缺少数据表“fct_indicators”"):
        render_dashboard(db, tmp_path / "d")


def test_cli_dashboard(snapshot, tmp_path):
    res = CliRunner().invoke(app, ["dashboard", "--db", str(snapshot), "-o", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli" / "index.html").exists()
    res = CliRunner().invoke(app, ["dashboard", "--db", str(tmp_path / "none.duckdb"), "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "服务快照不存在" in res.output


def test_cli_dashboard_defaults_from_environment(snapshot, tmp_path, monkeypatch):
    monkeypatch.setenv("LIANGXIN_SERVE_DUCKDB", str(snapshot))
    monkeypatch.setenv("LIANGXIN_BUILD", str(tmp_path / "build"))
    res = CliRunner().invoke(app, ["dashboard"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "build" / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert card_values(page)["K2"] == "0.85"


# ------------------------------------------------------------------------------------------------- browser


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        # no network at all: every request goes to a dead proxy, loopback included
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def _console_problems(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "net::ERR" in ln]


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("LIANGXIN_REQUIRE_CHROMIUM") != "1",
    reason="Chromium not installed (set LIANGXIN_REQUIRE_CHROMIUM=1 to make this an error)",
)
def test_dashboard_in_headless_chromium(snapshot, tmp_path):
    page = render_dashboard(snapshot, tmp_path / "dash")
    url = page.as_uri()

    # 1. the DOM after the scripts ran, for the previous quarter chosen through the URL
    res = _chromium(["--dump-dom", url + "#period=2020Q4"], tmp_path / "profile1")
    dom = res.stdout
    assert res.returncode == 0, res.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-ready="1"' in body and 'data-period="2020Q4"' in body, res.stderr[-2000:]
    assert "data-error" not in body
    assert re.search(r'<div id="lx-errors" class="notice error" hidden="">\s*</div>', dom)
    assert _console_problems(res.stderr) == []
    assert headline_cards(dom) == {
        "K1": "0.1",
        "K2": "0.8",
        "K3": "0.6",
        "K4": "0.9",
        "K7q": "",
        "K9": "0.75",
        "M": "240",
    }
    assert "75.0%" in dom and "2020年度" in dom
    assert dom.count('class="main-svg"') >= 20  # every chart was drawn by Plotly
    worklist = re.search(r'<table[^>]*id="tb-worklist"[^>]*>.*?</table>', dom, re.S).group(0)
    assert "东湖丙丁贸易有限公司" not in worklist and "西溪戊己物流有限公司" in worklist  # the 2020Q4 worklist
    # the bulletin table of 2020Q4: 金桥 ranked first with 12.0%
    assert re.search(r"<td[^>]*>1</td><td[^>]*>金桥社区党总支</td><td[^>]*>东湖街道</td><td[^>]*>12\.0%</td>", dom)

    # 2. a community scope through the URL: the cards follow it
    res = _chromium(["--dump-dom", url + f"#period=2021Q1&scope={C2}"], tmp_path / "profile2")
    assert card_values(res.stdout)["K1"] == "0.1"
    assert f'data-scope="{C2}"' in re.search(r"<body[^>]*>", res.stdout).group(0)
    assert _console_problems(res.stderr) == []

    # 3. a screenshot of the default view
    shot = tmp_path / "dashboard.png"
    res = _chromium(
        [f"--screenshot={shot}", "--window-size=1400,2400", "--hide-scrollbars", url], tmp_path / "profile3"
    )
    assert shot.exists() and shot.stat().st_size > 50_000, res.stderr[-2000:]
    assert _console_problems(res.stderr) == []
    if os.environ.get("LIANGXIN_SCREENSHOT_DIR"):
        target = Path(os.environ["LIANGXIN_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target / "dashboard.png")


# ------------------------------------------------------------------------------------------------- issue 15
# Coverage, phone and desktop widths, URL state, K7q, the year-to-date line, axes, Chinese labels: each in a real
# headless Chromium driven over the DevTools protocol (liangxin.headless), screenshots to tmp only.

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("LIANGXIN_REQUIRE_CHROMIUM") != "1",
    reason="Chromium not installed (set LIANGXIN_REQUIRE_CHROMIUM=1 to make this an error)",
)


@pytest.fixture()
def q2_page(tmp_path):
    """The snapshot with the incomplete 2021Q2 and the typed coverage mart, rendered."""
    db = make_snapshot(tmp_path / "q2.duckdb", q2=True, coverage=True)
    return render_dashboard(db, tmp_path / "dash")


@pytest.fixture(scope="module")
def browser():
    from liangxin.headless import Browser

    with Browser(CHROMIUM) as b:
        yield b
    assert b.console == [], b.console


def test_coverage_default_period_is_the_latest_complete_quarter(tmp_path):
    # with the mart: 2021Q2 is later but only 1/2 reported -> the default stays 2021Q1 (2/2)
    for kw in ({"coverage": True}, {}):  # the mart, then the fallback computed from fct_indicators
        db = make_snapshot(tmp_path / f"c{len(kw)}.duckdb", q2=True, **kw)
        data = load_dashboard_data(db)
        assert data["meta"]["coverage_source"] == ("table" if kw else "computed")
        assert data["quarters"] == ["2020Q4", "2021Q1", "2021Q2"]
        assert data["meta"]["default_period"] == "2021Q1" and data["meta"]["default_reason"] == "complete"
        cov = data["coverage"]
        assert cov[D]["2021Q2"] == [1, 2, 0] and cov[D]["2021Q1"] == [2, 2, 1]
        assert cov[S]["2021Q2"] == [1, 2, 0] and cov[C2]["2021Q2"] == [0, 1, 0] and cov[C1]["2021Q2"] == [1, 1, 1]
        assert cov[D]["2021"] == [0, 2, 0]  # no community has all four quarters of 2021
        page = render_dashboard(db, tmp_path / f"d{len(kw)}").read_text(encoding="utf-8")
        assert card_values(page)["K1"] == "0.12"  # 2021Q1, not C1's lone 2021Q2 (0.16)
        assert '<option value="2021Q2">2021年第2季度（不完整）</option>' in page
        assert '<option value="2021Q1" selected>2021年第1季度</option>' in page
        assert 'data-indicator="K1" data-value="0.12" data-period="2021Q1" data-reported="2" data-expected="2"' in page
    # a threshold of 50 %: 1 of 2 is complete, so 2021Q2 becomes the default
    db = make_snapshot(tmp_path / "t.duckdb", q2=True, threshold="0.5")
    data = load_dashboard_data(db)
    assert data["meta"]["coverage_threshold"] == 0.5 and data["meta"]["default_period"] == "2021Q2"
    # no complete quarter at all (2 of 3 register communities at most): the latest quarter, said so on the page
    db = make_snapshot(tmp_path / "n.duckdb", q2=True, threshold="1")
    con = duckdb.connect(str(db))
    con.execute(
        "insert into ref.communities values ('330199001003', '新河社区党总支', '330199001', "
        "'东湖街道', '330199', '示范区', 3)"
    )
    con.close()
    data = load_dashboard_data(db)
    assert data["meta"]["default_period"] == "2021Q2" and data["meta"]["default_reason"] == "none_complete"
    assert data["coverage"][D]["2021Q1"] == [2, 3, 0]


@needs_chromium
def test_every_card_chart_and_table_states_its_coverage_in_chromium(q2_page, browser):
    browser.open(q2_page.as_uri() + "#period=2021Q2", 1440)
    got = browser.evaluate("""(function () {
      var q = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
      return {
        banner: document.getElementById('lx-coverage').textContent,
        cards: q('#lx-cards .card').map(function (c) { return [c.getAttribute('data-indicator'), c.getAttribute('data-reported'),
          c.getAttribute('data-expected'), c.querySelector('.card-coverage').textContent]; }),
        figures: q('figure.chart-box').length,
        captions: q('figure.chart-box figcaption').map(function (f) {
          var s = f.querySelector('.coverage'); return [f.id, s ? s.textContent : null]; }),
        notes: ['lx-bulletin-note', 'lx-worklist-note'].map(function (id) { return document.getElementById(id).textContent; }),
        detail: q('#tb-detail thead th').map(function (t) { return t.textContent; }),
        option: document.querySelector('#lx-period option[value="2021Q2"]').textContent
      };
    })()""")
    assert got["banner"].startswith("2021年第2季度：全区已报 1/2 个社区 · 不完整")
    # every card: 已报 N/M of its own period (K9: the year 2021, 0 of 2 communities with four quarters)
    assert {c[0]: c[1:] for c in got["cards"]} == {
        "K1": ["1", "2", "已报 1/2 · 不完整"],
        "K2": ["1", "2", "已报 1/2 · 不完整"],
        "K3": ["1", "2", "已报 1/2 · 不完整"],
        "K4": ["1", "2", "已报 1/2 · 不完整"],
        "K7q": ["1", "2", "已报 1/2 · 不完整"],
        "K9": ["0", "2", "已报 0/2 · 不完整"],
        "M": ["1", "2", "已报 1/2 · 不完整"],
    }
    assert got["figures"] == len(got["captions"]) >= 20
    missing = [c for c in got["captions"] if not (c[1] or "").startswith("已报 ")]
    assert missing == []
    assert ["cap-ch-trend-k1", "已报 1/2 · 不完整"] in got["captions"]
    assert ["cap-ch-training", "已报 0/2 · 不完整"] in got["captions"]  # a yearly chart: the year's coverage
    assert all(n.endswith("已报 1/2 · 不完整") for n in got["notes"]), got["notes"]
    assert "2021年第2季度（已报 1/2 · 不完整）" in got["detail"]
    assert got["option"] == "2021年第2季度（不完整）"
    # the complete default quarter says so
    browser.open(q2_page.as_uri(), 1440)
    assert (
        browser.evaluate("document.getElementById('lx-coverage').textContent")
        == "2021年第1季度：全区已报 2/2 个社区 · 完整"
    )
    assert browser.evaluate("location.hash") == "#period=2021Q1"


LAYOUT_PROBE = """(function () {
  var W = window.innerWidth, q = function (s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); };
  function box(el) { var r = el.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; }
  function overlap(a, b) { return a.l < b.r - 1 && b.l < a.r - 1 && a.t < b.b - 1 && b.t < a.b - 1; }
  var out = {width: W, scrollWidth: document.documentElement.scrollWidth, bodyScroll: document.body.scrollWidth,
             wide: [], legendOverPlot: [], tickOverlap: [], cards: []};
  q('body *').forEach(function (el) {
    // tables scroll inside their own frame; Plotly keeps an invisible measuring svg far off-screen
    if (el.closest('.table-wrap') || el.closest('script') || el.closest('style') || el.closest('#js-plotly-tester')) return;
    var b = box(el);
    if (b.w > 0 && (b.r > W + 0.5 || b.l < -0.5)) out.wide.push(el.tagName + '#' + el.id + '.' + el.getAttribute('class'));
  });
  q('.js-plotly-plot').forEach(function (p) {
    var plotArea = p.querySelector('.nsewdrag') || p.querySelector('.bglayer rect');
    var legend = p.querySelector('g.legend');
    if (plotArea && legend && legend.getBoundingClientRect().width > 0 && overlap(box(plotArea), box(legend))) out.legendOverPlot.push(p.id);
    ['xtick', 'ytick'].forEach(function (k) {
      // labels drawn level (rotated ones have overlapping bounding boxes by construction)
      var ticks = q('g.' + k + ' text', p).filter(function (t) { return !/rotate\\((?!0)/.test(t.getAttribute('transform') || ''); })
        .map(box).filter(function (b) { return b.w > 0; });
      for (var i = 0; i < ticks.length; i++) for (var j = i + 1; j < ticks.length; j++)
        if (overlap(ticks[i], ticks[j])) { out.tickOverlap.push(p.id + ':' + k); return; }
    });
  });
  q('.card').forEach(function (c) { var b = box(c); out.cards.push([c.getAttribute('data-indicator'), b.l, b.r, c.scrollWidth <= c.clientWidth + 1]); });
  return out;
})()"""


@needs_chromium
@pytest.mark.parametrize("width", [375, 1440])
def test_no_horizontal_overflow_at_phone_and_desktop_width(q2_page, browser, tmp_path, width):
    long_page = render_dashboard(make_snapshot(tmp_path / "long.duckdb", q2=True, long=True), tmp_path / "long")
    assert len(embedded_data(long_page.read_text(encoding="utf-8"))["quarters"]) == 14
    for page, frag in ((q2_page, ""), (q2_page, f"#period=2021Q2&street={S}&community={C1}"), (long_page, "")):
        browser.open(page.as_uri() + frag, width)
        assert browser.evaluate("document.body.getAttribute('data-narrow')") == ("1" if width < 700 else "0")
        got = browser.evaluate(LAYOUT_PROBE)
        assert got["width"] == width
        assert got["scrollWidth"] <= width and got["bodyScroll"] <= width, got
        assert got["wide"] == [], got["wide"][:10]
        assert got["legendOverPlot"] == [], got["legendOverPlot"]
        assert got["tickOverlap"] == [], got["tickOverlap"]
        assert len(got["cards"]) >= 7
        for iid, left, right, fits in got["cards"]:
            assert 0 <= left and right <= width and fits, (iid, left, right)
        shot = browser.screenshot(tmp_path / f"dashboard-{width}.png")
        assert shot.stat().st_size > 30_000
    if width < 700:  # phones: two cards a row, bar charts of communities lie horizontally
        rows = browser.evaluate(
            "Array.prototype.slice.call(document.querySelectorAll('#lx-cards .card')).map(function (c) { "
            "return Math.round(c.getBoundingClientRect().top); })"
        )
        assert len(set(rows)) == 4
        assert browser.evaluate("document.getElementById('ch-drill-community').data[0].orientation") == "h"


@needs_chromium
def test_url_state_round_trip(q2_page, browser):
    url = q2_page.as_uri()
    browser.open(url + f"#period=2020Q4&street={S}&community={C2}", 1440)
    state = browser.evaluate(
        "[document.getElementById('lx-period').value, document.getElementById('lx-street').value, "
        "document.getElementById('lx-community').value, document.body.getAttribute('data-scope')]"
    )
    assert state == ["2020Q4", S, C2, C2]
    assert card_values(browser.evaluate("document.getElementById('lx-cards').innerHTML"))["K1"] == "0.08"  # C2 2020Q4
    # the card's click-through: the explain command for exactly this value (issue 15)
    assert (
        browser.evaluate("document.querySelector('.card[data-indicator=K1] .card-explain code').textContent")
        == f"liangxin explain K1 --unit {C2} --period 2020Q4"
    )
    # choosing in the page writes the hash …
    browser.evaluate(
        """(function () {
      var p = document.getElementById('lx-period'); p.value = '2021Q1'; p.dispatchEvent(new Event('change'));
      var c = document.getElementById('lx-community'); c.value = '%s'; c.dispatchEvent(new Event('change'));
    })()"""
        % C1
    )
    link = browser.evaluate("location.href")
    assert link.endswith(f"#period=2021Q1&street={S}&community={C1}")
    # … and the link opened afresh restores the view
    browser.open("about:blank", 1440, ready="true")
    browser.open(link, 1440)
    assert browser.evaluate("document.body.getAttribute('data-scope')") == C1
    assert card_values(browser.evaluate("document.getElementById('lx-cards').innerHTML"))["K1"] == "0.14"
    # a street alone; an unknown code falls back to the whole district
    browser.open(url + f"#period=2021Q1&street={S}", 1440)
    assert browser.evaluate(
        "[document.body.getAttribute('data-street'), document.body.getAttribute('data-community')]"
    ) == [S, ""]
    browser.open(url + "#period=1999Q1&street=nope&community=nope", 1440)
    assert browser.evaluate(
        "[document.body.getAttribute('data-period'), document.body.getAttribute('data-scope')]"
    ) == ["2021Q1", ""]


@needs_chromium
def test_k7q_card_year_to_date_line_and_axes_that_show_movement(q2_page, browser):
    browser.open(q2_page.as_uri() + "#period=2021Q1", 1440)
    card = browser.evaluate("document.querySelector('.card[data-indicator=K7q]').textContent")
    assert "发展计划完成率" in card and "60.0%" in card and "分子/分母：3 / 5（分母：本年发展计划数）" in card
    # a ratio whose denominator is 0 reads — (the district's K9 of 2021: 0 of 0 secretaries, 分母为0), not 未采集
    assert browser.evaluate("document.querySelector('.card[data-indicator=K9] .card-value').textContent") == "—"
    growth = browser.evaluate("""document.getElementById('ch-growth').data.filter(function (t) {
        return t.name === '本年累计发展党员'; }).map(function (t) { return [t.x, t.y]; })""")
    # one segment a year, each non-decreasing: 2020: 4; 2021: 3, 3+2 = 5
    assert growth == [[["2020年4季度"], [4]], [["2021年1季度", "2021年2季度"], [3, 5]]]
    # K1 moves 10 % -> 12 % -> 16 %: the axis hugs the data instead of spanning 0–100 %
    lo, hi = browser.evaluate("document.getElementById('ch-trend-k1')._fullLayout.yaxis.range")
    assert 0.0 <= lo <= 0.10 and 0.16 <= hi <= 0.2 and hi - lo < 0.2
    assert "纵轴不从 0 开始" in browser.evaluate("document.getElementById('cap-ch-trend-k1').textContent")
    ticks = browser.evaluate(
        "Array.prototype.slice.call(document.querySelectorAll('#ch-trend-k1 g.ytick text'))"
        ".map(function (t) { return t.textContent; })"
    )
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks  # no repeated labels such as 13%, 13%
    # a value the template did not collect reads 未采集 (C2's K4 of 2021Q1), not 0 or —
    browser.open(q2_page.as_uri() + f"#period=2021Q1&community={C2}", 1440)
    k4 = browser.evaluate("document.querySelector('.card[data-indicator=K4] .card-value').textContent")
    assert k4 == "未采集"


@needs_chromium
def test_revision_2_cards_show_not_collected(q2_page, browser):
    browser.open(q2_page.as_uri() + "#period=2021Q1", 1440)
    cards = browser.evaluate("""Array.prototype.slice.call(document.querySelectorAll('#lx-cards2 .card')).map(function (c) {
        return [c.getAttribute('data-indicator'), c.querySelector('.card-value').textContent,
                c.querySelector('.card-coverage').textContent]; })""")
    ids = [c[0] for c in cards]
    assert ids == ["K6b", "K7e", "K7f", "K7g", "K18d", "K18e", "K21", "K22", "K22w", "K23", "K24"]
    assert ["K7f", "12", "已报 2/2"] in cards
    assert browser.evaluate("document.getElementById('sec-work-cards').hidden") is False
    browser.open(q2_page.as_uri() + "#period=2020Q4", 1440)
    assert (
        browser.evaluate("document.querySelector('#lx-cards2 .card[data-indicator=K7f] .card-value').textContent")
        == "未采集"
    )


@needs_chromium
def test_all_labels_are_chinese(q2_page, browser):
    for width in (375, 1440):
        browser.open(q2_page.as_uri() + "#period=2021Q2", width)
        texts = browser.evaluate("""(function () {
          var q = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
          return q('h1, h2, .sub, label, option, figcaption, th, .card, .note, .coverage-banner, g.legend text, ' +
                   'g.xtick text, g.ytick text, g.g-xtitle text, g.g-ytitle text, g.g-y2title text, .annotation-text, ' +
                   'footer, .annual-links')
            .map(function (e) { return e.textContent; });
        })()""")
        # the one Latin text allowed: a card's click-through command, which the user types as it is
        texts = [re.sub(r"liangxin explain \w+ --unit \d+ --period \w+", "", t) for t in texts]
        latin = [t for t in texts if re.search(r"[A-Za-z]{2,}", t)]
        assert texts and latin == [], latin[:10]


def test_annual_page_links_and_escaped_text(tmp_path):
    db = make_snapshot(tmp_path / "a.duckdb")
    con = duckdb.connect(str(db))
    con.execute("create schema annual; create table annual.rpt_annual_verdict (year integer, verdict varchar)")
    con.execute("insert into annual.rpt_annual_verdict values (2020, '可以上报'), (2021, '不得上报')")
    con.execute(
        "update marts.kpi_worklist_should_form set org_name = '<img src=x onerror=alert(1)>甲公司' "
        "where uscc = '91330100MA2AAAAA1X'"
    )
    con.close()
    out = tmp_path / "dash"
    out.mkdir()
    (out / "annual-2019.html").write_text("<html></html>", encoding="utf-8")
    page = render_dashboard(db, out).read_text(encoding="utf-8")
    assert re.findall(r'<a href="(annual-\d{4}\.html)">(\d{4})年</a>', page) == [
        ("annual-2019.html", "2019"),
        ("annual-2020.html", "2020"),
        ("annual-2021.html", "2021"),
    ]
    assert "<img src=x" not in page  # the embedded JSON escapes '<'
    data = embedded_data(page)
    assert data["annual_years"] == ["2019", "2020", "2021"]
    assert any(r["org"] == "<img src=x onerror=alert(1)>甲公司" for r in data["worklist"]["2021Q1"])


@needs_chromium
def test_submitted_text_is_shown_as_text_in_chromium(tmp_path, browser):
    db = make_snapshot(tmp_path / "x.duckdb")
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.kpi_worklist_should_form set org_name = '<img src=x onerror=\"document.title=1\">甲公司' "
        "where uscc = '91330100MA2AAAAA1X'"
    )
    con.close()
    page = render_dashboard(db, tmp_path / "dash")
    browser.open(page.as_uri(), 1440)
    assert browser.evaluate("document.querySelectorAll('#tb-worklist img').length") == 0
    assert '<img src=x onerror="document.title=1">甲公司' in browser.evaluate(
        "document.getElementById('tb-worklist').textContent"
    )


# ------------------------------------------------------------------------------------------------- the real mart


@pytest.fixture(scope="module")
def built_coverage(tmp_path_factory):
    """dbt over the hand-made warehouse of tests/dbt_fixture.py: fct_reporting_coverage, fct_indicators and
    everything they depend on (with the tests whose parents are all built)."""
    import dbt_fixture as fx

    work = tmp_path_factory.mktemp("dbt-coverage")
    db = work / "build.duckdb"
    fx.create_raw(db)
    env = dict(os.environ, LIANGXIN_DUCKDB=str(db), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [
        fx.dbt_executable(),
        "build",
        "--project-dir",
        str(fx.DBT_PROJECT),
        "--profiles-dir",
        str(fx.DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--select",
        "+fct_reporting_coverage+",
        "+fct_indicators",
        "+kpi_bulletin",
        "ref_indicators",
        "--indirect-selection",
        "cautious",
    ]
    proc = subprocess.run(cmd, env=env, cwd=str(fx.DBT_PROJECT), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert (
        "assert_reporting_coverage_consistent" in proc.stdout
        and "unique_combination_fct_reporting_coverage" in proc.stdout
    )
    return db, work


def test_fct_reporting_coverage_by_hand(built_coverage):
    # dbt_fixture: accepted current returns of A (东湖街道, 7 register communities) and B (西溪街道, 7) for
    # 2020Q1–Q4 (B's 2021Q1 is rejected and does not extend the spine); the district register has 60 communities.
    db, _ = built_coverage
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = {
            (lv, e, p): (n, m, share, ok, label, float(t))
            for lv, e, p, n, m, share, ok, label, t in con.execute(
                "select level, entity_code, period, reported_communities, expected_communities, reported_share, "
                "is_complete, coverage_label, complete_threshold from marts.fct_reporting_coverage"
            ).fetchall()
        }
        periods = {r[0] for r in con.execute("select distinct period from marts.fct_reporting_coverage").fetchall()}
        desc = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'fct_reporting_coverage'"
            ).fetchall()
        )
    finally:
        con.close()
    import dbt_fixture as fx

    a, b, s1, s2, dist, other = fx.A, fx.B, "330199001", "330199002", "330199", "330199001002"
    assert periods == {"2020Q1", "2020Q2", "2020Q3", "2020Q4", "2020"}
    assert len(got) == (60 + 8 + 1) * 5  # 60 communities, 8 streets, the district; 4 quarters and the year
    for p in ("2020Q1", "2020Q4", "2020"):  # the year: A and B have all four quarters
        assert got[("district", dist, p)][:2] == (2, 60) and got[("district", dist, p)][3] is False
        assert got[("district", dist, p)][2] == pytest.approx(2 / 60)
        assert got[("district", dist, p)][4] == "已报 2/60"
        assert got[("street", s1, p)][:2] == (1, 7) and got[("street", s2, p)][:2] == (1, 7)
        assert got[("community", a, p)][:4] == (1, 1, 1.0, True) and got[("community", b, p)][3] is True
        assert got[("community", other, p)][:4] == (0, 1, 0.0, False)
        assert got[("community", other, p)][4] == "已报 0/1"
    assert {v[5] for v in got.values()} == {1.0}  # the seed's coverage_complete_min
    assert desc["is_complete"] == "BOOLEAN" and desc["reported_communities"] == "BIGINT"


@needs_chromium
def test_page_from_the_real_marts_states_the_marts_coverage(built_coverage, browser, tmp_path):
    db, _ = built_coverage
    page = render_dashboard(db, tmp_path / "dash")
    data = embedded_data(page.read_text(encoding="utf-8"))
    assert data["meta"]["coverage_source"] == "table"
    # no quarter has all 60 communities: the page opens on the latest quarter and says none is complete
    assert data["meta"]["default_period"] == "2020Q4" and data["meta"]["default_reason"] == "none_complete"
    browser.open(page.as_uri(), 375)
    banner = browser.evaluate("document.getElementById('lx-coverage').textContent")
    assert banner.startswith("2020年第4季度：全区已报 2/60 个社区 · 不完整") and "目前没有报送完整的季度" in banner
    cards = browser.evaluate(
        "Array.prototype.slice.call(document.querySelectorAll('#lx-cards .card')).map(function (c) { "
        "return [c.getAttribute('data-indicator'), c.getAttribute('data-reported'), "
        "c.getAttribute('data-expected')]; })"
    )
    assert {c[0]: (c[1], c[2]) for c in cards} == {i: ("2", "60") for i in ("K1", "K2", "K3", "K4", "K7q", "K9", "M")}
    browser.open(page.as_uri() + f"#period=2020Q3&community={fx_a()}", 375)
    assert (
        browser.evaluate("document.querySelector('.card[data-indicator=K1] .card-coverage').textContent") == "已报 1/1"
    )
    assert browser.evaluate("document.documentElement.scrollWidth") <= 375


def fx_a() -> str:
    import dbt_fixture as fx

    return fx.A


@needs_chromium
def test_pending_corrections_and_no_mass_org_lists(tmp_path, browser):
    page = render_dashboard(make_snapshot(tmp_path / "p.duckdb", pending=True), tmp_path / "dash")
    browser.open(page.as_uri() + "#period=2021Q1", 1440)
    rows = browser.evaluate("""Array.prototype.slice.call(document.querySelectorAll('#tb-pending tbody tr')).map(function (tr) {
        return Array.prototype.slice.call(tr.cells).map(function (c) { return c.textContent; }); })""")
    assert rows == [
        [
            "金桥社区党总支",
            "东湖街道",
            "2021年第1季度",
            "甲公司党支部",
            "12",
            "13",
            "-1",
            "2020年第4季度",
            "1",
            "<b>补报</b>一名转入党员",
        ]
    ]
    assert browser.evaluate("document.querySelectorAll('#tb-pending b').length") == 0  # submitted text stays text
    k6b = browser.evaluate("""Array.prototype.slice.call(document.querySelectorAll('#tb-nomass tbody tr')).map(function (tr) {
        return [tr.cells[0].textContent, tr.cells[2].textContent, tr.cells[6].textContent]; })""")
    assert k6b == [["金桥社区党总支", "乙科技有限公司", "40"], ["银杏社区党总支", "丙商贸有限公司", "15"]]
    assert browser.evaluate("document.getElementById('lx-nomass-note').textContent").endswith("已报 2/2")
    # a community scope filters both lists
    browser.open(page.as_uri() + f"#period=2021Q1&community={C2}", 1440)
    assert browser.evaluate("document.querySelector('#tb-pending tbody').textContent") == "没有待更正的报表。"
    assert browser.evaluate("document.querySelectorAll('#tb-nomass tbody tr').length") == 1
