"""Documented value ranges (issue 19 item 7; seeds/field_limits.csv, D60): a value outside its field's range is
an F4 error naming the range, found before any receipt is written, so nothing that a warehouse column cannot
hold is ever accepted — 更正序号 3000000000 used to be accepted and then fail to load on every later run."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from liangxin import forms
from liangxin.ingest import ingest_file, ingest_paths
from liangxin.settings import Settings
from liangxin.paths import SEEDS_DIR
from liangxin.validate import validate_file
from liangxin.validate.limits import field_limits, limit_for
from returnbuilder import ReturnBuilder, context, describe, hits_of

os.environ.setdefault("LIANGXIN_HMAC_SECRET", "limits-secret")
NUMERIC = (forms.INT, forms.MONEY, forms.NUMBER)
RECEIVED = dt.datetime(2020, 10, 12, 9, 0, tzinfo=dt.timezone.utc)


def test_seed_rows_name_real_numeric_fields_and_fit_their_columns():
    with open(Path(SEEDS_DIR) / "field_limits.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"form", "field", "min", "max", "reason"}
    types = {f.name: f.type for f in forms.FORMS[0].fields}
    for r in rows:
        assert r["reason"].strip(), r
        if r["form"] == "*":
            assert r["field"] in NUMERIC, r
            continue
        form = forms.FORMS_BY_KEY[r["form"]]
        types = {f.name: f.type for f in form.fields}
        assert types.get(r["field"]) in NUMERIC, r
    limits = field_limits()
    for form in forms.FORMS:  # every numeric field is bounded, within what its warehouse column holds
        for f in form.fields:
            if f.type not in NUMERIC:
                continue
            lim = limit_for(form.key, f)
            assert lim is not None and lim.max is not None, (form.key, f.name)
            column_max = {forms.INT: 2**63 - 1, forms.MONEY: 10**16 - 1, forms.NUMBER: 10**15}[f.type]
            assert lim.max <= column_max, (form.key, f.name)
    assert limits[("cover", "correction_no")].max <= 2**31 - 1  # raw.submissions.correction_no is INTEGER
    assert limits[("cover", "correction_no")].max == 99


@pytest.mark.parametrize(
    "key,field,ok,bad,shown",
    [
        ("cover", "correction_no", 99, 3_000_000_000, "应在 0 至 99 之间"),
        ("organizations", "employees", 10_000_000, 10_000_001, "应在 0 至 10,000,000 之间"),
        ("party_orgs", "general_meetings", 10_000, 10_001, "应在 0 至 10,000 之间"),
        ("party_orgs", "fiscal_support", "1000000000000.00", "1000000000000.01", "应在 0 至 1,000,000,000,000 之间"),
        ("trainings", "hours", 2000, 2000.5, "不得大于 2,000"),
    ],
)
def test_range_is_f4_at_the_bound_plus_one(tmp_path, key, field, ok, bad, shown):
    label = forms.FORMS_BY_KEY[key].field(field).label
    b = ReturnBuilder()
    b.set(key, 0, field, ok)
    r = validate_file(b.to_xlsx(tmp_path / "ok.xlsx"), context())
    assert not [h for h in hits_of(r, "F4") if h.column == label], describe(r)
    b.set(key, 0, field, bad)
    r = validate_file(b.to_xlsx(tmp_path / "bad.xlsx"), context())
    f4 = [h for h in hits_of(r, "F4") if h.column == label]
    assert len(f4) == 1 and shown in f4[0].message and "超出允许范围" in f4[0].message, describe(r)
    assert r.outcome == "rejected"


@pytest.mark.parametrize("workers", [0, 2])
def test_correction_no_3e9_is_rejected_and_later_runs_still_load(tmp_path, workers):
    """Through the real ingest: the receipt says rejected (F4, the range), nothing is loaded, the next file
    of the same run is accepted, and a later run over the same home works (it used to fail on every run)."""
    home = tmp_path / "home"
    d = dict(
        db_path=home / "build.duckdb",
        archive_dir=home / "archive",
        outbox_dir=home / "outbox",
        settings=Settings.from_env(),
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    b = ReturnBuilder("2020Q3")
    b.set("cover", 0, "correction_no", 3_000_000_000)
    b.set("cover", 0, "correction_reason", "更正")
    b.to_xlsx(inbox / "a_huge_correction.xlsx")
    ReturnBuilder("2020Q3").to_xlsx(inbox / "b_good.xlsx")
    outs = {
        o.original_name: o for o in ingest_paths([inbox], received_at=RECEIVED, progress=False, workers=workers, **d)
    }
    bad, good = outs["a_huge_correction.xlsx"], outs["b_good.xlsx"]
    assert bad.outcome == "rejected" and bad.internal_error is None, bad
    assert any(m.startswith("[F4]") and "更正序号" in m and "应在 0 至 99 之间" in m for m in bad.first_errors), bad
    assert good.outcome in ("accepted", "accepted_with_warnings"), good
    con = duckdb.connect(str(home / "build.duckdb"), read_only=True)
    try:
        assert con.execute("select max(correction_no) from raw.submissions").fetchone()[0] == 0
        assert (
            con.execute(
                "select count(*) from raw.organizations where submission_id in (select submission_id "
                "from raw.submissions where outcome = 'rejected')"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()
    later = ReturnBuilder("2020Q3")
    later.set("cover", 0, "correction_no", 1)
    later.set("cover", 0, "correction_reason", "更正从业人员数")
    out = ingest_file(later.to_xlsx(tmp_path / "c_correction.xlsx"), received_at=RECEIVED, **d)
    assert out.outcome in ("accepted", "accepted_with_warnings"), out
