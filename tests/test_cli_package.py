"""The CLI package (issue 16 #4, D190–D192): every command lives in ``liangxin.cli``, domain modules import no
Typer, ``liangxin.ingest`` keeps its public names after the split, and a domain error reaches the user as a bad
option (exit code 2) with its bilingual message."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import typer.main
from typer.testing import CliRunner

import liangxin
from liangxin.cli import app

PACKAGE = Path(liangxin.__file__).parent
PENDING: set[str] = set()  # every command is in the CLI package


def _imports_typer(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "typer" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "typer":
            return True
    return False


def test_no_domain_module_imports_typer():
    offenders = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] != "cli" and _imports_typer(p)
    )
    assert [o for o in offenders if o not in PENDING] == []
    assert _imports_typer(PACKAGE / "cli" / "__init__.py")


def _leaves(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            if cmd.callback is not None:
                yield (*prefix, name), cmd.callback
            yield from _leaves(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd.callback


def test_every_command_is_defined_in_the_cli_package():
    root = typer.main.get_command(app)
    commands = {" ".join(k): f for k, f in _leaves(root)}
    assert {
        "ingest",
        "build",
        "demo",
        "template",
        "sql",
        "explain",
        "bulletin",
        "dashboard",
        "backup",
        "restore",
        "reingest",
        "rekey",
        "generate",
        "ui",
        "docs",
        "paths",
        "annual-return",
        "annual-return finalize",
        "annual-return status",
        "superset up",
        "superset down",
        "superset status",
        "superset publish",
    } <= set(commands)
    outside = {k: f.__module__ for k, f in commands.items() if not f.__module__.startswith("liangxin.cli.")}
    assert outside == {}


def test_ingest_keeps_its_public_names():
    import liangxin.ingest as ingest

    for name in (
        "ingest_file",
        "ingest_paths",
        "writer_lock",
        "file_sha256",
        "archive_file",
        "append_receipt",
        "collect_files",
        "peek_cover",
        "leave_inbox",
        "duplicate_text",
        "WriterSession",
        "IngestOutcome",
        "FAILED",
        "OUTCOME_LABELS",
        "SUFFIXES",
        "DUPLICATE_TITLE",
        "PARALLEL_MIN_FILES",
    ):
        assert getattr(ingest, name) is not None, name
    assert ingest.OUTCOME_LABELS[ingest.FAILED] == "内部错误"
    assert ingest.ingest_paths.__module__ == "liangxin.ingest.batch"
    assert ingest.ingest_file.__module__ == "liangxin.ingest.receive"


def test_template_error_is_a_plain_value_error_mapped_at_the_edge(tmp_path):
    from liangxin.template import TemplateError, write_template

    try:
        write_template("330199001001", "2020Q9", tmp_path / "x.xlsx")
    except TemplateError as exc:
        assert type(exc).__mro__[1] is ValueError and exc.option == "--period"
        message = str(exc)
    else:  # pragma: no cover
        raise AssertionError("no TemplateError")
    for extra in ([], ["--prefill"]):
        r = CliRunner().invoke(
            app, ["template", "--unit", "330199001001", "--period", "2020Q9", "-o", str(tmp_path / "y.xlsx"), *extra]
        )
        assert r.exit_code == 2, r.output
        assert "Invalid value for --period" in r.output and "2020Q9" in r.output
        assert message.split("/")[0].strip()[:10] in r.output
    assert not (tmp_path / "y.xlsx").exists()


def test_python_dash_m_runs_the_same_app(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "liangxin.cli", "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert p.returncode == 0, p.stderr
    assert "annual-return" in p.stdout and "两新组织党建统计" in p.stdout
