"""Property-based fuzzing of the validator and the loader (Hypothesis).

1. Random cell values (text with any Unicode, huge/negative/fractional numbers, NaN/inf, dates far in the
   past and future, booleans, formulas without cached values, error cells) in random fields of a valid
   return (tests/returnbuilder.py), as .xlsx or as a CSV zip: ``validate_file`` never raises and never
   falls back to its "内部错误" F1 hit (D32: an internal error disguised as a rejection), and the result —
   accepted or rejected — loads into a real DuckDB raw schema without error.
2. Any permutation of the columns of every sheet and of the sheet order: the return is still accepted with
   identical typed rows (same values, same source rows) and the same cover.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liangxin import forms, warehouse
from liangxin.settings import Settings
from liangxin.validate import validate_file
from returnbuilder import ErrorValue, Formula, ReturnBuilder, context, describe

os.environ.setdefault("LIANGXIN_HMAC_SECRET", "fuzz-secret")
KEY = Settings.from_env().secret()  # the test module is its own edge

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False)

# text openpyxl can store (XML 1.0 forbids most C0 controls); everything else of Unicode is fair game
_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from(["\u200b", "\u200f", "\u202e", "\ufeff", "\u3000", "１", "😀", "\t", " "]),
    max_size=40,
)
VALUES = st.one_of(
    st.none(),
    _text,
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**12), max_value=10**12),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.booleans(),
    st.sampled_from(
        [
            Formula("=1/0"),
            Formula("=SUM(A1:A3)"),
            ErrorValue("#REF!"),
            ErrorValue("#N/A"),
            ErrorValue("#DIV/0!"),
            "是",
            "否",
            "Y",
            "n",
            "√",
            "×",
            "2020年9月31日",
            "1e400",
            "-0",
            "0x1F",
            "1,2,3",
            "３.０",
            "NaN",
            "=cmd|' /C calc'!A0",
            "@SUM(1)",
            "+1",
            "2020Q3",
            "2020Q5",
        ]
    ),
)

FIELD_CHOICES = [(f.key, fld.name) for f in forms.FORMS for fld in f.fields]


def _write(b: ReturnBuilder, fmt: str, folder: Path) -> Path:
    return b.write(folder / ("r.xlsx" if fmt == "xlsx" else "r.zip"), fmt)


def _load(result) -> dict[str, int]:
    con = duckdb.connect(":memory:")
    try:
        warehouse.ensure_schema(con, KEY)
        return warehouse.load_submission(
            con, result, dt.datetime(2020, 10, 12, 9, tzinfo=dt.timezone.utc), "r", secret=KEY
        )
    finally:
        con.close()


@settings(max_examples=100, **SETTINGS)
@given(
    changes=st.lists(st.tuples(st.sampled_from(FIELD_CHOICES), st.integers(0, 3), VALUES), min_size=1, max_size=4),
    fmt=st.sampled_from(["xlsx", "utf-8", "gb18030"]),
)
def test_random_cells_never_crash(changes, fmt):
    b = ReturnBuilder("2020Q3")
    for (key, field), i, value in changes:
        rows = b.data[key]
        if fmt != "xlsx" and isinstance(value, (Formula, ErrorValue)):
            value = str(value)
        if fmt != "xlsx" and isinstance(value, float):
            value = repr(value)  # a CSV cell is text: 'inf', 'nan', '1e+300' as a person would type them
        if fmt == "gb18030" and isinstance(value, str):
            value = value.encode("gb18030", "replace").decode("gb18030")
        rows[i % len(rows)][field] = value
    with tempfile.TemporaryDirectory() as d:
        path = _write(b, fmt, Path(d))
        r = validate_file(path, context("2020Q3"))
    assert r.outcome in ("accepted", "accepted_with_warnings", "rejected")
    assert not any("内部错误" in h.message for h in r.hits), describe(r)
    assert all(h.message.startswith(f"[{h.rule_id}] ") for h in r.hits)
    rows = _load(r)  # never raises: typed values always fit the raw columns
    assert rows["submissions"] == 1
    if r.outcome == "rejected":
        assert sum(v for k, v in rows.items() if k not in ("submissions", "rule_hits")) == 0


def _typed(r) -> dict:
    return {
        k: [(p.sheet, p.source_row, sorted(p.values.items(), key=lambda kv: kv[0])) for p in rows]
        for k, rows in r.rows.items()
    }


_CLEAN: dict[str, tuple] = {}


def _clean_result(fmt: str):
    if fmt not in _CLEAN:
        with tempfile.TemporaryDirectory() as d:
            r = validate_file(_write(ReturnBuilder("2020Q3"), fmt, Path(d)), context("2020Q3"))
        assert r.outcome == "accepted", describe(r)
        _CLEAN[fmt] = (_typed(r), r.cover)
    return _CLEAN[fmt]


@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), fmt=st.sampled_from(["xlsx", "utf-8"]))
def test_permuted_columns_and_sheets_give_identical_rows(data, fmt):
    b = ReturnBuilder("2020Q3")
    for f in forms.FORMS:
        perm = data.draw(st.permutations(range(len(b.order[f.key]))), label=f"columns {f.key}")
        b.order[f.key] = [b.order[f.key][i] for i in perm]
        b.headers[f.key] = [b.headers[f.key][i] for i in perm]
    sheet_order = data.draw(st.permutations([f.key for f in forms.FORMS]), label="sheets")
    original = b.sheets

    def sheets():
        grids = dict((f.key, (b.sheet_names[f.key], b.grid(f.key))) for f in forms.FORMS)
        for key in sheet_order:
            yield grids[key]

    b.sheets = sheets  # the writers iterate b.sheets()
    with tempfile.TemporaryDirectory() as d:
        r = validate_file(_write(b, fmt, Path(d)), context("2020Q3"))
    b.sheets = original
    assert r.outcome == "accepted", describe(r)
    rows, cover = _clean_result(fmt)
    assert r.cover == cover
    assert _typed(r) == rows
