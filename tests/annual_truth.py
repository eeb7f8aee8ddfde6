"""Expected 表一 and 表二 of the annual return (revision 2) computed in plain Python from a generated world — the
oracle the end-to-end and truth tests hold the annual marts against (liangxin.truth keeps the indicators; this
helper follows annual-return.md revision 2 and decisions D101–D107):

- rows: the district, every street and every community of the world's register, reported or not;
- 表一: an organization's category fixed for the year (majority of the units pointing to it in its last return of
  the year that has any; tie or none → 非公有制企业); 上年底总数 = Σ Q1 期初 (no finalized year in a generated
  world); flows = Σ four quarters, empty (None) for a community missing a quarter; 本年底实有数 = Q4 期末实有数,
  None without a Q4 return; streets and the district sum what was reported; category rows sum the organizations;
- 表二: enterprises of U (Q4), column 其中：列入党建基数的 = B, each USCC once above the community (the row of the
  lowest community code), 联合党组织数 = joint-mode organizations pointed to by a unit of the table; entities
  without a Q4 return: None.
"""

from __future__ import annotations

from collections import defaultdict

from liangxin import truth as t

JOINT_MODES = ("联合组建", "行业组建", "区域组建", "挂靠组建", "网上组建")
T1_COLUMNS = t.T1_COLUMNS
FLOW_KEYS = {
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
CONTROL = ("私有经济控制", "港澳台商经济控制", "外商经济控制")
T2_COLUMNS = (
    "总数",
    "其中：列入党建基数的",
    "从业人员50人以上",
    "从业人员100人以上",
    "法定代表人是党员的",
    "其中兼任企业党组织书记的",
) + CONTROL
T2_ROWS = (
    "单位数",
    "党建工作指导员联系的",
    "已单独建立党组织",
    "建立党委的",
    "建立总支部的",
    "建立支部的",
    "已建立联合党组织的（含挂靠）",
    "其中具有3名以上正式党员的",
    "联合党组织数",
    "未建立党组织",
    "应建尚未建立党组织的",
    "仅有个别党员的",
    "没有党员的",
    "从业人员",
    "其中党员",
    "入党申请人",
    "入党积极分子",
)
NULLABLE_ROWS = ("入党申请人", "入党积极分子")


def _sum(values):
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


def _org_category(returns_of_year: list) -> dict:
    """party_org_code -> 社会组织 / 非公有制企业, from the last return of the year in which units point to it."""
    last: dict[str, tuple[int, int, int]] = {}
    for q, ret in returns_of_year:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for u in ret.get("organizations", ()):
            code = u.get("party_org_code")
            if t._blank(code):
                continue
            counts[code][0 if t._category(u) == t.SOCIAL else 1] += 1
        for code, (social, other) in counts.items():
            if code not in last or q >= last[code][0]:
                last[code] = (q, social, other)
    return {code: t.SOCIAL if social > other else t.ENTERPRISE for code, (_, social, other) in last.items()}


def _finish(row: dict) -> dict:
    def s(*keys):
        vals = [row[k] for k in keys]
        return None if any(v is None for v in vals) else sum(vals)

    row["本年增加合计"] = s("发展党员", "恢复党籍", "转入组织关系")
    row["本年减少合计"] = s("出党", "停止党籍", "死亡", "转出组织关系")
    parts = [row["上年底总数"], row["本年增加合计"], row["本年减少合计"]]
    row["本年底应有数"] = None if None in parts else parts[0] + parts[1] - parts[2]
    row["实有数与应有数之差"] = (
        None
        if row["本年底实有数"] is None or row["本年底应有数"] is None
        else row["本年底实有数"] - row["本年底应有数"]
    )
    return row


def table_one(world, year: int) -> dict:
    """{'总计' | '非公有制企业' | '社会组织' | street_code | unit_code: {column: value or None}}."""
    year = int(year)
    community_rows: dict[str, dict] = {}
    cats = {t.ENTERPRISE: {c: 0 for c in T1_COLUMNS}, t.SOCIAL: {c: 0 for c in T1_COLUMNS}}
    for c in world.communities:
        unit = c["unit_code"]
        rets = [
            (q, world.returns[(unit, f"{year}Q{q}")]) for q in (1, 2, 3, 4) if (unit, f"{year}Q{q}") in world.returns
        ]
        have = {q for q, _ in rets}
        category = _org_category(rets)
        row = {col: 0 for col in T1_COLUMNS}
        for q, ret in rets:
            for fr in t._member_rows(ret):
                cat = cats[category.get(fr.get("party_org_code"), t.ENTERPRISE)]
                if q == 1:
                    row["上年底总数"] += t._int(fr.get("opening"))
                    cat["上年底总数"] += t._int(fr.get("opening"))
                for col, fld in FLOW_KEYS.items():
                    row[col] += t._int(fr.get(fld))
                    if have == {1, 2, 3, 4}:
                        cat[col] += t._int(fr.get(fld))
                if q == 4:
                    row["本年底实有数"] += t._int(fr.get("closing_actual"))
                    cat["本年底实有数"] += t._int(fr.get("closing_actual"))
        if 1 not in have:
            row["上年底总数"] = None
        if have != {1, 2, 3, 4}:
            for col in FLOW_KEYS:
                row[col] = None
        if 4 not in have:
            row["本年底实有数"] = None
        community_rows[unit] = _finish(row)
    out = dict(community_rows)
    groups: dict[str, list[str]] = defaultdict(list)
    for c in world.communities:
        groups[c["street_code"]].append(c["unit_code"])
        groups["总计"].append(c["unit_code"])
    for key, units in groups.items():
        row = {col: _sum(community_rows[u][col] for u in units) for col in ("上年底总数", "本年底实有数", *FLOW_KEYS)}
        out[key] = _finish(row)
    for name, row in cats.items():
        out[name] = _finish(row)
    return out


def _t2_lines(u, st, org_type, formal, members, prm) -> list[str]:
    rows = ["单位数"]
    if t._true(u.get("instructor")):
        rows.append("党建工作指导员联系的")
    if st == t.ALONE:
        rows += [
            "已单独建立党组织",
            "建立党委的" if org_type == "党委" else "建立总支部的" if org_type == "党总支" else "建立支部的",
        ]
    elif st in (t.JOINT, t.ATTACHED):
        rows.append("已建立联合党组织的（含挂靠）")
        if formal >= prm["eligible_min_formal_members"]:
            rows.append("其中具有3名以上正式党员的")
    else:
        rows.append("未建立党组织")
        rows.append(
            "应建尚未建立党组织的"
            if formal >= prm["eligible_min_formal_members"]
            else "仅有个别党员的"
            if members >= 1
            else "没有党员的"
        )
    return rows


def _t2_cols(u, prm) -> set[str]:
    cols = {"总数"}
    if t._in_b(u, prm):
        cols.add("其中：列入党建基数的")
    if t._ge(u.get("employees"), 50):
        cols.add("从业人员50人以上")
    if t._ge(u.get("employees"), 100):
        cols.add("从业人员100人以上")
    if t._true(u.get("legal_rep_member")):
        cols.add("法定代表人是党员的")
        if t._true(u.get("legal_rep_secretary")):
            cols.add("其中兼任企业党组织书记的")
    if u.get("control_type") in CONTROL:
        cols.add(u["control_type"])
    return cols


def table_two(world, year: int) -> dict:
    """{entity_code: {row: {column: value or None}}} for the district, streets and communities."""
    prm = t._params()
    year = int(year)
    entities: dict[str, list[str]] = defaultdict(list)
    for c in world.communities:
        for code in (c["unit_code"], c["street_code"], c["district_code"]):
            entities[code].append(c["unit_code"])
    out = {}
    for code, units in entities.items():
        units = sorted(units)
        q4 = [(u, world.returns[(u, f"{year}Q4")]) for u in units if (u, f"{year}Q4") in world.returns]
        if not q4:
            out[code] = {row: {col: None for col in T2_COLUMNS} for row in T2_ROWS}
            continue
        table = {row: {col: (None if row in NULLABLE_ROWS else 0) for col in T2_COLUMNS} for row in T2_ROWS}
        seen: set[str] = set()
        joint: dict[str, list] = defaultdict(list)  # (community, org) -> [(uscc, cols)]
        for unit, ret in q4:
            org_type = {o.get("party_org_code"): o.get("org_type") for o in ret.get("party_orgs", ())}
            mode = {o.get("party_org_code"): o.get("formation_mode") for o in ret.get("party_orgs", ())}
            for u in ret.get("organizations", ()):
                if t._category(u) != t.ENTERPRISE or not t._in_u(u):
                    continue
                uscc = u.get("uscc")
                if uscc in seen:
                    continue
                seen.add(uscc)
                st = u.get("party_status")
                code_o = u.get("party_org_code")
                formal = t._int(u.get("members_formal"))
                members = formal + t._int(u.get("members_probationary"))
                cols = _t2_cols(u, prm)
                for col in cols:
                    for r in _t2_lines(u, st, org_type.get(code_o), formal, members, prm):
                        table[r][col] += 1
                    table["从业人员"][col] += t._int(u.get("employees"))
                    table["其中党员"][col] += members
                    for r, fld in (("入党申请人", "applicants"), ("入党积极分子", "activists")):
                        if u.get(fld) is not None:
                            table[r][col] = (table[r][col] or 0) + int(u[fld])
                if not t._blank(code_o) and mode.get(code_o) in JOINT_MODES:
                    joint[(unit, code_o)].append((str(uscc), cols))
        for members_of_org in joint.values():
            cols_any = set().union(*(c for _, c in members_of_org))
            owner_cols = min(members_of_org)[1]
            for col in T2_COLUMNS:
                if (col in CONTROL and col in owner_cols) or (col not in CONTROL and col in cols_any):
                    table["联合党组织数"][col] += 1
        out[code] = table
    return out
