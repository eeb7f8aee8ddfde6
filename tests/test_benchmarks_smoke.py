"""Smoke test of the benchmark runner on a tiny world: the JSON has every stage and the pandas baseline
agrees with the warehouse.  No timing is asserted here — speed is measured by ``python -m benchmarks``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = (
    "baseline",
    "ingest_one",
    "ingest_all",
    "dbt_build",
    "publish",
    "dashboard",
    "annual",
    "queries",
    "incremental",
)

pytest.importorskip("pandas", reason="the benchmark baseline needs the optional 'bench' extra (pandas)")


@pytest.mark.slow
def test_runner_tiny_district(tmp_path):
    results = tmp_path / "results"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "run",
        "--tier",
        "district",
        "--quarters",
        "4",
        "--communities",
        "2",
        "--work",
        str(tmp_path / "work"),
        "--results-dir",
        str(results),
        "--query-repeats",
        "3",
    ]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
    assert "baseline == warehouse:" in p.stdout

    files = list(results.glob("district-q4-c2-*.json"))
    assert len(files) == 1, list(results.iterdir())
    data = json.loads(files[0].read_text(encoding="utf-8"))

    for stage in STAGES:
        assert stage in data["stages"], stage
        assert data["stages"][stage]["ok"], (stage, data["stages"][stage].get("error"))
        assert "peak_rss_bytes" in data["stages"][stage]
    assert data["stages"]["ingest_all"]["files"] == data["dataset"]["n_files"] == 8
    assert data["stages"]["incremental"]["outcomes"]
    assert data["stages"]["queries"]["queries"]
    assert all(q["runs"] == 3 for q in data["stages"]["queries"]["queries"].values())

    eq = data["equality"]
    assert eq["equal"], eq["examples"]
    assert eq["values_compared"] > 0 and eq["t1_values"] > 0  # K1–K3 and 表一 (2021 is a complete year)
    assert {t["id"] for t in data["targets"]} >= {
        "district_correction",
        "city_correction",
        "district_e2e",
        "province_one_quarter",
        "province_rss",
        "city_query_p95",
        "ingest_vs_baseline",
        "test_suite",
    }
    # the correction (the last quarter of the first community) rebuilt only its period; the same run's baseline
    # rebuilt every period from the same inputs
    inc = data["stages"]["incremental"]
    assert inc["plan"] == {"status": "ok", "mode": "incremental", "periods": "2021Q4", "reason": None}
    assert inc["full_refresh"]["plan"]["mode"] == "full"
    assert inc["dashboard_s"] > 0 and inc["by_type"]["model"]["n"] > 0
    assert all(t["pass"] is None for t in data["targets"])  # a reduced world is never judged
    for key in ("cores", "ram_bytes", "cpu_model", "versions"):
        assert key in data["machine"]
    assert data["machine"]["versions"]["duckdb"]

    # the world is cached by (tier, seed, quarters, communities) for the next run
    assert len(list((tmp_path / "work" / "cache").glob("district-s20201-q4-c2-g*/manifest.json"))) == 1
