"""The `mau` command's contract for bad input: one line on stderr, a non-zero exit (SPEC §5)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mau_warehouse.config import load_settings
from mau_warehouse.privacy.rebuild import rebuild_due
from tests.conftest import MAU, mau_env, run_mau

COMMANDS = (
    "generate", "ingest", "run", "report", "months", "alerts", "backtest", "close", "demo",
    "user", "dashboard", "ui", "docs",
)  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(mau_home: Path, command: str) -> None:
    done = run_mau(mau_home, command, "--help")
    assert done.stdout.startswith(f"usage: mau {command}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "--month", "2025-13"), "month must be YYYY-MM, got '2025-13'"),
        (("report", "--month", "March"), "month must be YYYY-MM, got 'March'"),
        (("generate", "--tenants", "0"), "'0' must be at least 1"),
        (("generate", "--events", "many"), "'many' is not a whole number"),
        (("ingest", "--format", "xml"), "invalid choice: 'xml'"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("dashboard", "--port", "70000"), "'70000' is not a port number"),
        (("user", "add", "x", "--role", "boss"), "invalid choice: 'boss'"),
        (("close", "--month", "2099-01"), "2099-01 has not ended in every time zone yet"),
    ],
)
def test_bad_arguments_give_one_line(mau_home: Path, args: tuple[str, ...], message: str) -> None:
    done = run_mau(mau_home, *args, check=False)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest",), "landing folder"),
        (("run",), "landing folder"),
        (("report", "--month", "2025-01"), "no published figures yet"),
        (("report",), "no published figures yet"),
        (("months",), "no published figures yet"),
        (("alerts", "--month", "2025-01"), "no published figures yet"),
        (("ingest", "no/such/file.jsonl"), "no such file or folder: no/such/file.jsonl"),
    ],
)
def test_missing_inputs_give_one_line(mau_home: Path, args: tuple[str, ...], message: str) -> None:
    done = run_mau(mau_home, *args, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mau: error: ")
    assert message in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("report", "--tenant", "t9999"),
        ("alerts", "--month", "2026-10", "--tenant", "t9999"),
        ("export", "--tenant", "t9999"),
        ("erase", "--tenant", "t9999", "--user-id", "u1", "--no-run"),
        ("user", "add", "someone", "--role", "tenant", "--tenant", "t9999", "--password-stdin"),
    ],
)
def test_an_unknown_tenant_is_one_line_everywhere(
    published_home: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published_home, home)  # erase and user add would write to it
    done = run_mau(home, *args, check=False, stdin="a-long-password-1\n")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no tenant 't9999'" in lines[0]
    assert not rebuild_due(load_settings(home))  # no full refresh was forced


@pytest.mark.slow
def test_report_defaults_to_the_latest_month_and_marks_it_month_to_date(
    published_home: Path,
) -> None:
    months = json.loads(run_mau(published_home, "months", "--format", "json").stdout)
    latest = months[-1]
    assert latest["is_month_to_date"] is True  # open subscriptions run to this month
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    rows = json.loads(run_mau(published_home, "report", "--format", "json").stdout)
    assert {row["month"] for row in rows} == {latest["month"]}
    assert all(row["is_month_to_date"] for row in rows)
    table = run_mau(published_home, "report").stdout
    assert f"{latest['month']} (to date)" in table
    listing = run_mau(published_home, "months").stdout
    assert "month to date" in listing.splitlines()[-1]


@pytest.mark.slow
def test_a_reader_that_stops_early_gets_no_traceback(published_home: Path) -> None:
    reader = subprocess.Popen(
        [MAU, "report", "--format", "csv"],
        env=mau_env(published_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    reader.stdout.readline()
    reader.stdout.close()  # like `| head -1`
    assert reader.wait(timeout=60) == 0
    assert reader.stderr is not None
    assert "Traceback" not in reader.stderr.read()


@pytest.mark.slow
def test_a_run_prints_its_steps_and_a_summary_and_keeps_the_logs(mau_home: Path) -> None:
    events = mau_home / "landing" / "events"
    events.mkdir(parents=True)
    line = {"event_id": "e1", "tenant_id": "t", "occurred_at": "2026-11-01T10:00:00Z",
            "user_id": "u1"}  # fmt: skip
    (events / "good.jsonl").write_text(json.dumps(line) + "\n" + "not json\n")
    (events / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    done = run_mau(mau_home, "run", check=False)
    lines = done.stderr.strip().splitlines()
    assert len(lines) < 20, done.stderr  # steps and a summary, not Dagster's and dbt's logs
    assert "  ✓ build models (dbt)" in "\n".join(lines)
    assert "loaded 2 files, 1 lines quarantined, 1 files unreadable" in done.stderr
    # unreadable input is bad input: published, said, and a non-zero exit
    assert done.returncode == 1
    assert lines[-1].startswith("mau: error: figures published, but 1 files could not be read")
    [log] = (mau_home / "logs").glob("run-*.log")
    assert "START sql table model marts.fct_tenant_monthly_usage" in log.read_text()
    assert f"full log: {log}" in done.stderr
