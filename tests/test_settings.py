"""The settings (issue 16, D150–D151): one ``Settings`` read from the environment at the edge and passed down.

- defaults and environment overrides (the variable names and defaults the modules read before);
- the person-key secret's production rules (a missing, default or weak secret is refused);
- two builds of two homes in one process (real ingestion, real ``dbt build`` through the Dagster job) do not
  see each other's database: each has its own dbt profile naming its own file;
- nothing changes ``os.environ``: the environment is the same before and after ingestion and builds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from liangxin import privacy
from liangxin.settings import Settings

REPO = Path(__file__).resolve().parents[1]
STRONG = "Zk3-production-district-secret-Qw9x7Lm"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No LIANGXIN_* / DAGSTER_HOME variables; the current directory is an empty temporary folder."""
    for k in list(os.environ):
        if k.startswith("LIANGXIN_") or k == "DAGSTER_HOME":
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(clean_env, tmp_path):
    s = Settings.from_env()
    home = tmp_path.resolve() / "data"
    assert (s.home, s.inbox, s.archive, s.outbox) == (home, home / "inbox", home / "archive", home / "outbox")
    assert (s.duckdb, s.serve_duckdb) == (home / "build.duckdb", home / "serve.duckdb")
    assert s.build == tmp_path.resolve() / "build" and s.dagster_home == home / "dagster" and s.logs == home / "logs"
    assert s.hmac_secret is None and s.env == "" and not s.is_production
    assert (s.read_memory_mb, s.read_sandbox, s.ingest_workers, s.ingest_batch, s.inbox_settle_seconds) == (
        1024,
        True,
        None,
        25,
        2.0,
    )
    assert s.register_csv is None and s.development_quotas is None and s.register_files() == []
    assert s.disable_dbt_assets is False and s.annual_pdf is True
    assert s.superset_url is None and s.superset_port == 8088
    assert s.secret() == privacy.DEV_DEFAULT_SECRET.encode()  # development: the default (with a warning)


def test_environment_overrides(clean_env, tmp_path):
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "register.csv").write_text("unit_code\n", encoding="utf-8")
    (tmp_path / "reg" / "development_quotas.csv").write_text("x\n", encoding="utf-8")
    for k, v in {
        "LIANGXIN_HOME": "h",
        "LIANGXIN_DUCKDB": "elsewhere/b.duckdb",
        "LIANGXIN_OUTBOX": "",
        "DAGSTER_HOME": "/tmp/dh",
        "LIANGXIN_READ_MEMORY_MB": "512",
        "LIANGXIN_INGEST_WORKERS": "0",
        "LIANGXIN_INGEST_BATCH": "7",
        "LIANGXIN_INBOX_SETTLE_SECONDS": "0",
        "LIANGXIN_READ_SANDBOX": "0",
        "LIANGXIN_REGISTER": "reg/register.csv",
        "LIANGXIN_DISABLE_DBT_ASSETS": "1",
        "LIANGXIN_ANNUAL_PDF": "0",
        "LIANGXIN_SIGNOFF_HEAD": "王主任",
        "LIANGXIN_SUPERSET_PORT": "9000",
        "LIANGXIN_HMAC_SECRET": "s3cret",
        "LIANGXIN_ENV": " Production ",
    }.items():
        clean_env.setenv(k, v)
    s = Settings.from_env()
    cwd = tmp_path.resolve()
    assert s.home == cwd / "h" and s.inbox == cwd / "h" / "inbox"
    assert s.outbox == cwd / "h" / "outbox"  # an empty variable counts as unset
    assert s.duckdb == cwd / "elsewhere" / "b.duckdb" and s.serve_duckdb == cwd / "h" / "serve.duckdb"
    assert s.dagster_home == Path("/tmp/dh")
    assert (s.read_memory_mb, s.ingest_workers, s.ingest_batch, s.inbox_settle_seconds, s.read_sandbox) == (
        512,
        0,
        7,
        0.0,
        False,
    )
    assert s.register_csv == cwd / "reg" / "register.csv"  # absolute: dbt runs in the project folder
    assert s.register_files() == [cwd / "reg" / "register.csv", cwd / "reg" / "development_quotas.csv"]
    assert s.disable_dbt_assets and not s.annual_pdf and s.signoff_head == "王主任" and s.superset_port == 9000
    assert s.is_production and s.hmac_secret == "s3cret"
    assert "s3cret" not in repr(s)  # secrets are not shown
    # the old readers' leniency: a value they ignored falls back to the default
    for k, v in {
        "LIANGXIN_READ_MEMORY_MB": "32",
        "LIANGXIN_INGEST_WORKERS": "many",
        "LIANGXIN_INGEST_BATCH": "0",
    }.items():
        clean_env.setenv(k, v)
    s = Settings.from_env()
    assert (s.read_memory_mb, s.ingest_workers, s.ingest_batch) == (1024, None, 25)


def test_values_do_not_read_the_environment_and_the_environment_is_read_when_built(clean_env, tmp_path):
    clean_env.setenv("LIANGXIN_HOME", str(tmp_path / "a"))
    a = Settings.from_env()
    clean_env.setenv("LIANGXIN_HOME", str(tmp_path / "b"))
    clean_env.setenv("LIANGXIN_HMAC_SECRET", "from-env")
    assert a.home == tmp_path.resolve() / "a"  # built once: a later change does not reach it
    assert Settings.from_env().home == tmp_path.resolve() / "b"
    again = Settings.from_values(a.model_dump())
    assert again == a and again.hmac_secret is None  # a dump round-trips without looking at the environment
    assert Settings.from_values({"home": tmp_path / "c"}).hmac_secret is None
    assert Settings.from_env(hmac_secret="explicit").hmac_secret == "explicit"  # explicit beats the environment


@pytest.mark.parametrize(
    "secret, refused",
    [
        (None, "LIANGXIN_HMAC_SECRET"),
        (privacy.DEV_DEFAULT_SECRET, "LIANGXIN_HMAC_SECRET"),
        ("x", "强度不足"),
        ("ab" * 40, "强度不足"),
        ("0123456789" * 4, "强度不足"),
        (STRONG, None),
    ],
)
def test_production_refuses_a_missing_default_or_weak_secret(clean_env, secret, refused):
    clean_env.setenv("LIANGXIN_ENV", "production")
    if secret is not None:
        clean_env.setenv("LIANGXIN_HMAC_SECRET", secret)
    s = Settings.from_env()  # building the settings never refuses (`liangxin paths` works)
    if refused:
        with pytest.raises(privacy.SecretConfigurationError, match=refused):
            s.secret()
    else:
        assert s.secret() == STRONG.encode()
    clean_env.delenv("LIANGXIN_ENV")
    assert Settings.from_env().secret() == (secret or privacy.DEV_DEFAULT_SECRET).encode()  # development


def test_only_the_settings_module_reads_the_environment():
    """The acceptance grep of issue 16: ``os.environ`` / ``getenv`` only in settings.py, and in the text of the
    generated Superset configuration (read by Superset's own process, not by liangxin)."""
    out = subprocess.run(
        ["grep", "-rn", r"os.environ\|getenv", "pipelines/", "dashboards/", "--include=*.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    hits = [ln for ln in out.splitlines() if not ln.startswith("pipelines/liangxin/settings.py:")]
    allowed = "pipelines/liangxin/superset/server.py"  # CONFIG_TEMPLATE: the superset_config.py it writes
    assert all(ln.startswith(allowed) and _in_config_template(ln) for ln in hits), "\n".join(hits)


def _in_config_template(grep_line: str) -> bool:
    path, lineno = grep_line.split(":")[:2]
    text = (REPO / path).read_text(encoding="utf-8")
    quote = '"""' if 'CONFIG_TEMPLATE = """' in text else "'''"  # ruff format prefers double quotes
    start = text.index(f"CONFIG_TEMPLATE = {quote}")
    end = text.index(quote, start + len(f"CONFIG_TEMPLATE = {quote}"))
    first = text[:start].count("\n") + 1
    last = text[:end].count("\n") + 1
    return first <= int(lineno) <= last


# --------------------------------------------------------------------------------------------------
# Two homes in one process: real ingestion and real dbt builds, os.environ untouched
# --------------------------------------------------------------------------------------------------
#: the generated world of this module (tests/conftest.py: the ``world`` fixture, DEFAULT_WORLD changed by this)
WORLD = {"communities": 3}


def _home_settings(root: Path) -> Settings:
    return Settings.from_values(
        {"home": root / "data", "build": root / "build", "hmac_secret": "two-homes-secret", "annual_pdf": False}
    )


def _count(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_two_builds_in_one_process_do_not_interfere_and_leave_os_environ_unchanged(tmp_path, world, monkeypatch):
    from dagster import DagsterInstance

    from liangxin.defs.dbt import profile_dir
    from liangxin.generator import write_world
    from liangxin.pipeline import build_and_publish, ingest_through_dagster

    # a decoy in the environment: neither build may use it (each has its own settings)
    decoy = tmp_path / "decoy" / "build.duckdb"
    monkeypatch.setenv("LIANGXIN_DUCKDB", str(decoy))
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "decoy"))
    monkeypatch.chdir(tmp_path)
    returns = tmp_path / "returns"
    write_world(world, returns, fmt="xlsx", progress=False)
    a, b = _home_settings(tmp_path / "a"), _home_settings(tmp_path / "b")
    before = dict(os.environ)
    instance = DagsterInstance.ephemeral()
    try:
        ingest_through_dagster([returns / "2020Q1"], settings=a, instance=instance)  # A: one quarter
        ingest_through_dagster([returns], settings=b, instance=instance)  # B: both quarters
        built_a = build_and_publish(settings=a, instance=instance, force=True, progress=False)
        assert dict(os.environ) == before
        built_b = build_and_publish(settings=b, instance=instance, force=True, progress=False)
        assert dict(os.environ) == before
        rebuilt_a = build_and_publish(settings=a, instance=instance, force=True, progress=False)  # A after B
    finally:
        instance.dispose()
    assert dict(os.environ) == before
    assert not decoy.parent.exists() and not (tmp_path / "data").exists()

    per_a = _count(a.duckdb, "select period, count(*) from raw.submissions group by 1 order by 1")
    per_b = _count(b.duckdb, "select period, count(*) from raw.submissions group by 1 order by 1")
    assert per_a == [("2020Q1", 3)] and per_b == [("2020Q1", 3), ("2020Q2", 3)]
    periods = "select distinct period from marts.fct_indicators order by 1"
    assert _count(a.serve_duckdb, periods) == [("2020Q1",)]  # dbt built A's file from A's data only …
    assert _count(b.serve_duckdb, periods) == [("2020Q1",), ("2020Q2",)]  # … and B's from B's
    assert built_a["indicator_values"] == rebuilt_a["indicator_values"] < built_b["indicator_values"]
    assert built_a["dashboard"].startswith(str(a.build)) and built_b["dashboard"].startswith(str(b.build))
    for s in (a, b):  # each database has its own dbt profile, naming it, private
        profile = profile_dir(s.duckdb) / "profiles.yml"
        target = yaml.safe_load(profile.read_text(encoding="utf-8"))["liangxin"]["outputs"]["duckdb"]
        assert target == {
            "type": "duckdb",
            "path": str(s.duckdb),
            "threads": 2,
            "settings": {"memory_limit": "1GB"},  # D220
        }
        assert profile.stat().st_mode & 0o777 == 0o600


def test_the_dagster_code_location_reads_its_settings_once_at_import(tmp_path):
    """``liangxin.definitions`` is the Dagster edge: the environment of its process, read when it loads."""
    code = (
        "import os; from liangxin import definitions as d; "
        "print(d.settings.home); os.environ['LIANGXIN_HOME'] = '/elsewhere'; "
        "print(d.defs.resolve_job_def('ingest_job') is not None, d.settings.home)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env.update(LIANGXIN_HOME=str(tmp_path / "h"), LIANGXIN_DISABLE_DBT_ASSETS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    home = str((tmp_path / "h").resolve())
    assert out.stdout.split() == [home, "True", home]
