"""A city-tier register reaches dbt (decisions D55): with ``LIANGXIN_REGISTER`` set, the real path — the generator's
workbooks → Dagster ingestion → the Dagster build job (dbt build in its own process) → serving snapshot — gives
indicators for communities that are not in the district seeds, equal to the generator's truth.

A small city world: the first 62 communities of the city register (all 60 of district 330201 and two of 330202:
a city has several districts, and the annual tables must keep them apart), one quarter,
written by ``liangxin generate`` exactly as an operator would (``register.csv`` and ``development_quotas.csv``
beside the workbooks).  The register is given as a *relative* path: dbt runs with the project folder as its
working directory, so the pipeline must hand it an absolute one.
"""

import json
import os

import duckdb
import pytest

from liangxin.settings import Settings

from test_end_to_end import _compare

pytestmark = pytest.mark.slow

PERIOD, SEED, N = "2021Q4", 20201, 62


def _clear_register_caches():
    from liangxin import seeds

    seeds.communities.cache_clear()
    seeds.development_quotas.cache_clear()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from dagster import DagsterInstance

    from liangxin.pipeline import build_and_publish, ingest_through_dagster

    tmp = tmp_path_factory.mktemp("city")
    out = tmp / "generated"
    truth_path = tmp / "truth.json"
    from typer.testing import CliRunner

    from liangxin.cli import app

    gen = CliRunner().invoke(
        app,
        [
            "generate",
            "--tier",
            "city",
            "--from",
            PERIOD,
            "--to",
            PERIOD,
            "--communities",
            str(N),
            "--seed",
            str(SEED),
            "--out",
            str(out),
            "--truth",
            str(truth_path),
        ],
    )
    assert gen.exit_code == 0, gen.output[-3000:]
    assert (out / "register.csv").exists() and (out / "development_quotas.csv").exists()

    env = {
        "LIANGXIN_HOME": str(tmp / "data"),
        "LIANGXIN_BUILD": str(tmp / "build"),
        "LIANGXIN_ANNUAL_PDF": "0",
        "LIANGXIN_HMAC_SECRET": "city-register-test-secret",
        "LIANGXIN_REGISTER": os.path.relpath(out / "register.csv"),  # relative on purpose (see the docstring)
    }
    saved = {k: os.environ.get(k) for k in (*env, "LIANGXIN_DEVELOPMENT_QUOTAS")}
    os.environ.update(env)
    os.environ.pop("LIANGXIN_DEVELOPMENT_QUOTAS", None)  # found beside the register
    _clear_register_caches()
    try:
        instance = DagsterInstance.ephemeral()
        ingest_through_dagster([out], settings=Settings.from_env(), instance=instance)
        built = build_and_publish(settings=Settings.from_env(), instance=instance, force=True)
        yield {
            "tmp": tmp,
            "out": out,
            "built": built,
            "truth": json.loads(truth_path.read_text(encoding="utf-8"))["values"],
        }
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _clear_register_caches()


def _serve(city):
    return duckdb.connect(str(city["tmp"] / "data" / "serve.duckdb"), read_only=True)


def test_every_city_return_accepted(city):
    con = duckdb.connect(str(city["tmp"] / "data" / "build.duckdb"), read_only=True)  # raw: not published
    try:
        outcomes = dict(con.execute("select outcome, count(*) from raw.submissions group by 1").fetchall())
    finally:
        con.close()
    assert outcomes.get("rejected", 0) == 0 and sum(outcomes.values()) == N, outcomes


def test_ref_layer_is_seeds_plus_register(city):
    con = _serve(city)
    try:
        codes = {r[0] for r in con.execute("select unit_code from ref.communities").fetchall()}
        streets = dict(con.execute("select street_code, district_code from ref.streets").fetchall())
        quotas = con.execute("select count(*) from ref.development_quotas where unit_code like '330201%'").fetchone()[0]
    finally:
        con.close()
    build = duckdb.connect(str(city["tmp"] / "data" / "build.duckdb"), read_only=True)  # seeds: not published (D141)
    try:
        seed = {r[0] for r in build.execute("select unit_code from ref.communities_seed").fetchall()}
    finally:
        build.close()
    city_codes = {c for c in codes if c.startswith(("330201", "330202"))}
    assert len(seed) == 60 and seed <= codes and len(city_codes) == N and len(codes) == 60 + N
    assert streets.get("330201001") == "330201" and streets.get("330201002") == "330201"
    assert quotas > 0


def test_city_indicators_equal_the_truth(city):
    truth = city["truth"]
    entities = {(t["level"], t["entity_code"]) for t in truth}
    con = _serve(city)
    try:
        rows = con.execute(
            "select indicator_id, level, entity_code, period, numerator, denominator, value, "
            "null_reason from marts.fct_indicators"
        ).fetchall()
    finally:
        con.close()
    warehouse = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows if (r[1], r[2]) in entities}
    k1 = {k: v for k, v in warehouse.items() if k[0] == "K1" and k[1] == "community"}
    assert len(k1) == N and all(k[2].startswith(("330201", "330202")) for k in k1)
    assert all(v[1] for v in k1.values())  # a real denominator (党建基数), not an empty community
    # K20 is judged on receipt times (D84), which truth.json (written before anything is received) cannot know;
    # test_end_to_end compares K20 with the receipt facts
    truth = [t for t in truth if t["indicator_id"] != "K20"]
    warehouse = {k: v for k, v in warehouse.items() if k[0] != "K20"}
    n = _compare(truth, warehouse)
    print(f"\n{n} city indicator values compared with the generator's truth: all equal")
    assert n > 400


def test_dashboard_lists_the_city_communities(city):
    html = (city["tmp"] / "build" / "dashboard" / "index.html").read_text(encoding="utf-8")
    with open(city["out"] / "register.csv", encoding="utf-8") as fh:
        first = fh.read().splitlines()[1].split(",")
    assert first[0] in html and first[1] in html


def test_two_districts_keep_their_own_annual_rows(city):
    """表四's quarterly rows of each district follow that district's own rows (they all had row 14 before, and a
    city's build failed its uniqueness test on rpt_annual_cells)."""
    con = duckdb.connect(str(city["tmp"] / "data" / "build.duckdb"), read_only=True)
    try:
        districts = con.execute(
            "select entity_code, row_order from annual.rpt_annual_t4 where level = 'district' and period_type = "
            "'year' order by row_order"
        ).fetchall()
        quarters = con.execute(
            "select entity_code, row_order from annual.rpt_annual_t4 where level = 'district' and period_type = "
            "'quarter' order by row_order"
        ).fetchall()
        dup = con.execute(
            "select count(*) from (select year, table_no, row_order, col_order from annual.rpt_annual_cells "
            "group by all having count(*) > 1)"
        ).fetchone()[0]
    finally:
        con.close()
    first = dict(districts)  # with the seeds' district 330199, which has no returns here
    assert {"330201", "330202"} <= set(first) and len(set(first.values())) == len(first)
    assert sorted(quarters) == [(d, first[d] + 14) for d in ("330201", "330202")]  # 2021Q4 = quarter 4
    assert dup == 0
