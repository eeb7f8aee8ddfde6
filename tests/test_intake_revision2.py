"""Spec revision 2 at intake, through the real ingest path into a real DuckDB warehouse (hand-made workbooks):

- P4 on the receipt time of the first accepted return; ``--backfill`` judges by 报出日期, is stored on
  ``raw.submissions.backfill`` and shown on the receipt as 历史补录;
- P6 (forward period integrity): a correction of 2020Q3 whose closings no longer match the openings of the
  already-accepted 2020Q4 return is accepted with P6 naming the organization with its old and new values;
- a rejected return changes nothing already accepted;
- 2020 (LX-Q-2020.1) and 2021 (LX-Q-2021.1) returns side by side: the 2021.1 columns are NULL (未采集) for 2020.

Expected values come from the spec text and the hand-made workbook (tests/returnbuilder.py), not from the code.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from liangxin.ingest import ingest_paths
from liangxin.settings import Settings
from returnbuilder import ReturnBuilder

UTC = dt.timezone.utc
UNIT = "330199001001"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", "intake-rev2-secret")
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "home"))
    for var in ("LIANGXIN_INBOX", "LIANGXIN_ARCHIVE", "LIANGXIN_OUTBOX", "LIANGXIN_DUCKDB"):
        monkeypatch.delenv(var, raising=False)


def _ingest(tmp_path, path, received_at, **kw):
    (out,) = ingest_paths(
        [path],
        settings=Settings.from_env(),
        db_path=tmp_path / "b.duckdb",
        archive_dir=tmp_path / "archive",
        outbox_dir=tmp_path / "outbox",
        received_at=received_at,
        progress=False,
        workers=0,
        **kw,
    )
    return out


def _report_text(out) -> str:
    ws = openpyxl.load_workbook(out.reports[0], read_only=True).worksheets[0]
    return "\n".join(" ".join(str(c) for c in r if c is not None) for r in ws.iter_rows(values_only=True))


def _q(tmp_path, sql, params=()):
    con = duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_backfill_flag_judges_by_cover_date_is_stored_and_shown(tmp_path):
    # 2020Q3 deadline 2020-10-15; 报出日期 2020-10-20; loaded years later
    b = ReturnBuilder("2020Q3").set("cover", 0, "submitted_on", dt.date(2020, 10, 20))
    p = b.to_xlsx(tmp_path / "q3.xlsx")
    out = _ingest(tmp_path, p, dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC), backfill=True)
    assert out.outcome == "accepted_with_warnings" and out.rule_counts == {"P1/W": 1, "P4/W": 1}
    assert _q(tmp_path, "select backfill from raw.submissions") == [(True,)]
    (msg,) = _q(tmp_path, "select message from raw.rule_hits where rule_id = 'P4'")
    assert "历史补录" in msg[0] and "2020-10-20" in msg[0]
    assert "历史补录" in _report_text(out)


def test_without_backfill_the_receipt_time_counts_and_nothing_is_marked(tmp_path):
    # the same content (报出日期 on time) received 2020-10-15 17:00 UTC = 10-16 01:00 in Shanghai: late
    b = ReturnBuilder("2020Q3")
    out = _ingest(tmp_path, b.to_xlsx(tmp_path / "q3.xlsx"), dt.datetime(2020, 10, 15, 17, 0, tzinfo=UTC))
    assert out.rule_counts == {"P1/W": 1, "P4/W": 1}
    assert _q(tmp_path, "select backfill from raw.submissions") == [(False,)]
    assert "历史补录" not in _report_text(out)


def _q3_q4(tmp_path):
    q3 = ReturnBuilder("2020Q3")  # JQ-001 closes at 6, JQ-002 at 4
    q4 = ReturnBuilder("2020Q4")
    # Q4 continues Q3: JQ-001 opens at 6 (no flows), JQ-002 opens at 4 (as built)
    q4.set("member_flows", 0, "opening", 6).set("member_flows", 0, "developed", 0).set("member_flows", 0, "absorbed", 0)
    out3 = _ingest(tmp_path, q3.to_xlsx(tmp_path / "q3.xlsx"), dt.datetime(2020, 10, 12, 2, tzinfo=UTC))
    assert out3.rule_counts == {"P1/W": 1}  # no 2020Q2 return: the openings cannot be checked
    out4 = _ingest(tmp_path, q4.to_xlsx(tmp_path / "q4.xlsx"), dt.datetime(2021, 1, 12, 2, tzinfo=UTC))
    assert out4.outcome == "accepted", out4.first_errors


def test_p6_correction_breaking_the_next_quarter_is_accepted_with_old_and_new_values(tmp_path):
    _q3_q4(tmp_path)
    # correction of 2020Q3: JQ-001 developed 2 members (not 1): closes at 7 (表2 formal 6 + probationary 1)
    c = (
        ReturnBuilder("2020Q3")
        .set("cover", 0, "correction_no", 1)
        .set("cover", 0, "correction_reason", "更正发展党员数")
    )
    c.set("member_flows", 0, "developed", 2).set("member_flows", 0, "closing_should", 7)
    c.set("member_flows", 0, "closing_actual", 7).set("party_orgs", 0, "members_formal", 6)
    out = _ingest(tmp_path, c.to_xlsx(tmp_path / "q3c1.xlsx"), dt.datetime(2021, 2, 1, 2, tzinfo=UTC))
    assert out.outcome == "accepted_with_warnings" and out.rule_counts == {"P1/W": 1, "P6/W": 1}
    (hit,) = _q(tmp_path, "select sheet, row, column_header, value, message from raw.rule_hits where rule_id='P6'")
    assert hit[:4] == ("表3 党员队伍变动情况", 2, "期末实有数", "6 → 7")
    assert "JQ-001" in hit[4] and "2020Q4" in hit[4] and "待更正" in hit[4]
    report = _report_text(out)
    assert "P6" in report and "6 → 7" in report


def test_p6_neighbour_correction_keeping_the_closings_has_no_p6(tmp_path):
    _q3_q4(tmp_path)
    c = ReturnBuilder("2020Q3").set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "更正培训")
    c.set("trainings", 0, "hours", 16.0)
    out = _ingest(tmp_path, c.to_xlsx(tmp_path / "q3c1.xlsx"), dt.datetime(2021, 2, 1, 2, tzinfo=UTC))
    assert out.outcome == "accepted_with_warnings" and out.rule_counts == {"P1/W": 1}  # no P6


def test_rejected_return_changes_nothing_already_accepted(tmp_path):
    _q3_q4(tmp_path)
    before = _q(tmp_path, "select * from raw.member_flows order by all")
    bad = ReturnBuilder("2020Q3").set("cover", 0, "correction_no", 1).set("cover", 0, "correction_reason", "x")
    bad.set("organizations", 1, "party_status", "单独建立")  # X7: 单独建立 pointing to a 联合党支部
    out = _ingest(tmp_path, bad.to_xlsx(tmp_path / "bad.xlsx"), dt.datetime(2021, 2, 1, 2, tzinfo=UTC))
    assert out.outcome == "rejected" and "X7/E" in out.rule_counts
    assert _q(tmp_path, "select * from raw.member_flows order by all") == before
    assert _q(tmp_path, "select count(*) from raw.organizations where submission_id = ?", [out.sha256]) == [(0,)]


def test_2020_and_2021_returns_side_by_side(tmp_path):
    out20 = _ingest(
        tmp_path, ReturnBuilder("2020Q3").to_xlsx(tmp_path / "a.xlsx"), dt.datetime(2020, 10, 12, tzinfo=UTC)
    )
    b21 = ReturnBuilder("2021Q3")
    out21 = _ingest(tmp_path, b21.to_xlsx(tmp_path / "b.xlsx"), dt.datetime(2021, 10, 12, tzinfo=UTC))
    assert out20.rule_counts == out21.rule_counts == {"P1/W": 1}  # only: no previous quarter loaded
    rows = _q(
        tmp_path,
        "select period, applicants, activists, developed_here from raw.organizations where uscc = ? order by period",
        [b21.get("organizations", 0, "uscc")],
    )
    assert rows == [("2020Q3", None, None, None), ("2021Q3", 3, 2, 1)]  # 2020: 未采集 (NULL), never 0
    codes = _q(
        tmp_path,
        "select period, organizer_code from raw.trainings where organizer_level = '社区党总支' order by period",
    )
    assert codes == [("2020Q3", None), ("2021Q3", UNIT)]
    versions = _q(tmp_path, "select period, template_version from raw.submissions order by period")
    assert versions == [("2020Q3", "LX-Q-2020.1"), ("2021Q3", "LX-Q-2021.1")]


def test_cli_backfill_option(tmp_path):
    from liangxin.cli import app

    b = ReturnBuilder("2020Q3").set("cover", 0, "submitted_on", dt.date(2020, 10, 20))
    p = b.to_xlsx(tmp_path / "q3.xlsx")
    res = CliRunner().invoke(
        app,
        [
            "ingest",
            "--backfill",
            "--no-progress",
            "--db",
            str(tmp_path / "b.duckdb"),
            "--archive",
            str(tmp_path / "ar"),
            "--outbox",
            str(tmp_path / "ob"),
            str(p),
        ],
    )
    assert res.exit_code == 0, res.output
    assert _q(tmp_path, "select backfill, outcome from raw.submissions") == [(True, "accepted_with_warnings")]
    help_text = CliRunner().invoke(app, ["ingest", "--help"]).output
    assert "--backfill" in help_text and "历史补录" in help_text
