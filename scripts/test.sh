#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: creates .venv, installs the project with its pinned
# dependencies, installs the Debian packages the tests drive (LibreOffice, Chromium, CJK fonts) when
# missing, then runs pytest on every core.  Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# the Spark target (issue 18): tests marked `spark` run when Java and the extra are present, else skip with a
# reason; a failed install of the optional extra (pyspark builds from its sdist) only means they skip
if command -v java >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet -e ".[dev,spark]" || echo "Spark extra not installed: the spark tests skip"
fi

need=()
# LibreOffice: Calc converts the annual return to PDF, Writer the 单建率通报 .docx
dpkg -s libreoffice-calc-nogui >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# poppler's pdftotext: the annual return's page-count tests read the PDF LibreOffice writes
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# not `fc-list | grep -q`: grep -q exits at the first match, fc-list then dies of SIGPIPE and, with pipefail,
# the pipeline fails now and then although the font is installed (the flaky font check)
fonts="$(fc-list 2>/dev/null || true)"
case "${fonts,,}" in *"noto sans cjk"*) ;; *) need+=(fonts-noto-cjk) ;; esac
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

export LIANGXIN_REQUIRE_LIBREOFFICE=1 LIANGXIN_REQUIRE_CHROMIUM=1
export PATH="$PWD/.venv/bin:$PATH"   # dbt and dagster must be on PATH
# one pytest worker per core (pytest-xdist), a test module's tests on one worker (its module fixtures built once);
# LIANGXIN_TEST_WORKERS=0 runs everything in this process
workers="${LIANGXIN_TEST_WORKERS:-auto}"
opts=()
if [ "$workers" != "0" ]; then opts=(-n "$workers" --dist loadfile); fi
# the 30 slowest tests are listed at the end (what to look at when the suite gets slower)
opts+=(--durations=30)
set +e
.venv/bin/python -m pytest "${opts[@]}" "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests"; exit 1
fi
exit "$rc"
