"""The rules of audit-rules.md (revision 2) over parsed rows: F3, F5, F6, I1–I5, R1–R18, X1–X8, P1–P4, P6.

Rules only look at values that parsed (``None`` = blank or already reported by F4), so one bad cell is
reported once.  Cross-sheet rules run only when the sheets they compare are present (F2 reports the rest).

Choices (docs/decisions.md D70–D79):
- I1: a USCC whose prefix is ``92`` (个体工商户) is an error whatever its check character; a failing check
  character is a warning unless the USCC is on the allow-list.  I1 checks 表1 only (表6 uscc must be in 表1,
  X6; 表5 uscc is a person's employer, not audited).
- I3: ``ctx.uscc_owners(uscc, period)`` minus this unit, for 表1 rows with 登记状态 存续.
- I5: the registration prefix (positions 1–2) of a 表1 uscc against its 组织类别, for the prefixes the spec
  lists (91, 51, 52, 53, 31); other prefixes are not judged (92 is I1).
- P1: with a previous return, each 表3 opening must equal its closing_actual there (0 for an organization
  not in it) - E.  Without one (first return loaded, or the previous quarter missing) one W per return says
  the openings could not be checked, when any opening is non-zero.
- P3 ``members`` = Σ 表3 期末实有数 over all rows (the warehouse's PreviousReturn.members must match).
- P4: judged on the first accepted return of the unit and period only (a correction is never "late": K20 and
  P4 rest on the first receipt); the receipt date in Asia/Shanghai against the deadline seed (end of day); a
  backfill (``ctx.backfill``) by its 报出日期, marked 历史补录.
- P5 was removed in revision 2 (it could never fire: returns do not say whether a transfer stays inside the
  district).
- P6: whenever the unit's next quarter already has an accepted current return (``ctx.next_return``), each of
  its 表3 openings is compared with this return's closings (0 for an organization not in it).
- X4 / X7: X4 counts the units declared 单独建立 that point to a 单独组建 organization (exactly one); a unit of
  any other status pointing to it is judged by X7 (挂靠 is allowed, anything else contradicts the
  organization), so one mismatch is reported once.
- X8: a filled 主办单位编码 must be in the register; filled for another 主办层级 (it must be blank there) is
  also X8.
"""

from __future__ import annotations

from collections import Counter

from liangxin import checks, forms, periods, seeds
from liangxin.validate.result import ERROR, WARNING

# R6: the joint formation modes (the founding plan lists 挂靠组建 among the ways to form joint organizations)
JOINT_MODES = frozenset({"联合组建", "行业组建", "区域组建", "挂靠组建", "网上组建"})
JOINT_MODES_ZH = "联合组建/行业组建/区域组建/挂靠组建/网上组建"
NOT_ESTABLISHED = "未建立"
SEPARATE = "单独建立"
JOINT = "联合建立"
ATTACHED = "挂靠"
FUNCTIONAL = "功能型"
SEPARATE_MODE = "单独组建"
OWN_ORG_TYPES = ("党委", "党总支", "党支部")  # X7: the org_type of a unit's own (单独建立) organization
# I5: registration prefix of the USCC -> the 组织类别 it allows
USCC_PREFIX_CATEGORIES = {
    "91": ("非公有制企业", "会计师事务所", "税务师事务所"),
    "51": ("社会团体",),
    "52": ("民办非企业单位",),
    "53": ("基金会",),
    "31": ("律师事务所",),
}
COMMUNITY_LEVEL = "社区党总支"


def _n(x) -> int:
    return x or 0


# ------------------------------------------------------------------------------------------------
# Cover: F3, F6, P4
# ------------------------------------------------------------------------------------------------
def check_cover(ck) -> None:
    sd = ck.sheets["cover"]
    if not sd.present:
        return
    if ck.cover is None:
        ck.hits.add(
            "F3",
            ERROR,
            sd.form.sheet,
            2,
            None,
            None,
            "封面没有填写内容；封面第2行应填写填报单位编码、报告期、模板版本等信息",
        )
        return
    c = ck.cover
    row = ck.cover_row
    for f in sd.form.fields:
        if (
            f.required == forms.REQ
            and c.get(f.name) is None
            and f.name in sd.col_of
            and ck.cover_found.get(f.name) is None
        ):
            ck.hit("F3", ERROR, "cover", row, f.name, f"封面“{f.label}”未填写；封面各项均为必填")
    ctx = ck.ctx
    unit = c.get("unit_code")
    if unit is not None:
        reg = ctx.get_register().get(unit)
        if reg is None:
            ck.hit(
                "F3",
                ERROR,
                "cover",
                row,
                "unit_code",
                f"填报单位编码“{unit}”不在单位名册中；应为本社区党总支的12位统计用区划代码",
            )
        else:
            ck.unit_code = unit
            name = c.get("unit_name")
            if name is not None and name != reg.get("unit_name"):
                ck.hit(
                    "F3",
                    WARNING,
                    "cover",
                    row,
                    "unit_name",
                    f"填报单位名称“{name}”与单位名册不一致；名册中编码 {unit} 的名称为“{reg.get('unit_name')}”",
                )
    period = c.get("period")
    if period is not None:
        try:
            periods.parse_period(period)
        except ValueError:
            ck.hit("F3", ERROR, "cover", row, "period", f"报告期“{period}”格式不正确；应为 YYYYQn，如 2020Q3")
        else:
            if periods.period_start(period) > ctx.received_on:
                ck.hit(
                    "F3",
                    ERROR,
                    "cover",
                    row,
                    "period",
                    f"报告期 {period} 尚未开始（接收日期 {ctx.received_on.isoformat()}）；不能报送未来报告期",
                )
            else:
                ck.period = period
                ck.q4 = periods.is_q4(period)
    tv = c.get("template_version")
    if tv is not None and tv not in ctx.get_template_versions():
        known = "、".join(sorted(ctx.get_template_versions()))
        ck.hit("F3", ERROR, "cover", row, "template_version", f"模板版本“{tv}”未知；应为 {known} 之一，请使用规定模板")
    elif tv is not None and ck.period and tv in seeds.template_versions():
        vr = seeds.template_versions()[tv]
        lo, hi = vr["valid_from_period"], vr["valid_to_period"]
        if ck.period < lo or (hi and ck.period > hi):
            try:
                right = f"，{ck.period} 应使用 {seeds.template_version_for(ck.period)}"
            except ValueError:
                right = ""
            span = f"{lo} 至 {hi}" if hi else f"{lo} 起"
            ck.hit(
                "F3",
                ERROR,
                "cover",
                row,
                "template_version",
                f"模板版本“{tv}”适用于{span}的报告期，不适用于报告期 {ck.period}{right}；请使用规定模板重新填报",
            )
    sub = c.get("submitted_on")
    if sub is not None and sub > ctx.received_on:
        ck.hit(
            "F3",
            ERROR,
            "cover",
            row,
            "submitted_on",
            f"报出日期 {sub.isoformat()} 晚于接收日期 {ctx.received_on.isoformat()}；报出日期不得晚于接收日期",
        )
    # F6 corrections
    cn = c.get("correction_no")
    if cn is not None:
        if cn > 0 and c.get("correction_reason") is None and "correction_reason" in sd.col_of:
            ck.hit("F6", ERROR, "cover", row, "correction_reason", f"更正序号为 {cn}，须填写更正说明")
        if ck.unit_code and ck.period:
            accepted = sorted(ctx.accepted_corrections(ck.unit_code, ck.period) or [])
            if cn > 0 and not accepted:
                ck.hit(
                    "F6",
                    ERROR,
                    "cover",
                    row,
                    "correction_no",
                    f"更正序号为 {cn}，但本单位 {ck.period} 尚无已接收的报表，无可更正；首次报送更正序号应为 0",
                )
            elif accepted and cn <= accepted[-1]:
                nxt = accepted[-1] + 1
                if cn == 0:
                    ck.hit(
                        "F6",
                        ERROR,
                        "cover",
                        row,
                        "correction_no",
                        f"本单位 {ck.period} 的报表已接收（更正序号 {accepted[-1]}）；如需修改，请以更正序号 {nxt} 报送更正",
                    )
                else:
                    ck.hit(
                        "F6",
                        ERROR,
                        "cover",
                        row,
                        "correction_no",
                        f"更正序号 {cn} 不大于已接收的更正序号 {accepted[-1]}；请以更正序号 {nxt} 报送更正",
                    )
    check_p4(ck)


def check_p4(ck) -> None:
    """P4: the first accepted return of the unit and period received after the deadline (end of day,
    Asia/Shanghai); a historical backfill loaded with the explicit flag is judged by its 报出日期."""
    if not (ck.unit_code and ck.period) or ck.cover is None:
        return
    ctx = ck.ctx
    deadline = ctx.get_deadlines().get(ck.period)
    if deadline is None:
        return
    if ctx.accepted_corrections(ck.unit_code, ck.period):
        return  # not the first accepted return: its receipt time was judged then (D75)
    row = ck.cover_row
    if ctx.backfill:
        sub = ck.cover.get("submitted_on")
        if sub is not None and sub > deadline:
            ck.hit(
                "P4",
                WARNING,
                "cover",
                row,
                "submitted_on",
                f"历史补录：按报出日期判断，报出日期 {sub.isoformat()} 晚于 {ck.period} 的报送截止日期 "
                f"{deadline.isoformat()}（逾期报送）",
            )
        return
    received = ctx.receipt_date_shanghai()
    if received > deadline:
        ck.hits.add(
            "P4",
            WARNING,
            forms.COVER.sheet,
            row,
            None,
            received.isoformat(),
            f"首次报送的接收日期 {received.isoformat()}（北京时间）晚于 {ck.period} 的报送截止日期 "
            f"{deadline.isoformat()}（逾期报送）",
        )


# ------------------------------------------------------------------------------------------------
def run_all(ck) -> None:
    check_keys(ck)
    check_identity(ck)
    check_organizations(ck)
    check_party_orgs(ck)
    check_member_flows(ck)
    check_trainings(ck)
    check_mobile(ck)
    check_cross(ck)
    check_periods(ck)


def _rows(ck, key):
    sd = ck.sheets.get(key)
    return sd.rows if sd is not None and sd.present else []


# F5 --------------------------------------------------------------------------------------------
def check_keys(ck) -> None:
    for form in forms.DATA_FORMS:
        sd = ck.sheets[form.key]
        if not sd.present:
            continue
        seen: dict[tuple, int] = {}
        for row in sd.rows:
            key = tuple(row.values.get(k) for k in form.primary_key)
            if any(k is None for k in key):
                continue
            if key in seen:
                labels = "+".join(form.field(k).label for k in form.primary_key)
                shown = " / ".join(str(k) for k in key)
                ck.hit(
                    "F5",
                    ERROR,
                    form.key,
                    row,
                    form.primary_key[-1] if len(key) > 1 else form.primary_key[0],
                    f"{labels}“{shown}”重复（与第 {seen[key]} 行相同）；每个{labels}只能填写一行",
                )
            else:
                seen[key] = row.source_row


# I1, I2, I3, I4 --------------------------------------------------------------------------------
def check_identity(ck) -> None:
    ctx = ck.ctx
    allow = ctx.get_allow_list()
    for row in _rows(ck, "organizations"):
        u = row.values.get("uscc")
        if u is None:
            continue
        if u.startswith(checks.USCC_PREFIX_INDIVIDUAL):
            ck.hit(
                "I1",
                ERROR,
                "organizations",
                row,
                "uscc",
                f"统一社会信用代码“{u}”以 92 开头，为个体工商户，不属于两新组织，不应列入表1",
            )
        elif not checks.uscc_valid(u) and u not in allow:
            expected = ""
            try:
                expected = (
                    f"（按前17位计算，校验位应为 {checks.uscc_check_char(u[:17])}）"
                    if len(u) == 18
                    else f"（应为18位，实际 {len(u)} 位）"
                )
            except ValueError:
                expected = "（含不允许的字符；应为数字及大写字母，不含 I、O、Z、S、V）"
            ck.hit(
                "I1",
                WARNING,
                "organizations",
                row,
                "uscc",
                f"统一社会信用代码“{u}”未通过 GB 32100 校验{expected}；请核对",
            )
        if ck.unit_code and ck.period and row.values.get("reg_status") == "存续":
            others = set(ctx.uscc_owners(u, ck.period) or set()) - {ck.unit_code}
            if others:
                ck.hit(
                    "I3",
                    WARNING,
                    "organizations",
                    row,
                    "uscc",
                    f"统一社会信用代码“{u}”同时出现在 {'、'.join(sorted(others))} 的 {ck.period} 报表中；"
                    "单位迁移时，迁入社区填“存续”，迁出社区应填“迁出”",
                )
        cat = row.values.get("org_category")
        allowed = USCC_PREFIX_CATEGORIES.get(u[:2])
        if cat is not None and allowed is not None and cat not in allowed:
            ck.hit(
                "I5",
                WARNING,
                "organizations",
                row,
                "org_category",
                f"组织类别“{cat}”与统一社会信用代码“{u}”的登记管理部门代码 {u[:2]} 不符；代码以 {u[:2]} 开头的单位"
                f"组织类别应为 {'、'.join(allowed)}；请核对组织类别或信用代码",
            )
    for key, name in (("party_orgs", "secretary_id"), ("attendance", "person_id"), ("mobile_members", "person_id")):
        for row in _rows(ck, key):
            pid = row.values.get(name)
            if pid is not None and not checks.id_valid(pid):
                why = (
                    "应为18位"
                    if len(pid) != 18
                    else ("出生日期无效" if pid[:17].isdigit() and checks.id_birth_date(pid) is None else "校验位错误")
                )
                ck.hit("I2", ERROR, key, row, name, f"身份证号“{pid}”未通过 GB 11643 校验（{why}）；请核对")
    if ck.unit_code:
        for row in _rows(ck, "party_orgs"):
            code = row.values.get("party_org_code")
            if code is None:
                continue
            owner = ctx.party_org_owner(code)
            if owner is not None and owner != ck.unit_code:
                ck.hit(
                    "I4",
                    ERROR,
                    "party_orgs",
                    row,
                    "party_org_code",
                    f"党组织编码“{code}”已属于 {owner} 报送的党组织；党组织编码在全区唯一，同一党组织只能由一个社区报送",
                )


# 表1 R1–R5, R16, R18 ---------------------------------------------------------------------------------------
def check_organizations(ck) -> None:
    min_formal = int(ck.ctx.get_parameters().get("eligible_min_formal_members", "3"))
    for row in _rows(ck, "organizations"):
        v = row.values
        if v.get("legal_rep_secretary") is True and v.get("legal_rep_member") is False:
            ck.hit(
                "R1",
                ERROR,
                "organizations",
                row,
                "legal_rep_secretary",
                "法定代表人兼任党组织书记，则“法定代表人是否党员”应为“是”",
            )
        formal, prob, elsewhere, emp = (
            v.get(k) for k in ("members_formal", "members_probationary", "members_relation_elsewhere", "employees")
        )
        if None not in (formal, prob, elsewhere) and elsewhere > formal + prob:
            ck.hit(
                "R2",
                ERROR,
                "organizations",
                row,
                "members_relation_elsewhere",
                f"其中未转入组织关系党员数 {elsewhere} 大于从业正式党员数与预备党员数之和 {formal + prob}；应不大于该和",
            )
        if None not in (formal, prob, emp) and formal + prob > emp + 1:
            ck.hit(
                "R2",
                ERROR,
                "organizations",
                row,
                "employees",
                f"从业党员数 {formal + prob}（正式 {formal} + 预备 {prob}）超过从业人员数 {emp} + 1（出资人）；请核对",
            )
        status, code = v.get("party_status"), v.get("party_org_code")
        if status is not None:
            if status != NOT_ESTABLISHED and code is None and _cell_blank(ck, "organizations", row, "party_org_code"):
                ck.hit(
                    "R3",
                    ERROR,
                    "organizations",
                    row,
                    "party_org_code",
                    f"党组织建立情况为“{status}”，须填写所在党组织编码",
                )
            elif status == NOT_ESTABLISHED and code is not None:
                ck.hit(
                    "R3",
                    ERROR,
                    "organizations",
                    row,
                    "party_org_code",
                    "党组织建立情况为“未建立”，所在党组织编码应留空",
                )
        if status == SEPARATE and formal is not None and formal < min_formal:
            ck.hit(
                "R4",
                WARNING,
                "organizations",
                row,
                "members_formal",
                f"单独建立党组织的单位从业正式党员数应不少于 {min_formal} 名，实际 {formal} 名；请核对",
            )
        cat, ctl = v.get("org_category"), v.get("control_type")
        if cat == forms.ENTERPRISE and ctl is None and _cell_blank(ck, "organizations", row, "control_type"):
            ck.hit("R5", ERROR, "organizations", row, "control_type", "非公有制企业须填写控制类型")
        elif cat is not None and cat != forms.ENTERPRISE and ctl is not None:
            ck.hit(
                "R5",
                ERROR,
                "organizations",
                row,
                "control_type",
                f"组织类别为“{cat}”（社会组织），控制类型应留空；控制类型仅非公有制企业填写",
            )
        if cat == forms.ENTERPRISE and status == FUNCTIONAL:
            ck.hit(
                "R16",
                WARNING,
                "organizations",
                row,
                "party_status",
                "组织类别为非公有制企业，党组织建立情况却为“功能型”；功能型党组织只在社会组织中建立，请核对",
            )
        # R18 (2021.1): the values are NULL (not collected) in older versions, so nothing is compared there
        applicants, activists, here = v.get("applicants"), v.get("activists"), v.get("developed_here")
        if applicants is not None and activists is not None and activists > applicants:
            ck.hit(
                "R18",
                ERROR,
                "organizations",
                row,
                "activists",
                f"入党积极分子数 {activists} 大于入党申请人数 {applicants}；积极分子从申请人中确定，应不大于申请人数",
            )
        if here is not None and prob is not None and here > prob:
            ck.hit(
                "R18",
                ERROR,
                "organizations",
                row,
                "developed_here",
                f"本季度在本单位发展党员数 {here} 大于从业预备党员数 {prob}；本季度新发展的党员均为预备党员，"
                "应不大于从业预备党员数",
            )


def _cell_blank(ck, key, row, name) -> bool:
    """True when the cell is really blank (not merely unparseable, which F4 reported)."""
    sd = ck.sheets[key]
    return name in sd.col_of and sd.found.get(row.source_row, {}).get(name) is None


# 表2 R6–R9 ---------------------------------------------------------------------------------------
def check_party_orgs(ck) -> None:
    for row in _rows(ck, "party_orgs"):
        v = row.values
        ot, fm = v.get("org_type"), v.get("formation_mode")
        if ot is not None and fm is not None and (ot == "联合党支部") != (fm in JOINT_MODES):
            if ot == "联合党支部":
                msg = f"党组织类别为联合党支部，组建方式应为 {JOINT_MODES_ZH} 之一，实际为“{fm}”"
            else:
                msg = f"组建方式为“{fm}”（联合组建方式），党组织类别应为联合党支部，实际为“{ot}”"
            ck.hit("R6", WARNING, "party_orgs", row, "formation_mode", msg)
        formal, prob = v.get("members_formal"), v.get("members_probationary")
        cm = v.get("committee_meetings")
        if ot == "党支部" and formal is not None and formal >= 7 and cm is not None and cm < 1:
            ck.hit(
                "R7",
                WARNING,
                "party_orgs",
                row,
                "committee_meetings",
                f"正式党员 {formal} 名的党支部本季度应召开支委会，实际 0 次",
            )
        if formal is not None and prob is not None:
            total = formal + prob
            need = {"党总支": 50, "党委": 100}.get(ot)
            if need and total < need:
                ck.hit(
                    "R8",
                    WARNING,
                    "party_orgs",
                    row,
                    "org_type",
                    f"{ot}党员数一般应不少于 {need} 名，实际 {total} 名；请核对党组织类别",
                )
            part, unq = v.get("appraisal_participants"), v.get("appraisal_unqualified")
            if part is not None and part > total:
                ck.hit(
                    "R9",
                    ERROR,
                    "party_orgs",
                    row,
                    "appraisal_participants",
                    f"参加评议党员数 {part} 大于党员数 {total}（正式+预备）；应不大于党员数",
                )
        part, unq = v.get("appraisal_participants"), v.get("appraisal_unqualified")
        if part is not None and unq is not None and unq > part:
            ck.hit(
                "R9",
                ERROR,
                "party_orgs",
                row,
                "appraisal_unqualified",
                f"评定不合格党员数 {unq} 大于参加评议党员数 {part}；应不大于参加评议党员数",
            )


# 表3 R10–R13, R17 -------------------------------------------------------------------------------------
FLOW_PLUS = ("opening", "developed", "restored", "transferred_in")
FLOW_MINUS = ("exited", "suspended", "deceased", "transferred_out")


def check_member_flows(ck) -> None:
    # R17: members working in the units that point to each organization (表1, formal + probationary)
    working: Counter = Counter()  # only organizations some unit points to are judged (D76)
    for r in _rows(ck, "organizations"):
        code = r.values.get("party_org_code")
        if code is not None:
            working[code] += _n(r.values.get("members_formal")) + _n(r.values.get("members_probationary"))
    has_units = ck.sheets["organizations"].present
    for row in _rows(ck, "member_flows"):
        v = row.values
        rev, absd, code = v.get("revealed"), v.get("absorbed"), v.get("party_org_code")
        if (
            has_units
            and rev is not None
            and absd is not None
            and code is not None
            and code in working
            and rev + absd > working[code]
        ):
            ck.hit(
                "R17",
                WARNING,
                "member_flows",
                row,
                "revealed",
                f"亮明身份纳入管理人数 {rev} + 招聘吸收党员职工人数 {absd} = {rev + absd}，大于表1中所在党组织为"
                f"“{code}”的单位从业党员数合计 {working[code]}（正式+预备）；亮明身份和招聘吸收的党员应在这些单位从业，请核对",
            )
        for part, whole in (
            ("in_mobile", "transferred_in"),
            ("in_whole_unit", "transferred_in"),
            ("out_whole_unit", "transferred_out"),
        ):
            if v.get(part) is not None and v.get(whole) is not None and v[part] > v[whole]:
                ck.hit(
                    "R10",
                    ERROR,
                    "member_flows",
                    row,
                    part,
                    f"“{ck.label('member_flows', part)}”{v[part]} 大于“{ck.label('member_flows', whole)}”"
                    f"{v[whole]}；其中数应不大于总数",
                )
        items = [v.get(k) for k in FLOW_PLUS + FLOW_MINUS]
        should, actual = v.get("closing_should"), v.get("closing_actual")
        if None not in items and should is not None:
            expected = sum(items[:4]) - sum(items[4:])
            if should != expected:
                ck.hit(
                    "R11",
                    ERROR,
                    "member_flows",
                    row,
                    "closing_should",
                    f"期末应有数应为 期初+发展+恢复+转入−出党−停止−死亡−转出 = {expected}，实际填 {should}",
                )
        if should is not None and actual is not None and should != actual:
            if v.get("difference_note") is None:
                ck.hit(
                    "R12",
                    ERROR,
                    "member_flows",
                    row,
                    "difference_note",
                    f"期末实有数 {actual} 与期末应有数 {should} 不等，须填写差额说明",
                )
            ck.hit(
                "R13",
                WARNING,
                "member_flows",
                row,
                "closing_actual",
                f"期末实有数 {actual} 与期末应有数 {should} 相差 {actual - should}；请核实党员队伍变动",
            )


# 表4 R14 -----------------------------------------------------------------------------------------
def check_trainings(ck) -> None:
    if ck.period:
        p0, p1 = periods.period_start(ck.period), periods.period_end(ck.period)
    for row in _rows(ck, "trainings"):
        v = row.values
        s, e = v.get("start_on"), v.get("end_on")
        if s is not None and e is not None and s > e:
            ck.hit(
                "R14",
                ERROR,
                "trainings",
                row,
                "end_on",
                f"结束日期 {e.isoformat()} 早于开始日期 {s.isoformat()}；结束日期应不早于开始日期",
            )
        if ck.period:
            for name, d in (("start_on", s), ("end_on", e)):
                if d is not None and not (p0 <= d <= p1):
                    ck.hit(
                        "R14",
                        ERROR,
                        "trainings",
                        row,
                        name,
                        f"{ck.label('trainings', name)} {d.isoformat()} 不在报告期 {ck.period}"
                        f"（{p0.isoformat()} 至 {p1.isoformat()}）内",
                    )
        h = v.get("hours")
        if h is not None and not h > 0:
            ck.hit("R14", ERROR, "trainings", row, "hours", f"学时应大于 0，实际为 {h:g}")


# 表6 R15 -----------------------------------------------------------------------------------------
def check_mobile(ck) -> None:
    for row in _rows(ck, "mobile_members"):
        v = row.values
        reg, ver = v.get("registered_on"), v.get("verified_on")
        if reg is not None and ver is not None and ver < reg:
            ck.hit(
                "R15",
                ERROR,
                "mobile_members",
                row,
                "verified_on",
                f"核实日期 {ver.isoformat()} 早于登记日期 {reg.isoformat()}；应不早于登记日期",
            )
        d, u = v.get("direction"), v.get("uscc")
        if d == "流入" and u is None and _cell_blank(ck, "mobile_members", row, "uscc"):
            ck.hit("R15", ERROR, "mobile_members", row, "uscc", "流入党员须填写现从业单位信用代码（表1中的单位）")
        elif d == "流出" and u is not None:
            ck.hit("R15", ERROR, "mobile_members", row, "uscc", "流出党员的现从业单位信用代码应留空")


# X1–X8 -------------------------------------------------------------------------------------------
def check_cross(ck) -> None:
    s = ck.sheets
    has = {k: s[k].present for k in s}
    orgs2 = {r.values["party_org_code"]: r for r in _rows(ck, "party_orgs") if r.values.get("party_org_code")}
    if has.get("party_orgs"):
        for key in ("organizations", "member_flows", "attendance"):
            for row in _rows(ck, key):
                code = row.values.get("party_org_code")
                if code is not None and code not in orgs2:
                    ck.hit(
                        "X1",
                        ERROR,
                        key,
                        row,
                        "party_org_code",
                        f"党组织编码“{code}”不在表2 党组织情况中；应填写表2中已列出的党组织",
                    )
    flows = {r.values["party_org_code"]: r for r in _rows(ck, "member_flows") if r.values.get("party_org_code")}
    if has.get("member_flows"):
        for code, row in orgs2.items():
            if code not in flows:
                ck.hit(
                    "X1",
                    ERROR,
                    "party_orgs",
                    row,
                    "party_org_code",
                    f"党组织“{code}”在表3 党员队伍变动情况中没有对应行；表2每个党组织须在表3填报一行",
                )
    for code, frow in flows.items():
        orow = orgs2.get(code)
        if orow is None:
            continue
        formal, prob = orow.values.get("members_formal"), orow.values.get("members_probationary")
        actual = frow.values.get("closing_actual")
        if None not in (formal, prob, actual) and actual != formal + prob:
            ck.hit(
                "X2",
                ERROR,
                "member_flows",
                frow,
                "closing_actual",
                f"期末实有数 {actual} 与表2第 {orow.source_row} 行该党组织正式党员数 + 预备党员数 "
                f"{formal + prob} 不一致；两者应相等",
            )
    if has.get("organizations"):
        units = _rows(ck, "organizations")
        cover = Counter(r.values.get("party_org_code") for r in units if r.values.get("party_org_code"))
        own = Counter(
            r.values.get("party_org_code")
            for r in units
            if r.values.get("party_org_code") and r.values.get("party_status") == SEPARATE
        )
        for code, row in orgs2.items():
            n = cover.get(code, 0)
            if row.values.get("org_type") == "联合党支部" and not 2 <= n <= 5:
                ck.hit(
                    "X3",
                    WARNING,
                    "party_orgs",
                    row,
                    "org_type",
                    f"联合党支部“{code}”覆盖表1中 {n} 个单位；联合党支部一般应覆盖 2–5 个单位",
                )
            if row.values.get("formation_mode") == SEPARATE_MODE and own.get(code, 0) != 1:
                k = own.get(code, 0)
                ck.hit(
                    "X4",
                    ERROR,
                    "party_orgs",
                    row,
                    "formation_mode",
                    f"单独组建的党组织“{code}”在表1中有 {k} 个单位的党组织建立情况为“单独建立”（共 {n} 个单位指向它）；"
                    "应恰好有 1 个单位（其本单位）为“单独建立”，其他指向它的单位应为“挂靠”",
                )
        check_x7(ck, units, orgs2)
    check_x8(ck)
    if has.get("trainings"):
        codes4 = {r.values.get("training_code") for r in _rows(ck, "trainings")}
        for row in _rows(ck, "attendance"):
            tc = row.values.get("training_code")
            if tc is not None and tc not in codes4:
                ck.hit(
                    "X5",
                    ERROR,
                    "attendance",
                    row,
                    "training_code",
                    f"培训编号“{tc}”不在表4 培训情况中；应填写表4中已列出的培训",
                )
    usccs = {r.values.get("uscc") for r in _rows(ck, "organizations")}
    for row in _rows(ck, "mobile_members"):
        host, u = row.values.get("host_party_org_code"), row.values.get("uscc")
        if has.get("party_orgs") and host is not None and host not in orgs2:
            ck.hit(
                "X6",
                ERROR,
                "mobile_members",
                row,
                "host_party_org_code",
                f"编入党组织编码“{host}”不在表2 党组织情况中；应填写表2中已列出的党组织",
            )
        if has.get("organizations") and u is not None and u not in usccs:
            ck.hit(
                "X6",
                ERROR,
                "mobile_members",
                row,
                "uscc",
                f"现从业单位信用代码“{u}”不在表1 两新组织情况中；应填写表1中已列出的单位",
            )


def check_x7(ck, units, orgs2) -> None:
    """X7: a unit's 党组织建立情况 agrees with the organization it points to (表2 of the same return)."""
    for row in units:
        status, code = row.values.get("party_status"), row.values.get("party_org_code")
        org = orgs2.get(code) if code is not None else None
        if status is None or status == NOT_ESTABLISHED or org is None:
            continue  # R3 / X1 report a missing or unknown organization
        fm, ot = org.values.get("formation_mode"), org.values.get("org_type")
        if fm is None or ot is None:
            continue
        what = f"所指向的党组织“{code}”（表2第 {org.source_row} 行）组建方式为“{fm}”、党组织类别为“{ot}”"
        why = None
        if fm == FUNCTIONAL and status != FUNCTIONAL:
            why = "功能型党组织只能由党组织建立情况为“功能型”的单位指向"
        elif status == SEPARATE and (fm != SEPARATE_MODE or ot not in OWN_ORG_TYPES):
            why = "“单独建立”的单位应指向本单位单独组建的党委、党总支或党支部"
        elif status == JOINT and fm not in JOINT_MODES:
            why = f"“联合建立”的单位应指向以联合方式（{JOINT_MODES_ZH}）组建的党组织"
        elif status == ATTACHED and fm not in JOINT_MODES and fm != SEPARATE_MODE:
            why = f"“挂靠”的单位应指向以联合方式（{JOINT_MODES_ZH}）组建的党组织或其他单位单独组建的党组织"
        elif status == FUNCTIONAL and fm != FUNCTIONAL:
            why = "“功能型”的单位应指向组建方式为“功能型”的党组织"
        if why:
            ck.hit(
                "X7", ERROR, "organizations", row, "party_status", f"党组织建立情况为“{status}”，与{what}不符；{why}"
            )


def check_x8(ck) -> None:
    """X8 (2021.1): a 社区党总支-level event's 主办单位编码 is a community of the register; other levels: blank."""
    register = ck.ctx.get_register()
    for row in _rows(ck, "trainings"):
        code, level = row.values.get("organizer_code"), row.values.get("organizer_level")
        if code is None or level is None:
            continue
        if level != COMMUNITY_LEVEL:
            ck.hit(
                "X8",
                ERROR,
                "trainings",
                row,
                "organizer_code",
                f"主办层级为“{level}”，主办单位编码应留空（仅主办层级为社区党总支时填写主办社区的编码），实际填写“{code}”",
            )
        elif code not in register:
            ck.hit(
                "X8",
                ERROR,
                "trainings",
                row,
                "organizer_code",
                f"主办单位编码“{code}”不在单位名册中；主办层级为社区党总支时应填写主办社区党总支的12位统计用区划代码",
            )


# P1–P3, P6 -------------------------------------------------------------------------------------------
def check_periods(ck) -> None:
    if not (ck.unit_code and ck.period):
        return
    check_p6(ck)
    prev = ck.ctx.previous_return(ck.unit_code, ck.period)
    before = periods.previous_period(ck.period)
    flows = _rows(ck, "member_flows")
    if prev is None:
        nonzero = [r for r in flows if r.values.get("opening")]
        if nonzero:
            ck.hits.add(
                "P1",
                WARNING,
                forms.MEMBER_FLOWS.sheet,
                None,
                ck.label("member_flows", "opening"),
                None,
                f"未找到本单位上一报告期 {before} 已接收的报表，{len(nonzero)} 个党组织的期初党员数无法与上期期末实有数核对",
            )
        return
    for row in flows:
        code, opening = row.values.get("party_org_code"), row.values.get("opening")
        if code is None or opening is None:
            continue
        expected = prev.party_orgs.get(code, 0)
        if opening != expected:
            why = (
                f"上期（{before}）期末实有数为 {expected}"
                if code in prev.party_orgs
                else f"该党组织不在上期（{before}）报表中，新建党组织期初应为 0"
            )
            ck.hit("P1", ERROR, "member_flows", row, "opening", f"期初党员数 {opening} 与上期不衔接：{why}")
    present = {r.values.get("party_org_code") for r in _rows(ck, "party_orgs")}
    if ck.sheets["party_orgs"].present:
        for code in sorted(set(prev.party_orgs) - present):
            ck.hits.add(
                "P2",
                WARNING,
                forms.PARTY_ORGS.sheet,
                None,
                ck.label("party_orgs", "party_org_code"),
                code,
                f"上期（{before}）报表中的党组织“{code}”本期未列出；如已撤销或转出，请在报送说明中说明",
            )
    params = ck.ctx.get_parameters()
    ratio = float(params.get("p3_change_ratio", "0.2"))
    absolute = int(params.get("p3_change_abs", "5"))
    totals = (
        ("organizations", "两新组织单位数（表1行数）", len(_rows(ck, "organizations")), prev.units),
        ("party_orgs", "党组织数（表2行数）", len(_rows(ck, "party_orgs")), prev.party_org_count),
        (
            "member_flows",
            "党员数（表3期末实有数合计）",
            sum(_n(r.values.get("closing_actual")) for r in flows),
            prev.members,
        ),
    )
    for key, what, now, then in totals:
        if not ck.sheets[key].present:
            continue
        diff = now - then
        if abs(diff) >= absolute and abs(diff) > ratio * then:
            pct = f"{diff / then:+.0%}" if then else "上期为 0"
            ck.hits.add(
                "P3",
                WARNING,
                forms.FORMS_BY_KEY[key].sheet,
                None,
                None,
                str(now),
                f"{what}由上期（{before}）的 {then} 变为 {now}（{diff:+d}，{pct}），"
                f"变动超过 {ratio:.0%} 且不少于 {absolute}；请核实",
            )


def check_p6(ck) -> None:
    """P6 (forward): the unit's already-accepted current return of the next quarter opens with this
    return's closings (表3 期初党员数 = 期末实有数; an organization not in this return: 0).  Each later
    organization that does not is listed with its old opening and the new closing."""
    if not ck.sheets["member_flows"].present:
        return
    nxt = ck.ctx.next_return(ck.unit_code, ck.period)
    if nxt is None:
        return
    flows = {r.values.get("party_org_code"): r for r in _rows(ck, "member_flows") if r.values.get("party_org_code")}
    if any(r.values.get("closing_actual") is None for r in flows.values()):
        return  # a blank closing (F4) cannot be compared
    for code in sorted(nxt.openings):
        old = nxt.openings[code]
        row = flows.get(code)
        new = row.values.get("closing_actual") if row is not None else 0
        if old == new:
            continue
        where = f"本次报送的期末实有数为 {new}" if row is not None else "该党组织不在本次报送的表3中（期末视为 0）"
        msg = (
            f"{nxt.period} 已接收的报表（更正序号 {nxt.correction_no}）中党组织“{code}”的期初党员数为 {old}，"
            f"{where}，两期不衔接（原值 {old} → 新值 {new}）；该报表已列入待更正清单，请报送 {nxt.period} 的更正"
        )
        if row is not None:
            ck.hit("P6", WARNING, "member_flows", row, "closing_actual", msg, value=f"{old} → {new}")
        else:
            ck.hits.add(
                "P6",
                WARNING,
                forms.MEMBER_FLOWS.sheet,
                None,
                ck.label("member_flows", "party_org_code"),
                f"{code}: {old} → {new}",
                msg,
            )
