"""Configuration is read once: `load_settings()` turns the environment (README.md's table)
into a frozen Settings, with one-line errors for bad values, and nothing writes it back."""

from __future__ import annotations

import os
import subprocess
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from mau_warehouse.config import load_settings
from mau_warehouse.errors import MauError
from tests.conftest import MAU, TEST_KEY, mau_env, run_mau


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})

    assert settings.home == tmp_path.resolve()
    assert (settings.duckdb_memory_limit, settings.duckdb_in_process_memory_limit) == (
        "1GB",
        "512MB",
    )
    assert settings.duckdb_threads is None
    assert settings.full_recount is False
    assert settings.ingest_batch_bytes == 256 * 1024 * 1024
    assert settings.retention_months == 13
    assert settings.docs_port == 8080
    assert (settings.refresh_cron, settings.close_cron, settings.retention_cron) == (
        "0 * * * *",
        "30 0 * * *",
        "15 1 * * *",
    )
    assert settings.partitions_start == "2024-01-01"
    assert settings.step_retries == 2
    assert settings.dashboard_users_file == settings.home / "secrets" / "dashboard_users.json"
    assert settings.dashboard_sign_in == "password"
    assert settings.pseudonym_key_file == settings.home / "secrets" / "pseudonym.key"
    assert settings.warehouse_key() is None
    alerts = settings.alerts
    assert alerts.dashboard_url == "http://127.0.0.1:8501"
    assert alerts.webhook_url.read() is None and alerts.smtp_host is None
    assert (alerts.smtp_port, alerts.email_from, alerts.email_to) == (
        25,
        "mau-warehouse@localhost",
        (),
    )
    spark = settings.spark
    assert (spark.master_url, spark.master_ui_url) == (
        "spark://127.0.0.1:7077",
        "http://127.0.0.1:8090",
    )
    assert (spark.workers, spark.worker_cores, spark.worker_memory) == (2, 1, "1g")
    assert spark.master == "local[*]"
    assert settings.spark_dir == settings.home / "spark"
    assert settings.spark_dbt_env() == {
        "MAU_DBT_TARGET": "spark",
        "MAU_SPARK_MASTER": "local[*]",
        "MAU_SPARK_RAW_DIR": str(settings.home / "spark" / "raw"),
        "MAU_SPARK_WAREHOUSE_DIR": str(settings.home / "spark" / "warehouse"),
    }


def test_home_comes_from_mau_home_unless_given(tmp_path: Path) -> None:
    environ = {"MAU_HOME": str(tmp_path / "from_env")}
    assert load_settings(environ=environ).home == (tmp_path / "from_env").resolve()
    assert load_settings(tmp_path / "given", environ=environ).home == (tmp_path / "given").resolve()


def test_values_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "MAU_DUCKDB_MEMORY_LIMIT": "3GB",
        "MAU_DUCKDB_IN_PROCESS_MEMORY_LIMIT": "256MB",
        "MAU_DUCKDB_THREADS": "3",
        "MAU_FULL_RECOUNT": "1",
        "MAU_INGEST_BATCH_BYTES": "1",
        "MAU_RETENTION_MONTHS": "25",
        "MAU_DOCS_PORT": "9090",
        "MAU_REFRESH_CRON": "*/5 * * * *",
        "MAU_CLOSE_CRON": "0 2 * * *",
        "MAU_RETENTION_CRON": "0 3 * * *",
        "MAU_PARTITIONS_START": "2025-06-01",
        "MAU_STEP_RETRIES": "0",
        "MAU_DASHBOARD_USERS_FILE": str(tmp_path / "users.json"),
        "MAU_DASHBOARD_SIGN_IN": " OIDC ",
        "MAU_PSEUDONYM_KEY": "the-key",
        "MAU_WAREHOUSE_KEY": "the-warehouse-key",
        "MAU_DASHBOARD_URL": "https://mau.example",
        "MAU_ALERT_WEBHOOK_URL": "https://hooks.example/token",
        "MAU_SMTP_HOST": "smtp.example",
        "MAU_SMTP_PORT": "2525",
        "MAU_SMTP_USER": "mailer",
        "MAU_SMTP_PASSWORD": "smtp-secret",
        "MAU_SMTP_STARTTLS": "yes",
        "MAU_ALERT_EMAIL_FROM": "alerts@mau.example",
        "MAU_ALERT_EMAIL_TO": "a@example.com, ,b@example.com",
        "MAU_SPARK_MASTER_PORT": "7177",
        "MAU_SPARK_UI_PORT": "8190",
        "MAU_SPARK_WORKERS": "4",
        "MAU_SPARK_WORKER_CORES": "2",
        "MAU_SPARK_WORKER_MEMORY": "2G",
        "MAU_SPARK_MASTER": "spark://10.0.0.5:7077",
    }
    settings = load_settings(tmp_path, environ=environ)

    assert (settings.duckdb_memory_limit, settings.duckdb_in_process_memory_limit) == (
        "3GB",
        "256MB",
    )
    assert (settings.duckdb_threads, settings.full_recount) == (3, True)
    assert (settings.ingest_batch_bytes, settings.retention_months, settings.docs_port) == (
        1,
        25,
        9090,
    )
    assert (settings.refresh_cron, settings.close_cron, settings.retention_cron) == (
        "*/5 * * * *",
        "0 2 * * *",
        "0 3 * * *",
    )
    assert (settings.partitions_start, settings.step_retries) == ("2025-06-01", 0)
    assert settings.dashboard_users_file == tmp_path / "users.json"
    assert settings.dashboard_sign_in == "oidc"
    assert settings.pseudonym_key() == "the-key"
    assert settings.warehouse_key() == "the-warehouse-key"
    assert settings.dbt_env()["MAU_DBT_TARGET"] == "encrypted"
    alerts = settings.alerts
    assert alerts.dashboard_url == "https://mau.example"
    assert alerts.webhook_url.read() == "https://hooks.example/token"
    assert (alerts.smtp_host, alerts.smtp_port, alerts.smtp_user) == (
        "smtp.example",
        2525,
        "mailer",
    )
    assert (alerts.smtp_password.read(), alerts.smtp_starttls) == ("smtp-secret", True)
    assert alerts.email_from == "alerts@mau.example"
    assert alerts.email_to == ("a@example.com", "b@example.com")
    spark = settings.spark
    assert (spark.master_url, spark.master_ui_url) == (
        "spark://127.0.0.1:7177",
        "http://127.0.0.1:8190",
    )
    assert (spark.workers, spark.worker_cores, spark.worker_memory) == (4, 2, "2g")
    assert settings.spark_dbt_env()["MAU_SPARK_MASTER"] == "spark://10.0.0.5:7077"


def test_secrets_stay_out_of_the_settings_repr(tmp_path: Path) -> None:
    environ = {
        "MAU_PSEUDONYM_KEY": "xyzzy-pseudonym",
        "MAU_WAREHOUSE_KEY": "xyzzy-warehouse",
        "MAU_SMTP_HOST": "smtp.example",
        "MAU_SMTP_PASSWORD": "xyzzy-smtp",
        "MAU_ALERT_WEBHOOK_URL": "https://hooks.example/xyzzy-webhook",
    }
    shown = repr(load_settings(tmp_path, environ=environ))
    assert "smtp.example" in shown and "xyzzy" not in shown


def test_secret_files_are_read_when_needed(tmp_path: Path) -> None:
    key_file = tmp_path / "warehouse.key"
    settings = load_settings(tmp_path, environ={"MAU_WAREHOUSE_KEY_FILE": str(key_file)})
    # A command that never needs the key does not fail on its missing file.
    with pytest.raises(MauError) as missing:
        settings.warehouse_key()
    assert str(missing.value) == f"MAU_WAREHOUSE_KEY_FILE {key_file} does not exist"
    key_file.write_text("from-the-file\n")
    key_file.chmod(0o600)
    assert settings.warehouse_key() == "from-the-file"
    key_file.chmod(0o644)
    with pytest.raises(MauError) as exposed:
        settings.check_secrets()
    assert str(exposed.value) == (
        f"MAU_WAREHOUSE_KEY_FILE {key_file} must be readable by its owner only (chmod 600)"
    )


def test_the_pseudonym_key_file_comes_from_its_variable_or_the_home(tmp_path: Path) -> None:
    key_file = tmp_path / "elsewhere.key"
    settings = load_settings(tmp_path, environ={"MAU_PSEUDONYM_KEY_FILE": str(key_file)})
    assert settings.pseudonym_key_file == key_file
    with pytest.raises(MauError) as missing:
        settings.pseudonym_key()
    assert str(missing.value).startswith("no pseudonymization key: set MAU_PSEUDONYM_KEY ")
    assert settings.ensure_pseudonym_key() == key_file
    assert settings.pseudonym_key() == key_file.read_text().strip()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAU_DUCKDB_THREADS", "all", "MAU_DUCKDB_THREADS must be a whole number, got 'all'"),
        (
            "MAU_RETENTION_MONTHS",
            "0",
            "MAU_RETENTION_MONTHS must be a whole number of months, got '0'",
        ),
        (
            "MAU_RETENTION_MONTHS",
            "a year",
            "MAU_RETENTION_MONTHS must be a whole number of months, got 'a year'",
        ),
        ("MAU_DOCS_PORT", "http", "MAU_DOCS_PORT must be a port number, got 'http'"),
        ("MAU_DOCS_PORT", "70000", "MAU_DOCS_PORT must be a port number, got '70000'"),
        (
            "MAU_INGEST_BATCH_BYTES",
            "1MB",
            "MAU_INGEST_BATCH_BYTES must be a whole number of bytes, got '1MB'",
        ),
        ("MAU_STEP_RETRIES", "-1", "MAU_STEP_RETRIES must be a whole number, got '-1'"),
        (
            "MAU_SPARK_MASTER_PORT",
            "70777",
            "MAU_SPARK_MASTER_PORT must be a port number, got '70777'",
        ),
        (
            "MAU_SPARK_WORKER_MEMORY",
            "1 GB",
            "MAU_SPARK_WORKER_MEMORY must be like 512m or 2g, got '1 GB'",
        ),
        (
            "MAU_SPARK_WORKERS",
            "0",
            "MAU_SPARK_WORKERS and MAU_SPARK_WORKER_CORES must be at least 1",
        ),
    ],
)
def test_a_bad_value_is_a_one_line_error(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(MauError) as raised:
        load_settings(tmp_path, environ={name: value})
    assert str(raised.value) == message


def test_the_smtp_port_matters_only_with_a_host(tmp_path: Path) -> None:
    assert load_settings(tmp_path, environ={"MAU_SMTP_PORT": "smtp"}).alerts.smtp_host is None
    with pytest.raises(MauError) as raised:
        load_settings(tmp_path, environ={"MAU_SMTP_HOST": "smtp.example", "MAU_SMTP_PORT": "smtp"})
    assert str(raised.value) == "MAU_SMTP_PORT must be a port number, got 'smtp'"


def test_a_bad_value_stops_the_command_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [MAU, "months"],
        env={**mau_env(tmp_path), "MAU_DOCS_PORT": "http"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr == "mau: error: MAU_DOCS_PORT must be a port number, got 'http'\n"


def test_settings_do_not_follow_later_changes_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAU_RETENTION_MONTHS", "13")
    settings = load_settings(tmp_path)
    monkeypatch.setenv("MAU_RETENTION_MONTHS", "not a number")
    assert settings.retention_months == 13
    with pytest.raises(FrozenInstanceError):
        settings.retention_months = 1  # type: ignore[misc]


@pytest.mark.slow
def test_a_run_leaves_the_process_environment_unchanged(
    mau_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance, DagsterRunStatus

    from mau_warehouse.cli.pipeline import run_pipeline

    run_mau(mau_home, "generate", "--seed", "3", "--tenants", "2", "--months", "1",
            "--events", "2000")  # fmt: skip
    # The key is the caller's; MAU_HOME and DAGSTER_HOME point elsewhere, or nowhere.
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.delenv("MAU_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    before = dict(os.environ)

    summary = run_pipeline(load_settings(mau_home), verbose=True)

    # Great Expectations' SQL engine tags every process for Snowflake's partner
    # statistics (SF_PARTNER) when it starts; that one is the library's, not the project's.
    after = {name: value for name, value in os.environ.items() if name != "SF_PARTNER"}
    assert after == {name: value for name, value in before.items() if name != "SF_PARTNER"}
    assert summary.files_loaded > 0
    assert (mau_home / "warehouse" / "serving.duckdb").exists()
    # The run went to the home's own Dagster instance, without DAGSTER_HOME.
    with DagsterInstance.from_config(str(mau_home / "dagster")) as instance:
        [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.SUCCESS
