"""The ``liangxin`` command line (Typer + Rich).

Each sub-command lives next to the code it drives and is registered here, so that the command line,
the tests and the Dagster definitions call the same functions.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

app = typer.Typer(
    name="liangxin",
    help=(
        "两新组织党建统计 — receive the quarterly returns of community general branches, audit them, "
        "load them into DuckDB, compute the indicators with dbt and publish dashboards and the annual return.\n\n"
        "Paths come from LIANGXIN_HOME (default ./data) and friends; see `liangxin paths`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

@app.callback()
def _main() -> None:
    """两新组织党建统计 (liangxin)."""
    from liangxin.paths import private_umask, secure_home

    private_umask()  # issue 19: everything this command writes is private (0600 / 0700)
    secure_home()  # and what an older version left readable


# (command name, module, attribute) — each attribute is a plain function with Typer annotations.
_COMMANDS = [
    ("generate", "liangxin.generator.cli", "generate"),
    ("template", "liangxin.template", "template_command"),
    ("ingest", "liangxin.ingest", "ingest_command"),
    ("build", "liangxin.build", "build_command"),
    ("demo", "liangxin.demo", "demo_command"),
    ("annual-return", "liangxin.annual", "annual_return_command"),
    ("dashboard", "liangxin.dashboard", "dashboard_command"),
    ("sql", "liangxin.sql", "sql_command"),
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


@app.command("paths")
def paths_command() -> None:
    """Show where liangxin reads and writes (inbox, archive, outbox, databases, build outputs)."""
    from rich.console import Console
    from rich.table import Table

    from liangxin import paths

    table = Table(title="liangxin 路径 / paths")
    table.add_column("what")
    table.add_column("path")
    for label, fn in [("home", paths.home), ("inbox 收件箱", paths.inbox), ("archive 归档", paths.archive),
                      ("outbox 回执", paths.outbox), ("build db 构建库", paths.build_db),
                      ("serve db 服务快照", paths.serve_db), ("build outputs 发布", paths.build_dir)]:
        table.add_row(label, str(fn()))
    Console().print(table)


if __name__ == "__main__":
    app()
