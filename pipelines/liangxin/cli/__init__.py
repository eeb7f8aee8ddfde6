"""The ``liangxin`` command line (Typer + Rich): the ``app`` of the console script ``liangxin.cli:app``.

Every command lives in a module of this package (one per command group: ``ingest``, ``annual``, ``ops`` …) and
is registered here.  A command reads the settings at the edge (``Settings.from_env()``), calls the plain
functions of the domain modules (``liangxin.ingest``, ``liangxin.annual`` …), prints with Rich and maps their
plain exceptions to exit codes or ``typer.BadParameter``; no domain module imports Typer (issue 16, D190).
"""

from __future__ import annotations

import importlib

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
        wrong = "；".join(
            f"{n if n.isupper() else 'LIANGXIN_' + n.upper()}: {e['msg']}" for n, e in zip(names, exc.errors())
        )
        typer.echo(f"环境变量配置有误 / invalid setting: {wrong}", err=True)
        raise typer.Exit(2)
    secure_home(settings)  # and what an older version left readable


# (command name, module, attribute): every command lives in a module of this package, one per command group;
# the domain modules it calls are plain functions and plain exceptions (issue 16, D190).
_COMMANDS = [
    ("generate", "liangxin.cli.generate", "generate"),
    ("template", "liangxin.cli.template", "template_command"),
    ("ingest", "liangxin.cli.ingest", "ingest_command"),
    ("build", "liangxin.cli.build", "build_command"),
    ("demo", "liangxin.cli.demo", "demo_command"),
    ("annual-return", "liangxin.cli.annual", "annual_return_app"),  # writer + finalize + status
    ("bulletin", "liangxin.cli.bulletin", "bulletin_command"),
    ("dashboard", "liangxin.cli.dashboard", "dashboard_command"),
    ("sql", "liangxin.cli.sql", "sql_command"),
    ("explain", "liangxin.cli.explain", "explain_command"),
    ("backup", "liangxin.cli.ops", "backup_command"),
    ("restore", "liangxin.cli.ops", "restore_command"),
    ("reingest", "liangxin.cli.ops", "reingest_command"),
    ("rekey", "liangxin.cli.ops", "rekey_command"),
    ("superset", "liangxin.cli.superset", "app"),  # a Typer sub-app: up | down | status | publish
    ("ui", "liangxin.cli.home", "ui_command"),
    ("docs", "liangxin.cli.home", "docs_command"),
    ("paths", "liangxin.cli.home", "paths_command"),
]

for _name, _module, _attr in _COMMANDS:
    _obj = getattr(importlib.import_module(_module), _attr)
    if isinstance(_obj, typer.Typer):
        app.add_typer(_obj, name=_name)
    else:
        app.command(_name)(_obj)
