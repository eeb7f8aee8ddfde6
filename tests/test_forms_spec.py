"""forms.py against the reporting standard: shared/spec/returns.md is parsed independently here.

Each section ``### <sheet name> (<english>) — … key `x` …`` and its markdown table
(中文表头 | field | type | rule) is read; combined rows ("有场所 / 有设施 / …") are expanded into their
separate headers and matched with the field names listed in the ``field`` column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from liangxin import forms

from conftest import spec_dir

RETURNS_MD = spec_dir(module_level=True) / "returns.md"  # skips the module without ../shared/spec

SPEC_TYPES = {
    "text": forms.TEXT,
    "int": forms.INT,
    "money": forms.MONEY,
    "date": forms.DATE,
    "bool": forms.BOOL,
    "code": forms.CODE,
    "number": forms.NUMBER,
}


@dataclass
class SpecField:
    label: str
    name: str
    type: str  # forms type constant
    max_len: int | None
    rule: str


@dataclass
class SpecSection:
    sheet: str
    title_line: str
    key: tuple[str, ...]
    fields: list[SpecField]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _parse_type(raw: str) -> tuple[str, int | None, int]:
    """'text(18)' -> (text, 18, 1); 'bool ×6' -> (bool, None, 6)."""
    m = re.fullmatch(r"(\w+)(?:\((\d+)\))?(?:\s*×\s*(\d+))?", raw.strip())
    assert m, f"unparsable type {raw!r} in returns.md"
    base, length, times = m.groups()
    assert base in SPEC_TYPES, f"unknown type {base!r} in returns.md"
    return SPEC_TYPES[base], (int(length) if length else None), (int(times) if times else 1)


def parse_returns_md() -> list[SpecSection]:
    text = RETURNS_MD.read_text(encoding="utf-8")
    sections: list[SpecSection] = []
    current: SpecSection | None = None
    for line in text.splitlines():
        if line.startswith("### "):
            title = line[4:].strip()
            sheet = title.split(" (")[0].strip()
            key: tuple[str, ...] = ()
            km = re.search(r"key (\(.*?\)|`[^`]+`)", title)
            if km:
                key = tuple(re.findall(r"`([^`]+)`", km.group(1)))
            current = SpecSection(sheet=sheet, title_line=title, key=key, fields=[])
            sections.append(current)
            continue
        if line.startswith("## "):
            current = None
            continue
        if current is None or not line.startswith("|"):
            continue
        cells = _cells(line)
        if cells[0] == "中文表头" or set(cells[0]) <= {"-", ":"}:
            continue
        label_cell, field_cell, type_cell, rule = cells[0], cells[1], cells[2], cells[3]
        labels = [s.strip() for s in label_cell.split(" / ")]
        names = [s.strip().strip("`") for s in re.split(r"\s*[,/]\s*", field_cell)]
        ftype, max_len, times = _parse_type(type_cell)
        assert len(labels) == len(names) == times, f"combined row mismatch in returns.md: {line}"
        for label, name in zip(labels, names):
            current.fields.append(SpecField(label, name, ftype, max_len, rule))
    return sections


SPEC = parse_returns_md()
SPEC_BY_SHEET = {s.sheet: s for s in SPEC}


def _spec_form_pairs():
    return [pytest.param(SPEC_BY_SHEET.get(f.sheet), f, id=f.key) for f in forms.FORMS]


def _field_pairs():
    out = []
    for form in forms.FORMS:
        sec = SPEC_BY_SHEET.get(form.sheet)
        if sec is None:
            continue
        for sf, ff in zip(sec.fields, form.fields):
            out.append(pytest.param(sf, ff, id=f"{form.key}.{ff.name}"))
    return out


def test_parser_sees_the_whole_spec():
    # guards the parser itself: 7 sections, the expected number of rows after expanding combined rows
    assert [s.sheet for s in SPEC][:1] == ["封面"]
    assert len(SPEC) == 7
    counts = {s.sheet: len(s.fields) for s in SPEC}
    assert counts["封面"] == 10
    assert counts["表2 党组织情况"] == 14 + 6 + 9 + 3  # six "六有" + three funding channels expanded
    assert counts["表4 培训情况"] == 9  # 开始日期 / 结束日期 expanded; 主办单位编码 (2021.1)


def test_sheet_names_and_order():
    assert [f.sheet for f in forms.FORMS] == [s.sheet for s in SPEC]


@pytest.mark.parametrize("sec, form", _spec_form_pairs())
def test_headers_in_order(sec, form):
    assert sec is not None, f"sheet {form.sheet!r} not in returns.md"
    assert form.headers == [f.label for f in sec.fields]


@pytest.mark.parametrize("sec, form", _spec_form_pairs())
def test_field_names_in_order(sec, form):
    assert form.names == [f.name for f in sec.fields]


@pytest.mark.parametrize("sec, form", _spec_form_pairs())
def test_primary_keys(sec, form):
    if form.key == "cover":
        # §3: "A submission is identified by (unit_code, period, correction_no)"
        text = RETURNS_MD.read_text(encoding="utf-8")
        m = re.search(r"A submission is identified by \(([^)]*)\)", text)
        assert m
        assert form.primary_key == tuple(re.findall(r"[a-z_]+", m.group(1)))
    else:
        assert sec.key, f"no key in section title {sec.title_line!r}"
        assert form.primary_key == sec.key


@pytest.mark.parametrize("sf, ff", _field_pairs())
def test_field_type(sf, ff):
    assert (ff.label, ff.type) == (sf.label, sf.type)


@pytest.mark.parametrize("sf, ff", _field_pairs())
def test_text18_max_len(sf, ff):
    # text(18) <=> max_len 18 (other lengths in forms.py come from rule prose such as "12-digit", "1–20 chars")
    assert (sf.max_len == 18) == (ff.max_len == 18), (sf.label, sf.max_len, ff.max_len)
    if sf.max_len is not None:
        assert ff.type == forms.TEXT and ff.max_len == sf.max_len


@pytest.mark.parametrize("sf, ff", _field_pairs())
def test_annual_flag(sf, ff):
    assert ("[年]" in sf.rule) == (ff.required == forms.ANNUAL), (sf.label, sf.rule, ff.required)


_BLANK_ALLOWED = re.compile(r"required (when|unless|for)|only|blank|inflow:")


@pytest.mark.parametrize("sf, ff", _field_pairs())
def test_required_unless_rule_allows_blank(sf, ff):
    # "Every field is required in every quarter unless its rule says when it may be blank"
    if "[年]" in sf.rule:
        return  # covered by test_annual_flag
    if _BLANK_ALLOWED.search(sf.rule):
        assert ff.required in (forms.COND, forms.OPTIONAL), (sf.label, sf.rule, ff.required)
    else:
        assert ff.required == forms.REQ, (sf.label, sf.rule, ff.required)


def _spec_code_values(rule: str) -> tuple[str, ...]:
    r = rule.replace("[年]", "").strip()
    m = re.search(r"letter ([A-Z])[–-]([A-Z])", r)
    if m:  # "GB/T 4754-2017 section letter A–T"
        return tuple(chr(c) for c in range(ord(m.group(1)), ord(m.group(2)) + 1))
    if ":" in r:  # "enterprises only: 私有经济控制, …"
        r = r.split(":", 1)[1]
    return tuple(v.strip() for v in r.split(",") if v.strip())


def _code_pairs():
    return [p for p in _field_pairs() if p.values[0].type == forms.CODE]


def test_code_fields_found():
    assert len(_code_pairs()) == 14  # one per list in seeds/code_lists.csv


@pytest.mark.parametrize("sf, ff", _code_pairs())
def test_code_lists(sf, ff):
    assert ff.code_list, f"{ff.name} is a code field without code_list"
    expected = _spec_code_values(sf.rule)
    assert len(expected) >= 2, sf.rule
    assert forms.code_values(ff.code_list) == expected


@pytest.mark.parametrize("sf, ff", [p for p in _field_pairs() if p.values[0].type != forms.CODE])
def test_non_code_fields_have_no_code_list(sf, ff):
    assert ff.code_list is None


def test_industry_sections_seed_matches_code_list():
    # the names seed used by the dashboards covers exactly the code list A–T
    import csv

    with open(forms.SEEDS_DIR / "industry_sections.csv", encoding="utf-8") as fh:
        letters = tuple(r["section"] for r in csv.DictReader(fh))
    assert letters == forms.code_values("industry_section")
