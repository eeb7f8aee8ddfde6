"""Defect injection: rewrite chosen files of a written world so that each violates exactly one rule
(or carries an *accepted* spelling variant), and record every change in ``<out>/defects.json``.

SPEC is ``name:count,name:count`` or ``all`` (one of each). Each defect goes to ``count`` distinct files
chosen deterministically from the seed; no file receives two defects.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

from liangxin.checks import USCC_ALPHABET, uscc_check_char
from liangxin.forms import ENTERPRISE, FORMS_BY_KEY, names_for
from liangxin.periods import is_q4, period_start

from .writer import return_path, return_sheets, write_csvzip, write_return


class Ctx:
    def __init__(self, world, unit, period, rng, fmt):
        self.world, self.unit, self.period, self.rng, self.fmt = world, unit, period, rng, fmt
        self.ret = world.returns[(unit, period)]
        self.sheets = return_sheets(self.ret)
        self.by_key = {
            k: s
            for k, s in zip(
                ("cover", "organizations", "party_orgs", "member_flows", "trainings", "attendance", "mobile_members"),
                self.sheets,
            )
        }
        self.entries: list[dict] = []
        version = self.ret["cover"][0].get("template_version") if self.ret.get("cover") else None
        self.version = version
        self.names = {k: names_for(FORMS_BY_KEY[k], version) for k in self.by_key}  # the columns as written

    def col(self, key: str, name: str) -> int:
        return self.names[key].index(name)

    def get(self, key, i, name):
        return self.by_key[key].rows[i][self.col(key, name)]

    def set(self, key: str, i: int, name: str, value, note: str = "", record: bool = True) -> None:
        """Set a cell (row index i of the data rows) and record it in the manifest."""
        sh = self.by_key[key]
        sh.rows[i][self.col(key, name)] = value
        if record:
            self.entries.append(
                {
                    "sheet": sh.name,
                    "row": i + 2,
                    "column": FORMS_BY_KEY[key].field(name).label,
                    "value": _show(value),
                    "note": note,
                }
            )

    def rows(self, key):
        return self.by_key[key].rows


def _show(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (dt.date, Decimal)):
        return str(v)
    return v


def _referenced_usccs(c: Ctx) -> set[str]:
    refs = {r[c.col("attendance", "uscc")] for r in c.rows("attendance")}
    refs |= {r[c.col("mobile_members", "uscc")] for r in c.rows("mobile_members")}
    return refs


def _free_unit(c: Ctx, pred=lambda row: True):
    refs = _referenced_usccs(c)
    for i, r in enumerate(c.rows("organizations")):
        if r[c.col("organizations", "uscc")] not in refs and pred(r):
            return i
    return None


# --- content defects (return None when the file does not fit) -----------------------------------------
def d_bad_uscc_check(c):
    i = _free_unit(c)
    if i is None:
        return None
    u = c.get("organizations", i, "uscc")
    good = USCC_ALPHABET.index(u[17])
    c.set("organizations", i, "uscc", u[:17] + USCC_ALPHABET[(good + 1) % 31], f"校验位应为 {u[17]}")
    return "I1", "W"


def d_individual_business(c):
    i = _free_unit(c, lambda r: r[c.col("organizations", "org_category")] == ENTERPRISE)
    if i is None:
        return None
    u = c.get("organizations", i, "uscc")
    body = "92" + u[2:17]
    c.set("organizations", i, "uscc", body + uscc_check_char(body), "前缀92为个体工商户（校验位正确）")
    return "I1", "E"


def d_bad_citizen_id(c):
    if not c.rows("party_orgs"):
        return None
    v = c.get("party_orgs", 0, "secretary_id")
    bad = v[:17] + ("0" if v[17] != "0" else "1")
    c.set("party_orgs", 0, "secretary_id", bad, f"校验位应为 {v[17]}")
    return "I2", "E"


def d_unknown_unit(c):
    c.set("cover", 0, "unit_code", "330199099099", "名册中不存在的单位编码")
    return "F3", "E"


def d_future_period(c):
    c.set("cover", 0, "period", "2099Q1", "未来的报告期")
    return "F3", "E"


def d_bad_template_version(c):
    c.set("cover", 0, "template_version", "LX-Q-1999.9", "未知模板版本")
    return "F3", "E"


def d_missing_sheet(c):
    sh = c.by_key["mobile_members"]
    c.sheets.remove(sh)
    c.entries.append({"sheet": sh.name, "row": None, "column": None, "value": None, "note": "缺少整张表"})
    return "F2", "E"


def d_missing_column(c):
    sh = c.by_key["organizations"]
    j = c.col("organizations", "employees")
    label = sh.headers.pop(j)
    for r in sh.rows:
        r.pop(j)
    c.entries.append({"sheet": sh.name, "row": 1, "column": label, "value": None, "note": "缺少必填列"})
    return "F2", "E"


def d_extra_column(c):
    sh = c.by_key["organizations"]
    sh.headers.append("备注")
    for r in sh.rows:
        r.append("无")
    c.entries.append({"sheet": sh.name, "row": 1, "column": "备注", "value": "备注", "note": "多余的列"})
    return "F7", "W"


def d_unknown_code(c):
    if not c.rows("organizations"):
        return None
    c.set("organizations", 0, "industry_section", "Z", "行业门类不在代码表中")
    return "F4", "E"


def d_negative_count(c):
    if not c.rows("party_orgs"):
        return None
    c.set("party_orgs", 0, "lectures", -1, "负数")
    return "F4", "E"


def d_duplicate_key(c):
    rows = c.rows("trainings")
    if not rows:
        return None
    rows.append(list(rows[0]))
    c.entries.append(
        {
            "sheet": c.by_key["trainings"].name,
            "row": len(rows) + 1,
            "column": "培训编号",
            "value": rows[0][0],
            "note": "重复的培训编号",
        }
    )
    return "F5", "E"


def d_broken_balance(c):
    if not c.rows("member_flows"):
        return None
    c.set("member_flows", 0, "restored", c.get("member_flows", 0, "restored") + 1, "恢复党籍+1，期末应有数未变")
    return "R11", "E"


def d_missing_difference_note(c):
    for i, r in enumerate(c.rows("member_flows")):
        if c.get("member_flows", i, "closing_should") >= 1:
            c.set("member_flows", i, "exited", c.get("member_flows", i, "exited") + 1, "出党+1", record=False)
            c.set(
                "member_flows",
                i,
                "closing_should",
                c.get("member_flows", i, "closing_should") - 1,
                "期末应有数≠期末实有数且无差额说明（出党同步+1，R11成立；R13警告随之出现）",
            )
            return "R12", "E"
    return None


def d_secretary_not_member(c):
    rows = c.rows("organizations")
    if not rows:
        return None
    i = next((k for k, r in enumerate(rows) if r[c.col("organizations", "legal_rep_secretary")]), 0)
    c.set("organizations", i, "legal_rep_secretary", True, "兼任书记", record=False)
    c.set("organizations", i, "legal_rep_member", False, "法定代表人兼任书记但非党员")
    return "R1", "E"


def d_members_gt_employees(c):
    for i, r in enumerate(c.rows("organizations")):
        m = c.get("organizations", i, "members_formal") + c.get("organizations", i, "members_probationary")
        if m >= 3:
            c.set("organizations", i, "employees", m - 2, "从业人员数 < 党员数 − 1")
            return "R2", "E"
    return None


def d_status_without_org(c):
    for i, r in enumerate(c.rows("organizations")):
        if r[c.col("organizations", "party_status")] == "未建立":
            c.set("organizations", i, "party_status", "联合建立", "联合建立但未填所在党组织编码")
            return "R3", "E"
    return None


def d_control_type_on_social(c):
    for i, r in enumerate(c.rows("organizations")):
        if r[c.col("organizations", "org_category")] != ENTERPRISE:
            c.set("organizations", i, "control_type", "私有经济控制", "社会组织填写了控制类型")
            return "R5", "E"
    return None


def d_appraisal_overflow(c):
    if not is_q4(c.period) or not c.rows("party_orgs"):
        return None
    n = c.get("party_orgs", 0, "members_formal") + c.get("party_orgs", 0, "members_probationary")
    c.set("party_orgs", 0, "appraisal_participants", n + 1, "参加评议党员数 > 党员数")
    return "R9", "E"


def d_end_before_start(c):
    for i, r in enumerate(c.rows("trainings")):
        s = c.get("trainings", i, "start_on")
        if s > period_start(c.period):
            c.set("trainings", i, "end_on", s - dt.timedelta(days=1), "结束日期早于开始日期")
            return "R14", "E"
    return None


def d_verified_before_registered(c):
    for i, r in enumerate(c.rows("mobile_members")):
        if c.get("mobile_members", i, "verified_on") is not None:
            c.set(
                "mobile_members",
                i,
                "verified_on",
                c.get("mobile_members", i, "registered_on") - dt.timedelta(days=3),
                "核实日期早于登记日期",
            )
            return "R15", "E"
    return None


def d_orphan_party_org(c):
    for i, r in enumerate(c.rows("attendance")):
        if c.get("attendance", i, "party_org_code"):
            c.set("attendance", i, "party_org_code", c.unit + "-9999", "表2中不存在的党组织编码")
            return "X1", "E"
    return None


def d_closing_mismatch(c):
    if is_q4(c.period):
        return None
    for i, r in enumerate(c.rows("party_orgs")):
        if c.get("party_orgs", i, "members_formal") != 6:
            c.set(
                "party_orgs",
                i,
                "members_formal",
                c.get("party_orgs", i, "members_formal") + 1,
                "表2正式党员数+1，与表3期末实有数不符",
            )
            return "X2", "E"
    return None


def _coverage(c):
    cov: dict[str, list[int]] = {}
    for i, r in enumerate(c.rows("organizations")):
        code = r[c.col("organizations", "party_org_code")]
        if code:
            cov.setdefault(code, []).append(i)
    return cov


def d_joint_branch_single_unit(c):
    cov = _coverage(c)
    joints = [r[0] for r in c.rows("party_orgs") if r[c.col("party_orgs", "org_type")] == "联合党支部"]
    a = next((j for j in joints if len(cov.get(j, [])) == 2), None)
    b = next((j for j in joints if j != a and 2 <= len(cov.get(j, [])) <= 4), None)
    if a is None or b is None:
        return None
    c.set("organizations", cov[a][0], "party_org_code", b, f"改挂到 {b}，使 {a} 只覆盖1个单位")
    return "X3", "W"


def d_standalone_two_units(c):
    # revised X4: a unit 挂靠 to another unit's 单独组建 organization is allowed; two units declaring the same
    # 单独组建 organization as their own (单独建立) are not
    standalone = [r[0] for r in c.rows("party_orgs") if r[c.col("party_orgs", "formation_mode")] == "单独组建"]
    if not standalone:
        return None
    for i, r in enumerate(c.rows("organizations")):
        if r[c.col("organizations", "party_status")] == "未建立" and r[c.col("organizations", "reg_status")] == "存续":
            c.set("organizations", i, "party_status", "单独建立", "声称单独建立", record=False)
            c.set("organizations", i, "party_org_code", standalone[0], "两个单位均以同一单独组建党组织为本单位党组织")
            return "X4", "E"
    return None


def d_standalone_points_to_joint(c):
    # X7: a unit declared 单独建立 while it points to a joint organization (issue 13's example)
    joint = {r[0] for r in c.rows("party_orgs") if r[c.col("party_orgs", "org_type")] == "联合党支部"}
    for i, r in enumerate(c.rows("organizations")):
        if (
            r[c.col("organizations", "party_status")] == "联合建立"
            and r[c.col("organizations", "party_org_code")] in joint
        ):
            c.set("organizations", i, "party_status", "单独建立", "单独建立却指向联合党支部")
            return "X7", "E"
    return None


def _has_2021_fields(c) -> bool:
    return "applicants" in c.names["organizations"]


def d_activists_over_applicants(c):
    if not _has_2021_fields(c) or not c.rows("organizations"):
        return None
    n = c.get("organizations", 0, "applicants")
    c.set("organizations", 0, "activists", n + 1, "入党积极分子数 > 入党申请人数")
    return "R18", "E"


def d_unknown_organizer_code(c):
    if "organizer_code" not in c.names["trainings"]:
        return None
    rows = c.rows("trainings")
    if not rows:
        return None
    i = next((k for k, r in enumerate(rows) if r[c.col("trainings", "organizer_level")] == "社区党总支"), 0)
    c.set("trainings", i, "organizer_level", "社区党总支", "社区党总支举办", record=False)
    c.set("trainings", i, "organizer_code", "330199099099", "主办单位编码不在单位名册中")
    return "X8", "E"


def d_version_not_for_period(c):
    if not _has_2021_fields(c):
        return None
    c.set("cover", 0, "template_version", "LX-Q-2020.1", "2020年版模板版本用于2021年报告期")
    return "F3", "E"


def d_missing_new_column(c):
    if not _has_2021_fields(c):
        return None
    sh = c.by_key["organizations"]
    j = c.col("organizations", "applicants")
    label = sh.headers.pop(j)
    for r in sh.rows:
        r.pop(j)
    c.names["organizations"].pop(j)
    c.entries.append(
        {"sheet": sh.name, "row": 1, "column": label, "value": None, "note": "2021.1 模板缺少新增的必填列"}
    )
    return "F2", "E"


def d_unknown_training_code(c):
    if not c.rows("attendance"):
        return None
    c.set("attendance", 0, "training_code", "NOPE-0000", "表4中不存在的培训编号")
    return "X5", "E"


def d_mobile_unknown_uscc(c):
    for i, r in enumerate(c.rows("mobile_members")):
        if r[c.col("mobile_members", "direction")] == "流入":
            body = "91330199MA" + "".join(c.rng.choice(USCC_ALPHABET) for _ in range(7))
            c.set("mobile_members", i, "uscc", body + uscc_check_char(body), "表1中不存在的信用代码")
            return "X6", "E"
    return None


def d_opening_mismatch(c):
    if c.period == c.world.periods[0]:
        return None
    for i, r in enumerate(c.rows("member_flows")):
        if c.get("member_flows", i, "opening") > 0:
            c.set(
                "member_flows",
                i,
                "transferred_out",
                c.get("member_flows", i, "transferred_out") + 1,
                "转出+1",
                record=False,
            )
            c.set(
                "member_flows",
                i,
                "opening",
                c.get("member_flows", i, "opening") + 1,
                "期初≠上季度期末实有数（转出同步+1，R11成立）；上期报表已入库时为E，否则为W",
            )
            return "P1", "E"
    return None


# --- accepted spelling variants ------------------------------------------------------------------
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def d_fullwidth_digits(c):
    for i in range(min(3, len(c.rows("organizations")))):
        c.set(
            "organizations",
            i,
            "employees",
            str(c.get("organizations", i, "employees")).translate(FULLWIDTH),
            "全角数字（文本）",
        )
    return (None, None) if c.entries else None


def d_text_dates(c):
    cells = [("trainings", i, n) for i in range(len(c.rows("trainings"))) for n in ("start_on", "end_on")]
    cells += [
        ("mobile_members", i, n) for i in range(len(c.rows("mobile_members"))) for n in ("since", "registered_on")
    ]
    if len(cells) < 3:
        return None
    spellings = (
        lambda d: d.isoformat(),
        lambda d: f"{d.year}/{d.month}/{d.day}",
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    )
    c.set("cover", 0, "submitted_on", spellings[0](c.get("cover", 0, "submitted_on")), "文本日期")
    for (key, i, name), f in zip(cells, spellings[1:]):
        c.set(key, i, name, f(c.get(key, i, name)), "文本日期")
    return None, None


def d_thousands_separators(c):
    if not is_q4(c.period):
        return None
    for i, r in enumerate(c.rows("organizations")):
        v = c.get("organizations", i, "payroll_prev_year")
        if v is not None and v >= 1000:
            c.set("organizations", i, "payroll_prev_year", f"{v:,.2f}", "千分位分隔符")
            return None, None
    return None


def d_bool_spellings(c):
    rows = c.rows("organizations")
    if len(rows) < 3:
        return None
    for i, (t, f) in enumerate((("Y", "N"), ("√", "×"), ("1", "0"))):
        v = c.get("organizations", i, "operating")
        c.set("organizations", i, "operating", t if v else f, "布尔值的其他写法")
    return None, None


def d_spaces_around(c):
    rows = c.rows("organizations")
    if not rows:
        return None
    c.set("organizations", 0, "org_name", f"  {c.get('organizations', 0, 'org_name')} ", "前后空格")
    c.set("organizations", 0, "uscc", f" {c.get('organizations', 0, 'uscc')}  ", "前后空格")
    return None, None


def d_gbk_csv(c):
    c.entries.append(
        {"sheet": None, "row": None, "column": None, "value": "gb18030", "note": "以GB18030编码的CSV压缩包报送"}
    )
    return None, None


def d_not_a_zip(c):
    c.entries.append({"sheet": None, "row": None, "column": None, "value": None, "note": "随机字节，不是zip"})
    return "F1", "E"


def d_truncated_zip(c):
    c.entries.append({"sheet": None, "row": None, "column": None, "value": None, "note": "文件被截断"})
    return "F1", "E"


DEFECTS = {name[2:]: fn for name, fn in list(globals().items()) if name.startswith("d_")}


def parse_defect_spec(spec: str | None) -> list[tuple[str, int]]:
    """``"bad_uscc_check:3,broken_balance:2"`` or ``"all"`` → [(name, count), …] (raises ValueError)."""
    if not spec:
        return []
    if spec.strip() == "all":
        return [(n, 1) for n in DEFECTS]
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, count = part.partition(":")
        if name not in DEFECTS:
            raise ValueError(f"未知的缺陷类型 unknown defect {name!r}; known: {', '.join(DEFECTS)}")
        out.append((name, int(count or 1)))
    return out


def apply_defects(world, out_dir, spec, seed: int = 0, fmt: str = "xlsx", encoding: str = "utf-8") -> list[dict]:
    """Rewrite chosen files with defects; write ``<out>/defects.json``; return the manifest entries."""
    out_dir = Path(out_dir)
    rng = random.Random(f"defects-{seed}")
    keys = [(c["unit_code"], p) for p in world.periods for c in world.communities]
    order = list(range(len(keys)))
    rng.shuffle(order)
    used: set[int] = set()
    manifest: list[dict] = []
    for name, count in parse_defect_spec(spec):
        done = 0
        for k in order:
            if done >= count:
                break
            if k in used:
                continue
            unit, period = keys[k]
            c = Ctx(world, unit, period, rng, fmt)
            res = DEFECTS[name](c)
            if res is None:
                continue
            rule, sev = res
            used.add(k)
            done += 1
            path = return_path(out_dir, unit, period, fmt)
            if name == "not_a_zip":
                path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
            elif name == "truncated_zip":
                data = path.read_bytes()
                path.write_bytes(data[: len(data) // 2])
            elif name == "gbk_csv":
                if path.suffix != ".zip":
                    path.unlink()
                    path = path.with_suffix(".zip")
                write_csvzip(c.sheets, path, "gb18030")
            else:
                write_return(None, path, fmt, encoding, sheets=c.sheets)
            for e in c.entries:
                manifest.append(
                    {
                        "file": str(path.relative_to(out_dir)),
                        "defect": name,
                        **e,
                        "expected_rule": rule,
                        "expected_severity": sev,
                    }
                )
        if done < count:
            raise ValueError(f"缺陷 {name} 只找到 {done} 个可用文件（需要 {count}） not enough files for {name}")
    (out_dir / "defects.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest
