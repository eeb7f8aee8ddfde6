"""Superset hardening without a server (issue 19): production refuses development or weak credentials before
anything is written; passwords never reach argv, the Superset processes' environment or the log; generated
files are 0600; DuckDB connections carry locked limits and a query timeout hook."""

from __future__ import annotations

import os
import stat

import pytest

from liangxin.settings import Settings
import yaml

from liangxin import paths
from liangxin.superset import server

STRONG_KEY = "Vq8-superset-secret-key-9ZmXw2LpR4tN7bK"
STRONG_PW = "Lx-admin-Pw-7qRt92"


@pytest.fixture()
def env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith("LIANGXIN_SUPERSET") or k == "LIANGXIN_ENV":
            monkeypatch.delenv(k)
    monkeypatch.setenv("LIANGXIN_HOME", str(tmp_path / "home"))
    return monkeypatch


@pytest.mark.parametrize(
    "secret,admin,password,what",
    [
        (None, "district-admin", STRONG_PW, "SECRET_KEY"),
        (server.DEV_SECRET_KEY, "district-admin", STRONG_PW, "SECRET_KEY"),
        ("short-key", "district-admin", STRONG_PW, "强度不足"),
        (STRONG_KEY, None, None, "admin/admin"),
        (STRONG_KEY, "admin", "admin", "密码强度不足"),
        (STRONG_KEY, "district-admin", "short", "密码强度不足"),
        (STRONG_KEY, "district-admin", "district-admin-2025", "密码强度不足"),
    ],
)
def test_production_refuses_development_or_weak_credentials_before_anything(
    env, tmp_path, secret, admin, password, what
):
    env.setenv("LIANGXIN_ENV", "production")
    for k, v in (
        ("LIANGXIN_SUPERSET_SECRET_KEY", secret),
        ("LIANGXIN_SUPERSET_ADMIN", admin),
        ("LIANGXIN_SUPERSET_PASSWORD", password),
    ):
        if v is not None:
            env.setenv(k, v)
    with pytest.raises(server.SupersetConfigError, match=what):
        server.up(tmp_path / "serve.duckdb", log=lambda *a: None, app=Settings.from_env())
    assert not (tmp_path / "home" / "superset").exists()  # refused before any file or venv


def test_production_accepts_real_credentials(env):
    env.setenv("LIANGXIN_ENV", "production")
    env.setenv("LIANGXIN_SUPERSET_SECRET_KEY", STRONG_KEY)
    env.setenv("LIANGXIN_SUPERSET_ADMIN", "district-admin")
    env.setenv("LIANGXIN_SUPERSET_PASSWORD", STRONG_PW)
    server.check_production(server.settings(Settings.from_env()))  # no exception
    env.delenv("LIANGXIN_ENV")
    env.delenv("LIANGXIN_SUPERSET_PASSWORD")
    server.check_production(server.settings(Settings.from_env()))  # development: defaults allowed (with warnings)


def test_superset_processes_get_no_password_or_hmac_secret(env):
    env.setenv("LIANGXIN_SUPERSET_PASSWORD", STRONG_PW)
    env.setenv("LIANGXIN_HMAC_SECRET", "hmac-secret-never-in-superset")
    e = server._env(server.settings(Settings.from_env()))
    assert "LIANGXIN_SUPERSET_PASSWORD" not in e and "LIANGXIN_HMAC_SECRET" not in e
    assert STRONG_PW not in " ".join(e.values())


def test_admin_is_created_without_password_in_argv_or_log(env, tmp_path, monkeypatch):
    """The real subprocess call is recorded (the Superset venv is not needed to see what it is given)."""
    env.setenv("LIANGXIN_SUPERSET_PASSWORD", STRONG_PW)
    s = server.settings(Settings.from_env())
    s.home.mkdir(parents=True)
    seen = {}

    def fake_run(args, **kw):
        seen["args"], seen["input"], seen["umask"] = args, kw.get("input"), kw.get("umask")

        class R:
            returncode = 0

        return R()

    monkeypatch.setattr(server.subprocess, "run", fake_run)
    server.create_admin(s)
    assert STRONG_PW not in " ".join(map(str, seen["args"]))
    assert seen["input"] == (STRONG_PW + "\n").encode()
    assert seen["umask"] == 0o077
    log = s.logfile.read_text()
    assert STRONG_PW not in log and "admin" in log
    assert stat.S_IMODE(s.logfile.stat().st_mode) == 0o600
    assert server._shown(["x", "--password", "p4ss", "y"]) == "x --password ****** y"


def test_config_is_private_and_carries_the_limits(env, tmp_path):
    s = server.settings(Settings.from_env())
    s.home.mkdir(parents=True)
    os.chmod(s.home, 0o755)
    s.metadata_db.write_text("")
    os.chmod(s.metadata_db, 0o644)
    cfg = server.write_config(s, tmp_path / "serve.duckdb")
    server.secure_files(s)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert stat.S_IMODE(s.metadata_db.stat().st_mode) == 0o600
    assert stat.S_IMODE(s.home.stat().st_mode) == 0o700
    text = cfg.read_text()
    compile(text, str(cfg), "exec")  # valid Python
    assert "before_cursor_execute" in text and "interrupt" in text and "SQLLAB_TIMEOUT = 60" in text
    assert "def FLASK_APP_MUTATOR" in text and "DuckDBEngineSpec.execute" in text  # SQL Lab / chart cursors
    assert "refusing the development or a weak SECRET_KEY" in text
    spec = yaml.safe_load((paths.PROJECT_ROOT / "dashboards" / "superset" / "database.yaml").read_text())
    config = spec["extra"]["engine_params"]["connect_args"]["config"]
    assert spec["extra"]["engine_params"]["connect_args"]["read_only"] is True
    assert config == {"enable_external_access": False, "memory_limit": "1GB", "threads": 2, "lock_configuration": True}
    assert spec["allow_dml"] is False and spec["allow_file_upload"] is False
