#!/usr/bin/env bash
# Static checks, run by .ci/run before the tests; exits non-zero on any violation.
# Uses .venv with the dev extra (created here when missing, as scripts/test.sh does).
# Python: ruff check + ruff format --check (pinned in the dev extra, configured in pyproject.toml [tool.ruff]).
# SQL: sqlfluff (pinned in the dev extra) over the dbt models and tests, configured by .sqlfluff
# (docs/internals.md "Linting").
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/sqlfluff ] || [ ! -x .venv/bin/ruff ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet -e ".[dev]"
fi

echo "ruff check ."
.venv/bin/ruff check .

echo "ruff format --check ."
.venv/bin/ruff format --check .

echo "sqlfluff lint dbt_project/models dbt_project/tests"
.venv/bin/sqlfluff lint dbt_project/models dbt_project/tests --processes "${LINT_PROCESSES:-2}"
