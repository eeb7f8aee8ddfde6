"""``liangxin backup | restore | reingest | rekey``: the operations of ``liangxin.ops`` on the home's data.

Plain functions and ``BackupError`` live in ``liangxin.ops``; here they are called with the settings read at the
edge and their errors printed (exit code 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from liangxin import finalize, privacy
from liangxin.cli.ingest import print_summary
from liangxin.ops import MANIFEST, BackupError, backup, reingest_all, rekey, restore
from liangxin.settings import Settings


# --------------------------------------------------------------------------------------------------
def backup_command(
    dest: Path = typer.Argument(..., help="备份存放目录 / folder that receives the backup folder"),
) -> None:
    """备份：构建库（加写锁、CHECKPOINT 后复制）、归档与回执目录，附 SHA-256 清单。Back up db, archive and outbox."""
    s = Settings.from_env()  # the edge
    try:
        out = backup(dest, db_path=s.duckdb, archive_dir=s.archive, outbox_dir=s.outbox)
    except BackupError as exc:
        typer.echo(f"备份失败 / backup failed: {exc}", err=True)
        raise typer.Exit(2)
    n = len(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"])
    typer.echo(f"已备份 {n} 个文件 / backup written: {out}")


def restore_command(
    src: Path = typer.Argument(..., help="备份目录（liangxin-backup-…）/ a backup folder"),
    force: bool = typer.Option(False, "--force", help="覆盖现有数据 / overwrite existing data"),
) -> None:
    """恢复：校验清单后放回构建库、归档与回执；已有数据时须加 --force。Restore a verified backup."""
    s = Settings.from_env()  # the edge
    try:
        where = restore(src, db_path=s.duckdb, archive_dir=s.archive, outbox_dir=s.outbox, force=force)
    except BackupError as exc:
        typer.echo(f"恢复失败 / restore failed: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"已恢复 / restored: {where['db']}, {where['archive']}, {where['outbox']}")
    typer.echo("请运行 dbt build 并发布快照 / now rebuild (dbt build) and publish the snapshot")


def reingest_command(
    db: Path = typer.Option(..., "--db", help="新的构建库文件（须不存在）/ new build database (must not exist)"),
) -> None:
    """从归档重新接收全部文件到新库（更换 HMAC 密钥后使用）。Re-ingest the whole archive into a new database."""

    s = Settings.from_env()  # the edge
    try:
        outcomes = reingest_all(s.archive, settings=s, db_path=db)
        finalize.carry_finalized(s.duckdb, db)  # 定稿 versions are not in the archive: carry them over
    except BackupError as exc:
        typer.echo(f"失败 / failed: {exc}", err=True)
        raise typer.Exit(2)
    print_summary(outcomes)


def rekey_command(
    keep_old: bool = typer.Option(False, "--keep-old", help="保留旧库副本（旧密钥的人员键）/ keep the old database"),
    yes: bool = typer.Option(False, "--yes", help="不再确认 / do not ask for confirmation"),
) -> None:
    """更换区级密钥：用当前 LIANGXIN_HMAC_SECRET 从归档重新接收全部文件，生成新的构建库并替换旧库。

    Re-key the warehouse with the current LIANGXIN_HMAC_SECRET (re-ingests the whole archive). Run
    `liangxin build --force` afterwards to rebuild the marts and the serving snapshot.
    """
    s = Settings.from_env()  # the edge
    try:
        fp = privacy.secret_fingerprint(s.secret())
    except privacy.SecretConfigurationError as exc:
        typer.echo(f"未更换密钥 / not re-keyed: {exc}", err=True)
        raise typer.Exit(2)
    if not yes:
        typer.confirm(f"将用指纹 {fp[:12]} 的密钥从归档重新生成构建库 {s.duckdb}，继续？", abort=True)
    try:
        outcomes, old = rekey(settings=s, keep_old=keep_old)
    except (BackupError, privacy.SecretConfigurationError) as exc:
        typer.echo(f"未更换密钥 / not re-keyed: {exc}", err=True)
        raise typer.Exit(2)
    print_summary(outcomes)
    typer.echo(
        f"已用指纹 {fp[:12]} 的密钥重新生成构建库 / re-keyed: {s.duckdb}"
        + (f"（旧库保留为 {old}）" if old else "（旧库已删除）")
    )
    typer.echo("请运行 liangxin build --force 重建指标与服务快照 / now run `liangxin build --force`")
