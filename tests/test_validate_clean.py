"""The hand-made clean return: zero hits in every format, typed values equal to the hand-written ones, and
the accepted spellings of returns.md §1 / D21–D23 normalise to identical typed values."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from liangxin import forms
from liangxin.validate import ValidationResult, validate_file
from returnbuilder import USCC_1, ReturnBuilder, clean_return, context, describe

FORMATS = ["xlsx", "utf-8", "utf-8-sig", "gb18030"]


def run(b, tmp_path, fmt="xlsx", **kw) -> ValidationResult:
    path = b.write(tmp_path / ("r.xlsx" if fmt == "xlsx" else f"r-{fmt}.zip"), fmt)
    return validate_file(path, context(b.period, **kw))


@pytest.mark.parametrize("period", ["2020Q3", "2020Q4"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_return_has_no_hits_and_round_trips(tmp_path, fmt, period):
    b = ReturnBuilder(period)
    r = run(b, tmp_path, fmt)
    assert r.hits == [], describe(r)
    assert r.outcome == "accepted"
    assert r.format == ("xlsx" if fmt == "xlsx" else "csvzip")
    data = (tmp_path / ("r.xlsx" if fmt == "xlsx" else f"r-{fmt}.zip")).read_bytes()
    assert r.sha256 == hashlib.sha256(data).hexdigest() and r.size == len(data)
    expected = clean_return(period)
    assert r.cover == expected["cover"][0]
    assert (r.unit_code, r.unit_name, r.period, r.correction_no) == ("330199001001", "金桥社区党总支", period, 0)
    for form in forms.DATA_FORMS:
        rows = r.rows[form.key]
        assert [row.values for row in rows] == expected[form.key], form.key
        assert [row.source_row for row in rows] == list(range(2, 2 + len(expected[form.key])))
        assert all(row.sheet == form.sheet for row in rows)
        assert all(set(row.values) == set(form.names) for row in rows)


def test_typed_value_types(tmp_path):
    r = run(ReturnBuilder("2020Q4"), tmp_path)
    o = r.rows["organizations"][0].values
    assert o["employees"] == 30 and type(o["employees"]) is int
    assert o["payroll_prev_year"] == Decimal("3600000.00") and o["payroll_prev_year"].as_tuple().exponent == -2
    assert o["operating"] is True and o["control_type"] == "私有经济控制"
    t = r.rows["trainings"][1].values
    assert t["hours"] == 3.5 and t["start_on"] == dt.date(2020, 12, 5)
    assert r.rows["mobile_members"][1].values["verified_on"] is None


def test_blank_rows_are_skipped_and_row_numbers_kept(tmp_path):
    b = ReturnBuilder()
    b.data["organizations"].insert(1, {n: None for n in forms.ORGANIZATIONS.names})
    b.data["organizations"][1]["org_name"] = "\u3000 \u200b"  # only spaces / zero-width
    r = run(b, tmp_path)
    assert r.hits == [], describe(r)
    assert [row.source_row for row in r.rows["organizations"]] == [2, 4, 5, 6]


# ---------------------------------------------------------------------------------------------------
# normalisation: every accepted spelling gives the same typed value as the clean file
# ---------------------------------------------------------------------------------------------------
VARIANTS = [
    # key, row, field, raw spelling, typed value
    ("organizations", 0, "employees", "３０", 30),
    ("organizations", 0, "employees", " 30 ", 30),
    ("organizations", 0, "employees", "30.0", 30),
    ("organizations", 0, "employees", 30.0, 30),
    ("organizations", 0, "employees", "\u00a030\u200b", 30),
    ("organizations", 0, "employees", "1,030", 1030),
    ("organizations", 0, "operating", "Y", True),
    ("organizations", 0, "operating", "y", True),
    ("organizations", 0, "operating", "√", True),
    ("organizations", 0, "operating", "1", True),
    ("organizations", 0, "operating", "TRUE", True),
    ("organizations", 0, "operating", "true", True),
    ("organizations", 0, "operating", True, True),
    ("organizations", 0, "operating", 1, True),
    ("organizations", 0, "above_scale", "N", False),
    ("organizations", 1, "above_scale", "n", False),
    ("organizations", 1, "above_scale", "×", False),
    ("organizations", 1, "above_scale", "0", False),
    ("organizations", 1, "above_scale", "FALSE", False),
    ("organizations", 1, "above_scale", " 否 ", False),
    ("organizations", 0, "industry_section", "Ｃ", "C"),
    ("organizations", 0, "industry_section", "c", "C"),
    ("organizations", 0, "org_category", " 非公有制企业\u3000", "非公有制企业"),
    ("organizations", 0, "uscc", " " + USCC_1.lower() + " ", USCC_1),
    ("organizations", 0, "org_name", "\u3000金桥精密机械有限公司\u00a0", "金桥精密机械有限公司"),
    ("party_orgs", 1, "established_on", "2018-03-15", dt.date(2018, 3, 15)),
    ("party_orgs", 1, "established_on", "2018/3/15", dt.date(2018, 3, 15)),
    ("party_orgs", 1, "established_on", "2018年3月15日", dt.date(2018, 3, 15)),
    ("party_orgs", 1, "established_on", "2018.03.15", dt.date(2018, 3, 15)),
    ("party_orgs", 1, "established_on", "２０１８年３月１５日", dt.date(2018, 3, 15)),
    ("party_orgs", 1, "established_on", dt.datetime(2018, 3, 15), dt.date(2018, 3, 15)),
    ("party_orgs", 1, "party_org_code", "ＪＱ－００２", "JQ-002"),
    ("trainings", 1, "hours", "3.50", 3.5),
    ("trainings", 1, "hours", "３.５", 3.5),
    ("cover", 0, "correction_no", "０", 0),
    ("cover", 0, "period", "2020q3", "2020Q3"),
    ("cover", 0, "unit_code", 330199001001, "330199001001"),
    ("cover", 0, "phone", 13800138000, "13800138000"),
]


@pytest.mark.parametrize("fmt", ["xlsx", "gb18030"])
@pytest.mark.parametrize("key,i,field,raw,value", VARIANTS, ids=[f"{v[2]}={v[3]!r}" for v in VARIANTS])
def test_accepted_spellings(tmp_path, fmt, key, i, field, raw, value):
    b = ReturnBuilder()
    b.set(key, i, field, raw)
    r = run(b, tmp_path, fmt)
    assert r.hits == [], describe(r)
    got = r.cover[field] if key == "cover" else r.rows[key][i].values[field]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("fmt", ["xlsx", "utf-8"])
def test_money_spellings_q4(tmp_path, fmt):
    for raw in ("3,600,000.00", "3600000", "３６０００００.０", 3600000.0, " 3,600,000.5 "):
        b = ReturnBuilder("2020Q4").set("organizations", 0, "payroll_prev_year", raw)
        r = run(b, tmp_path, fmt)
        assert r.hits == [], describe(r)
        want = Decimal("3600000.50") if str(raw).strip().endswith(".5") else Decimal("3600000.00")
        assert r.rows["organizations"][0].values["payroll_prev_year"] == want
    b = ReturnBuilder("2020Q4").set("organizations", 0, "payroll_prev_year", "3600000.005")
    assert [h.rule_id for h in run(b, tmp_path, fmt).hits] == ["F4"]


def test_excel_serial_date(tmp_path):
    b = ReturnBuilder().set("party_orgs", 1, "established_on", 43174)  # a number, no date format
    r = run(b, tmp_path)
    assert r.hits == [] and r.rows["party_orgs"][1].values["established_on"] == dt.date(2018, 3, 15)


def test_gbk_zip_member_names_without_utf8_flag(tmp_path):
    """Windows zip tools store Chinese member names in GBK without the UTF-8 flag."""
    import zipfile

    b = ReturnBuilder()
    path = tmp_path / "gbk.zip"
    names = {}
    with zipfile.ZipFile(path, "w") as zf:
        for n, (name, grid) in enumerate(b.sheets()):
            raw = f"{name}.csv".encode("gbk")
            placeholder = (f"@{n}@" * 40)[: len(raw)].encode("ascii")  # same length, patched below
            names[placeholder] = raw
            zf.writestr(placeholder.decode("ascii"), b.csv_bytes(grid, "gbk"))
    data = path.read_bytes()
    for placeholder, raw in names.items():
        assert data.count(placeholder) == 2  # local header + central directory
        data = data.replace(placeholder, raw)
    path.write_bytes(data)
    assert not any(i.flag_bits & 0x800 for i in zipfile.ZipFile(path).infolist())
    r = validate_file(path, context("2020Q3"))
    assert r.hits == [], describe(r)


def test_district_sized_return_is_fast(tmp_path):
    """~220 units, 20 Party organizations, 40 attendance rows validate in < 0.3 s."""
    from returnbuilder import citizen_id, uscc

    b = ReturnBuilder()
    for n in range(216):
        b.copy_row("organizations", 3, uscc=uscc(f"52330199MJ{n:07d}"), org_name=f"社会组织{n}")
    for n in range(18):
        code = f"JQ-1{n:02d}"
        b.copy_row("party_orgs", 0, party_org_code=code, formation_mode="功能型", party_org_name=f"功能型党支部{n}")
        b.copy_row("member_flows", 0, party_org_code=code, opening=0, developed=6, closing_should=6)
    for n in range(37):
        b.copy_row("attendance", 2, person_id=citizen_id(f"33010219900101{n:03d}"))
    prev = dict(party_orgs={"JQ-001": 5, "JQ-002": 4}, units=220, party_org_count=20, members=117)
    from liangxin.validate import PreviousReturn

    path = b.to_xlsx(tmp_path / "district.xlsx")
    ctx = context("2020Q3", previous=PreviousReturn(**prev))
    validate_file(path, ctx)  # warm-up: imports and seed caches
    r = validate_file(path, ctx)  # its speed is measured in benchmarks/, never asserted here
    assert r.hits == [], describe(r)
    assert len(r.rows["organizations"]) == 220 and len(r.rows["attendance"]) == 40
