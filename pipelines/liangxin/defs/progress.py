"""Terminal progress of the build job when the command line runs it in-process (``liangxin build`` / ``demo``).

The CLI opens a :class:`BuildProgress` around ``execute_in_process`` (:func:`showing`); the dbt asset reports
its nodes (done / total, the current model) and a success hook on the build job's steps reports publishing.
With no progress open (the Dagster UI, the daemon, tests), every call is a no-op.  dbt's own event lines never
reach the terminal: the dbt asset writes them to ``$LIANGXIN_HOME/logs/dbt-build.log`` (:func:`dbt_log_paths`).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import dagster as dg


_current: "BuildProgress | None" = None

STEP_LABELS = {
    "liangxin_dbt": "dbt build",
    "serve_snapshot": "服务快照",
    "static_dashboard": "静态驾驶舱",
    "annual_returns": "统计年报",
    "superset_dashboards": "Superset",
}


def dbt_log_paths(home: Path) -> tuple[Path, Path]:
    """(the dbt event log of the last build, dbt's own debug log ``dbt.log``), both under ``<home>/logs``."""
    logs = Path(home) / "logs"
    return logs / "dbt-build.log", logs / "dbt.log"


class BuildProgress:
    def __init__(self, steps: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # the console is bound to the real stdout now: the dbt asset redirects sys.stdout into its log file
        self.console = Console(file=sys.stdout)
        self.bar = Progress(
            TextColumn("[bold]{task.fields[label]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.steps = self.bar.add_task("", total=steps, label="构建与发布（步骤）")
        self.dbt = None

    def dbt_start(self, total: int) -> None:
        self.dbt = self.bar.add_task("", total=total, label="dbt 节点（模型、种子、测试）")

    def dbt_node(self, name: str) -> None:
        if self.dbt is not None:
            from rich.markup import escape

            self.bar.update(self.dbt, advance=1, description=escape(name))

    def dbt_done(self) -> None:
        if self.dbt is not None:
            task = self.bar.tasks[self.dbt]
            self.bar.update(self.dbt, completed=task.completed, total=task.completed, description="完成")

    def step_done(self, step: str) -> None:
        self.bar.update(self.steps, advance=1, description=f"已完成：{STEP_LABELS.get(step, step)}")


@contextlib.contextmanager
def showing(steps: int, enabled: bool = True):
    """Show the build's progress on the terminal while the block runs (the CLI's in-process build)."""
    global _current
    if not enabled:
        yield None
        return
    prog = BuildProgress(steps)
    _current = prog
    prog.bar.start()
    try:
        yield prog
    finally:
        _current = None
        prog.bar.stop()


def current() -> BuildProgress | None:
    return _current


@dg.success_hook(name="liangxin_progress")
def progress_hook(context: dg.HookContext) -> None:
    prog = _current
    if prog is not None:
        prog.step_done(context.op.name)
