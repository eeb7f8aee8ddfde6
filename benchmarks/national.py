"""The national tier (issue 18): ``python -m benchmarks run --tier national --engine duckdb|spark|both``.

The nation is 31 provinces (shared/spec/scale.md: a province is ×100 the district, so the nation is ×3,100 —
186,000 communities).  Here it runs at a reduced scale factor: ``--communities-per-province`` communities of a
generated province world for each of the 31 provinces (default 4 → 124 communities, one year of quarters).
The register of that world replaces the seeds in a private copy of the dbt project, so both engines build
the same models over the same communities; no Excel files and no validation are timed (the raw tables are
loaded directly, as in tests/dbt_fixture.load_world): the benchmark measures the warehouse build, the part
that moves to Spark.

Stages per engine (each timed on its own):
- duckdb: ``dbt build`` of seeds + models on the DuckDB file (threads 2);
- spark: ``export_raw_parquet`` (the raw layer) then ``dbt build`` of seeds + models on the spark target
  (session, local[2]).
The JSON gives seconds, raw rows and seconds per 10^6 raw rows for each engine, the load average before and
after, and the row counts of fct_indicators on each side (equal when both ran).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVINCES = 31
NATION_COMMUNITIES = PROVINCES * 6000  # a province is ×100 the 60-community district


def _load_raw(db: Path, world) -> dict[str, int]:
    """The world's returns straight into raw.* (one accepted submission per return; ID → key as the loader)."""
    import duckdb
    import pandas as pd

    from liangxin import forms

    sub_cols = [
        ("submission_id", "VARCHAR"),
        ("original_name", "VARCHAR"),
        ("received_at", "TIMESTAMP"),
        ("size_bytes", "BIGINT"),
        ("outcome", "VARCHAR"),
        ("error_count", "INTEGER"),
        ("warning_count", "INTEGER"),
        ("format", "VARCHAR"),
    ] + [(c, t) for c, t, _ in forms.raw_columns(forms.COVER)]
    hit_cols = [
        ("submission_id", "VARCHAR"),
        ("rule_id", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("sheet", "VARCHAR"),
        ("row", "INTEGER"),
        ("column_header", "VARCHAR"),
        ("value", "VARCHAR"),
        ("message", "VARCHAR"),
        ("cell", "VARCHAR"),
    ]
    tables = {"submissions": sub_cols, "rule_hits": hit_cols}
    for f in forms.DATA_FORMS:
        tables[f.key] = [(c, t) for c, t, _ in forms.raw_columns(f)]
    rows: dict[str, list[tuple]] = {name: [] for name in tables}
    for (unit, period), ret in sorted(world.returns.items()):
        cover = ret["cover"][0] if isinstance(ret["cover"], list) else ret["cover"]
        sid = f"{unit}-{period}"
        sub = dict(
            cover,
            submission_id=sid,
            original_name=f"{sid}.xlsx",
            received_at=dt.datetime.combine(cover["submitted_on"], dt.time(9)),
            size_bytes=1,
            outcome="accepted",
            error_count=0,
            warning_count=0,
            format="xlsx",
        )
        rows["submissions"].append(tuple(sub.get(c) for c, _ in sub_cols))
        for f in forms.DATA_FORMS:
            for i, r in enumerate(ret.get(f.key, ())):
                r = dict(
                    r,
                    submission_id=sid,
                    unit_code=unit,
                    period=period,
                    correction_no=0,
                    source_sheet=f.sheet,
                    source_row=i + 2,
                )
                for fld in f.fields:
                    if fld.pii == forms.PII_ID:
                        v = r.get(fld.name)
                        r[fld.name[: -len("_id")] + "_key"] = str(v).strip().upper() if v is not None else None
                rows[f.key].append(tuple(r.get(c) for c, _ in tables[f.key]))
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema if not exists raw")
        for name, cols in tables.items():
            con.execute(f"create table raw.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
            data = rows[name]
            if data:
                names = [c for c, _ in cols]
                data = [tuple(str(v) if isinstance(v, Decimal) else v for v in row) for row in data]
                frame = pd.DataFrame(data, columns=names, dtype=object)  # noqa: F841 (scanned by DuckDB)
                casts = ", ".join(f"cast(frame.{c} as {t}) as {c}" for c, t in cols)
                con.execute(f"insert into raw.{name} select {casts} from frame")
    finally:
        con.close()
    return {k: len(v) for k, v in rows.items()}


def _project_copy(world, dest: Path) -> Path:
    """dbt_project + seeds copied under ``dest`` with the world's register as the communities/streets/quotas
    seeds (the spark target has no LIANGXIN_REGISTER reader; both engines get the same copy)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        ROOT / "dbt_project",
        dest / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    shutil.copytree(ROOT / "seeds", dest / "seeds")
    cols = ["unit_code", "unit_name", "street_code", "street_name", "district_code", "district_name", "sort_order"]
    streets: dict[str, dict] = {}
    with open(dest / "seeds" / "communities.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for i, r in enumerate(world.communities, start=1):
            w.writerow({**r, "sort_order": r.get("sort_order") or i})
            streets.setdefault(r["street_code"], r)
    with open(dest / "seeds" / "streets.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["street_code", "street_name", "district_code", "district_name", "sort_order"])
        for i, (code, r) in enumerate(sorted(streets.items()), start=1):
            w.writerow([code, r["street_name"], r["district_code"], r["district_name"], i])
    with open(dest / "seeds" / "development_quotas.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "quota"])
        for (unit, year), q in sorted(world.quotas.items()):
            w.writerow([unit, year, q])
    return dest / "dbt_project"


def _duckdb_profiles(dir_: Path, db: Path) -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    (dir_ / "profiles.yml").write_text(
        "liangxin:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {json.dumps(str(db))}\n      threads: 2\n",
        encoding="utf-8",
    )
    return dir_


def _dbt() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _run(cmd: list[str], cwd: Path, log: Path) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    log.write_text(p.stdout + "\n" + p.stderr, encoding="utf-8")
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed (rc {p.returncode}), see {log}: {p.stdout[-2000:]}")
    return secs


def _count_parquet(path: Path) -> int:
    import duckdb

    return duckdb.connect().execute(f"select count(*) from read_parquet('{path}/*.parquet')").fetchone()[0]


def run(
    engine: str,
    communities_per_province: int,
    quarters: int,
    seed: int,
    work: Path,
    results_dir: Path,
    master: str = "local[2]",
    shuffle_partitions: int = 4,
) -> dict:
    from liangxin.generator import build_world
    from liangxin.raw_files import export_raw_parquet
    from liangxin.spark import SparkTarget, dbt_spark_command, table_dir

    from benchmarks.run import machine_facts, periods_for

    facts = machine_facts()
    ps = periods_for(quarters)
    n_comm = PROVINCES * communities_per_province
    work = Path(work).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    t0 = time.perf_counter()
    world = build_world(tier="province", start=ps[0], end=ps[-1], seed=seed, communities=n_comm)
    gen_s = time.perf_counter() - t0
    db = work / "build.duckdb"
    t0 = time.perf_counter()
    raw_counts = _load_raw(db, world)
    load_s = time.perf_counter() - t0
    raw_rows = sum(raw_counts.values())
    project = _project_copy(world, work / "project")
    select = ["--resource-type", "seed", "--resource-type", "model"]
    stages: dict[str, dict] = {}
    result_rows: dict[str, int] = {}
    if engine in ("duckdb", "both"):
        prof = _duckdb_profiles(work / "duckdb-profiles", db)
        load0 = os.getloadavg()
        secs = _run(
            [
                _dbt(),
                "build",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(prof),
                "--target-path",
                str(work / "duckdb-target"),
                "--log-path",
                str(work / "duckdb-logs"),
                *select,
            ],
            project,
            work / "duckdb-build.log",
        )
        stages["duckdb_dbt_build"] = {
            "seconds": round(secs, 2),
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        result_rows["duckdb_fct_indicators"] = con.execute("select count(*) from marts.fct_indicators").fetchone()[0]
        con.close()
    if engine in ("spark", "both"):
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        export_raw_parquet(db, work / "raw_parquet")
        exp_s = time.perf_counter() - t0
        target = SparkTarget(home=work / "spark", master=master, shuffle_partitions=shuffle_partitions)
        target.home.mkdir()
        secs = _run(
            dbt_spark_command(_dbt(), project, target, work / "raw_parquet", extra=select),
            target.home,
            work / "spark-build.log",
        )
        stages["raw_parquet_export"] = {"seconds": round(exp_s, 2)}
        stages["spark_dbt_build"] = {
            "seconds": round(secs, 2),
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "master": master,
            "shuffle_partitions": shuffle_partitions,
        }
        result_rows["spark_fct_indicators"] = _count_parquet(table_dir(target, "marts", "fct_indicators"))
    per_million = {k: round(v["seconds"] / (raw_rows / 1e6), 1) for k, v in stages.items()}
    returns = len(world.returns)
    result = {
        "benchmark": "national",
        "date": dt.date.today().isoformat(),
        "config": {
            "tier": "national",
            "engine": engine,
            "provinces": PROVINCES,
            "communities_per_province": communities_per_province,
            "communities": n_comm,
            "scale_factor": n_comm / NATION_COMMUNITIES,
            "quarters": quarters,
            "periods": ps,
            "seed": seed,
            "generator_tier": "province",
            "dbt_selection": "seeds + models (no data tests)",
        },
        "machine": facts,
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "world": {
            "generate_s": round(gen_s, 1),
            "load_raw_s": round(load_s, 1),
            "returns": returns,
            "raw_rows": raw_rows,
            "raw_rows_by_table": raw_counts,
        },
        "stages": stages,
        "seconds_per_million_raw_rows": per_million,
        "seconds_per_return": {k: round(v["seconds"] / returns, 3) for k, v in stages.items()},
        "result_rows": result_rows,
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"national-{engine}-c{n_comm}-q{quarters}-{result['date']}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    result["out"] = str(out)
    return result
