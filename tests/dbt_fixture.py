"""A small HAND-MADE warehouse for the dbt tests (tests/test_dbt_*.py).

Raw tables are created with exactly the columns of ``liangxin.forms.raw_columns`` (lineage first) and, for
``raw.submissions``, the list of docs/internals.md.  Every expected value in the tests is computed by hand
from the rows below (see the comments), never read back from dbt.

Communities: A = 330199001001 金桥社区党总支 (东湖街道 330199001), B = 330199002001 兰亭社区党总支
(西溪街道 330199002).  Periods 2020Q1–2020Q4 (Q1/Q2 carry only Party organizations and 表3; the units and
most facts are in Q3/Q4).  A's 2020Q4 has a correction (correction_no 1) that must win
over the original (0) and a rejected correction 2 that must be ignored; B has a rejected 2021Q1 return that
must not extend the period spine.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb

from liangxin import forms

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"

A = "330199001001"
B = "330199002001"

# the raw tables' columns, from their one definition (liangxin.forms.raw_tables)
SUBMISSION_COLUMNS = [(c, t) for c, t, _ in forms.submission_columns()]
RULE_HIT_COLUMNS = [(c, t) for c, t, _ in forms.RULE_HIT_COLUMNS]

D = dt.date


def _sub(sid, unit, period, corr, outcome, submitted_on, received):
    return dict(
        submission_id=sid,
        original_name=f"{sid}.xlsx",
        received_at=received,
        size_bytes=1000,
        outcome=outcome,
        error_count=1 if outcome == "rejected" else 0,
        warning_count=1 if outcome == "accepted_with_warnings" else 0,
        format="xlsx",
        unit_code=unit,
        unit_name=None,
        period=period,
        template_version="LX-Q-2020.1",
        correction_no=corr,
        correction_reason="更正" if corr else None,
        filled_by="张*",
        approved_by="李*",
        phone="138****8000",
        submitted_on=submitted_on,
    )


SUBMISSIONS = [
    # Q1 / Q2: small on-time returns (Party organizations and 表3 only) so that 2020 is a complete year
    _sub("A1", A, "2020Q1", 0, "accepted", D(2020, 4, 10), dt.datetime(2020, 4, 10, 9)),
    _sub("A2", A, "2020Q2", 0, "accepted", D(2020, 7, 10), dt.datetime(2020, 7, 10, 9)),
    _sub("B1", B, "2020Q1", 0, "accepted", D(2020, 4, 10), dt.datetime(2020, 4, 10, 9)),
    _sub("B2", B, "2020Q2", 0, "accepted", D(2020, 7, 10), dt.datetime(2020, 7, 10, 9)),
    # A 2020Q3: on time (10-10 <= 10-15)
    _sub("A3", A, "2020Q3", 0, "accepted", D(2020, 10, 10), dt.datetime(2020, 10, 10, 9)),
    # A 2020Q4 original: on time, but superseded by A4c1
    _sub("A4c0", A, "2020Q4", 0, "accepted", D(2021, 1, 5), dt.datetime(2021, 1, 5, 9)),
    # A 2020Q4 correction 1: current; 报出日期 01-20 > deadline 01-15 -> late
    _sub("A4c1", A, "2020Q4", 1, "accepted_with_warnings", D(2021, 1, 20), dt.datetime(2021, 1, 20, 9)),
    # A 2020Q4 correction 2: rejected, ignored
    _sub("A4c2", A, "2020Q4", 2, "rejected", D(2021, 1, 25), dt.datetime(2021, 1, 25, 9)),
    # B 2020Q3: late (10-20 > 10-15)
    _sub("B3", B, "2020Q3", 0, "accepted", D(2020, 10, 20), dt.datetime(2020, 10, 20, 9)),
    # B 2020Q4: on time
    _sub("B4", B, "2020Q4", 0, "accepted", D(2021, 1, 10), dt.datetime(2021, 1, 10, 9)),
    # B 2021Q1: rejected, must not extend the spine
    _sub("B5", B, "2021Q1", 0, "rejected", D(2021, 4, 1), dt.datetime(2021, 4, 1, 9)),
]

# ---------------------------------------------------------------- 表1 units (template, then overrides)
_UNIT = dict(
    org_category="非公有制企业",
    control_type="私有经济控制",
    industry_section="C",
    reg_status="存续",
    operating=True,
    fixed_premises=True,
    employees=20,
    above_scale=False,
    legal_rep_member=False,
    legal_rep_secretary=False,
    members_formal=0,
    members_probationary=0,
    members_relation_elsewhere=0,
    party_status="未建立",
    party_org_code=None,
    instructor=False,
    first_secretary=False,
    has_union=False,
    has_youth_league=False,
    has_women_org=False,
    party_mass_dept=False,
    fulltime_party_workers=0,
)


def _u(uscc, name, **kw):
    row = dict(_UNIT, uscc=uscc, org_name=name)
    row.update(kw)
    return row


_Q4 = dict(investor_trained=False, inspection_result="合格", double_strong=False)
# Community A, Q4 (current A4c1).  U = a1 a2 a3 a4 a5 a6 a9 a10 a11 (a7 is 92…, a8 注销) = 9
# B = a1 a2 a3 a4(social) a5 a9 a10 = 7 (a6 no premises, a11 9 employees); E (formal>=3) = a1 a2 a3 a4 a10 = 5
A_UNITS_Q4 = [
    _u(
        "91330199A00000001A",
        "a1",
        employees=50,
        members_formal=5,
        party_status="单独建立",
        party_org_code="PO-A1",
        has_union=True,
        **dict(_Q4, investor_trained=True),
        payroll_prev_year=1000000,
        party_funds=5000,
    ),  # 0.5%
    _u(
        "91330199A00000002A",
        "a2",
        members_formal=4,
        party_status="联合建立",
        party_org_code="PO-AJ",
        instructor=True,
        **dict(_Q4, inspection_result="基本合格"),
    ),
    _u(
        "91330199A00000003A",
        "a3",
        employees=12,
        members_formal=3,
        party_status="未建立",
        has_youth_league=True,
        **dict(_Q4, inspection_result="未检"),
    ),
    _u(
        "51330199A00000004A",
        "a4",
        org_category="社会团体",
        control_type=None,
        operating=False,
        fixed_premises=False,
        employees=3,
        members_formal=4,
        party_status="功能型",
        party_org_code="PO-AF",
        **_Q4,
    ),
    _u(
        "91330199A00000005A",
        "a5",
        employees=15,
        members_formal=1,
        members_probationary=1,
        **dict(_Q4, inspection_result="不合格"),
    ),
    _u("91330199A00000006A", "a6", fixed_premises=False, employees=30, **_Q4),
    _u("92330199A00000007A", "a7", employees=10, **_Q4),
    _u(
        "91330199A00000008A",
        "a8",
        reg_status="注销",
        members_formal=3,
        party_status="单独建立",
        party_org_code="PO-A1",
        **_Q4,
    ),
    _u(
        "91330199A00000009A",
        "a9",
        employees=10,
        members_formal=2,
        party_status="挂靠",
        party_org_code="PO-A1",
        first_secretary=True,
        **_Q4,
    ),
    _u(
        "91330199A0000000AA",
        "a10",
        employees=10,
        members_formal=3,
        party_status="单独建立",
        party_org_code="PO-A10",
        **dict(_Q4, investor_trained=True),
        payroll_prev_year=500000,
        party_funds=10000,
    ),  # 2.0%
    _u(
        "91330199A0000000BA",
        "a11",
        employees=9,
        members_formal=1,
        party_status="单独建立",
        party_org_code="PO-A10",
        **_Q4,
        payroll_prev_year=100000,
        party_funds=3000,
    ),  # 3.0%
]
# A, Q3: a1 a2 a3 a5 -> U = B = 4, E = 3 (a1 a2 a3)
A_UNITS_Q3 = [
    _u("91330199A00000001A", "a1", employees=50, members_formal=5, party_status="单独建立", party_org_code="PO-A1"),
    _u("91330199A00000002A", "a2", members_formal=4, party_status="联合建立", party_org_code="PO-AJ"),
    _u("91330199A00000003A", "a3", employees=12, members_formal=3),
    _u("91330199A00000005A", "a5", employees=15, members_formal=1, members_probationary=1),
]
# A, Q4 original (superseded): would give K1 = 2/2
A_UNITS_Q4_ORIGINAL = [
    _u(
        "91330199A00000001A",
        "a1",
        employees=50,
        members_formal=5,
        party_status="单独建立",
        party_org_code="PO-A1",
        **_Q4,
    ),
    _u(
        "91330199A00000003A",
        "a3",
        employees=12,
        members_formal=3,
        party_status="单独建立",
        party_org_code="PO-A1",
        **_Q4,
    ),
]
# Community B, Q4: b1 (民非, social) b2 b3 (律所, social) b4 -> U = B = 4, E = b1 b2 b4 = 3
B_UNITS_Q4 = [
    _u(
        "52330199B00000001B",
        "b1",
        org_category="民办非企业单位",
        control_type=None,
        operating=False,
        fixed_premises=False,
        employees=5,
        members_formal=3,
        party_status="单独建立",
        party_org_code="PO-B1",
        **_Q4,
    ),
    _u(
        "91330199B00000002B",
        "b2",
        employees=100,
        members_formal=8,
        party_status="单独建立",
        party_org_code="PO-B2",
        **_Q4,
    ),
    _u("31330199B00000003B", "b3", org_category="律师事务所", control_type=None, employees=4, **_Q4),
    _u("91330199B00000004B", "b4", employees=11, members_formal=3, party_status="挂靠", party_org_code="PO-B2", **_Q4),
]
B_UNITS_Q3 = [dict(r, investor_trained=None, inspection_result=None, double_strong=None) for r in B_UNITS_Q4[:3]]

# ---------------------------------------------------------------- 表2 Party organizations
_PO = dict(
    org_type="党支部",
    formation_mode="单独组建",
    members_probationary=0,
    secretary_name="王*",
    secretary_birth_year=1980,
    secretary_sex="男",
    secretary_mode="选任",
    secretary_in_mgmt=False,
    deputies=0,
    party_workers=1,
    has_venue=True,
    general_meetings=0,
    committee_meetings=0,
    group_meetings=0,
    lectures=0,
    study_sessions=0,
)
_SIX = ("six_premises", "six_facilities", "six_signage", "six_flag", "six_books", "six_rules")


def _po(code, est, formal, sec, **kw):
    row = dict(
        _PO,
        party_org_code=code,
        party_org_name=f"{code}党支部",
        established_on=est,
        members_formal=formal,
        secretary_key=sec,
    )
    row.update(kw)
    return row


def _six(n):
    return {k: i < n for i, k in enumerate(_SIX)}


# Q1 / Q2: PO-A1 (A) and PO-B1, PO-B2 (B) pass K15 (general meeting, < 7 formal or 3 committee meetings)
A_PO_H1 = [_po("PO-A1", D(2015, 5, 1), 4, "S1", general_meetings=1)]
B_PO_H1 = [
    _po("PO-B1", D(2010, 1, 1), 3, "S6", general_meetings=1),
    _po("PO-B2", D(2012, 1, 1), 8, "S1", org_type="党总支", general_meetings=1, committee_meetings=3),
]
A_PO_Q3 = [
    _po("PO-A1", D(2015, 5, 1), 5, "S1", general_meetings=1, study_sessions=1, lectures=0),  # whole, K15 pass
    _po("PO-AF", D(2019, 1, 1), 4, "S3", formation_mode="功能型", general_meetings=0, lectures=1),  # whole, K15 fail
    _po("PO-A10", D(2020, 8, 15), 8, "S5", general_meetings=0),  # not whole in Q3
]
A_PO_Q4 = [
    _po(
        "PO-A1",
        D(2015, 5, 1),
        5,
        "S1",
        members_probationary=1,
        general_meetings=1,
        committee_meetings=3,
        lectures=1,
        study_sessions=1,
        org_life_meeting=True,
        appraisal_held=True,
        **_six(6),
    ),
    _po(
        "PO-AJ",
        D(2020, 11, 15),
        6,
        "S2",
        org_type="联合党支部",
        formation_mode="联合组建",
        org_life_meeting=False,
        appraisal_held=False,
        **_six(3),
    ),
    _po(
        "PO-AF",
        D(2019, 1, 1),
        4,
        "S3",
        formation_mode="功能型",
        general_meetings=1,
        study_sessions=1,
        org_life_meeting=False,
        appraisal_held=True,
        **_six(0),
    ),
    _po(
        "PO-A10",
        D(2020, 8, 15),
        8,
        "S4",
        general_meetings=1,
        committee_meetings=2,
        lectures=2,
        org_life_meeting=True,
        appraisal_held=False,
        **_six(6),
    ),
]
A_PO_Q4_ORIGINAL = [_po("PO-A1", D(2015, 5, 1), 5, "S9", general_meetings=1, study_sessions=1, **_six(6))]
B_PO_Q3 = [
    _po("PO-B1", D(2010, 1, 1), 3, "S6", general_meetings=1, study_sessions=1, lectures=0),
    _po("PO-B2", D(2012, 1, 1), 8, "S1", org_type="党总支", members_probationary=0, general_meetings=0),
]
B_PO_Q4 = [
    _po(
        "PO-B1",
        D(2010, 1, 1),
        3,
        "S6",
        general_meetings=1,
        study_sessions=1,
        lectures=1,
        org_life_meeting=True,
        appraisal_held=True,
        **_six(6),
    ),
    _po(
        "PO-B2",
        D(2012, 1, 1),
        8,
        "S1",
        org_type="党总支",
        members_probationary=1,
        general_meetings=1,
        committee_meetings=3,
        study_sessions=1,
        org_life_meeting=True,
        appraisal_held=True,
        **_six(5),
    ),
]

# ---------------------------------------------------------------- 表3 member flows
_MF = dict(
    opening=0,
    developed=0,
    restored=0,
    transferred_in=0,
    in_mobile=0,
    in_whole_unit=0,
    exited=0,
    suspended=0,
    deceased=0,
    transferred_out=0,
    out_whole_unit=0,
    revealed=0,
    absorbed=0,
    difference_note=None,
)


def _mf(code, opening, closing, **kw):
    row = dict(_MF, party_org_code=code, opening=opening, closing_should=closing, closing_actual=closing)
    row.update(kw)
    return row


A_MF_H1 = [_mf("PO-A1", 4, 4)]  # Q1 opening: A 4
B_MF_H1 = [_mf("PO-B1", 3, 3), _mf("PO-B2", 8, 8)]  # Q1 opening: B 11
A_MF_Q3 = [  # M = 5 + 8 = 13 (PO-AF functional excluded), opening 4, K7a 1
    _mf("PO-A1", 4, 5, developed=1),
    _mf("PO-AF", 4, 4, developed=5, revealed=5),
    _mf("PO-A10", 0, 8, transferred_in=8, in_whole_unit=8),
]
A_MF_Q4 = [  # M = 6 + 6 + 8 = 20, opening 13, K7a 1, K7b 1, K7c 1, K7d 1
    _mf("PO-A1", 5, 6, developed=1, transferred_in=1, in_mobile=1, revealed=1, exited=1),
    _mf("PO-AJ", 0, 6, transferred_in=6, in_whole_unit=6, absorbed=1),
    _mf("PO-AF", 4, 4, developed=2, revealed=3, absorbed=3),
    _mf("PO-A10", 8, 8),
]
A_MF_Q4_ORIGINAL = [_mf("PO-A1", 5, 14, developed=9)]
B_MF_Q3 = [_mf("PO-B1", 3, 3), _mf("PO-B2", 8, 8)]  # M 11, K7a 0
B_MF_Q4 = [_mf("PO-B1", 3, 3), _mf("PO-B2", 8, 9, developed=1)]  # M 12, opening 11, K7a 1

# ---------------------------------------------------------------- 表4 trainings / 表5 attendance


def _t(code, level, ttype, start):
    return dict(
        training_code=code,
        training_name=f"{code}培训",
        organizer_level=level,
        organizer="主办单位",
        training_type=ttype,
        start_on=start,
        end_on=start,
        hours=4.0,
    )


def _a(code, person, role, org=None):
    return dict(
        training_code=code,
        person_name="王*",
        person_key=person,
        person_birth_year=1980,
        person_sex="男",
        role=role,
        party_org_code=org,
        uscc=None,
    )


A_T_Q3 = [_t("T-D1", "区级", "任职培训", D(2020, 8, 1))]
A_A_Q3 = [_a("T-D1", "S1", "书记", "PO-A1"), _a("T-D1", "S5", "书记", "PO-A10")]
# A's own classes: 主办单位 = A's register name (K10 credits the organizer, D82)
A_T_Q4 = [
    dict(_t("T-C1", "社区党总支", "党务干部培训", D(2020, 11, 1)), organizer="金桥社区党总支"),
    dict(_t("T-C2", "社区党总支", "出资人培训", D(2020, 11, 2)), organizer="金桥社区党总支"),
    _t("T-O1", "本党组织", "党员学习", D(2020, 11, 3)),
]
A_A_Q4 = [_a("T-O1", "S2", "书记", "PO-AJ"), _a("T-C1", "S3", "书记", "PO-AF"), _a("T-C2", "P1", "出资人")]
B_T_Q4 = [_t("T-D1", "区级", "任职培训", D(2020, 10, 20)), _t("T-D2", "区级", "集中培训", D(2020, 11, 20))]
B_A_Q4 = [_a("T-D1", "S4", "书记", "PO-A10"), _a("T-D2", "S6", "党员")]
A_T_Q4_ORIGINAL = [_t("T-C9", "社区党总支", "党务干部培训", D(2020, 11, 1))]

# ---------------------------------------------------------------- 表6 mobile members


def _m(person, direction, verified, host, cert, status="在流动"):
    return dict(
        person_name="赵*",
        person_key=person,
        person_birth_year=1990,
        person_sex="女",
        direction=direction,
        since=D(2020, 5, 1),
        home_org="某党支部",
        uscc="91330199A00000001A" if direction == "流入" else None,
        host_party_org_code=host,
        registered_on=D(2020, 5, 2),
        verified_on=verified,
        certificate=cert,
        status=status,
    )


A_MM_Q4 = [
    _m("M1", "流入", D(2020, 5, 3), "PO-A1", True),
    _m("M2", "流入", None, None, False),
    _m("M3", "流出", None, None, True),
    _m("M4", "流出", None, None, False, "已返回"),
]
B_MM_Q4 = [_m("M5", "流入", D(2020, 6, 1), None, True)]

DATA = {
    "A1": dict(party_orgs=A_PO_H1, member_flows=A_MF_H1),
    "A2": dict(party_orgs=A_PO_H1, member_flows=A_MF_H1),
    "B1": dict(party_orgs=B_PO_H1, member_flows=B_MF_H1),
    "B2": dict(party_orgs=B_PO_H1, member_flows=B_MF_H1),
    "A3": dict(organizations=A_UNITS_Q3, party_orgs=A_PO_Q3, member_flows=A_MF_Q3, trainings=A_T_Q3, attendance=A_A_Q3),
    "A4c0": dict(
        organizations=A_UNITS_Q4_ORIGINAL,
        party_orgs=A_PO_Q4_ORIGINAL,
        member_flows=A_MF_Q4_ORIGINAL,
        trainings=A_T_Q4_ORIGINAL,
    ),
    "A4c1": dict(
        organizations=A_UNITS_Q4,
        party_orgs=A_PO_Q4,
        member_flows=A_MF_Q4,
        trainings=A_T_Q4,
        attendance=A_A_Q4,
        mobile_members=A_MM_Q4,
    ),
    "B3": dict(organizations=B_UNITS_Q3, party_orgs=B_PO_Q3, member_flows=B_MF_Q3),
    "B4": dict(
        organizations=B_UNITS_Q4,
        party_orgs=B_PO_Q4,
        member_flows=B_MF_Q4,
        trainings=B_T_Q4,
        attendance=B_A_Q4,
        mobile_members=B_MM_Q4,
    ),
}


def _insert(con, table, columns, rows):
    names = [c for c, _ in columns]
    placeholders = ", ".join("?" for _ in names)
    for r in rows:
        unknown = set(r) - set(names)
        assert not unknown, f"{table}: unknown columns {unknown}"
        con.execute(f"insert into {table} ({', '.join(names)}) values ({placeholders})", [r.get(n) for n in names])


def create_raw(db_path: Path) -> None:
    """Create raw.* with the forms.py columns and insert the hand-made returns."""
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create schema if not exists raw")
        tables = {"submissions": SUBMISSION_COLUMNS, "rule_hits": RULE_HIT_COLUMNS}
        for f in forms.DATA_FORMS:
            tables[f.key] = [(c, t) for c, t, _ in forms.raw_columns(f)]
        for name, cols in tables.items():
            con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        _insert(con, "raw.submissions", SUBMISSION_COLUMNS, SUBMISSIONS)
        _insert(
            con,
            "raw.rule_hits",
            RULE_HIT_COLUMNS,
            [
                dict(
                    submission_id="A4c2",
                    rule_id="F4",
                    severity="E",
                    sheet="表1 两新组织情况",
                    row=2,
                    column_header="从业人员数",
                    value="3.5",
                    message="[F4] 应为非负整数",
                    cell="I2",
                ),
                dict(
                    submission_id="A4c1",
                    rule_id="P4",
                    severity="W",
                    sheet=None,
                    row=None,
                    column_header=None,
                    value="2021-01-20",
                    message="[P4] 晚于报送截止日期",
                    cell=None,
                ),
            ],
        )
        by_id = {s["submission_id"]: s for s in SUBMISSIONS}
        for sid, content in DATA.items():
            s = by_id[sid]
            for key, rows in content.items():
                f = forms.FORMS_BY_KEY[key]
                cols = tables[key]
                lineage = dict(
                    submission_id=sid,
                    unit_code=s["unit_code"],
                    period=s["period"],
                    correction_no=s["correction_no"],
                    source_sheet=f.sheet,
                )
                _insert(con, f"raw.{key}", cols, [dict(lineage, source_row=i + 2, **r) for i, r in enumerate(rows)])
    finally:
        con.close()


def dbt_executable() -> str:
    """dbt beside this interpreter (the venv's bin/), else on PATH — the same rule as the pipeline's."""
    from liangxin.defs.dbt import dbt_executable as _dbt

    return _dbt()


def run_dbt_build(db_path: Path, work: Path) -> subprocess.CompletedProcess:
    """`dbt build` on db_path; target and logs go to `work` so concurrent runs do not collide."""
    env = dict(os.environ, LIANGXIN_DUCKDB=str(db_path), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    cmd = [
        dbt_executable(),
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    return subprocess.run(cmd, env=env, cwd=str(DBT_PROJECT), capture_output=True, text=True, timeout=900)


def load_world(db_path: Path, world) -> None:
    """Load a generated world (liangxin.generator) straight into raw.* — no Excel, no validation.

    Every return becomes one accepted submission (correction 0); citizen IDs become ``upper(trim(id))`` as the
    person key (what the HMAC is computed from, so equality is preserved).
    """
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create schema if not exists raw")
        tables = {"submissions": SUBMISSION_COLUMNS, "rule_hits": RULE_HIT_COLUMNS}
        for f in forms.DATA_FORMS:
            tables[f.key] = [(c, t) for c, t, _ in forms.raw_columns(f)]
        for name, cols in tables.items():
            con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        rows: dict[str, list[tuple]] = {name: [] for name in tables}
        for (unit, period), ret in sorted(world.returns.items()):
            cover = ret["cover"][0] if isinstance(ret["cover"], list) else ret["cover"]
            sid = f"{unit}-{period}"
            sub = dict(
                cover,
                submission_id=sid,
                original_name=f"{sid}.xlsx",
                received_at=dt.datetime.combine(cover["submitted_on"], dt.time(9)),
                size_bytes=1,
                outcome="accepted",
                error_count=0,
                warning_count=0,
                format="xlsx",
            )
            rows["submissions"].append(tuple(sub.get(c) for c, _ in SUBMISSION_COLUMNS))
            for f in forms.DATA_FORMS:
                for i, r in enumerate(ret.get(f.key, ())):
                    r = dict(
                        r,
                        submission_id=sid,
                        unit_code=unit,
                        period=period,
                        correction_no=0,
                        source_sheet=f.sheet,
                        source_row=i + 2,
                    )
                    for fld in f.fields:
                        if fld.pii == forms.PII_ID:
                            v = r.get(fld.name)
                            r[fld.name[: -len("_id")] + "_key"] = str(v).strip().upper() if v is not None else None
                    rows[f.key].append(tuple(r.get(c) for c, _ in tables[f.key]))
        import pandas as pd  # bulk insert (executemany is row by row)

        for name, data in rows.items():
            if data:
                cols = [c for c, _ in tables[name]]
                data = [tuple(str(v) if isinstance(v, Decimal) else v for v in row) for row in data]
                frame = pd.DataFrame(data, columns=cols, dtype=object)  # noqa: F841 (scanned by DuckDB)
                casts = ", ".join(f"cast(frame.{c} as {t}) as {c}" for c, t in tables[name])
                con.execute(f"insert into raw.{name} select {casts} from frame")
    finally:
        con.close()
