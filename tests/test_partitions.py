"""The build plan of the incremental dbt models (issue 17, ``liangxin.partitions``), on a real DuckDB file.

Which report periods a build recomputes is decided from the warehouse's content: a period is rebuilt when the set
of its current returns changed since the last build that finished; a build that did not finish, a change of the
reference inputs or an explicit request make the next build full.  (That an incremental build gives the same rows
as a full one is shown on the district world in ``test_end_to_end``.)"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from liangxin import partitions
from liangxin.warehouse import ensure_schema

T0 = dt.datetime(2021, 2, 1, 9, 0)


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "build.duckdb"))
    ensure_schema(c)
    yield c
    c.close()


def submit(con, sid: str, unit: str, period: str, correction_no: int = 0, outcome: str = "accepted", minutes=0):
    con.execute(
        "insert into raw.submissions (submission_id, unit_code, period, correction_no, outcome, received_at) "
        "values (?, ?, ?, ?, ?, ?)",
        [sid, unit, period, correction_no, outcome, T0 + dt.timedelta(minutes=minutes)],
    )


def plan_table(con) -> list[str]:
    return sorted(r[0] for r in con.execute("select period from meta.build_plan").fetchall())


def test_first_build_is_full_then_only_changed_periods(con):
    submit(con, "a", "330199001001", "2020Q1")
    submit(con, "b", "330199001001", "2020Q2")
    submit(con, "c", "330199001002", "2020Q2")
    first = partitions.begin_build(con, "ref-1")
    assert first.full and "首次构建" in first.reason
    assert plan_table(con) == ["*"]
    assert partitions.last_build(con)["status"] == "running"
    partitions.finish_build(con, first)
    assert plan_table(con) == []  # an empty plan = every period (a manual dbt build is full)
    assert partitions.last_build(con) == {"status": "ok", "mode": "full", "periods": "*", "reason": first.reason}

    nothing = partitions.begin_build(con, "ref-1")
    assert not nothing.full and nothing.periods == ()
    assert plan_table(con) == [""]  # a sentinel no period matches
    partitions.finish_build(con, nothing)

    # a correction of 2020Q2 in one community, a rejected file for 2020Q1, and a first return for 2020Q3
    submit(con, "c1", "330199001002", "2020Q2", correction_no=1, minutes=5)
    submit(con, "x", "330199001001", "2020Q1", correction_no=1, outcome="rejected", minutes=6)
    submit(con, "d", "330199001001", "2020Q3", minutes=7)
    plan = partitions.begin_build(con, "ref-1")
    assert not plan.full and plan.periods == ("2020Q2", "2020Q3")
    assert plan_table(con) == ["2020Q2", "2020Q3"]
    assert "2 个报告期" in plan.describe()
    partitions.finish_build(con, plan)
    # a lower correction number arriving later does not replace the current return: nothing changes
    submit(con, "c0", "330199001002", "2020Q2", correction_no=0, minutes=9)
    assert partitions.begin_build(con, "ref-1").periods == ()


def test_a_build_that_did_not_finish_makes_the_next_one_full(con):
    submit(con, "a", "330199001001", "2020Q1")
    partitions.finish_build(con, partitions.begin_build(con, "ref-1"))
    submit(con, "b", "330199001001", "2020Q2")
    crashed = partitions.begin_build(con, "ref-1")  # dbt failed or the process died: finish_build never ran
    assert crashed.periods == ("2020Q2",)
    again = partitions.begin_build(con, "ref-1")
    assert again.full and "未完成" in again.reason
    partitions.finish_build(con, again)
    assert not partitions.begin_build(con, "ref-1").full


def test_changed_reference_or_a_request_makes_it_full(con):
    submit(con, "a", "330199001001", "2020Q1")
    partitions.finish_build(con, partitions.begin_build(con, "ref-1"))
    changed = partitions.begin_build(con, "ref-2")  # a model, seed or the register changed
    assert changed.full and "变化" in changed.reason
    partitions.finish_build(con, changed)
    asked = partitions.begin_build(con, "ref-2", full=True)
    assert asked.full and "按要求" in asked.reason
    partitions.finish_build(con, asked)
    assert partitions.begin_build(con, "ref-2").periods == ()


def test_reference_digest_follows_contents(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("y\n")
    d1 = partitions.reference_digest([a, b])
    assert d1 == partitions.reference_digest([b, a])  # order of the list does not matter
    a.write_text("x\n2\n")
    assert partitions.reference_digest([a, b]) != d1
    assert partitions.reference_digest([a, tmp_path / "gone.csv"]) != partitions.reference_digest([a])
