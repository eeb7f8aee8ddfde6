"""Blank templates: written with openpyxl, read back with openpyxl, converted by LibreOffice."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess

import openpyxl
import pytest
import typer
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from liangxin import forms
from liangxin.cli import app
from liangxin.paths import SEEDS_DIR
from liangxin.template import TemplateError, write_template

UNIT = "330199001001"
V2020 = "LX-Q-2020.1"  # the version of the module's template (2020Q3)


def _register_name(code: str) -> str:
    # read the seed directly (independent of liangxin.seeds)
    with open(SEEDS_DIR / "communities.csv", encoding="utf-8") as fh:
        return next(r["unit_name"] for r in csv.DictReader(fh) if r["unit_code"] == code)


@pytest.fixture(scope="module")
def template_path(tmp_path_factory):
    return write_template(UNIT, "2020Q3", tmp_path_factory.mktemp("tpl") / "模板.xlsx")


@pytest.fixture(scope="module")
def wb(template_path):
    return openpyxl.load_workbook(template_path)


def _validations(ws) -> dict[str, object]:
    """column letter -> the DataValidation covering it (exactly one per column expected)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col, "one validation range per column"
            letter = get_column_letter(rng.min_col)
            assert letter not in out, f"two validations on column {letter} of {ws.title}"
            out[letter] = (dv, rng)
    return out


def _list_values(dv) -> tuple[str, ...]:
    f = dv.formula1
    assert f.startswith('"') and f.endswith('"'), f
    return tuple(f[1:-1].split(","))


def test_sheets_and_headers(wb):
    assert wb.sheetnames == [f.sheet for f in forms.FORMS]
    assert wb.sheetnames[0] == "封面" and wb.sheetnames[1] == "表1 两新组织情况"
    for form in forms.FORMS:
        ws = wb[form.sheet]
        headers = [c.value for c in ws[1]]
        assert headers == forms.headers_for(form, V2020)
        assert ws.freeze_panes == "A2"
        assert all(c.font.b for c in ws[1])
        assert all(c.alignment.wrap_text for c in ws[1])
        assert all(c.fill.fgColor.rgb not in (None, "00000000") for c in ws[1])


def test_cover_prefilled(wb):
    ws = wb["封面"]
    values = {h.value: v.value for h, v in zip(ws[1], ws[2])}
    assert values["填报单位编码"] == "330199001001" and isinstance(values["填报单位编码"], str)
    assert values["填报单位名称"] == _register_name(UNIT) == "金桥社区党总支"
    assert values["报告期"] == "2020Q3"
    assert values["模板版本"] == "LX-Q-2020.1"  # seeds/template_versions.csv: valid from 2020Q1
    assert values["更正序号"] == 0
    for label in ("更正说明", "填表人", "审核人", "联系电话", "报出日期"):
        assert values[label] is None, label
    assert ws.max_row == 2


def test_template_version_and_name_override(tmp_path):
    p = write_template("330199001002", "2019Q2", tmp_path / "t.xlsx", unit_name="自定义名称")
    ws = openpyxl.load_workbook(p)["封面"]
    values = {h.value: v.value for h, v in zip(ws[1], ws[2])}
    assert values["模板版本"] == "LX-Q-2019.1"  # 2019Q1..2019Q4
    assert values["填报单位编码"] == "330199001002"
    assert values["填报单位名称"] == "自定义名称"


def test_validations_for_every_typed_column(wb):
    for form in forms.FORMS:
        ws = wb[form.sheet]
        dvs = _validations(ws)
        last_row = 2 if form.single_row else 5000
        for i, field in enumerate(forms.fields_for(form, V2020), start=1):
            letter = get_column_letter(i)
            where = f"{form.sheet}!{letter} {field.label}"
            if (
                field.type in (forms.CODE, forms.BOOL, forms.INT, forms.MONEY, forms.NUMBER, forms.DATE)
                or field.max_len == 18
            ):
                assert letter in dvs, f"no validation on {where}"
            if letter not in dvs:
                continue
            dv, rng = dvs[letter]
            assert (rng.min_row, rng.max_row) == (2, last_row), where
            assert dv.showErrorMessage and dv.error and dv.errorTitle and dv.promptTitle, where
            assert any("\u4e00" <= ch <= "\u9fff" for ch in dv.error), f"error message not Chinese: {where}"
            assert dv.allow_blank, where
            if field.type == forms.CODE:
                assert dv.type == "list"
                assert _list_values(dv) == forms.code_values(field.code_list), where
            elif field.type == forms.BOOL:
                assert dv.type == "list" and _list_values(dv) == ("是", "否"), where
            elif field.type == forms.INT:
                assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0"), where
            elif field.type == forms.MONEY:
                assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0"), where
            elif field.type == forms.NUMBER:
                assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThan", "0"), where
            elif field.type == forms.DATE:
                assert dv.type == "date", where
            elif field.max_len == 18:
                assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "18"), where


def test_known_validations_spot_check(wb):
    # independent of forms.py: values written out from returns.md
    dvs = _validations(wb["表1 两新组织情况"])
    assert _list_values(dvs["C"][0]) == (
        "非公有制企业",
        "社会团体",
        "民办非企业单位",
        "基金会",
        "律师事务所",
        "会计师事务所",
        "税务师事务所",
    )
    assert dvs["A"][0].type == "textLength" and dvs["A"][0].formula1 == "18"  # 统一社会信用代码
    dvs6 = _validations(wb["表6 流动党员台账"])
    assert _list_values(dvs6["C"][0]) == ("流入", "流出")
    assert dvs6["B"][0].formula1 == "18"  # 身份证号
    hours = _validations(wb["表4 培训情况"])["H"][0]  # 学时 > 0
    assert (hours.type, hours.operator, hours.formula1) == ("decimal", "greaterThan", "0")


def test_header_comments(wb):
    for form in forms.FORMS:
        ws = wb[form.sheet]
        assert len(ws[1]) == len(forms.fields_for(form, V2020))
        for cell, field in zip(ws[1], forms.fields_for(form, V2020)):
            assert cell.comment is not None, f"{form.sheet} {field.label}"
            text = cell.comment.text
            assert field.rule in text
            assert "类型" in text and "填报要求" in text
            assert ("[年]" in text) == field.is_annual
            if field.required == forms.ANNUAL:
                assert "第四季度" in text
            elif field.required == forms.REQ:
                assert "填报要求：必填" in text
    c = wb["表1 两新组织情况"]["AB1"]  # 年检结果
    assert c.value == "年检结果" and "[年]" in c.comment.text and "未检" in c.comment.text


def test_formats_and_widths(wb):
    for form in forms.FORMS:
        ws = wb[form.sheet]
        for i, field in enumerate(forms.fields_for(form, V2020), start=1):
            dim = ws.column_dimensions[get_column_letter(i)]
            if field.name in (
                "unit_code",
                "phone",
                "uscc",
                "party_org_code",
                "host_party_org_code",
            ) or field.name.endswith("_id"):
                assert dim.number_format == "@", f"{form.sheet} {field.label}"
            if field.type == forms.DATE:
                assert dim.number_format == "yyyy-mm-dd", f"{form.sheet} {field.label}"
            assert 8 <= dim.width <= 40
            if field.max_len == 18:
                assert dim.width >= 18
    cover = wb["封面"]
    assert cover["A2"].number_format == "@"  # the pre-filled unit code keeps its zeros as text
    t1 = wb["表1 两新组织情况"]
    # CJK aware: a 6-character header needs 12 units; a 14-character one wraps onto two lines of >= 14 units
    assert t1["J1"].value == "是否规模以上" and t1.column_dimensions["J"].width >= 12
    assert t1["L1"].value == "法定代表人是否兼任党组织书记"
    assert t1.column_dimensions["L"].width >= 14 and t1.column_dimensions["L"].width > t1.column_dimensions["J"].width
    assert wb["表4 培训情况"].column_dimensions["H"].width < t1.column_dimensions["J"].width  # 学时


def test_filled_template_keeps_headers_and_validations(template_path, tmp_path):
    wb = openpyxl.load_workbook(template_path)
    ws = wb["表2 党组织情况"]
    values = {
        "party_org_code": "007",
        "party_org_name": "某公司党支部",
        "org_type": "党支部",
        "formation_mode": "单独组建",
        "established_on": dt.date(2018, 7, 1),
        "members_formal": 5,
        "members_probationary": 1,
        "secretary_name": "张三",
        "secretary_id": "11010519491231002X",
        "secretary_mode": "选任",
    }
    for i, field in enumerate(forms.fields_for(forms.FORMS_BY_KEY["party_orgs"], V2020), start=1):
        if field.name in values:
            ws.cell(row=2, column=i, value=values[field.name])
        elif field.type == forms.BOOL:
            ws.cell(row=2, column=i, value="是")
        elif field.type == forms.INT:
            ws.cell(row=2, column=i, value=0)
    wb["封面"]["G2"] = "李四"
    out = tmp_path / "filled.xlsx"
    wb.save(out)
    before = {
        ws.title: [(dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation]
        for ws in wb.worksheets
    }

    back = openpyxl.load_workbook(out)
    assert back.sheetnames == [f.sheet for f in forms.FORMS]
    for form in forms.FORMS:
        assert [c.value for c in back[form.sheet][1]] == forms.headers_for(form, V2020)
        after = [(dv.type, dv.formula1, str(dv.sqref)) for dv in back[form.sheet].data_validations.dataValidation]
        assert after == before[form.sheet] and after
    t2 = back["表2 党组织情况"]
    assert t2["A2"].value == "007"
    assert t2["E2"].value == dt.datetime(2018, 7, 1)
    assert back["封面"]["A2"].value == UNIT and back["封面"]["G2"].value == "李四"


@pytest.mark.parametrize(
    "unit, period, needle",
    [
        ("999999999999", "2020Q3", "999999999999"),
        (UNIT, "2020-3", "2020-3"),
        (UNIT, "2020Q5", "2020Q5"),
        (UNIT, "2018Q1", "2018Q1"),  # well-formed, but no template version covers it
    ],
)
def test_bad_requests(tmp_path, unit, period, needle):
    with pytest.raises(TemplateError) as ei:
        write_template(unit, period, tmp_path / "x.xlsx")
    assert needle in str(ei.value)
    # a plain ValueError naming the option at fault; the CLI maps it to typer.BadParameter (exit code 2)
    assert isinstance(ei.value, ValueError) and not isinstance(ei.value, typer.BadParameter)
    assert ei.value.option == ("--unit" if unit != UNIT else "--period")
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_writes_template(tmp_path):
    out = tmp_path / "sub" / "金桥.xlsx"
    result = CliRunner().invoke(app, ["template", "--unit", "330199001003", "--period", "2021Q4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["封面"]
    assert ws["A2"].value == "330199001003" and ws["B2"].value == _register_name("330199001003")
    assert ws["C2"].value == "2021Q4"


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--unit", "12345", "--period", "2020Q3"], "12345"),
        (["--unit", UNIT, "--period", "20Q3"], "20Q3"),
    ],
)
def test_cli_rejects_bad_parameters(tmp_path, args, needle):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(app, ["template", *args, "-o", str(out)])
    assert result.exit_code == 2
    assert needle in result.output
    assert "Invalid value" in result.output and "/" in result.output  # Chinese / English message
    assert not out.exists()


def test_cli_help_explains():
    result = CliRunner().invoke(app, ["template", "--help"])
    assert result.exit_code == 0
    assert "--unit" in result.output and "--period" in result.output and "模板" in result.output


@pytest.mark.libreoffice
def test_libreoffice_converts_template(template_path, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("LIANGXIN_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice (soffice) is required but not on PATH")
        pytest.skip("LibreOffice (soffice) not installed")
    profile = tmp_path / "lo-profile"  # private profile: concurrent soffice runs do not collide
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(template_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "out" / (template_path.stem + ".pdf")
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists(), proc.stdout + proc.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000


def test_display_width_is_cjk_aware():
    from liangxin.template import display_width

    assert display_width("学时") == 4
    assert display_width("SHA-256") == 7
    assert display_width("１２a") == 5  # full-width digits count double


def test_filled_template_passes_the_validator_structure_checks(tmp_path):
    """The real validator finds no structural (F2, F7) or cell (F4) problem in a template filled normally."""
    core = pytest.importorskip("liangxin.validate.core")
    context = pytest.importorskip("liangxin.validate.context")
    from liangxin.checks import id_check_char, uscc_check_char

    p = write_template(UNIT, "2020Q3", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    cover = wb["封面"]
    cover["G2"], cover["H2"], cover["I2"], cover["J2"] = "张三", "李四", "13800138000", dt.date(2020, 10, 8)
    uscc = "91330199MA2H0000A" + uscc_check_char("91330199MA2H0000A")
    pid = "11010519800101001" + id_check_char("11010519800101001")
    rows = {
        "organizations": {
            "uscc": uscc,
            "org_name": "某科技有限公司",
            "org_category": "非公有制企业",
            "control_type": "私有经济控制",
            "industry_section": "I",
            "reg_status": "存续",
            "employees": 30,
            "members_formal": 3,
            "members_probationary": 0,
            "members_relation_elsewhere": 0,
            "party_status": "单独建立",
            "party_org_code": "007",
            "fulltime_party_workers": 1,
        },
        "party_orgs": {
            "party_org_code": "007",
            "party_org_name": "某科技有限公司党支部",
            "org_type": "党支部",
            "formation_mode": "单独组建",
            "established_on": dt.date(2018, 7, 1),
            "members_formal": 3,
            "members_probationary": 0,
            "secretary_name": "王五",
            "secretary_id": pid,
            "secretary_mode": "选任",
            "deputies": 0,
            "party_workers": 1,
            "general_meetings": 1,
            "committee_meetings": 3,
            "group_meetings": 1,
            "lectures": 1,
            "study_sessions": 2,
        },
    }
    for key, values in rows.items():
        form = forms.FORMS_BY_KEY[key]
        ws = wb[form.sheet]
        for i, field in enumerate(forms.fields_for(form, V2020), start=1):
            if field.name in values:
                ws.cell(row=2, column=i, value=values[field.name])
            elif field.type == forms.BOOL and not field.is_annual:
                ws.cell(row=2, column=i, value="否")
    wb.save(p)
    result = core.validate_file(p, context.ValidationContext.offline(received_on=dt.date(2020, 10, 9)))
    assert (result.unit_code, result.period, result.correction_no) == (UNIT, "2020Q3", 0)
    structural = [h for h in result.hits if h.rule_id in ("F1", "F2", "F3", "F4", "F7")]
    assert structural == [], structural
    assert len(result.rows["organizations"]) == 1 and len(result.rows["party_orgs"]) == 1
    assert result.rows["party_orgs"][0].values["party_org_code"] == "007"


# --------------------------------------------------------------------------------------------------
# Template versions (returns.md §1): LX-Q-2021.1 from 2021Q1 adds 表1 入党申请人数 / 入党积极分子数 /
# 本季度在本单位发展党员数 (after 其中未转入组织关系党员数) and 表4 主办单位编码 (after 主办单位).
# The expected headers below are written out from returns.md, not derived from forms.py.
# --------------------------------------------------------------------------------------------------
T1_2020 = [
    "统一社会信用代码",
    "单位名称",
    "组织类别",
    "控制类型",
    "行业门类",
    "登记状态",
    "是否实体运营",
    "是否有固定经营场所",
    "从业人员数",
    "是否规模以上",
    "法定代表人是否党员",
    "法定代表人是否兼任党组织书记",
    "从业正式党员数",
    "从业预备党员数",
    "其中未转入组织关系党员数",
    "党组织建立情况",
    "所在党组织编码",
    "是否选派党建工作指导员",
    "是否选派第一书记",
    "是否建立工会",
    "是否建立共青团组织",
    "是否建立妇联组织",
    "是否设立党群工作部",
    "专职党务工作者人数",
    "上年职工工资总额（元）",
    "本年提取党建工作经费（元）",
    "出资人本年是否参加培训",
    "年检结果",
    "是否双强六好",
]
T1_2021 = T1_2020[:15] + ["入党申请人数", "入党积极分子数", "本季度在本单位发展党员数"] + T1_2020[15:]
T4_2020 = ["培训编号", "培训名称", "主办层级", "主办单位", "培训类型", "开始日期", "结束日期", "学时"]
T4_2021 = T4_2020[:4] + ["主办单位编码"] + T4_2020[4:]


def _headers(path, sheet):
    return [c.value for c in openpyxl.load_workbook(path)[sheet][1]]


@pytest.mark.parametrize(
    "period, version, t1, t4",
    [
        ("2019Q4", "LX-Q-2019.1", T1_2020, T4_2020),
        ("2020Q4", "LX-Q-2020.1", T1_2020, T4_2020),
        ("2021Q1", "LX-Q-2021.1", T1_2021, T4_2021),
        ("2021Q4", "LX-Q-2021.1", T1_2021, T4_2021),
    ],
)
def test_template_has_the_columns_of_its_version(tmp_path, period, version, t1, t4):
    p = write_template(UNIT, period, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    cover = {h.value: v.value for h, v in zip(wb["封面"][1], wb["封面"][2])}
    assert cover["模板版本"] == version
    assert _headers(p, "表1 两新组织情况") == t1
    assert _headers(p, "表4 培训情况") == t4
    for sheet in ("表2 党组织情况", "表3 党员队伍变动情况", "表5 参训人员", "表6 流动党员台账"):
        assert _headers(p, sheet) == forms.FORMS_BY_SHEET[sheet].headers  # unchanged by 2021.1


def test_template_2021_new_columns_validated(tmp_path):
    p = write_template(UNIT, "2021Q2", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    dvs = _validations(wb["表1 两新组织情况"])
    for letter, label in (("P", "入党申请人数"), ("Q", "入党积极分子数"), ("R", "本季度在本单位发展党员数")):
        assert wb["表1 两新组织情况"][f"{letter}1"].value == label
        dv = dvs[letter][0]
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0"), label
        assert "2021.1" in wb["表1 两新组织情况"][f"{letter}1"].comment.text
    t4 = wb["表4 培训情况"]
    assert t4["E1"].value == "主办单位编码"
    dv = _validations(t4)["E"][0]
    assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "12")  # a 12-digit unit code
    assert t4.column_dimensions["E"].number_format == "@"  # leading zeros survive
    assert "社区党总支" in t4["E1"].comment.text and "条件必填" in t4["E1"].comment.text


def test_template_versions_seed():
    # returns.md §1: 2019.1 (2019), 2020.1 (2020), 2021.1 (from 2021Q1); read independently of liangxin.seeds
    with open(SEEDS_DIR / "template_versions.csv", encoding="utf-8") as fh:
        rows = {r["template_version"]: (r["valid_from_period"], r["valid_to_period"]) for r in csv.DictReader(fh)}
    assert rows == {
        "LX-Q-2019.1": ("2019Q1", "2019Q4"),
        "LX-Q-2020.1": ("2020Q1", "2020Q4"),
        "LX-Q-2021.1": ("2021Q1", ""),
    }


def test_version_helpers():
    t1, t4 = forms.ORGANIZATIONS, forms.TRAININGS
    assert forms.headers_for(t1, "LX-Q-2020.1") == T1_2020
    assert forms.headers_for(t1, "LX-Q-2019.1") == T1_2020
    assert forms.headers_for(t1, "LX-Q-2021.1") == T1_2021 == t1.headers
    assert forms.names_for(t4, "LX-Q-2021.1")[4] == "organizer_code"
    assert [f.name for f in forms.not_collected(t1, "LX-Q-2020.1")] == ["applicants", "activists", "developed_here"]
    assert [f.name for f in forms.not_collected(t4, "LX-Q-2020.1")] == ["organizer_code"]
    assert forms.not_collected(t1, "LX-Q-2021.1") == ()
    assert forms.fields_for(t1, None) == t1.fields


def test_filled_2021_template_passes_the_validator(tmp_path):
    """A 2021 template filled normally, 社区党总支 event with its organizer's code: no F/R18/X8 hit."""
    core = pytest.importorskip("liangxin.validate.core")
    context = pytest.importorskip("liangxin.validate.context")
    from liangxin.checks import id_check_char, uscc_check_char

    p = write_template(UNIT, "2021Q3", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    cover = wb["封面"]
    cover["G2"], cover["H2"], cover["I2"], cover["J2"] = "张三", "李四", "13800138000", dt.date(2021, 10, 8)
    uscc = "91330199MA2H0000A" + uscc_check_char("91330199MA2H0000A")
    pid = "11010519800101001" + id_check_char("11010519800101001")
    rows = {
        "organizations": {
            "uscc": uscc,
            "org_name": "某科技有限公司",
            "org_category": "非公有制企业",
            "control_type": "私有经济控制",
            "industry_section": "I",
            "reg_status": "存续",
            "employees": 30,
            "members_formal": 3,
            "members_probationary": 1,
            "members_relation_elsewhere": 0,
            "applicants": 4,
            "activists": 2,
            "developed_here": 1,
            "party_status": "单独建立",
            "party_org_code": "007",
            "fulltime_party_workers": 1,
        },
        "party_orgs": {
            "party_org_code": "007",
            "party_org_name": "某科技有限公司党支部",
            "org_type": "党支部",
            "formation_mode": "单独组建",
            "established_on": dt.date(2018, 7, 1),
            "members_formal": 3,
            "members_probationary": 1,
            "secretary_name": "王五",
            "secretary_id": pid,
            "secretary_mode": "选任",
            "deputies": 0,
            "party_workers": 1,
            "general_meetings": 1,
            "committee_meetings": 3,
            "group_meetings": 1,
            "lectures": 1,
            "study_sessions": 2,
        },
        "trainings": {
            "training_code": "SQ-2021-01",
            "training_name": "党务干部培训班",
            "organizer_level": "社区党总支",
            "organizer": "金桥社区党总支",
            "organizer_code": UNIT,
            "training_type": "党务干部培训",
            "start_on": dt.date(2021, 8, 2),
            "end_on": dt.date(2021, 8, 2),
            "hours": 4,
        },
    }
    for key, values in rows.items():
        form = forms.FORMS_BY_KEY[key]
        ws = wb[form.sheet]
        for i, field in enumerate(forms.fields_for(form, "LX-Q-2021.1"), start=1):
            if field.name in values:
                ws.cell(row=2, column=i, value=values[field.name])
            elif field.type == forms.BOOL and not field.is_annual:
                ws.cell(row=2, column=i, value="否")
    wb.save(p)
    result = core.validate_file(p, context.ValidationContext.offline(received_on=dt.date(2021, 10, 9)))
    bad = [h for h in result.hits if h.rule_id in ("F1", "F2", "F3", "F4", "F7", "R18", "X8")]
    assert bad == [], bad
    org = result.rows["organizations"][0].values
    assert (org["applicants"], org["activists"], org["developed_here"]) == (4, 2, 1)
    assert result.rows["trainings"][0].values["organizer_code"] == UNIT
