"""The fast cell parsing of validate.core (per-field parsers, memos, fast paths of the normalisers) gives exactly
what the straightforward algorithm gives: same values (and types), same values-as-found, same F4 hits.

The reference below is the original per-cell algorithm, written with the public normalisers only.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import unicodedata
from decimal import Decimal

import pytest

from liangxin import forms
from liangxin.forms import BOOL, CODE, DATE, INT, MONEY, NUMBER, TEXT
from liangxin.validate import core
from liangxin.validate import normalise as nz
from liangxin.validate.context import ValidationContext
from liangxin.validate.limits import limit_for
from liangxin.validate.reader import RawSheet, col_letter


class Text(str):
    """A str subclass: must take the generic (non-fast) paths and give the same results."""


ODD = [
    None,
    "",
    " ",
    "\u3000",
    "\u200b",
    "\u200b\u200e",
    "\u00a0是\u00a0",
    " 是 ",
    "否",
    "y",
    "Ｎ",
    "√",
    "×",
    "TRUE",
    "true",
    "真",
    "１２",
    "12",
    " 12 ",
    "1,234",
    "1,234.50",
    "1,23",
    "-3",
    "+4",
    "3.0",
    "3.5",
    "0.001",
    "1.005",
    "100000000000000000000",
    "1e3",
    "2020-03-31",
    "2020/3/31",
    "2020年3月31日",
    "２０２０-０３-３１",
    "2020 - 03 - 31",
    "2020-02-30",
    "存续",
    " 存续 ",
    "存续\u200b",
    "ｃ",
    "c",
    " c ",
    "存 续",
    "单独建立",
    "书记",
    "ab-12",
    "AB_12",
    "ａｂ－１２",
    "ﬁ",
    "e\u0301",
    "\u202eabc",
    "😀",
    "abc\u00ad",
    "x" * 30,
    "91330100ma27xxxxxx",
    " 330199001001 ",
    "２０２０Ｑ３",
    "2020q3",
    "\t",
    "a\nb",
    "\u00a8",
    Text(" 7 "),
    Text("\u200b"),
    Text("是"),
    0,
    1,
    2,
    -1,
    10**15,
    0.0,
    -0.0,
    1.0,
    3.0,
    3.5,
    -3.0,
    1e15,
    1e20,
    1e-7,
    0.1 + 0.2,
    12.345,
    1.005,
    43921.0,
    60.0,
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    False,
    dt.datetime(2020, 3, 31),
    dt.datetime(2020, 3, 31, 12, 30),
    dt.date(2021, 1, 2),
    dt.time(8, 30),
    dt.timedelta(days=2),
    Decimal("1.50"),
]


def reference_parse_cell(f: forms.Field, raw: object) -> tuple[object, str | None]:
    t = f.type
    if t == TEXT:
        if f.name in core.KEY_FIELDS:
            v = nz.clean_key(raw)
            if v is not None and f.name not in core.UPPER_FIELDS:
                text = unicodedata.normalize("NFKC", nz.clean_text(raw))
                v = "".join(ch for ch in text if not ch.isspace()) or None
            return v, None
        return nz.clean_text(raw), None
    if t == CODE:
        return nz.parse_code(raw, forms.code_values(f.code_list))
    return {
        INT: nz.parse_int,
        MONEY: nz.parse_money,
        NUMBER: nz.parse_number,
        DATE: nz.parse_date,
        BOOL: nz.parse_bool,
    }[t](raw)


def reference_found(raw: object) -> object:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        return raw if nz.clean_text(raw) is not None else None
    return nz.clean_text(raw)


def reference_blank(row: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and nz.clean_text(c) is None) for c in row)


def reference_parse_sheet(form: forms.Form, col_of: dict[str, int], raw: RawSheet):
    hits, rows = [], []
    for r in range(1, len(raw.rows)):
        cells = raw.rows[r]
        if reference_blank(cells) and not any(
            (r, c) in raw.errors or (r, c) in raw.formula_no_value for c in range(len(cells))
        ):
            continue
        rownum = r + 1
        values, found = {}, {}
        for f in form.fields:
            c = col_of.get(f.name)
            if c is None:
                values[f.name] = None
                continue
            cell = cells[c] if c < len(cells) else None
            found[f.name] = reference_found(cell)
            ref = f"{col_letter(c)}{rownum}"
            if (r, c) in raw.errors:
                found[f.name] = err = raw.errors[(r, c)]
                hits.append(("F4", rownum, f.label, err, ref))
                values[f.name] = None
                continue
            if (r, c) in raw.formula_no_value:
                hits.append(("F4", rownum, f.label, None, ref))
                values[f.name] = None
                continue
            value, problem = reference_parse_cell(f, cell)
            if (
                problem is None
                and value is not None
                and f.name in core.PARTY_ORG_CODE_FIELDS
                and not core.PARTY_ORG_CODE_RE.match(str(value))
            ):
                problem, value = "bad org code", None
            limit = limit_for(form.key, f) if f.type in (INT, MONEY, NUMBER) else None
            if problem is None and value is not None and limit is not None and limit.problem(value):
                problem, value = "out of range", None  # seeds/field_limits.csv
            if problem is not None:
                hits.append(("F4", rownum, f.label, found[f.name], ref))
                value = None
            values[f.name] = value
        rows.append((rownum, values, found))
        if form.single_row:
            break
    return hits, rows


def canon(v: object) -> tuple[str, str]:
    return type(v).__name__, repr(v)


def canon_rows(rows):
    return [
        (n, [(k, canon(v)) for k, v in values.items()], [(k, canon(v)) for k, v in found.items()])
        for n, values, found in rows
    ]


def random_sheet(form: forms.Form, rnd: random.Random) -> tuple[dict[str, int], RawSheet]:
    names = [f.name for f in form.fields]
    rnd.shuffle(names)
    present = names[: max(1, len(names) - rnd.randint(0, 2))]  # a column or two missing (F2)
    col_of = {name: i for i, name in enumerate(present)}
    rows: list[list[object]] = [[forms.FORMS_BY_KEY[form.key].field(n).label for n in present]]
    for _ in range(rnd.randint(1, 12)):
        width = len(present) - rnd.randint(0, 3)  # short rows: missing trailing cells
        rows.append([rnd.choice(ODD) for _ in range(max(width, 0))])
    raw = RawSheet(name=form.sheet, rows=rows)
    for _ in range(rnd.randint(0, 3)):
        r, c = rnd.randint(1, len(rows) + 1), rnd.randint(0, len(present) + 1)
        if rnd.random() < 0.5:
            raw.errors[(r, c)] = rnd.choice(["#REF!", "#DIV/0!", "#N/A"])
        else:
            raw.formula_no_value.add((r, c))
    return col_of, raw


@pytest.mark.parametrize("seed", range(40))
def test_parse_sheet_matches_reference(seed):
    rnd = random.Random(seed)
    ctx = ValidationContext.offline(max_hits_per_rule_sheet=10**6)
    for form in forms.FORMS:
        col_of, raw = random_sheet(form, rnd)
        want_hits, want_rows = reference_parse_sheet(form, col_of, raw)
        for _ in range(2):  # the second pass is served from the memos
            ck = core.Checker(ctx)
            sd = core.SheetData(form=form, raw=raw, col_of=dict(col_of))
            ck.sheets[form.key] = sd
            core.parse_sheet(ck, sd)
            got_hits = [(h.rule_id, h.row, h.column, h.value, h.cell) for h in ck.hits.hits]
            assert got_hits == [
                (rule, row, col, None if v is None else (v if isinstance(v, str) else nz.clean_text(v)), cell)
                for rule, row, col, v, cell in want_hits
            ]
            if form.single_row:
                got_rows = [] if ck.cover is None else [(ck.cover_row, ck.cover, ck.cover_found)]
            else:
                got_rows = [(pr.source_row, pr.values, sd.found[pr.source_row]) for pr in sd.rows]
            assert canon_rows(got_rows) == canon_rows(want_rows)


@pytest.mark.parametrize("form", forms.FORMS, ids=lambda f: f.key)
def test_parse_cell_matches_reference(form):
    for f in form.fields:
        for raw in ODD:
            got, want = core.parse_cell(f, raw), reference_parse_cell(f, raw)
            assert [canon(v) for v in got] == [canon(v) for v in want], (f.name, raw)


def test_negative_zero_is_not_served_from_the_memo():
    money = next(f for form in forms.FORMS for f in form.fields if f.type == MONEY)
    form = next(form for form in forms.FORMS if money in form.fields)
    raw = RawSheet(name=form.sheet, rows=[[money.label], [0.0], [-0.0], [0.0], [-0.0]])
    ck = core.Checker(ValidationContext.offline())
    sd = core.SheetData(form=form, raw=raw, col_of={money.name: 0})
    core.parse_sheet(ck, sd)
    got = [repr(pr.values[money.name]) for pr in sd.rows]
    assert got == [repr(nz.parse_money(x)[0]) for x in (0.0, -0.0, 0.0, -0.0)]
    assert got[0] != got[1]
    assert math.copysign(1.0, -0.0) < 0  # the premise of the test


def _extent_by_hand(xml: bytes) -> tuple[int, int]:
    """The straightforward emulation of the cell reader's positions (a cell's r, else the next column; a
    row's r sets the row, each row end moves to the next row), one element at a time."""
    from liangxin.validate import reader

    row = col = 0
    top_row = top_col = 0
    for m in re.finditer(rb"<(/?)(?:\w+:)?(c|row)\b([^>]*?)(/?)>", xml):
        closing, name, attrs, empty = m.groups()
        if closing:
            if name == b"row":
                row, col = row + 1, 0
            continue
        r = re.search(rb'\sr="([^"]*)"', attrs)
        if name == b"row":
            if r:
                row = int(r.group(1)) - 1
            if empty:
                row, col = row + 1, 0
            continue
        if r:
            letters = re.match(rb"[A-Za-z]+", r.group(1)).group(0)
            pos = (int(r.group(1)[len(letters) :]) - 1, reader._column_number(letters) - 1)
            col = pos[1]
        else:
            pos = (row, col)
        top_row, top_col = max(top_row, pos[0] + 1), max(top_col, pos[1] + 1)
        col += 1
    return top_row, top_col


def test_sheet_extent_chunks_agree_and_match_the_reader_rules():
    from liangxin.validate import reader

    rnd = random.Random(5)
    pieces = [
        b'<row r="12">',
        b'<row r="7"/>',
        b'<c r="AB12">',
        b'<c r="ZZZ99">',
        b'<x:c r="B3">',
        b"<c>",
        b'<c r="C9" t="s">',
        b'<c t="s" r="D4">',
        b"<c r='E5'>",
        b"<c/>",
        b"<row>",
        b"\n",
        b"<v>1</v></c>",
        b"</c>",
        b"</row>",
        b"<col>",
        b'<c\tr="A10"/>',
        b'<c r="a7">',
    ]
    old_chunk = reader._EXTENT_CHUNK
    try:
        for _ in range(400):
            xml = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 40)))
            reader._EXTENT_CHUNK = 1 << 20
            try:
                whole = reader.sheet_extent(xml)
            except reader.FileRejected:
                continue  # nested cells and the like: refused, nothing to compare
            for chunk in (1, 3, 16):
                reader._EXTENT_CHUNK = chunk
                assert reader.sheet_extent(xml) == whole, xml
            by_hand = _extent_by_hand(xml)
            assert whole[0] >= by_hand[0] and whole[1] >= by_hand[1], (xml, whole, by_hand)
    finally:
        reader._EXTENT_CHUNK = old_chunk


@pytest.mark.parametrize(
    "xml,extent",
    [
        (b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', (1048576, 16384)),
        (b"<row r='5'><c r='XFD5'><v>1</v></c></row>", (5, 16384)),  # single quotes: the exact path
        (b'<row r="5"><c s="1" r="XFD5"><v>1</v></c></row>', (5, 16384)),  # r not first
        (b'<row r="150000">' + b"<c><v>1</v></c>" * 3 + b"</row>", (150000, 3)),  # no r: next column
        (b'<row r="9"><c r="C9"/><c/><c/></row><row><c/></row>', (10, 5)),
        (b'<x:row r="2"><x:c r="B2"><x:v>1</x:v></x:c></x:row>', (2, 2)),
    ],
)
def test_sheet_extent_follows_the_reader(xml, extent):
    from liangxin.validate import reader

    assert reader.sheet_extent(xml) == extent


@pytest.mark.parametrize(
    "xml",
    [
        b'<row r="1"><c><v>1</v><row r="1048576"/></c></row>',  # a row inside a cell
        b'<row r="1048576"/><!-- <row r="1"/> --><c><v>1</v></c>',  # a comment could hide a row end
        b'<row r="2"><c r="A-2"><v>1</v></c></row>',  # not a reference
    ],
)
def test_sheet_extent_refuses_what_it_cannot_bound(xml):
    from liangxin.validate import reader

    with pytest.raises(reader.FileRejected):
        reader.sheet_extent(xml)
