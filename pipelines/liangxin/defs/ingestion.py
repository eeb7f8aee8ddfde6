"""Ingestion in Dagster: the inbox sensor, the ``raw_returns`` asset (+ rule-hit checks) and per-quarter status.

- ``inbox_sensor`` hashes the files in the inbox and asks for one run of ``ingest_job`` per new SHA-256
  (``run_key`` = SHA-256, so the instance never launches the same content twice; the cursor remembers what
  was already requested so an evaluation does not even re-request).
- ``raw_returns`` calls ``liangxin.ingest.ingest_paths`` — the same code as ``liangxin ingest`` — and
  reports rule hits through two asset checks with WARN severity (a rejection is a business outcome, not a
  pipeline failure).  An internal failure fails the run.
- ``period_submissions`` (partitioned by quarter ``YYYYQn``) records which communities have a current
  return for the quarter and which are missing.

Every asset that opens the DuckDB file is in pool ``duckdb_writer`` (1 slot, see dagster.yaml) *and* takes
the cross-process file lock, so the CLI and Dagster never write at the same time.
"""

import json
import time
from collections import Counter
from pathlib import Path

import dagster as dg

from liangxin import seeds, warehouse
from liangxin.defs.partitions import quarterly_partitions
from liangxin.defs.resources import DUCKDB_POOL, LiangxinPaths
from liangxin.ingest import FAILED, OUTCOME_LABELS, SUFFIXES, file_sha256, ingest_paths, writer_lock
from liangxin.validate.result import ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, REJECTED

CHECK_ERRORS = "no_rejected_submissions"
CHECK_WARNINGS = "no_rule_warnings"
NEW_SUBMISSIONS_TAG = "liangxin/new_submissions"  # set on each ingestion run: files loaded or rejected (not duplicates)
# LIANGXIN_INBOX_SETTLE_SECONDS (Settings.inbox_settle_seconds): ignore files modified more recently (copying)


last_outcomes: list = []  # the outcomes of the last in-process raw_returns run (for the CLI's summary)


class RawReturnsConfig(dg.Config):
    """Files or folders to ingest; empty = the whole inbox (already received files are duplicates: no-ops)."""

    paths: list[str] = []
    progress: bool = False  # a Rich progress bar on the terminal (the CLI's in-process runs)
    backfill: bool = False  # historical backfill: P4 judged by 报出日期, receipts say 历史补录 (`ingest --backfill`)
    # the CLI's --db / --archive / --outbox; empty = the resource's locations
    db_path: str = ""
    archive_dir: str = ""
    outbox_dir: str = ""


def _rule_table(counts: Counter, severity: str) -> dict[str, int]:
    return {k.split("/")[0]: n for k, n in sorted(counts.items()) if k.endswith("/" + severity)}


@dg.asset(
    key="raw_returns",
    group_name="ingestion",
    pool=DUCKDB_POOL,
    kinds={"duckdb", "python"},
    description="接收的季报原始数据：raw.submissions、raw.rule_hits 与 raw.<表>（每份报表一个事务）。",
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_ERRORS, asset="raw_returns", description="本次接收中被退回的报表（错误级审核规则命中）"
        ),
        dg.AssetCheckSpec(CHECK_WARNINGS, asset="raw_returns", description="本次接收中的警告级审核规则命中数"),
    ],
)
def raw_returns(
    context: dg.AssetExecutionContext, config: RawReturnsConfig, liangxin: dg.ResourceParam[LiangxinPaths]
) -> dg.MaterializeResult:
    targets = [Path(p) for p in config.paths] or [liangxin.inbox()]
    for p in targets:
        if not p.exists():
            context.log.warning(f"文件或目录不存在（可能已被移走），跳过：{p}")
    targets = [p for p in targets if p.exists()]
    outcomes = ingest_paths(
        targets,
        settings=liangxin.settings,
        db_path=Path(config.db_path) if config.db_path else liangxin.db(),
        archive_dir=Path(config.archive_dir) if config.archive_dir else liangxin.archive(),
        outbox_dir=Path(config.outbox_dir) if config.outbox_dir else liangxin.outbox(),
        progress=config.progress,
        inbox_dir=liangxin.inbox(),
        backfill=config.backfill,
    )
    global last_outcomes
    last_outcomes = outcomes  # the CLI's summary after an in-process run (liangxin ingest)
    by_outcome = Counter(o.outcome for o in outcomes)
    rules: Counter = Counter()
    rows: Counter = Counter()
    for o in outcomes:
        rules.update(o.rule_counts)
        rows.update(o.rows)
        context.log.info(
            f"{o.outcome_zh}：{o.original_name}（{o.unit_code} {o.period} 更正{o.correction_no}，"
            f"错误 {o.error_count}，警告 {o.warning_count}）"
        )
    try:  # the rebuild sensor skips a run that received nothing new (D121)
        context.instance.add_run_tags(
            context.run.run_id,
            {NEW_SUBMISSIONS_TAG: str(sum(1 for o in outcomes if o.outcome not in (DUPLICATE, FAILED)))},
        )
    except Exception as exc:  # noqa: BLE001 - a tag is a hint, never a reason to fail the ingestion
        context.log.warning(f"无法标记运行：{exc}")
    failed = [o for o in outcomes if o.outcome == FAILED]
    if failed:
        raise dg.Failure(
            description="内部错误，以下文件未能处理："
            + "；".join(f"{o.original_name}: {o.internal_error}" for o in failed)
        )
    rejected = [o for o in outcomes if o.outcome == REJECTED]
    errors = _rule_table(rules, "E")
    warnings = _rule_table(rules, "W")
    files_md = "\n".join(
        ["| 文件 | 结果 | 单位 | 报告期 | 更正 | 错误 | 警告 |", "|---|---|---|---|---|---|---|"]
        + [
            f"| {o.original_name} | {o.outcome_zh} | {o.unit_code or ''} | {o.period or ''} | "
            f"{'' if o.correction_no is None else o.correction_no} | {o.error_count} | {o.warning_count} |"
            for o in outcomes
        ]
    )
    metadata = {
        "files": len(outcomes),
        **{f"outcome_{k}": by_outcome.get(k, 0) for k in (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, DUPLICATE)},
        "rows_loaded": dg.MetadataValue.json(dict(rows)),
        "submission_ids": dg.MetadataValue.json([o.sha256 for o in outcomes if o.outcome != DUPLICATE]),
        "files_table": dg.MetadataValue.md(files_md),
    }
    checks = [
        dg.AssetCheckResult(
            check_name=CHECK_ERRORS,
            passed=not rejected,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"退回 {len(rejected)} 份报表" if rejected else "无退回报表",
            metadata={
                "rejected_files": dg.MetadataValue.json([o.original_name for o in rejected]),
                "error_hits_per_rule": dg.MetadataValue.json(errors),
                "error_hits": sum(errors.values()),
            },
        ),
        dg.AssetCheckResult(
            check_name=CHECK_WARNINGS,
            passed=not warnings,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"警告 {sum(warnings.values())} 条" if warnings else "无警告",
            metadata={"warning_hits_per_rule": dg.MetadataValue.json(warnings), "warning_hits": sum(warnings.values())},
        ),
    ]
    return dg.MaterializeResult(metadata=metadata, check_results=checks)


ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=[raw_returns],
    description="接收收件箱中的一份或多份报表（由 inbox_sensor 按文件 SHA-256 触发）。",
)


# --------------------------------------------------------------------------------------------------
# Sensor
# --------------------------------------------------------------------------------------------------
def scan_inbox(inbox: Path, seen: set[str], settle_seconds: float = 2.0) -> list[tuple[Path, str]]:
    """New (path, sha256) in the inbox, in name order; one per content (identical copies count once)."""
    if not inbox.is_dir():
        return []
    now = time.time()
    found: list[tuple[Path, str]] = []
    new: set[str] = set()
    for f in sorted(inbox.rglob("*")):
        if not f.is_file() or f.suffix.lower() not in SUFFIXES or f.name.startswith(("~$", ".")):
            continue
        try:
            if now - f.stat().st_mtime < settle_seconds:
                continue  # still being copied in; next evaluation
            sha = file_sha256(f)[0]
        except OSError:
            continue
        if sha in seen or sha in new:
            continue
        new.add(sha)
        found.append((f, sha))
    return found


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="每个新文件（按 SHA-256 判断）触发一次接收。",
)
def inbox_sensor(context: dg.SensorEvaluationContext, liangxin: dg.ResourceParam[LiangxinPaths]) -> dg.SensorResult:
    seen = set(json.loads(context.cursor)["seen"]) if context.cursor else set()
    settle = liangxin.settings.inbox_settle_seconds
    new = scan_inbox(liangxin.inbox(), seen, settle)
    requests = [
        dg.RunRequest(
            run_key=sha,
            run_config=dg.RunConfig(ops={"raw_returns": RawReturnsConfig(paths=[str(path)])}),
            tags={"liangxin/sha256": sha, "liangxin/file": path.name},
        )
        for path, sha in new
    ]
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason("收件箱无新文件"))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({"seen": sorted(seen | {sha for _, sha in new})}))


# --------------------------------------------------------------------------------------------------
# Per-quarter status
# --------------------------------------------------------------------------------------------------
@dg.asset(
    key="period_submissions",
    group_name="ingestion",
    deps=[raw_returns],
    partitions_def=quarterly_partitions,
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    description="每个季度：各社区党总支的当前报表（最高已接收更正序号）与未报社区。",
)
def period_submissions(
    context: dg.AssetExecutionContext, liangxin: dg.ResourceParam[LiangxinPaths]
) -> dg.MaterializeResult:
    period = context.partition_key
    register = {r["unit_code"]: r.get("unit_name", "") for r in seeds.communities(liangxin.settings.register_csv)}
    current: dict[str, int] = {}
    outcomes: Counter = Counter()
    db = liangxin.db()
    if db.exists():
        with writer_lock(db):
            con = warehouse.connect(db, read_only=True)
            try:
                tables = {
                    r[0]
                    for r in con.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
                    ).fetchall()
                }
                if "submissions" in tables:
                    outcomes.update(
                        dict(
                            con.execute(
                                "SELECT outcome, count(*) FROM raw.submissions WHERE period = ? GROUP BY 1", [period]
                            ).fetchall()
                        )
                    )
                    current = {u: corr for (u, _), (_, corr, _) in warehouse.current_returns(con, period).items()}
            finally:
                con.close()
    missing = sorted(set(register) - set(current))
    context.log.info(f"{period}：已报 {len(current)} 个社区，未报 {len(missing)} 个社区")
    return dg.MaterializeResult(
        metadata={
            "period": period,
            "communities_in_register": len(register),
            "communities_with_current_return": len(current),
            "communities_missing": len(missing),
            "missing": dg.MetadataValue.json([f"{u} {register[u]}" for u in missing]),
            "corrections_in_force": dg.MetadataValue.json({u: int(c) for u, c in sorted(current.items())}),
            **{f"submissions_{OUTCOME_LABELS.get(k, k)}": int(v) for k, v in sorted(outcomes.items())},
        }
    )
