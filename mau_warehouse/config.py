"""Run-time configuration, read from environment variables only (SPEC §2, §7).

Every path the project reads or writes at run time lives under ``MAU_HOME``;
nothing is hard-coded elsewhere. Secrets never come from code: each is read
from the environment or from an owner-only file outside the repository
(mau_warehouse/secrets_files.py).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from mau_warehouse.errors import MauError
from mau_warehouse.secrets_files import check_secret_files, read_secret, read_secret_file

DEFAULT_HOME = Path.home() / ".mau-warehouse"
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt is installed beside this interpreter; the venv's bin folder need not be on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@dataclass(frozen=True)
class Settings:
    """Where things live and how DuckDB may use the machine."""

    home: Path
    # DuckDB's limit in dbt's own process and the limit query (MAU_DUCKDB_MEMORY_LIMIT)
    duckdb_memory_limit: str
    duckdb_threads: int | None
    # DuckDB's limit for connections opened inside the orchestrating process (loader,
    # checks, close, publish), which also holds Dagster and Great Expectations
    # (MAU_DUCKDB_IN_PROCESS_MEMORY_LIMIT)
    duckdb_in_process_memory_limit: str = "512MB"
    # Recount every open tenant-month on every run, not only what changed (MAU_FULL_RECOUNT)
    full_recount: bool = False

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
    def dashboard_users_file(self) -> Path:
        """Dashboard sign-in: usernames, roles and salted password hashes (owner-only)."""
        default = self.secrets_dir / "dashboard_users.json"
        return Path(os.environ.get("MAU_DASHBOARD_USERS_FILE", default))

    @property
    def check_status_path(self) -> Path:
        """Latest outcome of every data-quality suite, read by the data-health page."""
        return self.home / "quality" / "check_status.json"

    @property
    def pseudonym_key_file(self) -> Path:
        return Path(os.environ.get("MAU_PSEUDONYM_KEY_FILE", self.secrets_dir / "pseudonym.key"))

    def pseudonym_key(self) -> str:
        """The R17 key: from MAU_PSEUDONYM_KEY, else from the key file (owner-only)."""
        key = os.environ.get("MAU_PSEUDONYM_KEY")
        if key:
            return key
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
        return read_secret("MAU_WAREHOUSE_KEY")

    def check_secrets(self) -> None:
        """At start: every secret file that is configured is owner-only and outside the
        repository (SPEC §7)."""
        check_secret_files(
            {"key file": self.pseudonym_key_file, "users file": self.dashboard_users_file}
        )

    def ensure_pseudonym_key(self) -> Path:
        """Create an owner-only random key file when no key is configured (demo, first run)."""
        if os.environ.get("MAU_PSEUDONYM_KEY"):
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
    def retention_months(self) -> int:
        """R17: raw events and quarantine rows are kept this many whole months (default 13)."""
        value = os.environ.get("MAU_RETENTION_MONTHS", "13")
        if not value.isdigit() or int(value) < 1:
            raise MauError(f"MAU_RETENTION_MONTHS must be a whole number of months, got {value!r}")
        return int(value)

    @property
    def docs_port(self) -> int:
        """The port `mau docs` serves on by convention; Dagster's checks link there."""
        value = os.environ.get("MAU_DOCS_PORT", "8080")
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise MauError(f"MAU_DOCS_PORT must be a port number, got {value!r}")
        return int(value)

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"


def load_settings(home: str | Path | None = None) -> Settings:
    """Read settings from the environment (documented in README.md); `home` overrides MAU_HOME."""
    home = Path(home or os.environ.get("MAU_HOME") or DEFAULT_HOME).expanduser().resolve()
    threads = os.environ.get("MAU_DUCKDB_THREADS")
    try:
        thread_count = int(threads) if threads else None
    except ValueError as exc:
        raise MauError(f"MAU_DUCKDB_THREADS must be a whole number, got {threads!r}") from exc
    return Settings(
        home=home,
        # DuckDB spills beyond its limit; 1GB leaves every process (loader, dbt) room
        # for Python and Arrow under the 2 GiB peak of SPEC §6.
        duckdb_memory_limit=os.environ.get("MAU_DUCKDB_MEMORY_LIMIT", "1GB"),
        duckdb_threads=thread_count,
        # Dagster, the definitions and Great Expectations take 0.5-0.7 GB of the same
        # process; with DuckDB at 1GB beside them M peaked at 2,143 MiB (SPEC §6: 2 GiB).
        duckdb_in_process_memory_limit=os.environ.get(
            "MAU_DUCKDB_IN_PROCESS_MEMORY_LIMIT", "512MB"
        ),
        full_recount=os.environ.get("MAU_FULL_RECOUNT", "") not in ("", "0", "false"),
    )
