"""The spark target of the dbt project (issue 18, docs/scale-out.md).

Everything takes explicit arguments (paths, Spark master, partitions); nothing reads or writes the process environment
(the settings object wires these at the edge).

- ``write_profiles``: a profiles.yml with the ``spark`` target (dbt-spark, ``method: session``) in a directory
  of the caller's choosing; the project's own profiles.yml (duckdb) is never touched.
- ``dbt_spark_command``: the ``dbt build`` command line for that target; the raw sources are external tables
  over the Parquet layer (``liangxin.raw_files``), declared by the on-run-start hook ``raw_layer_tables()``.
- ``read_table``: a built model read back from the Spark warehouse directory with DuckDB (the tables are plain
  Parquet directories), so checks and exports need no second JVM.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

PROFILE = "liangxin"
TARGET = "spark"


@dataclass(frozen=True)
class SparkTarget:
    """Where a spark build keeps its state: the warehouse (table files), the Derby metastore and dbt's target."""

    home: Path
    master: str = "local[2]"
    shuffle_partitions: int = 4
    driver_memory: str = "1g"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "spark-warehouse"

    @property
    def metastore_dir(self) -> Path:
        return self.home / "metastore_db"

    @property
    def profiles_dir(self) -> Path:
        return self.home / "profiles"

    @property
    def target_path(self) -> Path:
        return self.home / "dbt-target"

    @property
    def log_path(self) -> Path:
        return self.home / "logs"


def spark_conf(t: SparkTarget) -> dict[str, str]:
    """Spark settings of the session (``server_side_parameters`` of dbt-spark)."""
    return {
        "spark.master": t.master,
        "spark.driver.memory": t.driver_memory,
        "spark.sql.shuffle.partitions": str(t.shuffle_partitions),
        "spark.default.parallelism": str(t.shuffle_partitions),
        "spark.sql.warehouse.dir": str(t.warehouse_dir.resolve()),
        # the Hive metastore (Derby) in the home, not in whatever the current directory is
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={t.metastore_dir.resolve()};create=true",
        # same calendar as DuckDB: timestamps are wall-clock (the loader stores UTC), dates proleptic Gregorian
        "spark.sql.session.timeZone": "UTC",
        # ANSI mode (Spark 4 default): overflow and bad casts are errors, as in DuckDB
        "spark.sql.ansi.enabled": "true",
        # partition values stay strings ('2021Q4'), never inferred
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        # Derby's log in the home, not in the caller's working directory (a pytest run, the repository)
        "spark.driver.extraJavaOptions": f"-Dderby.stream.error.file={(t.home / 'derby.log').resolve()}",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
    }


def write_profiles(t: SparkTarget) -> Path:
    """Write ``<home>/profiles/profiles.yml`` with the spark target; returns the directory (``--profiles-dir``)."""
    t.profiles_dir.mkdir(parents=True, exist_ok=True)
    profile = {
        PROFILE: {
            "target": TARGET,
            "outputs": {
                TARGET: {
                    "type": "spark",
                    "method": "session",
                    "host": "localhost",  # unused by the session method, required by the profile schema
                    "schema": "default",
                    "threads": 1,  # one session, one driver: dbt threads would only contend for the 2 local cores
                    "server_side_parameters": spark_conf(t),
                }
            },
        }
    }
    (t.profiles_dir / "profiles.yml").write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return t.profiles_dir


def dbt_spark_command(
    dbt_exe: str,
    project_dir: Path,
    t: SparkTarget,
    raw_parquet_dir: Path,
    command: str = "build",
    extra: list[str] | None = None,
) -> list[str]:
    """The dbt command line of a build on the spark target (run it with ``cwd=t.home``: Spark writes
    ``derby.log`` and scratch files into the working directory)."""
    vars_ = {"raw_parquet_dir": str(Path(raw_parquet_dir).resolve())}
    return [
        dbt_exe,
        command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(write_profiles(t)),
        "--target",
        TARGET,
        "--target-path",
        str(t.target_path),
        "--log-path",
        str(t.log_path),
        "--vars",
        json.dumps(vars_),
        *(extra or []),
    ]


def table_dir(t: SparkTarget, schema: str, table: str) -> Path:
    """The Parquet directory of a managed table (``<warehouse>/<schema>.db/<table>``)."""
    return t.warehouse_dir / f"{schema}.db" / table


def read_table(t: SparkTarget, schema: str, table: str, con=None):
    """A built table as a DuckDB relation over its Parquet files (no JVM)."""
    import duckdb

    con = con or duckdb.connect()
    path = table_dir(t, schema, table)
    return con.sql(f"select * from read_parquet('{path}/*.parquet')")


def reset(t: SparkTarget) -> None:
    """Remove the warehouse, metastore and dbt target of ``t`` (a fresh build)."""
    for p in (t.warehouse_dir, t.metastore_dir, t.target_path):
        if p.exists():
            shutil.rmtree(p)


def export_relations(t: SparkTarget, relations: list[tuple[str, str]], out_dir: Path) -> dict[str, Path]:
    """Write each ``(schema, name)`` — table or view — of the spark warehouse as a Parquet directory
    ``<out_dir>/<schema>.<name>`` through a Spark session on the same metastore (run it when no dbt process holds
    the Derby metastore).  Views (e.g. ``annual.rpt_annual_verdict``, a view by design) have no files of their
    own; this is how they reach DuckDB, Superset or the serving snapshot.  The session is stopped on return."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for k, v in spark_conf(t).items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    out: dict[str, Path] = {}
    try:
        for schema, name in relations:
            dest = Path(out_dir) / f"{schema}.{name}"
            spark.table(f"{schema}.{name}").write.mode("overwrite").parquet(str(dest))
            out[f"{schema}.{name}"] = dest
    finally:
        spark.stop()
    return out
