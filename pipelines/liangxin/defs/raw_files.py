"""The raw layer as files and the spark target in Dagster (issue 18, docs/scale-out.md).

- ``raw_parquet``: downstream of ``raw_returns``; exports raw.* of the build database as Parquet partitioned by
  period (``liangxin.raw_files.export_raw_parquet``).  It opens the DuckDB file read-only under the writer lock
  and runs in pool ``duckdb_writer``, so it is serialised with ingestion and the dbt build.
- ``SparkWarehouse``: the resource that selects the engine of ``spark_warehouse``.  With ``enabled`` false (the
  default) the asset reports that the DuckDB target is in use and does nothing; with ``enabled`` true it runs
  ``dbt build`` on the spark target over the Parquet layer (``liangxin.spark``).  The DuckDB build
  (``defs/dbt.py``) is unchanged; the settings object will wire ``enabled`` / ``home`` / ``master``.

Not done here: ingestion parallel across files.  ``raw_returns`` (defs/ingestion.py, not this module) takes
all files of a run in one op; splitting it per file (a dynamic fan-out of validation under the
``multiprocess_executor``, the load staying in pool ``duckdb_writer``) is an edit of ingestion.py (docs/scale-out.md).
"""

import subprocess
from pathlib import Path

import dagster as dg

from liangxin.defs.resources import DUCKDB_POOL, LiangxinPaths

RAW_PARQUET_KEY = dg.AssetKey("raw_parquet")


class SparkWarehouse(dg.ConfigurableResource):
    """The spark target: off by default (DuckDB is the warehouse); paths are explicit, never read from env."""

    enabled: bool = False
    home: str | None = None  # warehouse, metastore, dbt target; default <build db dir>/spark
    raw_parquet_dir: str | None = None  # default <build db dir>/raw_parquet
    master: str = "local[2]"
    shuffle_partitions: int = 4

    def layer_dir(self, db: Path) -> Path:
        return Path(self.raw_parquet_dir) if self.raw_parquet_dir else db.parent / "raw_parquet"

    def home_dir(self, db: Path) -> Path:
        return Path(self.home) if self.home else db.parent / "spark"


@dg.asset(
    key=RAW_PARQUET_KEY,
    group_name="ingestion",
    deps=[dg.AssetKey("raw_returns")],
    pool=DUCKDB_POOL,
    kinds={"parquet"},
    automation_condition=dg.AutomationCondition.eager(),  # after every raw_returns materialisation
    description="原始层文件：已接收报表按报告期分区导出为 Parquet（raw_parquet/<表>/period=YYYYQn/），供 Spark 目标读取。",
)
def raw_parquet(
    context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths], spark_warehouse: SparkWarehouse
) -> dg.MaterializeResult:
    from liangxin.ingest import writer_lock
    from liangxin.raw_files import export_raw_parquet

    db = liangxin.db()
    out = spark_warehouse.layer_dir(db)
    if not db.exists():
        context.log.info("尚无构建库，未导出原始层文件")
        return dg.MaterializeResult(metadata={"tables": 0})
    with writer_lock(db):
        counts = export_raw_parquet(db, out)
    context.log.info(f"原始层文件已导出：{out}（{sum(counts.values())} 行）")
    return dg.MaterializeResult(metadata={"path": str(out), "rows": dg.MetadataValue.json(counts)})


@dg.asset(
    key="spark_warehouse",
    group_name="spark",
    deps=[RAW_PARQUET_KEY],
    kinds={"spark", "dbt"},
    description="同一 dbt 项目在 Spark 目标上构建（资源 spark_warehouse.enabled 时）；默认使用 DuckDB，不执行。",
)
def spark_warehouse_build(
    context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths], spark_warehouse: SparkWarehouse
) -> dg.MaterializeResult:
    if not spark_warehouse.enabled:
        context.log.info("Spark 目标未启用（spark_warehouse.enabled = false），数据仓库为 DuckDB")
        return dg.MaterializeResult(metadata={"engine": "duckdb"})
    from liangxin import paths
    from liangxin.defs.dbt import dbt_executable
    from liangxin.spark import SparkTarget, dbt_spark_command

    db = liangxin.db()
    target = SparkTarget(
        home=spark_warehouse.home_dir(db),
        master=spark_warehouse.master,
        shuffle_partitions=spark_warehouse.shuffle_partitions,
    )
    target.home.mkdir(parents=True, exist_ok=True)
    cmd = dbt_spark_command(dbt_executable(), paths.DBT_PROJECT_DIR, target, spark_warehouse.layer_dir(db))
    proc = subprocess.run(cmd, cwd=target.home, capture_output=True, text=True)
    if proc.returncode != 0:
        raise dg.Failure(description="Spark 目标构建失败", metadata={"tail": proc.stdout[-4000:]})
    return dg.MaterializeResult(
        metadata={"engine": "spark", "master": target.master, "warehouse": str(target.warehouse_dir)}
    )


def raw_files_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_parquet, spark_warehouse_build],
        resources={"spark_warehouse": SparkWarehouse()},
    )
