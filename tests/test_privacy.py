"""R17 and SPEC §7 on a real warehouse: request files, retention, export, encryption, secrets.

Each test drives the public surfaces (the `mau` command, a Dagster materialization)
against a MAU_HOME with generated data, and reads the warehouse files back directly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from mau_warehouse.privacy.retention import retention_cutoff
from tests.conftest import MAU, TEST_KEY, mau_env, run_mau
from tests.privacy_helpers import query

pytestmark = pytest.mark.slow


def test_a_malformed_erasure_request_stops_the_load_with_a_one_line_error(
    published_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published_home, home, ignore=shutil.ignore_patterns("dagster"))
    requests = home / "landing" / "requests"
    requests.mkdir()
    (requests / "bad.csv").write_text(
        "request_id,tenant_id,user_id,anonymous_id\nDSR-3,t0001,u1,a1\n", encoding="utf-8"
    )

    done = run_mau(home, "ingest", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "mau: error: requests/bad.csv line 2: erasure request DSR-3: give exactly one of "
        "a user id and an anonymous id"
    )


def test_export_holds_one_tenant_and_all_of_its_figures(
    published_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"

    run_mau(published_home, "export", "--tenant", "t0002", "--out", str(out))

    stems = {path.stem for path in out.iterdir()}
    assert stems == {
        "usage_monthly", "usage_daily", "billing_snapshots", "usage_alerts",
        "upgrade_outreach", "late_adjustments",
    }  # fmt: skip
    for stem in stems:
        table = pq.read_table(out / f"{stem}.parquet")
        assert pa_csv.read_csv(out / f"{stem}.csv").num_rows == table.num_rows
        assert set(table.column("tenant_id").to_pylist()) <= {"t0002"}
    monthly = pq.read_table(out / "usage_monthly.parquet").to_pylist()
    published = query(
        published_home / "warehouse" / "serving.duckdb",
        "select count(*) from marts.fct_tenant_monthly_usage where tenant_id = 't0002'",
    )
    assert len(monthly) == published[0][0] > 0
    missing = run_mau(published_home, "export", "--tenant", "t9999", "--out", str(out), check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "mau: error: no tenant 't9999' in the published figures"


def test_retention_purges_raw_rows_past_the_period_and_nothing_else(
    published_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import materialize

    from orchestration.assets.retention import raw_retention
    from orchestration.resources import MauHome

    home = tmp_path / "home"
    shutil.copytree(published_home, home, ignore=shutil.ignore_patterns("dagster"))
    warehouse = home / "warehouse" / "warehouse.duckdb"
    # The sample holds 2026-09 and 2026-10: keep October onwards, whatever today is.
    today = datetime.now(UTC).date()
    months = today.year * 12 + today.month - (2026 * 12 + 10)
    cutoff = retention_cutoff(today, months)
    assert cutoff == datetime(2026, 10, 1, tzinfo=UTC)
    due = "select count(*) from raw.event_lines where occurred_at < $cutoff"
    kept = "select count(*) from raw.event_lines where occurred_at >= $cutoff"
    [(due_before,)] = query(warehouse, due, cutoff=cutoff)
    [(kept_before,)] = query(warehouse, kept, cutoff=cutoff)
    [(quarantined_before,)] = query(warehouse, "select count(*) from raw.quarantine")
    snapshots = (
        "select tenant_id, month, fingerprint from billing.monthly_usage_snapshot order by all"
    )
    snapshots_before = query(warehouse, snapshots)
    assert due_before > 0 and kept_before > 0 and snapshots_before
    monkeypatch.setenv("MAU_RETENTION_MONTHS", str(months))
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)

    result = materialize([raw_retention], resources={"mau_home": MauHome(home=str(home))})

    assert result.success
    assert query(warehouse, due, cutoff=cutoff) == [(0,)]
    assert query(warehouse, kept, cutoff=cutoff) == [(kept_before,)]
    # quarantined lines have no trusted event time: they age by load time, loaded today
    assert query(warehouse, "select count(*) from raw.quarantine") == [(quarantined_before,)]
    assert query(warehouse, snapshots) == snapshots_before
    assert query(warehouse, "select cause, count(*) from raw.line_removals group by all") == [
        ("retention", due_before)
    ]
    # The next run rebuilds from what is left, and every file's lines still add up.
    run_mau(home, "run")
    [(oldest,)] = query(
        warehouse, "select min(occurred_at) from intermediate.int_event_lines_ranked"
    )
    assert oldest >= cutoff


def test_an_encrypted_warehouse_runs_end_to_end_and_needs_its_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key_file = tmp_path / "secrets" / "warehouse.key"
    key_file.parent.mkdir()
    key_file.write_text("correct horse battery staple\n")
    key_file.chmod(0o600)
    env = {**mau_env(home), "MAU_WAREHOUSE_KEY_FILE": str(key_file)}

    def mau(*args: str, environ: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MAU, *args], env=environ, capture_output=True, text=True,
                              timeout=900, stdin=subprocess.DEVNULL)  # fmt: skip

    for args in (
        ("generate", "--seed", "5", "--tenants", "3", "--months", "2", "--events", "4000",
         "--start-month", "2026-09"),
        ("run",),
    ):  # fmt: skip
        done = mau(*args)
        assert done.returncode == 0, done.stderr[-3000:]
    report_done = mau("report", "--month", "2026-10", "--format", "json")
    assert report_done.returncode == 0, report_done.stderr
    assert sum(row["mau"] for row in json.loads(report_done.stdout)) > 0
    assert mau("export", "--tenant", "t0001", "--out", str(tmp_path / "x")).returncode == 0

    for name in ("warehouse.duckdb", "serving.duckdb"):
        with pytest.raises(duckdb.Error, match="encrypted"):
            duckdb.connect(str(home / "warehouse" / name), read_only=True)
    without_key = {k: v for k, v in env.items() if k != "MAU_WAREHOUSE_KEY_FILE"}
    refused = mau("report", "--month", "2026-10", environ=without_key)
    assert refused.returncode == 1
    assert "is encrypted: set MAU_WAREHOUSE_KEY" in refused.stderr
    wrong = mau("report", "--month", "2026-10", environ={**without_key, "MAU_WAREHOUSE_KEY": "x"})
    assert wrong.returncode == 1
    assert "with the configured warehouse key" in wrong.stderr
    # The key never reaches a log or a file of the project, dbt's log included.
    dbt_logs = Path(__file__).resolve().parent.parent / "dbt_project" / "logs"
    for path in [*home.rglob("*"), *dbt_logs.glob("dbt.log*")]:
        if path.is_file() and (
            path.suffix in {".json", ".yaml", ".txt", ".html"} or ".log" in path.name
        ):
            assert "correct horse" not in path.read_text(errors="replace"), path

    key_file.chmod(0o644)
    loose = mau("report", "--month", "2026-10")
    assert loose.returncode == 1
    assert loose.stderr.strip() == (
        f"mau: error: MAU_WAREHOUSE_KEY_FILE {key_file} must be readable by its owner only "
        "(chmod 600)"
    )


def test_a_secret_file_inside_the_repository_is_refused_at_start(tmp_path: Path) -> None:
    repo_key = Path(__file__).resolve().parent / ".tmp-secret.key"
    repo_key.write_text("secret\n")
    repo_key.chmod(0o600)
    try:
        env = {**os.environ, "MAU_HOME": str(tmp_path), "MAU_PSEUDONYM_KEY_FILE": str(repo_key)}
        env.pop("MAU_PSEUDONYM_KEY", None)
        done = subprocess.run([MAU, "user", "list"], env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    finally:
        repo_key.unlink()
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"mau: error: MAU_PSEUDONYM_KEY_FILE {repo_key} is inside the project's repository: "
        "keep it outside"
    )
