"""``liangxin ui | docs | paths``: the home's Dagster UI, the warehouse documentation (dbt docs), the locations."""

from __future__ import annotations

from pathlib import Path

import typer


def ui_command(
    port: int = typer.Option(3000, "--port", help="Dagster 界面端口。"),
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认仅本机）。"),
) -> None:
    """打开 Dagster 界面（dagster dev）：查看命令行和传感器的全部运行、资产物化与检查结果。

    使用本数据目录的 Dagster 实例（$LIANGXIN_HOME/dagster，或已设置的 $DAGSTER_HOME）；按 Ctrl-C 退出。
    """
    import shutil
    import subprocess
    import sys

    from liangxin.pipeline import dagster_home, dagster_instance, ensure_home
    from liangxin.settings import Settings, child_env

    settings = Settings.from_env()  # the edge
    ensure_home(settings)
    dagster_instance(settings)  # creates the folder and its dagster.yaml
    exe = shutil.which("dagster", path=str(Path(sys.executable).parent)) or shutil.which("dagster")
    if exe is None:
        typer.echo("找不到 dagster 命令：请在项目的虚拟环境中运行（pip install -e .）。", err=True)
        raise typer.Exit(2)
    # the code location reads its settings from this environment (liangxin.definitions, the Dagster edge)
    env = child_env({"DAGSTER_HOME": str(dagster_home(settings).resolve())})
    typer.echo(f"Dagster 实例：{env['DAGSTER_HOME']}　界面：http://{host}:{port}")
    try:
        rc = subprocess.call([exe, "dev", "-m", "liangxin.definitions", "-h", host, "-p", str(port)], env=env)
    except KeyboardInterrupt:
        rc = 0
    raise typer.Exit(rc)


def docs_command(
    port: int = typer.Option(8080, "--port", help="文档服务端口。"),
    generate_only: bool = typer.Option(False, "--generate-only", help="只生成文档，不启动服务。"),
) -> None:
    """生成并打开数据仓库文档（dbt docs）：模型、字段说明和血缘图；可在任意目录运行。"""
    import subprocess

    from liangxin import paths
    from liangxin.defs.dbt import dbt_command_args, dbt_env, dbt_executable, dbt_target_dir
    from liangxin.settings import Settings

    settings = Settings.from_env()  # the edge
    db = settings.duckdb
    if not db.exists():
        typer.echo(f"构建库不存在：{db}。请先运行 liangxin demo 或 liangxin build。", err=True)
        raise typer.Exit(2)
    target = dbt_target_dir(db)
    common = [*dbt_command_args(settings), "--target-path", str(target), "--log-path", str(settings.logs)]
    env = dbt_env()
    from liangxin.ingest import writer_lock

    with writer_lock(db):  # dbt opens the build database (catalog queries): not while a build writes it
        proc = subprocess.run(
            [dbt_executable(), "docs", "generate", *common],
            env=env,
            cwd=paths.DBT_PROJECT_DIR,
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        typer.echo(f"dbt docs generate 失败：\n{tail}", err=True)
        raise typer.Exit(1)
    typer.echo(f"文档已生成：{target / 'index.html'}")
    if generate_only:
        return
    typer.echo(f"文档服务：http://127.0.0.1:{port}（Ctrl-C 退出）")
    try:
        rc = subprocess.call(
            [dbt_executable(), "docs", "serve", "--port", str(port), "--no-browser", *common],
            env=env,
            cwd=paths.DBT_PROJECT_DIR,
        )
    except KeyboardInterrupt:
        rc = 0
    raise typer.Exit(rc)


def paths_command() -> None:
    """显示 liangxin 读写数据的位置（收件箱、归档、回执、数据库、发布目录）。"""
    from rich.console import Console
    from rich.table import Table

    from liangxin.settings import Settings

    s = Settings.from_env()  # the edge
    table = Table(title="liangxin 路径")
    table.add_column("用途")
    table.add_column("路径")
    for label, value in [
        ("数据目录 home", s.home),
        ("收件箱 inbox", s.inbox),
        ("归档 archive", s.archive),
        ("回执 outbox", s.outbox),
        ("构建库 build db", s.duckdb),
        ("服务快照 serve db", s.serve_duckdb),
        ("发布目录 build", s.build),
        ("日志 logs", s.logs),
        ("Dagster 实例", s.dagster_home),
    ]:
        table.add_row(label, str(value))
    Console().print(table)
