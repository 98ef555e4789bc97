"""Publication is guarded and crash-safe (SPEC §7): a failing check leaves the old figures
published, a killed run reruns to exact figures, and readers never wait for the writer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest

from tests.conftest import MAU, mau_env, run_mau

pytestmark = pytest.mark.slow

MONTHS = ("2026-09", "2026-10")


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("dagster", "tmp"))
    return target


def figures(home: Path) -> dict[str, list[dict[str, object]]]:
    return {
        month: json.loads(run_mau(home, "report", "--month", month, "--format", "json").stdout)
        for month in MONTHS
    }


def test_a_failing_blocking_check_keeps_the_old_figures_published(
    published_home: Path, tmp_path: Path
) -> None:
    home = copy_home(published_home, tmp_path / "home")
    serving = home / "warehouse" / "serving.duckdb"
    before = serving.read_bytes()
    # Someone edits a frozen bill: the snapshot no longer matches its fingerprint.
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb")) as con:
        [(tenant, month)] = con.execute(
            "select tenant_id, month from billing.monthly_usage_snapshot order by all limit 1"
        ).fetchall()
        con.execute(
            "update billing.monthly_usage_snapshot "
            "set figures = json_merge_patch(figures, '{\"mau\": 999999}') "
            "where tenant_id = $t and month = $m",
            {"t": tenant, "m": month},
        )

    done = run_mau(home, "run", check=False)

    assert done.returncode == 1
    assert "gx_monthly_usage_snapshot" in done.stderr.strip().splitlines()[-1]
    assert serving.read_bytes() == before  # nothing published: the old figures stay
    status = json.loads((home / "quality" / "check_status.json").read_text())
    failed = status["monthly_usage_snapshot"]
    assert failed["passed"] is False
    named = json.dumps(failed["failures"])
    assert tenant in named and month.isoformat() in named


def start_run(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [MAU, "run", "--verbose"],
        env=mau_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # Dagster logs and dbt's progress, in order
        text=True,
        start_new_session=True,  # dbt runs as a child: the kill takes the whole group
    )


def kill_when(process: subprocess.Popen[str], marker: str) -> None:
    for line in process.stdout:
        if marker in line:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return
    raise AssertionError(f"the run ended before {marker!r}")


def test_a_run_killed_in_ingestion_then_in_dbt_reruns_to_exact_figures(
    published_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "killed"
    home.mkdir()
    shutil.copytree(published_home / "landing", home / "landing")

    kill_when(start_run(home), "loaded events/")  # after a first committed batch
    kill_when(start_run(home), "START sql table model")  # inside dbt build
    run_mau(home, "run")

    assert figures(home) == figures(published_home)


def test_readers_keep_answering_while_a_run_writes(published_home: Path, tmp_path: Path) -> None:
    home = copy_home(published_home, tmp_path / "home")
    serving = home / "warehouse" / "serving.duckdb"
    # A new day of events, so the run has something to write.
    landing = home / "landing" / "events" / "late-day.jsonl"
    landing.write_text(
        "".join(
            json.dumps(
                {"event_id": f"new{n}", "tenant_id": "t0001", "event_type": "sdk_loaded",
                 "occurred_at": "2026-10-20T10:00:00Z", "user_id": f"newcomer{n}"}
            ) + "\n"
            for n in range(50)
        )
    )  # fmt: skip

    def read_total() -> tuple[int, int]:
        with duckdb.connect(str(serving), read_only=True) as con:
            return con.execute(
                "select count(*), sum(mau) from marts.fct_tenant_monthly_usage"
            ).fetchall()[0]

    before = read_total()
    errors: list[BaseException] = []
    seen: set[tuple[int, int]] = set()
    writing = threading.Event()
    writing.set()

    def read_in_a_loop() -> None:
        while writing.is_set():
            try:
                seen.add(read_total())
            except BaseException as exc:  # any failure to answer is the finding
                errors.append(exc)

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    try:
        run_mau(home, "run")
    finally:
        writing.clear()
        reader.join()
    after = read_total()

    assert errors == []
    assert after != before  # the run did publish new figures ...
    assert seen <= {before, after}  # ... and no reader saw anything in between
    assert len(seen) >= 1
