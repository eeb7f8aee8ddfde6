"""Indicators of spec revision 2, tested FROM THE SPEC (shared/spec/kpis.md, returns.md), not from the code.

One small hand-made district is loaded straight into raw.* (as tests/dbt_fixture.py does) and built with the real
dbt project; every expected value below is derived by hand from the rows written here, with the arithmetic in a
comment, and must be what BOTH the warehouse (marts.fct_indicators) and the independent oracle
(liangxin.truth.compute_truth) say.  Finally the two are compared record by record.

Each test is one example from issue 13 ("Why"):
  * K10 credits the community that organised a class, not the one that listed it as attended;
  * K9b counts only attendance AS 书记 at a 任职/集中培训 run above the organization, so K9b ≤ K9;
  * K20 is judged on the FIRST accepted receipt (a correction never makes an on-time community late; receipt day
    in Asia/Shanghai; a backfill is judged by its 报出日期);
  * a unit listed by two communities (same USCC) counts in each community and once above them;
  * stale rows of 表6 (已返回 / 已转接关系) are not counted as the stock; 失去联系 is K18e;
  * the four batches are disjoint, so K7 = K7a + K7b + K7c + K7d counts persons;
  * published values carry no float noise (a K1 change of 3/10 − 2/10 is exactly 0.1);
  * collected fields now feed indicators: K6b, K21, K22, K22w, K23, K24; and K7e/K7f/K7g are NULL with the reason
    未采集 for returns on a template that does not collect them (2020.1), never 0.

World (register: the 60 communities of seeds/communities.csv; only three of them report)
====================================================================================
A  = 330199001001 金桥社区党总支 (street S1 = 330199001 东湖街道, 7 communities in the register)
A2 = 330199001002 银杏社区党总支 (street S1)
B  = 330199002001 兰亭社区党总支 (street S2 = 330199002 西溪街道, 7 communities)
Periods 2020Q4 (template LX-Q-2020.1) and 2021Q1–2021Q4 (LX-Q-2021.1): 2021 is the only complete year.
Units (表1, every quarter unless said; all enterprises 实体运营 with 固定经营场所):
  A : uA1 emp 30, formal 4, 单独建立 PA1, union, above_scale, 党群工作部, 专职 2, 双强六好 (Q4), applicants 5,
          activists 2, 未转入关系 2
      uA2 emp 20, formal 1, 联合建立 JA, no mass organization, above_scale (no 党群工作部), applicants 3, activists 1
      uA3 emp 15, no member, 未建立, applicants 4, activists 3, developed_here 1 in 2021Q2 (0 otherwise)
      DUP emp 12, 未建立                       (also listed by B, with emp 8)
      DUP2 emp 12, 未建立                      (also listed by A2, identical row)
  A2: DUP2 and c1..c9 emp 10 with a union; 单独建立 (own org code, not in 表2): c1 c2 in 2020Q4, c1 c2 c3 from 2021Q1
  B : uB1 emp 50, formal 8, 单独建立 PB1, union, above_scale (no 党群工作部), 专职 1, not 双强六好, applicants 10,
          activists 4, 未转入关系 3
      DUP emp 8 (so NOT in B in B's own listing), 未建立
Party organizations (表2): A: PA1 党支部 单独组建 (secretary SA1, 书记是管理层成员, has venue), JA 联合党支部 联合组建
  (secretary SA2, not in management, no venue); B: PB1 党总支 单独组建 (SB1, not in management, venue); A2: none.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

import dbt_fixture as fx
from liangxin import checks, forms, seeds, truth

pytestmark = pytest.mark.slow

A, A2, B = "330199001001", "330199001002", "330199002001"
S1, S2, DIST = "330199001", "330199002", "330199"
PERIODS = ("2020Q4", "2021Q1", "2021Q2", "2021Q3", "2021Q4")
D = dt.date


def uscc(prefix: str, n: int) -> str:
    body = f"{prefix}330199MA{n:07d}"
    return body + checks.uscc_check_char(body)


def pid(n: int) -> str:
    body = f"3301021980010{n:04d}"
    return body + checks.id_check_char(body)


U_A1, U_A2, U_A3, U_DUP, U_DUP2, U_B1 = (uscc("91", n) for n in (1, 2, 3, 4, 5, 6))
U_C = [uscc("91", 10 + i) for i in range(1, 10)]
SA1, SA2, SB1, MEMBER = pid(1), pid(2), pid(3), pid(4)


def new(period, value):
    """A 2021.1 field: blank (not collected) on the 2020.1 template."""
    return None if period < "2021Q1" else value


def unit(u, period, **kw):
    row = dict(
        uscc=u,
        org_name=f"单位{u[-4:]}",
        org_category="非公有制企业",
        control_type="私有经济控制",
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
        investor_trained=None,
        inspection_result=None,
        double_strong=None,
        applicants=new(period, 0),
        activists=new(period, 0),
        developed_here=new(period, 0),
    )
    q4 = period.endswith("Q4")
    if q4:
        row.update(investor_trained=False, inspection_result="合格", double_strong=False)
    for k, v in kw.items():
        row[k] = new(period, v) if k in ("applicants", "activists", "developed_here") else v
    if not q4:
        row["double_strong"] = None
    return row


def org(code, otype, mode, sec, formal, mgmt, venue):
    return dict(
        party_org_code=code,
        party_org_name=f"{code}党组织",
        org_type=otype,
        formation_mode=mode,
        established_on=D(2015, 1, 1),
        members_formal=formal,
        members_probationary=0,
        secretary_name="王*",
        secretary_id=sec,
        secretary_mode="选任",
        secretary_in_mgmt=mgmt,
        deputies=0,
        party_workers=1,
        has_venue=venue,
        general_meetings=1,
        committee_meetings=3,
        group_meetings=0,
        lectures=1,
        study_sessions=1,
    )


def flow(code, n, **kw):
    row = dict(
        party_org_code=code,
        opening=n,
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
    row["closing_should"] = row["closing_actual"] = (
        n + row["developed"] + row["restored"] + row["transferred_in"] - row["exited"] - row["transferred_out"]
    )
    return row


def event(code, level, ttype, period, organizer, organizer_code=None):
    start = {"Q1": D(2021, 2, 1), "Q2": D(2021, 5, 10), "Q3": D(2021, 8, 1), "Q4": D(2021, 11, 1)}[period[4:]]
    return dict(
        training_code=code,
        training_name=code,
        organizer_level=level,
        organizer=organizer,
        organizer_code=new(period, organizer_code),
        training_type=ttype,
        start_on=start,
        end_on=start,
        hours=4.0,
    )


def attend(code, person, role, org_code=None):
    return dict(training_code=code, person_name="王*", person_id=person, role=role, party_org_code=org_code, uscc=None)


def mobile(n, direction, u, status, verified=True, host=None):
    return dict(
        person_name="赵*",
        person_id=pid(100 + n),
        direction=direction,
        since=D(2020, 6, 1),
        home_org="外地党支部",
        uscc=u if direction == "流入" else None,
        host_party_org_code=host,
        registered_on=D(2020, 6, 2),
        verified_on=D(2020, 6, 3) if verified else None,
        certificate=True,
        status=status,
    )


def return_a(p):
    units = [
        unit(
            U_A1,
            p,
            employees=30,
            members_formal=4,
            party_status="单独建立",
            party_org_code="PA1",
            has_union=True,
            above_scale=True,
            party_mass_dept=True,
            fulltime_party_workers=2,
            applicants=5,
            activists=2,
            members_relation_elsewhere=2,
            double_strong=True,
        ),
        unit(
            U_A2,
            p,
            employees=20,
            members_formal=1,
            party_status="联合建立",
            party_org_code="JA",
            above_scale=True,
            applicants=3,
            activists=1,
        ),
        unit(U_A3, p, employees=15, applicants=4, activists=3, developed_here=1 if p == "2021Q2" else 0),
        unit(U_DUP, p, employees=12),
        unit(U_DUP2, p, employees=12),
    ]
    orgs = [
        org("PA1", "党支部", "单独组建", SA1, 4, True, True),
        org("JA", "联合党支部", "联合组建", SA2, 1, False, False),
    ]
    # 2021Q1: one person in each batch (disjoint: returns.md 表3) -> K7a..K7d = 1 each, K7 = 4
    flows = [
        flow("PA1", 4, developed=1, transferred_in=1, in_mobile=1, revealed=1, absorbed=1, exited=2)
        if p == "2021Q1"
        else flow("PA1", 4),
        flow("JA", 1),
    ]
    trainings, attendance = [], []
    if p == "2021Q2":
        trainings = [
            event("TDA", "区级", "党务干部培训", p, "区委组织部"),
            event("TOA", "本党组织", "任职培训", p, "PA1党组织"),
        ]
        attendance = [attend("TDA", SA1, "书记", "PA1"), attend("TOA", SA1, "书记", "PA1")]
    if p == "2021Q3":  # B's two classes, listed by A as attended (B's own returns do not list them)
        trainings = [
            event("TCB1", "社区党总支", "党务干部培训", p, "兰亭社区党总支", B),
            event("TCB2", "社区党总支", "出资人培训", p, "兰亭社区党总支", B),
        ]
        attendance = [attend("TCB1", SA2, "书记", "JA")]
    ledger = [mobile(1, "流入", U_A1, "在流动", host="PA1"), mobile(3, "流出", None, "失去联系")]
    if p == "2021Q1":
        ledger.append(mobile(2, "流入", U_A1, "已返回"))  # changed this quarter: listed once, never counted
    return dict(
        organizations=units,
        party_orgs=orgs,
        member_flows=flows,
        trainings=trainings,
        attendance=attendance,
        mobile_members=ledger,
    )


def return_a2(p):
    alone = 2 if p == "2020Q4" else 3
    units = [unit(U_DUP2, p, employees=12)] + [
        unit(
            u,
            p,
            party_status="单独建立" if i < alone else "未建立",
            party_org_code=f"PC{i}" if i < alone else None,
            has_union=True,
        )
        for i, u in enumerate(U_C)
    ]
    return dict(organizations=units)


def return_b(p):
    units = [
        unit(
            U_B1,
            p,
            employees=50,
            members_formal=8,
            party_status="单独建立",
            party_org_code="PB1",
            has_union=True,
            above_scale=True,
            fulltime_party_workers=1,
            applicants=10,
            activists=4,
            members_relation_elsewhere=3,
        ),
        unit(U_DUP, p, employees=8),
    ]
    trainings, attendance = [], []
    if p == "2021Q2":
        trainings = [event("TDB", "区级", "集中培训", p, "区委组织部")]
        attendance = [attend("TDB", SB1, "书记", "PB1"), attend("TDB", SA2, "党员", "JA")]
    ledger = [mobile(10 + i, "流入", U_B1, "在流动", verified=i < 2) for i in range(4)]
    return dict(
        organizations=units,
        party_orgs=[org("PB1", "党总支", "单独组建", SB1, 8, False, True)],
        member_flows=[flow("PB1", 8)],
        trainings=trainings,
        attendance=attendance,
        mobile_members=ledger,
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def submissions():
    """(submission_id, unit, period, correction_no, submitted_on, received_at (naive UTC), backfill, content)."""
    dl = seeds.deadlines()
    subs = []
    builders = {A: return_a, A2: return_a2, B: return_b}
    for p in PERIODS:
        for u, build in builders.items():
            sub_on = dl[p] - dt.timedelta(days=5)
            received, backfill = _at(sub_on, 1), False  # 09:00 in Shanghai, the day it is dated
            if p == "2021Q1" and u == B:
                # dated on the deadline (04-15) but received 04-15 17:00 UTC = 04-16 01:00 in Shanghai: late
                sub_on, received = dl[p], _at(dl[p], 17)
            if p in ("2021Q1", "2021Q2") and u == A2:
                received = dt.datetime(2026, 12, 1, 2)  # loaded years later …
                backfill = p == "2021Q1"  # … Q1 flagged as a historical backfill, Q2 not
            subs.append((f"{u}-{p}-0", u, p, 0, sub_on, received, backfill, build(p)))
    # A corrects 2021Q1 after the deadline (报出日期 04-20, received 04-20): the current return, but K20 stays on time.
    # The correction also changes PA1's closing 4 -> 3 (one more 出党), so A's 2021Q2 opening 4 is now 待更正 (P6).
    corrected = return_a("2021Q1")
    corrected["member_flows"] = [
        flow("PA1", 4, developed=1, transferred_in=1, in_mobile=1, revealed=1, absorbed=1, exited=3),
        flow("JA", 1),
    ]
    subs.append((f"{A}-2021Q1-1", A, "2021Q1", 1, D(2021, 4, 20), _at(D(2021, 4, 20), 2), False, corrected))
    # B corrects 2021Q2 (PB1 closing 8 -> 9, one 恢复党籍) and then 2021Q3 (opening 9, one 出党, closing 8): the
    # correction of q+1 clears the 待更正 row, and 2021Q4's opening 8 agrees with the corrected 2021Q3.
    b2 = return_b("2021Q2")
    b2["member_flows"] = [flow("PB1", 8, restored=1)]
    subs.append((f"{B}-2021Q2-1", B, "2021Q2", 1, D(2021, 8, 1), _at(D(2021, 8, 1), 2), False, b2))
    b3 = return_b("2021Q3")
    b3["member_flows"] = [flow("PB1", 9, exited=1)]
    subs.append((f"{B}-2021Q3-1", B, "2021Q3", 1, D(2021, 11, 1), _at(D(2021, 11, 1), 2), False, b3))
    return subs


def load(db_path, subs) -> None:
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create schema if not exists raw")
        tables = {"submissions": list(fx.SUBMISSION_COLUMNS), "rule_hits": fx.RULE_HIT_COLUMNS}
        for f in forms.DATA_FORMS:
            tables[f.key] = [(c, t) for c, t, _ in forms.raw_columns(f)]
        for name, cols in tables.items():
            con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        for sid, u, p, corr, sub_on, received, backfill, content in subs:
            cover = dict(
                submission_id=sid,
                original_name=f"{sid}.xlsx",
                received_at=received,
                size_bytes=1,
                outcome="accepted",
                error_count=0,
                warning_count=0,
                format="xlsx",
                unit_code=u,
                unit_name=None,
                period=p,
                template_version="LX-Q-2020.1" if p < "2021Q1" else "LX-Q-2021.1",
                correction_no=corr,
                correction_reason="更正" if corr else None,
                filled_by="张*",
                approved_by="李*",
                phone="138****8000",
                submitted_on=sub_on,
                backfill=backfill,
            )
            fx._insert(con, "raw.submissions", tables["submissions"], [cover])
            for f in forms.DATA_FORMS:
                rows = []
                for i, r in enumerate(content.get(f.key, ())):
                    r = dict(
                        r,
                        submission_id=sid,
                        unit_code=u,
                        period=p,
                        correction_no=corr,
                        source_sheet=f.sheet,
                        source_row=i + 2,
                    )
                    for fld in f.fields:
                        if fld.pii == forms.PII_ID:
                            v = r.pop(fld.name, None)
                            r[fld.name[: -len("_id")] + "_key"] = str(v).strip().upper() if v is not None else None
                    rows.append(r)
                fx._insert(con, f"raw.{f.key}", tables[f.key], rows)
    finally:
        con.close()


class SpecWorld:
    """The same returns for the oracle: current return per (unit, period) = highest correction."""

    def __init__(self, subs):
        self.communities = list(seeds.communities())
        self.periods = list(PERIODS)
        self.deadlines = {p: seeds.deadlines()[p] for p in PERIODS}
        self.quotas = dict(seeds.development_quotas())
        self.returns, self.receipts, best = {}, {}, {}
        for sid, u, p, corr, sub_on, received, backfill, content in subs:
            self.receipts.setdefault((u, p), []).append(
                dict(
                    received_at=received, correction_no=corr, outcome="accepted", backfill=backfill, submitted_on=sub_on
                )
            )
            if corr >= best.get((u, p), -1):
                best[(u, p)] = corr
                ret = dict(content)
                ret["cover"] = [
                    dict(
                        unit_code=u,
                        period=p,
                        correction_no=corr,
                        submitted_on=sub_on,
                        template_version="LX-Q-2020.1" if p < "2021Q1" else "LX-Q-2021.1",
                    )
                ]
                self.returns[(u, p)] = ret


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    work = tmp_path_factory.mktemp("spec")
    db = work / "build.duckdb"
    subs = submissions()
    load(db, subs)
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    wh = {
        (r[0], r[1], r[2], r[3]): r[4:]
        for r in con.execute(
            "select indicator_id, level, entity_code, period, numerator, denominator, value, null_reason "
            "from marts.fct_indicators"
        ).fetchall()
    }
    oracle = {
        (r["indicator_id"], r["level"], r["entity_code"], r["period"]): r for r in truth.compute_truth(SpecWorld(subs))
    }
    yield {"con": con, "wh": wh, "truth": oracle}
    con.close()


LEVEL = {A: "community", A2: "community", B: "community", S1: "street", S2: "street", DIST: "district"}


def expect(spec, ind, entity, period, num, den=None, value=None, reason=None):
    """Warehouse AND oracle: numerator, denominator, value (exact decimal, 10 places) and null_reason."""
    key = (ind, LEVEL[entity], entity, period)
    if value is None and num is not None and reason is None:
        value = Decimal(num) if den is None else (Decimal(num) / Decimal(den)).quantize(Decimal("1e-10"), ROUND_HALF_UP)
    got = spec["wh"].get(key)
    assert got is not None, key
    assert got == (num, den, value, reason), (key, got)
    t = spec["truth"][key]
    assert (t["numerator"], t["denominator"], t["value"], t["null_reason"]) == (num, den, value, reason), (key, t)


# ---------------------------------------------------------------------------------------------- the examples
def test_k10_credits_the_organizer_not_the_lister(spec):
    # A's 2021Q3 return lists B's 党务干部培训 TCB1 and 出资人培训 TCB2 (主办单位编码 = B) as attended; B's own returns
    # list no class.  kpis.md K10: "an event … belongs to its organizer … listing another community's class as
    # attended never credits the lister" -> B organised both types: 1/1; A organised none: 0/1; A2 0/1.
    expect(spec, "K10", B, "2021", 1, 1)
    expect(spec, "K10", A, "2021", 0, 1)
    expect(spec, "K10", A2, "2021", 0, 1)
    # denominators = register communities below (S1: 7, S2: 7, district: 60); numerators: S1 0, S2 1, district 1
    expect(spec, "K10", S1, "2021", 0, 7)
    expect(spec, "K10", S2, "2021", 1, 7)
    expect(spec, "K10", DIST, "2021", 1, 60)


def test_k9b_is_secretaries_at_higher_secretary_training_so_never_above_k9(spec):
    # secretaries of 2021 (表2): A {SA1, SA2}, B {SB1}.
    # SA1: 区级 党务干部培训 as 书记 (wrong type for both), 本党组织 任职培训 as 书记 -> K9 yes, K9b no (run by itself).
    # SA2: 区级 集中培训 as 党员 -> neither (K9b needs the role 书记; revision 1 counted "any role").
    # SB1: 区级 集中培训 as 书记 -> K9 yes, K9b yes.
    expect(spec, "K9", A, "2021", 1, 2)
    expect(spec, "K9b", A, "2021", 0, 2)  # revision 1 gave 2/2 > K9
    expect(spec, "K9", B, "2021", 1, 1)
    expect(spec, "K9b", B, "2021", 1, 1)
    expect(spec, "K9", DIST, "2021", 2, 3)
    expect(spec, "K9b", DIST, "2021", 1, 3)


def test_k20_first_accepted_receipt(spec):
    # deadline 2021Q1 = 2021-04-15 (seeds/deadlines.csv), end of day in Asia/Shanghai.
    # A: original received 04-10 01:00 UTC (09:00 Shanghai) -> on time; the correction received 04-20 (报出日期
    #    04-20) is the current return, yet "a later correction never makes an on-time community late" -> 1/1.
    expect(spec, "K20", A, "2021Q1", 1, 1)
    # B: 报出日期 04-15, received 04-15 17:00 UTC = 04-16 01:00 in Shanghai -> late: 0/1.
    expect(spec, "K20", B, "2021Q1", 0, 1)
    # A2: received in 2026 but flagged as a backfill -> judged by its 报出日期 04-10 -> on time: 1/1.
    expect(spec, "K20", A2, "2021Q1", 1, 1)
    # A2 2021Q2: received in 2026, not a backfill -> late: 0/1.
    expect(spec, "K20", A2, "2021Q2", 0, 1)
    # district 2021Q1: A + A2 on time = 2 of the 60 register communities; S2: 0 of 7.
    expect(spec, "K20", DIST, "2021Q1", 2, 60)
    expect(spec, "K20", S2, "2021Q1", 0, 7)


def test_unit_listed_by_two_communities_counts_once_above_them(spec):
    # 2021Q1 U: A {uA1, uA2, uA3, DUP, DUP2} = 5; A2 {DUP2, c1..c9} = 10; B {uB1, DUP} = 2.
    expect(spec, "N_U", A, "2021Q1", 5)
    expect(spec, "N_U", A2, "2021Q1", 10)
    expect(spec, "N_U", B, "2021Q1", 2)
    # S1 = A ∪ A2 with DUP2 once: 5 + 10 − 1 = 14; district: 14 + 2 − 1 (DUP) = 15 (revision 1: 17)
    expect(spec, "N_U", S1, "2021Q1", 14)
    expect(spec, "N_U", DIST, "2021Q1", 15)
    # B (三有 base): A 5 (all ≥ 10 employees), A2 10, B 1 (DUP has 8 employees in B's listing).
    # Above the community the listing of the lowest community code stands for the unit (D80): DUP is A's row
    # (12 employees, in the base).  S1 = 5 + 10 − 1 = 14; district = 14 + 1 (uB1) = 15 (a plain sum gives 16).
    expect(spec, "N_B", B, "2021Q1", 1)
    expect(spec, "N_B", S1, "2021Q1", 14)
    expect(spec, "N_B", DIST, "2021Q1", 15)
    # K1 2021Q1 district: 单独建立 in the base uA1, c1, c2, c3, uB1 = 5 of 15
    expect(spec, "K1", DIST, "2021Q1", 5, 15)


def test_mobile_ledger_is_a_stock(spec):
    # A 2021Q1: inflow m1 在流动 (verified, hosted), m2 已返回 (changed this quarter: listed once, not stock);
    # outflow m3 失去联系.  K18 = verified 在流动 inflow ÷ 在流动 inflow = 1/1 (revision 1: 2/2 with the stale row);
    # K18e = 失去联系 rows = 1.  B: 4 在流动 inflow rows, 2 verified -> 2/4.  District 3/5, K18e 1.
    expect(spec, "K18", A, "2021Q1", 1, 1)
    expect(spec, "K18e", A, "2021Q1", 1)
    expect(spec, "K18", B, "2021Q1", 2, 4)
    expect(spec, "K18", DIST, "2021Q1", 3, 5)
    expect(spec, "K18e", DIST, "2021Q1", 1)
    # K18c_out: outflow 在流动 rows: none (m3 is 失去联系) -> 0/0 = NULL with reason 分母为0
    expect(spec, "K18c_out", A, "2021Q1", 0, 0, None, "分母为0")
    # K18d = Σ_units min(在流动 inflow rows naming the unit, 未转入关系) ÷ Σ 未转入关系:
    # A: uA1 min(1 (m1; m2 is not stock), 2) = 1, others 0 -> 1/2; B: uB1 min(4, 3) = 3 -> 3/3; district 4/5.
    expect(spec, "K18d", A, "2021Q1", 1, 2)
    expect(spec, "K18d", B, "2021Q1", 3, 3)
    expect(spec, "K18d", DIST, "2021Q1", 4, 5)


def test_four_batches_are_disjoint_and_add_up(spec):
    # A 2021Q1 PA1: 发展 1, 接转 (in_mobile) 1, 亮出 1, 吸收 1 — four different persons (returns.md: disjoint, the
    # first batch that applies), so K7 = 1 + 1 + 1 + 1 = 4 persons.  Other organizations / quarters: 0.
    for ind in ("K7a", "K7b", "K7c", "K7d"):
        expect(spec, ind, A, "2021Q1", 1)
    expect(spec, "K7", A, "2021Q1", 4)
    expect(spec, "K7", DIST, "2021", 4)


def test_no_float_noise(spec):
    # A2: K1 = 2/10 in 2020Q4 and 3/10 in 2021Q1; the bulletin's change is 3/10 − 2/10 = 0.1 exactly
    # (binary floating point gives 0.09999999999999998).
    expect(spec, "K1", A2, "2020Q4", 2, 10)
    expect(spec, "K1", A2, "2021Q1", 3, 10)
    con = spec["con"]
    k1, change = con.execute(
        "select k1, k1_change from marts.kpi_bulletin where unit_code = ? and period = '2021Q1'", [A2]
    ).fetchone()
    assert (k1, change) == (Decimal("0.3"), Decimal("0.1"))
    assert str(change.normalize()) == "0.1"
    assert con.execute(
        "select value from marts.fct_indicators where indicator_id = 'K1' and entity_code = ? and period = '2021Q1'",
        [A2],
    ).fetchone()[0] == Decimal("0.3")


def test_collected_fields_feed_indicators(spec):
    # K6b: base units covered by a Party organization with none of 工会/共青团/妇联: A uA2 -> 1; B 0; district 1.
    expect(spec, "K6b", A, "2021Q1", 1)
    expect(spec, "K6b", B, "2021Q1", 0)
    expect(spec, "K6b", DIST, "2021Q1", 1)
    # K21: 单独组建 organizations of enterprises: A PA1 (书记是管理层成员) 1/1; B PB1 (no) 0/1; district 1/2.
    expect(spec, "K21", A, "2021Q1", 1, 1)
    expect(spec, "K21", B, "2021Q1", 0, 1)
    expect(spec, "K21", DIST, "2021Q1", 1, 2)
    # K22: base enterprises above scale with 党群工作部: A uA1 of {uA1, uA2} 1/2; B 0 of {uB1}; district 1/3.
    # K22w: Σ 专职党务工作者 over the base: A 2, B 1, district 3.
    expect(spec, "K22", A, "2021Q1", 1, 2)
    expect(spec, "K22", DIST, "2021Q1", 1, 3)
    expect(spec, "K22w", DIST, "2021Q1", 3)
    # K23: Party organizations with a venue: A PA1 of {PA1, JA} 1/2; B 1/1; A2 has none: 0/0 (分母为0); district 2/3.
    expect(spec, "K23", A, "2021Q1", 1, 2)
    expect(spec, "K23", A2, "2021Q1", 0, 0, None, "分母为0")
    expect(spec, "K23", DIST, "2021Q1", 2, 3)
    # K24 (Q4): 单独建立 base units that are 双强六好: A uA1 1/1; B uB1 no 0/1; A2 c1..c3 no 0/3; district 1/5.
    expect(spec, "K24", A, "2021", 1, 1)
    expect(spec, "K24", DIST, "2021", 1, 5)


def test_new_fields_not_collected_before_2021(spec):
    # 2020Q4 returns use LX-Q-2020.1, which does not collect applicants/activists/developed_here:
    # K7e/K7f/K7g are NULL with reason 未采集 at every level — never 0.
    for ind in ("K7e", "K7f", "K7g"):
        for entity in (A, S1, DIST):
            expect(spec, ind, entity, "2020Q4", None, None, None, "未采集")
    # 2021Q1: K7f = Σ activists over the base: A 2 + 1 + 3 = 6, B 4 -> district 10; K7g = Σ applicants:
    # A 5 + 3 + 4 = 12, B 10 -> district 22.
    expect(spec, "K7f", A, "2021Q1", 6)
    expect(spec, "K7f", DIST, "2021Q1", 10)
    expect(spec, "K7g", DIST, "2021Q1", 22)
    # K7e = Σ developed_here over base units 未建立: uA3 1 in 2021Q2 -> A 2021Q2 1, 2021Q1 0, year 2021 = 1.
    expect(spec, "K7e", A, "2021Q2", 1)
    expect(spec, "K7e", A, "2021Q1", 0)
    expect(spec, "K7e", DIST, "2021", 1)


def test_pending_corrections_worklist(spec):
    # P6: A's 2021Q1 correction closes PA1 at 3; A's 2021Q2 return (current, received before) opens it at 4:
    # one row, difference 4 − 3 = 1.  B's 2021Q2 correction (closing 9) was followed by a 2021Q3 correction
    # opening at 9: cleared; B's 2021Q4 opening 8 = the corrected 2021Q3 closing 8: nothing to correct.
    rows = (
        spec["con"]
        .execute(
            "select unit_code, period, previous_period, party_org_code, opening_reported, closing_corrected, difference, "
            "correction_no, correction_submission_id, later_submission_id from marts.kpi_pending_corrections"
        )
        .fetchall()
    )
    assert rows == [(A, "2021Q2", "2021Q1", "PA1", 4, 3, 1, 1, f"{A}-2021Q1-1", f"{A}-2021Q2-0")]


def test_no_mass_organization_worklist(spec):
    # K6b by name: A's uA2 (联合建立, no 工会/共青团/妇联) in every quarter; uA1 and uB1 have a union, A2's
    # 单独建立 units too.
    rows = (
        spec["con"]
        .execute("select unit_code, period, uscc, party_status from marts.kpi_worklist_no_mass_org order by period")
        .fetchall()
    )
    assert rows == [(A, p, U_A2, "联合建立") for p in PERIODS]


def test_warehouse_equals_oracle_everywhere(spec):
    wh, oracle = spec["wh"], spec["truth"]
    assert set(wh) == set(oracle), (sorted(set(wh) - set(oracle))[:10], sorted(set(oracle) - set(wh))[:10])
    bad = [
        (k, wh[k], (t["numerator"], t["denominator"], t["value"], t["null_reason"]))
        for k, t in oracle.items()
        if wh[k] != (t["numerator"], t["denominator"], t["value"], t["null_reason"])
    ]
    assert not bad, bad[:10]
    assert len(oracle) > 1500  # 3 communities + 2 streets + district … and the K20 of all 60
