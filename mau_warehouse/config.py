"""Run-time configuration, read from environment variables only (SPEC §2, §7).

`load_settings()` reads every variable of README.md's table once, validates it and
returns a frozen `Settings`; the rest of the code reads its settings there, never the
environment, and nothing writes the environment. Every path the project reads or
writes at run time lives under ``MAU_HOME``; nothing is hard-coded elsewhere. Secrets
never come from code: each is read from the environment or from an owner-only file
outside the repository (mau_warehouse/secrets_files.py).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dbt_project
from mau_warehouse.errors import MauError
from mau_warehouse.notify.message import DEFAULT_DASHBOARD_URL
from mau_warehouse.secrets_files import Secret, check_secret_files, read_secret_file

DEFAULT_HOME = Path.home() / ".mau-warehouse"
# The dbt project ships in the distribution as the package `dbt_project` (its files as
# package data), so an installed `mau` finds it without a checkout of the repository.
DBT_PROJECT_DIR = Path(dbt_project.__file__).resolve().parent
# dbt is installed beside this interpreter; the venv's bin folder need not be on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@dataclass(frozen=True)
class AlertSettings:
    """Where usage alerts go (R12, R13): a webhook and SMTP email, each optional."""

    # The dashboard linked from every message (MAU_DASHBOARD_URL)
    dashboard_url: str
    # A Slack-style webhook; its URL carries a token (MAU_ALERT_WEBHOOK_URL[_FILE])
    webhook_url: Secret
    # Email is on when MAU_SMTP_HOST is set
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: Secret
    smtp_starttls: bool
    email_from: str
    # The fallback recipients: a tenant's own billing_email takes their place
    email_to: tuple[str, ...]


@dataclass(frozen=True)
class SparkSettings:
    """The standalone Spark cluster `mau spark-cluster` runs on this machine (SPEC §8):
    a master and its workers, each its own JVM, bound to 127.0.0.1."""

    # The master's port, where drivers connect (MAU_SPARK_MASTER_PORT)
    master_port: int
    # The master's web UI; worker N's UI is this port + N (MAU_SPARK_UI_PORT)
    ui_port: int
    # Workers started (MAU_SPARK_WORKERS), and what each offers to executors
    # (MAU_SPARK_WORKER_CORES, MAU_SPARK_WORKER_MEMORY)
    workers: int
    worker_cores: int
    worker_memory: str

    # The master a Spark build drives: local[*] (Spark in dbt's own process) or a
    # cluster's spark:// URL (MAU_SPARK_MASTER)
    master: str

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def master_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"


@dataclass(frozen=True)
class Settings:
    """Where things live, how DuckDB may use the machine, and the rest of the
    configuration, as the environment gave it when `load_settings()` ran."""

    home: Path
    # DuckDB's limit in dbt's own process and the limit query (MAU_DUCKDB_MEMORY_LIMIT)
    duckdb_memory_limit: str
    duckdb_threads: int | None
    # DuckDB's limit for connections opened inside the orchestrating process (loader,
    # checks, close, publish), which also holds Dagster and Great Expectations
    # (MAU_DUCKDB_IN_PROCESS_MEMORY_LIMIT)
    duckdb_in_process_memory_limit: str
    # Recount every open tenant-month on every run, not only what changed (MAU_FULL_RECOUNT)
    full_recount: bool
    # File bytes the loader puts in one transaction (MAU_INGEST_BATCH_BYTES)
    ingest_batch_bytes: int
    # R17: raw events and quarantine rows are kept this many whole months (MAU_RETENTION_MONTHS)
    retention_months: int
    # The port `mau docs` serves on by convention; Dagster's checks link there (MAU_DOCS_PORT)
    docs_port: int
    # Schedules (MAU_REFRESH_CRON, MAU_CLOSE_CRON, MAU_RETENTION_CRON)
    refresh_cron: str
    close_cron: str
    retention_cron: str
    # First landing day and billing month offered for backfills (MAU_PARTITIONS_START)
    partitions_start: str
    # Retries of the steps that open the warehouse (MAU_STEP_RETRIES)
    step_retries: int
    # Dashboard sign-in: usernames, roles and salted password hashes, owner-only
    # (MAU_DASHBOARD_USERS_FILE)
    dashboard_users_file: Path
    # "password" (the users file) or "oidc" (Streamlit's login) (MAU_DASHBOARD_SIGN_IN)
    dashboard_sign_in: str
    # The R17 key (MAU_PSEUDONYM_KEY[_FILE]); without either, the key file under MAU_HOME
    pseudonym_key_secret: Secret
    # Encrypts the warehouse and serving files at rest (MAU_WAREHOUSE_KEY[_FILE], SPEC §7)
    warehouse_key_secret: Secret
    alerts: AlertSettings
    spark: SparkSettings

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def events_dir(self) -> Path:
        return self.landing_dir / "events"

    @property
    def accounts_dir(self) -> Path:
        return self.landing_dir / "accounts"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        """The single-writer DuckDB file that ingestion and dbt write."""
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def duckdb_temp_dir(self) -> Path:
        """Where DuckDB spills beyond its memory limit: DuckDB's own default for the
        warehouse file, so every process opens it alike; set explicitly only where the
        file is attached (encrypted, SPEC §7)."""
        return self.warehouse_dir / "warehouse.duckdb.tmp"

    @property
    def serving_path(self) -> Path:
        """Read-only copy of the published marts; readers never open the writer's file."""
        return self.warehouse_dir / "serving.duckdb"

    @property
    def outbox_path(self) -> Path:
        """Alert notifications and their delivery status (SQLite, outside the warehouse)."""
        return self.home / "notifications" / "outbox.sqlite"

    @property
    def dbt_parse_path(self) -> Path:
        """dbt's parse of the project as this home's runs see it, kept between runs."""
        return self.home / "dbt" / "partial_parse.msgpack"

    @property
    def logs_dir(self) -> Path:
        """Full logs of `mau run` (Dagster and dbt), one file per run."""
        return self.home / "logs"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def check_status_path(self) -> Path:
        """Latest outcome of every data-quality suite, read by the data-health page."""
        return self.home / "quality" / "check_status.json"

    @property
    def pseudonym_key_file(self) -> Path:
        return self.pseudonym_key_secret.file or self.secrets_dir / "pseudonym.key"

    def pseudonym_key(self) -> str:
        """The R17 key: from MAU_PSEUDONYM_KEY, else from the key file (owner-only)."""
        if self.pseudonym_key_secret.value:
            return self.pseudonym_key_secret.value
        path = self.pseudonym_key_file  # MAU_PSEUDONYM_KEY_FILE, or the default under MAU_HOME
        if not path.exists():
            raise MauError(
                f"no pseudonymization key: set MAU_PSEUDONYM_KEY or create {path} "
                "(`mau init-key` makes one)"
            )
        return read_secret_file(path, "key file")

    def warehouse_key(self) -> str | None:
        """The encryption key of the warehouse and serving files (SPEC §7), from
        MAU_WAREHOUSE_KEY or MAU_WAREHOUSE_KEY_FILE; None keeps them unencrypted."""
        return self.warehouse_key_secret.read()

    def check_secrets(self) -> None:
        """At start: every secret file that is configured is owner-only and outside the
        repository (SPEC §7)."""
        secrets = (
            self.pseudonym_key_secret,
            self.warehouse_key_secret,
            self.alerts.smtp_password,
            self.alerts.webhook_url,
        )
        check_secret_files(
            {f"{secret.name}_FILE": secret.file for secret in secrets}
            | {"key file": self.pseudonym_key_file, "users file": self.dashboard_users_file}
        )

    def ensure_pseudonym_key(self) -> Path:
        """Create an owner-only random key file when no key is configured (demo, first run)."""
        if self.pseudonym_key_secret.value:
            return self.pseudonym_key_file
        path = self.pseudonym_key_file
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        return path

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt: profiles.yml reads the warehouse path from it, and with
        an encryption key its target attaches the encrypted file (SPEC §7)."""
        env = {
            "MAU_WAREHOUSE_PATH": str(self.warehouse_path),
            "MAU_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "MAU_DUCKDB_TEMP_DIRECTORY": str(self.duckdb_temp_dir),
            "MAU_DBT_TARGET": "prod",
        }
        key = self.warehouse_key()
        if key:
            env |= {"MAU_DBT_TARGET": "encrypted", "MAU_DBT_WAREHOUSE_KEY": key}
        return env

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def spark_dir(self) -> Path:
        """The standalone cluster's pid files, daemon logs and workers' scratch space."""
        return self.home / "spark"

    @property
    def spark_raw_dir(self) -> Path:
        """The raw layer as Parquet, one folder per table, for Spark to read."""
        return self.spark_dir / "raw"

    @property
    def spark_warehouse_dir(self) -> Path:
        """Spark's tables (Parquet) and the Derby metastore that names them."""
        return self.spark_dir / "warehouse"

    @property
    def spark_build_record(self) -> Path:
        """What the last `mau spark-build` did and how long each part took."""
        return self.spark_dir / "build.json"

    def spark_dbt_env(self) -> dict[str, str]:
        """Environment for dbt's `spark` target (profiles.yml)."""
        return {
            "MAU_DBT_TARGET": "spark",
            "MAU_SPARK_MASTER": self.spark.master,
            "MAU_SPARK_RAW_DIR": str(self.spark_raw_dir),
            "MAU_SPARK_WAREHOUSE_DIR": str(self.spark_warehouse_dir),
        }


def load_settings(
    home: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the settings (README.md's table) from `environ`, by default this
    process's environment; `home` overrides MAU_HOME. A bad value is a one-line MauError."""
    env = os.environ if environ is None else environ
    home = Path(home or env.get("MAU_HOME") or DEFAULT_HOME).expanduser().resolve()
    threads = env.get("MAU_DUCKDB_THREADS")
    try:
        thread_count = int(threads) if threads else None
    except ValueError as exc:
        raise MauError(f"MAU_DUCKDB_THREADS must be a whole number, got {threads!r}") from exc
    users_file = env.get("MAU_DASHBOARD_USERS_FILE")
    sign_in = env.get("MAU_DASHBOARD_SIGN_IN", "password").strip().lower()
    return Settings(
        home=home,
        # DuckDB spills beyond its limit; 1GB leaves every process (loader, dbt) room
        # for Python and Arrow under the 2 GiB peak of SPEC §6.
        duckdb_memory_limit=env.get("MAU_DUCKDB_MEMORY_LIMIT", "1GB"),
        duckdb_threads=thread_count,
        # Dagster, the definitions and Great Expectations take 0.5-0.7 GB of the same
        # process; with DuckDB at 1GB beside them M peaked at 2,143 MiB (SPEC §6: 2 GiB).
        duckdb_in_process_memory_limit=env.get("MAU_DUCKDB_IN_PROCESS_MEMORY_LIMIT", "512MB"),
        full_recount=env.get("MAU_FULL_RECOUNT", "") not in ("", "0", "false"),
        ingest_batch_bytes=_whole_number(
            env, "MAU_INGEST_BATCH_BYTES", str(256 * 1024 * 1024), "a whole number of bytes"
        ),
        retention_months=_retention_months(env.get("MAU_RETENTION_MONTHS", "13")),
        docs_port=_docs_port(env.get("MAU_DOCS_PORT", "8080")),
        refresh_cron=env.get("MAU_REFRESH_CRON", "0 * * * *"),
        close_cron=env.get("MAU_CLOSE_CRON", "30 0 * * *"),
        retention_cron=env.get("MAU_RETENTION_CRON", "15 1 * * *"),
        partitions_start=env.get("MAU_PARTITIONS_START", "2024-01-01"),
        step_retries=_whole_number(env, "MAU_STEP_RETRIES", "2", "a whole number"),
        dashboard_users_file=(
            Path(users_file) if users_file else home / "secrets" / "dashboard_users.json"
        ),
        # Anything but "oidc" signs in with the users file, as it always has.
        dashboard_sign_in="oidc" if sign_in == "oidc" else "password",
        pseudonym_key_secret=Secret.from_environ("MAU_PSEUDONYM_KEY", env),
        warehouse_key_secret=Secret.from_environ("MAU_WAREHOUSE_KEY", env),
        alerts=_alert_settings(env),
        spark=_spark_settings(env),
    )


def _whole_number(env: Mapping[str, str], name: str, default: str, what: str) -> int:
    value = env.get(name, default)
    if not value.isdigit():
        raise MauError(f"{name} must be {what}, got {value!r}")
    return int(value)


def _port_number(env: Mapping[str, str], name: str, default: str) -> int:
    value = env.get(name, default)
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise MauError(f"{name} must be a port number, got {value!r}")
    return int(value)


def _spark_settings(env: Mapping[str, str]) -> SparkSettings:
    memory = env.get("MAU_SPARK_WORKER_MEMORY", "1g")
    if not re.fullmatch(r"[1-9][0-9]*[mMgG]", memory):
        raise MauError(f"MAU_SPARK_WORKER_MEMORY must be like 512m or 2g, got {memory!r}")
    workers = _whole_number(env, "MAU_SPARK_WORKERS", "2", "a whole number of workers")
    cores = _whole_number(env, "MAU_SPARK_WORKER_CORES", "1", "a whole number of cores")
    if workers < 1 or cores < 1:
        raise MauError("MAU_SPARK_WORKERS and MAU_SPARK_WORKER_CORES must be at least 1")
    return SparkSettings(
        # Spark's own default port; the UI leaves 8080 to `mau docs` (MAU_DOCS_PORT).
        master_port=_port_number(env, "MAU_SPARK_MASTER_PORT", "7077"),
        ui_port=_port_number(env, "MAU_SPARK_UI_PORT", "8090"),
        master=env.get("MAU_SPARK_MASTER") or "local[*]",
        workers=workers,
        worker_cores=cores,
        worker_memory=memory.lower(),
    )


def _retention_months(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise MauError(f"MAU_RETENTION_MONTHS must be a whole number of months, got {value!r}")
    return int(value)


def _docs_port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise MauError(f"MAU_DOCS_PORT must be a port number, got {value!r}")
    return int(value)


def _alert_settings(env: Mapping[str, str]) -> AlertSettings:
    host = env.get("MAU_SMTP_HOST") or None
    port = env.get("MAU_SMTP_PORT", "25")
    try:
        smtp_port = int(port)
    except ValueError as exc:
        # Without a host the port is never used, and never was a reason to stop.
        if host is not None:
            raise MauError(f"MAU_SMTP_PORT must be a port number, got {port!r}") from exc
        smtp_port = 25
    return AlertSettings(
        dashboard_url=env.get("MAU_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL,
        webhook_url=Secret.from_environ("MAU_ALERT_WEBHOOK_URL", env),
        smtp_host=host,
        smtp_port=smtp_port,
        smtp_user=env.get("MAU_SMTP_USER") or None,
        smtp_password=Secret.from_environ("MAU_SMTP_PASSWORD", env),
        smtp_starttls=env.get("MAU_SMTP_STARTTLS", "").lower() in {"1", "true", "yes"},
        email_from=env.get("MAU_ALERT_EMAIL_FROM", "mau-warehouse@localhost"),
        email_to=tuple(
            address.strip()
            for address in env.get("MAU_ALERT_EMAIL_TO", "").split(",")
            if address.strip()
        ),
    )
