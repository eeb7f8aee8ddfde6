"""The ``liangxin`` command line (Typer + Rich).

Each sub-command lives next to the code it drives and is registered here, so that the command line,
the tests and the Dagster definitions call the same functions.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import typer

app = typer.Typer(
    name="liangxin",
    help=(
        "两新组织党建统计：接收社区党总支的季度报表，审核、入库（DuckDB），用 dbt 计算指标，"
        "发布领导驾驶舱和统计年报。\n\n"
        "数据目录由 LIANGXIN_HOME（默认 ./data）等环境变量决定，见 `liangxin paths`。"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

@app.callback()
def _main() -> None:
    """两新组织党建统计 (liangxin)."""
    from pydantic import ValidationError

    from liangxin.paths import private_umask, secure_home
    from liangxin.settings import Settings

    private_umask()  # issue 19: everything this command writes is private (0600 / 0700)
    try:
        settings = Settings.from_env()
    except ValidationError as exc:  # e.g. LIANGXIN_SUPERSET_PORT=abc: say which variable, no traceback
        names = [str(e["loc"][0]) if e["loc"] else "?" for e in exc.errors()]
        wrong = "；".join(f"{n if n.isupper() else 'LIANGXIN_' + n.upper()}: {e['msg']}"
                         for n, e in zip(names, exc.errors()))
        typer.echo(f"环境变量配置有误 / invalid setting: {wrong}", err=True)
        raise typer.Exit(2)
    secure_home(settings)  # and what an older version left readable


# (command name, module, attribute) — each attribute is a plain function with Typer annotations.
_COMMANDS = [
    ("generate", "liangxin.generator.cli", "generate"),
    ("template", "liangxin.template", "template_command"),
    ("ingest", "liangxin.ingest", "ingest_command"),
    ("build", "liangxin.build", "build_command"),
    ("demo", "liangxin.demo", "demo_command"),
    ("annual-return", "liangxin.finalize", "annual_return_app"),  # writer (liangxin.annual) + finalize + status
    ("bulletin", "liangxin.bulletin", "bulletin_command"),
    ("dashboard", "liangxin.dashboard", "dashboard_command"),
    ("sql", "liangxin.sql", "sql_command"),
    ("explain", "liangxin.explain", "explain_command"),
    ("backup", "liangxin.ops", "backup_command"),
    ("restore", "liangxin.ops", "restore_command"),
    ("reingest", "liangxin.ops", "reingest_command"),
    ("rekey", "liangxin.ops", "rekey_command"),
    ("superset", "liangxin.superset.cli", "app"),  # a Typer sub-app: up | down | status | publish
]

def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


for _name, _module, _attr in _COMMANDS:
    if not _exists(_module):  # a command whose module does not exist yet is absent
        continue
    _obj = getattr(importlib.import_module(_module), _attr)
    if isinstance(_obj, typer.Typer):
        app.add_typer(_obj, name=_name)
    else:
        app.command(_name)(_obj)


@app.command("ui")
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


@app.command("docs")
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
        proc = subprocess.run([dbt_executable(), "docs", "generate", *common], env=env, cwd=paths.DBT_PROJECT_DIR,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        typer.echo(f"dbt docs generate 失败：\n{tail}", err=True)
        raise typer.Exit(1)
    typer.echo(f"文档已生成：{target / 'index.html'}")
    if generate_only:
        return
    typer.echo(f"文档服务：http://127.0.0.1:{port}（Ctrl-C 退出）")
    try:
        rc = subprocess.call([dbt_executable(), "docs", "serve", "--port", str(port), "--no-browser", *common],
                             env=env, cwd=paths.DBT_PROJECT_DIR)
    except KeyboardInterrupt:
        rc = 0
    raise typer.Exit(rc)


@app.command("paths")
def paths_command() -> None:
    """显示 liangxin 读写数据的位置（收件箱、归档、回执、数据库、发布目录）。"""
    from rich.console import Console
    from rich.table import Table

    from liangxin.settings import Settings

    s = Settings.from_env()  # the edge
    table = Table(title="liangxin 路径")
    table.add_column("用途")
    table.add_column("路径")
    for label, value in [("数据目录 home", s.home), ("收件箱 inbox", s.inbox), ("归档 archive", s.archive),
                         ("回执 outbox", s.outbox), ("构建库 build db", s.duckdb),
                         ("服务快照 serve db", s.serve_duckdb), ("发布目录 build", s.build),
                         ("日志 logs", s.logs), ("Dagster 实例", s.dagster_home)]:
        table.add_row(label, str(value))
    Console().print(table)


if __name__ == "__main__":
    app()
