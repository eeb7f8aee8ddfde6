"""Property tests of the cell normalisers: never raise; every accepted spelling round-trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from liangxin.validate import normalise as nz

FULL = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
SPACES = st.sampled_from(["", " ", "\u3000", "\u00a0", "\u200b", "\t", " \u3000 "])
ANY_CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False),
)
PARSERS = [
    nz.parse_int,
    nz.parse_money,
    nz.parse_number,
    nz.parse_date,
    nz.parse_bool,
    lambda v: nz.parse_code(v, ("是", "C", "非公有制企业")),
    lambda v: (nz.clean_text(v), None),
    lambda v: (nz.clean_key(v), None),
]


@settings(max_examples=300, deadline=None)
@given(ANY_CELL)
def test_normalisers_never_raise(raw):
    for parse in PARSERS:
        value, problem = parse(raw)
        assert problem is None or (isinstance(problem, str) and problem)
        if problem is not None:
            assert value is None


def int_spellings(n: int):
    s = str(n)
    return [s, f"{n:,}", s.translate(FULL), f"{n:,}".translate(FULL), f"{n}.0", f"{n}.00", float(n), n]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), SPACES, SPACES)
def test_int_spellings_round_trip(n, left, right):
    for spelling in int_spellings(n):
        raw = f"{left}{spelling}{right}" if isinstance(spelling, str) else spelling
        assert nz.parse_int(raw) == (n, None), raw


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_int_rejects_fractions_and_negatives(n, frac):
    assert nz.parse_int(f"{n}.{frac}")[0] is None
    assert nz.parse_int(f"-{n}")[0] is None
    assert nz.parse_int(-n)[0] is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**11), st.integers(min_value=0, max_value=99), SPACES)
def test_money_round_trip(yuan, fen, pad):
    want = Decimal(f"{yuan}.{fen:02d}")
    for raw in (
        f"{yuan}.{fen:02d}",
        f"{yuan:,}.{fen:02d}",
        f"{pad}{yuan:,}.{fen:02d}{pad}",
        f"{yuan}.{fen:02d}".translate(FULL),
        float(want),
    ):
        assert nz.parse_money(raw) == (want, None), raw
    assert nz.parse_money(f"{yuan}.{fen:02d}1")[0] is None


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)), SPACES)
def test_date_spellings_round_trip(d, pad):
    y, m, dd = d.year, d.month, d.day
    spellings = [
        f"{y}-{m:02d}-{dd:02d}",
        f"{y}-{m}-{dd}",
        f"{y}/{m}/{dd}",
        f"{y}/{m:02d}/{dd:02d}",
        f"{y}年{m}月{dd}日",
        f"{y}年{m:02d}月{dd:02d}日",
        f"{y}.{m:02d}.{dd:02d}",
        f"{y}.{m}.{dd}",
        f"{y}-{m:02d}-{dd:02d}".translate(FULL),
        d,
        dt.datetime(y, m, dd),
        float((d - dt.date(1899, 12, 30)).days),
    ]
    for raw in spellings:
        raw = f"{pad}{raw}{pad}" if isinstance(raw, str) else raw
        assert nz.parse_date(raw) == (d, None), raw


def test_date_rejects_other_spellings():
    for raw in ("31/03/2020", "2020-3/31", "20200331", "2020-02-30", "March 31, 2020", "2020年3月31", "43921.5"):
        assert nz.parse_date(raw)[0] is None, raw


@given(st.sampled_from(["是", "Y", "y", "√", "1", "TRUE", "true", "True", "Ｙ", "１"]), SPACES)
def test_true_spellings(word, pad):
    assert nz.parse_bool(f"{pad}{word}{pad}") == (True, None)


@given(st.sampled_from(["否", "N", "n", "×", "0", "FALSE", "false", "False", "Ｎ", "０"]), SPACES)
def test_false_spellings(word, pad):
    assert nz.parse_bool(f"{pad}{word}{pad}") == (False, None)


def test_bool_rejects_other_spellings():
    for raw in ("是的", "有", "2", "yes", "X", "√×", 2.0):
        assert nz.parse_bool(raw)[0] is None, raw
