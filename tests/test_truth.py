"""The indicator oracle on a hand-made tiny world; every expected value is worked out by hand below.

World
=====
District D=330199; street S1=330199001 holds C1=330199001001 and C2=330199001002; street S2=330199002 holds
C3=330199002001.  Periods 2020Q3, 2020Q4, 2021Q1..2021Q4: only 2021 is a complete year (yearly values);
C3 has no return for 2020Q3 (D7); C2's 2021Q2 return is late; C1's 2021Q4 return is on the deadline day.

C1 units (表1)  cat      emp  formal/prob  status            org   extras
  a1            ent      120  5/1          单独建立          P1    union, youth, legal rep member+secretary, 私有,
                                                                   payroll 1,000,000 funds 20,000 (= 2 %), investor, 合格
  a2            ent       60  4/0          联合建立          J1    instructor, women, 港澳台, payroll/funds (ignored), 基本合格
  a3            ent       12  1/1          联合建立          J1    私有, investor, 未检
  a4            ent       15  0/0          挂靠              P1    first secretary, 外商, 不合格
  a5            ent       30  3/0          未建立 (2021Q4: 单独建立 P2, payroll 0)  legal rep member, 私有, investor, 合格
  a6            ent        8  0/0          未建立                  union (not in B: < 10 employees)
  a7            92-prefix 50  3/0          未建立                  not in U
  a8            ent 注销   50  4/0          未建立                  not in U
  s1            社会团体    5  3/0          功能型            F1    (social ⇒ in B), 合格
  s2            民办非企业  20  1/1          未建立                  union, 合格
  U = 8, B = {a1..a5, s1, s2} = 7, E = {a1, a2, a5, s1} = 4.
C1 Party orgs: P1 党总支 est 2015-05-01 formal 7, sec A, meetings g1 c3 (2021Q2: c2) lect 1 study 1;
  J1 联合党支部 est 2020-08-15 formal 3, sec B, g1 c0 lect 0 (2021Q3: 1) study 1;
  F1 党支部/功能型 est 2018-01-01 formal 2, sec C, g1 lect 1 study 1 (2021Q1: g0 study 0);
  P2 (2021Q4 only) 党支部 est 2021-11-01 formal 3, sec D, g1 study 0.
  Q4: P1 life+appraisal, 6 items; J1 life, 4 items; F1 nothing, 0 items; P2 life, 6 items.
C2 units: b1 ent emp 10 formal 2 联合建立 J2, instructor, 私有, 合格; b2 基金会 emp 3 联合建立 J2 (J2 is a mixed joint branch),
  合格; b3 律师事务所 emp 25 formal 4: 2020 未建立, 2021 单独建立 P3, 不合格; b4 ent emp 200 未建立 no members,
  union, 港澳台, investor, 未检.   U = B = 4, E = {b3}.
C2 orgs: J2 联合党支部 est 2019-03-01 formal 2, sec B (same person as J1's; ID written lower-case + spaces),
  g1 c0 lect 0 study 1 (2021Q2 study 0), Q4 life+appraisal 6 items; P3 (2021) 党支部 est 2021-02-10 formal 4,
  sec G, g1 c1 lect 1 study 1, Q4 life+appraisal 5 items.
C3 units (from 2020Q4): c1 ent emp 50 formal 7/2 单独建立 P4 instructor, union/youth/women, legal rep member,
  外商, payroll 200,000 funds 1,000 (= 0.5 %), 合格; c2 ent emp 40 not operating (U, not B); c3 社会团体 吊销
  (not U); c4 ent emp 100 formal 3 单独建立 P5, legal rep member+secretary, 私有, payroll 300,000 funds 9,000
  (3 %), investor, 未检; c5 ent emp 20 0/1 未建立, women, 私有, 合格.   U = 4, B = {c1, c4, c5}, E = {c1, c4}.
C3 orgs: P4 党委 est 2010-01-01 formal 7 prob 2, sec E, g1 c3 lect 0 (2021Q4: 2) study 1, Q4 life+appraisal
  6 items; P5 党支部 est 2019-06-01 formal 3, sec H, g1 c0 lect 1 in 2021Q1 only, study 1, Q4 life, 3 items.
表3 (non-functional orgs; F1 develops 5 in 2020Q4 and 1 in 2021Q4, all excluded):
  C1 2020Q3 P1 7→7, J1 0→3 (in 3, mobile 1) | 2020Q4 P1 7→8 (dev 1), J1 3→3 | 2021Q1 P1 8→8 (revealed 1),
     J1 3→2 (out 1) | 2021Q2 P1 8→10 (dev 2, absorbed 1), J1 2→2 | 2021Q3 P1 10→9 (deceased 1), J1 2→3 (restored 1)
     | 2021Q4 P1 9→10 (in 2 mobile 2, exited 1), J1 3→should 2 (out 1 whole-unit 1) actual 3, P2 0→3 (in 3 whole-unit 3)
  C2 J2 2→2 always; P3 2021Q1 0→4 (in 4), 2021Q2 4→5 (dev 1), then 5→5.
  C3 P4 9→9 always (2021Q2 dev 1 + out 1); P5 3→3.
Training 2021 (community classes name their organizer's register name as 主办单位): TD1 区级 集中培训 listed by C1 (A as 书记) and C3 (E and G as 书记), both 2021Q2; TO1 本党组织 任职培训
  in C2 2021Q2 (B as 书记); TC1 社区党总支 党务干部培训 in C1 2021Q3 (B as 党务工作者, C as 副书记); TC2 社区党总支
  出资人培训 in C1 2021Q4 (an investor); TC3 社区党总支 党务干部培训 in C2 2021Q1; TD2 区级 党务干部培训 in C3 2021Q3.
  2020Q4: T20 区级 任职培训 in C1 (C as 书记): 2020 is not a complete year, no effect on 2021.
  trained(2021) = {A, B, E, G}; K9b-trained (as 书记, 任职/集中, run at 区级/街道/社区党总支) = {A, E, G}.
Mobile ledger: C1 every quarter m1 流入 verified hosted certificate, m2 流入 nothing, m3 流出 certificate 失去联系;
  C3 m4 流出 no certificate.   Quotas: C1 2020 2 / 2021 4; C2 1 / 2; C3 1 / 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from liangxin.checks import id_check_char, uscc_check_char
from liangxin.truth import compute_annual_truth, compute_truth

D, S1, S2 = "330199", "330199001", "330199002"
C1, C2, C3 = "330199001001", "330199001002", "330199002001"
ENT = "非公有制企业"
PERIODS = ["2020Q3", "2020Q4", "2021Q1", "2021Q2", "2021Q3", "2021Q4"]
DEADLINES = {
    "2020Q3": dt.date(2020, 10, 15),
    "2020Q4": dt.date(2021, 1, 15),
    "2021Q1": dt.date(2021, 4, 15),
    "2021Q2": dt.date(2021, 7, 15),
    "2021Q3": dt.date(2021, 10, 15),
    "2021Q4": dt.date(2022, 1, 15),
}


def uscc(prefix: str, n: int) -> str:
    body = f"{prefix}330199{n:09d}"
    return body + uscc_check_char(body)


def cid(n: int) -> str:
    body = f"33010219800101{n:03d}"
    return body + id_check_char(body)


def cid_with_x() -> str:
    for n in range(1000):
        if cid(n).endswith("X"):
            return cid(n)
    raise AssertionError


SEC = {k: cid(i) for i, k in enumerate("ACDEGH", start=1)}
SEC["B"] = cid_with_x()
INVESTOR = cid(99)


def unit(prefix, n, category, **kw):
    row = dict(
        uscc=uscc(prefix, n),
        org_name=f"单位{n}",
        org_category=category,
        control_type="私有经济控制" if category == ENT else None,
        industry_section="C",
        reg_status="存续",
        operating=True,
        fixed_premises=True,
        employees=10,
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
        payroll_prev_year=None,
        party_funds=None,
        investor_trained=False,
        inspection_result="合格",
        double_strong=False,
    )
    row.update(kw)
    return row


def org(code, org_type, mode, est, formal, sec, prob=0, six=0, life=None, appraisal=None, **kw):
    row = dict(
        party_org_code=code,
        party_org_name=f"{code}党组织",
        org_type=org_type,
        formation_mode=mode,
        established_on=est,
        members_formal=formal,
        members_probationary=prob,
        secretary_name="王*",
        secretary_id=sec,
        secretary_mode="选任",
        secretary_in_mgmt=True,
        deputies=0,
        party_workers=1,
        has_venue=True,
        general_meetings=1,
        committee_meetings=0,
        group_meetings=0,
        lectures=0,
        study_sessions=1,
        org_life_meeting=life,
        appraisal_held=appraisal,
        appraisal_participants=0,
        appraisal_unqualified=0,
        dues_refund=None,
        fiscal_support=None,
        award_subsidy=None,
    )
    names = ("six_premises", "six_facilities", "six_signage", "six_flag", "six_books", "six_rules")
    for i, name in enumerate(names):
        row[name] = True if i < six else None
    row.update(kw)
    return row


def flow(code, opening, actual=None, **kw):
    row = dict(
        party_org_code=code,
        opening=opening,
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
    row.update(kw)
    should = (
        opening
        + row["developed"]
        + row["restored"]
        + row["transferred_in"]
        - row["exited"]
        - row["suspended"]
        - row["deceased"]
        - row["transferred_out"]
    )
    row["closing_should"] = should
    row["closing_actual"] = should if actual is None else actual
    return row


def event(code, level, ttype, period):
    start = {
        "Q1": dt.date(2021, 2, 1),
        "Q2": dt.date(2021, 5, 10),
        "Q3": dt.date(2021, 8, 1),
        "Q4": dt.date(2021, 11, 1),
    }[period[4:]]
    if period.startswith("2020"):
        start = start.replace(year=2020)
    return dict(
        training_code=code,
        training_name=code,
        organizer_level=level,
        organizer="某单位",
        training_type=ttype,
        start_on=start,
        end_on=start,
        hours=4.0,
    )


def attend(code, pid, role, party_org_code=None, uscc_=None):
    return dict(
        training_code=code, person_name="李*", person_id=pid, role=role, party_org_code=party_org_code, uscc=uscc_
    )


def mobile(pid, direction, verified=None, host=None, certificate=False, status="在流动"):
    return dict(
        person_name="张*",
        person_id=pid,
        direction=direction,
        since=dt.date(2020, 1, 1),
        home_org="外地党支部",
        uscc=uscc("91", 1) if direction == "流入" else None,
        host_party_org_code=host,
        registered_on=dt.date(2020, 7, 1),
        verified_on=verified,
        certificate=certificate,
        status=status,
    )


def cover(unit_code, period, submitted):
    return dict(
        unit_code=unit_code,
        unit_name="社区",
        period=period,
        template_version="LX-Q-2020.1",
        correction_no=0,
        correction_reason=None,
        filled_by="王*",
        approved_by="李*",
        phone="138****8000",
        submitted_on=submitted,
    )


def c1_return(p):
    q4_21 = p == "2021Q4"
    a5 = (
        dict(
            party_status="单独建立", party_org_code="P2", payroll_prev_year=Decimal("0.00"), party_funds=Decimal("0.00")
        )
        if q4_21
        else {}
    )
    units = [
        unit(
            "91",
            1,
            ENT,
            employees=120,
            members_formal=5,
            members_probationary=1,
            party_status="单独建立",
            party_org_code="P1",
            has_union=True,
            has_youth_league=True,
            legal_rep_member=True,
            legal_rep_secretary=True,
            payroll_prev_year=Decimal("1000000.00"),
            party_funds=Decimal("20000.00"),
            investor_trained=True,
        ),
        unit(
            "91",
            2,
            ENT,
            employees=60,
            members_formal=4,
            party_status="联合建立",
            party_org_code="J1",
            instructor=True,
            has_women_org=True,
            control_type="港澳台商经济控制",
            payroll_prev_year=Decimal("500000.00"),
            party_funds=Decimal("5000.00"),
            inspection_result="基本合格",
        ),
        unit(
            "91",
            3,
            ENT,
            employees=12,
            members_formal=1,
            members_probationary=1,
            party_status="联合建立",
            party_org_code="J1",
            investor_trained=True,
            inspection_result="未检",
        ),
        unit(
            "91",
            4,
            ENT,
            employees=15,
            party_status="挂靠",
            party_org_code="P1",
            first_secretary=True,
            control_type="外商经济控制",
            inspection_result="不合格",
        ),
        unit("91", 5, ENT, employees=30, members_formal=3, legal_rep_member=True, investor_trained=True, **a5),
        unit("91", 6, ENT, employees=8, has_union=True),
        unit("92", 7, ENT, employees=50, members_formal=3),
        unit("91", 8, ENT, employees=50, members_formal=4, reg_status="注销"),
        unit(
            "51",
            9,
            "社会团体",
            employees=5,
            members_formal=3,
            party_status="功能型",
            party_org_code="F1",
            operating=False,
            control_type=None,
        ),
        unit(
            "52",
            10,
            "民办非企业单位",
            employees=20,
            members_formal=1,
            members_probationary=1,
            has_union=True,
            control_type=None,
        ),
    ]
    orgs = [
        org(
            "P1",
            "党总支",
            "单独组建",
            dt.date(2015, 5, 1),
            7,
            SEC["A"],
            six=6,
            life=True,
            appraisal=True,
            committee_meetings=2 if p == "2021Q2" else 3,
            lectures=1,
        ),
        org(
            "J1",
            "联合党支部",
            "联合组建",
            dt.date(2020, 8, 15),
            3,
            SEC["B"],
            six=4,
            life=True,
            appraisal=False,
            lectures=1 if p == "2021Q3" else 0,
        ),
        org(
            "F1",
            "党支部",
            "功能型",
            dt.date(2018, 1, 1),
            2,
            SEC["C"],
            six=0,
            life=False,
            appraisal=False,
            lectures=1,
            general_meetings=0 if p == "2021Q1" else 1,
            study_sessions=0 if p == "2021Q1" else 1,
        ),
    ]
    if q4_21:
        orgs.append(
            org(
                "P2",
                "党支部",
                "单独组建",
                dt.date(2021, 11, 1),
                3,
                SEC["D"],
                six=6,
                life=True,
                appraisal=False,
                study_sessions=0,
            )
        )
    flows = {
        "2020Q3": [flow("P1", 7), flow("J1", 0, transferred_in=3, in_mobile=1), flow("F1", 2)],
        "2020Q4": [
            flow("P1", 7, developed=1),
            flow("J1", 3),
            flow("F1", 2, developed=5, actual=2, difference_note="x"),
        ],
        "2021Q1": [flow("P1", 8, revealed=1), flow("J1", 3, transferred_out=1), flow("F1", 2)],
        "2021Q2": [flow("P1", 8, developed=2, absorbed=1), flow("J1", 2), flow("F1", 2)],
        "2021Q3": [flow("P1", 10, deceased=1), flow("J1", 2, restored=1), flow("F1", 2)],
        "2021Q4": [
            flow("P1", 9, transferred_in=2, in_mobile=2, exited=1),
            flow("J1", 3, actual=3, transferred_out=1, out_whole_unit=1, difference_note="待核"),
            flow("F1", 2, developed=1, actual=2, difference_note="x"),
            flow("P2", 0, transferred_in=3, in_whole_unit=3),
        ],
    }[p]
    trainings, attendance = [], []
    if p == "2020Q4":
        trainings = [event("T20", "区级", "任职培训", p)]
        attendance = [attend("T20", SEC["C"], "书记", "F1")]
    elif p == "2021Q2":
        trainings = [event("TD1", "区级", "集中培训", p)]
        attendance = [attend("TD1", " " + SEC["A"] + " ", "书记", "P1")]
    elif p == "2021Q3":
        trainings = [event("TC1", "社区党总支", "党务干部培训", p)]
        attendance = [attend("TC1", SEC["B"], "党务工作者", "J1"), attend("TC1", SEC["C"], "副书记", "F1")]
    elif q4_21:
        trainings = [event("TC2", "社区党总支", "出资人培训", p)]
        attendance = [attend("TC2", INVESTOR, "出资人", uscc_=uscc("91", 1))]
    mob = [
        mobile(cid(201), "流入", verified=dt.date(2020, 7, 10), host="P1", certificate=True),
        mobile(cid(202), "流入"),
        mobile(cid(203), "流出", certificate=True, status="失去联系"),
    ]
    for t in trainings:
        if t["organizer_level"] == "社区党总支":
            t["organizer"] = f"{C1}社区党总支"  # C1's own classes (K10 credits the organizer)
    submitted = DEADLINES[p] if q4_21 else DEADLINES[p] - dt.timedelta(days=5)
    return dict(
        cover=cover(C1, p, submitted),
        organizations=units,
        party_orgs=orgs,
        member_flows=flows,
        trainings=trainings,
        attendance=attendance,
        mobile_members=mob,
    )


def c2_return(p):
    y2021 = p.startswith("2021")
    b3 = dict(party_status="单独建立", party_org_code="P3") if y2021 else {}
    units = [
        unit(
            "91", 11, ENT, employees=10, members_formal=2, party_status="联合建立", party_org_code="J2", instructor=True
        ),
        unit(
            "53",
            12,
            "基金会",
            employees=3,
            party_status="联合建立",
            party_org_code="J2",
            operating=False,
            fixed_premises=False,
            control_type=None,
        ),
        unit(
            "31", 13, "律师事务所", employees=25, members_formal=4, inspection_result="不合格", control_type=None, **b3
        ),
        unit(
            "91",
            14,
            ENT,
            employees=200,
            has_union=True,
            control_type="港澳台商经济控制",
            investor_trained=True,
            inspection_result="未检",
        ),
    ]
    sec_b = " " + SEC["B"].lower() + " "  # same person as J1's secretary
    orgs = [
        org(
            "J2",
            "联合党支部",
            "联合组建",
            dt.date(2019, 3, 1),
            2,
            sec_b,
            six=6,
            life=True,
            appraisal=True,
            study_sessions=0 if p == "2021Q2" else 1,
        )
    ]
    flows = [flow("J2", 2)]
    if y2021:
        orgs.append(
            org(
                "P3",
                "党支部",
                "单独组建",
                dt.date(2021, 2, 10),
                4 if p == "2021Q1" else 5,
                SEC["G"],
                six=5,
                life=True,
                appraisal=True,
                committee_meetings=1,
                lectures=1,
            )
        )
        flows.append(
            {"2021Q1": flow("P3", 0, transferred_in=4), "2021Q2": flow("P3", 4, developed=1)}.get(p, flow("P3", 5))
        )
    trainings, attendance = [], []
    if p == "2021Q1":
        trainings = [event("TC3", "社区党总支", "党务干部培训", p)]
    elif p == "2021Q2":
        trainings = [event("TO1", "本党组织", "任职培训", p)]
        attendance = [attend("TO1", sec_b, "书记", "J2")]
    submitted = dt.date(2021, 7, 20) if p == "2021Q2" else DEADLINES[p] - dt.timedelta(days=3)
    for t in trainings:
        if t["organizer_level"] == "社区党总支":
            t["organizer"] = f"{C2}社区党总支"  # C2's own class (K10 credits the organizer)
    return dict(
        cover=cover(C2, p, submitted),
        organizations=units,
        party_orgs=orgs,
        member_flows=flows,
        trainings=trainings,
        attendance=attendance,
        mobile_members=[],
    )


def c3_return(p):
    units = [
        unit(
            "91",
            21,
            ENT,
            employees=50,
            members_formal=7,
            members_probationary=2,
            party_status="单独建立",
            party_org_code="P4",
            instructor=True,
            has_union=True,
            has_youth_league=True,
            has_women_org=True,
            legal_rep_member=True,
            control_type="外商经济控制",
            payroll_prev_year=Decimal("200000.00"),
            party_funds=Decimal("1000.00"),
        ),
        unit("91", 22, ENT, employees=40, operating=False),
        unit("51", 23, "社会团体", members_formal=3, reg_status="吊销", control_type=None),
        unit(
            "91",
            24,
            ENT,
            employees=100,
            members_formal=3,
            party_status="单独建立",
            party_org_code="P5",
            legal_rep_member=True,
            legal_rep_secretary=True,
            payroll_prev_year=Decimal("300000.00"),
            party_funds=Decimal("9000.00"),
            investor_trained=True,
            inspection_result="未检",
        ),
        unit("91", 25, ENT, employees=20, members_probationary=1, has_women_org=True),
    ]
    orgs = [
        org(
            "P4",
            "党委",
            "单独组建",
            dt.date(2010, 1, 1),
            7,
            SEC["E"],
            prob=2,
            six=6,
            life=True,
            appraisal=True,
            committee_meetings=3,
            lectures=2 if p == "2021Q4" else 0,
        ),
        org(
            "P5",
            "党支部",
            "单独组建",
            dt.date(2019, 6, 1),
            3,
            SEC["H"],
            six=3,
            life=True,
            appraisal=False,
            lectures=1 if p == "2021Q1" else 0,
        ),
    ]
    flows = [flow("P4", 9, developed=1, transferred_out=1) if p == "2021Q2" else flow("P4", 9), flow("P5", 3)]
    trainings, attendance = [], []
    if p == "2021Q2":
        trainings = [event("TD1", "区级", "集中培训", p)]
        attendance = [attend("TD1", SEC["E"], "书记", "P4"), attend("TD1", SEC["G"], "书记", "P3")]
    elif p == "2021Q3":
        trainings = [event("TD2", "区级", "党务干部培训", p)]
    return dict(
        cover=cover(C3, p, DEADLINES[p] - dt.timedelta(days=1)),
        organizations=units,
        party_orgs=orgs,
        member_flows=flows,
        trainings=trainings,
        attendance=attendance,
        mobile_members=[mobile(cid(204), "流出")],
    )


class TinyWorld:
    def __init__(self):
        def reg(code, street, street_name):
            return dict(
                unit_code=code,
                unit_name=f"{code}社区党总支",
                street_code=street,
                street_name=street_name,
                district_code=D,
                district_name="示范区",
            )

        self.communities = [reg(C1, S1, "东湖街道"), reg(C2, S1, "东湖街道"), reg(C3, S2, "西溪街道")]
        self.periods = list(PERIODS)
        self.returns = {}
        for p in PERIODS:
            self.returns[(C1, p)] = c1_return(p)
            self.returns[(C2, p)] = c2_return(p)
            if p != "2020Q3":
                self.returns[(C3, p)] = c3_return(p)
        self.quotas = {(C1, 2020): 2, (C1, 2021): 4, (C2, 2020): 1, (C2, 2021): 2, (C3, 2020): 1, (C3, 2021): 0}
        self.deadlines = dict(DEADLINES)


@pytest.fixture(scope="module")
def truth():
    recs = compute_truth(TinyWorld())
    idx = {}
    for r in recs:
        key = (r["indicator_id"], r["level"], r["entity_code"], r["period"])
        assert key not in idx, key
        idx[key] = r
    return idx


LEVEL = {C1: "community", C2: "community", C3: "community", S1: "street", S2: "street", D: "district"}


def ratio(idx, ind, entity, period, num, den):
    r = idx[(ind, LEVEL[entity], entity, period)]
    assert (r["numerator"], r["denominator"]) == (num, den), (ind, entity, period, r)
    if den == 0:
        assert r["value"] is None
    else:
        assert r["null_reason"] is None
        # exact decimal rounded once (half up) at 10 places, as stored in the warehouse (D81)
        assert r["value"] == (Decimal(num) / Decimal(den)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)


def count(idx, ind, entity, period, n):
    r = idx[(ind, LEVEL[entity], entity, period)]
    assert (r["numerator"], r["denominator"], r["value"]) == (n, None, n), (ind, entity, period, r)
    assert type(r["value"]) is int


# ---------------------------------------------------------------- coverage, quarterly
def test_coverage_2020q3(truth):
    # C1: B=7, E=4; K1 a1; K2 a1 a2 a3 a4; K3b joint a2, functional s1, none a5;
    # K4 covered 4 + s1 (功能型) + s2 (union) = 6; K5 covered {a1..a4} with instructor/first secretary: a2, a4
    for ind, n in (
        ("N_U", 8),
        ("N_B", 7),
        ("N_E", 4),
        ("K3b", 3),
        ("K3b_joint", 1),
        ("K3b_functional", 1),
        ("K3b_none", 1),
    ):
        count(truth, ind, C1, "2020Q3", n)
    ratio(truth, "K1", C1, "2020Q3", 1, 7)
    ratio(truth, "K2", C1, "2020Q3", 4, 7)
    ratio(truth, "K3", C1, "2020Q3", 1, 4)
    ratio(truth, "K4", C1, "2020Q3", 6, 7)
    ratio(truth, "K5", C1, "2020Q3", 2, 4)
    ratio(truth, "K6_union", C1, "2020Q3", 2, 7)  # a1, s2 (a6 not in B)
    ratio(truth, "K6_youth", C1, "2020Q3", 1, 7)
    ratio(truth, "K6_women", C1, "2020Q3", 1, 7)
    # C2 2020: B=4 (b1 has exactly 10 employees), E={b3} 未建立; K2 b1 b2; K4 b1 b2 b4(union); K5 b1 of {b1,b2}
    ratio(truth, "K1", C2, "2020Q3", 0, 4)
    ratio(truth, "K2", C2, "2020Q3", 2, 4)
    ratio(truth, "K3", C2, "2020Q3", 0, 1)
    count(truth, "K3b_none", C2, "2020Q3", 1)
    ratio(truth, "K4", C2, "2020Q3", 3, 4)
    ratio(truth, "K5", C2, "2020Q3", 1, 2)
    # street S1 = district (C3 has no return): sums, not averages (1/7 and 0/4 -> 1/11)
    for e in (S1, D):
        ratio(truth, "K1", e, "2020Q3", 1, 11)
        ratio(truth, "K2", e, "2020Q3", 6, 11)
        ratio(truth, "K3", e, "2020Q3", 1, 5)
        count(truth, "K3b", e, "2020Q3", 4)
        count(truth, "K3b_none", e, "2020Q3", 2)
        ratio(truth, "K4", e, "2020Q3", 9, 11)
        ratio(truth, "K5", e, "2020Q3", 3, 6)
    # S2: nothing below -> no record (D7) except K20
    assert [k for k in truth if k[2] == S2 and k[3] == "2020Q3"] == [("K20", "street", S2, "2020Q3")]


def test_missing_return_has_only_k20(truth):
    c3_2020q3 = [k for k in truth if k[2] == C3 and k[3] == "2020Q3"]
    assert c3_2020q3 == [("K20", "community", C3, "2020Q3")]
    ratio(truth, "K20", C3, "2020Q3", 0, 1)
    ratio(truth, "K20", S2, "2020Q3", 0, 1)
    ratio(truth, "K20", S1, "2020Q3", 2, 2)
    ratio(truth, "K20", D, "2020Q3", 2, 3)


def test_k20_late_and_on_deadline(truth):
    ratio(truth, "K20", C2, "2021Q2", 0, 1)  # 2021-07-20 > 2021-07-15
    ratio(truth, "K20", C1, "2021Q4", 1, 1)  # submitted on the deadline day
    ratio(truth, "K20", S1, "2021Q2", 1, 2)
    ratio(truth, "K20", D, "2021Q2", 2, 3)
    assert ("K20", "district", D, "2021") not in truth  # quarterly only


def test_coverage_2021q4_and_yearly(truth):
    # C1 Q4: a5 单独建立 -> K1 2/7, K2 5/7, K3 2/4, K3b joint a2 + functional s1, K4 7/7, K5 a2 a4 of 5
    for period in ("2021Q4", "2021"):
        ratio(truth, "K1", C1, period, 2, 7)
        ratio(truth, "K2", C1, period, 5, 7)
        ratio(truth, "K3", C1, period, 2, 4)
        count(truth, "K3b", C1, period, 2)
        count(truth, "K3b_none", C1, period, 0)
        ratio(truth, "K4", C1, period, 7, 7)
        ratio(truth, "K5", C1, period, 2, 5)
    ratio(truth, "K1", C1, "2021Q3", 1, 7)
    # C2 2021: K1 b3 1/4, K2 3/4, K3 1/1, K4 4/4, K5 b1 of {b1 b2 b3} 1/3;  C3: B=3, E=2
    ratio(truth, "K1", C2, "2021", 1, 4)
    ratio(truth, "K5", C2, "2021", 1, 3)
    ratio(truth, "K1", C3, "2021", 2, 3)
    ratio(truth, "K3", C3, "2021", 2, 2)
    ratio(truth, "K4", C3, "2021", 3, 3)  # c5 via women's organization
    ratio(truth, "K6_women", C3, "2021", 2, 3)
    # S1 = C1 + C2, district = all three
    ratio(truth, "K1", S1, "2021", 3, 11)
    ratio(truth, "K2", S1, "2021", 8, 11)
    for ind, n in (("N_U", 16), ("N_B", 14), ("N_E", 7), ("K3b", 2), ("K3b_joint", 1), ("K3b_functional", 1)):
        count(truth, ind, D, "2021", n)
    ratio(truth, "K1", D, "2021", 5, 14)
    ratio(truth, "K2", D, "2021", 10, 14)
    ratio(truth, "K3", D, "2021", 5, 7)
    ratio(truth, "K4", D, "2021", 14, 14)
    ratio(truth, "K5", D, "2021", 4, 10)
    ratio(truth, "K6_union", D, "2021", 4, 14)
    ratio(truth, "K6_youth", D, "2021", 2, 14)
    ratio(truth, "K6_women", D, "2021", 3, 14)


# ---------------------------------------------------------------- membership
def test_members_quarterly(truth):
    # C1 2020Q3: P1 7 + J1 3 = 10 (F1 excluded), openings 7 -> K8 3, K8r 3/7; K7b 1
    count(truth, "M", C1, "2020Q3", 10)
    count(truth, "K8", C1, "2020Q3", 3)
    ratio(truth, "K8r", C1, "2020Q3", 3, 7)
    count(truth, "K7b", C1, "2020Q3", 1)
    count(truth, "K7", C1, "2020Q3", 1)
    # 2020Q4: F1's 5 developed are excluded -> K7a 1
    count(truth, "K7a", C1, "2020Q4", 1)
    count(truth, "M", C1, "2020Q4", 11)
    # 2021Q1: J1 loses one -> M 10, K8 -1, K8r -1/11
    count(truth, "K8", C1, "2021Q1", -1)
    ratio(truth, "K8r", C1, "2021Q1", -1, 11)
    count(truth, "K7c", C1, "2021Q1", 1)
    # 2021Q4: P1 10 + J1 3 (actual) + P2 3 = 16; openings 9 + 3 + 0 = 12
    count(truth, "M", C1, "2021Q4", 16)
    count(truth, "K8", C1, "2021Q4", 4)
    ratio(truth, "K8r", C1, "2021Q4", 4, 12)
    count(truth, "K7b", C1, "2021Q4", 2)
    # C2 2021Q1: J2 2 + P3 4 = 6, opening 2
    ratio(truth, "K8r", C2, "2021Q1", 4, 2)
    # district 2021Q2: K7a = 2 (C1) + 1 (C2) + 1 (C3)
    count(truth, "K7a", D, "2021Q2", 4)
    count(truth, "M", D, "2021Q2", 12 + 7 + 12)


def test_members_yearly(truth):
    # C1 2021: M = Q4 16; K7a 2, K7b 2, K7c 1, K7d 1, K7 6; K8 span 16 - Q1 openings 11 = 5
    count(truth, "M", C1, "2021", 16)
    for ind, n in (("K7a", 2), ("K7b", 2), ("K7c", 1), ("K7d", 1), ("K7", 6), ("K8", 5)):
        count(truth, ind, C1, "2021", n)
    ratio(truth, "K8r", C1, "2021", 5, 11)
    # C2: 7 - 2 = 5, K8r 5/2; C3: 12 - 12 = 0
    count(truth, "K8", C2, "2021", 5)
    ratio(truth, "K8r", C2, "2021", 5, 2)
    ratio(truth, "K8r", C3, "2021", 0, 12)
    count(truth, "M", S1, "2021", 23)
    count(truth, "M", D, "2021", 35)
    count(truth, "K7", D, "2021", 8)
    count(truth, "K7a", D, "2021", 4)
    count(truth, "K8", D, "2021", 10)
    ratio(truth, "K8r", D, "2021", 10, 25)


def test_k7q_year_to_date(truth):
    ratio(truth, "K7q", C1, "2020Q3", 0, 2)
    ratio(truth, "K7q", C1, "2020Q4", 1, 2)
    ratio(truth, "K7q", C1, "2021Q1", 0, 4)  # YTD restarts in January
    ratio(truth, "K7q", C1, "2021Q2", 2, 4)
    ratio(truth, "K7q", C1, "2021Q3", 2, 4)
    ratio(truth, "K7q", C1, "2021", 2, 4)
    ratio(truth, "K7q", C2, "2021", 1, 2)
    ratio(truth, "K7q", C3, "2021", 1, 0)  # quota 0 -> None
    ratio(truth, "K7q", S2, "2021", 1, 0)
    ratio(truth, "K7q", C3, "2020Q4", 0, 1)
    ratio(truth, "K7q", D, "2020Q4", 1 + 0 + 0, 2 + 1 + 1)
    ratio(truth, "K7q", D, "2021", 4, 6)


# ---------------------------------------------------------------- training
def test_training(truth):
    # secretaries 2021: C1 {A,B,C,D}, C2 {B,G}, C3 {E,H}; trained {A,B,E,G}; K9b (revision 2: as 书记 at a
    # 任职/集中培训 run at 区级/街道/社区党总支) {A,E,G}: B's 任职培训 was run by his own organization (本党组织)
    ratio(truth, "K9", C1, "2021", 2, 4)
    ratio(truth, "K9b", C1, "2021", 1, 4)
    ratio(truth, "K9", C2, "2021", 2, 2)  # G trained at an event listed only by C3
    ratio(truth, "K9b", C2, "2021", 1, 2)
    ratio(truth, "K9", C3, "2021", 1, 2)
    ratio(truth, "K9b", C3, "2021", 1, 2)
    ratio(truth, "K9", S1, "2021", 3, 5)  # B counted once
    ratio(truth, "K9b", S1, "2021", 2, 5)
    ratio(truth, "K9", D, "2021", 4, 7)
    ratio(truth, "K9b", D, "2021", 3, 7)
    assert ("K9", "community", C1, "2021Q2") not in truth
    assert not any(k[3] == "2020" for k in truth)  # 2020 is not a complete year
    # K10: C1 organised both community classes (主办单位 = its register name), C2 only the cadre class, C3 none
    ratio(truth, "K10", C1, "2021", 1, 1)
    ratio(truth, "K10", C2, "2021", 0, 1)
    ratio(truth, "K10", C3, "2021", 0, 1)
    ratio(truth, "K10", S1, "2021", 1, 2)
    ratio(truth, "K10", D, "2021", 1, 3)
    # K12: TD1 listed by C1 and C3 is one event; TD2 is not 任职/集中
    count(truth, "K12", C1, "2021", 1)
    count(truth, "K12", C2, "2021", 0)
    count(truth, "K12", C3, "2021", 1)
    count(truth, "K12", S1, "2021", 1)
    count(truth, "K12", D, "2021", 1)
    # K11 (Q4): B enterprises C1 a1..a5 investors a1 a3 a5; C2 b1 b4 -> b4; C3 c1 c4 c5 -> c4
    ratio(truth, "K11", C1, "2021", 3, 5)
    ratio(truth, "K11", C2, "2021", 1, 2)
    ratio(truth, "K11", S1, "2021", 4, 7)
    ratio(truth, "K11", D, "2021", 5, 10)


# ---------------------------------------------------------------- organization life
def test_org_life_quarterly(truth):
    # C1 2020Q3: J1 founded 08-15 -> not whole quarter; P1, F1 pass
    ratio(truth, "K13", C1, "2020Q3", 2, 2)
    ratio(truth, "K15", C1, "2020Q3", 2, 2)
    ratio(truth, "K13", C1, "2021Q1", 2, 3)  # F1 no study
    ratio(truth, "K15", C1, "2021Q1", 2, 3)  # F1 no general meeting
    ratio(truth, "K15", C1, "2021Q2", 2, 3)  # P1 has 7 formal members and only 2 committee meetings
    ratio(truth, "K13", C1, "2021Q4", 3, 3)  # P2 (founded 11-01) is not in the denominator
    ratio(truth, "K13", C2, "2021Q1", 1, 1)  # P3 founded 02-10
    ratio(truth, "K13", C2, "2021Q2", 1, 2)
    ratio(truth, "K13", D, "2021Q1", 5, 6)
    ratio(truth, "K15", D, "2021Q2", 6, 7)
    ratio(truth, "K15", S1, "2021Q2", 4, 5)
    assert ("K13", "district", D, "2021") not in truth


def test_org_life_yearly(truth):
    # K14 denominators: founded before 10-01 (C1: P1 J1 F1; C2: J2 P3; C3: P4 P5)
    ratio(truth, "K14a", C1, "2021", 2, 3)
    ratio(truth, "K14b", C1, "2021", 1, 3)
    ratio(truth, "K14a", D, "2021", 6, 7)
    ratio(truth, "K14b", D, "2021", 4, 7)
    # K15y: C1 only J1 (P1 fails Q2, F1 fails Q1); C2 only P3 (J2 no lecture); C3 both
    ratio(truth, "K15y", C1, "2021", 1, 3)
    ratio(truth, "K15y", C2, "2021", 1, 2)
    ratio(truth, "K15y", C3, "2021", 2, 2)
    ratio(truth, "K15y", S1, "2021", 2, 5)
    ratio(truth, "K15y", D, "2021", 4, 7)
    # K16 over all orgs of the Q4 return (P2 included): C1 6,4,0,6 items; C2 6,5; C3 6,3
    ratio(truth, "K16", C1, "2021", 2, 4)
    ratio(truth, "K16m", C1, "2021", 16, 4)
    ratio(truth, "K16", D, "2021", 4, 8)
    ratio(truth, "K16m", D, "2021", 36, 8)
    assert truth[("K16m", "district", D, "2021")]["value"] == 4.5


# ---------------------------------------------------------------- funds, mobile, inspection
def test_funds_mobile_inspection(truth):
    # K17: a1 exactly 2 % (compliant, flagged); a5 payroll 0 excluded; a2 not 单独建立; c1 0.5 % ok; c4 3 % not
    ratio(truth, "K17", C1, "2021", 1, 1)
    count(truth, "K17f", C1, "2021", 1)
    ratio(truth, "K17", C2, "2021", 0, 0)
    ratio(truth, "K17", C3, "2021", 1, 2)
    count(truth, "K17f", C3, "2021", 0)
    ratio(truth, "K17", D, "2021", 2, 3)
    count(truth, "K17f", D, "2021", 1)
    # K18 family: C1 inflow m1 (verified, hosted, certificate), m2; outflow m3 certificate; C3 outflow m4
    for p in ("2020Q3", "2021Q2", "2021"):
        ratio(truth, "K18", C1, p, 1, 2)
        ratio(truth, "K18b", C1, p, 1, 2)
        ratio(truth, "K18c_in", C1, p, 1, 2)
        ratio(truth, "K18c_out", C1, p, 0, 0)  # m3 is 失去联系: not a 在流动 row of the stock
        count(truth, "K18e", C1, p, 1)
        ratio(truth, "K18", C2, p, 0, 0)
    ratio(truth, "K18c_out", C3, "2021", 0, 1)
    ratio(truth, "K18", D, "2021", 1, 2)
    ratio(truth, "K18c_out", D, "2021", 0, 1)
    count(truth, "K18e", D, "2021", 1)
    ratio(truth, "K18c_out", S2, "2020Q4", 0, 1)
    # K19: C1 B inspected a1 a2 a4 a5 s1 s2 (a3 未检), 合格 a1 a5 s1 s2; C2 b1 b2 b3 -> b1 b2; C3 c1 c5
    ratio(truth, "K19", C1, "2021", 4, 6)
    ratio(truth, "K19", C2, "2021", 2, 3)
    ratio(truth, "K19", C3, "2021", 2, 2)
    ratio(truth, "K19", S1, "2021", 6, 9)
    ratio(truth, "K19", D, "2021", 8, 11)


def test_record_shape(truth):
    # every quarterly id for every period at street/district (S2 from 2020Q4: C3's first return); yearly 2021 only
    for p in PERIODS:
        for ind in ("M", "K1", "K13", "K15", "K20", "K7q", "K18c_out"):
            assert (ind, "district", D, p) in truth
            assert ((ind, "street", S2, p) in truth) == (p != "2020Q3" or ind == "K20")
        for ind in ("K9", "K11", "K14a", "K16", "K17", "K19", "K12", "K10", "K15y"):
            assert (ind, "district", D, p) not in truth
    for ind in ("K9", "K9b", "K10", "K11", "K12", "K14a", "K14b", "K15y", "K16", "K16m", "K17", "K17f", "K19"):
        assert (ind, "community", C3, "2021") in truth
    assert len({k[0] for k in truth}) == 55


# ---------------------------------------------------------------- annual return
def test_table_one():
    t1 = compute_annual_truth(TinyWorld(), 2021)["t1"]
    c1 = {
        "上年底总数": 11,
        "本年增加合计": 8,
        "发展党员": 2,
        "恢复党籍": 1,
        "转入组织关系": 5,
        "其中整建制转入": 3,
        "本年减少合计": 4,
        "出党": 1,
        "停止党籍": 0,
        "死亡": 1,
        "转出组织关系": 2,
        "其中整建制转出": 1,
        "本年底应有数": 15,
        "本年底实有数": 16,
        "实有数与应有数之差": 1,
    }
    assert t1[C1] == c1
    total = {
        "上年底总数": 25,
        "本年增加合计": 14,
        "发展党员": 4,
        "恢复党籍": 1,
        "转入组织关系": 9,
        "其中整建制转入": 3,
        "本年减少合计": 5,
        "出党": 1,
        "停止党籍": 0,
        "死亡": 1,
        "转出组织关系": 3,
        "其中整建制转出": 1,
        "本年底应有数": 34,
        "本年底实有数": 35,
        "实有数与应有数之差": 1,
    }
    assert t1["总计"] == total
    # C1 and C3 organizations are enterprise ones; C2's J2 covers b1 (enterprise) and b2 (foundation): not all
    # social -> enterprise (J2: opening 2, no flows, closing 2); only P3 (law firm) is social
    assert t1["非公有制企业"] == {
        "上年底总数": 25,
        "本年增加合计": 9,
        "发展党员": 3,
        "恢复党籍": 1,
        "转入组织关系": 5,
        "其中整建制转入": 3,
        "本年减少合计": 5,
        "出党": 1,
        "停止党籍": 0,
        "死亡": 1,
        "转出组织关系": 3,
        "其中整建制转出": 1,
        "本年底应有数": 29,
        "本年底实有数": 30,
        "实有数与应有数之差": 1,
    }
    assert t1["社会组织"] == {
        "上年底总数": 0,
        "本年增加合计": 5,
        "发展党员": 1,
        "恢复党籍": 0,
        "转入组织关系": 4,
        "其中整建制转入": 0,
        "本年减少合计": 0,
        "出党": 0,
        "停止党籍": 0,
        "死亡": 0,
        "转出组织关系": 0,
        "其中整建制转出": 0,
        "本年底应有数": 5,
        "本年底实有数": 5,
        "实有数与应有数之差": 0,
    }
    assert t1[S1]["上年底总数"] == 13 and t1[S1]["本年底实有数"] == 23


def zero_row():
    return {
        c: 0
        for c in (
            "总数",
            "从业人员50人以上",
            "从业人员100人以上",
            "法定代表人是党员的",
            "其中兼任企业党组织书记的",
            "私有经济控制",
            "港澳台商经济控制",
            "外商经济控制",
        )
    }


def test_table_two_community():
    t2 = compute_annual_truth(TinyWorld(), 2021)["t2"][C1]
    # B enterprises: a1 (120, lrm+sec, 私有, 党总支), a2 (60, 港澳台, joint J1, 4 formal, instructor),
    # a3 (12, 私有, joint J1, 1+1), a4 (15, 外商, 挂靠 to P1), a5 (30, lrm, 私有, 党支部 P2, 3 formal)
    tot = {r: t2[r]["总数"] for r in t2}
    assert tot == {
        "单位数": 5,
        "党建工作指导员联系的": 1,
        "已单独建立党组织": 2,
        "建立党委的": 0,
        "建立总支部的": 1,
        "建立支部的": 1,
        "已建立联合党支部的": 3,
        "其中具有3名以上党员的": 1,
        "联合党支部数": 1,
        "未建立党组织": 0,
        "应建尚未建立党组织的": 0,
        "仅有个别党员的": 0,
        "没有党员的": 0,
        "从业人员": 237,
        "其中党员": 15,
    }
    assert t2["单位数"] == {
        "总数": 5,
        "从业人员50人以上": 2,
        "从业人员100人以上": 1,
        "法定代表人是党员的": 2,
        "其中兼任企业党组织书记的": 1,
        "私有经济控制": 3,
        "港澳台商经济控制": 1,
        "外商经济控制": 1,
    }
    # J1 covers a2 (港澳台, USCC …002W) and a3 (私有, …0030): D46 puts it under the smallest USCC's control type
    assert t2["联合党支部数"] == {**zero_row(), "总数": 1, "从业人员50人以上": 1, "港澳台商经济控制": 1}
    assert t2["已建立联合党支部的"]["外商经济控制"] == 1  # a4 (挂靠) counted here, but P1 is no joint branch
    assert t2["从业人员"]["私有经济控制"] == 162 and t2["其中党员"]["私有经济控制"] == 11
    assert t2["从业人员"]["法定代表人是党员的"] == 150 and t2["其中党员"]["法定代表人是党员的"] == 9


def test_table_two_district():
    t2 = compute_annual_truth(TinyWorld(), 2021)["t2"][D]
    # + C2: b1 (10, 私有, joint J2, instructor, 2 formal), b4 (200, 港澳台, 未建立, no members)
    # + C3: c1 (50, 外商, 党委, lrm, instructor, 9 members), c4 (100, 私有, 党支部, lrm+sec, 3), c5 (20, 私有, 未建立, 0+1)
    tot = {r: t2[r]["总数"] for r in t2}
    assert tot == {
        "单位数": 10,
        "党建工作指导员联系的": 3,
        "已单独建立党组织": 4,
        "建立党委的": 1,
        "建立总支部的": 1,
        "建立支部的": 2,
        "已建立联合党支部的": 4,
        "其中具有3名以上党员的": 1,
        "联合党支部数": 2,
        "未建立党组织": 2,
        "应建尚未建立党组织的": 0,
        "仅有个别党员的": 1,
        "没有党员的": 1,
        "从业人员": 617,
        "其中党员": 30,
    }
    assert t2["单位数"] == {
        "总数": 10,
        "从业人员50人以上": 5,
        "从业人员100人以上": 3,
        "法定代表人是党员的": 4,
        "其中兼任企业党组织书记的": 2,
        "私有经济控制": 6,
        "港澳台商经济控制": 2,
        "外商经济控制": 2,
    }
    assert t2["联合党支部数"]["私有经济控制"] == 1  # J2 via b1 (J1 belongs to a2's 港澳台, D46)
    assert t2["联合党支部数"]["总数"] == sum(
        t2["联合党支部数"][c] for c in ("私有经济控制", "港澳台商经济控制", "外商经济控制")
    )
    assert t2["从业人员"]["私有经济控制"] == 292 and t2["其中党员"]["私有经济控制"] == 17
    assert t2["建立党委的"] == {
        **zero_row(),
        "总数": 1,
        "从业人员50人以上": 1,
        "法定代表人是党员的": 1,
        "外商经济控制": 1,
    }
    assert t2["没有党员的"] == {
        **zero_row(),
        "总数": 1,
        "从业人员50人以上": 1,
        "从业人员100人以上": 1,
        "港澳台商经济控制": 1,
    }


def test_missing_returns_in_a_complete_year():
    # drop C2 2021Q1 and C3 2021Q4
    world = TinyWorld()
    del world.returns[(C2, "2021Q1")], world.returns[(C3, "2021Q4")]
    idx = {(r["indicator_id"], r["level"], r["entity_code"], r["period"]): r for r in compute_truth(world)}
    # span needs Q1 and Q4; sum needs any quarter: C2 K7a = Q2 1 + Q3 0 + Q4 0
    assert ("K8", "community", C2, "2021") not in idx and ("K8r", "community", C2, "2021") not in idx
    count(idx, "K7a", C2, "2021", 1)
    count(idx, "M", C2, "2021", 7)
    # Q4 / ytd need Q4; year-rule values exist (K15y population empty without Q4)
    assert ("K1", "community", C3, "2021") not in idx and ("K7q", "community", C3, "2021") not in idx
    count(idx, "K7a", C3, "2021", 1)
    ratio(idx, "K15y", C3, "2021", 0, 0)
    ratio(idx, "K9", C3, "2021", 1, 2)
    count(idx, "K12", C3, "2021", 1)
    ratio(idx, "K10", C3, "2021", 0, 1)
    # street S2: no Q4-rule record, sums of what exists otherwise
    assert ("K1", "street", S2, "2021") not in idx
    ratio(idx, "K15y", S2, "2021", 0, 0)
    # district: only the records that exist are summed
    count(idx, "K8", D, "2021", 5)
    ratio(idx, "K8r", D, "2021", 5, 11)
    ratio(idx, "K1", D, "2021", 3, 11)
    ratio(idx, "K15y", D, "2021", 2, 5)
    ratio(idx, "K7q", D, "2021", 3, 6)
    ratio(idx, "K10", D, "2021", 1, 3)
    ratio(idx, "K20", D, "2021Q4", 2, 3)
    ratio(idx, "K20", D, "2021Q1", 2, 3)
    assert [k for k in idx if k[2] == C2 and k[3] == "2021Q1"] == [("K20", "community", C2, "2021Q1")]


def test_annual_rows_need_returns():
    world = TinyWorld()
    for q in (1, 2, 3, 4):
        del world.returns[(C3, f"2021Q{q}")]
    del world.returns[(C2, "2021Q4")]
    annual = compute_annual_truth(world, 2021)
    assert set(annual["t1"]) == {"总计", "非公有制企业", "社会组织", S1, C1, C2}
    assert set(annual["t2"]) == {D, S1, C1}
    # 总计 = C1 + C2 without its Q4: 上年底 11 + 2, 实有 16 + 0
    assert annual["t1"]["总计"]["上年底总数"] == 13 and annual["t1"]["总计"]["本年底实有数"] == 16
    assert annual["t2"][D]["单位数"]["总数"] == 5
