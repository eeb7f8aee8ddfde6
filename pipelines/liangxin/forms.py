"""The periodic return (两新组织党建工作季报), defined once.

This module is the single declarative source of ``shared/spec/returns.md``: sheet names, Chinese
headers, snake_case field names, types, requirement flags, code lists and keys.  The template writer,
the validator, the raw warehouse tables and the dbt source documentation are all derived from it.

Code lists themselves are reference data and live in ``seeds/code_lists.csv``; fields only name the
list they draw from (``code_list``).  :func:`code_values` reads the seed.
"""

from __future__ import annotations

import csv
import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from liangxin import seeds
from liangxin.paths import SEEDS_DIR

# --------------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------------
TEXT = "text"
INT = "int"  # whole number >= 0
MONEY = "money"  # yuan, 2 decimals, >= 0
NUMBER = "number"  # decimal > 0 where the rule says so (学时)
DATE = "date"
BOOL = "bool"
CODE = "code"

# Requirement flags
REQ = "required"  # required in every quarter
ANNUAL = "annual"  # [年]: required in the Q4 return only (within the population its rule names)
COND = "conditional"  # required/forbidden depending on other fields (rule text says when; validator enforces)
OPTIONAL = "optional"  # blank has a meaning ("blank = not yet verified")

# Personal-data handling (returns.md §5)
PII_ID = "citizen_id"  # pseudonymised to person_key + birth_year + sex
PII_NAME = "name"  # stored as surname + '*'
PII_PHONE = "phone"  # stored as 138****8000


@dataclass(frozen=True)
class Field:
    label: str  # 中文表头, exactly as in returns.md
    name: str  # snake_case field name
    type: str
    required: str = REQ
    code_list: str | None = None  # list id in seeds/code_lists.csv, for CODE fields
    rule: str = ""  # short Chinese note shown on the template header
    max_len: int | None = None
    pii: str | None = None
    since: str | None = None  # first template version that has the field (None: every version)

    @property
    def is_annual(self) -> bool:
        return self.required == ANNUAL


@dataclass(frozen=True)
class Form:
    key: str  # snake_case identifier; raw table is raw.<key>
    sheet: str  # sheet name exactly as in returns.md
    title: str  # Chinese title
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    single_row: bool = False  # the cover
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [f.label for f in self.fields]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.key} has no field {name!r}")

    def by_label(self) -> dict[str, Field]:
        return {normalise_header(f.label): f for f in self.fields}


def normalise_header(text: str) -> str:
    """Header comparison key: NFKC (full-width → half-width), no spaces of any kind, no zero-width chars."""
    t = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in t if not ch.isspace() and unicodedata.category(ch) not in ("Cf",))


F = Field  # brevity below

# Template versions that add fields (seeds/template_versions.csv lists every version and its validity)
V2021 = "LX-Q-2021.1"

COVER = Form(
    key="cover",
    sheet="封面",
    title="封面",
    single_row=True,
    primary_key=("unit_code", "period", "correction_no"),
    description="One row: who reports, for which quarter, which correction.",
    fields=(
        F("填报单位编码", "unit_code", TEXT, REQ, rule="12位统计用区划代码，须在单位名册中", max_len=12),
        F("填报单位名称", "unit_name", TEXT, REQ, rule="须与单位名册一致（不一致为警告）"),
        F("报告期", "period", TEXT, REQ, rule="格式 YYYYQn，如 2020Q3"),
        F("模板版本", "template_version", TEXT, REQ, rule="如 LX-Q-2020.1；未知版本拒收"),
        F("更正序号", "correction_no", INT, REQ, rule="0=原始报送；k=同一单位同一报告期第k次更正"),
        F("更正说明", "correction_reason", TEXT, COND, rule="更正序号>0时必填"),
        F("填表人", "filled_by", TEXT, REQ, rule="必填", pii=PII_NAME),
        F("审核人", "approved_by", TEXT, REQ, rule="必填", pii=PII_NAME),
        F("联系电话", "phone", TEXT, REQ, rule="入库时脱敏为 138****8000", pii=PII_PHONE),
        F("报出日期", "submitted_on", DATE, REQ, rule="必填；不得晚于接收日期"),
    ),
)

ORGANIZATIONS = Form(
    key="organizations",
    sheet="表1 两新组织情况",
    title="两新组织情况",
    primary_key=("uscc",),
    description="Organization register: one row per two-new unit in the community.",
    fields=(
        F(
            "统一社会信用代码",
            "uscc",
            TEXT,
            REQ,
            rule="18位，校验位按GB 32100；校验失败为警告（白名单除外）",
            max_len=18,
        ),
        F("单位名称", "org_name", TEXT, REQ, rule="必填"),
        F("组织类别", "org_category", CODE, REQ, "org_category", rule="从下拉列表选择"),
        F("控制类型", "control_type", CODE, COND, "control_type", rule="仅非公有制企业填写；社会组织留空"),
        F("行业门类", "industry_section", CODE, REQ, "industry_section", rule="GB/T 4754-2017 门类字母 A–T"),
        F("登记状态", "reg_status", CODE, REQ, "reg_status", rule="从下拉列表选择"),
        F("是否实体运营", "operating", BOOL, REQ, rule="是/否"),
        F("是否有固定经营场所", "fixed_premises", BOOL, REQ, rule="是/否"),
        F("从业人员数", "employees", INT, REQ, rule="非负整数"),
        F("是否规模以上", "above_scale", BOOL, REQ, rule="是/否"),
        F("法定代表人是否党员", "legal_rep_member", BOOL, REQ, rule="是/否"),
        F("法定代表人是否兼任党组织书记", "legal_rep_secretary", BOOL, REQ, rule="为“是”时法定代表人须为党员"),
        F("从业正式党员数", "members_formal", INT, REQ, rule="在本单位从业的正式党员（不论组织关系在何处）"),
        F("从业预备党员数", "members_probationary", INT, REQ, rule="非负整数"),
        F("其中未转入组织关系党员数", "members_relation_elsewhere", INT, REQ, rule="≤ 正式党员数 + 预备党员数"),
        F("入党申请人数", "applicants", INT, REQ, rule="（2021.1）本单位从业人员中的入党申请人，季末数", since=V2021),
        F(
            "入党积极分子数",
            "activists",
            INT,
            REQ,
            rule="（2021.1）本单位从业人员中的入党积极分子，季末数；≤ 入党申请人数",
            since=V2021,
        ),
        F(
            "本季度在本单位发展党员数",
            "developed_here",
            INT,
            REQ,
            rule="（2021.1）本季度在本单位从业人员中发展的预备党员（不论由哪个党组织发展）；≤ 从业预备党员数",
            since=V2021,
        ),
        F("党组织建立情况", "party_status", CODE, REQ, "party_status", rule="从下拉列表选择"),
        F("所在党组织编码", "party_org_code", TEXT, COND, rule="“未建立”以外必填，须在表2中", max_len=20),
        F("是否选派党建工作指导员", "instructor", BOOL, REQ, rule="是/否"),
        F("是否选派第一书记", "first_secretary", BOOL, REQ, rule="是/否"),
        F("是否建立工会", "has_union", BOOL, REQ, rule="是/否"),
        F("是否建立共青团组织", "has_youth_league", BOOL, REQ, rule="是/否"),
        F("是否建立妇联组织", "has_women_org", BOOL, REQ, rule="是/否"),
        F("是否设立党群工作部", "party_mass_dept", BOOL, REQ, rule="是/否"),
        F("专职党务工作者人数", "fulltime_party_workers", INT, REQ, rule="非负整数"),
        F(
            "上年职工工资总额（元）",
            "payroll_prev_year",
            MONEY,
            ANNUAL,
            rule="[年] 单独建立党组织的非公有制企业第四季度必填；其他单位留空",
        ),
        F(
            "本年提取党建工作经费（元）",
            "party_funds",
            MONEY,
            ANNUAL,
            rule="[年] 单独建立党组织的非公有制企业第四季度必填；其他单位留空",
        ),
        F("出资人本年是否参加培训", "investor_trained", BOOL, ANNUAL, rule="[年] 第四季度必填"),
        F("年检结果", "inspection_result", CODE, ANNUAL, "inspection_result", rule="[年] 第四季度必填"),
        F("是否双强六好", "double_strong", BOOL, ANNUAL, rule="[年] 第四季度必填"),
    ),
)

PARTY_ORGS = Form(
    key="party_orgs",
    sheet="表2 党组织情况",
    title="党组织情况",
    primary_key=("party_org_code",),
    description="Party organizations of the community's two-new units (internal branches included in their parent).",
    fields=(
        F("党组织编码", "party_org_code", TEXT, REQ, rule="1–20位字母、数字或-，全区唯一", max_len=20),
        F("党组织名称", "party_org_name", TEXT, REQ, rule="必填"),
        F("党组织类别", "org_type", CODE, REQ, "org_type", rule="从下拉列表选择"),
        F("组建方式", "formation_mode", CODE, REQ, "formation_mode", rule="从下拉列表选择"),
        F("成立日期", "established_on", DATE, REQ, rule="日期，如 2020-03-31"),
        F("正式党员数", "members_formal", INT, REQ, rule="按组织关系统计"),
        F("预备党员数", "members_probationary", INT, REQ, rule="按组织关系统计"),
        F("书记姓名", "secretary_name", TEXT, REQ, rule="入库时仅保留姓氏", pii=PII_NAME),
        F(
            "书记身份证号",
            "secretary_id",
            TEXT,
            REQ,
            rule="18位，校验位按GB 11643；入库时假名化",
            max_len=18,
            pii=PII_ID,
        ),
        F("书记产生方式", "secretary_mode", CODE, REQ, "secretary_mode", rule="从下拉列表选择"),
        F("书记是否为管理层成员", "secretary_in_mgmt", BOOL, REQ, rule="是/否（双向进入、交叉任职）"),
        F("副书记人数", "deputies", INT, REQ, rule="非负整数"),
        F("党务工作者人数", "party_workers", INT, REQ, rule="非负整数"),
        F("是否有活动场所", "has_venue", BOOL, REQ, rule="是/否（自有或共享）"),
        F("有场所", "six_premises", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("有设施", "six_facilities", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("有标志", "six_signage", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("有党旗", "six_flag", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("有书报", "six_books", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("有制度", "six_rules", BOOL, ANNUAL, rule="[年] “六有”之一"),
        F("本季度党员大会次数", "general_meetings", INT, REQ, rule="非负整数"),
        F("本季度支委会次数", "committee_meetings", INT, REQ, rule="非负整数"),
        F("本季度党小组会次数", "group_meetings", INT, REQ, rule="非负整数"),
        F("本季度党课次数", "lectures", INT, REQ, rule="非负整数"),
        F("本季度党员学习活动次数", "study_sessions", INT, REQ, rule="非负整数；目标 ≥ 1"),
        F("本年是否召开组织生活会", "org_life_meeting", BOOL, ANNUAL, rule="[年] 是/否"),
        F("本年是否开展民主评议党员", "appraisal_held", BOOL, ANNUAL, rule="[年] 是/否"),
        F("参加评议党员数", "appraisal_participants", INT, ANNUAL, rule="[年] ≤ 正式党员数 + 预备党员数"),
        F("评定不合格党员数", "appraisal_unqualified", INT, ANNUAL, rule="[年] ≤ 参加评议党员数"),
        F("党费返还（元）", "dues_refund", MONEY, ANNUAL, rule="[年] 金额（元）"),
        F("财政支持（元）", "fiscal_support", MONEY, ANNUAL, rule="[年] 金额（元）"),
        F("以奖代补（元）", "award_subsidy", MONEY, ANNUAL, rule="[年] 金额（元）"),
    ),
)

MEMBER_FLOWS = Form(
    key="member_flows",
    sheet="表3 党员队伍变动情况",
    title="党员队伍变动情况",
    primary_key=("party_org_code",),
    description="Member stock and flow per Party organization, by formal relation; the 四个一批 outcomes.",
    fields=(
        F("党组织编码", "party_org_code", TEXT, REQ, rule="须在表2中", max_len=20),
        F("期初党员数", "opening", INT, REQ, rule="= 上季度期末实有数（新建党组织为0）"),
        F("发展党员", "developed", INT, REQ, rule="发展一批"),
        F("恢复党籍", "restored", INT, REQ, rule="非负整数"),
        F("转入组织关系", "transferred_in", INT, REQ, rule="非负整数"),
        F("其中：流动党员接转", "in_mobile", INT, REQ, rule="接转一批；≤ 转入组织关系"),
        F("其中：整建制转入", "in_whole_unit", INT, REQ, rule="≤ 转入组织关系"),
        F("出党", "exited", INT, REQ, rule="非负整数"),
        F("停止党籍", "suspended", INT, REQ, rule="非负整数"),
        F("死亡", "deceased", INT, REQ, rule="非负整数"),
        F("转出组织关系", "transferred_out", INT, REQ, rule="非负整数"),
        F("其中：整建制转出", "out_whole_unit", INT, REQ, rule="≤ 转出组织关系"),
        F("期末应有数", "closing_should", INT, REQ, rule="= 期初+发展+恢复+转入−出党−停止−死亡−转出"),
        F("期末实有数", "closing_actual", INT, REQ, rule="= 表2 正式党员数 + 预备党员数"),
        F("亮明身份纳入管理人数", "revealed", INT, REQ, rule="亮出一批"),
        F("招聘吸收党员职工人数", "absorbed", INT, REQ, rule="吸收一批"),
        F("差额说明", "difference_note", TEXT, COND, rule="期末实有数≠期末应有数时必填"),
    ),
)

TRAININGS = Form(
    key="trainings",
    sheet="表4 培训情况",
    title="培训情况",
    primary_key=("training_code",),
    description="Training events the community's organizations attended or held.",
    fields=(
        F("培训编号", "training_code", TEXT, REQ, rule="全区同一年度唯一；上级举办的同一培训使用同一编号"),
        F("培训名称", "training_name", TEXT, REQ, rule="必填"),
        F("主办层级", "organizer_level", CODE, REQ, "organizer_level", rule="从下拉列表选择"),
        F("主办单位", "organizer", TEXT, REQ, rule="必填"),
        F(
            "主办单位编码",
            "organizer_code",
            TEXT,
            COND,
            rule="（2021.1）主办层级为社区党总支时必填：主办社区的12位统计用区划代码（须在单位名册中）；其他层级留空",
            max_len=12,
            since=V2021,
        ),
        F("培训类型", "training_type", CODE, REQ, "training_type", rule="从下拉列表选择"),
        F("开始日期", "start_on", DATE, REQ, rule="在报告期内"),
        F("结束日期", "end_on", DATE, REQ, rule="在报告期内，且不早于开始日期"),
        F("学时", "hours", NUMBER, REQ, rule="大于0"),
    ),
)

ATTENDANCE = Form(
    key="attendance",
    sheet="表5 参训人员",
    title="参训人员",
    primary_key=("training_code", "person_id"),
    description="One row per person per training event.",
    fields=(
        F("培训编号", "training_code", TEXT, REQ, rule="须在表4中"),
        F("姓名", "person_name", TEXT, REQ, rule="入库时仅保留姓氏", pii=PII_NAME),
        F("身份证号", "person_id", TEXT, REQ, rule="18位，校验位按GB 11643；入库时假名化", max_len=18, pii=PII_ID),
        F("参训身份", "role", CODE, REQ, "attendee_role", rule="从下拉列表选择"),
        F("所在党组织编码", "party_org_code", TEXT, COND, rule="书记、副书记、党务工作者必填", max_len=20),
        F("所在单位信用代码", "uscc", TEXT, COND, rule="出资人必填"),
    ),
)

MOBILE_MEMBERS = Form(
    key="mobile_members",
    sheet="表6 流动党员台账",
    title="流动党员台账",
    primary_key=("person_id", "direction"),
    description="Mobile-member ledger: one row per mobile member per direction.",
    fields=(
        F("姓名", "person_name", TEXT, REQ, rule="入库时仅保留姓氏", pii=PII_NAME),
        F("身份证号", "person_id", TEXT, REQ, rule="18位，校验位按GB 11643；入库时假名化", max_len=18, pii=PII_ID),
        F("流向", "direction", CODE, REQ, "direction", rule="流入/流出"),
        F("流动开始日期", "since", DATE, REQ, rule="日期"),
        F("组织关系所在党组织", "home_org", TEXT, REQ, rule="组织关系所在党组织名称"),
        F("现从业单位信用代码", "uscc", TEXT, COND, rule="流入必填且须在表1中；流出留空"),
        F(
            "编入党组织编码",
            "host_party_org_code",
            TEXT,
            OPTIONAL,
            rule="流入：编入的党组织；留空=尚未纳入管理",
            max_len=20,
        ),
        F("登记日期", "registered_on", DATE, REQ, rule="凡进必登"),
        F("核实日期", "verified_on", DATE, OPTIONAL, rule="凡登必核；不早于登记日期；留空=尚未核实"),
        F("是否持流动党员活动证", "certificate", BOOL, REQ, rule="是/否"),
        F("状态", "status", CODE, REQ, "mobile_status", rule="从下拉列表选择"),
    ),
)

FORMS: tuple[Form, ...] = (COVER, ORGANIZATIONS, PARTY_ORGS, MEMBER_FLOWS, TRAININGS, ATTENDANCE, MOBILE_MEMBERS)
FORMS_BY_KEY: dict[str, Form] = {f.key: f for f in FORMS}
FORMS_BY_SHEET: dict[str, Form] = {f.sheet: f for f in FORMS}
DATA_FORMS: tuple[Form, ...] = FORMS[1:]

ENTERPRISE = "非公有制企业"
SOCIAL_CATEGORIES = ("社会团体", "民办非企业单位", "基金会", "律师事务所", "会计师事务所", "税务师事务所")
BOOL_DISPLAY = ("是", "否")  # what the template offers and the generator writes


# --------------------------------------------------------------------------------------------------
# Template versions: which fields a version has
# --------------------------------------------------------------------------------------------------
def version_rank(version: str | None) -> tuple:
    """Sort key of a template version: by its valid_from_period in the seed; unknown versions sort by name
    after every known one ("LX-Q-2021.1" style names also sort in time order)."""
    row = seeds.template_versions().get(version or "")
    if row is not None:
        return (0, row["valid_from_period"], version)
    return (1, "", version or "")


def version_has(f: Field, version: str | None) -> bool:
    """Whether template ``version`` has field ``f``.  ``None`` = the newest version (every field)."""
    if f.since is None or version is None:
        return True
    return version_rank(version) >= version_rank(f.since)


def fields_for(form: Form, version: str | None) -> tuple[Field, ...]:
    """The fields (columns) of ``form`` in template ``version``, in sheet order (``None``: all fields)."""
    return tuple(f for f in form.fields if version_has(f, version))


def headers_for(form: Form, version: str | None) -> list[str]:
    """The Chinese headers of ``form`` in template ``version``, in sheet order."""
    return [f.label for f in fields_for(form, version)]


def names_for(form: Form, version: str | None) -> list[str]:
    """The field names of ``form`` in template ``version``, in sheet order."""
    return [f.name for f in fields_for(form, version)]


def not_collected(form: Form, version: str | None) -> tuple[Field, ...]:
    """Fields of ``form`` that template ``version`` lacks: "not collected" (未采集, NULL) for its returns."""
    return tuple(f for f in form.fields if not version_has(f, version))


def form_for_sheet(sheet_name: str) -> Form | None:
    key = normalise_header(sheet_name)
    for f in FORMS:
        if normalise_header(f.sheet) == key:
            return f
    return None


@functools.lru_cache(maxsize=None)
def _code_lists() -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[tuple[int, str]]] = {}
    with open(Path(SEEDS_DIR) / "code_lists.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            lists.setdefault(row["list_id"], []).append((int(row["sort_order"]), row["code"]))
    return {k: tuple(c for _, c in sorted(v)) for k, v in lists.items()}


def code_values(list_id: str) -> tuple[str, ...]:
    """The allowed values of a code list, in display order (from seeds/code_lists.csv)."""
    return _code_lists()[list_id]


# --------------------------------------------------------------------------------------------------
# Raw warehouse columns (the loader creates raw.<form.key> with these; dbt sources document them)
# --------------------------------------------------------------------------------------------------
SQL_TYPES = {
    TEXT: "VARCHAR",
    INT: "BIGINT",
    MONEY: "DECIMAL(18,2)",
    NUMBER: "DOUBLE",
    DATE: "DATE",
    BOOL: "BOOLEAN",
    CODE: "VARCHAR",
}

LINEAGE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("submission_id", "VARCHAR", "SHA-256 of the submitted file (lineage)"),
    ("unit_code", "VARCHAR", "填报单位编码 of the submission"),
    ("period", "VARCHAR", "报告期 YYYYQn of the submission"),
    ("correction_no", "INTEGER", "更正序号 of the submission"),
    ("source_sheet", "VARCHAR", "sheet the row came from (lineage)"),
    ("source_row", "INTEGER", "1-based row number in the sheet (lineage; header = row 1)"),
)


# raw.submissions: one row per received file (rejected ones too), then the cover fields, then the backfill flag;
# raw.rule_hits: one row per rule hit.  The loader (liangxin.warehouse), the dbt sources and staging models
# (dbt_project/scripts/gen_sources.py, gen_staging.py) and the test fixtures all take their columns from here.
RECEIPT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("submission_id", "VARCHAR", "提交编号：文件的 SHA-256"),
    ("original_name", "VARCHAR", "原始文件名"),
    ("received_at", "TIMESTAMP", "接收时间（UTC）"),
    ("size_bytes", "BIGINT", "文件大小（字节）"),
    ("outcome", "VARCHAR", "审核结果：accepted（接收）/ accepted_with_warnings（接收，有警告）/ rejected（拒收）"),
    ("error_count", "INTEGER", "错误数"),
    ("warning_count", "INTEGER", "警告数"),
    ("format", "VARCHAR", "文件格式：xlsx / csvzip"),
)
BACKFILL_COLUMN: tuple[str, str, str] = (
    "backfill",
    "BOOLEAN",
    "历史补录：接收时注明（liangxin ingest --backfill），按报出日期判断是否逾期",
)
RULE_HIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("submission_id", "VARCHAR", "提交编号：文件的 SHA-256"),
    ("rule_id", "VARCHAR", "规则编号，如 F4、R11"),
    ("severity", "VARCHAR", "级别：E=错误，W=警告"),
    ("sheet", "VARCHAR", "工作表名"),
    ("row", "INTEGER", "行号（表头为第1行）"),
    ("column_header", "VARCHAR", "列标题（中文）"),
    ("value", "VARCHAR", "发现的值（文本；个人信息已遮蔽）"),
    ("message", "VARCHAR", "中文说明（个人信息已遮蔽）"),
    ("cell", "VARCHAR", "单元格，如 C5"),
    ("hit_no", "INTEGER", "该报送内命中的顺序号（从0起）"),
)


def submission_columns() -> list[tuple[str, str, str]]:
    """(column, SQL type, description) of raw.submissions."""
    return list(RECEIPT_COLUMNS) + raw_columns(COVER) + [BACKFILL_COLUMN]


def raw_tables() -> dict[str, list[tuple[str, str, str]]]:
    """Every raw table (name without schema) -> its (column, SQL type, description): the one definition."""
    out = {"submissions": submission_columns(), "rule_hits": list(RULE_HIT_COLUMNS)}
    for form in DATA_FORMS:
        out[form.key] = raw_columns(form)
    return out


def raw_columns(form: Form) -> list[tuple[str, str, str]]:
    """(column, SQL type, description) of raw.<form.key>, personal data already transformed.

    - PII_ID fields ``x_id`` become ``x_key`` (HMAC-SHA256 hex), ``x_birth_year`` and ``x_sex`` ('男'/'女');
      the raw number is never stored.
    - PII_NAME fields keep the name masked as surname + '*'; PII_PHONE keeps the masked phone.
    """
    cols = list(LINEAGE_COLUMNS) if form.key != "cover" else []
    for f in form.fields:
        if f.pii == PII_ID:
            stem = f.name[: -len("_id")]
            cols += [
                (f"{stem}_key", "VARCHAR", f"{f.label}的假名化键 HMAC-SHA256（原始号码不入库）"),
                (f"{stem}_birth_year", "INTEGER", f"{f.label}推得的出生年份"),
                (f"{stem}_sex", "VARCHAR", f"{f.label}推得的性别（男/女）"),
            ]
        else:
            cols.append((f.name, SQL_TYPES[f.type], f.label))
    return cols
