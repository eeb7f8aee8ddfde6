"""The serving contract (issue 16, decisions D140): ``serve.duckdb`` holds exactly the public dbt models, with
the declared columns and types, and no person-level column; every fixed name a consumer reads is public; a
contract that makes a person-level column public fails the publish."""

from __future__ import annotations

import json

import duckdb
import pytest

from contract_manifest import write_manifest
from liangxin import contract
from liangxin.contract import ContractError, load_public_models
from liangxin.serving import person_columns, publish_snapshot


@pytest.fixture(scope="module")
def pipe():
    from hostile.pipeline import full_pipeline

    return full_pipeline()  # generate → ingest → dbt build → publish_snapshot (the project's manifest)


@pytest.fixture(scope="module")
def public():
    return {m.name: m for m in load_public_models()}


def _serve_columns(serve) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(serve), read_only=True)
    try:
        out: dict[str, list[tuple[str, str]]] = {}
        for s, t, c, d in con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall():
            out.setdefault(f"{s}.{t}", []).append((c, d))
        return out
    finally:
        con.close()


def test_the_contract_is_the_published_models(public):
    # the marts (but the person-level attendance), the annual rpt_* tables and the ref tables, nothing else
    assert {n.split(".")[0] for n in public} == {"marts", "annual", "ref"}
    assert "marts.fct_training_attendance" not in public
    assert all(n.split(".")[1].startswith("rpt_") for n in public if n.startswith("annual."))
    assert {"marts.fct_indicators", "annual.rpt_annual_t1", "ref.indicators", "ref.communities"} <= set(public)
    assert len(public) == 38
    for m in public.values():
        assert m.group in ("indicators", "annual", "reference"), m.name
        assert m.description, m.name
        assert m.columns and all(t for _, t in m.columns), m.name  # every column declared with its type
    # every fixed name a consumer reads is a public model
    assert set(contract.CONSUMED) <= set(public), set(contract.CONSUMED) - set(public)
    # dbt enforces each public model's contract (a wrong declared type fails dbt build); the rest is protected
    from liangxin.contract import _fresh_manifest

    nodes = json.loads(_fresh_manifest().read_text(encoding="utf-8"))["nodes"].values()
    models = [n for n in nodes if n["resource_type"] == "model"]
    assert all(n["config"]["contract"]["enforced"] for n in models if n["access"] == "public")
    assert {n["access"] for n in models if n["access"] != "public"} == {"protected"}
    assert {n["name"] for n in models if n["access"] == "public"} == {m.model for m in public.values()}


def test_serve_holds_exactly_the_public_models_with_their_declared_columns(pipe, public):
    served = _serve_columns(pipe.serve)
    assert set(served) == set(public)  # both directions
    for name, m in public.items():
        assert served[name] == list(m.columns), name  # names, types and order as declared
    personal = person_columns()
    leaked = {n: [c for c, _ in cols if c.lower() in personal] for n, cols in served.items()}
    assert not any(leaked.values()), leaked
    # the build file still has what is not published
    con = duckdb.connect(str(pipe.db), read_only=True)
    try:
        n = con.execute("select count(*) from marts.fct_training_attendance").fetchone()[0]
    finally:
        con.close()
    assert n > 0


def test_the_serving_tables_carry_the_model_descriptions(pipe, public):
    con = duckdb.connect(str(pipe.serve), read_only=True)
    try:
        comments = {
            f"{s}.{t}": c
            for s, t, c in con.execute("select schema_name, table_name, comment from duckdb_tables()").fetchall()
        }
    finally:
        con.close()
    assert comments == {n: m.description for n, m in public.items()}


def test_exposures_read_public_models_only():
    from liangxin.contract import _fresh_manifest

    manifest = json.loads(_fresh_manifest().read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    exposures = manifest["exposures"]
    names = {e["name"] for e in exposures.values()}
    assert {"static_dashboard", "annual_workbook", "superset_datasets", "liangxin_sql"} <= names
    for e in exposures.values():
        deps = e["depends_on"]["nodes"]
        assert deps, e["name"]
        for d in deps:
            assert nodes[d].get("access") == "public", (e["name"], d)


@pytest.fixture()
def tiny_build(tmp_path):
    db = tmp_path / "build.duckdb"
    con = duckdb.connect(str(db))
    con.execute("""create schema marts;
        create table marts.kpi_x as select 'district' as level, 3 as n;
        create table marts.fct_people as select 'district' as level, 'KEY-PERSON-0001' as person_key""")
    con.close()
    return db


def test_a_public_model_declaring_a_person_level_column_fails_the_publish(tiny_build, tmp_path):
    manifest = write_manifest(
        tmp_path / "manifest.json",
        {
            "marts.kpi_x": [("level", "VARCHAR"), ("n", "INTEGER")],
            "marts.fct_people": [("level", "VARCHAR"), ("person_key", "VARCHAR")],
        },
    )
    serve = tmp_path / "serve.duckdb"
    with pytest.raises(ContractError, match=r"公开模型含个人级字段.*marts\.fct_people（person_key）"):
        publish_snapshot(tiny_build, serve, manifest=manifest)
    assert not serve.exists() and not list(tmp_path.glob(".serve-*"))  # nothing published, not even kpi_x


def test_a_built_person_level_column_the_contract_does_not_declare_fails_the_publish(tiny_build, tmp_path):
    # the manifest says fct_people has no person-level column, the build file has one (a contract not enforced)
    manifest = write_manifest(
        tmp_path / "manifest.json",
        {"marts.kpi_x": [("level", "VARCHAR"), ("n", "INTEGER")], "marts.fct_people": [("level", "VARCHAR")]},
    )
    serve = tmp_path / "serve.duckdb"
    with pytest.raises(ContractError, match=r"marts\.fct_people 含个人级字段 person_key"):
        publish_snapshot(tiny_build, serve, manifest=manifest)
    assert not serve.exists() and not list(tmp_path.glob(".serve-*"))
    # the same build with the person-level model protected publishes kpi_x alone
    write_manifest(
        manifest,
        {"marts.kpi_x": [("level", "VARCHAR"), ("n", "INTEGER")]},
        protected={"marts.fct_people": [("level", "VARCHAR"), ("person_key", "VARCHAR")]},
    )
    publish_snapshot(tiny_build, serve, manifest=manifest)
    assert set(_serve_columns(serve)) == {"marts.kpi_x"}
    assert b"KEY-PERSON-0001" not in serve.read_bytes()
