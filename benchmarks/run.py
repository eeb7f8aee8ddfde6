"""The benchmark runner: ``python -m benchmarks run --tier district|city|province``.

Flow of one run (every stage in its own subprocess, so that its peak RSS is its own):

1. ``generate`` (cached, not timed against the targets): ``build_world`` + write the workbooks into
   ``<work>/cache/<tier>-s<seed>-q<quarters>[-c<communities>]/`` with a manifest, the register CSV and one
   correction file (the last quarter of the first community, 更正序号 1, one 从业人员数 changed).
2. ``baseline``: pandas + openpyxl reads the same workbooks and computes K1/K2/K3 and 表一.
3. In a fresh ``LIANGXIN_HOME``: ``ingest_one`` (first quarter, separate home), ``ingest_all``, ``dbt_build``,
   ``publish``, then the equality check baseline == warehouse, ``dashboard``, ``annual``, ``queries``
   (every dashboard query and typical filters, p50/p95 over ``--query-repeats`` runs) and ``incremental``
   (correction file → ingest → dbt build → refreshed snapshot).
4. A Rich table and ``benchmarks/results/<tier>-<YYYY-MM-DD>.json`` with machine facts and the targets.

Internal sub-commands (``_prepare``, ``_stage``) are what the subprocesses run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_WORK = BENCH_DIR / ".work"
TIERS = ("district", "city", "province")
DEFAULT_QUARTERS = {"district": 12, "city": 1, "province": 1}
LAST_PERIOD = "2021Q4"
SECRET = "liangxin-benchmark-secret"

STAGES = ("ingest_one", "ingest_all", "dbt_build", "publish", "dashboard", "annual", "queries", "incremental")
BASELINE_STAGES = ("baseline_read", "baseline_compute")

GB = 1024**3


# --------------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------------
def peak_rss_bytes() -> int:
    """Peak RSS of this process and of its largest waited-for child (ru_maxrss is KiB on Linux)."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(me, kids) * 1024


def periods_for(quarters: int, end: str = LAST_PERIOD) -> list[str]:
    from liangxin.periods import previous_period

    out = [end]
    while len(out) < quarters:
        out.append(previous_period(out[-1]))
    return out[::-1]


def pct(values: list[float], q: float) -> float:
    """Percentile by linear interpolation (q in [0, 100])."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def machine_facts() -> dict:
    import duckdb

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for mod in ("dbt.version", "pandas", "openpyxl", "python_calamine", "dagster"):
        try:
            m = __import__(mod, fromlist=["x"])
            versions[mod.split(".")[0]] = getattr(m, "__version__", None) or getattr(m, "installed", None)
        except Exception:
            versions[mod.split(".")[0]] = None
    if versions.get("dbt") is not None:
        versions["dbt"] = str(versions["dbt"])
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cores": os.cpu_count(),
        "ram_bytes": ram,
        "ram_gb": round(ram / GB, 1) if ram else None,
        "cpu_model": cpu,
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_at_start": load,
        "hostname": platform.node(),
    }


# --------------------------------------------------------------------------------------------------------
# world cache (generate + write once per (tier, seed, quarters[, communities]))
# --------------------------------------------------------------------------------------------------------
def generator_fingerprint() -> str:
    """A short hash of the generator and forms sources: a changed generator never reuses a stale cache."""
    import hashlib

    pkg = ROOT / "pipelines" / "liangxin"
    h = hashlib.sha256()
    for f in sorted((pkg / "generator").glob("*.py")) + [pkg / "forms.py", BENCH_DIR / "run.py"]:
        if f.name == "run.py":  # only the fallback writer / correction part of this file matters
            text = f.read_text(encoding="utf-8")
            h.update(text[text.find("def _xlsx_writer") : text.find("def prepare_world")].encode())
        elif f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:8]


def cache_key(tier: str, seed: int, quarters: int, communities: int | None) -> str:
    return f"{tier}-s{seed}-q{quarters}" + (f"-c{communities}" if communities else "") + f"-g{generator_fingerprint()}"


def _xlsx_writer(path: Path, ret: dict) -> None:
    """Fallback writer (xlsxwriter) when ``liangxin.generator.write_world`` is not available: one sheet per
    form, header row 1, typed values (booleans 是/否, dates as Excel dates, money as numbers)."""
    import datetime as _dt
    from decimal import Decimal

    import xlsxwriter

    from liangxin import forms

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    cover = ret.get("cover") or {}
    version = (cover[0] if isinstance(cover, list) and cover else cover or {}).get("template_version")
    for form in forms.FORMS:
        ws = wb.add_worksheet(form.sheet)
        for c, h in enumerate(forms.headers_for(form, version)):  # the columns of the return's version
            ws.write_string(0, c, h)
        rows = ret.get(form.key) or []
        rows = [rows] if isinstance(rows, dict) else rows
        for r, row in enumerate(rows, start=1):
            for c, name in enumerate(forms.names_for(form, version)):
                v = row.get(name)
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_string(r, c, "是" if v else "否")
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                elif isinstance(v, Decimal):
                    ws.write_number(r, c, float(v))
                elif isinstance(v, _dt.date):
                    ws.write_datetime(r, c, _dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()


def _correction(ret: dict) -> dict:
    """A plausible correction: 更正序号 1 and one unit's 从业人员数 +1 (a unit already ≥ 10 stays in B)."""
    out = {k: ([dict(r) for r in v] if isinstance(v, list) else dict(v)) for k, v in ret.items()}
    cover = out["cover"][0] if isinstance(out["cover"], list) else out["cover"]
    cover["correction_no"] = 1
    cover["correction_reason"] = "更正从业人员数"
    for row in out.get("organizations", []):
        if isinstance(row.get("employees"), int) and row["employees"] >= 10:
            row["employees"] += 1
            break
    return out


def prepare_world(tier: str, seed: int, quarters: int, communities: int | None, cache_dir: Path) -> dict:
    """Build and write the world into ``cache_dir`` (runs in a subprocess; returns the manifest)."""
    from liangxin.generator import build_world

    ps = periods_for(quarters)
    t0 = time.perf_counter()
    world = build_world(tier=tier, start=ps[0], end=ps[-1], seed=seed, communities=communities)
    t_build = time.perf_counter() - t0
    tmp = cache_dir.with_name(cache_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    files_dir = tmp / "files"
    t0 = time.perf_counter()
    writer = "benchmarks._xlsx_writer"
    try:
        from liangxin.generator import write_world  # the generator's own writers, when present

        try:
            write_world(world, files_dir, fmt="xlsx", progress=False)
        except TypeError:  # an older signature without ``progress``
            write_world(world, files_dir, fmt="xlsx")
        writer = "liangxin.generator.write_world"
    except (ImportError, AttributeError):
        for (unit, period), ret in sorted(world.returns.items()):
            _xlsx_writer(files_dir / period / f"{unit}-{period}.xlsx", ret)
    t_write = time.perf_counter() - t0
    # manifest: period of every file (peek the cover, whichever writer wrote them)
    from liangxin.ingest import collect_files, peek_cover

    by_period: dict[str, list[str]] = {}
    for f in collect_files([files_dir]):
        period, _ = peek_cover(f)
        by_period.setdefault(period or "?", []).append(str(f.relative_to(tmp)))
    # register (LIANGXIN_REGISTER for the validator) — always ours, whether or not the writer wrote one
    import csv

    cols = ["unit_code", "unit_name", "street_code", "street_name", "district_code", "district_name", "sort_order"]
    with open(tmp / "register.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for i, r in enumerate(world.communities, start=1):
            w.writerow({**r, "sort_order": r.get("sort_order") or i})
    # the register's quotas, under the name ``liangxin generate`` uses (dbt reads them beside the register, D55)
    with open(tmp / "development_quotas.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["unit_code", "year", "quota"])
        for (unit, year), q in sorted(world.quotas.items()):
            w.writerow([unit, year, q])
    first = world.communities[0]["unit_code"]
    corr_path = tmp / "correction" / f"{first}-{ps[-1]}-更正1.xlsx"
    _xlsx_writer(corr_path, _correction(world.returns[(first, ps[-1])]))
    rows = {}
    for ret in world.returns.values():
        for k, v in ret.items():
            if k != "cover":
                rows[k] = rows.get(k, 0) + len(v)
    manifest = {
        "tier": tier,
        "seed": seed,
        "quarters": quarters,
        "communities": communities,
        "periods": ps,
        "n_communities": len(world.communities),
        "writer": writer,
        "files_by_period": by_period,
        "n_files": sum(len(v) for v in by_period.values()),
        "rows_by_form": rows,
        "correction_file": str(corr_path.relative_to(tmp)),
        "correction_unit": first,
        "bytes": sum(p.stat().st_size for p in files_dir.rglob("*") if p.is_file()),
        "generate": {
            "build_world_s": round(t_build, 3),
            "write_s": round(t_write, 3),
            "peak_rss_bytes": peak_rss_bytes(),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(),
        },
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    shutil.rmtree(cache_dir, ignore_errors=True)
    os.replace(tmp, cache_dir)
    return manifest


# --------------------------------------------------------------------------------------------------------
# dbt project: the real one for every tier (the register reaches dbt through LIANGXIN_REGISTER, decisions D55)
# --------------------------------------------------------------------------------------------------------
def dbt_project_for(cache_dir: Path, manifest: dict, work: Path) -> Path:  # noqa: ARG001 — kept for callers
    """The project's own ``dbt_project``: city/province communities come from ``LIANGXIN_REGISTER`` (models/ref)."""
    return ROOT / "dbt_project"


# --------------------------------------------------------------------------------------------------------
# stages (run inside a subprocess: ``python -m benchmarks _stage NAME CONFIG.json``)
# --------------------------------------------------------------------------------------------------------
def _ingest(files: list[Path]) -> dict:
    from liangxin.ingest import ingest_paths
    from liangxin.settings import Settings

    t0 = time.perf_counter()
    outcomes = ingest_paths(files, settings=Settings.from_env(), progress=False)
    secs = time.perf_counter() - t0
    rows = sum(sum(v for k, v in o.rows.items() if k not in ("submissions", "rule_hits")) for o in outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    bad = [
        f"{o.original_name}: {o.outcome} {o.first_errors[:2] or o.internal_error}"
        for o in outcomes
        if o.outcome not in ("accepted", "accepted_with_warnings")
    ]
    return {
        "seconds": secs,
        "files": len(outcomes),
        "rows": rows,
        "outcomes": counts,
        "files_per_s": len(outcomes) / secs if secs else None,
        "rows_per_s": rows / secs if secs else None,
        "not_accepted": bad[:5],
    }


def _dbt_cli_env(cfg: dict) -> tuple[dict, Path, list[str]]:
    """The environment, target folder and arguments the product's dbt uses for this home (``liangxin.defs.dbt``:
    the database's own profile, the register as absolute-path vars, and ``dbt-target/`` beside the build database
    so the partial parse is the deployment's)."""
    from liangxin.defs.dbt import dbt_command_args, dbt_env, dbt_target_dir
    from liangxin.settings import Settings

    db = Path(cfg["home"]) / "build.duckdb"
    settings = Settings.from_env(duckdb=db)
    env = dbt_env({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    return env, dbt_target_dir(db), dbt_command_args(settings, db)


def _dbt_build(cfg: dict) -> dict:
    """The first (full) ``dbt build`` of the home, with the build plan the product's dbt asset writes around it
    (``liangxin.partitions``): the later correction builds are incremental against this one."""
    import duckdb

    from liangxin import partitions
    from liangxin.defs.dbt import reference_digest
    from liangxin.settings import Settings

    env, target, args = _dbt_cli_env(cfg)
    dbt = str(Path(sys.executable).parent / "dbt")
    proj = cfg["dbt_project"]
    args[args.index("--project-dir") + 1] = proj
    cmd = [dbt, "build", *args, "--target-path", str(target), "--log-path", str(target), "--quiet"]
    if cfg.get("dbt_exclude_tests"):
        cmd += ["--exclude", "resource_type:test"]
    db = Path(cfg["home"]) / "build.duckdb"
    con = duckdb.connect(str(db))
    try:
        plan = partitions.begin_build(con, reference_digest(Settings.from_env(duckdb=db)), full=True)
    finally:
        con.close()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=proj, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        tail = (p.stdout + p.stderr)[-3000:]
        raise RuntimeError(f"dbt build failed ({p.returncode}):\n{tail}")
    if not cfg.get("dbt_exclude_tests"):  # a build without its tests does not count as finished
        con = duckdb.connect(str(db))
        try:
            partitions.finish_build(con, plan)
        finally:
            con.close()
    return {"seconds": secs, **_dbt_breakdown(target / "run_results.json")}


def _dbt_parse(cfg: dict) -> dict:
    """``dbt parse`` into the home's dbt target folder (untimed warm-up: later builds — the CLI ``dbt_build`` and
    the build job of the ``incremental`` stage — parse partially, as in a running deployment)."""
    env, target, args = _dbt_cli_env(cfg)
    proj = cfg["dbt_project"]
    args[args.index("--project-dir") + 1] = proj
    t0 = time.perf_counter()
    p = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "parse",
            *args,
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--quiet",
        ],
        env=env,
        cwd=proj,
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        raise RuntimeError(f"dbt parse failed: {(p.stdout + p.stderr)[-2000:]}")
    return {"seconds": time.perf_counter() - t0}


def _dbt_breakdown(run_results: Path) -> dict:
    """Execution time by resource type and the slowest nodes, from dbt's run_results.json."""
    try:
        rr = json.loads(run_results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    by_type: dict[str, dict] = {}
    nodes = []
    for r in rr.get("results", []):
        uid = r.get("unique_id", "")
        kind = uid.split(".", 1)[0]
        t = float(r.get("execution_time") or 0)
        d = by_type.setdefault(kind, {"n": 0, "seconds": 0.0})
        d["n"] += 1
        d["seconds"] += t
        nodes.append((t, uid))
    nodes.sort(reverse=True)
    return {
        "dbt_elapsed_s": rr.get("elapsed_time"),
        "by_type": by_type,
        "slowest": [{"node": u, "seconds": round(t, 3)} for t, u in nodes[:12]],
    }


def _publish(cfg: dict) -> dict:
    from liangxin.serving import publish_snapshot

    home = Path(cfg["home"])
    t0 = time.perf_counter()
    serve = publish_snapshot(home / "build.duckdb", home / "serve.duckdb")
    return {
        "seconds": time.perf_counter() - t0,
        "snapshot_bytes": serve.stat().st_size,
        "build_bytes": (home / "build.duckdb").stat().st_size,
    }


def _dashboard(cfg: dict) -> dict:
    from liangxin.dashboard import render_dashboard

    home = Path(cfg["home"])
    t0 = time.perf_counter()
    page = render_dashboard(home / "serve.duckdb", home / "build" / "dashboard")
    return {"seconds": time.perf_counter() - t0, "html_bytes": page.stat().st_size}


def _annual(cfg: dict) -> dict:
    from liangxin.annual import write_annual_return

    home = Path(cfg["home"])
    year = int(cfg["periods"][-1][:4])
    t0 = time.perf_counter()
    try:
        out = write_annual_return(year, home / "build" / f"annual-{year}.xlsx", serve_db=home / "serve.duckdb")
    except LookupError as exc:  # the annual model (rpt_annual_cells) is not there yet: not timed
        return {"seconds": None, "skipped": f"{exc}"}
    return {"seconds": time.perf_counter() - t0, "year": year, "xlsx_bytes": Path(out).stat().st_size}


def dashboard_queries(con) -> list[tuple[str, str, list]]:
    """The SQL ``liangxin.dashboard.load_dashboard_data`` runs on the serving contract's fixed names
    (``liangxin.contract``), plus typical filters (name, sql, params)."""
    from liangxin import contract as lx
    from liangxin.dashboard import data as dd
    from liangxin.dashboard import find_table

    t = {
        n: find_table(con, n)
        for n in (
            lx.FCT_INDICATORS,
            lx.REF_INDICATORS,
            lx.REF_COMMUNITIES,
            lx.REF_STREETS,
            lx.KPI_BULLETIN,
            lx.KPI_WORKLIST_SHOULD_FORM,
            lx.REF_DEVELOPMENT_QUOTAS,
        )
    }
    fct = t[lx.FCT_INDICATORS]
    periods = [
        r[0]
        for r in con.execute(
            f"select distinct period from {fct} where level = 'community' and length(period) = 6 order by 1"
        ).fetchall()
    ]
    period = periods[-1] if periods else "2021Q4"
    comm = con.execute(f"select min(entity_code) from {fct} where level = 'community'").fetchone()[0]
    q: list[tuple[str, str, list]] = [
        (
            "dash.find_table",
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_name = ?",
            ["marts", "fct_indicators"],
        ),
        ("dash.indicators", f"select * from {t[lx.REF_INDICATORS]}", []),
        # the loader's own statements (liangxin.dashboard.data): every cell, then names, denominator names and
        # snapshot dates read once each
        ("dash.fct_cells", dd.FCT_CELLS_SQL.format(table=fct), []),
        ("dash.fct_entities", dd.FCT_ENTITIES_SQL.format(table=fct), []),
        ("dash.fct_den_names", dd.FCT_DEN_NAMES_SQL.format(table=fct), []),
        ("dash.fct_snapshots", dd.FCT_SNAPSHOTS_SQL.format(table=fct), []),
        ("dash.communities", f"select * from {t[lx.REF_COMMUNITIES]}", []),
        ("dash.streets", f"select * from {t[lx.REF_STREETS]}", []),
    ]
    if t[lx.REF_DEVELOPMENT_QUOTAS]:
        q.append(
            (
                "dash.quotas",
                f"select cast(year as varchar), sum(quota) from {t[lx.REF_DEVELOPMENT_QUOTAS]} group by 1",
                [],
            )
        )
    if t[lx.KPI_BULLETIN]:
        q.append(("dash.bulletin_all", f"select * from {t[lx.KPI_BULLETIN]}", []))
    if t[lx.KPI_WORKLIST_SHOULD_FORM]:
        q.append(("dash.worklist_all", f"select * from {t[lx.KPI_WORKLIST_SHOULD_FORM]}", []))
    # typical filters (Superset / analysts)
    q += [
        (
            "filter.fct_community_period",
            f"select indicator_id, entity_code, numerator, denominator, value from {fct} "
            f"where level = 'community' and period = ?",
            [period],
        ),
        (
            "filter.fct_one_community",
            f"select indicator_id, period, numerator, denominator, value from {fct} "
            f"where entity_code = ? order by period, indicator_id",
            [comm],
        ),
        (
            "filter.fct_district_headline",
            f"select indicator_id, entity_code, numerator, denominator, value from {fct} where level = 'district' "
            f"and period = ? and indicator_id in ('K1', 'K2', 'K3', 'K4', 'K9', 'M')",
            [period],
        ),
        (
            "filter.fct_k1_trend",
            f"select entity_code, period, value from {fct} where indicator_id = 'K1' "
            f"and level in ('district', 'street') order by period",
            [],
        ),
    ]
    for name, table in (("bulletin", t[lx.KPI_BULLETIN]), ("worklist", t[lx.KPI_WORKLIST_SHOULD_FORM])):
        if table:  # both marts: period and unit_code (the community) by contract
            q.append((f"filter.{name}_period", f"select * from {table} where period = ?", [period]))
            q.append(
                (
                    f"filter.{name}_community_period",
                    f"select * from {table} where period = ? and unit_code = ?",
                    [period, comm],
                )
            )
    return q


def _queries(cfg: dict) -> dict:
    from liangxin.serving import connect_readonly

    serve = Path(cfg["home"]) / "serve.duckdb"
    reps = int(cfg.get("query_repeats", 20))
    t0 = time.perf_counter()
    con = connect_readonly(serve)
    connect_s = time.perf_counter() - t0
    out = {}
    try:
        for name, sql, params in dashboard_queries(con):
            times, n = [], 0
            for _ in range(reps):
                s = time.perf_counter()
                n = len(con.execute(sql, params).fetchall())
                times.append(time.perf_counter() - s)
            out[name] = {
                "p50_ms": pct(times, 50) * 1e3,
                "p95_ms": pct(times, 95) * 1e3,
                "max_ms": max(times) * 1e3,
                "first_ms": times[0] * 1e3,
                "runs": reps,
                "rows": n,
                "sql": sql,
            }
    finally:
        con.close()
    worst = max((v["p95_ms"] for v in out.values()), default=0.0)
    return {"seconds": time.perf_counter() - t0, "connect_ms": connect_s * 1e3, "queries": out, "worst_p95_ms": worst}


def _incremental(cfg: dict) -> dict:
    """One community's correction through the product's path, timed from the file to the refreshed snapshot:
    the file lands in the inbox → ``ingest_job`` (what the inbox sensor runs) → ``build_and_publish_job`` (what
    ``rebuild_after_ingest`` starts: dbt build with the tests as asset checks → ``serve_snapshot`` → dashboard,
    annual returns), both through ``liangxin.pipeline`` in this process with an ephemeral Dagster instance.
    Loading the Dagster definitions is inside the timing (a run worker loads them too).  ``seconds`` ends when
    ``serve.duckdb`` is replaced (its mtime); ``job_s`` also covers the dashboard and annual returns after it."""
    home = Path(cfg["home"])
    src = Path(cfg["correction_file"])
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    serve = home / "serve.duckdb"
    t_wall0 = time.time()
    t0 = time.perf_counter()
    from dagster import DagsterInstance

    from liangxin import pipeline
    from liangxin.settings import Settings

    # LibreOffice is not part of the refresh (unless the environment asks for the PDF explicitly)
    settings = Settings.from_env(**({} if os.environ.get("LIANGXIN_ANNUAL_PDF") else {"annual_pdf": False}))
    pipeline._defs(settings)
    instance = DagsterInstance.ephemeral()
    t_defs = time.perf_counter()
    f = inbox / src.name
    shutil.copyfile(src, f)
    pipeline.ingest_through_dagster([f], settings=settings, instance=instance)
    t1 = time.perf_counter()
    built = pipeline.build_and_publish(settings=settings, instance=instance)
    t2 = time.perf_counter()
    refreshed = serve.stat().st_mtime - t_wall0
    dashboard = settings.build / "dashboard" / "index.html"
    dashboard_s = dashboard.stat().st_mtime - t_wall0 if dashboard.exists() else None
    plan = _last_plan(home / "build.duckdb")
    breakdown = _dbt_breakdown(_run_results(home))
    full = None
    if cfg.get("with_full"):  # the same inputs, every period recomputed: this run's baseline for the ratio
        t3 = time.time()
        pipeline.build_and_publish(settings=settings, instance=instance, full_refresh=True)
        full = {
            "seconds": serve.stat().st_mtime - t3,
            "dashboard_s": dashboard.stat().st_mtime - t3,
            "plan": _last_plan(home / "build.duckdb"),
            **_dbt_breakdown(_run_results(home)),
        }
        # the same process again, nothing changed: its parse is warm (D219), as in a long-running process
        t4 = time.time()
        pipeline.build_and_publish(settings=settings, instance=instance, force=True)
        full["warm_rebuild"] = {
            "seconds": serve.stat().st_mtime - t4,
            "dashboard_s": dashboard.stat().st_mtime - t4,
            "plan": _last_plan(home / "build.duckdb"),
            **_dbt_breakdown(_run_results(home)),
        }
    con = __import__("duckdb").connect(str(home / "build.duckdb"), read_only=True)
    try:
        outcomes = dict(
            con.execute("select outcome, count(*) from raw.submissions where correction_no >= 1 group by 1").fetchall()
        )
    finally:
        con.close()
    if outcomes.get("accepted", 0) + outcomes.get("accepted_with_warnings", 0) != 1:
        raise RuntimeError(f"correction not accepted: {outcomes}")
    if "nothing changed" in str(built.get("note", "")):
        raise RuntimeError("the build was skipped: the correction did not reach the warehouse")
    return {
        "seconds": refreshed,
        "defs_s": t_defs - t0,
        "ingest_s": t1 - t_defs,
        "build_s": refreshed - (t1 - t0),
        "job_s": t2 - t1,
        "dbt_build_s": None,
        "publish_s": None,
        "outcomes": outcomes,
        "asset_checks_passed": built.get("asset_checks_passed"),
        "note": built.get("note"),
        "dashboard_s": dashboard_s,  # file → refreshed serve.duckdb and dashboard (the issue-17 target)
        "plan": plan,
        **breakdown,
        "full_refresh": full,
    }


def _last_plan(db: Path) -> dict | None:
    """The last build's plan (``meta.build_status``): mode and the report periods it recomputed."""
    import duckdb

    from liangxin import partitions

    con = duckdb.connect(str(db), read_only=True)
    try:
        return partitions.last_build(con)
    finally:
        con.close()


def _run_results(home: Path) -> Path:
    from liangxin.defs.dbt import dbt_target_dir

    return dbt_target_dir(home / "build.duckdb") / "run_results.json"


def _incremental_detail(r: dict, f) -> str:
    if r.get("job_s") is not None:  # the product path (ingest_job → build_and_publish_job)
        plan = r.get("plan") or {}
        fr = r.get("full_refresh") or {}
        return (
            f"defs {f(r.get('defs_s'))} + ingest_job {f(r.get('ingest_s'))} + build job → snapshot "
            f"{f(r.get('build_s'))} s, → dashboard {f(r.get('dashboard_s'))} s (whole job {f(r.get('job_s'))} s; "
            f"{plan.get('mode')} {plan.get('periods')}; dbt {f(r.get('dbt_elapsed_s'))} s; "
            f"full rebuild → dashboard {f(fr.get('dashboard_s'))} s, dbt {f(fr.get('dbt_elapsed_s'))} s; "
            f"warm process, nothing changed → dashboard {f((fr.get('warm_rebuild') or {}).get('dashboard_s'))} s)"
        )
    return f"ingest {f(r.get('ingest_s'))} + dbt {f(r.get('dbt_build_s'))} + publish {f(r.get('publish_s'))} s"


def _baseline(cfg: dict) -> dict:
    from benchmarks import baseline

    files = [Path(p) for p in cfg["files"]]
    t0 = time.perf_counter()
    data = baseline.read_returns(files)
    t1 = time.perf_counter()
    res = baseline.compute(data, cfg["register"])
    t2 = time.perf_counter()
    Path(cfg["baseline_out"]).write_text(json.dumps(res, ensure_ascii=False), encoding="utf-8")
    return {"seconds": t2 - t0, "read_s": t1 - t0, "compute_s": t2 - t1, "files": len(files)}


STAGE_FUNCS = {
    "ingest": lambda cfg: _ingest([Path(p) for p in cfg["files"]]),
    "dbt_build": _dbt_build,
    "dbt_parse": _dbt_parse,
    "publish": _publish,
    "dashboard": _dashboard,
    "annual": _annual,
    "queries": _queries,
    "incremental": _incremental,
    "baseline": _baseline,
}


def stage_main(name: str, cfg_path: str) -> int:
    cfg = json.loads(Path(cfg_path).read_text(encoding="utf-8"))
    out_path = Path(cfg["result"])
    if cfg.get("profile"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    try:
        res = STAGE_FUNCS[name](cfg)
        res["ok"] = True
    except Exception as exc:
        res = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-4000:]}
    if cfg.get("profile"):
        prof.disable()
        ppath = out_path.with_suffix(".prof")
        prof.dump_stats(str(ppath))
        res["profile"] = str(ppath)
        with open(out_path.with_suffix(".prof.txt"), "w") as fh:
            pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(40)
    res["peak_rss_bytes"] = peak_rss_bytes()
    out_path.write_text(json.dumps(res, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


def run_stage(
    name: str, cfg: dict, tmp: Path, env: dict, label: str | None = None, timeout: float | None = None
) -> dict:
    """Run one stage in a fresh interpreter; returns its result with the parent-measured wall time."""
    label = label or name
    cfg = dict(cfg, result=str(tmp / f"{label}.result.json"))
    cfg_path = tmp / f"{label}.cfg.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, "-m", "benchmarks", "_stage", name, str(cfg_path)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout} s", "wall_s": time.perf_counter() - t0, "seconds": None}
    wall = time.perf_counter() - t0
    try:
        res = json.loads(Path(cfg["result"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        res = {"ok": False, "error": f"stage process exited {p.returncode}: {p.stderr[-2000:]}"}
    res["wall_s"] = wall
    return res


# --------------------------------------------------------------------------------------------------------
# equality: baseline == warehouse
# --------------------------------------------------------------------------------------------------------
def compare_with_warehouse(baseline_json: Path, serve_db: Path) -> dict:
    from liangxin.serving import connect_readonly

    base = json.loads(baseline_json.read_text(encoding="utf-8"))
    con = connect_readonly(serve_db)
    mismatches: list[str] = []
    n = 0
    try:
        fct = con.execute(
            "select indicator_id, level, entity_code, period, numerator, denominator, value "
            "from marts.fct_indicators where indicator_id in ('K1', 'K2', 'K3') "
            "and level in ('community', 'street', 'district') and length(period) = 6"
        ).fetchall()
        wh = {(i, lv, str(e), p): (n_, d, v) for i, lv, e, p, n_, d, v in fct}
        seen = set()
        for rec in base["indicators"]:
            key = (rec["indicator_id"], rec["level"], rec["entity_code"], rec["period"])
            seen.add(key)
            got = wh.get(key)
            if got is None:
                mismatches.append(f"missing in warehouse: {key}")
                continue
            num, den, val = got
            for what, a, b in (("numerator", rec["numerator"], num), ("denominator", rec["denominator"], den)):
                n += 1
                if float(a) != float(b or 0):
                    mismatches.append(f"{key} {what}: baseline {a} warehouse {b}")
            n += 1
            bv = rec["value"]
            if (bv is None) != (val is None) or (bv is not None and abs(float(bv) - float(val)) > 1e-9):
                mismatches.append(f"{key} value: baseline {bv} warehouse {val}")
        extra = [k for k in wh if k not in seen]
        if extra:
            mismatches.append(f"{len(extra)} warehouse K1/K2/K3 rows without a baseline value, e.g. {extra[:3]}")
        # 表一
        t1_source = None
        n_before_t1 = n
        tables = {
            r[0]
            for r in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
        }
        cols = [
            "prev_year_end_total",
            "increase_total",
            "developed",
            "restored",
            "transferred_in",
            "in_whole_unit",
            "decrease_total",
            "exited",
            "suspended",
            "deceased",
            "transferred_out",
            "out_whole_unit",
            "year_end_should",
            "year_end_actual",
            "actual_minus_should",
        ]
        if "annual.rpt_annual_t1" in tables:
            t1_source = "annual.rpt_annual_t1"
            rows = con.execute(
                f"select year, level, entity_code, {', '.join(cols)} from annual.rpt_annual_t1"
            ).fetchall()
            wt1 = {(int(r[0]), r[1], str(r[2])): dict(zip(cols, r[3:])) for r in rows}
            bt1 = {(int(r["year"]), r["level"], r["entity_code"]): r for r in base["t1"]}
            n_before_t1 = n
            for key, rec in bt1.items():
                got = wt1.get(key)
                if got is None:
                    mismatches.append(f"表一 missing in warehouse: {key}")
                    continue
                for c in cols:
                    n += 1
                    if int(rec[c]) != int(got[c] or 0):
                        mismatches.append(f"表一 {key} {c}: baseline {rec[c]} warehouse {got[c]}")
            # the annual return lists every register community; one without any return of the year is a row of
            # 缺报 (empty) cells, which the baseline (built from the files) has no row for.  The baseline computes
            # complete years only; the warehouse also tables an incomplete year (不得上报, rule A0): not compared
            judged = {y for y, _, _ in bt1}
            extra = [k for k in wt1 if k[0] in judged and k not in bt1 and any(v is not None for v in wt1[k].values())]
            if extra:
                mismatches.append(f"表一: {len(extra)} warehouse rows without a baseline row, e.g. {extra[:3]}")
    finally:
        con.close()
    t1_values = (n - n_before_t1) if t1_source else 0
    return {
        "values_compared": n,
        "k_values": n - t1_values,
        "t1_values": t1_values,
        "mismatches": len(mismatches),
        "examples": mismatches[:20],
        "t1_source": t1_source,
        "equal": not mismatches,
    }


# --------------------------------------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------------------------------------
def _env(home: Path, cache_dir: Path, tier: str, communities: int | None) -> dict:
    env = dict(os.environ)
    env.update(
        LIANGXIN_HOME=str(home),
        LIANGXIN_HMAC_SECRET=SECRET,
        LIANGXIN_BUILD=str(home / "build"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    for var in (
        "LIANGXIN_INBOX",
        "LIANGXIN_ARCHIVE",
        "LIANGXIN_OUTBOX",
        "LIANGXIN_DUCKDB",
        "LIANGXIN_SERVE_DUCKDB",
        "LIANGXIN_ENV",
    ):
        env.pop(var, None)
    env.pop("LIANGXIN_DEVELOPMENT_QUOTAS", None)
    if tier != "district":
        env["LIANGXIN_REGISTER"] = str(cache_dir / "register.csv")  # the validator and dbt (models/ref, D55)
        if not (cache_dir / "development_quotas.csv").exists() and (cache_dir / "quotas.csv").exists():
            env["LIANGXIN_DEVELOPMENT_QUOTAS"] = str(cache_dir / "quotas.csv")  # a cache written before D55
    else:
        env.pop("LIANGXIN_REGISTER", None)
    return env


def ensure_cache(args, work: Path, console) -> tuple[Path, dict]:
    key = cache_key(args.tier, args.seed, args.quarters, args.communities)
    cache_dir = work / "cache" / key
    mf = cache_dir / "manifest.json"
    if mf.exists() and not args.regenerate:
        console.print(f"[dim]world cache hit: {cache_dir}[/dim]")
        return cache_dir, json.loads(mf.read_text(encoding="utf-8"))
    console.print(f"generating {key} into {cache_dir} (not timed against the targets) …")
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "_prepare",
        args.tier,
        str(args.seed),
        str(args.quarters),
        str(args.communities or 0),
        str(cache_dir),
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if args.tier != "district":
        env.pop("LIANGXIN_REGISTER", None)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"generation failed:\n{p.stderr[-3000:]}")
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    manifest["generate"]["wall_s"] = time.perf_counter() - t0
    mf.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return cache_dir, manifest


def one_repeat(args, cache_dir: Path, manifest: dict, run_dir: Path, rep: int, console) -> dict:
    tier = args.tier
    files_by_period = {p: [str(cache_dir / f) for f in fs] for p, fs in manifest["files_by_period"].items()}
    all_files = [f for p in sorted(files_by_period) for f in files_by_period[p]]
    first_files = files_by_period[manifest["periods"][0]]
    tmp = run_dir / f"rep{rep}"
    tmp.mkdir(parents=True, exist_ok=True)
    proj = dbt_project_for(cache_dir, manifest, Path(args.work))
    res: dict = {}

    def go(name, cfg, env, label=None):
        label = label or name
        console.print(f"  [dim]rep {rep}: {label} …[/dim]")
        r = run_stage(name, cfg, tmp, env, label=label, timeout=args.stage_timeout)
        if not r.get("ok"):
            console.print(f"  [red]{label} failed: {r.get('error')}[/red]")
        res[label] = r
        return r

    common = {
        "periods": manifest["periods"],
        "dbt_project": str(proj),
        "dbt_target": str(tmp / "dbt"),
        "query_repeats": args.query_repeats,
        "profile": args.profile,
        "dbt_exclude_tests": args.dbt_exclude_tests,
    }
    # baseline (independent of the warehouse)
    if not args.skip_baseline:
        bhome = tmp / "home-baseline"
        go(
            "baseline",
            {
                **common,
                "home": str(bhome),
                "files": all_files,
                "register": str(cache_dir / "register.csv"),
                "baseline_out": str(tmp / "baseline.json"),
            },
            _env(bhome, cache_dir, tier, args.communities),
        )
    # ingest of one quarter, in its own home
    h1 = tmp / "home-one"
    if len(manifest["periods"]) > 1 or args.separate_one:
        go(
            "ingest",
            {**common, "home": str(h1), "files": first_files},
            _env(h1, cache_dir, tier, args.communities),
            "ingest_one",
        )
    home = tmp / "home"
    env = _env(home, cache_dir, tier, args.communities)
    cfg = {**common, "home": str(home)}
    go("ingest", {**cfg, "files": all_files}, env, "ingest_all")
    go("dbt_parse", cfg, env)  # untimed warm-up (partial parsing from here on, as in a running deployment)
    if "ingest_one" not in res:
        res["ingest_one"] = dict(res["ingest_all"], same_as="ingest_all")
    go("dbt_build", cfg, env)
    go("publish", cfg, env)
    if not args.skip_baseline and res.get("baseline", {}).get("ok") and res["publish"].get("ok"):
        cmp = compare_with_warehouse(tmp / "baseline.json", home / "serve.duckdb")
        res["equality"] = cmp
        if cmp["equal"]:
            console.print(
                f"[green]baseline == warehouse: {cmp['values_compared']} values compared[/green]"
                f" (K1/K2/K3 {cmp['k_values']} vs marts.fct_indicators; 表一 {cmp['t1_values']} vs "
                f"{cmp['t1_source'] or 'nothing: no annual model'})"
            )
        else:
            console.print(
                f"[red]baseline != warehouse: {cmp['mismatches']} mismatches of {cmp['values_compared']} values[/red]"
            )
            for m in cmp["examples"][:10]:
                console.print(f"  [red]{m}[/red]")
    go("dashboard", cfg, env)
    go("annual", cfg, env)
    go("queries", cfg, env)
    go("incremental", {**cfg, "correction_file": str(cache_dir / manifest["correction_file"]), "with_full": True}, env)
    if not args.keep:
        for h in (h1, home, tmp / "home-baseline"):
            shutil.rmtree(h, ignore_errors=True)
    return res


def _median_stage(reps: list[dict], name: str) -> dict:
    runs = [r[name] for r in reps if name in r]
    if not runs:
        return {}
    out = dict(runs[0])
    for k in (
        "seconds",
        "wall_s",
        "read_s",
        "compute_s",
        "ingest_s",
        "dbt_build_s",
        "publish_s",
        "files_per_s",
        "rows_per_s",
        "peak_rss_bytes",
        "worst_p95_ms",
    ):
        vals = [r[k] for r in runs if isinstance(r.get(k), (int, float))]
        if vals:
            out[k] = statistics.median(vals)
    out["ok"] = all(r.get("ok") for r in runs)
    out["repeats"] = len(runs)
    if len(runs) > 1:
        out["seconds_all"] = [r.get("seconds") for r in runs]
    return out


def evaluate_targets(tier: str, quarters: int, stages: dict, reduced: bool) -> list[dict]:
    """The targets of issue 17 (performance v2), each with its figure and, where this run measured one, the
    baseline of the same run (``baseline``: the same work done the previous way) and their ratio."""

    def s(name, key="seconds"):
        v = stages.get(name, {}).get(key)
        return v if isinstance(v, (int, float)) else None

    def add(tid, desc, applies, value, limit, unit, cmp="<=", baseline=None):
        passed = None
        if applies and value is not None:
            passed = value <= limit if cmp == "<=" else value >= limit
        out.append(
            {
                "id": tid,
                "target": desc,
                "applies": applies,
                "value": value,
                "limit": limit,
                "unit": unit,
                "pass": passed,
                "baseline": baseline,
                "ratio": (baseline / value) if baseline and value else None,
            }
        )

    out: list[dict] = []
    full = not reduced
    inc = stages.get("incremental", {})
    full_refresh = inc.get("full_refresh") or {}
    # file in the inbox → refreshed serve.duckdb and dashboard; baseline: the same correction with every period
    # rebuilt (definitions and ingest_job as measured, then the full build job → dashboard)
    parts = [inc.get("defs_s"), inc.get("ingest_s"), full_refresh.get("dashboard_s")]
    correction_baseline = sum(parts) if None not in parts else None
    for t, limit in (("district", 5), ("city", 10)):
        add(
            f"{t}_correction",
            f"{t}, one community's correction → refreshed serve + dashboard ≤ {limit} s",
            tier == t and full,
            inc.get("dashboard_s"),
            limit,
            "s",
            baseline=correction_baseline,
        )
    e2e = [s("ingest_all", "wall_s"), s("dbt_build", "wall_s"), s("publish", "wall_s"), s("dashboard", "wall_s")]
    add(
        "district_e2e",
        "district, all 12 quarters, inbox → dashboard ≤ 30 s",
        tier == "district" and quarters == 12 and full,
        sum(e2e) if None not in e2e else None,
        30,
        "s",
    )
    p = [s("ingest_all", "wall_s"), s("dbt_build", "wall_s")]
    add(
        "province_one_quarter",
        "province, one quarter (6,000 communities) ingest + full build ≤ 120 s",
        tier == "province" and quarters == 1 and full,
        sum(p) if None not in p else None,
        120,
        "s",
    )
    rss = max((v.get("peak_rss_bytes") or 0) for k, v in stages.items() if k in ("ingest_all", "dbt_build"))
    add(
        "province_rss",
        "province peak RSS (ingest, build) ≤ 2 GB",
        tier == "province" and full,
        rss / GB if rss else None,
        2,
        "GB",
    )
    b, i = s("baseline", "read_s"), s("ingest_all")
    add(
        "ingest_vs_baseline",
        "ingest ≥ 8× the pandas + openpyxl baseline (baseline read ÷ our ingest)",
        full,
        (b / i) if b and i else None,
        8,
        "×",
        cmp=">=",
    )
    add(
        "city_query_p95",
        "city, every dashboard/SQL query p95 ≤ 50 ms",
        tier == "city" and full,
        s("queries", "worst_p95_ms"),
        50,
        "ms",
    )
    suite = latest_suite_timing()
    add(
        "test_suite",
        "the README's test command ≤ 8 min on 2 cores (measured separately: benchmarks/results/test-suite-*.json)",
        suite is not None and full,
        suite["minutes"] if suite else None,
        8,
        "min",
    )
    return out


def latest_suite_timing() -> dict | None:
    """The newest recorded run of the README's test command (``benchmarks/results/test-suite-<date>.json``)."""
    files = sorted(RESULTS_DIR.glob("test-suite-*.json"))
    if not files:
        return None
    try:
        return json.loads(files[-1].read_text(encoding="utf-8"))
    except ValueError:
        return None


def print_report(result: dict, console) -> None:
    from rich.table import Table

    def f(v, fmt="{:.2f}"):
        return "—" if v is None else fmt.format(v)

    st = result["stages"]
    t = Table(
        title=f"liangxin benchmark — {result['config']['tier']} "
        f"({result['config']['quarters']} quarter(s), {result['dataset']['n_files']} files)"
    )
    for col in ("stage", "seconds (in-proc)", "wall s", "peak RSS MB", "throughput / detail"):
        t.add_column(col, justify="right" if col != "stage" and col != "throughput / detail" else "left")
    gen = result["dataset"]["generate"]
    t.add_row(
        "generate (cached)",
        f(gen.get("build_world_s", 0) + gen.get("write_s", 0)),
        f(gen.get("wall_s")),
        f(gen.get("peak_rss_bytes", 0) / 2**20, "{:.0f}"),
        f"build_world {f(gen.get('build_world_s'))} s, write {f(gen.get('write_s'))} s",
    )
    for name in ("baseline", "dbt_parse", *STAGES):
        r = st.get(name)
        if not r:
            continue
        detail = ""
        if name.startswith("ingest"):
            detail = f"{f(r.get('files_per_s'), '{:.1f}')} files/s, {f(r.get('rows_per_s'), '{:.0f}')} rows/s"
        elif name == "baseline":
            detail = f"read {f(r.get('read_s'))} s, compute {f(r.get('compute_s'))} s"
        elif name == "queries":
            detail = f"worst p95 {f(r.get('worst_p95_ms'), '{:.1f}')} ms over {len(r.get('queries', {}))} queries"
        elif name == "dbt_parse":
            detail = "untimed warm-up (not in end-to-end)"
        elif name == "dbt_build" and r.get("by_type"):
            detail = ", ".join(f"{k} {v['n']}× {v['seconds']:.1f}s" for k, v in r["by_type"].items())
        elif name == "incremental":
            detail = _incremental_detail(r, f)
        if r.get("skipped"):
            detail = f"[yellow]skipped: {str(r['skipped'])[:70]}[/yellow]"
        if not r.get("ok"):
            detail = f"[red]FAILED: {str(r.get('error'))[:80]}[/red]"
        t.add_row(
            name, f(r.get("seconds")), f(r.get("wall_s")), f((r.get("peak_rss_bytes") or 0) / 2**20, "{:.0f}"), detail
        )
    console.print(t)
    q = st.get("queries", {}).get("queries")
    if q:
        qt = Table(title="query latency on serve.duckdb")
        for col in ("query", "p50 ms", "p95 ms", "rows"):
            qt.add_column(col, justify="left" if col == "query" else "right")
        for name, v in q.items():
            qt.add_row(name, f(v["p50_ms"]), f(v["p95_ms"]), str(v["rows"]))
        console.print(qt)
    tt = Table(title=f"targets (issue 17; load average at start {result['machine'].get('loadavg_at_start')})")
    for col in ("target", "value", "limit", "result", "baseline (same run)", "× faster"):
        tt.add_column(col)
    for x in result["targets"]:
        res = "n/a" if x["pass"] is None else ("[green]✓[/green]" if x["pass"] else "[red]✗[/red]")
        tt.add_row(
            x["target"],
            f(x["value"]),
            f"{x['limit']} {x['unit']}",
            res,
            f(x.get("baseline")),
            f(x.get("ratio"), "{:.1f}"),
        )
    console.print(tt)
    ratio = result.get("ours_vs_baseline", {})
    if ratio:
        console.print("ours ÷ baseline: " + ", ".join(f"{k} {f(v, '{:.3f}')}" for k, v in ratio.items()))


def cmd_run(args) -> int:
    from rich.console import Console

    console = Console(width=max(130, Console().width))
    if args.quarters is None:
        args.quarters = DEFAULT_QUARTERS[args.tier]
    work = Path(args.work).resolve()
    args.work = str(work)
    work.mkdir(parents=True, exist_ok=True)
    facts = machine_facts()
    cache_dir, manifest = ensure_cache(args, work, console)
    run_dir = work / "runs" / f"{cache_dir.name}-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    reps = []
    for k in range(args.repeat):
        reps.append(one_repeat(args, cache_dir, manifest, run_dir, k, console))
    stages = {
        name: _median_stage(reps, name) for name in ("baseline", "dbt_parse", *STAGES) if any(name in r for r in reps)
    }
    equality = reps[0].get("equality")
    reduced = bool(args.communities)
    ours_vs = {}
    b = stages.get("baseline", {})
    if b.get("ok"):
        if stages["ingest_all"].get("seconds") and b.get("read_s"):
            ours_vs["ingest_all / baseline_read"] = stages["ingest_all"]["seconds"] / b["read_s"]
        if stages["dbt_build"].get("seconds") and b.get("compute_s"):
            ours_vs["dbt_build / baseline_compute"] = stages["dbt_build"]["seconds"] / b["compute_s"]
    result = {
        "schema": 1,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(),
        "machine": facts,
        "config": {
            "tier": args.tier,
            "quarters": args.quarters,
            "seed": args.seed,
            "communities": args.communities,
            "repeat": args.repeat,
            "query_repeats": args.query_repeats,
            "reduced": reduced,
            "dbt_exclude_tests": args.dbt_exclude_tests,
            "note": args.note,
        },
        "dataset": {
            k: manifest[k]
            for k in ("periods", "n_communities", "n_files", "rows_by_form", "bytes", "writer", "generate")
        },
        "stages": stages,
        "end_to_end": {
            "inbox_to_dashboard_wall_s": sum(
                stages.get(n, {}).get("wall_s") or 0 for n in ("ingest_all", "dbt_build", "publish", "dashboard")
            ),
            "inbox_to_dashboard_inproc_s": sum(
                stages.get(n, {}).get("seconds") or 0 for n in ("ingest_all", "dbt_build", "publish", "dashboard")
            ),
        },
        "equality": equality,
        "ours_vs_baseline": ours_vs,
        "targets": evaluate_targets(args.tier, args.quarters, stages, reduced),
        "run_dir": str(run_dir),
    }
    try:
        result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    out_dir = Path(args.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = f"-c{args.communities}" if args.communities else ""
    qsuffix = "" if args.quarters == DEFAULT_QUARTERS[args.tier] else f"-q{args.quarters}"
    out = out_dir / f"{args.tier}{qsuffix}{suffix}-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print_report(result, console)
    console.print(f"results: {out}")
    failed = [n for n, r in stages.items() if not r.get("ok")]
    if failed:
        console.print(f"[red]failed stages: {', '.join(failed)}[/red]")
    if equality is not None and not equality["equal"]:
        return 3
    return 1 if failed else 0


def generate_only(tier: str, seed: int, quarters: int, communities: int | None) -> dict:
    """Time ``build_world`` alone (runs in a subprocess: ``python -m benchmarks _genonly …``)."""
    from liangxin.generator import build_world, world_stats

    ps = periods_for(quarters)
    t0 = time.perf_counter()
    world = build_world(tier=tier, start=ps[0], end=ps[-1], seed=seed, communities=communities)
    secs = time.perf_counter() - t0
    try:
        stats = world_stats(world)
    except Exception as exc:  # stats are informative only
        stats = {"error": str(exc)}
    rows = sum(len(v) for ret in world.returns.values() for k, v in ret.items() if k != "cover")
    return {
        "tier": tier,
        "quarters": quarters,
        "periods": ps,
        "build_world_s": secs,
        "returns": len(world.returns),
        "rows": rows,
        "peak_rss_bytes": peak_rss_bytes(),
        "stats": stats,
    }


def cmd_generate(args) -> int:
    from rich.console import Console

    console = Console()
    quarters = args.quarters or DEFAULT_QUARTERS[args.tier]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("LIANGXIN_REGISTER", None)
    t0 = time.perf_counter()
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "_genonly",
            args.tier,
            str(args.seed),
            str(quarters),
            str(args.communities or 0),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.timeout,
    )
    if p.returncode != 0:
        console.print(f"[red]generator failed:[/red] {p.stderr[-2000:]}")
        return 1
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["wall_s"] = time.perf_counter() - t0
    res["machine"] = machine_facts()
    out_dir = Path(args.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"generator-{args.tier}-q{quarters}-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    console.print(
        f"build_world {args.tier} {quarters} quarter(s): {res['build_world_s']:.1f} s "
        f"(wall {res['wall_s']:.1f} s), {res['returns']} returns, {res['rows']} rows, "
        f"peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MB → {out}"
    )
    return 0


def markdown_table(result: dict) -> str:
    """A compact Markdown table of one result JSON (for benchmarks/README.md)."""

    def f(v, fmt="{:.2f}"):
        return "—" if v is None else fmt.format(v)

    c, st = result["config"], result["stages"]
    m = result["machine"]
    lines = [
        f"**{c['tier']}**, {c['quarters']} quarter(s)"
        + (f", first {c['communities']} communities" if c.get("communities") else "")
        + f", {result['dataset']['n_files']} files, {sum(result['dataset']['rows_by_form'].values())} rows — "
        f"{m.get('cores')} cores, {m.get('ram_gb')} GB, {m.get('cpu_model')}, load {m.get('loadavg_at_start')} → "
        f"{m.get('loadavg_at_end')}, "
        f"{result['created'][:16]}" + (f" — {c['note']}" if c.get("note") else ""),
        "",
        "| stage | s (in-process) | wall s | peak RSS MB | detail |",
        "|---|---:|---:|---:|---|",
    ]
    for name in ("baseline", *STAGES):
        r = st.get(name)
        if not r:
            continue
        d = ""
        if name.startswith("ingest"):
            d = f"{f(r.get('files_per_s'), '{:.2f}')} files/s, {f(r.get('rows_per_s'), '{:.0f}')} rows/s"
        elif name == "baseline":
            d = f"read {f(r.get('read_s'))} s, compute {f(r.get('compute_s'))} s"
        elif name == "queries":
            d = f"worst p95 {f(r.get('worst_p95_ms'), '{:.1f}')} ms ({len(r.get('queries', {}))} queries)"
        elif name == "incremental":
            d = _incremental_detail(r, f)
        if r.get("skipped"):
            d = "skipped: no complete year (D50: annual tables need all four quarters)"
        if not r.get("ok"):
            d = "FAILED: " + str(r.get("error"))[:60].replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {name} | {f(r.get('seconds'))} | {f(r.get('wall_s'))} | "
            f"{f((r.get('peak_rss_bytes') or 0) / 2**20, '{:.0f}')} | {d} |"
        )
    eq = result.get("equality") or {}
    if eq.get("values_compared") is None:
        lines += ["", "baseline not run (--skip-baseline)"]
    else:
        lines += [
            "",
            f"baseline == warehouse: {eq.get('values_compared')} values compared, "
            f"{eq.get('mismatches')} mismatches; ours ÷ baseline: "
            + ", ".join(f"{k} {v:.3f}" for k, v in result.get("ours_vs_baseline", {}).items()),
        ]
    lines += [
        "",
        "| target | value | limit | result | baseline (same run) | × faster |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for t in result["targets"]:
        res = "n/a" if t["pass"] is None else ("✓" if t["pass"] else "✗")
        lines.append(
            f"| {t['target']} | {f(t['value'])} | {t['limit']} {t['unit']} | {res} | {f(t.get('baseline'))} | "
            f"{f(t.get('ratio'), '{:.1f}')} |"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run",
        help="run the benchmark for one tier",
        description="Generate the tier once (cached), then time every stage in a fresh LIANGXIN_HOME "
        "and write benchmarks/results/<tier>-<date>.json.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    r.add_argument(
        "--tier",
        choices=TIERS + ("national",),
        default="district",
        help="scale tier (shared/spec/scale.md); national: 31 provinces at a reduced scale "
        "(benchmarks/national.py, --engine)",
    )
    r.add_argument(
        "--engine",
        choices=("duckdb", "spark", "both"),
        default="both",
        help="national tier only: the warehouse engine(s) timed on the same reduced world",
    )
    r.add_argument(
        "--communities-per-province",
        type=int,
        default=4,
        help="national tier only: communities generated per province (31 provinces)",
    )
    r.add_argument(
        "--quarters", type=int, default=None, help="quarters ending 2021Q4 (default: district 12, city 1, province 1)"
    )
    r.add_argument("--work", default=str(DEFAULT_WORK), help="work folder: world cache and homes")
    r.add_argument("--repeat", type=int, default=1, help="repeat the timed stages K times (median reported)")
    r.add_argument("--seed", type=int, default=20201, help="generator seed")
    r.add_argument(
        "--communities",
        type=int,
        default=None,
        help="keep only the first N communities (a reduced world: targets are reported as n/a)",
    )
    r.add_argument("--query-repeats", type=int, default=20, help="runs per query for p50/p95 (≥ 20 for the target)")
    r.add_argument("--results-dir", default=str(RESULTS_DIR), help="where the JSON result goes")
    r.add_argument("--skip-baseline", action="store_true", help="do not run the pandas baseline")
    r.add_argument(
        "--separate-one",
        action="store_true",
        help="time ingest_one in its own home even when there is a single quarter",
    )
    r.add_argument("--dbt-exclude-tests", action="store_true", help="dbt build without data tests (diagnostic)")
    r.add_argument("--profile", action="store_true", help="cProfile every stage (.prof + .prof.txt in the run dir)")
    r.add_argument("--regenerate", action="store_true", help="rebuild the cached world")
    r.add_argument("--keep", action="store_true", help="keep the LIANGXIN_HOME folders of the run")
    r.add_argument(
        "--stage-timeout", type=float, default=None, help="give up a stage after this many seconds (recorded as failed)"
    )
    r.add_argument("--note", default=None, help="free text stored in the JSON (e.g. 'quiet machine')")
    t = sub.add_parser("table", help="print a Markdown summary of result JSON file(s)")
    t.add_argument("files", nargs="+")
    g = sub.add_parser(
        "generate",
        help="time the generator (build_world) alone for a tier",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    g.add_argument("--tier", choices=TIERS, default="city")
    g.add_argument("--quarters", type=int, default=None, help="quarters ending 2021Q4 (default as for run)")
    g.add_argument("--seed", type=int, default=20201)
    g.add_argument("--communities", type=int, default=None, help="keep only the first N communities")
    g.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    g.add_argument("--results-dir", default=str(RESULTS_DIR))
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_stage"]:
        return stage_main(argv[1], argv[2])
    if argv[:1] == ["_prepare"]:
        tier, seed, quarters, comms, cache_dir = argv[1:6]
        prepare_world(tier, int(seed), int(quarters), int(comms) or None, Path(cache_dir))
        return 0
    if argv[:1] == ["_genonly"]:
        tier, seed, quarters, comms = argv[1:5]
        print(json.dumps(generate_only(tier, int(seed), int(quarters), int(comms) or None), default=str))
        return 0
    args = build_parser().parse_args(argv)
    if args.command == "run" and args.tier == "national":
        from benchmarks import national

        res = national.run(
            args.engine,
            args.communities_per_province,
            args.quarters or 4,
            args.seed,
            Path(args.work) / "national",
            Path(args.results_dir),
        )
        print(
            json.dumps(
                {k: res[k] for k in ("stages", "seconds_per_million_raw_rows", "result_rows", "uptime", "out")},
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    if args.command == "run":
        return cmd_run(args)
    if args.command == "generate":
        return cmd_generate(args)
    if args.command == "table":
        for f in args.files:
            print(markdown_table(json.loads(Path(f).read_text(encoding="utf-8"))))
            print()
        return 0
    return 2
