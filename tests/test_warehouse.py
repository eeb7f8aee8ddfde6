"""The raw layer: schema, one-transaction loads, personal data, the validator's warehouse context."""

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from liangxin import forms, privacy, warehouse
from liangxin.validate import ParsedRow, PreviousReturn, RuleHit, ValidationResult

SECRET = "warehouse-test-secret"
KEY = SECRET.encode()  # what Settings(hmac_secret=SECRET).secret() gives: the library takes the secret explicitly
RECEIVED = dt.datetime(2021, 1, 5, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("LIANGXIN_HMAC_SECRET", SECRET)
    monkeypatch.delenv("LIANGXIN_ENV", raising=False)


#: the generated world of this module (tests/conftest.py: the ``world`` fixture, DEFAULT_WORLD changed by this)
WORLD = {"end": "2020Q3"}


def result_from_return(ret: dict, sha: str, correction_no: int = 0, hits=None) -> ValidationResult:
    """A ValidationResult as the validator would produce it for a generated return (no file involved)."""
    cover = dict(ret["cover"][0] if isinstance(ret["cover"], list) else ret["cover"])
    cover["correction_no"] = correction_no
    if correction_no:
        cover["correction_reason"] = "更正测试"
    rows = {
        form.key: [ParsedRow(form.sheet, i + 2, dict(v)) for i, v in enumerate(ret.get(form.key, []))]
        for form in forms.DATA_FORMS
    }
    return ValidationResult(
        path=Path(f"{sha}.xlsx"),
        sha256=sha,
        size=1234,
        original_name=f"{cover['unit_code']}.xlsx",
        format="xlsx",
        unit_code=cover["unit_code"],
        unit_name=cover["unit_name"],
        period=cover["period"],
        correction_no=correction_no,
        cover=cover,
        rows=rows,
        hits=list(hits or []),
    )


def all_ids(ret: dict) -> set[str]:
    ids = set()
    for form in forms.DATA_FORMS:
        for f in form.fields:
            if f.pii == forms.PII_ID:
                ids |= {r[f.name] for r in ret.get(form.key, []) if r.get(f.name)}
    return ids


def biggest_return(world, period="2020Q1"):
    key = max(
        (k for k in world.returns if k[1] == period),
        key=lambda k: sum(len(world.returns[k].get(f.key, [])) for f in forms.DATA_FORMS),
    )
    return world.returns[key]


def sha_of(n: int) -> str:
    return f"{n:064x}"


def test_schema_is_idempotent(tmp_path):
    con = warehouse.connect(tmp_path / "sub" / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    warehouse.ensure_schema(con, KEY)
    tables = {
        r[0]
        for r in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    }
    assert tables == {"submissions", "rule_hits", *(f.key for f in forms.DATA_FORMS)}
    for form in forms.DATA_FORMS:
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema='raw' and table_name=? "
                "order by ordinal_position",
                [form.key],
            ).fetchall()
        ]
        assert cols == [c for c, _, _ in forms.raw_columns(form)]
    sub_cols = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema='raw' and table_name='submissions' "
            "order by ordinal_position"
        ).fetchall()
    ]
    assert sub_cols[:8] == [
        "submission_id",
        "original_name",
        "received_at",
        "size_bytes",
        "outcome",
        "error_count",
        "warning_count",
        "format",
    ]
    assert sub_cols[8:] == [c for c, _, _ in forms.raw_columns(forms.COVER)] + ["backfill"]
    assert warehouse.table_counts(con) == {t: 0 for t in warehouse.table_columns()}


def test_load_writes_typed_transformed_rows(tmp_path, world):
    ret = biggest_return(world)
    res = result_from_return(
        ret, sha_of(1), hits=[RuleHit("P1", "W", "表3 党员队伍变动情况", None, None, None, "[P1] 未找到上期报表")]
    )
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    counts = warehouse.load_submission(con, res, RECEIVED, "original.xlsx", secret=KEY)
    for form in forms.DATA_FORMS:
        assert counts[form.key] == len(ret[form.key])
    assert warehouse.table_counts(con) == {
        "submissions": 1,
        "rule_hits": 1,
        **{f.key: len(ret[f.key]) for f in forms.DATA_FORMS},
    }
    sub = con.execute(
        "select outcome, error_count, warning_count, received_at, filled_by, phone, unit_code, "
        "submitted_on, original_name from raw.submissions"
    ).fetchone()
    cover = ret["cover"][0]
    assert sub == (
        "accepted_with_warnings",
        0,
        1,
        dt.datetime(2021, 1, 5, 9, 30),
        privacy.mask_name(cover["filled_by"]),
        privacy.mask_phone(cover["phone"]),
        cover["unit_code"],
        cover["submitted_on"],
        "original.xlsx",
    )
    # totals survive the round trip with their types
    assert con.execute("select sum(closing_actual) from raw.member_flows").fetchone()[0] == sum(
        r["closing_actual"] for r in ret["member_flows"]
    )
    assert con.execute("select sum(employees) from raw.organizations").fetchone()[0] == sum(
        r["employees"] for r in ret["organizations"]
    )
    # secretary: key, birth year, sex and masked name
    po = ret["party_orgs"][0]
    row = con.execute(
        "select secretary_key, secretary_birth_year, secretary_sex, secretary_name, established_on, "
        "source_sheet, source_row, correction_no from raw.party_orgs where party_org_code = ?",
        [po["party_org_code"]],
    ).fetchone()
    assert row == (
        privacy.person_key(po["secretary_id"], KEY),
        int(po["secretary_id"][6:10]),
        privacy.sex(po["secretary_id"]),
        privacy.mask_name(po["secretary_name"]),
        po["established_on"],
        "表2 党组织情况",
        2,
        0,
    )


def test_repeated_loads_of_a_large_return_each_append_all_rows(tmp_path, world):
    # speed is measured in benchmarks/ (never asserted as a timing here): this checks the bulk path's result
    ret = biggest_return(world)
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    n_rows = sum(len(ret[f.key]) for f in forms.DATA_FORMS)
    for i in range(3):
        warehouse.load_submission(con, result_from_return(ret, sha_of(10 + i)), RECEIVED, secret=KEY)
    assert n_rows >= 200
    loaded = sum(con.execute(f"select count(*) from raw.{f.key}").fetchone()[0] for f in forms.DATA_FORMS)
    assert loaded == 3 * n_rows
    assert con.execute("select count(distinct submission_id) from raw.organizations").fetchone()[0] == 3


def test_rejected_loads_only_submission_and_hits(tmp_path, world):
    ret = biggest_return(world)
    hits = [
        RuleHit("R11", "E", "表3 党员队伍变动情况", 3, "期末应有数", "12", "[R11] 期末应有数应为 13", "M3"),
        RuleHit("R13", "W", "表3 党员队伍变动情况", 3, "期末实有数", "12", "[R13] 期末实有数≠期末应有数", "N3"),
    ]
    res = result_from_return(ret, sha_of(2), hits=hits)
    assert res.outcome == "rejected"
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    warehouse.load_submission(con, res, RECEIVED, "bad.xlsx", secret=KEY)
    counts = warehouse.table_counts(con)
    assert counts == {"submissions": 1, "rule_hits": 2, **{f.key: 0 for f in forms.DATA_FORMS}}
    assert con.execute("select outcome, error_count, warning_count from raw.submissions").fetchone() == (
        "rejected",
        1,
        1,
    )
    assert con.execute(
        "select rule_id, severity, row, column_header, cell, hit_no from raw.rule_hits order by hit_no"
    ).fetchall() == [("R11", "E", 3, "期末应有数", "M3", 0), ("R13", "W", 3, "期末实有数", "N3", 1)]


def test_load_is_all_or_nothing(tmp_path, world):
    ret = biggest_return(world)
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    warehouse.load_submission(con, result_from_return(ret, sha_of(1)), RECEIVED, secret=KEY)
    before = warehouse.table_counts(con)
    bad = result_from_return(ret, sha_of(3))
    # the last table loaded gets a value of the wrong type: everything before it must be rolled back
    bad.rows["mobile_members"][-1].values["since"] = "不是日期"
    with pytest.raises(Exception):
        warehouse.load_submission(con, bad, RECEIVED, secret=KEY)
    assert warehouse.table_counts(con) == before
    for table in warehouse.table_columns():
        assert con.execute(f"select count(*) from raw.{table} where submission_id = ?", [sha_of(3)]).fetchone()[0] == 0
    # the same connection is usable afterwards (no transaction left open)
    warehouse.load_submission(con, result_from_return(ret, sha_of(4)), RECEIVED, secret=KEY)
    assert warehouse.table_counts(con)["submissions"] == 2


def test_same_submission_id_cannot_be_loaded_twice(tmp_path, world):
    ret = biggest_return(world)
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    warehouse.load_submission(con, result_from_return(ret, sha_of(1)), RECEIVED, secret=KEY)
    before = warehouse.table_counts(con)
    with pytest.raises(Exception):
        warehouse.load_submission(con, result_from_return(ret, sha_of(1)), RECEIVED, secret=KEY)
    assert warehouse.table_counts(con) == before


def test_no_raw_id_reaches_the_database_file(tmp_path, world):
    ret = biggest_return(world)
    ids = all_ids(ret)
    assert len(ids) > 10
    some_id = sorted(ids)[0]
    names = {r["person_name"] for r in ret["attendance"] + ret["mobile_members"] if len(r["person_name"]) >= 2}
    db = tmp_path / "b.duckdb"
    con = warehouse.connect(db)
    con.execute("SET force_compression='uncompressed'")  # so that a stored string would be visible in the bytes
    warehouse.ensure_schema(con, KEY)
    hits = [
        RuleHit("I2", "E", "表5 参训人员", 3, "身份证号", some_id, f"[I2] 身份证号 {some_id} 校验位错误", "C3"),
        RuleHit("F5", "E", "表5 参训人员", 4, None, None, f"[F5] 键 (T1, {some_id}) 重复", None),
    ]
    warehouse.load_submission(con, result_from_return(ret, sha_of(5), hits=hits), RECEIVED, secret=KEY)  # rejected
    warehouse.load_submission(con, result_from_return(ret, sha_of(6)), RECEIVED, secret=KEY)  # accepted
    # no varchar column of any raw table holds an ID number or a full name
    for table, cols in warehouse.table_columns().items():
        for c, t, _ in cols:
            if t.startswith("VARCHAR"):
                vals = {r[0] for r in con.execute(f'select distinct "{c}" from raw.{table}').fetchall()}
                assert not vals & ids, (table, c)
                assert not vals & names, (table, c)
    stored = con.execute("select value, message from raw.rule_hits where rule_id = 'I2'").fetchone()
    assert stored[0] == "person_key:" + privacy.person_key(some_id, KEY)
    assert some_id not in stored[1]
    con.execute("CHECKPOINT")
    con.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("b.duckdb"))
    uscc = ret["organizations"][0]["uscc"].encode()
    assert uscc in blob  # positive control: uncompressed strings are visible in the file
    for i in ids:
        assert i.encode() not in blob and i.upper().encode() not in blob


def test_warehouse_context_answers_from_current_returns(tmp_path, world):
    ((unit, _),) = [k for k in world.returns if k[1] == "2020Q1"][:1]
    other = next(k[0] for k in world.returns if k[0] != unit)
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    q1 = world.returns[(unit, "2020Q1")]
    warehouse.load_submission(con, result_from_return(q1, sha_of(1)), RECEIVED, secret=KEY)
    # correction 1 with one Party organization's closing figure changed
    q1c = {k: [dict(r) for r in v] for k, v in q1.items()}
    q1c["member_flows"][0]["closing_actual"] += 1
    warehouse.load_submission(con, result_from_return(q1c, sha_of(2), correction_no=1), RECEIVED, secret=KEY)
    # a rejected correction 2 never counts
    warehouse.load_submission(
        con,
        result_from_return(
            q1, sha_of(3), correction_no=2, hits=[RuleHit("R11", "E", "表3 党员队伍变动情况", 2, None, None, "[R11] x")]
        ),
        RECEIVED,
        secret=KEY,
    )
    warehouse.load_submission(
        con, result_from_return(world.returns[(other, "2020Q1")], sha_of(4)), RECEIVED, secret=KEY
    )

    ctx = warehouse.WarehouseContext(con)
    assert ctx.accepted_corrections(unit, "2020Q1") == [0, 1]
    assert ctx.accepted_corrections(unit, "2020Q2") == []
    prev = ctx.previous_return(unit, "2020Q2")
    assert isinstance(prev, PreviousReturn)
    assert prev.party_orgs == {r["party_org_code"]: r["closing_actual"] for r in q1c["member_flows"]}
    assert prev.units == len(q1["organizations"])
    assert prev.party_org_count == len(q1["party_orgs"])
    assert prev.members == sum(r["closing_actual"] for r in q1c["member_flows"])
    assert ctx.previous_return(unit, "2020Q1") is None  # Q1 looks at 2019Q4: nothing loaded
    assert ctx.previous_return(unit, "2020Q3") is None
    code = q1["party_orgs"][0]["party_org_code"]
    assert ctx.party_org_owner(code) == unit
    assert ctx.party_org_owner("NO-SUCH-ORG") is None
    alive = next(r["uscc"] for r in q1["organizations"] if r["reg_status"] == "存续")
    assert ctx.uscc_owners(alive, "2020Q1") == {unit}
    assert ctx.uscc_owners(alive, "2020Q2") == set()
    vc = ctx.validation_context(received_on=dt.date(2021, 1, 5))
    assert vc.accepted_corrections(unit, "2020Q1") == [0, 1]


def test_previous_return_of_q1_is_last_years_q4(tmp_path, world):
    unit = world.communities[0]["unit_code"]
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    ret = {k: [dict(r) for r in v] for k, v in world.returns[(unit, "2020Q3")].items()}
    ret["cover"][0]["period"] = "2020Q4"
    warehouse.load_submission(con, result_from_return(ret, sha_of(9)), RECEIVED, secret=KEY)
    prev = warehouse.WarehouseContext(con).previous_return(unit, "2021Q1")
    assert prev is not None and prev.party_org_count == len(ret["party_orgs"])


def test_create_database_is_atomic_and_replaces_an_empty_leftover(tmp_path):
    db = tmp_path / "d" / "build.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"")  # what a process killed while DuckDB created the file leaves behind
    assert warehouse.create_database(db, KEY) is True
    assert warehouse.create_database(db, KEY) is False
    con = warehouse.connect(db)
    assert warehouse.table_counts(con)["submissions"] == 0
    con.close()
    assert sorted(p.name for p in db.parent.iterdir()) == ["build.duckdb"]


def _answers(ctx, units, periods, usccs, codes):
    """Every answer the validator can ask of a context, over the given keys."""
    return {
        "corrections": {(u, p): ctx.accepted_corrections(u, p) for u in units for p in periods},
        "previous": {(u, p): ctx.previous_return(u, p) for u in units for p in periods},
        "next": {(u, p): ctx.next_return(u, p) for u in units for p in periods},
        "uscc": {(x, p): ctx.uscc_owners(x, p) for x in usccs for p in periods},
        "org": {c: ctx.party_org_owner(c) for c in codes},
    }


def test_session_index_answers_like_the_database_for_files_not_yet_written(tmp_path, world):
    """SessionIndex (database + files noted in this session) == WarehouseContext once they are written."""
    units = [c["unit_code"] for c in world.communities[:6]]
    periods = ["2020Q1", "2020Q2", "2020Q3"]
    con = warehouse.connect(tmp_path / "b.duckdb")
    warehouse.ensure_schema(con, KEY)
    for i, u in enumerate(units):  # already in the database: Q1 of every unit
        warehouse.load_submission(
            con, result_from_return(world.returns[(u, "2020Q1")], sha_of(100 + i)), RECEIVED, secret=KEY
        )
    idx = warehouse.SessionIndex(con)
    idx.uscc_owners("X", "2020Q1")  # warehouse-wide maps read before the new files arrive
    idx.party_org_owner("X")
    later = dt.datetime(2021, 2, 1, tzinfo=dt.timezone.utc)
    news = []
    for i, u in enumerate(units):  # Q2 of every unit; Q3 of half of them
        news.append(result_from_return(world.returns[(u, "2020Q2")], sha_of(200 + i)))
        if i % 2:
            news.append(result_from_return(world.returns[(u, "2020Q3")], sha_of(300 + i)))
    # a correction of Q1 for unit 0 that moves one alive unit (uscc) and one Party organization to unit 1's
    # numbers, and a rejected correction that must never count
    q1 = {k: [dict(r) for r in v] for k, v in world.returns[(units[0], "2020Q1")].items()}
    q1["member_flows"][0]["closing_actual"] += 2
    q1["organizations"] = q1["organizations"][1:]
    news.append(result_from_return(q1, sha_of(400), correction_no=1))
    news.append(
        result_from_return(
            q1,
            sha_of(401),
            correction_no=2,
            hits=[RuleHit("R11", "E", "表3 党员队伍变动情况", 2, None, None, "[R11] x")],
        )
    )
    for r in news:
        idx.note(r, later)
    usccs = sorted({r["uscc"] for u in units for p in periods for r in world.returns[(u, p)]["organizations"]})
    codes = sorted({r["party_org_code"] for u in units for p in periods for r in world.returns[(u, p)]["party_orgs"]})
    from_memory = _answers(idx, units, periods + ["2020Q4"], usccs, codes + ["NO-SUCH"])
    assert idx.exists(sha_of(400)) and idx.exists(sha_of(100)) and not idx.exists(sha_of(999))
    warehouse.load_submissions(con, [(r, later, None) for r in news], KEY)
    from_db = _answers(warehouse.WarehouseContext(con), units, periods + ["2020Q4"], usccs, codes + ["NO-SUCH"])
    assert from_memory == from_db
    assert from_db["corrections"][(units[0], "2020Q1")] == [0, 1]  # the positive controls of the comparison
    # Q2 and Q3 look back at Q1 and Q2 (every unit), Q4 at Q3 (half of them)
    assert sum(v is not None for v in from_db["previous"].values()) == 2 * len(units) + len(units) // 2
    # P6: Q1 and Q2 look forward to Q2 (every unit) and Q3 (half of them), with Q2's / Q3's openings
    assert sum(v is not None for v in from_db["next"].values()) == len(units) + len(units) // 2
    n = from_db["next"][(units[1], "2020Q2")]
    assert n.period == "2020Q3" and n.openings == {
        r["party_org_code"]: r["opening"] for r in world.returns[(units[1], "2020Q3")]["member_flows"]
    }
    assert any(from_db["uscc"].values()) and any(from_db["org"].values())
    # a fresh session over the written files answers the same from the database alone
    assert _answers(warehouse.SessionIndex(con), units, periods + ["2020Q4"], usccs, codes + ["NO-SUCH"]) == from_db


def test_raw_columns_have_one_definition_and_an_older_database_gains_new_ones(tmp_path):
    """raw.* columns come from liangxin.forms only; a database made before a column existed gets it (empty)."""
    assert [c for c, _, _ in warehouse.table_columns()["submissions"]] == [c for c, _, _ in forms.submission_columns()]
    assert [c for c, _, _ in warehouse.table_columns()["rule_hits"]][-1] == "hit_no"
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE SCHEMA raw")
        cols = [(c, t) for c, t, _ in forms.submission_columns() if c != "backfill"]
        con.execute("CREATE TABLE raw.submissions (" + ", ".join(f'"{c}" {t}' for c, t in cols) + ")")
        con.execute("INSERT INTO raw.submissions (submission_id, outcome) VALUES ('x', 'accepted')")
        warehouse.ensure_schema(con)
        got = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'raw' AND table_name = 'submissions' ORDER BY ordinal_position"
            ).fetchall()
        ]
        assert got == [c for c, _, _ in forms.submission_columns()]
        assert con.execute("SELECT submission_id, backfill FROM raw.submissions").fetchall() == [("x", None)]
        assert set(warehouse.table_counts(con)) == set(forms.raw_tables())
    finally:
        con.close()
