"""The indicator oracle: every indicator of ``shared/spec/kpis.md`` in plain Python over the world model.

Independent of the dbt SQL (same spec, same ``docs/decisions.md``); the integration test compares the two
value by value.  Input is any object with ``communities``, ``periods``, ``returns``, ``quotas`` and
``deadlines`` (see ``docs/internals.md``); this module never imports the generator.

Public functions
================
``compute_truth(world, receipts=None) -> list[dict]``
    ``{"indicator_id", "level", "entity_code", "period", "numerator", "denominator", "value", "null_reason"}``
    for every indicator of ``seeds/indicators.csv`` (its ``kind``, ``quarterly``, ``yearly`` and ``year_rule``
    are read from the seed; an unknown id raises).  Counts: numerator = value (int), denominator = None.
    Ratios and the mean K16m: value = numerator ÷ denominator as a ``Decimal`` rounded once, half up, at 10
    places (D81); None with null_reason "分母为0" when the denominator is 0.  A value needing a field the
    return's template version does not collect: numerator = value = None, null_reason "未采集" (D83).
    ``receipts`` (or ``world.receipts``): the ingestion facts K20 needs (D84).
``compute_annual_truth(world, year) -> {"t1": {...}, "t2": {...}}``
    expected cells of 表一 and 表二 of the annual return (``shared/spec/annual-return.md``).

Readings (everything decisions.md fixes is followed; the points below are where it is silent)
==============================================================================================
Values are read as SQL would: a blank (None) bool is "not true", a blank number never satisfies a
comparison (``employees >= 10`` with None is false), a blank code equals nothing.  Person IDs are compared
as ``upper(trim(id))`` (what the HMAC person_key is computed from).

Quarterly records exist for every period of ``world.periods``; yearly records (period ``"YYYY"``) for every
year whose four quarters are all in ``world.periods``.

Community records (D7): a community without a return for a quarter has no record for it except K20
(0 / 1).  For a year:
  * ``Q4`` and ``ytd`` (K7q) need the Q4 return (no Q4 return ⇒ no yearly record);
  * ``span`` (K8, K8r) needs both the Q1 and the Q4 return;
  * ``sum`` needs ≥ 1 return in the year (the missing quarters contribute nothing);
  * ``year`` (K9, K9b, K10, K12, K15y) needs ≥ 1 return in the year; K15y's population is the Q4 return's
    (no Q4 return ⇒ 0 / 0).
A street or the district has a record for an indicator and period when at least one community below it
has one (D7: nothing below ⇒ no record), except K20 which always has one.  Unit-based indicators (``UNIT_IDS``)
are recomputed at each level over the U rows below, each USCC once: the row of the lowest community code
stands for the unit (D80).  The other numerators and denominators are the sums of the existing community
records (D9), except K9 / K9b (distinct persons over the returns below), K12 (distinct events below), K10
(register communities below that organised both classes, D82) and K20 (denominator = register communities
below; a community without a return counts 0 in the numerator).

Indicator details beyond decisions.md:
  * K3b = E ∧ 党组织建立情况 present and ≠ 单独建立; parts exactly as decisions.md "K3b" (a blank status
    counts nowhere).
  * K7q quarterly: numerator = Σ K7a of the community's returns of the same year up to that quarter,
    denominator = ``world.quotas[(unit, year)]`` (missing ⇒ 0).  Street/district = sums.
  * K9b's numerator, like K9's, looks at 表5 of every return of the year anywhere in the district (an
    attendance as 书记 at a 任职/集中培训 of the same return's 表4 with 主办层级 ∈ {区级, 街道, 社区党总支}, D87).
  * K13, K14a/b, K15, K15y, K16: all organizations of 表2, functional ones included.  Blank 成立日期 ⇒ not
    in a dated denominator.
  * K17: a blank 本年提取党建工作经费 counts as 0 (not compliant); bounds from ``seeds/kpi_parameters.csv``
    compared exactly in Decimal.
  * K18 family: 在流动 rows with 流向 = 流入 (resp. 流出); K18b = 编入党组织编码 not blank; K18e = 失去联系 rows
    (D85); K18d per unit of U (D86).

表一 党员数量变化情况 (t1)
===========================
Population: 表3 rows of the Party organizations whose 表2 组建方式 ≠ 功能型 in the same return (D4), in the
returns of year Y.  上年底总数 = Σ 期初党员数 of the Q1 return; 发展党员, 恢复党籍, 转入组织关系, 其中整建制转入,
出党, 停止党籍, 死亡, 转出组织关系, 其中整建制转出 = Σ over the returns of Q1..Q4 of Y (developed, restored,
transferred_in, in_whole_unit, exited, suspended, deceased, transferred_out, out_whole_unit);
本年增加合计 = 发展 + 恢复 + 转入; 本年减少合计 = 出党 + 停止 + 死亡 + 转出; 本年底应有数 = 上年底总数 + 本年增加合计 −
本年减少合计 (rule A2, not Σ 期末应有数); 本年底实有数 = Σ 期末实有数 of the Q4 return; 实有数与应有数之差 =
实有 − 应有.  A missing return contributes 0.
Rows: "总计" (district), "非公有制企业", "社会组织", then each street code and each community unit_code that
has (below it) at least one return of Y.  Category of an organization, per return: 社会组织
when at least one 表1 row of the same return points to it (所在党组织编码; any 登记状态 / status) and every
such row is a social organization (D1); otherwise 非公有制企业 — a joint branch of both kinds, or an
organization nobody points to, is an enterprise one (so 非公有制企业 + 社会组织 = 总计).

表二 非公有制企业建立党组织情况 (t2)
=====================================
``t2 = {entity_code: {row: {column: value}}}`` for the district code, each street code and each community
unit_code that has (below it) a Q4 return of Y.  Population: enterprises (组织类别 = 非公有制企业) in B (D2)
of the Q4 return of Y.
Columns are subsets of that population: 总数 = all; 从业人员50人以上 = 从业人员数 ≥ 50; 从业人员100人以上 =
从业人员数 ≥ 100; 法定代表人是党员的 = legal_rep_member; 其中兼任企业党组织书记的 = legal_rep_member ∧
legal_rep_secretary; 私有经济控制 / 港澳台商经济控制 / 外商经济控制 = 控制类型.
Rows (number of units of the column's subset, unless said otherwise):
  单位数 = all; 党建工作指导员联系的 = instructor;
  已单独建立党组织 = 党组织建立情况 = 单独建立, split by the 党组织类别 (表2, same return) of the organization it
  points to: 建立党委的 = 党委, 建立总支部的 = 党总支, 建立支部的 = every other type (党支部, and any other
  or unknown type, so that A4 已单独建立 = 党委 + 总支部 + 支部 holds);
  已建立联合党支部的 = 联合建立 or 挂靠; 其中具有3名以上党员的 = those with 从业正式党员数 ≥ 3;
  联合党支部数 = number of distinct Party organizations of 党组织类别 联合党支部 pointed to by the units of
  已建立联合党支部的 in the subset (distinct (community, 党组织编码) pairs, so district = Σ communities).  In the
  控制类型 columns each joint branch counts once, under the control type of the enterprise with the smallest USCC
  pointing to it (decisions.md D46), so 总数 = Σ control-type columns holds for this row too;
  未建立党组织 = 未建立 or 功能型 (a functional organization is not organizational coverage; A4 holds);
  应建尚未建立党组织的 = those with 从业正式党员数 ≥ 3; 仅有个别党员的 = the others with 正式 + 预备 ≥ 1;
  没有党员的 = 正式 + 预备 = 0;
  从业人员 = Σ 从业人员数; 其中党员 = Σ (从业正式党员数 + 从业预备党员数).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from liangxin import seeds
from liangxin.forms import ENTERPRISE, SOCIAL_CATEGORIES
from liangxin.periods import parse_period, period_start

# --------------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------------
SOCIAL = "社会组织"
ALONE = "单独建立"
JOINT = "联合建立"
ATTACHED = "挂靠"
FUNCTIONAL_STATUS = "功能型"
NONE_STATUS = "未建立"
FUNCTIONAL_MODE = "功能型"
COVERED = (ALONE, JOINT, ATTACHED)
SIX = ("six_premises", "six_facilities", "six_signage", "six_flag", "six_books", "six_rules")
SECRETARY_TRAINING = ("任职培训", "集中培训")

LEVEL_COMMUNITY, LEVEL_STREET, LEVEL_DISTRICT = "community", "street", "district"

K9B_LEVELS = ("区级", "街道", "社区党总支")  # 主办层级 of a higher Party organization (K9b)
COMMUNITY_LEVEL = "社区党总支"
K10_TYPES = frozenset(("党务干部培训", "出资人培训"))
MOBILE_ACTIVE, MOBILE_LOST = "在流动", "失去联系"
NEW_FIELDS_VERSION = "LX-Q-2021.1"  # first template version collecting applicants/activists/developed_here
NOT_COLLECTED, ZERO_DENOMINATOR = "未采集", "分母为0"
SHANGHAI_OFFSET = dt.timedelta(hours=8)
RATIO_QUANTUM = Decimal("1e-10")  # ratios are exact decimals rounded once, half up, at 10 places (D81)

# unit-based indicators: computed at every level over the units below, each USCC once (D80)
UNIT_IDS = frozenset(
    (
        "N_U",
        "N_B",
        "N_E",
        "K1",
        "K2",
        "K3",
        "K3b",
        "K3b_joint",
        "K3b_functional",
        "K3b_none",
        "K4",
        "K5",
        "K6_union",
        "K6_youth",
        "K6_women",
        "K6b",
        "K7e",
        "K7f",
        "K7g",
        "K11",
        "K17",
        "K17f",
        "K18d",
        "K19",
        "K22",
        "K22w",
        "K24",
    )
)
# indicators computed from one return alone and summed over communities (quarterly and/or Q4-based yearly)
_RETURN_IDS = (
    "M",
    "K7a",
    "K7b",
    "K7c",
    "K7d",
    "K7",
    "K8",
    "K8r",
    "K13",
    "K14a",
    "K14b",
    "K15",
    "K16",
    "K16m",
    "K18",
    "K18b",
    "K18c_in",
    "K18c_out",
    "K18e",
    "K21",
    "K23",
)
_SPECIAL_IDS = ("K7q", "K9", "K9b", "K10", "K12", "K15y", "K20")
KNOWN_IDS = frozenset(tuple(UNIT_IDS) + _RETURN_IDS + _SPECIAL_IDS)

T1_COLUMNS = (
    "上年底总数",
    "本年增加合计",
    "发展党员",
    "恢复党籍",
    "转入组织关系",
    "其中整建制转入",
    "本年减少合计",
    "出党",
    "停止党籍",
    "死亡",
    "转出组织关系",
    "其中整建制转出",
    "本年底应有数",
    "本年底实有数",
    "实有数与应有数之差",
)
_T1_FLOW = {
    "发展党员": "developed",
    "恢复党籍": "restored",
    "转入组织关系": "transferred_in",
    "其中整建制转入": "in_whole_unit",
    "出党": "exited",
    "停止党籍": "suspended",
    "死亡": "deceased",
    "转出组织关系": "transferred_out",
    "其中整建制转出": "out_whole_unit",
}
T2_COLUMNS = (
    "总数",
    "从业人员50人以上",
    "从业人员100人以上",
    "法定代表人是党员的",
    "其中兼任企业党组织书记的",
    "私有经济控制",
    "港澳台商经济控制",
    "外商经济控制",
)
T2_ROWS = (
    "单位数",
    "党建工作指导员联系的",
    "已单独建立党组织",
    "建立党委的",
    "建立总支部的",
    "建立支部的",
    "已建立联合党支部的",
    "其中具有3名以上党员的",
    "联合党支部数",
    "未建立党组织",
    "应建尚未建立党组织的",
    "仅有个别党员的",
    "没有党员的",
    "从业人员",
    "其中党员",
)


# --------------------------------------------------------------------------------------------------
# small helpers (SQL-like reading of blanks)
# --------------------------------------------------------------------------------------------------
def _int(v) -> int:
    return int(v) if v is not None else 0


def _ge(v, bound) -> bool:
    return v is not None and v >= bound


def _lt(v, bound) -> bool:
    return v is not None and v < bound


def _true(v) -> bool:
    return v is True


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _pid(v) -> str | None:
    if v is None:
        return None
    s = str(v).strip().upper()
    return s or None


def _category(row) -> str | None:
    c = row.get("org_category")
    if c == ENTERPRISE:
        return ENTERPRISE
    if c in SOCIAL_CATEGORIES:
        return SOCIAL
    return None


def _params() -> dict:
    p = seeds.parameters()
    return {
        "base_min_employees": int(p["base_min_employees"]),
        "eligible_min_formal_members": int(p["eligible_min_formal_members"]),
        "funds_ratio_min": Decimal(p["funds_ratio_min"]),
        "funds_ratio_max": Decimal(p["funds_ratio_max"]),
        "funds_ratio_pretax": Decimal(p["funds_ratio_pretax"]),
    }


def _in_u(row) -> bool:
    uscc = row.get("uscc")
    return row.get("reg_status") == "存续" and not (isinstance(uscc, str) and uscc.strip().startswith("92"))


def _in_b(row, prm) -> bool:
    if not _in_u(row):
        return False
    if _category(row) == SOCIAL:
        return True
    return (
        _true(row.get("operating"))
        and _true(row.get("fixed_premises"))
        and _ge(row.get("employees"), prm["base_min_employees"])
    )


def _passes_k15(org) -> bool:
    return _ge(org.get("general_meetings"), 1) and (
        _lt(org.get("members_formal"), 7) or _ge(org.get("committee_meetings"), 3)
    )


def _existed_whole_quarter(org, first_day: dt.date) -> bool:
    d = org.get("established_on")
    return d is not None and d <= first_day


def _functional_codes(ret) -> set:
    return {o.get("party_org_code") for o in ret.get("party_orgs", ()) if o.get("formation_mode") == FUNCTIONAL_MODE}


def _member_rows(ret):
    """表3 rows of non-functional organizations (D4)."""
    functional = _functional_codes(ret)
    return [r for r in ret.get("member_flows", ()) if r.get("party_org_code") not in functional]


# --------------------------------------------------------------------------------------------------
# units (counted once by USCC above the community: kpis.md "Counting across communities", D80)
# --------------------------------------------------------------------------------------------------
def _collects(ret) -> bool:
    """True when the return's template version collects the 2021.1 fields (D83)."""
    cover = ret.get("cover")
    if isinstance(cover, list):
        cover = cover[0] if cover else {}
    v = (cover or {}).get("template_version")
    return isinstance(v, str) and v.strip() >= NEW_FIELDS_VERSION


def _unit_pairs(ret) -> list[tuple[dict, int]]:
    """(表1 row in U, number of 在流动 inflow 表6 rows of the same return naming its USCC)."""
    ledger: dict[str, int] = defaultdict(int)
    for m in ret.get("mobile_members", ()):
        if m.get("direction") == "流入" and m.get("status") == MOBILE_ACTIVE and not _blank(m.get("uscc")):
            ledger[str(m.get("uscc")).strip()] += 1
    out = []
    for u in ret.get("organizations", ()):
        if _in_u(u):
            out.append((u, ledger.get(str(u.get("uscc") or "").strip(), 0)))
    return out


def _dedup_units(rets: list) -> tuple[list[tuple[dict, int]], bool]:
    """U rows of the returns (given in register order of unit_code), each USCC once: the first listing wins."""
    seen: set = set()
    out = []
    collected = True
    for ret in rets:
        collected = collected and _collects(ret)
        for u, led in _unit_pairs(ret):
            key = str(u.get("uscc") or "").strip()
            if key in seen:
                continue
            seen.add(key)
            out.append((u, led))
    return out, collected


def _unit_components(pairs, prm, collected: bool) -> dict:
    """(numerator, denominator) of every unit-based indicator over U rows (each unit once)."""
    c: dict[str, tuple] = {}
    n_u = n_b = n_e = 0
    k1 = k2 = k3 = k4 = k5 = 0
    k3b = k3b_joint = k3b_func = k3b_none = 0
    union = youth = women = k6b = 0
    ent_b = inv = 0
    insp = ok = 0
    k17d = k17n = k17f = 0
    k18d_n = k18d_d = 0
    above = above_dept = ftw = 0
    alone_b = strong = 0
    k7e = k7f = k7g = 0
    for u, ledger_in in pairs:
        n_u += 1
        cat = _category(u)
        st = u.get("party_status")
        mre = _int(u.get("members_relation_elsewhere"))
        k18d_d += mre
        k18d_n += min(ledger_in, mre)
        if cat == ENTERPRISE and st == ALONE:
            pay = u.get("payroll_prev_year")
            if pay is not None and pay > 0:
                pay = Decimal(pay)
                funds = Decimal(u.get("party_funds") or 0)
                k17d += 1
                if pay * prm["funds_ratio_min"] <= funds <= pay * prm["funds_ratio_max"]:
                    k17n += 1
                    if funds > pay * prm["funds_ratio_pretax"]:
                        k17f += 1
        if not _in_b(u, prm):
            continue
        n_b += 1
        covered = st in COVERED
        k1 += st == ALONE
        k2 += covered
        helpers = _true(u.get("instructor")) or _true(u.get("first_secretary"))
        mass = _true(u.get("has_union")) or _true(u.get("has_youth_league")) or _true(u.get("has_women_org"))
        if covered or st == FUNCTIONAL_STATUS or helpers or mass:
            k4 += 1
        if covered and helpers:
            k5 += 1
        if covered and not mass:
            k6b += 1
        union += _true(u.get("has_union"))
        youth += _true(u.get("has_youth_league"))
        women += _true(u.get("has_women_org"))
        ftw += _int(u.get("fulltime_party_workers"))
        if st == ALONE:
            alone_b += 1
            strong += _true(u.get("double_strong"))
        if st == NONE_STATUS:
            k7e += _int(u.get("developed_here"))
        k7f += _int(u.get("activists"))
        k7g += _int(u.get("applicants"))
        if cat == ENTERPRISE:
            ent_b += 1
            inv += _true(u.get("investor_trained"))
            if _true(u.get("above_scale")):
                above += 1
                above_dept += _true(u.get("party_mass_dept"))
        res = u.get("inspection_result")
        if res is not None and res != "未检":
            insp += 1
            ok += res == "合格"
        if _ge(u.get("members_formal"), prm["eligible_min_formal_members"]):
            n_e += 1
            if st == ALONE:
                k3 += 1
            elif st in (JOINT, ATTACHED):
                k3b_joint += 1
            elif st == FUNCTIONAL_STATUS:
                k3b_func += 1
            elif st == NONE_STATUS:
                k3b_none += 1
            if st is not None and st != ALONE:
                k3b += 1
    c["N_U"], c["N_B"], c["N_E"] = (n_u, None), (n_b, None), (n_e, None)
    c["K1"], c["K2"], c["K3"] = (k1, n_b), (k2, n_b), (k3, n_e)
    c["K3b"] = (k3b, None)
    c["K3b_joint"], c["K3b_functional"], c["K3b_none"] = (k3b_joint, None), (k3b_func, None), (k3b_none, None)
    c["K4"], c["K5"] = (k4, n_b), (k5, k2)
    c["K6_union"], c["K6_youth"], c["K6_women"] = (union, n_b), (youth, n_b), (women, n_b)
    c["K6b"] = (k6b, None)
    c["K11"], c["K19"] = (inv, ent_b), (ok, insp)
    c["K17"], c["K17f"] = (k17n, k17d), (k17f, None)
    c["K18d"] = (k18d_n, k18d_d)
    c["K22"], c["K22w"] = (above_dept, above), (ftw, None)
    c["K24"] = (strong, alone_b)
    for ind, v in (("K7e", k7e), ("K7f", k7f), ("K7g", k7g)):
        c[ind] = (v, None) if collected else (None, None)
    return c


# --------------------------------------------------------------------------------------------------
# one return (indicators additive over communities)
# --------------------------------------------------------------------------------------------------
def _return_components(ret, period: str, prm) -> dict:
    """(numerator, denominator) of every additive per-return indicator; denominator None for counts."""
    year, _q = parse_period(period)
    first_day = period_start(period)
    oct1 = dt.date(year, 10, 1)
    c: dict[str, tuple] = {}
    orgs = ret.get("party_orgs", ())

    # membership (non-functional organizations)
    rows = _member_rows(ret)
    closing = sum(_int(r.get("closing_actual")) for r in rows)
    opening = sum(_int(r.get("opening")) for r in rows)
    k7 = {}
    for ind, fld in (("K7a", "developed"), ("K7b", "in_mobile"), ("K7c", "revealed"), ("K7d", "absorbed")):
        k7[ind] = sum(_int(r.get(fld)) for r in rows)
        c[ind] = (k7[ind], None)
    c["K7"] = (sum(k7.values()), None)
    c["M"] = (closing, None)
    c["K8"] = (closing - opening, None)
    c["K8r"] = (closing - opening, opening)
    c["_closing"], c["_opening"] = closing, opening

    # organization life (all organizations of 表2)
    whole = [o for o in orgs if _existed_whole_quarter(o, first_day)]
    c["K13"] = (sum(_ge(o.get("study_sessions"), 1) for o in whole), len(whole))
    c["K15"] = (sum(_passes_k15(o) for o in whole), len(whole))
    before_oct = [o for o in orgs if _lt(o.get("established_on"), oct1)]
    c["K14a"] = (sum(_true(o.get("org_life_meeting")) for o in before_oct), len(before_oct))
    c["K14b"] = (sum(_true(o.get("appraisal_held")) for o in before_oct), len(before_oct))
    items = [sum(_true(o.get(f)) for f in SIX) for o in orgs]
    c["K16"] = (sum(n == 6 for n in items), len(orgs))
    c["K16m"] = (sum(items), len(orgs))
    c["K23"] = (sum(_true(o.get("has_venue")) for o in orgs), len(orgs))
    # K21: standalone-formed organizations of enterprises (an enterprise of U points to them), D88
    ent_orgs = {
        u.get("party_org_code")
        for u in ret.get("organizations", ())
        if _in_u(u) and _category(u) == ENTERPRISE and not _blank(u.get("party_org_code"))
    }
    alone_orgs = [o for o in orgs if o.get("formation_mode") == "单独组建" and o.get("party_org_code") in ent_orgs]
    c["K21"] = (sum(_true(o.get("secretary_in_mgmt")) for o in alone_orgs), len(alone_orgs))

    # mobile members: the ledger is a stock; only 在流动 rows count (失去联系 separately), D85
    ledger = ret.get("mobile_members", ())
    inflow = [r for r in ledger if r.get("direction") == "流入" and r.get("status") == MOBILE_ACTIVE]
    outflow = [r for r in ledger if r.get("direction") == "流出" and r.get("status") == MOBILE_ACTIVE]
    c["K18"] = (sum(r.get("verified_on") is not None for r in inflow), len(inflow))
    c["K18b"] = (sum(not _blank(r.get("host_party_org_code")) for r in inflow), len(inflow))
    c["K18c_in"] = (sum(_true(r.get("certificate")) for r in inflow), len(inflow))
    c["K18c_out"] = (sum(_true(r.get("certificate")) for r in outflow), len(outflow))
    c["K18e"] = (sum(r.get("status") == MOBILE_LOST for r in ledger), None)
    return c


def _training_facts(ret):
    """(secretaries, trained as 书记 at 任职/集中, same at an event run above the organization (K9b), 区级 events)."""
    secretaries = {_pid(o.get("secretary_id")) for o in ret.get("party_orgs", ())} - {None}
    events = {t.get("training_code"): t for t in ret.get("trainings", ())}
    trained, above = set(), set()
    for a in ret.get("attendance", ()):
        ev = events.get(a.get("training_code"))
        pid = _pid(a.get("person_id"))
        if ev is None or pid is None:
            continue
        if a.get("role") == "书记" and ev.get("training_type") in SECRETARY_TRAINING:
            trained.add(pid)
            if ev.get("organizer_level") in K9B_LEVELS:
                above.add(pid)
    district_events = {
        code
        for code, t in events.items()
        if t.get("organizer_level") == "区级" and t.get("training_type") in SECRETARY_TRAINING
    }
    return secretaries, trained, above, district_events


def _k10_credits(returns, communities, years) -> dict:
    """{(community, year): {training types}} of the classes each community *organised* (kpis.md K10, D82)."""
    register = {c["unit_code"] for c in communities}
    by_name: dict[str, set] = defaultdict(set)
    for c in communities:
        by_name[c.get("unit_name")].add(c["unit_code"])
    credits: dict[tuple[str, int], set] = defaultdict(set)
    for (_unit, p), ret in returns.items():
        y = parse_period(p)[0]
        if y not in years:
            continue
        for t in ret.get("trainings", ()):
            if t.get("organizer_level") != COMMUNITY_LEVEL or t.get("training_type") not in K10_TYPES:
                continue
            code = t.get("organizer_code")
            if not _blank(code):
                owners = {str(code).strip()} & register
            else:
                owners = by_name.get(t.get("organizer"), set())
            for o in owners:
                credits[(o, y)].add(t.get("training_type"))
    return credits


def _k15y(rets_by_q: dict, year: int) -> tuple[int, int]:
    """K15y for one community: rets_by_q = {quarter: return} of the year (Q4 present)."""
    oct1 = dt.date(year, 10, 1)
    pop = [o for o in rets_by_q[4].get("party_orgs", ()) if _lt(o.get("established_on"), oct1)]
    by_q = {q: {o.get("party_org_code"): o for o in r.get("party_orgs", ())} for q, r in rets_by_q.items()}
    num = 0
    for org in pop:
        code = org.get("party_org_code")
        ok, lectures = True, 0
        for q, orgs in by_q.items():
            o = orgs.get(code)
            if o is None:
                continue
            lectures += _int(o.get("lectures"))
            if _existed_whole_quarter(o, period_start(f"{year}Q{q}")) and not _passes_k15(o):
                ok = False
        num += ok and lectures >= 1
    return num, len(pop)


def _on_time(unit: str, period: str, ret, receipts, deadline) -> int:
    """K20 (D84): the community's FIRST accepted return for the period, judged by its receipt day in
    Asia/Shanghai (received_at is naive UTC), or by its 报出日期 when it was loaded as a backfill.  Without
    receipt facts (a generated world loaded directly) the return was received on the day it is dated."""
    if deadline is None:
        return 0
    recs = (receipts or {}).get((unit, period))
    if recs:
        acc = [r for r in recs if r.get("outcome", "accepted") in ("accepted", "accepted_with_warnings")]
        if not acc:
            return 0
        first = min(acc, key=lambda r: (r["received_at"], _int(r.get("correction_no"))))
        if first.get("backfill"):
            day = first.get("submitted_on")
        else:
            day = (first["received_at"] + SHANGHAI_OFFSET).date()
        return int(day is not None and day <= deadline)
    if ret is None:
        return 0
    cover = ret.get("cover")
    if isinstance(cover, list):
        cover = cover[0] if cover else {}
    sub = (cover or {}).get("submitted_on")
    return int(sub is not None and sub <= deadline)


# --------------------------------------------------------------------------------------------------
# compute_truth
# --------------------------------------------------------------------------------------------------
def _complete_years(periods) -> list[int]:
    have = set(periods)
    years = sorted({parse_period(p)[0] for p in periods})
    return [y for y in years if all(f"{y}Q{q}" in have for q in (1, 2, 3, 4))]


def _record(ind, kind, level, code, period, num, den) -> dict:
    rec = {
        "indicator_id": ind,
        "level": level,
        "entity_code": code,
        "period": period,
        "numerator": num,
        "denominator": None,
        "value": None,
        "null_reason": None,
    }
    if num is None:
        rec["null_reason"] = NOT_COLLECTED
        return rec
    if kind == "count":
        rec["value"] = num
        return rec
    rec["denominator"] = den
    if not den:
        rec["null_reason"] = ZERO_DENOMINATOR
    else:
        rec["value"] = (Decimal(num) / Decimal(den)).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)
    return rec


def _add(a, b):
    return None if a is None or b is None else a + b


def compute_truth(world, receipts=None) -> list[dict]:
    """Every indicator at community, street and district level, quarterly and yearly (see module doc).

    ``receipts`` (optional; else ``world.receipts`` when present): {(unit_code, period): [{"received_at"
    (naive UTC), "correction_no", "outcome", "backfill", "submitted_on"}, …]} — the ingestion facts K20 needs
    (the world does not know when its files were received)."""
    prm = _params()
    meta = {r["indicator_id"]: r for r in seeds.indicators()}
    unknown = set(meta) - KNOWN_IDS
    if unknown:
        raise ValueError(f"truth does not know how to compute {sorted(unknown)}")
    if receipts is None:
        receipts = getattr(world, "receipts", None)
    quarterly_ids = [i for i, r in meta.items() if r["quarterly"] == "true"]
    yearly_ids = [i for i, r in meta.items() if r["yearly"] == "true"]
    kind = {i: r["kind"] for i, r in meta.items()}
    rule = {i: r["year_rule"] for i, r in meta.items()}

    communities = sorted(world.communities, key=lambda c: c["unit_code"])
    periods = sorted(world.periods)
    years = _complete_years(periods)
    returns = world.returns
    deadlines = world.deadlines
    quotas = world.quotas

    # comp[(unit, period_key)][ind] = (num, den); only for existing community records (additive indicators)
    comp: dict[tuple[str, str], dict[str, tuple]] = {}
    quarter_comp: dict[tuple[str, str], dict] = {}
    tfacts: dict[tuple[str, str], tuple] = {}
    k20: dict[tuple[str, str], int] = {}
    for c in communities:
        unit = c["unit_code"]
        ytd: dict[int, int] = defaultdict(int)
        for p in periods:
            ret = returns.get((unit, p))
            k20[(unit, p)] = _on_time(unit, p, ret, receipts, deadlines.get(p))
            if ret is None:
                continue
            y, _q = parse_period(p)
            qc = _return_components(ret, p, prm)
            quarter_comp[(unit, p)] = qc
            tfacts[(unit, p)] = _training_facts(ret)
            ytd[y] += qc["K7a"][0]
            rec = {i: qc[i] for i in quarterly_ids if i in qc}
            rec["K7q"] = (ytd[y], _int(quotas.get((unit, y))))
            comp[(unit, p)] = rec

    # district-wide trained persons per year (D9 / K9: wherever the event is listed)
    trained_y: dict[int, set] = defaultdict(set)
    above_y: dict[int, set] = defaultdict(set)
    for (unit, p), f in tfacts.items():
        y = parse_period(p)[0]
        trained_y[y] |= f[1]
        above_y[y] |= f[2]
    credits = _k10_credits(returns, communities, set(years))

    # yearly community records (additive and year-rule indicators)
    ysets: dict[tuple[str, str], dict] = {}
    k10: dict[tuple[str, str], int] = {}
    for c in communities:
        unit = c["unit_code"]
        for y in years:
            k10[(unit, str(y))] = int(K10_TYPES <= credits.get((unit, y), set()))
            qs = {q: quarter_comp[(unit, f"{y}Q{q}")] for q in (1, 2, 3, 4) if (unit, f"{y}Q{q}") in quarter_comp}
            if not qs:
                continue
            rets = {q: returns[(unit, f"{y}Q{q}")] for q in qs}
            rec: dict[str, tuple] = {}
            for i in yearly_ids:
                r = rule[i]
                if i in ("K9", "K9b", "K10", "K12", "K15y") or i in UNIT_IDS:
                    continue
                if r == "sum":
                    rec[i] = (sum(qc[i][0] for qc in qs.values()), None)
                elif 4 not in qs or (r == "span" and 1 not in qs):
                    continue
                elif r == "Q4":
                    rec[i] = qs[4][i]
                elif r == "ytd":
                    rec[i] = comp[(unit, f"{y}Q4")][i]
                elif r == "span":
                    diff = qs[4]["_closing"] - qs[1]["_opening"]
                    rec[i] = (diff, None) if kind[i] == "count" else (diff, qs[1]["_opening"])
                else:
                    raise ValueError(f"unknown year_rule {r!r} for {i}")
            sec, events = set(), set()
            for q in qs:
                f = tfacts[(unit, f"{y}Q{q}")]
                sec |= f[0]
                events |= f[3]
            ysets[(unit, str(y))] = {"sec": sec, "events": events}
            if "K9" in yearly_ids:
                rec["K9"] = (len(sec & trained_y[y]), len(sec))
            if "K9b" in yearly_ids:
                rec["K9b"] = (len(sec & above_y[y]), len(sec))
            if "K10" in yearly_ids:
                rec["K10"] = (k10[(unit, str(y))], 1)
            if "K12" in yearly_ids:
                rec["K12"] = (len(events), None)
            if "K15y" in yearly_ids:
                rec["K15y"] = _k15y(rets, y) if 4 in qs else (0, 0)
            comp[(unit, str(y))] = rec

    # unit-based indicators: at every level over the units below, each USCC once (D80)
    unit_cache: dict[tuple, dict | None] = {}

    def unit_level(units: tuple, p: str) -> dict | None:
        key = (units, p)
        if key not in unit_cache:
            rets = [returns[(u, p)] for u in units if (u, p) in returns]
            if rets:
                pairs, collected = _dedup_units(rets)
                unit_cache[key] = _unit_components(pairs, prm, collected)
            else:
                unit_cache[key] = None
        return unit_cache[key]

    def unit_value(units: tuple, pk: str, i: str):
        """(num, den) of a unit-based indicator, or False when no record exists."""
        if len(pk) != 4:
            uc = unit_level(units, pk)
            return False if uc is None else uc[i]
        y = int(pk)
        if rule[i] == "Q4":
            uc = unit_level(units, f"{y}Q4")
            return False if uc is None else uc[i]
        if rule[i] == "sum":
            parts = [unit_level(units, f"{y}Q{q}") for q in (1, 2, 3, 4)]
            parts = [pc[i] for pc in parts if pc is not None]
            if not parts:
                return False
            total = 0
            for n, _d in parts:
                total = _add(total, n)
            return (total, None)
        raise ValueError(f"unit-based indicator {i} with year_rule {rule[i]!r}")

    # emit
    out: list[dict] = []
    keys = [(p, quarterly_ids) for p in periods] + [(str(y), yearly_ids) for y in years]
    streets: dict[str, list[str]] = {}
    district: dict[str, list[str]] = {}
    for c in communities:
        streets.setdefault(c["street_code"], []).append(c["unit_code"])
        district.setdefault(c["district_code"], []).append(c["unit_code"])

    for pk, ids in keys:
        is_year = len(pk) == 4
        for c in communities:
            unit = c["unit_code"]
            rec = comp.get((unit, pk))
            for i in ids:
                if i == "K20":
                    out.append(_record(i, kind[i], LEVEL_COMMUNITY, unit, pk, k20[(unit, pk)], 1))
                elif i in UNIT_IDS:
                    v = unit_value((unit,), pk, i)
                    if v is not False:
                        out.append(_record(i, kind[i], LEVEL_COMMUNITY, unit, pk, *v))
                elif rec is not None and i in rec:
                    out.append(_record(i, kind[i], LEVEL_COMMUNITY, unit, pk, *rec[i]))
        for level, groups in ((LEVEL_STREET, streets), (LEVEL_DISTRICT, district)):
            for code, units in groups.items():
                recs = [comp[(u, pk)] for u in units if (u, pk) in comp]
                for i in ids:
                    if i in UNIT_IDS:
                        v = unit_value(tuple(units), pk, i)
                        if v is not False:
                            out.append(_record(i, kind[i], level, code, pk, *v))
                        continue
                    if i != "K20" and not any(i in r for r in recs):
                        continue  # D7: nothing below this entity for this indicator and period
                    if i == "K20":
                        num, den = sum(k20[(u, pk)] for u in units), len(units)
                    elif i == "K10":
                        num, den = sum(k10.get((u, pk), 0) for u in units), len(units)
                    elif is_year and i in ("K9", "K9b"):
                        sec = set().union(*[ysets[(u, pk)]["sec"] for u in units if (u, pk) in ysets])
                        pool = trained_y[int(pk)] if i == "K9" else above_y[int(pk)]
                        num, den = len(sec & pool), len(sec)
                    elif is_year and i == "K12":
                        num, den = (
                            len(set().union(*[ysets[(u, pk)]["events"] for u in units if (u, pk) in ysets])),
                            None,
                        )
                    else:
                        parts = [r[i] for r in recs if i in r]
                        num = sum(n for n, _ in parts)
                        den = None if kind[i] == "count" else sum(d for _, d in parts)
                    out.append(_record(i, kind[i], level, code, pk, num, den))
    return out


# --------------------------------------------------------------------------------------------------
# annual return 表一 / 表二
# --------------------------------------------------------------------------------------------------
def _org_categories(ret) -> dict:
    """party_org_code -> 社会组织 when every 表1 row pointing to it is a social organization, else 非公有制企业."""
    pointing: dict[str, list[str | None]] = defaultdict(list)
    for u in ret.get("organizations", ()):
        code = u.get("party_org_code")
        if not _blank(code):
            pointing[code].append(_category(u))
    return {
        o.get("party_org_code"): SOCIAL
        if pointing.get(o.get("party_org_code")) and all(cat == SOCIAL for cat in pointing[o.get("party_org_code")])
        else ENTERPRISE
        for o in ret.get("party_orgs", ())
    }


def _t1_empty() -> dict:
    return {col: 0 for col in T1_COLUMNS}


def _t1_add(row: dict, fr, q: int) -> None:
    if q == 1:
        row["上年底总数"] += _int(fr.get("opening"))
    for col, fld in _T1_FLOW.items():
        row[col] += _int(fr.get(fld))
    if q == 4:
        row["本年底实有数"] += _int(fr.get("closing_actual"))


def _t1_finish(row: dict) -> dict:
    row["本年增加合计"] = row["发展党员"] + row["恢复党籍"] + row["转入组织关系"]
    row["本年减少合计"] = row["出党"] + row["停止党籍"] + row["死亡"] + row["转出组织关系"]
    row["本年底应有数"] = row["上年底总数"] + row["本年增加合计"] - row["本年减少合计"]
    row["实有数与应有数之差"] = row["本年底实有数"] - row["本年底应有数"]
    return row


CONTROL_COLUMNS = ("私有经济控制", "港澳台商经济控制", "外商经济控制")


def _t2_columns(u) -> list[str]:
    cols = ["总数"]
    if _ge(u.get("employees"), 50):
        cols.append("从业人员50人以上")
    if _ge(u.get("employees"), 100):
        cols.append("从业人员100人以上")
    if _true(u.get("legal_rep_member")):
        cols.append("法定代表人是党员的")
        if _true(u.get("legal_rep_secretary")):
            cols.append("其中兼任企业党组织书记的")
    if u.get("control_type") in ("私有经济控制", "港澳台商经济控制", "外商经济控制"):
        cols.append(u["control_type"])
    return cols


def _t2_community(ret, prm) -> tuple[dict, dict]:
    """(table of counts, {column: set of joint-branch codes}) for one Q4 return."""
    table = {row: {col: 0 for col in T2_COLUMNS} for row in T2_ROWS}
    joint: dict[str, set] = {col: set() for col in T2_COLUMNS}
    owner: dict[str, tuple[str, str | None]] = {}
    org_type = {o.get("party_org_code"): o.get("org_type") for o in ret.get("party_orgs", ())}
    for u in ret.get("organizations", ()):
        if _category(u) != ENTERPRISE or not _in_b(u, prm):
            continue
        st = u.get("party_status")
        formal = _int(u.get("members_formal"))
        members = formal + _int(u.get("members_probationary"))
        rows = ["单位数"]
        if _true(u.get("instructor")):
            rows.append("党建工作指导员联系的")
        code = u.get("party_org_code")
        if st == ALONE:
            t = org_type.get(code)
            rows += [
                "已单独建立党组织",
                "建立党委的" if t == "党委" else "建立总支部的" if t == "党总支" else "建立支部的",
            ]
        elif st in (JOINT, ATTACHED):
            rows.append("已建立联合党支部的")
            if formal >= 3:
                rows.append("其中具有3名以上党员的")
        else:
            rows.append("未建立党组织")
            rows.append("应建尚未建立党组织的" if formal >= 3 else "仅有个别党员的" if members >= 1 else "没有党员的")
        for col in _t2_columns(u):
            for r in rows:
                table[r][col] += 1
            table["从业人员"][col] += _int(u.get("employees"))
            table["其中党员"][col] += members
            if st in (JOINT, ATTACHED) and org_type.get(code) == "联合党支部" and col not in CONTROL_COLUMNS:
                joint[col].add(code)
        if st in (JOINT, ATTACHED) and org_type.get(code) == "联合党支部":
            key = (str(u.get("uscc") or ""), u.get("control_type"))
            owner[code] = min(owner.get(code, key), key)
    for code, (_, control) in owner.items():  # D46: one control-type column per joint branch
        if control in CONTROL_COLUMNS:
            joint[control].add(code)
    for col in T2_COLUMNS:
        table["联合党支部数"][col] = len(joint[col])
    return table, joint


def compute_annual_truth(world, year: int) -> dict:
    """Expected cells of 表一 and 表二 for ``year`` (see the module docstring for every derivation)."""
    prm = _params()
    year = int(year)
    communities = list(world.communities)
    t1: dict[str, dict] = {"总计": _t1_empty(), ENTERPRISE: _t1_empty(), SOCIAL: _t1_empty()}
    t2: dict[str, dict] = {}
    for c in communities:
        unit = c["unit_code"]
        if not any((unit, f"{year}Q{q}") in world.returns for q in (1, 2, 3, 4)):
            continue  # no row for a community without a return in the year (nor for a street without any)
        t1.setdefault(c["street_code"], _t1_empty())
        crow = t1.setdefault(unit, _t1_empty())
        for q in (1, 2, 3, 4):
            ret = world.returns.get((unit, f"{year}Q{q}"))
            if ret is None:
                continue
            cats = _org_categories(ret)
            for fr in _member_rows(ret):
                targets = [crow, t1[c["street_code"]], t1["总计"]]
                targets.append(t1[cats.get(fr.get("party_org_code"), ENTERPRISE)])
                for row in targets:
                    _t1_add(row, fr, q)
        ret4 = world.returns.get((unit, f"{year}Q4"))
        if ret4 is None:
            continue  # 表二 rows only for entities with a Q4 return below them
        table, _ = _t2_community(ret4, prm)
        t2[unit] = table
        for agg in (c["street_code"], c["district_code"]):
            tot = t2.setdefault(agg, {row: {col: 0 for col in T2_COLUMNS} for row in T2_ROWS})
            for row in T2_ROWS:
                for col in T2_COLUMNS:
                    tot[row][col] += table[row][col]
    for row in t1.values():
        _t1_finish(row)
    return {"t1": t1, "t2": t2}
