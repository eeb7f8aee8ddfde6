"""Stand Superset up locally: its own virtualenv, a config file, metadata DB, admin, gunicorn by PID.

Everything lives under ``$LIANGXIN_HOME/superset/`` (override with ``LIANGXIN_SUPERSET_HOME``):

| file / folder         | what                                                         |
|-----------------------|--------------------------------------------------------------|
| venv/                 | Superset's own virtualenv (it pins SQLAlchemy < 2, pandas…)  |
| superset_config.py    | generated config (secret from the environment)              |
| superset.db           | SQLite metadata database                                     |
| superset.pid / .log   | the gunicorn process id and its log                          |

| variable                      | default            | what                                    |
|-------------------------------|--------------------|-----------------------------------------|
| LIANGXIN_SUPERSET_PORT        | 8088               | port on 127.0.0.1                        |
| LIANGXIN_SUPERSET_SECRET_KEY  | dev key (warning)  | Flask SECRET_KEY                         |
| LIANGXIN_SUPERSET_ADMIN       | admin (warning)    | admin user name                          |
| LIANGXIN_SUPERSET_PASSWORD    | admin (warning)    | admin password                           |
| LIANGXIN_SUPERSET_VENV        | <home>/venv        | reuse an existing Superset virtualenv    |
| LIANGXIN_SUPERSET_QUERY_TIMEOUT | 60               | seconds per DuckDB query (interrupted)   |

Security (issue 19, docs/security.md):

- Production (``LIANGXIN_ENV=production``) refuses to start with the development SECRET_KEY, a SECRET_KEY
  shorter than 32 characters, or default/weak admin credentials (``check_production``); the generated config
  refuses the development key again when Superset loads it.
- The admin password is never on a command line or in a log: the admin user is created by a small script
  that reads it from stdin; the Superset processes do not inherit ``LIANGXIN_SUPERSET_PASSWORD`` or
  ``LIANGXIN_HMAC_SECRET``.  Everything under the Superset home is private (folders 0700, files 0600: config,
  metadata DB, log, pid file), the processes run with umask 077.
- Every DuckDB connection is read-only, without external access, with ``memory_limit`` and ``threads`` set and
  locked (``lock_configuration``); each statement is interrupted after the query timeout (the generated config
  wraps ``DuckDBEngineSpec.execute``, which SQL Lab and charts call with raw cursors, and adds a SQLAlchemy
  ``before_cursor_execute`` hook for the rest).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from liangxin.settings import Settings as AppSettings
from liangxin.settings import child_env

SUPERSET_REQUIREMENTS = {
    "apache-superset": "6.1.0",
    "duckdb": "1.5.5",
    "flask-caching": "2.3.1",
}
# Not pinned to an exact version, only constrained (see docs/superset.md for why each is needed).
SUPERSET_EXTRA = ["duckdb-engine", "rich", "cachetools", "flask-limiter<4"]

DEV_SECRET_KEY = "liangxin-dev-secret-key-DO-NOT-USE-IN-PRODUCTION"
DEV_ADMIN = "admin"
DEV_PASSWORD = "admin"
MIN_SECRET_KEY = 32
MIN_PASSWORD = 12
QUERY_TIMEOUT = 60.0
PRIVATE_UMASK = 0o077
# what the Superset processes must not inherit from this one
_WITHHELD_ENV = ("LIANGXIN_SUPERSET_PASSWORD", "LIANGXIN_HMAC_SECRET")


class SupersetConfigError(RuntimeError):
    """Superset would run with development or weak credentials in production (message in Chinese)."""


def _warn(msg: str) -> None:
    print(f"\n!!! 警告 / WARNING: {msg}\n", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Settings:
    """The managed Superset's settings, derived from liangxin's :class:`~liangxin.settings.Settings`
    (:func:`settings`)."""

    home: Path
    venv: Path
    port: int
    admin: str
    password: str
    secret_key: str
    serve_db: Path | None = None  # the serving snapshot Superset reads (default of write_config / up)
    production: bool = False  # LIANGXIN_ENV=production
    secret_key_set: bool = False  # LIANGXIN_SUPERSET_SECRET_KEY was given
    admin_set: bool = False  # LIANGXIN_SUPERSET_ADMIN and LIANGXIN_SUPERSET_PASSWORD were given

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.home / "superset_config.py"

    @property
    def metadata_db(self) -> Path:
        return self.home / "superset.db"

    @property
    def pidfile(self) -> Path:
        return self.home / "superset.pid"

    @property
    def logfile(self) -> Path:
        return self.home / "superset.log"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def settings(app: AppSettings, warn: bool = False) -> Settings:
    """The Superset settings of liangxin's settings ``app`` (read at the edge: ``liangxin superset …``)."""
    home = Path(app.superset_home or app.home / "superset").expanduser().resolve()
    venv = Path(app.superset_venv or home / "venv").expanduser().absolute()
    secret = app.superset_secret_key
    admin = app.superset_admin
    password = app.superset_password
    if warn and not secret:
        _warn(
            "LIANGXIN_SUPERSET_SECRET_KEY 未设置，使用开发用默认密钥；生产环境必须设置 / "
            "using the development SECRET_KEY — set LIANGXIN_SUPERSET_SECRET_KEY outside development"
        )
    if warn and not (admin and password):
        _warn(
            "LIANGXIN_SUPERSET_ADMIN / LIANGXIN_SUPERSET_PASSWORD 未设置，管理员为 admin/admin（仅限开发）/ "
            "admin user defaults to admin/admin — development only"
        )
    return Settings(
        home=home,
        venv=venv,
        port=app.superset_port,
        admin=admin or DEV_ADMIN,
        password=password or DEV_PASSWORD,
        secret_key=secret or DEV_SECRET_KEY,
        serve_db=app.serve_duckdb,
        production=app.is_production,
        secret_key_set=bool(secret),
        admin_set=bool(admin and password),
    )


def check_production(s: Settings) -> None:
    """In production, refuse the development SECRET_KEY and default or weak admin credentials."""
    if not s.production:
        return
    problems = []
    if s.secret_key == DEV_SECRET_KEY or not s.secret_key_set:
        problems.append("未设置 LIANGXIN_SUPERSET_SECRET_KEY（不得使用开发用 SECRET_KEY：可伪造管理员会话）")
    elif len(s.secret_key) < MIN_SECRET_KEY or len(set(s.secret_key)) < 12:
        problems.append(f"LIANGXIN_SUPERSET_SECRET_KEY 强度不足（至少 {MIN_SECRET_KEY} 个字符、12 种不同字符）")
    if not s.admin_set:
        problems.append("未设置 LIANGXIN_SUPERSET_ADMIN / LIANGXIN_SUPERSET_PASSWORD（不得使用默认管理员 admin/admin）")
    elif (
        s.password == DEV_PASSWORD
        or len(s.password) < MIN_PASSWORD
        or s.password.lower() == s.admin.lower()
        or s.admin.lower() in s.password.lower()
    ):
        problems.append(f"管理员密码强度不足（至少 {MIN_PASSWORD} 个字符，且不得包含用户名）")
    if problems:
        raise SupersetConfigError(
            "生产环境（LIANGXIN_ENV=production）拒绝启动 Superset："
            + "；".join(problems)
            + '。密钥可用 python3 -c "import secrets; print(secrets.token_urlsafe(48))" 生成。'
        )


def _private_write(path: Path, text: str) -> None:
    """Write a file 0600 (created so; an existing file is made so)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _private_append(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8", errors="replace")


def secure_files(s: Settings) -> None:
    """Superset home 0700; its config, metadata DB, log and pid file 0600 (repairs older installations)."""
    s.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(s.home, 0o700)
    for p in (s.config_file, s.metadata_db, s.logfile, s.pidfile, Path(str(s.metadata_db) + "-journal")):
        if p.exists() and not p.is_symlink():
            os.chmod(p, 0o600)


# --------------------------------------------------------------------------------------------- venv


def _requirements() -> list[str]:
    return [f"{k}=={v}" for k, v in SUPERSET_REQUIREMENTS.items()] + SUPERSET_EXTRA


def _venv_ok(s: Settings) -> bool:
    py = s.bin("python")
    if not py.exists() or not s.bin("superset").exists():
        return False
    names = list(SUPERSET_REQUIREMENTS) + ["duckdb-engine", "rich", "cachetools", "flask-limiter", "gunicorn"]
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        f"for n in {names!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))"
    )
    res = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        return False
    got = json.loads(res.stdout)
    if any(v is None for v in got.values()):
        return False
    if any(got[k] != v for k, v in SUPERSET_REQUIREMENTS.items()):
        return False
    return int(got["flask-limiter"].split(".")[0]) < 4


def ensure_venv(s: Settings, log=print) -> bool:
    """Create Superset's virtualenv with the pinned packages; returns True when something was installed."""
    if _venv_ok(s):
        log(f"Superset 虚拟环境已就绪 / venv ready: {s.venv}")
        return False
    log(f"创建 Superset 虚拟环境 / creating the Superset venv: {s.venv} (pip cache reused when present)")
    s.venv.parent.mkdir(parents=True, exist_ok=True)
    if not s.bin("python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(s.venv)], check=True)
    pip = [str(s.bin("python")), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(pip + ["install", "--quiet", "--upgrade", "pip", "wheel"], check=True)
    subprocess.run(pip + ["install", "--quiet", *_requirements()], check=True)
    if not _venv_ok(s):
        raise RuntimeError("Superset 虚拟环境安装后校验失败 / the Superset venv does not have the pinned versions")
    return True


# ------------------------------------------------------------------------------------------- config

CONFIG_TEMPLATE = """\
# Generated by `liangxin superset up` — do not edit; edit liangxin/superset/server.py instead.
import os
import re
import sys

from sqlalchemy.engine.url import make_url

SECRET_KEY = os.environ.get("LIANGXIN_SUPERSET_SECRET_KEY") or {dev_key!r}
if os.environ.get("LIANGXIN_ENV", "").strip().lower() == "production" and (
        SECRET_KEY == {dev_key!r} or len(SECRET_KEY) < {min_key}):
    raise RuntimeError("production: refusing the development or a weak SECRET_KEY (LIANGXIN_SUPERSET_SECRET_KEY)")
if SECRET_KEY == {dev_key!r}:
    print("!!! WARNING: Superset runs with the development SECRET_KEY; "
          "set LIANGXIN_SUPERSET_SECRET_KEY outside development", file=sys.stderr)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

SQLALCHEMY_DATABASE_URI = "sqlite:///" + {metadata_db!r} + "?check_same_thread=false"

_cache = {{"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}}
CACHE_CONFIG = dict(_cache, CACHE_KEY_PREFIX="liangxin_")
DATA_CACHE_CONFIG = dict(_cache, CACHE_KEY_PREFIX="liangxin_data_")
FILTER_STATE_CACHE_CONFIG = dict(_cache, CACHE_KEY_PREFIX="liangxin_filter_")
EXPLORE_FORM_DATA_CACHE_CONFIG = dict(_cache, CACHE_KEY_PREFIX="liangxin_explore_")

RATELIMIT_STORAGE_URI = "memory://"
TALISMAN_ENABLED = False          # plain http on 127.0.0.1
WTF_CSRF_ENABLED = True
WTF_CSRF_EXEMPT_LIST = []

# Only the serving snapshot may be connected: no SQLite, no other DuckDB file, no in-memory DuckDB.
PREVENT_UNSAFE_DB_CONNECTIONS = True
ALLOWED_DUCKDB_FILES = {allowed!r}


def DB_SQLA_URI_VALIDATOR(sqlalchemy_uri):
    url = make_url(str(sqlalchemy_uri)) if not hasattr(sqlalchemy_uri, "drivername") else sqlalchemy_uri
    if url.drivername.split("+")[0] != "duckdb" or os.path.realpath(url.database or ":memory:") not in [
        os.path.realpath(p) for p in ALLOWED_DUCKDB_FILES
    ]:
        raise ValueError("only the liangxin serving snapshot (DuckDB, read-only) may be connected")


CSV_EXTENSIONS = set()
EXCEL_EXTENSIONS = set()
COLUMNAR_EXTENSIONS = set()
ALLOWED_EXTENSIONS = set()

FEATURE_FLAGS = {{"DASHBOARD_RBAC": True, "ENABLE_TEMPLATE_PROCESSING": False}}
SQLLAB_CTAS_NO_LIMIT = False
ROW_LIMIT = 50000
SQL_MAX_ROW = 100000
SQLLAB_TIMEOUT = {timeout:.0f}
SUPERSET_WEBSERVER_TIMEOUT = {timeout:.0f}

# Every DuckDB statement is interrupted after the query timeout (DuckDB has no statement timeout setting).
import threading  # noqa: E402

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

LIANGXIN_QUERY_TIMEOUT = float(os.environ.get("LIANGXIN_SUPERSET_QUERY_TIMEOUT") or {timeout!r})


def _liangxin_raw(conn):
    fairy = conn.connection
    return getattr(fairy, "dbapi_connection", None) or getattr(fairy, "connection", None)


@event.listens_for(Engine, "before_cursor_execute")
def _liangxin_timer_start(conn, cursor, statement, parameters, context, executemany):
    if conn.engine.dialect.name != "duckdb" or LIANGXIN_QUERY_TIMEOUT <= 0:
        return
    raw = _liangxin_raw(conn)
    interrupt = getattr(raw, "interrupt", None)
    if interrupt is None:
        return
    timer = threading.Timer(LIANGXIN_QUERY_TIMEOUT, interrupt)
    timer.daemon = True
    timer.start()
    conn.info["liangxin_timer"] = timer


def _liangxin_timer_stop(conn, *args, **kwargs):
    timer = conn.info.pop("liangxin_timer", None)
    if timer is not None:
        timer.cancel()


event.listen(Engine, "after_cursor_execute", _liangxin_timer_stop)


@event.listens_for(Engine, "handle_error")
def _liangxin_timer_error(context):
    if context.connection is not None:
        _liangxin_timer_stop(context.connection)


# SQL Lab and charts run their SQL on a raw DBAPI cursor through the engine spec (no SQLAlchemy events):
# wrap DuckDBEngineSpec.execute once the app exists (importing superset here would be circular).
def _liangxin_interruptible(cursor):
    for obj in (cursor, getattr(cursor, "connection", None)):
        fn = getattr(obj, "interrupt", None)
        if callable(fn):
            return fn
    return None


def FLASK_APP_MUTATOR(app):
    from superset.db_engine_specs.duckdb import DuckDBEngineSpec

    original = DuckDBEngineSpec.__dict__.get("execute")
    if getattr(original, "_liangxin", False):
        return
    base = DuckDBEngineSpec.execute.__func__

    def execute(cls, cursor, query, database=None, **kwargs):
        interrupt = _liangxin_interruptible(cursor)
        timer = None
        if interrupt is not None and LIANGXIN_QUERY_TIMEOUT > 0:
            timer = threading.Timer(LIANGXIN_QUERY_TIMEOUT, interrupt)
            timer.daemon = True
            timer.start()
        try:
            return base(cls, cursor, query, database, **kwargs)
        finally:
            if timer is not None:
                timer.cancel()

    execute._liangxin = True
    DuckDBEngineSpec.execute = classmethod(execute)

BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {{
    "zh": {{"flag": "cn", "name": "简体中文"}},
    "en": {{"flag": "us", "name": "English"}},
}}
"""


def write_config(s: Settings, serve_db: Path | None = None) -> Path:
    s.home.mkdir(parents=True, exist_ok=True)
    serve = Path(serve_db or s.serve_db).resolve()
    text = CONFIG_TEMPLATE.format(
        dev_key=DEV_SECRET_KEY,
        metadata_db=str(s.metadata_db),
        allowed=[str(serve)],
        min_key=MIN_SECRET_KEY,
        timeout=QUERY_TIMEOUT,
    )
    if not s.config_file.exists() or s.config_file.read_text() != text:
        _private_write(s.config_file, text)
    os.chmod(s.config_file, 0o600)
    return s.config_file


def _env(s: Settings) -> dict[str, str]:
    """The Superset processes' environment: this process's (``child_env``) with Superset's own variables; the
    generated ``superset_config.py`` reads its settings from it in Superset's process."""
    env = child_env()
    env["SUPERSET_CONFIG_PATH"] = str(s.config_file)
    env["FLASK_APP"] = "superset.app:create_app()"
    env["PYTHONUNBUFFERED"] = "1"
    env["SUPERSET_LOAD_EXAMPLES"] = "no"
    env["PATH"] = f"{s.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    for k in _WITHHELD_ENV:
        env.pop(k, None)
    env["VIRTUAL_ENV"] = str(s.venv)
    if s.secret_key_set:
        env["LIANGXIN_SUPERSET_SECRET_KEY"] = s.secret_key
    else:
        env["LIANGXIN_SUPERSET_SECRET_KEY"] = DEV_SECRET_KEY
    return env


def _shown(args: list[str]) -> str:
    """A command line for the log, any value after a password option replaced."""
    out, hide = [], False
    for a in args:
        out.append("******" if hide else a)
        hide = a in ("--password", "-p")
    return " ".join(out)


def _run(s: Settings, args: list[str], log=print, stdin_text: str | None = None) -> None:
    with _private_append(s.logfile) as fh:
        fh.write(f"\n$ {_shown(args)}\n")
        fh.flush()
        res = subprocess.run(
            args,
            env=_env(s),
            cwd=s.home,
            stdout=fh,
            stderr=subprocess.STDOUT,
            input=stdin_text.encode("utf-8") if stdin_text is not None else None,
            umask=PRIVATE_UMASK,
        )
    if res.returncode != 0:
        tail = "\n".join(s.logfile.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"命令失败 / command failed: {' '.join(args)}\n{tail}")


# ------------------------------------------------------------------------------------------- process


def read_pid(s: Settings) -> int | None:
    try:
        pid = int(s.pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def healthy(s: Settings, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{s.url}/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"OK"
    except (urllib.error.URLError, OSError):
        return False


def _admin_exists(s: Settings) -> bool:
    import sqlite3

    if not s.metadata_db.exists():
        return False
    try:
        con = sqlite3.connect(str(s.metadata_db))
        try:
            return con.execute("select count(*) from ab_user where username = ?", (s.admin,)).fetchone()[0] > 0
        finally:
            con.close()
    except sqlite3.Error:
        return False


# Creates the admin user with the password read from stdin (never on a command line, never in a log).
ADMIN_SCRIPT = """
import sys
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import security_manager as sm
    username, email = sys.argv[1], sys.argv[2]
    password = sys.stdin.readline().rstrip("\\n")
    if sm.find_user(username=username) is None:
        role = sm.find_role(sm.auth_role_admin)
        if not sm.add_user(username, "管理员", "liangxin", email, role, password=password):
            sys.exit("could not create the admin user")
        print("admin user created")
"""


def create_admin(s: Settings) -> None:
    _run(
        s,
        [str(s.bin("python")), "-c", ADMIN_SCRIPT, s.admin, f"{s.admin}@liangxin.invalid"],
        stdin_text=s.password + "\n",
    )


def up(serve_db: Path | None = None, log=print, timeout: float = 120.0, *, app: AppSettings) -> dict:
    """Install (if needed), configure, migrate, create the admin, init and start gunicorn; idempotent."""
    t0 = time.monotonic()
    s = settings(app, warn=True)
    check_production(s)  # before anything is installed, written or started
    pid = read_pid(s)
    if pid and healthy(s):
        log(f"Superset 已在运行 / already running: {s.url} (pid {pid})")
        return {"url": s.url, "pid": pid, "seconds": 0.0, "started": False}
    secure_files(s)
    ensure_venv(s, log=log)
    write_config(s, serve_db)
    log("superset db upgrade …")
    _run(s, [str(s.bin("superset")), "db", "upgrade"])
    log("superset init …")
    _run(s, [str(s.bin("superset")), "init"])
    if not _admin_exists(s):
        log(f"创建管理员 / creating admin user {s.admin!r} …")
        create_admin(s)
    secure_files(s)
    if pid:  # a stale process that does not answer: stop it first
        stop_pid(pid)
    logfh = _private_append(s.logfile)
    proc = subprocess.Popen(
        [
            str(s.bin("gunicorn")),
            "-w",
            "1",
            "--threads",
            "4",
            "--timeout",
            "120",
            "-b",
            f"127.0.0.1:{s.port}",
            "superset.app:create_app()",
        ],
        env=_env(s),
        cwd=s.home,
        stdout=logfh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        umask=PRIVATE_UMASK,
    )
    logfh.close()
    _private_write(s.pidfile, str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = "\n".join(s.logfile.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"gunicorn 退出 / gunicorn exited with {proc.returncode}\n{tail}")
        if healthy(s):
            seconds = time.monotonic() - t0
            log(f"Superset 已启动 / up: {s.url} (pid {proc.pid}, {seconds:.0f} s)")
            return {"url": s.url, "pid": proc.pid, "seconds": seconds, "started": True}
        time.sleep(0.5)
    stop_pid(proc.pid)
    raise TimeoutError(f"Superset 未在 {timeout:.0f} 秒内就绪 / not healthy in time; see {s.logfile}")


def stop_pid(pid: int, timeout: float = 20.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def down(log=print, *, app: AppSettings) -> bool:
    s = settings(app)
    pid = read_pid(s)
    if not pid:
        log("Superset 未运行 / not running")
        s.pidfile.unlink(missing_ok=True)
        return False
    stop_pid(pid)
    s.pidfile.unlink(missing_ok=True)
    log(f"Superset 已停止 / stopped (pid {pid})")
    return True


def status(*, app: AppSettings) -> dict:
    s = settings(app)
    pid = read_pid(s)
    return {
        "url": s.url,
        "pid": pid,
        "healthy": bool(pid) and healthy(s),
        "home": str(s.home),
        "venv": str(s.venv),
        "venv_ready": _venv_ok(s),
        "log": str(s.logfile),
    }
