"""``liangxin explain`` for every indicator family (issue 15, point 5; D160–D162).

A small generated world (4 communities, 2020) is loaded straight into raw.* (tests/dbt_fixture.load_world) with the
person keys pseudonymised (``P`` + md5, as the HMAC would: no ID number in the warehouse) and dbt builds it.  For each
family the members ``explain`` lists are compared with an expectation computed here from the generator's returns
(not from the warehouse), their row numbers with the returns' row order, and every indicator's member totals with
``liangxin.truth.compute_truth`` (independent Python oracle) and with ``marts.fct_indicators``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

import dbt_fixture as fx

pytest.importorskip("liangxin.generator")
from liangxin import explain as ex  # noqa: E402
from liangxin import truth  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LIANGXIN = str(Path(sys.executable).parent / "liangxin")
ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
QUARTERS = ["2020Q1", "2020Q2", "2020Q3", "2020Q4"]
PLANTED_ID = "110101199003071234"  # planted in a Party organization's name: must never be printed


def pk(v) -> str:
    """The person key of an ID as this fixture pseudonymises it (load_world's key, then md5)."""
    return "P" + hashlib.md5(str(v).strip().upper().encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_world):
    world = make_world(end="2020Q4", communities=4)
    work = tmp_path_factory.mktemp("explain")
    db = work / "build.duckdb"
    fx.load_world(db, world)
    c0 = world.communities[0]["unit_code"]
    con = duckdb.connect(str(db))
    try:
        for (table,) in con.execute(
            "select distinct table_name from information_schema.columns "
            "where table_schema = 'raw' and column_name like '%\\_key' escape '\\'"
        ).fetchall():
            for (col,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' "
                "and table_name = ? and column_name like '%\\_key' escape '\\'",
                [table],
            ).fetchall():
                con.execute(f"update raw.{table} set {col} = 'P' || substr(md5({col}), 1, 16) where {col} is not null")
        # hostile text in a submission: an ID-shaped number in a name, a formula in a unit's name
        con.execute(
            "update raw.party_orgs set party_org_name = party_org_name || ? where submission_id = ? and source_row = 2",
            [PLANTED_ID, f"{c0}-2020Q4"],
        )
        con.execute(
            "update raw.organizations set org_name = '=1+1' || org_name where submission_id = ? and source_row = 2",
            [f"{c0}-2020Q3"],
        )
    finally:
        con.close()
    proc = fx.run_dbt_build(db, work)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    yield {"world": world, "db": db, "con": con, "c0": c0}
    con.close()


def _explain(b, indicator, unit, period):
    rows = ex.explain(indicator, unit, period, b["con"])
    pub, n_num, n_den = ex.check_against_published(indicator, unit, period, b["con"], rows)
    assert n_num == pub.numerator and n_den == pub.denominator, (indicator, unit, period, n_num, n_den, pub)
    num = [r for r in rows if r.role == ex.NUMERATOR]
    den = [r for r in rows if r.role == ex.DENOMINATOR]
    return num, den, pub


def _row_of(ret: dict, form: str, key: str, value) -> int:
    return next(i for i, x in enumerate(ret[form], start=2) if x[key] == value)


# --------------------------------------------------------------------------------------------------
# every indicator: member totals = the published value = the independent oracle
# --------------------------------------------------------------------------------------------------
def test_every_indicator_is_explained_and_its_members_add_up(built):
    con, c0 = built["con"], built["c0"]
    street = built["world"].communities[0]["street_code"]
    oracle = {
        (r["indicator_id"], r["level"], r["entity_code"], r["period"]): r for r in truth.compute_truth(built["world"])
    }
    published = {r[0] for r in con.execute("select distinct indicator_id from marts.fct_indicators").fetchall()}
    seeded = {r[0] for r in con.execute("select indicator_id from ref.indicators").fetchall()}
    assert seeded <= set(ex.SPECS), sorted(seeded - set(ex.SPECS))  # every family of indicators.csv
    checked = Counter()
    for ind in sorted(published):
        for level, entity in (("community", c0), ("street", street), ("district", "330199")):
            for period in ("2020Q2", "2020Q4", "2020"):
                try:
                    rows = ex.explain(ind, entity, period, con)
                except ex.ExplainError:
                    continue  # no value for that period (quarter-only or year-only indicator)
                pub, n_num, n_den = ex.check_against_published(ind, entity, period, con, rows)
                assert (n_num, n_den) == (pub.numerator, pub.denominator), (ind, entity, period)
                o = oracle.get((ind, level, entity, period))
                # the oracle's register is the world's 4 communities, the warehouse's the 60 of seeds/communities.csv:
                # K10 and K20 count register communities above community level
                if o is not None and not (ind in ("K10", "K20") and level != "community"):
                    assert n_num == o["numerator"], (ind, entity, period, n_num, o)
                    if n_den is not None:
                        assert n_den == o["denominator"], (ind, entity, period, n_den, o)
                checked[ind] += 1
    assert set(checked) == published and min(checked.values()) >= 3, checked


# --------------------------------------------------------------------------------------------------
# each family: the listed members against the generator's returns
# --------------------------------------------------------------------------------------------------
def test_units_k1(built):
    c0 = built["c0"]
    ret = built["world"].returns[(c0, "2020Q3")]
    social = {"社会团体", "民办非企业单位", "基金会", "律师事务所", "会计师事务所", "税务师事务所"}
    den = {
        o["uscc"]
        for o in ret["organizations"]
        if o.get("reg_status") == "存续"
        and not str(o["uscc"]).startswith("92")
        and (
            o.get("org_category") in social
            or (o.get("operating") and o.get("fixed_premises") and (o.get("employees") or 0) >= 10)
        )
    }
    num = {u for u in den if next(o for o in ret["organizations"] if o["uscc"] == u)["party_status"] == "单独建立"}
    n, d, _ = _explain(built, "K1", c0, "2020Q3")
    assert ({r.key for r in n}, {r.key for r in d}) == (num, den)
    for r in n + d:
        assert (r.kind, r.sheet, r.original_name) == (ex.UNIT, "表1 两新组织情况", f"{c0}-2020Q3.xlsx")
        assert r.row == _row_of(ret, "organizations", "uscc", r.key) and r.uscc == r.key  # old name kept


def test_party_organizations_k13_and_k23(built):
    c0 = built["c0"]
    ret = built["world"].returns[(c0, "2020Q4")]
    orgs = ret["party_orgs"]
    n, d, _ = _explain(built, "K23", c0, "2020Q4")
    assert {r.key for r in d} == {p["party_org_code"] for p in orgs}
    assert {r.key for r in n} == {p["party_org_code"] for p in orgs if p["has_venue"]}
    for r in n + d:
        assert r.kind == ex.PARTY_ORG and r.sheet == "表2 党组织情况"
        assert r.row == _row_of(ret, "party_orgs", "party_org_code", r.key)
    n, d, _ = _explain(built, "K13", c0, "2020Q4")
    whole = [p for p in orgs if p["established_on"] <= dt.date(2020, 10, 1)]
    assert {r.key for r in d} == {p["party_org_code"] for p in whole}
    assert {r.key for r in n} == {p["party_org_code"] for p in whole if (p["study_sessions"] or 0) >= 1}


def _functional(ret) -> set:
    return {p["party_org_code"] for p in ret["party_orgs"] if p["formation_mode"] == "功能型"}


def test_member_flow_sums_k7a_year_and_k8_span(built):
    c0, world = built["c0"], built["world"]
    expected = Counter()
    for q in QUARTERS:
        ret = world.returns[(c0, q)]
        for f in ret["member_flows"]:
            if f["party_org_code"] not in _functional(ret) and f["developed"]:
                expected[
                    (
                        q,
                        f["party_org_code"],
                        f["developed"],
                        _row_of(ret, "member_flows", "party_org_code", f["party_org_code"]),
                    )
                ] += 1
    n, _, pub = _explain(built, "K7a", c0, "2020")
    assert Counter((r.period, r.key, r.value, r.row) for r in n) == expected
    assert sum(k[2] * v for k, v in expected.items()) == pub.numerator
    assert all(r.kind == ex.FLOW_ROW and r.sheet == "表3 党员队伍变动情况" for r in n)
    # K8 year: Q4 期末实有数 (+) and Q1 期初党员数 (−) of the non-functional organizations
    q1, q4 = world.returns[(c0, "2020Q1")], world.returns[(c0, "2020Q4")]
    plus = sum(f["closing_actual"] or 0 for f in q4["member_flows"] if f["party_org_code"] not in _functional(q4))
    minus = sum(f["opening"] or 0 for f in q1["member_flows"] if f["party_org_code"] not in _functional(q1))
    n, d, pub = _explain(built, "K8r", c0, "2020")
    assert sum(r.value for r in n) == plus - minus == pub.numerator
    assert sum(r.value for r in d) == minus == pub.denominator
    assert {r.period for r in n} == {"2020Q1", "2020Q4"} and {r.period for r in d} == {"2020Q1"}


def test_ledger_rows_k18_by_person_key(built):
    c0 = built["c0"]
    ret = built["world"].returns[(c0, "2020Q4")]
    active = [m for m in ret["mobile_members"] if m["direction"] == "流入" and m["status"] == "在流动"]
    n, d, _ = _explain(built, "K18", c0, "2020Q4")
    assert Counter(r.key for r in d) == Counter(pk(m["person_id"]) for m in active)
    assert Counter(r.key for r in n) == Counter(pk(m["person_id"]) for m in active if m["verified_on"])
    for r in n + d:
        assert r.kind == ex.LEDGER_ROW and r.name == "" and r.sheet == "表6 流动党员台账"
        assert r.row == next(
            i
            for i, m in enumerate(ret["mobile_members"], start=2)
            if pk(m["person_id"]) == r.key and m["direction"] == "流入"
        )


def test_secretaries_k9_persons(built):
    c0, world = built["c0"], built["world"]
    secretaries = {
        pk(p["secretary_id"]) for q in QUARTERS for p in world.returns[(c0, q)]["party_orgs"] if p.get("secretary_id")
    }
    trained = set()
    for (_, period), ret in world.returns.items():
        types = {t["training_code"]: t["training_type"] for t in ret["trainings"]}
        for a in ret["attendance"]:
            if (
                period.startswith("2020")
                and a["role"] == "书记"
                and types.get(a["training_code"]) in ("任职培训", "集中培训")
            ):
                trained.add(pk(a["person_id"]))
    n, d, _ = _explain(built, "K9", c0, "2020")
    assert {r.key for r in d} == secretaries and {r.key for r in n} == secretaries & trained
    assert all(r.kind == ex.PERSON and r.name == "" and r.sheet == "表2 党组织情况" and r.row >= 2 for r in n + d)


def test_events_k12_distinct_codes_in_the_district(built):
    expected = {
        t["training_code"]
        for (_, period), ret in built["world"].returns.items()
        if period.startswith("2020")
        for t in ret["trainings"]
        if t["organizer_level"] == "区级" and t["training_type"] in ("任职培训", "集中培训")
    }
    n, _, pub = _explain(built, "K12", "330199", "2020")
    assert {r.key for r in n} == expected and pub.numerator == len(expected)
    assert all(r.kind == ex.EVENT and r.sheet == "表4 培训情况" for r in n)


def test_communities_k20_first_receipt_against_the_deadline(built):
    world = built["world"]
    street = world.communities[0]["street_code"]
    with open(REPO / "seeds" / "communities.csv", encoding="utf-8") as fh:
        register = {r["unit_code"] for r in csv.DictReader(fh) if r["street_code"] == street}
    with open(REPO / "seeds" / "deadlines.csv", encoding="utf-8") as fh:
        deadline = {r["period"]: dt.date.fromisoformat(r["deadline"]) for r in csv.DictReader(fh)}["2020Q2"]

    def submitted_on(c):
        cover = world.returns[(c, "2020Q2")]["cover"]
        return (cover[0] if isinstance(cover, list) else cover)["submitted_on"]

    on_time = {c for c in register if (c, "2020Q2") in world.returns and submitted_on(c) <= deadline}
    n, d, _ = _explain(built, "K20", street, "2020Q2")
    assert {r.key for r in d} == register and {r.key for r in n} == on_time
    missing = [r for r in d if (r.key, "2020Q2") not in world.returns]
    assert missing and all("未报送" in r.detail and r.sheet == "社区名册" for r in missing)
    assert all(r.original_name == f"{r.key}-2020Q2.xlsx" for r in n)


def test_k10_communities_that_organized_both_classes(built):
    n, d, pub = _explain(built, "K10", "330199", "2020")
    assert len(d) == pub.denominator == 60  # the register's communities
    assert all("达标" in r.detail and "党务干部培训" in r.detail and "出资人培训" in r.detail for r in n)


# --------------------------------------------------------------------------------------------------
# the CLI: readable output, no ID, hostile text neutralised
# --------------------------------------------------------------------------------------------------
def _cli(b, tmp_path, *args):
    out = tmp_path / "x.csv"
    r = subprocess.run(
        [LIANGXIN, "explain", *args, "--db", str(b["db"]), "--limit", "0", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "明细与发布值一致" in r.stdout
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    return r.stdout, rows, out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "args",
    [
        ("K9", "--unit", "330199", "--period", "2020"),
        ("K18", "--unit", "330199", "--period", "2020Q4"),
        ("K23", "--unit", "330199", "--period", "2020Q4"),
        ("K7a", "--unit", "330199", "--period", "2020"),
        ("K20", "--unit", "330199", "--period", "2020Q1"),
        ("K1", "--unit", "330199", "--period", "2020Q3"),
    ],
)
def test_cli_output_has_no_raw_id_and_no_person_name(built, tmp_path, args):
    stdout, rows, text = _cli(built, tmp_path, *args)
    assert rows and not ID_PATTERN.search(stdout + text)
    ids = {
        str(v)
        for ret in built["world"].returns.values()
        for form in ("party_orgs", "attendance", "mobile_members")
        for x in ret[form]
        for k, v in x.items()
        if k.endswith("_id") and v
    }
    names = {
        str(v)
        for ret in built["world"].returns.values()
        for form in ("party_orgs", "attendance", "mobile_members")
        for x in ret[form]
        for k, v in x.items()
        if k.endswith("_name") and k != "party_org_name" and v
    }
    assert not [i for i in ids if i in stdout or i in text]
    for r in rows:
        if r["成员类型"] in (ex.PERSON, ex.LEDGER_ROW):
            assert r["名称"] == "" and r["编号"].startswith("P") and r["编号"] not in names


def test_cli_neutralises_submitted_text(built, tmp_path):
    stdout, rows, text = _cli(built, tmp_path, "K23", "--unit", built["c0"], "--period", "2020Q4")
    assert PLANTED_ID not in stdout + text and "［身份证号已隐去］" in text
    stdout, rows, _ = _cli(built, tmp_path, "N_U", "--unit", built["c0"], "--period", "2020Q3")
    assert any(r["名称"].startswith("'=1+1") for r in rows)  # a formula stays text in the CSV


def test_unknown_indicator_lists_every_explainable_one(built, tmp_path):
    r = subprocess.run(
        [LIANGXIN, "explain", "K99", "--unit", "330199", "--period", "2020", "--db", str(built["db"])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    err = " ".join(r.stderr.split()).replace(" ", "")
    for i in ("K7a", "K9", "K10", "K12", "K13", "K18", "K20", "K24"):
        assert f"{i}" in err
