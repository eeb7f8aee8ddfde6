"""``liangxin explain``: where an indicator value comes from — the *members* of its numerator and denominator, each
with the submission (file name, 更正序号, SHA-256), the sheet and the row it was read from (issue 15, point 5).

Every indicator of ``seeds/indicators.csv`` is explained, by the counting unit of its family (:data:`SPECS`):

| family                                   | members                     | read from (intermediate.*)          |
|------------------------------------------|-----------------------------|-------------------------------------|
| 表1 unit counts (N_U … K6b, K11, K17, K19, K22, K24; sums K7e–g, K18d, K22w) | units (统一社会信用代码), one per level (D80) | ``int_unit_level`` |
| 表2 Party organizations (K13–K16m, K21, K23) | Party organizations (党组织编码) | ``int_party_org_quarter``          |
| 表3 sums (M, K7a–d, K7, K7q, K8, K8r)     | 表3 rows and their values   | ``fct_member_flow``                 |
| 表6 ledger (K18–K18c, K18e)              | ledger rows (person key)    | ``int_current_mobile_members``      |
| secretaries (K9, K9b)                    | persons (person key only)   | ``int_secretaries``                 |
| classes (K10) / events (K12)             | communities / 培训编号      | ``int_k10_organizers`` / ``int_k12_events`` |
| on-time returns (K20)                    | communities and their first accepted return | ``int_first_receipts`` |

Each member carries the value it contributes (1 for a count; the cell's value for a sum, negative for the opening
of K8), so the members' total is the published numerator / denominator.  :func:`check_against_published`
compares the two with ``marts.fct_indicators``: a drift is reported, never hidden (D126, D160).  The predicates
are those of ``int_community_quarter_measures.sql``, ``int_indicator_unit_level.sql`` and
``int_indicator_community.sql``, applied to the same intermediate rows (D161).

No person is named: persons appear by their person key (HMAC pseudonym), never by name or ID number; every text
goes through ``liangxin.neutral`` (``scrub_ids``, then ``terminal_text`` / ``cell_text``).

``explain(indicator, unit, period, con) -> list[ExplainRow]`` is the function the dashboard's click-through calls
(``con``: a DuckDB connection to the build database, read-only is enough).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from liangxin import forms

_SHEETS = {f.key: f.sheet for f in forms.FORMS}
ORG_SHEET = _SHEETS.get("organizations", "表1 两新组织情况")
PO_SHEET = _SHEETS.get("party_orgs", "表2 党组织情况")
FLOW_SHEET = _SHEETS.get("member_flows", "表3 党员队伍变动情况")
TRAINING_SHEET = _SHEETS.get("trainings", "表4 培训情况")
MOBILE_SHEET = _SHEETS.get("mobile_members", "表6 流动党员台账")
REGISTER = "社区名册"
QUOTA_SHEET = "发展计划（development_quotas）"

NUMERATOR, DENOMINATOR = "分子", "分母"

# member kinds, with the label of their key column
UNIT, PARTY_ORG, FLOW_ROW, LEDGER_ROW, PERSON, COMMUNITY, EVENT = (
    "单位",
    "党组织",
    "表3行",
    "台账行",
    "人员",
    "社区",
    "培训",
)
KEY_LABEL = {
    UNIT: "统一社会信用代码",
    PARTY_ORG: "党组织编码",
    FLOW_ROW: "党组织编码",
    LEDGER_ROW: "人员键",
    PERSON: "人员键",
    COMMUNITY: "社区代码",
    EVENT: "培训编号",
}

# --------------------------------------------------------------------------------------------------
# member queries.  Placeholders: $level, $entity (the entity explained), $year, $q1, $q2 (quarters of the year
# the value covers).  Each returns: community_code, key, name, detail, value, period, submission_id, source_row.
# --------------------------------------------------------------------------------------------------
_SCOPE = (
    "{col} in (select unit_code from intermediate.int_entity_membership where level = $level and entity_code = $entity)"
)


def _param(name: str) -> str:
    return f"(select cast(value as decimal(18, 6)) from ref.kpi_parameters where parameter = '{name}')"


def _unit(pred: str, value: str = "1", detail: str = "coalesce(u.party_status, '')") -> str:
    """表1 units of int_unit_level (one row per unit and level: a unit listed by two communities counts once in a
    street or the district, D80)."""
    return f"""
        select u.unit_code, u.uscc, u.org_name, {detail}, {value}, u.period, u.submission_id, u.source_row
        from intermediate.int_unit_level as u
        where u.level = $level and u.entity_code = $entity and u.year = $year and u.quarter between $q1 and $q2
          and ({pred})"""


_FUNDS_DEN = "is_enterprise and party_status = '单独建立' and payroll_prev_year > 0"
_FUNDS_DETAIL = (
    "'经费 ' || coalesce(cast(u.party_funds as varchar), '0') || ' / 上年工资总额 ' "
    "|| cast(u.payroll_prev_year as varchar)"
)


def _flow(value: str, label: str, extra: str = "true", scope_quarter: str | None = None) -> str:
    """表3 rows (功能型党组织 excluded, D4) with a non-zero contribution ``value``."""
    only = (
        ""
        if scope_quarter is None
        else f" and f.unit_code in (select unit_code from intermediate.int_current_submissions "
        f"where period_year = $year and period_quarter = {scope_quarter})"
    )
    return f"""
        select f.unit_code, f.party_org_code, po.party_org_name, '{label} ' || cast({value} as varchar), {value},
               f.period, f.submission_id, f.source_row
        from marts.fct_member_flow as f
        left join intermediate.int_party_org_quarter as po
               on po.submission_id = f.submission_id and po.party_org_code = f.party_org_code
        where not f.is_functional and {_SCOPE.format(col="f.unit_code")}
          and f.year = $year and f.quarter between $q1 and $q2 and ({extra}) and coalesce({value}, 0) <> 0{only}"""


def _po(
    pred: str,
    value: str = "1",
    detail: str = "coalesce(p.formation_mode, '')",
    quarter: str | None = None,
    join: str = "",
) -> str:
    """表2 Party organizations of int_party_org_quarter."""
    q = "p.quarter between $q1 and $q2" if quarter is None else f"p.quarter = {quarter}"
    return f"""
        select p.unit_code, p.party_org_code, p.party_org_name, {detail}, {value}, p.period, p.submission_id,
               p.source_row
        from (
            select po.*,
                   -- K21 (D88): 单独组建, and a 非公有制企业 of U in the same return's 表1 points at it
                   (po.formation_mode = '单独组建' and exists (
                       select 1 from intermediate.int_unit_status as u
                       where u.submission_id = po.submission_id and u.party_org_code = po.party_org_code
                         and u.in_u and u.is_enterprise)) as enterprise_alone
            from intermediate.int_party_org_quarter as po
        ) as p
        {join}
        where {_SCOPE.format(col="p.unit_code")} and p.year = $year and {q} and ({pred})"""


# K15y: Q4 organizations established before 1 October; passes when every whole quarter passed K15 and the year
# has at least one 党课 (int_indicator_community.sql, k15y_orgs)
_K15Y = """
    (select q4.unit_code, q4.year, q4.party_org_code,
            case when min(case when y.existed_whole_quarter and not y.k15_pass then 0 else 1 end) = 1
                  and sum(y.lectures) >= 1 then 1 else 0 end as passes,
            sum(y.lectures) as lectures
     from intermediate.int_party_org_quarter as q4
     inner join intermediate.int_party_org_quarter as y
             on q4.unit_code = y.unit_code and q4.year = y.year and q4.party_org_code = y.party_org_code
     where q4.quarter = 4 and q4.established_before_oct
     group by q4.unit_code, q4.year, q4.party_org_code)"""


def _k15y(num: bool) -> str:
    return _po(
        ("k.passes = 1" if num else "true"),
        detail="'全年党课 ' || cast(k.lectures as varchar) || ' 次'",
        quarter="4",
        join=f"inner join {_K15Y} as k on k.unit_code = p.unit_code and k.year = p.year "
        "and k.party_org_code = p.party_org_code",
    )


def _mobile(pred: str) -> str:
    """表6 ledger rows (a stock, D85), by person key only."""
    return f"""
        select m.unit_code, m.person_key, '', m.direction || ' · ' || coalesce(m.status, '')
               || case when m.verified_on is not null then ' · 已核实' else '' end
               || case when coalesce(m.host_party_org_code, '') <> '' then ' · 已编入 ' || m.host_party_org_code
                       else '' end
               || case when m.certificate then ' · 持证' else '' end,
               1, m.period, m.submission_id, m.source_row
        from intermediate.int_current_mobile_members as m
        where {_SCOPE.format(col="m.unit_code")} and m.period_year = $year and m.period_quarter between $q1 and $q2
          and ({pred})"""


def _secretaries(pred: str) -> str:
    """本年书记 (int_secretaries), each with one 表2 row naming them (the year's latest) and, when trained, the
    training that counted (fct_training_attendance, district-wide)."""
    return f"""
        select s.unit_code, s.person_key, '',
               case when s.k9b_trained then '已参加上级任职/集中培训'
                    when s.k9_trained then '已参加任职/集中培训' else '本年未参加任职/集中培训' end
               || coalesce('（培训编号 ' || t.training_code || '）', ''),
               1, p.period, p.submission_id, p.source_row
        from intermediate.int_secretaries as s
        left join (
            select unit_code, year, secretary_key, period, submission_id, source_row
            from intermediate.int_party_org_quarter
            qualify row_number() over (partition by unit_code, year, secretary_key
                                       order by quarter desc, source_row) = 1
        ) as p on p.unit_code = s.unit_code and p.year = s.year and p.secretary_key = s.person_key
        left join (
            select year, person_key, min(training_code) as training_code
            from marts.fct_training_attendance
            where role = '书记' and training_type in ('任职培训', '集中培训')
            group by year, person_key
        ) as t on t.year = s.year and t.person_key = s.person_key
        where {_SCOPE.format(col="s.unit_code")} and s.year = $year and ({pred})"""


_K10_JOIN = "left join intermediate.int_k10_organizers as o on o.unit_code = c.unit_code and o.year = $year"


def _k10(num: bool) -> str:
    """K10 (D82): register communities; a community passes when it *organized* (主办单位) both a 党务干部培训 and an
    出资人培训 this year — the classes are listed in the detail with the return and row they were read from."""
    return f"""
        select c.unit_code, c.unit_code, c.entity_name,
               case when coalesce(o.passes, false) then '达标' else '未达标' end
               || coalesce('：' || t.classes, ''), 1, t.period, t.submission_id, t.source_row
        from intermediate.int_entity_membership as c
        {_K10_JOIN}
        left join (
            select owner, string_agg(training_type || ' ' || training_code, '、' order by training_type,
                                     training_code) as classes,
                   min(period) as period, arg_min(submission_id, period) as submission_id,
                   arg_min(source_row, period) as source_row
            from (
                select coalesce(nullif(trim({{organizer_code}}), ''), rc.unit_code) as owner,
                       t.training_type, t.training_code, t.period, t.submission_id, t.source_row
                from intermediate.int_current_trainings as t
                left join intermediate.int_entity_membership as rc
                       on rc.level = 'community' and rc.entity_name = t.organizer
                where t.organizer_level = '社区党总支' and t.training_type in ('党务干部培训', '出资人培训')
                  and t.period_year = $year
                qualify row_number() over (partition by owner, t.training_type, t.training_code
                                           order by t.period, t.submission_id, t.source_row) = 1
            ) group by owner
        ) as t on t.owner = c.unit_code
        where c.level = 'community' and {_SCOPE.format(col="c.unit_code")}
          and ({"coalesce(o.passes, false)" if num else "true"})"""


def _k12() -> str:
    return f"""
        select t.unit_code, t.training_code, t.training_name, t.training_type || ' · ' || coalesce(t.organizer, ''),
               1, t.period, t.submission_id, t.source_row
        from intermediate.int_current_trainings as t
        inner join intermediate.int_k12_events as e
                on e.unit_code = t.unit_code and e.year = t.period_year and e.training_code = t.training_code
        where {_SCOPE.format(col="t.unit_code")} and t.period_year = $year
        qualify row_number() over (partition by t.unit_code, t.training_code order by t.period, t.source_row) = 1"""


def _k20(num: bool) -> str:
    """K20 (D84): register communities; the first accepted return's receipt (Asia/Shanghai date; a backfill by
    its 报出日期) against the deadline."""
    return f"""
        select c.unit_code, c.unit_code, c.entity_name,
               case when r.submission_id is null then '未报送（截止 ' || cast(d.deadline as varchar) || '）'
                    else '首份报送 ' || cast(r.judged_on as varchar)
                         || case when r.backfill then '（补录，按报出日期）' else '' end
                         || '，截止 ' || cast(r.deadline as varchar)
                         || case when r.on_time then '，按期' else '，逾期' end end,
               1, $period, r.submission_id, null
        from intermediate.int_entity_membership as c
        left join intermediate.int_first_receipts as r on r.unit_code = c.unit_code and r.period = $period
        left join ref.deadlines as d on d.period = $period
        where c.level = 'community' and {_SCOPE.format(col="c.unit_code")}
          and ({"coalesce(r.on_time, false)" if num else "true"})"""


def _quota() -> str:
    """K7q's denominator: the year's development quota of each community with a current return in the quarter."""
    return f"""
        select s.unit_code, s.unit_code, c.entity_name, '本年发展计划 ' || cast(q.quota as varchar), q.quota,
               cast($year as varchar), null, null
        from intermediate.int_current_submissions as s
        inner join ref.development_quotas as q on q.unit_code = s.unit_code and q.year = s.period_year
        left join intermediate.int_entity_membership as c on c.level = 'community' and c.unit_code = s.unit_code
        where {_SCOPE.format(col="s.unit_code")} and s.period_year = $year and s.period_quarter = $q2
          and coalesce(q.quota, 0) <> 0"""


@dataclass(frozen=True)
class Spec:
    kind: str  # member kind (UNIT, PARTY_ORG, …)
    sheet: str
    numerator: str  # member query
    denominator: str | None = None
    distinct: bool = False  # count distinct keys (a person or event counted once per level), not rows
    span: bool = False  # K8/K8r year: Q4 closing − Q1 opening
    ytd: bool = False  # K7q: quarters 1..q
    den_kind: str | None = None  # the denominator's member kind when not ``kind`` (K7q: communities' quotas)
    den_sheet: str | None = None

    def kind_of(self, role: str) -> str:
        return (self.den_kind or self.kind) if role == DENOMINATOR else self.kind

    def sheet_of(self, role: str) -> str:
        return (self.den_sheet or self.sheet) if role == DENOMINATOR else self.sheet


def _u(num: str, den: str | None = None) -> Spec:
    return Spec(UNIT, ORG_SHEET, _unit(num), _unit(den) if den else None)


_K4 = (
    "in_b and (covered_k2 or party_status = '功能型' or instructor or first_secretary or has_union "
    "or has_youth_league or has_women_org)"
)
_FLOW_SUM = "coalesce(f.developed, 0) + coalesce(f.in_mobile, 0) + coalesce(f.revealed, 0) + coalesce(f.absorbed, 0)"
_FUNDS_NUM = (
    f"{_FUNDS_DEN} and coalesce(party_funds, 0) >= payroll_prev_year * {_param('funds_ratio_min')} "
    f"and coalesce(party_funds, 0) <= payroll_prev_year * {_param('funds_ratio_max')}"
)
_FUNDS_F = (
    f"{_FUNDS_DEN} and coalesce(party_funds, 0) > payroll_prev_year * {_param('funds_ratio_pretax')} "
    f"and coalesce(party_funds, 0) <= payroll_prev_year * {_param('funds_ratio_max')}"
)
_SIX = "'“六有” ' || cast(p.six_count as varchar) || ' 项'"
_STUDY = "coalesce(p.formation_mode, '') || ' · 本季度学习 ' || cast(p.study_sessions as varchar) || ' 次'"
_MEETINGS = (
    "'党员大会 ' || cast(p.general_meetings as varchar) || ' 次 · 支委会 ' || cast(p.committee_meetings as varchar)"
    " || ' 次 · 正式党员 ' || cast(p.members_formal as varchar) || ' 名'"
)
_EST = "'成立 ' || coalesce(cast(p.established_on as varchar), '—')"
_MGMT = "case when p.secretary_in_mgmt then '书记为管理层成员' else '书记不是管理层成员' end"
_VENUE = "case when p.has_venue then '有活动场所' else '无活动场所' end"
_IN, _OUT = "m.direction = '流入' and m.status = '在流动'", "m.direction = '流出' and m.status = '在流动'"

SPECS: dict[str, Spec] = {
    # 表3 sums (int_community_quarter_measures: flows)
    "M": Spec(FLOW_ROW, FLOW_SHEET, _flow("f.closing_actual", "期末实有数")),
    # 表1 units (int_indicator_unit_level)
    "N_U": _u("true"),
    "N_B": _u("in_b"),
    "N_E": _u("in_e"),
    "K1": _u("in_b and party_status = '单独建立'", "in_b"),
    "K2": _u("in_b and covered_k2", "in_b"),
    "K3": _u("in_e and party_status = '单独建立'", "in_e"),
    "K3b": _u("in_e and party_status <> '单独建立'"),
    "K3b_joint": _u("in_e and party_status in ('联合建立', '挂靠')"),
    "K3b_functional": _u("in_e and party_status = '功能型'"),
    "K3b_none": _u("in_e and party_status = '未建立'"),
    "K4": _u(_K4, "in_b"),
    "K5": _u("in_b and covered_k2 and (instructor or first_secretary)", "in_b and covered_k2"),
    "K6_union": _u("in_b and has_union", "in_b"),
    "K6_youth": _u("in_b and has_youth_league", "in_b"),
    "K6_women": _u("in_b and has_women_org", "in_b"),
    "K6b": _u("in_b and covered_k2 and not (has_union or has_youth_league or has_women_org)"),
    "K7a": Spec(FLOW_ROW, FLOW_SHEET, _flow("f.developed", "发展党员")),
    "K7b": Spec(FLOW_ROW, FLOW_SHEET, _flow("f.in_mobile", "流动党员接转")),
    "K7c": Spec(FLOW_ROW, FLOW_SHEET, _flow("f.revealed", "亮明身份")),
    "K7d": Spec(FLOW_ROW, FLOW_SHEET, _flow("f.absorbed", "招聘吸收")),
    "K7": Spec(FLOW_ROW, FLOW_SHEET, _flow(_FLOW_SUM, "四个一批")),
    "K7q": Spec(
        FLOW_ROW,
        FLOW_SHEET,
        _flow("f.developed", "发展党员", scope_quarter="$q2"),
        _quota(),
        ytd=True,
        den_kind=COMMUNITY,
        den_sheet=QUOTA_SHEET,
    ),
    "K8": Spec(
        FLOW_ROW, FLOW_SHEET, _flow("coalesce(f.closing_actual, 0) - coalesce(f.opening, 0)", "净增长"), span=True
    ),
    "K8r": Spec(
        FLOW_ROW,
        FLOW_SHEET,
        _flow("coalesce(f.closing_actual, 0) - coalesce(f.opening, 0)", "净增长"),
        _flow("f.opening", "期初党员数"),
        span=True,
    ),
    "K7e": Spec(
        UNIT,
        ORG_SHEET,
        _unit(
            "in_b and party_status = '未建立' and coalesce(developed_here, 0) <> 0",
            "u.developed_here",
            "'本单位发展党员 ' || cast(u.developed_here as varchar)",
        ),
    ),
    "K7f": Spec(
        UNIT,
        ORG_SHEET,
        _unit("in_b and coalesce(activists, 0) <> 0", "u.activists", "'入党积极分子 ' || cast(u.activists as varchar)"),
    ),
    "K7g": Spec(
        UNIT,
        ORG_SHEET,
        _unit(
            "in_b and coalesce(applicants, 0) <> 0", "u.applicants", "'入党申请人 ' || cast(u.applicants as varchar)"
        ),
    ),
    # persons (int_secretaries: district-wide training flags)
    "K9": Spec(PERSON, PO_SHEET, _secretaries("s.k9_trained"), _secretaries("true"), distinct=True),
    "K9b": Spec(PERSON, PO_SHEET, _secretaries("s.k9b_trained"), _secretaries("true"), distinct=True),
    # communities / events
    "K10": Spec(COMMUNITY, TRAINING_SHEET, _k10(True), _k10(False)),
    "K11": _u("in_b and is_enterprise and investor_trained", "in_b and is_enterprise"),
    "K12": Spec(EVENT, TRAINING_SHEET, _k12(), distinct=True),
    # 表2 Party organizations (int_community_quarter_measures: orgs)
    "K13": Spec(
        PARTY_ORG,
        PO_SHEET,
        _po("existed_whole_quarter and k13_pass", detail=_STUDY),
        _po("existed_whole_quarter", detail=_STUDY),
    ),
    "K14a": Spec(
        PARTY_ORG,
        PO_SHEET,
        _po("established_before_oct and org_life_meeting", detail=_EST),
        _po("established_before_oct", detail=_EST),
    ),
    "K14b": Spec(
        PARTY_ORG,
        PO_SHEET,
        _po("established_before_oct and appraisal_held", detail=_EST),
        _po("established_before_oct", detail=_EST),
    ),
    "K15": Spec(
        PARTY_ORG,
        PO_SHEET,
        _po("existed_whole_quarter and k15_pass", detail=_MEETINGS),
        _po("existed_whole_quarter", detail=_MEETINGS),
    ),
    "K15y": Spec(PARTY_ORG, PO_SHEET, _k15y(True), _k15y(False)),
    "K16": Spec(PARTY_ORG, PO_SHEET, _po("six_count = 6", detail=_SIX), _po("true", detail=_SIX)),
    "K16m": Spec(PARTY_ORG, PO_SHEET, _po("six_count > 0", "p.six_count", _SIX), _po("true", detail=_SIX)),
    "K17": Spec(UNIT, ORG_SHEET, _unit(_FUNDS_NUM, detail=_FUNDS_DETAIL), _unit(_FUNDS_DEN, detail=_FUNDS_DETAIL)),
    "K17f": Spec(UNIT, ORG_SHEET, _unit(_FUNDS_F, detail=_FUNDS_DETAIL)),
    # 表6 ledger rows (int_community_quarter_measures: mobile)
    "K18": Spec(LEDGER_ROW, MOBILE_SHEET, _mobile(f"{_IN} and m.verified_on is not null"), _mobile(_IN)),
    "K18b": Spec(
        LEDGER_ROW, MOBILE_SHEET, _mobile(f"{_IN} and coalesce(m.host_party_org_code, '') <> ''"), _mobile(_IN)
    ),
    "K18c_in": Spec(LEDGER_ROW, MOBILE_SHEET, _mobile(f"{_IN} and m.certificate"), _mobile(_IN)),
    "K18c_out": Spec(LEDGER_ROW, MOBILE_SHEET, _mobile(f"{_OUT} and m.certificate"), _mobile(_OUT)),
    "K18d": Spec(
        UNIT,
        ORG_SHEET,
        _unit(
            "least(ledger_inflow_active, members_relation_elsewhere) > 0",
            "least(u.ledger_inflow_active, u.members_relation_elsewhere)",
            "'台账在流动流入 ' || cast(u.ledger_inflow_active as varchar) || '，未转入组织关系党员 ' "
            "|| cast(u.members_relation_elsewhere as varchar)",
        ),
        _unit(
            "members_relation_elsewhere > 0",
            "u.members_relation_elsewhere",
            "'未转入组织关系党员 ' || cast(u.members_relation_elsewhere as varchar)",
        ),
    ),
    "K18e": Spec(LEDGER_ROW, MOBILE_SHEET, _mobile("m.status = '失去联系'")),
    "K19": _u(
        "in_b and inspection_result = '合格'", "in_b and inspection_result is not null and inspection_result <> '未检'"
    ),
    # submissions (int_first_receipts)
    "K20": Spec(COMMUNITY, "接收记录", _k20(True), _k20(False)),
    "K21": Spec(
        PARTY_ORG,
        PO_SHEET,
        _po("enterprise_alone and secretary_in_mgmt", detail=_MGMT),
        _po("enterprise_alone", detail=_MGMT),
    ),
    "K22": _u("in_b and is_enterprise and above_scale and party_mass_dept", "in_b and is_enterprise and above_scale"),
    "K22w": Spec(
        UNIT,
        ORG_SHEET,
        _unit(
            "in_b and fulltime_party_workers <> 0",
            "u.fulltime_party_workers",
            "'专职党务工作者 ' || cast(u.fulltime_party_workers as varchar)",
        ),
    ),
    "K23": Spec(PARTY_ORG, PO_SHEET, _po("has_venue", detail=_VENUE), _po("true", detail=_VENUE)),
    "K24": _u(
        "in_b and party_status = '单独建立' and coalesce(double_strong, false)", "in_b and party_status = '单独建立'"
    ),
}
# kept for callers of the first version (the 表1 unit-count indicators)


class ExplainError(ValueError):
    """Bad input (unknown indicator, unit or period): the message lists the valid ones."""


@dataclass
class ExplainRow:
    role: str  # 分子 | 分母 (a member in both appears twice)
    community_code: str
    community_name: str
    key: str  # 统一社会信用代码 / 党组织编码 / 人员键 / 培训编号 / 社区代码 (see kind)
    name: str  # unit, Party organization, training or community name; '' for persons
    detail: str  # what made it count (建立情况, status, the summed cell's value …)
    submission_id: str
    original_name: str
    correction_no: int | None
    received_at: str
    sheet: str
    row: int  # the row of the submitted sheet (1 = header; 0 = not from a sheet: register, quota seed)
    kind: str = UNIT  # member kind: 单位 | 党组织 | 表3行 | 台账行 | 人员 | 社区 | 培训
    value: float = 1  # what the member contributes (1 for a count; the cell's value for a sum)
    period: str = ""  # the quarter the row was read from
    extra: dict = field(default_factory=dict, repr=False)

    # the first version's names (表1 units)
    @property
    def uscc(self) -> str:
        return self.key

    @property
    def org_name(self) -> str:
        return self.name

    @property
    def party_status(self) -> str:
        return self.detail


@dataclass
class Published:
    indicator_id: str
    indicator_name: str
    level: str
    entity_code: str
    entity_name: str
    period: str
    numerator: int | None
    denominator: int | None
    value: float | None
    kind: str = "count"
    null_reason: str | None = None


def _one_of(items: list[str], limit: int = 40) -> str:
    if not items:
        return "（无）"
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 个" if len(items) > limit else "")


def _published(con, indicator: str, unit: str, period: str) -> Published:
    ids = [r[0] for r in con.execute("select distinct indicator_id from marts.fct_indicators order by 1").fetchall()]
    if indicator not in SPECS or indicator not in ids:
        rows = (
            con.execute("select indicator_id, name_zh from ref.indicators order by sort_order").fetchall()
            if _has_relation(con, "ref", "indicators")
            else [(i, "") for i in ids]
        )
        names = dict(rows)
        order = [i for i, _ in rows if i in SPECS] or list(SPECS)
        listing = "；".join(f"{i} {names.get(i, '')}".strip() for i in order if not ids or i in ids)
        raise ExplainError(f"未知指标：{indicator}。可溯源的指标：{listing}")
    entities = con.execute(
        "select distinct level, entity_code, entity_name from intermediate.int_entity_membership "
        "order by case level when 'district' then 0 when 'street' then 1 else 2 end, entity_code"
    ).fetchall()
    match = [e for e in entities if e[1] == unit]
    if not match:
        listing = [f"{c} {n}" for lv, c, n in entities if lv != "community"]
        n_comm = sum(1 for e in entities if e[0] == "community")
        raise ExplainError(
            f"未知单位：{unit}。可用的单位：{_one_of(listing)}；以及 {n_comm} 个社区（12 位社区代码，"
            f"如 {next((c for lv, c, _ in entities if lv == 'community'), '—')}）"
        )
    level = match[0][0]
    periods = [
        r[0]
        for r in con.execute(
            "select distinct period from marts.fct_indicators where indicator_id = ? and entity_code = ? "
            "and level = ? order by 1",
            [indicator, unit, level],
        ).fetchall()
    ]
    if period not in periods:
        raise ExplainError(f"报告期 {period} 没有 {indicator}（{unit}）的数值。可用的报告期：{_one_of(periods)}")
    row = con.execute(
        "select indicator_id, indicator_name, level, entity_code, entity_name, period, numerator, denominator, value, "
        "kind, null_reason from marts.fct_indicators "
        "where indicator_id = ? and entity_code = ? and level = ? and period = ?",
        [indicator, unit, level, period],
    ).fetchone()
    return Published(*row)


def _has_relation(con, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def _has_column(con, schema: str, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
            "and column_name = ?",
            [schema, table, column],
        ).fetchone()[0]
    )


def _window(spec: Spec, year_rule: str, period: str) -> tuple[int, int, int]:
    """(year, first quarter, last quarter) of the rows a value is computed from."""
    m = re.fullmatch(r"(\d{4})(?:Q([1-4]))?", period)
    year, q = int(m.group(1)), int(m.group(2)) if m.group(2) else None
    if q is not None:
        return year, (1 if spec.ytd else q), q
    if year_rule in ("sum", "year", "span") or spec.ytd:
        return year, 1, 4
    return year, 4, 4  # Q4


def _members(con, sql: str, params: dict) -> list[tuple]:
    sql = sql.replace(
        "{organizer_code}",
        "t.organizer_code"
        if _has_column(con, "intermediate", "int_current_trainings", "organizer_code")
        else "cast(null as varchar)",
    )
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return con.execute(
        f"""
        with m (community_code, key, name, detail, value, period, submission_id, source_row) as ({sql})
        select m.community_code, c.entity_name, m.key, m.name, m.detail, m.value, m.period, m.submission_id,
               sub.original_name, sub.correction_no, cast(sub.received_at as varchar), m.source_row
        from m
        left join intermediate.int_entity_membership as c on c.level = 'community' and c.unit_code = m.community_code
        left join raw.submissions as sub on sub.submission_id = m.submission_id
        order by m.community_code, m.period, m.source_row, m.key""",
        used,
    ).fetchall()


def explain(indicator: str, unit: str, period: str, con) -> list[ExplainRow]:
    """The members counted (or summed) in ``indicator``'s numerator and denominator for entity ``unit`` (district,
    street or community code) and ``period`` (``YYYYQn``, or ``YYYY`` for the year value), with their lineage.

    Raises :class:`ExplainError` (Chinese, listing the valid choices) for an unknown indicator, unit or period.
    """
    indicator, unit, period = indicator.strip(), unit.strip(), period.strip().upper()
    pub = _published(con, indicator, unit, period)
    spec = SPECS[indicator]
    year_rule = (
        (
            con.execute(
                "select coalesce(year_rule, '') from ref.indicators where indicator_id = ?", [indicator]
            ).fetchone()
            or [""]
        )[0]
        if _has_relation(con, "ref", "indicators")
        else ""
    )
    year, q1, q2 = _window(spec, year_rule, period)
    params = {"level": pub.level, "entity": unit, "year": year, "q1": q1, "q2": q2, "period": period}
    parts = [(NUMERATOR, spec.numerator)] + ([(DENOMINATOR, spec.denominator)] if spec.denominator else [])
    out: list[ExplainRow] = []
    for role, sql in parts:
        if spec.span and re.fullmatch(r"\d{4}", period):
            rows = _span_rows(con, spec, role, params)
        else:
            rows = _members(con, sql, params)
        out += [_row(role, spec, r) for r in rows]
    return out


def _span_rows(con, spec: Spec, role: str, params: dict) -> list[tuple]:
    """K8 / K8r year (span rule): Σ Q4 期末实有数 − Σ Q1 期初党员数 over communities with both a Q1 and a Q4
    current return; the denominator of K8r is Σ Q1 期初党员数."""
    both = (
        "f.unit_code in (select unit_code from intermediate.int_current_submissions where period_year = $year "
        "and period_quarter = 1 intersect select unit_code from intermediate.int_current_submissions "
        "where period_year = $year and period_quarter = 4)"
    )
    closing = _flow("f.closing_actual", "期末实有数（第四季度）", both)
    opening_minus = _flow("-f.opening", "期初党员数（第一季度，减）", both)
    opening = _flow("f.opening", "期初党员数（第一季度）", both)
    if role == NUMERATOR:
        return _members(con, closing, {**params, "q1": 4, "q2": 4}) + _members(
            con, opening_minus, {**params, "q1": 1, "q2": 1}
        )
    return _members(con, opening, {**params, "q1": 1, "q2": 1})


def _row(role: str, spec: Spec, r: tuple) -> ExplainRow:
    value = r[5]
    value = 0 if value is None else (int(value) if float(value).is_integer() else float(value))
    sid, src = r[7], r[11]
    kind, sheet = spec.kind_of(role), spec.sheet_of(role)
    if src is None and kind == COMMUNITY and sheet != QUOTA_SHEET:
        sheet = "接收记录" if sid else REGISTER  # K20: the first accepted return; K10, K20: the register
    return ExplainRow(
        role=role,
        community_code=r[0] or "",
        community_name=r[1] or "",
        key=r[2] or "",
        name=r[3] or "",
        detail=r[4] or "",
        submission_id=sid or "",
        original_name=r[8] or "",
        correction_no=r[9],
        received_at=r[10] or "",
        sheet=sheet,
        row=int(src) if src is not None else 0,
        kind=kind,
        value=value,
        period=r[6] or "",
    )


def _total(spec: Spec, rows: list[ExplainRow]) -> int | float:
    if spec.distinct:
        return len({r.key for r in rows})
    total = sum(r.value for r in rows)
    return int(total) if float(total).is_integer() else total


def check_against_published(
    indicator: str, unit: str, period: str, con, rows: list[ExplainRow] | None = None
) -> tuple[Published, int | None, int | None]:
    """(published value, the members' numerator, the members' denominator or None); the caller compares.

    The members' numerator is the count of members (distinct persons / events for K9, K9b, K12) or the sum of
    their values (sums); None when the published numerator was not collected (未采集, D83)."""
    indicator = indicator.strip()
    pub = _published(con, indicator, unit.strip(), period.strip().upper())
    rows = rows if rows is not None else explain(indicator, unit, period, con)
    spec = SPECS[pub.indicator_id]
    n_num = _total(spec, [r for r in rows if r.role == NUMERATOR])
    if pub.numerator is None and n_num == 0:
        n_num = None
    n_den = (
        _total(spec, [r for r in rows if r.role == DENOMINATOR])
        if spec.denominator and pub.denominator is not None
        else None
    )
    return pub, n_num, n_den


def connect_build(db: Path):
    import duckdb

    db = Path(db)
    if not db.exists():
        raise ExplainError(f"构建库不存在：{db}。请先接收报表并运行 liangxin build（或 liangxin demo）。")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise ExplainError(f"无法只读打开构建库 {db}（可能正在构建，请稍后重试）：{exc}") from exc
