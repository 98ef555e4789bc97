"""The `mau` command's contract for bad input: one line on stderr, a non-zero exit (SPEC §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_mau

COMMANDS = (
    "generate", "ingest", "run", "report", "close", "demo", "user", "dashboard", "ui", "docs",
)  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(mau_home: Path, command: str) -> None:
    done = run_mau(mau_home, command, "--help")
    assert done.stdout.startswith(f"usage: mau {command}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report",), "the following arguments are required: --month"),
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
