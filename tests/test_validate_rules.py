"""One real file per rule violation: each case mutates the hand-made clean return and asserts the hit
(rule id, severity, sheet, row, column header, cell) and that nothing unexpected fires."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from liangxin import forms
from liangxin.validate import PreviousReturn, validate_file
from returnbuilder import (
    USCC_1,
    USCC_4,
    ErrorValue,
    Formula,
    ReturnBuilder,
    context,
    describe,
    hits_of,
    matching_previous,
    uscc,
)

S = {f.key: f.sheet for f in forms.FORMS}


def label(key, name):
    return forms.FORMS_BY_KEY[key].field(name).label


def run(b: ReturnBuilder, tmp_path, fmt="xlsx", **ctx_kw):
    path = b.write(tmp_path / ("r.xlsx" if fmt == "xlsx" else "r.zip"), fmt)
    return validate_file(path, context(b.period, **ctx_kw))


def expect(
    result,
    rule,
    sev,
    key,
    row,
    field,
    b: ReturnBuilder | None = None,
    i: int | None = None,
    cell: str | None = "auto",
    allowed=(),
):
    """Assert one hit with exactly these coordinates, and that only `rule` and `allowed` rules fired."""
    if cell == "auto":
        cell = b.cell(key, i, field) if (b is not None and i is not None) else None
    column = label(key, field) if field else None
    match = [
        h
        for h in result.hits
        if h.rule_id == rule
        and h.severity == sev
        and h.sheet == S[key]
        and h.row == row
        and h.column == column
        and h.cell == cell
    ]
    assert match, f"no {rule}/{sev} at {S[key]} r{row} {column} {cell}; got:\n{describe(result)}"
    h = match[0]
    assert h.message.startswith(f"[{rule}] ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in h.message), h.message
    fired = {h.rule_id for h in result.hits}
    assert fired <= {rule, *allowed}, describe(result)
    assert result.outcome == (
        "rejected" if sev == "E" or any(x.severity == "E" for x in result.hits) else "accepted_with_warnings"
    )
    return h


# ---------------------------------------------------------------------------------------------------
# F2, F7: sheets and columns
# ---------------------------------------------------------------------------------------------------
def test_f2_missing_sheet(tmp_path):
    r = run(ReturnBuilder().drop_sheet("trainings"), tmp_path)
    h = [h for h in hits_of(r, "F2") if h.sheet == S["trainings"]]
    assert h and h[0].severity == "E" and h[0].row is None
    # attendance refers to training codes of the missing sheet: X5 is not raised on top (no noise)
    assert {x.rule_id for x in r.hits} == {"F2"}, describe(r)


@pytest.mark.parametrize("fmt", ["xlsx", "gb18030"])
def test_f2_missing_column(tmp_path, fmt):
    b = ReturnBuilder().drop_column("party_orgs", "deputies")
    r = run(b, tmp_path, fmt)
    expect(r, "F2", "E", "party_orgs", 1, "deputies", cell=None)


def test_f2_headers_match_after_normalisation_and_by_text_not_position(tmp_path):
    b = ReturnBuilder()
    b.rename_header("organizations", "payroll_prev_year", " 上年职工工资总额(元) ")  # half-width parens, spaces
    b.rename_header("party_orgs", "party_org_code", "党组织\u3000编码")  # full-width space
    b.rename_header("member_flows", "in_mobile", "其中:流动党员接转")
    b.move_column_to_end("member_flows", "opening")
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)
    assert r.rows["member_flows"][0].values["opening"] == 5


def test_f2_cell_reference_follows_actual_column_position(tmp_path):
    b = ReturnBuilder().move_column_to_end("member_flows", "opening")
    b.set("member_flows", 0, "opening", "abc")
    r = run(b, tmp_path)
    h = expect(r, "F4", "E", "member_flows", 2, "opening", b, 0)
    assert h.cell == "Q2" and h.value == "abc"


def test_f7_extra_column_and_sheet(tmp_path):
    b = ReturnBuilder().add_column("organizations", "备注", ["自行添加"]).add_sheet("填报说明", [["说明"], ["无"]])
    r = run(b, tmp_path)
    assert r.outcome == "accepted_with_warnings"
    col = [h for h in r.hits if h.rule_id == "F7" and h.sheet == S["organizations"]]
    assert col[0].severity == "W" and col[0].row == 1 and col[0].column == "备注" and col[0].cell == "AD1"
    assert [h.sheet for h in r.hits if h.rule_id == "F7" and h.row is None] == ["填报说明"]


# ---------------------------------------------------------------------------------------------------
# F3 cover, F6 corrections, P4
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field,raw,sev,ctx_kw",
    [
        ("unit_code", "330199999999", "E", {}),
        ("unit_name", "金桥社区", "W", {}),
        ("period", "2020-3", "E", {}),
        ("template_version", "LX-Q-2099.9", "E", {}),
        ("submitted_on", dt.date(2020, 10, 14), "E", {"received_on": dt.date(2020, 10, 13)}),
        ("filled_by", None, "E", {}),
    ],
)
def test_f3_cover(tmp_path, field, raw, sev, ctx_kw):
    b = ReturnBuilder().set("cover", 0, field, raw)
    r = run(b, tmp_path, **ctx_kw)
    allowed = {"unit_code": {"P1"}, "period": {"P1"}}.get(field, ())
    expect(r, "F3", sev, "cover", 2, field, b, 0, allowed=allowed)


def test_f3_period_in_future(tmp_path):
    b = ReturnBuilder().set("cover", 0, "period", "2021Q1")
    r = run(b, tmp_path)  # received 2020-10-12
    expect(r, "F3", "E", "cover", 2, "period", b, 0)


def test_f3_empty_cover(tmp_path):
    b = ReturnBuilder()
    b.data["cover"] = []
    r = run(b, tmp_path)
    assert [(h.rule_id, h.severity, h.sheet, h.row) for h in r.hits] == [("F3", "E", "封面", 2)]


def test_f6_correction_without_reason_or_original(tmp_path):
    b = ReturnBuilder().set("cover", 0, "correction_no", 1)
    r = run(b, tmp_path)
    expect(r, "F6", "E", "cover", 2, "correction_reason", b, 0)
    expect(r, "F6", "E", "cover", 2, "correction_no", b, 0)


def test_f6_original_when_already_accepted(tmp_path):
    b = ReturnBuilder()
    r = run(b, tmp_path, accepted_corrections=lambda u, p: [0] if (u, p) == ("330199001001", "2020Q3") else [])
    h = expect(r, "F6", "E", "cover", 2, "correction_no", b, 0)
    assert "请以更正序号 1 报送更正" in h.message and h.value == "0"


def test_f6_lower_or_equal_correction(tmp_path):
    b = ReturnBuilder().set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正表3")
    r = run(b, tmp_path, accepted_corrections=lambda u, p: [0, 1])
    h = expect(r, "F6", "E", "cover", 2, "correction_no", b, 0)
    assert "请以更正序号 2 报送更正" in h.message


def test_f6_valid_correction_is_accepted(tmp_path):
    b = ReturnBuilder().set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正表3")
    r = run(b, tmp_path, accepted_corrections=lambda u, p: [0])
    assert r.hits == [] and r.correction_no == 1


# P4 (revision 2): the receipt time of the first accepted return, end of day in Asia/Shanghai, against the
# deadline seed (2020Q3: 2020-10-15); the 报出日期 typed on the cover does not count (except for a backfill).
UTC = dt.timezone.utc


def test_p4_received_after_the_deadline_in_shanghai(tmp_path):
    # 2020-10-15 16:30 UTC = 2020-10-16 00:30 in Shanghai (UTC+8): one day late, though the cover says 10-10
    b = ReturnBuilder()
    r = run(b, tmp_path, received_on=dt.date(2020, 10, 16), received_at=dt.datetime(2020, 10, 15, 16, 30, tzinfo=UTC))
    (h,) = hits_of(r, "P4")
    assert (h.severity, h.sheet, h.row, h.value) == ("W", "封面", 2, "2020-10-16")
    assert "2020-10-16" in h.message and "2020-10-15" in h.message and "北京时间" in h.message
    assert {x.rule_id for x in r.hits} == {"P4"} and r.outcome == "accepted_with_warnings"


def test_p4_neighbour_received_before_midnight_in_shanghai_is_on_time(tmp_path):
    # 2020-10-15 15:30 UTC = 23:30 on the deadline day in Shanghai: on time (although already 10-16 in UTC+9)
    b = ReturnBuilder().set("cover", 0, "submitted_on", dt.date(2020, 10, 15))
    r = run(b, tmp_path, received_on=dt.date(2020, 10, 15), received_at=dt.datetime(2020, 10, 15, 15, 30, tzinfo=UTC))
    assert r.hits == [], describe(r)


def test_p4_ignores_the_date_typed_on_the_cover(tmp_path):
    # 报出日期 after the deadline, received on time: not late (K20 / P4 on the receipt time)
    b = ReturnBuilder().set("cover", 0, "submitted_on", dt.date(2020, 10, 20))
    r = run(b, tmp_path, received_on=dt.date(2020, 10, 25), received_at=dt.datetime(2020, 10, 14, 2, 0, tzinfo=UTC))
    assert hits_of(r, "P4") == [], describe(r)


def test_p4_is_judged_on_the_first_accepted_return_only(tmp_path):
    # a correction received long after the deadline: the original (already accepted) was the first receipt
    b = ReturnBuilder().set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正表3")
    late = dict(received_on=dt.date(2020, 12, 1), received_at=dt.datetime(2020, 12, 1, 2, 0, tzinfo=UTC))
    r = run(b, tmp_path, accepted_corrections=lambda u, p: [0], **late)
    assert r.hits == [], describe(r)
    # the same file as the first return of the period is late
    r0 = run(ReturnBuilder(), tmp_path, **late)
    assert [h.rule_id for h in r0.hits] == ["P4"]


def test_p4_backfill_is_judged_by_the_cover_date_and_marked(tmp_path):
    b = ReturnBuilder().set("cover", 0, "submitted_on", dt.date(2020, 10, 20))
    years_later = dict(received_on=dt.date(2026, 12, 3), received_at=dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    r = run(b, tmp_path, backfill=True, **years_later)
    h = expect(r, "P4", "W", "cover", 2, "submitted_on", b, 0)
    assert "历史补录" in h.message and "2020-10-20" in h.message and "2020-10-15" in h.message
    assert r.backfill is True
    # neighbour: a backfill whose 报出日期 is the deadline day is on time, however late it is loaded
    b2 = ReturnBuilder().set("cover", 0, "submitted_on", dt.date(2020, 10, 15))
    r2 = run(b2, tmp_path, backfill=True, **years_later)
    assert r2.hits == [], describe(r2)
    # the same file without the flag is judged by its receipt: late
    assert [h.rule_id for h in run(b2, tmp_path, **years_later).hits] == ["P4"]


# ---------------------------------------------------------------------------------------------------
# F4 cell types, F5 keys
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key,i,field,raw",
    [
        ("organizations", 0, "employees", "3.5"),
        ("organizations", 0, "employees", "-2"),
        ("organizations", 0, "employees", "三十"),
        ("organizations", 1, "org_category", "私营企业"),
        ("organizations", 1, "operating", "可能"),
        ("party_orgs", 1, "established_on", "2018-02-30"),
        ("party_orgs", 1, "established_on", "15/03/2018"),
        ("party_orgs", 0, "party_org_code", "JQ_001 党支部"),
        ("trainings", 0, "hours", "两天"),
        ("member_flows", 1, "revealed", ErrorValue("#REF!")),
        ("member_flows", 1, "absorbed", Formula("=1+1")),
        ("organizations", 2, "org_name", None),
        ("organizations", 2, "org_name", "\u3000\u00a0\u200b "),  # only spaces: blank
        ("party_orgs", 0, "study_sessions", None),
        ("attendance", 0, "party_org_code", None),  # 书记 without organization
        ("attendance", 1, "uscc", None),  # 出资人 without unit
    ],
)
def test_f4_cells(tmp_path, key, i, field, raw):
    b = ReturnBuilder().set(key, i, field, raw)
    r = run(b, tmp_path)
    allowed = {"party_org_code": {"X1", "X4", "X6", "P1", "P2", "R3"}}.get(field, ())
    h = expect(r, "F4", "E", key, i + 2, field, b, i, allowed=allowed)
    if raw is not None and not isinstance(raw, Formula) and raw.strip("\u3000\u00a0\u200b "):
        assert h.value == str(raw)


def test_f4_annual_fields_required_in_q4_only(tmp_path):
    b = ReturnBuilder("2020Q4").set("party_orgs", 1, "six_flag", None)
    r = run(b, tmp_path)
    expect(r, "F4", "E", "party_orgs", 3, "six_flag", b, 1)
    assert run(ReturnBuilder("2020Q3"), tmp_path).hits == []  # the same cell is blank in Q3


def test_f4_d20_payroll_required_only_for_separately_established_enterprises(tmp_path):
    b = ReturnBuilder("2020Q4").set("organizations", 0, "party_funds", None)
    r = run(b, tmp_path)
    expect(r, "F4", "E", "organizations", 2, "party_funds", b, 0)
    # a stray figure for a jointly covered enterprise is accepted (D20)
    b2 = ReturnBuilder("2020Q4").set("organizations", 1, "payroll_prev_year", "1,200,000.00")
    r2 = run(b2, tmp_path)
    assert r2.hits == [] and r2.rows["organizations"][1].values["payroll_prev_year"] == Decimal("1200000.00")


@pytest.mark.parametrize(
    "key,i",
    [
        ("organizations", 0),
        ("party_orgs", 1),
        ("member_flows", 0),
        ("trainings", 1),
        ("attendance", 2),
        ("mobile_members", 0),
    ],
)
def test_f5_duplicate_keys(tmp_path, key, i):
    b = ReturnBuilder()
    j = b.copy_row(key, i)
    r = run(b, tmp_path)
    pk = forms.FORMS_BY_KEY[key].primary_key
    allowed = {
        "organizations": {"X4", "R2"},
        "party_orgs": {"X1", "X2", "X3", "P3"},
        "member_flows": {"X2", "P3"},
        "mobile_members": set(),
    }.get(key, ())
    h = expect(r, "F5", "E", key, j + 2, pk[-1], b, j, allowed=allowed)
    assert f"第 {i + 2} 行" in h.message


# ---------------------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------------------
def test_i1_bad_check_character_is_a_warning(tmp_path):
    bad = USCC_4[:17] + ("0" if USCC_4[17] != "0" else "1")
    b = ReturnBuilder().set("organizations", 3, "uscc", bad)
    h = expect(run(b, tmp_path), "I1", "W", "organizations", 5, "uscc", b, 3)
    assert h.value == bad and USCC_4[17] in h.message


def test_i1_allow_listed_uscc_passes(tmp_path):
    b = ReturnBuilder().set("organizations", 3, "uscc", "52330199MJ00000027")
    assert run(b, tmp_path).hits == []


def test_i1_individual_business_is_an_error(tmp_path):
    b = ReturnBuilder().set("organizations", 3, "uscc", uscc("92330199MA2H0L5M5"))
    expect(run(b, tmp_path), "I1", "E", "organizations", 5, "uscc", b, 3)


@pytest.mark.parametrize(
    "key,i,field,raw",
    [
        ("party_orgs", 0, "secretary_id", "330102198001011231"),
        ("attendance", 2, "person_id", "330102199002301234"),  # 02-30 is not a date
        ("mobile_members", 1, "person_id", "33010219950505"),
    ],
)
def test_i2_citizen_id(tmp_path, key, i, field, raw):
    from liangxin import checks

    assert not checks.id_valid(raw)
    b = ReturnBuilder().set(key, i, field, raw)
    expect(run(b, tmp_path), "I2", "E", key, i + 2, field, b, i)


def test_i3_uscc_in_another_community(tmp_path):
    b = ReturnBuilder()
    r = run(b, tmp_path, uscc_owners=lambda u, p: {"330199001001", "330199001002"} if u == USCC_1 else set())
    h = expect(r, "I3", "W", "organizations", 2, "uscc", b, 0)
    assert "330199001002" in h.message


def test_i4_party_org_of_another_community(tmp_path):
    b = ReturnBuilder()
    r = run(b, tmp_path, party_org_owner=lambda c: "330199002001" if c == "JQ-002" else "330199001001")
    expect(r, "I4", "E", "party_orgs", 3, "party_org_code", b, 1)


# ---------------------------------------------------------------------------------------------------
# Within a sheet
# ---------------------------------------------------------------------------------------------------
def _m(*changes):
    def apply(b):
        for key, i, field, value in changes:
            b.set(key, i, field, value)

    return apply


CASES = [
    # rule, sev, mutation, (key, i, field) of the hit, other rules allowed to fire as well
    ("R1", "E", _m(("organizations", 1, "legal_rep_secretary", True)), ("organizations", 1, "legal_rep_secretary"), ()),
    (
        "R2",
        "E",
        _m(("organizations", 0, "members_relation_elsewhere", 6)),
        ("organizations", 0, "members_relation_elsewhere"),
        (),
    ),
    ("R2", "E", _m(("organizations", 0, "employees", 3)), ("organizations", 0, "employees"), ()),
    ("R3", "E", _m(("organizations", 3, "party_org_code", "JQ-002")), ("organizations", 3, "party_org_code"), ()),
    ("R3", "E", _m(("organizations", 1, "party_org_code", None)), ("organizations", 1, "party_org_code"), ("X3",)),
    ("R4", "W", _m(("organizations", 0, "members_formal", 2)), ("organizations", 0, "members_formal"), ()),
    ("R5", "E", _m(("organizations", 0, "control_type", None)), ("organizations", 0, "control_type"), ()),
    ("R5", "E", _m(("organizations", 2, "control_type", "私有经济控制")), ("organizations", 2, "control_type"), ()),
    ("R6", "W", _m(("party_orgs", 0, "formation_mode", "行业组建")), ("party_orgs", 0, "formation_mode"), ("X7",)),
    # R6 (revision 2): 挂靠组建 is a joint mode, so a 党支部 formed 挂靠组建 should be a 联合党支部 (its own unit,
    # declared 单独建立, then contradicts the organization: X7)
    ("R6", "W", _m(("party_orgs", 0, "formation_mode", "挂靠组建")), ("party_orgs", 0, "formation_mode"), ("X7",)),
    (
        "R7",
        "W",
        _m(
            ("party_orgs", 0, "members_formal", 7),
            ("party_orgs", 0, "members_probationary", 0),
            ("party_orgs", 0, "committee_meetings", 0),
            ("member_flows", 0, "developed", 2),
            ("member_flows", 0, "closing_should", 7),
            ("member_flows", 0, "closing_actual", 7),
        ),
        ("party_orgs", 0, "committee_meetings"),
        (),
    ),
    ("R8", "W", _m(("party_orgs", 0, "org_type", "党总支")), ("party_orgs", 0, "org_type"), ()),
    ("R10", "E", _m(("member_flows", 1, "in_mobile", 2)), ("member_flows", 1, "in_mobile"), ()),
    ("R10", "E", _m(("member_flows", 1, "out_whole_unit", 3)), ("member_flows", 1, "out_whole_unit"), ()),
    ("R11", "E", _m(("member_flows", 0, "closing_should", 7)), ("member_flows", 0, "closing_should"), ("R12", "R13")),
    (
        "R12",
        "E",
        _m(("member_flows", 0, "closing_actual", 5), ("party_orgs", 0, "members_probationary", 0)),
        ("member_flows", 0, "difference_note"),
        ("R13",),
    ),
    (
        "R13",
        "W",
        _m(
            ("member_flows", 0, "closing_actual", 5),
            ("party_orgs", 0, "members_probationary", 0),
            ("member_flows", 0, "difference_note", "1名党员组织关系转出手续未办结"),
        ),
        ("member_flows", 0, "closing_actual"),
        (),
    ),
    ("R14", "E", _m(("trainings", 1, "end_on", dt.date(2020, 9, 1))), ("trainings", 1, "end_on"), ()),
    ("R14", "E", _m(("trainings", 0, "start_on", dt.date(2020, 6, 30))), ("trainings", 0, "start_on"), ()),
    ("R14", "E", _m(("trainings", 0, "hours", 0)), ("trainings", 0, "hours"), ()),
    (
        "R15",
        "E",
        _m(("mobile_members", 0, "verified_on", dt.date(2020, 7, 1))),
        ("mobile_members", 0, "verified_on"),
        (),
    ),
    ("R15", "E", _m(("mobile_members", 0, "uscc", None)), ("mobile_members", 0, "uscc"), ()),
    ("R15", "E", _m(("mobile_members", 1, "uscc", USCC_1)), ("mobile_members", 1, "uscc"), ()),
    # across sheets
    ("X1", "E", _m(("organizations", 0, "party_org_code", "JQ-009")), ("organizations", 0, "party_org_code"), ("X4",)),
    ("X1", "E", _m(("attendance", 0, "party_org_code", "JQ-404")), ("attendance", 0, "party_org_code"), ()),
    ("X1", "E", _m(("member_flows", 1, "party_org_code", "JQ-009")), ("member_flows", 1, "party_org_code"), ("P1",)),
    ("X2", "E", _m(("party_orgs", 1, "members_probationary", 1)), ("member_flows", 1, "closing_actual"), ()),
    (
        "X3",
        "W",
        _m(("organizations", 2, "party_status", "未建立"), ("organizations", 2, "party_org_code", None)),
        ("party_orgs", 1, "org_type"),
        (),
    ),
    # X4 (revised): a second unit declared 单独建立 under the 单独组建 JQ-001 (R4: it has no formal member)
    (
        "X4",
        "E",
        _m(("organizations", 3, "party_status", "单独建立"), ("organizations", 3, "party_org_code", "JQ-001")),
        ("party_orgs", 0, "formation_mode"),
        ("R4",),
    ),
    # X4: the own unit of JQ-001 declared 挂靠: no unit is 单独建立 under it
    ("X4", "E", _m(("organizations", 0, "party_status", "挂靠")), ("party_orgs", 0, "formation_mode"), ()),
    ("X5", "E", _m(("attendance", 1, "training_code", "PX-NONE")), ("attendance", 1, "training_code"), ()),
    (
        "X6",
        "E",
        _m(("mobile_members", 0, "host_party_org_code", "JQ-404")),
        ("mobile_members", 0, "host_party_org_code"),
        (),
    ),
    ("X6", "E", _m(("mobile_members", 0, "uscc", uscc("91330199MA2H0X9X9"))), ("mobile_members", 0, "uscc"), ()),
]


@pytest.mark.parametrize("rule,sev,mutate,where,allowed", CASES, ids=[f"{c[0]}-{c[3][0]}-{c[3][2]}" for c in CASES])
def test_within_and_across_sheets(tmp_path, rule, sev, mutate, where, allowed):
    b = ReturnBuilder()
    mutate(b)
    key, i, field = where
    expect(run(b, tmp_path), rule, sev, key, i + 2, field, b, i, allowed=allowed)


def test_x1_party_org_without_member_flow_row(tmp_path):
    b = ReturnBuilder()
    del b.data["member_flows"][1]
    r = run(b, tmp_path)
    expect(r, "X1", "E", "party_orgs", 3, "party_org_code", b, 1)


def test_r9_appraisal_q4(tmp_path):
    b = ReturnBuilder("2020Q4").set("party_orgs", 0, "appraisal_unqualified", 7)
    expect(run(b, tmp_path), "R9", "E", "party_orgs", 2, "appraisal_unqualified", b, 0)
    b = ReturnBuilder("2020Q4").set("party_orgs", 1, "appraisal_participants", 5)
    expect(run(b, tmp_path), "R9", "E", "party_orgs", 3, "appraisal_participants", b, 1)


def test_rule_hits_in_csv_zip_have_the_same_coordinates(tmp_path):
    b = ReturnBuilder()
    b.set("member_flows", 0, "closing_should", 7)
    rx = run(b, tmp_path, "xlsx")
    rc = run(b, tmp_path, "gb18030")
    key = [(h.rule_id, h.severity, h.sheet, h.row, h.column, h.cell, h.value) for h in rx.hits]
    assert key == [(h.rule_id, h.severity, h.sheet, h.row, h.column, h.cell, h.value) for h in rc.hits]
    assert ("R11", "E", S["member_flows"], 2, "期末应有数", "M2", "7") in key


# ---------------------------------------------------------------------------------------------------
# Across periods
# ---------------------------------------------------------------------------------------------------
def test_p1_opening_differs_from_previous_closing(tmp_path):
    b = ReturnBuilder()
    prev = PreviousReturn(party_orgs={"JQ-001": 4, "JQ-002": 4}, units=4, party_org_count=2, members=8)
    h = expect(run(b, tmp_path, previous=prev), "P1", "E", "member_flows", 2, "opening", b, 0)
    assert h.value == "5" and "4" in h.message


def test_p1_previous_quarter_asked_for_q1_is_last_years_q4(tmp_path):
    asked = []
    b = ReturnBuilder("2021Q1")

    def prev(unit, period):
        asked.append((unit, period))
        return matching_previous()

    r = run(b, tmp_path, previous_return=prev)
    assert asked == [("330199001001", "2021Q1")] and r.hits == [], describe(r)


def test_p1_without_previous_return_is_one_warning(tmp_path):
    r = run(ReturnBuilder(), tmp_path, previous=None)
    assert [(h.rule_id, h.severity, h.sheet, h.row, h.column) for h in r.hits] == [
        ("P1", "W", S["member_flows"], None, "期初党员数")
    ]


def test_p2_organization_disappeared(tmp_path):
    prev = PreviousReturn(party_orgs={"JQ-001": 5, "JQ-002": 4, "JQ-003": 3}, units=4, party_org_count=3, members=12)
    r = run(ReturnBuilder(), tmp_path, previous=prev)
    assert [(h.rule_id, h.severity, h.sheet, h.column, h.value) for h in r.hits] == [
        ("P2", "W", S["party_orgs"], "党组织编码", "JQ-003")
    ], describe(r)


def test_p3_community_totals_jump(tmp_path):
    prev = PreviousReturn(party_orgs={"JQ-001": 5, "JQ-002": 4}, units=10, party_org_count=2, members=9)
    r = run(ReturnBuilder(), tmp_path, previous=prev)
    assert [(h.rule_id, h.severity, h.sheet, h.value) for h in r.hits] == [("P3", "W", S["organizations"], "4")]
    # 4 -> 8 units is +100 % but only +4: below the absolute threshold of 5
    prev = PreviousReturn(party_orgs={"JQ-001": 5, "JQ-002": 4}, units=8, party_org_count=2, members=9)
    assert run(ReturnBuilder(), tmp_path, previous=prev).hits == []


def test_rule_ids_match_the_spec_table(spec_dir):
    """Every rule id the validator can emit is a submission rule of audit-rules.md and every submission rule
    of the spec is implemented; P5 was removed in revision 2 (it could never fire).  (Skips with the stated
    reason in a clone without ../shared, like every spec comparison.)"""
    import re
    from pathlib import Path

    from liangxin.validate import core, rules

    spec = (spec_dir / "audit-rules.md").read_text(encoding="utf-8")
    spec_ids = set(re.findall(r"^\| ([FIRXP]\d+) \|", spec, re.M))
    assert "P5" not in spec_ids and {"I5", "R16", "R17", "R18", "X7", "X8", "P6"} <= spec_ids
    emitted = set()
    for mod in (core, rules):
        emitted |= set(re.findall(r'"([FIRXP]\d+)"', Path(mod.__file__).read_text(encoding="utf-8")))
    assert emitted == spec_ids
    import liangxin.validate as v

    assert not hasattr(v, "check_p5") and not hasattr(rules, "check_p5")


# ---------------------------------------------------------------------------------------------------
# every error reported, floods capped
# ---------------------------------------------------------------------------------------------------
def test_every_error_is_reported_and_floods_are_capped(tmp_path):
    b = ReturnBuilder()
    b.set("organizations", 0, "employees", "x").set("party_orgs", 1, "deputies", "y")
    b.set("member_flows", 0, "closing_should", 7).set("trainings", 0, "hours", -1)
    r = run(b, tmp_path)
    assert {"F4", "R11", "R12", "R14"} <= {h.rule_id for h in r.errors}
    assert len(hits_of(r, "F4")) == 2
    flood = ReturnBuilder()
    for n in range(250):
        flood.append("attendance", training_code="PX-NONE", person_name="某", person_id=f"ID{n}", role="党员")
    r = run(flood, tmp_path, max_hits_per_rule_sheet=200)
    x5 = hits_of(r, "X5")
    assert len(x5) == 201 and x5[-1].row is None and "另有 50 处" in x5[-1].message


# ---------------------------------------------------------------------------------------------------
# Template versions (returns.md §1): a return is audited against the version its cover names, and that
# version must be valid for its period.  LX-Q-2021.1 (from 2021Q1) adds 表1 入党申请人数, 入党积极分子数,
# 本季度在本单位发展党员数 and 表4 主办单位编码.
# ---------------------------------------------------------------------------------------------------
def test_clean_2021_return_passes_and_loads_the_new_fields(tmp_path):
    b = ReturnBuilder("2021Q3")
    assert b.get("cover", 0, "template_version") == "LX-Q-2021.1"
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)
    u1 = r.rows["organizations"][0].values
    assert (u1["applicants"], u1["activists"], u1["developed_here"]) == (3, 2, 1)
    assert [t.values["organizer_code"] for t in r.rows["trainings"]] == [None, "330199001001"]


@pytest.mark.parametrize(
    "key, field",
    [
        ("organizations", "applicants"),
        ("organizations", "activists"),
        ("organizations", "developed_here"),
        ("trainings", "organizer_code"),
    ],
)
def test_f2_2021_workbook_missing_a_new_column(tmp_path, key, field):
    b = ReturnBuilder("2021Q3").drop_column(key, field)
    r = run(b, tmp_path)
    h = expect(r, "F2", "E", key, 1, field, cell=None)
    assert label(key, field) in h.message


def test_f2_2020_workbook_without_the_new_columns_is_clean(tmp_path):
    b = ReturnBuilder("2020Q3")
    assert "applicants" not in b.order["organizations"] and "organizer_code" not in b.order["trainings"]
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)
    # not collected: NULL, never 0
    assert all(
        row.values["applicants"] is None and row.values["developed_here"] is None for row in r.rows["organizations"]
    )
    assert all(row.values["organizer_code"] is None for row in r.rows["trainings"])


def test_f7_2021_column_in_a_2020_workbook_is_ignored_and_not_loaded(tmp_path):
    b = ReturnBuilder("2020Q3").add_field_column("organizations", "applicants")
    b.set("organizations", 0, "applicants", 7)
    b.set("organizations", 1, "applicants", "abc")  # unparseable, but the column is ignored: no F4
    r = run(b, tmp_path)
    h = expect(r, "F7", "W", "organizations", 1, "applicants", cell="AD1")
    assert "LX-Q-2021.1" in h.message and "LX-Q-2020.1" in h.message and "忽略" in h.message
    assert all(row.values["applicants"] is None for row in r.rows["organizations"])


@pytest.mark.parametrize(
    "period, version",
    [("2021Q1", "LX-Q-2020.1"), ("2021Q3", "LX-Q-2019.1"), ("2020Q3", "LX-Q-2021.1"), ("2020Q3", "LX-Q-2019.1")],
)
def test_f3_version_not_valid_for_the_period(tmp_path, period, version):
    b = ReturnBuilder(period).set("cover", 0, "template_version", version)
    r = run(b, tmp_path)
    # a 2021 period with an older cover: the 2021.1 columns then are extra columns (F7) of the older version;
    # a 2020 period with a 2021.1 cover: the workbook lacks that version's columns (F2)
    h = expect(r, "F3", "E", "cover", 2, "template_version", b, 0, allowed={"F7", "F2"})
    assert version in h.message and period in h.message and "不适用" in h.message
    assert r.outcome == "rejected"


def test_f4_organizer_code_required_for_community_events(tmp_path):
    b = ReturnBuilder("2021Q3").set("trainings", 1, "organizer_code", None)
    r = run(b, tmp_path)
    h = expect(r, "F4", "E", "trainings", 3, "organizer_code", b, 1)
    assert "社区党总支" in h.message


# ---------------------------------------------------------------------------------------------------
# Revision 2 rules: each with a violating workbook and a passing neighbour (expected hits from the spec text)
# ---------------------------------------------------------------------------------------------------
ENT5 = uscc("91330199MA2H0F5G5")  # a fifth unit: an enterprise
SOC5 = uscc("51330199MJ0F5G5H5")  # a fifth unit: a social group


def _with_functional_org(b: ReturnBuilder, unit_uscc: str, category: str, status: str = "功能型") -> int:
    """Add 功能型 organization JQ-003 (3 members, new this quarter: opening 0, transferred in 3) and a fifth
    unit pointing to it; returns the unit's row index."""
    b.append(
        "party_orgs",
        **dict(
            b.data["party_orgs"][0],
            party_org_code="JQ-003",
            party_org_name="中共金桥功能型党支部",
            org_type="党支部",
            formation_mode="功能型",
            members_formal=3,
            members_probationary=0,
        ),
    )
    b.append(
        "member_flows",
        **dict(
            b.data["member_flows"][0],
            party_org_code="JQ-003",
            opening=0,
            developed=0,
            transferred_in=3,
            closing_should=3,
            closing_actual=3,
            absorbed=0,
        ),
    )
    return b.append(
        "organizations",
        **dict(
            b.data["organizations"][2],
            uscc=unit_uscc,
            org_name="金桥第五单位",
            org_category=category,
            control_type="私有经济控制" if category == "非公有制企业" else None,
            employees=10,
            members_formal=3,
            members_probationary=0,
            members_relation_elsewhere=3,
            party_status=status,
            party_org_code="JQ-003",
        ),
    )


# I5 ------------------------------------------------------------------------------------------------
def test_i5_category_disagrees_with_the_uscc_prefix(tmp_path):
    # USCC_3 starts with 51 (社会团体); declared 民办非企业单位 (52) -> W
    b = ReturnBuilder().set("organizations", 2, "org_category", "民办非企业单位")
    h = expect(run(b, tmp_path), "I5", "W", "organizations", 4, "org_category", b, 2)
    assert "51" in h.message and "社会团体" in h.message and h.value == "民办非企业单位"


def test_i5_neighbour_accounting_firm_with_prefix_91_passes(tmp_path):
    # 91 -> 非公有制企业, 会计师事务所 or 税务师事务所: an accounting firm (no control type) is consistent
    b = (
        ReturnBuilder()
        .set("organizations", 0, "org_category", "会计师事务所")
        .set("organizations", 0, "control_type", None)
    )
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)


# R16 -----------------------------------------------------------------------------------------------
def test_r16_enterprise_reporting_functional(tmp_path):
    b = ReturnBuilder()
    i = _with_functional_org(b, ENT5, "非公有制企业")
    h = expect(run(b, tmp_path), "R16", "W", "organizations", i + 2, "party_status", b, i)
    assert "非公有制企业" in h.message and "功能型" in h.message


def test_r16_neighbour_social_group_functional_passes(tmp_path):
    b = ReturnBuilder()
    _with_functional_org(b, SOC5, "社会团体")
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)


# R17 -----------------------------------------------------------------------------------------------
def test_r17_revealed_and_absorbed_exceed_the_members_working_in_the_units(tmp_path):
    # JQ-001: only USCC_1 points to it, 4 formal + 1 probationary = 5 members working there;
    # revealed 5 + absorbed 1 = 6 > 5 -> W
    b = ReturnBuilder().set("member_flows", 0, "revealed", 5)
    h = expect(run(b, tmp_path), "R17", "W", "member_flows", 2, "revealed", b, 0)
    assert "6" in h.message and "5" in h.message and "JQ-001" in h.message


def test_r17_neighbour_equal_passes(tmp_path):
    b = ReturnBuilder().set("member_flows", 0, "revealed", 4)  # 4 + 1 = 5 <= 5
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)


# R18 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, bad, good, why",
    [
        ("activists", 4, 3, "入党申请人数 3"),  # applicants 3: activists 4 > 3; 3 <= 3 passes
        ("developed_here", 2, 1, "从业预备党员数 1"),  # members_probationary 1: 2 > 1; 1 <= 1 passes
    ],
)
def test_r18_2021_applicants_activists_developed_here(tmp_path, field, bad, good, why):
    b = ReturnBuilder("2021Q3").set("organizations", 0, field, bad)
    h = expect(run(b, tmp_path), "R18", "E", "organizations", 2, field, b, 0)
    assert why in h.message and str(bad) in h.message
    ok = ReturnBuilder("2021Q3").set("organizations", 0, field, good)
    r = run(ok, tmp_path)
    assert r.hits == [], describe(r)


# X4 / X7 ---------------------------------------------------------------------------------------------
def test_x4_neighbour_a_unit_attached_to_a_standalone_organization_passes(tmp_path):
    # revised X4: other units pointing to a 单独组建 organization are 挂靠 (audit-rules.md rev. 2)
    b = (
        ReturnBuilder()
        .set("organizations", 3, "party_status", "挂靠")
        .set("organizations", 3, "party_org_code", "JQ-001")
    )
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)


def test_x7_standalone_unit_pointing_to_a_joint_organization_is_rejected(tmp_path):
    # the example: USCC_2 declared 单独建立 while it points to JQ-002 (联合党支部, 联合组建)
    b = ReturnBuilder().set("organizations", 1, "party_status", "单独建立")
    r = run(b, tmp_path)
    h = expect(r, "X7", "E", "organizations", 3, "party_status", b, 1, allowed={"R4"})
    assert "JQ-002" in h.message and "联合组建" in h.message and "单独建立" in h.message
    assert r.outcome == "rejected" and h.value == "单独建立"


def test_x7_neighbour_attached_to_the_joint_organization_passes(tmp_path):
    b = ReturnBuilder().set("organizations", 1, "party_status", "挂靠")
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)


def test_x7_joint_unit_pointing_to_a_standalone_organization(tmp_path):
    b = (
        ReturnBuilder()
        .set("organizations", 3, "party_status", "联合建立")
        .set("organizations", 3, "party_org_code", "JQ-001")
    )
    h = expect(run(b, tmp_path), "X7", "E", "organizations", 5, "party_status", b, 3)
    assert "单独组建" in h.message


def test_x7_functional_organization_pointed_to_by_another_status(tmp_path):
    b = ReturnBuilder()
    i = _with_functional_org(b, SOC5, "社会团体", status="挂靠")
    h = expect(run(b, tmp_path), "X7", "E", "organizations", i + 2, "party_status", b, i)
    assert "功能型" in h.message and "JQ-003" in h.message


def test_x7_standalone_unit_of_a_temporary_branch(tmp_path):
    # 单独建立 ⇒ org_type ∈ {党委, 党总支, 党支部}: a 临时党支部 is not a unit's own organization
    b = ReturnBuilder().set("party_orgs", 0, "org_type", "临时党支部")
    h = expect(run(b, tmp_path), "X7", "E", "organizations", 2, "party_status", b, 0)
    assert "临时党支部" in h.message


# X8 ------------------------------------------------------------------------------------------------
def test_x8_organizer_code_not_in_the_register(tmp_path):
    b = ReturnBuilder("2021Q3").set("trainings", 1, "organizer_code", "330199999999")
    r = run(b, tmp_path)
    h = expect(r, "X8", "E", "trainings", 3, "organizer_code", b, 1)
    assert "330199999999" in h.message and h.value == "330199999999" and r.outcome == "rejected"


def test_x8_neighbour_another_community_of_the_register_passes(tmp_path):
    # an event organised by another community (listed here because our organizations attended it)
    b = ReturnBuilder("2021Q3").set("trainings", 1, "organizer_code", "330199001002")
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)
    assert r.rows["trainings"][1].values["organizer_code"] == "330199001002"


def test_x8_code_given_for_a_district_event(tmp_path):
    b = ReturnBuilder("2021Q3").set("trainings", 0, "organizer_code", "330199001001")  # 区级: blank
    h = expect(run(b, tmp_path), "X8", "E", "trainings", 2, "organizer_code", b, 0)
    assert "区级" in h.message and "留空" in h.message


# P6 ------------------------------------------------------------------------------------------------
def test_p6_next_quarter_opens_differently_from_the_corrected_closings(tmp_path):
    from liangxin.validate import NextReturn

    # a correction of 2020Q3 (JQ-001 closes at 6, JQ-002 at 4) while 2020Q4 (accepted, correction 0) opened
    # JQ-001 at 5 and lists JQ-009 (opening 2), which this return does not have (closing 0)
    b = ReturnBuilder().set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正表3")
    nxt = NextReturn(period="2020Q4", correction_no=0, openings={"JQ-001": 5, "JQ-002": 4, "JQ-009": 2})
    r = run(
        b,
        tmp_path,
        accepted_corrections=lambda u, p: [0],
        next_return=lambda u, p: nxt if (u, p) == ("330199001001", "2020Q3") else None,
    )
    h = expect(r, "P6", "W", "member_flows", 2, "closing_actual", b, 0)
    assert h.value == "5 → 6" and "2020Q4" in h.message and "待更正" in h.message
    gone = [x for x in hits_of(r, "P6") if x.row is None]
    assert len(gone) == 1 and gone[0].value == "JQ-009: 2 → 0"
    assert len(hits_of(r, "P6")) == 2 and r.outcome == "accepted_with_warnings"


def test_p6_neighbour_next_quarter_continues_the_closings(tmp_path):
    from liangxin.validate import NextReturn

    b = ReturnBuilder().set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正表3")
    nxt = NextReturn(period="2020Q4", correction_no=0, openings={"JQ-001": 6, "JQ-002": 4})
    r = run(b, tmp_path, accepted_corrections=lambda u, p: [0], next_return=lambda u, p: nxt)
    assert r.hits == [], describe(r)
