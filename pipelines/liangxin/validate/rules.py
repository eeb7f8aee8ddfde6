"""The rules of audit-rules.md over parsed rows: F3, F5, F6, I1–I4, R1–R15, X1–X6, P1–P4 (P5: check_p5).

Rules only look at values that parsed (``None`` = blank or already reported by F4), so one bad cell is
reported once.  Cross-sheet rules run only when the sheets they compare are present (F2 reports the rest).

Choices:
- I1: a USCC whose prefix is ``92`` (个体工商户) is an error whatever its check character; a failing check
  character is a warning unless the USCC is on the allow-list.  I1 checks 表1 only (表6 uscc must be in 表1,
  X6; 表5 uscc is a person's employer, not audited).
- I3: ``ctx.uscc_owners(uscc, period)`` minus this unit, for 表1 rows with 登记状态 存续.
- P1: with a previous return, each 表3 opening must equal its closing_actual there (0 for an organization
  not in it) - E.  Without one (first return loaded, or the previous quarter missing) one W per return says
  the openings could not be checked, when any opening is non-zero.
- P3 ``members`` = Σ 表3 期末实有数 over all rows (the warehouse's PreviousReturn.members must match).
- P5 needs the whole district's year: :func:`check_p5` is provided for the annual stage (or dbt).
"""

from __future__ import annotations

from collections import Counter

from liangxin import checks, forms, periods, seeds
from liangxin.validate.result import ERROR, WARNING, RuleHit

JOINT_MODES = frozenset({"联合组建", "行业组建", "区域组建", "网上组建"})
NOT_ESTABLISHED = "未建立"
SEPARATE = "单独建立"


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
        ck.hits.add("F3", ERROR, sd.form.sheet, 2, None, None,
                    "封面没有填写内容；封面第2行应填写填报单位编码、报告期、模板版本等信息")
        return
    c = ck.cover
    row = ck.cover_row
    for f in sd.form.fields:
        if f.required == forms.REQ and c.get(f.name) is None and f.name in sd.col_of \
                and ck.cover_found.get(f.name) is None:
            ck.hit("F3", ERROR, "cover", row, f.name, f"封面“{f.label}”未填写；封面各项均为必填")
    ctx = ck.ctx
    unit = c.get("unit_code")
    if unit is not None:
        reg = ctx.get_register().get(unit)
        if reg is None:
            ck.hit("F3", ERROR, "cover", row, "unit_code",
                   f"填报单位编码“{unit}”不在单位名册中；应为本社区党总支的12位统计用区划代码")
        else:
            ck.unit_code = unit
            name = c.get("unit_name")
            if name is not None and name != reg.get("unit_name"):
                ck.hit("F3", WARNING, "cover", row, "unit_name",
                       f"填报单位名称“{name}”与单位名册不一致；名册中编码 {unit} 的名称为“{reg.get('unit_name')}”")
    period = c.get("period")
    if period is not None:
        try:
            periods.parse_period(period)
        except ValueError:
            ck.hit("F3", ERROR, "cover", row, "period", f"报告期“{period}”格式不正确；应为 YYYYQn，如 2020Q3")
        else:
            if periods.period_start(period) > ctx.received_on:
                ck.hit("F3", ERROR, "cover", row, "period",
                       f"报告期 {period} 尚未开始（接收日期 {ctx.received_on.isoformat()}）；不能报送未来报告期")
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
            ck.hit("F3", ERROR, "cover", row, "template_version",
                   f"模板版本“{tv}”适用于{span}的报告期，不适用于报告期 {ck.period}{right}；请使用规定模板重新填报")
    sub = c.get("submitted_on")
    if sub is not None and sub > ctx.received_on:
        ck.hit("F3", ERROR, "cover", row, "submitted_on",
               f"报出日期 {sub.isoformat()} 晚于接收日期 {ctx.received_on.isoformat()}；报出日期不得晚于接收日期")
    # F6 corrections
    cn = c.get("correction_no")
    if cn is not None:
        if cn > 0 and c.get("correction_reason") is None and "correction_reason" in sd.col_of:
            ck.hit("F6", ERROR, "cover", row, "correction_reason", f"更正序号为 {cn}，须填写更正说明")
        if ck.unit_code and ck.period:
            accepted = sorted(ctx.accepted_corrections(ck.unit_code, ck.period) or [])
            if cn > 0 and not accepted:
                ck.hit("F6", ERROR, "cover", row, "correction_no",
                       f"更正序号为 {cn}，但本单位 {ck.period} 尚无已接收的报表，无可更正；首次报送更正序号应为 0")
            elif accepted and cn <= accepted[-1]:
                nxt = accepted[-1] + 1
                if cn == 0:
                    ck.hit("F6", ERROR, "cover", row, "correction_no",
                           f"本单位 {ck.period} 的报表已接收（更正序号 {accepted[-1]}）；如需修改，请以更正序号 {nxt} 报送更正")
                else:
                    ck.hit("F6", ERROR, "cover", row, "correction_no",
                           f"更正序号 {cn} 不大于已接收的更正序号 {accepted[-1]}；请以更正序号 {nxt} 报送更正")
    # P4 deadline (K20: the date on the return)
    if sub is not None and ck.period:
        deadline = ctx.get_deadlines().get(ck.period)
        if deadline is not None and sub > deadline:
            ck.hit("P4", WARNING, "cover", row, "submitted_on",
                   f"报出日期 {sub.isoformat()} 晚于 {ck.period} 的报送截止日期 {deadline.isoformat()}（逾期报送）")


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
                ck.hit("F5", ERROR, form.key, row, form.primary_key[-1] if len(key) > 1 else form.primary_key[0],
                       f"{labels}“{shown}”重复（与第 {seen[key]} 行相同）；每个{labels}只能填写一行")
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
            ck.hit("I1", ERROR, "organizations", row, "uscc",
                   f"统一社会信用代码“{u}”以 92 开头，为个体工商户，不属于两新组织，不应列入表1")
        elif not checks.uscc_valid(u) and u not in allow:
            expected = ""
            try:
                expected = f"（按前17位计算，校验位应为 {checks.uscc_check_char(u[:17])}）" if len(u) == 18 else \
                    f"（应为18位，实际 {len(u)} 位）"
            except ValueError:
                expected = "（含不允许的字符；应为数字及大写字母，不含 I、O、Z、S、V）"
            ck.hit("I1", WARNING, "organizations", row, "uscc",
                   f"统一社会信用代码“{u}”未通过 GB 32100 校验{expected}；请核对")
        if ck.unit_code and ck.period and row.values.get("reg_status") == "存续":
            others = set(ctx.uscc_owners(u, ck.period) or set()) - {ck.unit_code}
            if others:
                ck.hit("I3", WARNING, "organizations", row, "uscc",
                       f"统一社会信用代码“{u}”同时出现在 {'、'.join(sorted(others))} 的 {ck.period} 报表中；"
                       "单位迁移时，迁入社区填“存续”，迁出社区应填“迁出”")
    for key, name in (("party_orgs", "secretary_id"), ("attendance", "person_id"), ("mobile_members", "person_id")):
        for row in _rows(ck, key):
            pid = row.values.get(name)
            if pid is not None and not checks.id_valid(pid):
                why = "应为18位" if len(pid) != 18 else (
                    "出生日期无效" if pid[:17].isdigit() and checks.id_birth_date(pid) is None else "校验位错误")
                ck.hit("I2", ERROR, key, row, name, f"身份证号“{pid}”未通过 GB 11643 校验（{why}）；请核对")
    if ck.unit_code:
        for row in _rows(ck, "party_orgs"):
            code = row.values.get("party_org_code")
            if code is None:
                continue
            owner = ctx.party_org_owner(code)
            if owner is not None and owner != ck.unit_code:
                ck.hit("I4", ERROR, "party_orgs", row, "party_org_code",
                       f"党组织编码“{code}”已属于 {owner} 报送的党组织；党组织编码在全区唯一，同一党组织只能由一个社区报送")


# 表1 R1–R5 ---------------------------------------------------------------------------------------
def check_organizations(ck) -> None:
    min_formal = int(ck.ctx.get_parameters().get("eligible_min_formal_members", "3"))
    for row in _rows(ck, "organizations"):
        v = row.values
        if v.get("legal_rep_secretary") is True and v.get("legal_rep_member") is False:
            ck.hit("R1", ERROR, "organizations", row, "legal_rep_secretary",
                   "法定代表人兼任党组织书记，则“法定代表人是否党员”应为“是”")
        formal, prob, elsewhere, emp = (v.get(k) for k in
                                        ("members_formal", "members_probationary", "members_relation_elsewhere",
                                         "employees"))
        if None not in (formal, prob, elsewhere) and elsewhere > formal + prob:
            ck.hit("R2", ERROR, "organizations", row, "members_relation_elsewhere",
                   f"其中未转入组织关系党员数 {elsewhere} 大于从业正式党员数与预备党员数之和 {formal + prob}；应不大于该和")
        if None not in (formal, prob, emp) and formal + prob > emp + 1:
            ck.hit("R2", ERROR, "organizations", row, "employees",
                   f"从业党员数 {formal + prob}（正式 {formal} + 预备 {prob}）超过从业人员数 {emp} + 1（出资人）；请核对")
        status, code = v.get("party_status"), v.get("party_org_code")
        if status is not None:
            if status != NOT_ESTABLISHED and code is None and _cell_blank(ck, "organizations", row, "party_org_code"):
                ck.hit("R3", ERROR, "organizations", row, "party_org_code",
                       f"党组织建立情况为“{status}”，须填写所在党组织编码")
            elif status == NOT_ESTABLISHED and code is not None:
                ck.hit("R3", ERROR, "organizations", row, "party_org_code",
                       "党组织建立情况为“未建立”，所在党组织编码应留空")
        if status == SEPARATE and formal is not None and formal < min_formal:
            ck.hit("R4", WARNING, "organizations", row, "members_formal",
                   f"单独建立党组织的单位从业正式党员数应不少于 {min_formal} 名，实际 {formal} 名；请核对")
        cat, ctl = v.get("org_category"), v.get("control_type")
        if cat == forms.ENTERPRISE and ctl is None and _cell_blank(ck, "organizations", row, "control_type"):
            ck.hit("R5", ERROR, "organizations", row, "control_type", "非公有制企业须填写控制类型")
        elif cat is not None and cat != forms.ENTERPRISE and ctl is not None:
            ck.hit("R5", ERROR, "organizations", row, "control_type",
                   f"组织类别为“{cat}”（社会组织），控制类型应留空；控制类型仅非公有制企业填写")


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
                msg = f"党组织类别为联合党支部，组建方式应为 联合组建/行业组建/区域组建/网上组建 之一，实际为“{fm}”"
            else:
                msg = f"组建方式为“{fm}”，党组织类别应为联合党支部，实际为“{ot}”"
            ck.hit("R6", WARNING, "party_orgs", row, "formation_mode", msg)
        formal, prob = v.get("members_formal"), v.get("members_probationary")
        cm = v.get("committee_meetings")
        if ot == "党支部" and formal is not None and formal >= 7 and cm is not None and cm < 1:
            ck.hit("R7", WARNING, "party_orgs", row, "committee_meetings",
                   f"正式党员 {formal} 名的党支部本季度应召开支委会，实际 0 次")
        if formal is not None and prob is not None:
            total = formal + prob
            need = {"党总支": 50, "党委": 100}.get(ot)
            if need and total < need:
                ck.hit("R8", WARNING, "party_orgs", row, "org_type",
                       f"{ot}党员数一般应不少于 {need} 名，实际 {total} 名；请核对党组织类别")
            part, unq = v.get("appraisal_participants"), v.get("appraisal_unqualified")
            if part is not None and part > total:
                ck.hit("R9", ERROR, "party_orgs", row, "appraisal_participants",
                       f"参加评议党员数 {part} 大于党员数 {total}（正式+预备）；应不大于党员数")
        part, unq = v.get("appraisal_participants"), v.get("appraisal_unqualified")
        if part is not None and unq is not None and unq > part:
            ck.hit("R9", ERROR, "party_orgs", row, "appraisal_unqualified",
                   f"评定不合格党员数 {unq} 大于参加评议党员数 {part}；应不大于参加评议党员数")


# 表3 R10–R13 -------------------------------------------------------------------------------------
FLOW_PLUS = ("opening", "developed", "restored", "transferred_in")
FLOW_MINUS = ("exited", "suspended", "deceased", "transferred_out")


def check_member_flows(ck) -> None:
    for row in _rows(ck, "member_flows"):
        v = row.values
        for part, whole in (("in_mobile", "transferred_in"), ("in_whole_unit", "transferred_in"),
                            ("out_whole_unit", "transferred_out")):
            if v.get(part) is not None and v.get(whole) is not None and v[part] > v[whole]:
                ck.hit("R10", ERROR, "member_flows", row, part,
                       f"“{ck.label('member_flows', part)}”{v[part]} 大于“{ck.label('member_flows', whole)}”"
                       f"{v[whole]}；其中数应不大于总数")
        items = [v.get(k) for k in FLOW_PLUS + FLOW_MINUS]
        should, actual = v.get("closing_should"), v.get("closing_actual")
        if None not in items and should is not None:
            expected = sum(items[:4]) - sum(items[4:])
            if should != expected:
                ck.hit("R11", ERROR, "member_flows", row, "closing_should",
                       f"期末应有数应为 期初+发展+恢复+转入−出党−停止−死亡−转出 = {expected}，实际填 {should}")
        if should is not None and actual is not None and should != actual:
            if v.get("difference_note") is None:
                ck.hit("R12", ERROR, "member_flows", row, "difference_note",
                       f"期末实有数 {actual} 与期末应有数 {should} 不等，须填写差额说明")
            ck.hit("R13", WARNING, "member_flows", row, "closing_actual",
                   f"期末实有数 {actual} 与期末应有数 {should} 相差 {actual - should}；请核实党员队伍变动")


# 表4 R14 -----------------------------------------------------------------------------------------
def check_trainings(ck) -> None:
    if ck.period:
        p0, p1 = periods.period_start(ck.period), periods.period_end(ck.period)
    for row in _rows(ck, "trainings"):
        v = row.values
        s, e = v.get("start_on"), v.get("end_on")
        if s is not None and e is not None and s > e:
            ck.hit("R14", ERROR, "trainings", row, "end_on",
                   f"结束日期 {e.isoformat()} 早于开始日期 {s.isoformat()}；结束日期应不早于开始日期")
        if ck.period:
            for name, d in (("start_on", s), ("end_on", e)):
                if d is not None and not (p0 <= d <= p1):
                    ck.hit("R14", ERROR, "trainings", row, name,
                           f"{ck.label('trainings', name)} {d.isoformat()} 不在报告期 {ck.period}"
                           f"（{p0.isoformat()} 至 {p1.isoformat()}）内")
        h = v.get("hours")
        if h is not None and not h > 0:
            ck.hit("R14", ERROR, "trainings", row, "hours", f"学时应大于 0，实际为 {h:g}")


# 表6 R15 -----------------------------------------------------------------------------------------
def check_mobile(ck) -> None:
    for row in _rows(ck, "mobile_members"):
        v = row.values
        reg, ver = v.get("registered_on"), v.get("verified_on")
        if reg is not None and ver is not None and ver < reg:
            ck.hit("R15", ERROR, "mobile_members", row, "verified_on",
                   f"核实日期 {ver.isoformat()} 早于登记日期 {reg.isoformat()}；应不早于登记日期")
        d, u = v.get("direction"), v.get("uscc")
        if d == "流入" and u is None and _cell_blank(ck, "mobile_members", row, "uscc"):
            ck.hit("R15", ERROR, "mobile_members", row, "uscc", "流入党员须填写现从业单位信用代码（表1中的单位）")
        elif d == "流出" and u is not None:
            ck.hit("R15", ERROR, "mobile_members", row, "uscc", "流出党员的现从业单位信用代码应留空")


# X1–X6 -------------------------------------------------------------------------------------------
def check_cross(ck) -> None:
    s = ck.sheets
    has = {k: s[k].present for k in s}
    orgs2 = {r.values["party_org_code"]: r for r in _rows(ck, "party_orgs") if r.values.get("party_org_code")}
    if has.get("party_orgs"):
        for key in ("organizations", "member_flows", "attendance"):
            for row in _rows(ck, key):
                code = row.values.get("party_org_code")
                if code is not None and code not in orgs2:
                    ck.hit("X1", ERROR, key, row, "party_org_code",
                           f"党组织编码“{code}”不在表2 党组织情况中；应填写表2中已列出的党组织")
    flows = {r.values["party_org_code"]: r for r in _rows(ck, "member_flows") if r.values.get("party_org_code")}
    if has.get("member_flows"):
        for code, row in orgs2.items():
            if code not in flows:
                ck.hit("X1", ERROR, "party_orgs", row, "party_org_code",
                       f"党组织“{code}”在表3 党员队伍变动情况中没有对应行；表2每个党组织须在表3填报一行")
    for code, frow in flows.items():
        orow = orgs2.get(code)
        if orow is None:
            continue
        formal, prob = orow.values.get("members_formal"), orow.values.get("members_probationary")
        actual = frow.values.get("closing_actual")
        if None not in (formal, prob, actual) and actual != formal + prob:
            ck.hit("X2", ERROR, "member_flows", frow, "closing_actual",
                   f"期末实有数 {actual} 与表2第 {orow.source_row} 行该党组织正式党员数 + 预备党员数 "
                   f"{formal + prob} 不一致；两者应相等")
    if has.get("organizations"):
        cover = Counter(r.values.get("party_org_code") for r in _rows(ck, "organizations")
                        if r.values.get("party_org_code"))
        for code, row in orgs2.items():
            n = cover.get(code, 0)
            if row.values.get("org_type") == "联合党支部" and not 2 <= n <= 5:
                ck.hit("X3", WARNING, "party_orgs", row, "org_type",
                       f"联合党支部“{code}”覆盖表1中 {n} 个单位；联合党支部一般应覆盖 2–5 个单位")
            if row.values.get("formation_mode") == "单独组建" and n != 1:
                ck.hit("X4", ERROR, "party_orgs", row, "formation_mode",
                       f"单独组建的党组织“{code}”在表1中覆盖 {n} 个单位；应恰好为 1 个单位")
    if has.get("trainings"):
        codes4 = {r.values.get("training_code") for r in _rows(ck, "trainings")}
        for row in _rows(ck, "attendance"):
            tc = row.values.get("training_code")
            if tc is not None and tc not in codes4:
                ck.hit("X5", ERROR, "attendance", row, "training_code",
                       f"培训编号“{tc}”不在表4 培训情况中；应填写表4中已列出的培训")
    usccs = {r.values.get("uscc") for r in _rows(ck, "organizations")}
    for row in _rows(ck, "mobile_members"):
        host, u = row.values.get("host_party_org_code"), row.values.get("uscc")
        if has.get("party_orgs") and host is not None and host not in orgs2:
            ck.hit("X6", ERROR, "mobile_members", row, "host_party_org_code",
                   f"编入党组织编码“{host}”不在表2 党组织情况中；应填写表2中已列出的党组织")
        if has.get("organizations") and u is not None and u not in usccs:
            ck.hit("X6", ERROR, "mobile_members", row, "uscc",
                   f"现从业单位信用代码“{u}”不在表1 两新组织情况中；应填写表1中已列出的单位")


# P1–P3 -------------------------------------------------------------------------------------------
def check_periods(ck) -> None:
    if not (ck.unit_code and ck.period):
        return
    prev = ck.ctx.previous_return(ck.unit_code, ck.period)
    before = periods.previous_period(ck.period)
    flows = _rows(ck, "member_flows")
    if prev is None:
        nonzero = [r for r in flows if r.values.get("opening")]
        if nonzero:
            ck.hits.add("P1", WARNING, forms.MEMBER_FLOWS.sheet, None, ck.label("member_flows", "opening"), None,
                        f"未找到本单位上一报告期 {before} 已接收的报表，{len(nonzero)} 个党组织的期初党员数无法与上期期末实有数核对")
        return
    for row in flows:
        code, opening = row.values.get("party_org_code"), row.values.get("opening")
        if code is None or opening is None:
            continue
        expected = prev.party_orgs.get(code, 0)
        if opening != expected:
            why = f"上期（{before}）期末实有数为 {expected}" if code in prev.party_orgs else \
                f"该党组织不在上期（{before}）报表中，新建党组织期初应为 0"
            ck.hit("P1", ERROR, "member_flows", row, "opening", f"期初党员数 {opening} 与上期不衔接：{why}")
    present = {r.values.get("party_org_code") for r in _rows(ck, "party_orgs")}
    if ck.sheets["party_orgs"].present:
        for code in sorted(set(prev.party_orgs) - present):
            ck.hits.add("P2", WARNING, forms.PARTY_ORGS.sheet, None, ck.label("party_orgs", "party_org_code"), code,
                        f"上期（{before}）报表中的党组织“{code}”本期未列出；如已撤销或转出，请在报送说明中说明")
    params = ck.ctx.get_parameters()
    ratio = float(params.get("p3_change_ratio", "0.2"))
    absolute = int(params.get("p3_change_abs", "5"))
    totals = (
        ("organizations", "两新组织单位数（表1行数）", len(_rows(ck, "organizations")), prev.units),
        ("party_orgs", "党组织数（表2行数）", len(_rows(ck, "party_orgs")), prev.party_org_count),
        ("member_flows", "党员数（表3期末实有数合计）",
         sum(_n(r.values.get("closing_actual")) for r in flows), prev.members),
    )
    for key, what, now, then in totals:
        if not ck.sheets[key].present:
            continue
        diff = now - then
        if abs(diff) >= absolute and abs(diff) > ratio * then:
            pct = f"{diff / then:+.0%}" if then else "上期为 0"
            ck.hits.add("P3", WARNING, forms.FORMS_BY_KEY[key].sheet, None, None, str(now),
                        f"{what}由上期（{before}）的 {then} 变为 {now}（{diff:+d}，{pct}），"
                        f"变动超过 {ratio:.0%} 且不少于 {absolute}；请核实")


# P5 ----------------------------------------------------------------------------------------------
def check_p5(totals, tolerance: float = 0.05, minimum: int = 5) -> list[RuleHit]:
    """P5 (district level, annual, informational): Σ transfers out to organizations inside the district
    ≈ Σ transfers in from inside.

    ``totals``: iterable of ``(year, transferred_out_inside, transferred_in_inside)`` for the district (the
    returns do not say whether a transfer stays inside the district, so the annual stage - or dbt - passes
    the district's 表3 Σ 转出组织关系 and Σ 转入组织关系 minus whole-unit moves, as it defines them).  A year is
    flagged when the two differ by more than ``tolerance`` of the larger and by at least ``minimum``.
    """
    out: list[RuleHit] = []
    for year, t_out, t_in in totals:
        t_out, t_in = int(t_out or 0), int(t_in or 0)
        diff = abs(t_out - t_in)
        if diff >= minimum and diff > tolerance * max(t_out, t_in):
            out.append(RuleHit("P5", WARNING, forms.MEMBER_FLOWS.sheet, None, None, f"{t_out}/{t_in}",
                               f"[P5] {year} 年全区组织关系转出 {t_out} 人与转入 {t_in} 人相差 {diff} 人"
                               f"（超过 {tolerance:.0%}）；请核实区内转接是否双向登记"))
    return out

