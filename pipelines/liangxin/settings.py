"""Every setting liangxin reads from the environment, in one object (issue 16, decisions D150).

:class:`Settings` is built once at an edge — the ``liangxin`` command line (its callback and commands) and the
Dagster code location (``liangxin.definitions``) — and passed down as an argument (in Dagster through the
``liangxin`` resource, ``defs/resources.LiangxinPaths``).  Nothing below the edge reads or changes
``os.environ``: this module is the only one that does, in :meth:`Settings.from_env` (pydantic-settings reads the
variables), :func:`child_env` (the environment of a child process: this process's environment plus explicit
values) and :func:`allow_insecure_loopback_transport` (oauthlib's switch for plain http to a local Superset).

The variable names and defaults are those the modules read before (``paths.py``'s table, ``privacy.py``, …):
``LIANGXIN_<FIELD>`` (``DAGSTER_HOME`` for :attr:`Settings.dagster_home`).  An empty variable counts as unset.
Relative paths are resolved against the current directory when the settings are built.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

READ_MEMORY_MB = 1024  # default address-space ceiling of a reading process (workers.py)
DEFAULT_BATCH_FILES = 25  # files per ingest transaction (ingest.py)
DEFAULT_SETTLE_SECONDS = 2.0  # the inbox sensor ignores files modified more recently
SUPERSET_PORT = 8088
# DuckDB's memory limit in the dbt build (defs/dbt.py profile): without it DuckDB may take 80% of RAM, and a province
# build peaked at 3.9 GiB (2026-12-04), 1.35 GiB with it: the large joins and aggregations spill to a temp folder (D220)
DUCKDB_MEMORY_LIMIT = "1GB"


_FROM_VALUES: contextvars.ContextVar[bool] = contextvars.ContextVar("liangxin_settings_from_values", default=False)


def _digits(value: object) -> str:
    return str(value).strip() if value is not None else ""


class Settings(BaseSettings):
    """liangxin's configuration: locations, the person-key secret, limits, sign-off names, Superset."""

    model_config = SettingsConfigDict(
        env_prefix="LIANGXIN_", env_ignore_empty=True, extra="ignore", frozen=True, populate_by_name=True
    )

    # ---- locations (paths.py) ----------------------------------------------------------------------------
    home: Path = Field(
        default_factory=lambda: Path.cwd() / "data",
        description="Root of the working data (default ./data of the current directory).",
    )
    inbox: Path | None = Field(None, description="Where communities drop their workbooks (default $HOME/inbox).")
    archive: Path | None = Field(None, description="Every received file by SHA-256 (default $HOME/archive).")
    outbox: Path | None = Field(None, description="Receipt and rejection reports (default $HOME/outbox).")
    duckdb: Path | None = Field(None, description="The build database, one writer (default $HOME/build.duckdb).")
    serve_duckdb: Path | None = Field(None, description="The read-only serving snapshot (default $HOME/serve.duckdb).")
    build: Path = Field(
        default_factory=lambda: Path.cwd() / "build",
        description="Published outputs: dashboard, annual return (default ./build).",
    )
    dagster_home: Path | None = Field(
        None,
        validation_alias=AliasChoices("DAGSTER_HOME", "dagster_home"),
        description="Dagster instance folder (DAGSTER_HOME; default $HOME/dagster).",
    )

    # ---- personal data (privacy.py) ------------------------------------------------------------------------
    hmac_secret: str | None = Field(
        None,
        repr=False,
        description="District secret of the person keys (HMAC-SHA256); without it "
        "a public development default is used (refused in production).",
    )
    env: str = Field("", description="Deployment: 'production' refuses a missing, default or weak secret.")

    # ---- reading and ingestion (workers.py, ingest.py, validate/core.py, defs/ingestion.py) --------------
    read_memory_mb: int = Field(
        READ_MEMORY_MB,
        description="Address space (MB) a workbook read may add to a reading process; below 64 or not a number: 1024.",
    )
    read_sandbox: bool = Field(
        True, description="Read each workbook in a memory-limited child process ('0' reads in this process)."
    )
    ingest_workers: int | None = Field(
        None, description="Reading worker processes (default: one per core, up to 4, for 8 files or more)."
    )
    ingest_batch: int = Field(DEFAULT_BATCH_FILES, description="Files written per transaction (default 25).")
    inbox_settle_seconds: float = Field(
        DEFAULT_SETTLE_SECONDS, description="The inbox sensor ignores files modified more recently (copying)."
    )

    # ---- the city / province register (seeds.py, dbt models/ref, D55) ------------------------------------
    register_csv: Path | None = Field(
        None,
        validation_alias=AliasChoices("LIANGXIN_REGISTER", "register_csv"),
        description="LIANGXIN_REGISTER: an extra register CSV of communities (city/province tiers).",
    )
    development_quotas: Path | None = Field(
        None, description="Development quotas of the register (default development_quotas.csv beside the register)."
    )

    # ---- build and publishing -----------------------------------------------------------------------------
    disable_dbt_assets: bool = Field(False, description="'1' leaves the dbt assets out of the Dagster definitions.")
    duckdb_memory_limit: str = Field(
        DUCKDB_MEMORY_LIMIT,
        description="DuckDB's memory limit in the dbt build (default 1GB; larger operators spill to disk); "
        "'default' leaves DuckDB's own (80% of RAM).",
    )
    dbt_in_process: bool = Field(
        True, description="Run dbt in the build's own process with a warm parse; '0' starts it as a child process."
    )
    annual_pdf: bool = Field(
        True, description="Also convert each annual return to PDF with LibreOffice (anything but '1' switches it off)."
    )
    bulletin_issuer: str | None = Field(
        None, description="Issuer printed on the 单建率通报 (default 中共示范区两新组织党工委)."
    )
    bulletin_template: Path | None = Field(None, description="A .docx template for the 单建率通报.")

    # ---- sign-off names of the annual return (annual.py; finalize reads them as option defaults) ---------
    signoff_unit: str | None = Field(None, description="填报单位 (reporting unit) of the annual return.")
    signoff_head: str | None = Field(None, description="单位负责人 of the annual return.")
    signoff_filled_by: str | None = Field(None, description="填表人 of the annual return.")
    signoff_reviewed_by: str | None = Field(None, description="审核人 of the annual return.")
    signoff_phone: str | None = Field(None, description="联系电话 of the annual return.")

    # ---- Superset (superset/server.py, superset/publish.py) ----------------------------------------------
    superset_url: str | None = Field(None, description="Publish to this Superset after each build when set.")
    superset_home: Path | None = Field(None, description="The managed Superset's folder (default $HOME/superset).")
    superset_venv: Path | None = Field(
        None, description="Superset's virtual environment (default <superset home>/venv)."
    )
    superset_secret_key: str | None = Field(
        None, repr=False, description="Superset SECRET_KEY (required in production)."
    )
    superset_admin: str | None = Field(None, description="Superset admin user (required in production).")
    superset_password: str | None = Field(
        None, repr=False, description="Superset admin password (required in production)."
    )
    superset_port: int = Field(SUPERSET_PORT, description="Port of the managed Superset (default 8088).")

    # ---- coercions that keep the old readers' leniency ---------------------------------------------------
    @field_validator("read_memory_mb", mode="before")
    @classmethod
    def _memory(cls, v: object) -> int:
        s = _digits(v)
        return int(s) if s.isdigit() and int(s) >= 64 else READ_MEMORY_MB

    @field_validator("ingest_workers", mode="before")
    @classmethod
    def _workers(cls, v: object) -> int | None:
        s = _digits(v)
        return int(s) if s.isdigit() else None

    @field_validator("ingest_batch", mode="before")
    @classmethod
    def _batch(cls, v: object) -> int:
        s = _digits(v)
        return int(s) if s.isdigit() and int(s) > 0 else DEFAULT_BATCH_FILES

    @field_validator("read_sandbox", mode="before")
    @classmethod
    def _sandbox(cls, v: object) -> bool:
        return v if isinstance(v, bool) else _digits(v) != "0"

    @field_validator("disable_dbt_assets", mode="before")
    @classmethod
    def _disable_dbt(cls, v: object) -> bool:
        return v if isinstance(v, bool) else _digits(v) == "1"

    @field_validator("dbt_in_process", mode="before")
    @classmethod
    def _dbt_in_process(cls, v: object) -> bool:
        return v if isinstance(v, bool) else _digits(v) != "0"

    @field_validator("annual_pdf", mode="before")
    @classmethod
    def _pdf(cls, v: object) -> bool:
        return v if isinstance(v, bool) else _digits(v) == "1"

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, v: object) -> str:
        return _digits(v).lower()

    @field_validator("register_csv", "development_quotas", mode="before")
    @classmethod
    def _blank_path(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else (v.strip() if isinstance(v, str) else v)

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        """Absolute locations; the unset ones derived from the home (as ``paths.py`` did)."""

        def res(p: Path) -> Path:
            return Path(p).expanduser().resolve()

        home = res(self.home)
        values = {
            "home": home,
            "inbox": res(self.inbox) if self.inbox else home / "inbox",
            "archive": res(self.archive) if self.archive else home / "archive",
            "outbox": res(self.outbox) if self.outbox else home / "outbox",
            "duckdb": res(self.duckdb) if self.duckdb else home / "build.duckdb",
            "serve_duckdb": res(self.serve_duckdb) if self.serve_duckdb else home / "serve.duckdb",
            "build": res(self.build),
            "dagster_home": Path(self.dagster_home) if self.dagster_home else home / "dagster",
            "register_csv": res(self.register_csv) if self.register_csv else None,
            "development_quotas": res(self.development_quotas) if self.development_quotas else None,
        }
        for k, v in values.items():
            object.__setattr__(self, k, v)
        return self

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        """The environment only (no .env or secrets files); nothing but the given values in ``from_values``."""
        if _FROM_VALUES.get():
            return (init_settings,)
        return (init_settings, env_settings)

    # ---- building --------------------------------------------------------------------------------------------
    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """The settings of this process's environment (the edge's one read), with explicit overrides."""
        return cls(**overrides)

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Settings:
        """Settings from a dump (:meth:`to_json`), without reading the environment."""
        token = _FROM_VALUES.set(True)
        try:
            return cls(**dict(values))
        finally:
            _FROM_VALUES.reset(token)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=False)

    # ---- derived values --------------------------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def secret(self) -> bytes:
        """The person-key secret, checked (``privacy.checked_secret``: production refuses a weak one)."""
        from liangxin.privacy import checked_secret

        return checked_secret(self.hmac_secret, self.is_production)

    def register_files(self) -> list[Path]:
        """The register files dbt reads besides the seeds: the register and its quotas (explicit, or
        ``development_quotas.csv`` beside the register) — only those that are set / exist (D55)."""
        out = []
        if self.register_csv:
            out.append(self.register_csv)
        if self.development_quotas:
            out.append(self.development_quotas)
        elif self.register_csv and (self.register_csv.parent / "development_quotas.csv").exists():
            out.append(self.register_csv.parent / "development_quotas.csv")
        return out


def child_env(extra: Mapping[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment of a child process: this process's environment (PATH, locale, …) without ``drop``,
    plus ``extra``.  The one place below an edge that looks at ``os.environ``, and it only copies it."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra or {})
    return env


def allow_insecure_loopback_transport() -> None:
    """Let oauthlib (under superset-client) talk plain http to a Superset on this machine: its only switch is
    the ``OAUTHLIB_INSECURE_TRANSPORT`` variable of this process (set if unset; ``superset/publish.py`` calls
    this for a loopback URL only).  The one write to ``os.environ``, kept here so that it is visible."""
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
