"""One dbt project, two targets (issue 18): the same small generated world built on DuckDB and on Apache Spark
(dbt-spark, session method, local[2]) must give the same fct_indicators and the same annual return, cell by cell.

DuckDB builds from raw.* in the build file (the loader's tables); the spark target builds from the Parquet raw
layer exported from that file (liangxin.raw_files), so the test also proves that the layer carries everything the
models read.  Spark's tables are plain Parquet directories in its warehouse and are read back with DuckDB.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import dbt_fixture as fx

from liangxin.generator import build_world
from liangxin.raw_files import export_raw_parquet, raw_tables


def _spark_missing() -> str | None:
    """Why the spark tests cannot run here, or None."""
    if shutil.which("java") is None:
        return "no Java on PATH: the spark target needs a JVM (Java 17)"
    missing = [m for m in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(m) is None]
    if missing:
        return f"spark extra not installed ({', '.join(missing)}): pip install -e '.[spark]'"
    return None


# the compared relations: the indicators and every table of the annual return (rpt_annual_t1..t9, the cells
# written to the .xlsx, the verdict)
COMPARED = (
    [("marts", "fct_indicators")]
    + [("annual", f"rpt_annual_t{i}") for i in range(1, 10)]
    + [("annual", "rpt_annual_cells"), ("annual", "rpt_annual_verdict")]
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    reason = _spark_missing()
    if reason:
        pytest.skip(reason)
    from liangxin.spark import SparkTarget, dbt_spark_command, export_relations

    work = tmp_path_factory.mktemp("spark")
    world = build_world(tier="district", start="2019Q1", end="2020Q4", seed=20201, communities=6)
    db = work / "build.duckdb"
    fx.load_world(db, world)
    proc = fx.run_dbt_build(db, work / "duckdb")
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-4000:]
    counts = export_raw_parquet(db, work / "raw_parquet")
    target = SparkTarget(home=work / "spark")
    target.home.mkdir()
    cmd = dbt_spark_command(
        fx.dbt_executable(),
        fx.DBT_PROJECT,
        target,
        work / "raw_parquet",
        extra=["--resource-type", "seed", "--resource-type", "model"],
    )
    spark = subprocess.run(cmd, cwd=target.home, capture_output=True, text=True, timeout=3600)
    assert spark.returncode == 0, spark.stdout[-8000:] + spark.stderr[-4000:]
    # read back through Spark itself (rpt_annual_verdict is a view: it has no files of its own)
    exported = export_relations(target, COMPARED, work / "spark_export")
    return db, exported, counts


def _norm(v):
    """Values as comparable Python objects: Spark's decimals come back with the same scale, timestamps are
    wall-clock (UTC session), so only the NULL / NaN distinction needs care."""
    if isinstance(v, float) and v != v:
        return "NaN"
    return v


def _rows(con, sql):
    return sorted(
        (tuple(_norm(v) for v in r) for r in con.execute(sql).fetchall()),
        key=lambda r: tuple((x is None, str(type(x)), x if x is not None else 0) for x in r),
    )


@pytest.mark.spark
@pytest.mark.slow
def test_raw_layer_is_partitioned_and_complete(built):
    db, _, counts = built
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in raw_tables():
            assert counts[table] == con.execute(f"select count(*) from raw.{table}").fetchone()[0], table
        layer = Path(str(db)).parent / "raw_parquet"
        periods = sorted(p.name for p in (layer / "organizations").iterdir())
        assert periods == [f"period={y}Q{q}" for y in (2019, 2020) for q in range(1, 5)]
        n = con.execute(
            f"select count(*) from read_parquet('{layer}/organizations/*/*.parquet', hive_partitioning = true)"
        ).fetchone()[0]
        assert n == counts["organizations"] > 0
        # no ID number in the layer: only the *_key pseudonyms exist
        cols = {
            r[0]
            for r in con.execute(f"describe select * from read_parquet('{layer}/attendance/*/*.parquet')").fetchall()
        }
        assert "person_key" in cols and "person_id" not in cols
    finally:
        con.close()


@pytest.mark.spark
@pytest.mark.slow
def test_same_results_on_duckdb_and_spark(built):
    db, exported, _ = built
    con = duckdb.connect(str(db), read_only=True)
    compared = 0
    mismatches = []
    try:
        for schema, table in COMPARED:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            path = exported[f"{schema}.{table}"]
            spark_cols = [
                r[0] for r in con.execute(f"describe select * from read_parquet('{path}/*.parquet')").fetchall()
            ]
            assert spark_cols == cols, (table, spark_cols, cols)
            select = ", ".join(f'"{c}"' for c in cols)
            left = _rows(con, f"select {select} from {schema}.{table}")
            right = _rows(con, f"select {select} from read_parquet('{path}/*.parquet')")
            assert len(left) == len(right), (table, len(left), len(right))
            assert left, f"{table} is empty: nothing would be compared"
            for lr, rr in zip(left, right):
                for c, a, b in zip(cols, lr, rr):
                    compared += 1
                    if a != b or (type(a) is not type(b) and a is not None and b is not None):
                        mismatches.append((table, c, a, b))
    finally:
        con.close()
    print(f"{compared} values compared, {len(mismatches)} mismatches")
    assert not mismatches, mismatches[:20]
    assert compared > 10_000


@pytest.mark.spark
@pytest.mark.slow
def test_indicator_values_are_exact_decimals_on_spark(built):
    """fct_indicators.value on Spark is DECIMAL(38, 10), rounded half up once (D81), like DuckDB's."""
    _, exported, _ = built
    con = duckdb.connect()
    path = exported["marts.fct_indicators"]
    rows = con.execute(
        f"select numerator, denominator, value from read_parquet('{path}/*.parquet') "
        "where denominator > 0 and value is not null"
    ).fetchall()
    assert rows
    for num, den, value in rows:
        assert isinstance(value, Decimal)
        expected = (Decimal(num) / Decimal(den)).quantize(Decimal("1e-10"), rounding="ROUND_HALF_UP")
        assert value == expected, (num, den, value)


def test_raw_parquet_asset_exports_the_layer_in_the_writer_pool(tmp_path):
    """The Dagster asset downstream of raw_returns (no Spark needed): pool duckdb_writer, one directory per
    quarter, the row counts of raw.*; the spark_warehouse asset is a no-op while the resource is disabled."""
    import dagster as dg

    from liangxin.defs.raw_files import SparkWarehouse, raw_parquet, spark_warehouse_build
    from liangxin.defs.resources import DUCKDB_POOL, LiangxinPaths
    from liangxin.definitions import defs
    from liangxin.settings import Settings

    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("raw_parquet"))
    assert node.pools == {DUCKDB_POOL}
    assert dg.AssetKey("raw_returns") in node.parent_keys
    world = build_world(tier="district", start="2020Q3", end="2020Q4", seed=7, communities=2)
    db = tmp_path / "build.duckdb"
    fx.load_world(db, world)
    layer = tmp_path / "layer"
    res = dg.materialize(
        [raw_parquet, spark_warehouse_build],
        resources={
            "liangxin": LiangxinPaths(Settings.from_values({"home": str(tmp_path / "home")}), db_path=str(db)),
            "spark_warehouse": SparkWarehouse(raw_parquet_dir=str(layer)),
        },
    )
    assert res.success
    assert sorted(p.name for p in (layer / "party_orgs").iterdir()) == ["period=2020Q3", "period=2020Q4"]
    meta = res.asset_materializations_for_node("raw_parquet")[0].metadata
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert meta["rows"].value == {
            t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in raw_tables()
        }
    finally:
        con.close()
    assert meta["rows"].value["organizations"] > 0
    spark_meta = res.asset_materializations_for_node("spark_warehouse")[0].metadata
    assert spark_meta["engine"].value == "duckdb"
