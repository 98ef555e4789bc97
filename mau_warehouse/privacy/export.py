"""`mau export --tenant ID`: a tenant's own figures, as Parquet and CSV ("you own your data").

Read from the published serving copy, like `mau report`: monthly usage (closed months
as billed, from their snapshot, R16), month-to-date daily usage, the billing
snapshots, alerts, upgrade outreach and late adjustments. Every query filters on the
tenant in SQL, so nothing of another tenant is read, let alone written. Figures only:
no table of pseudonymized persons is exported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from mau_warehouse.config import Settings
from mau_warehouse.report import monthly_usage
from mau_warehouse.warehouse import connect_serving, require_published_tenant

# File stem -> the tenant's rows of a published table ($tenant is bound, never formatted).
TABLE_QUERIES = {
    "usage_daily": "select * from marts.fct_tenant_daily_usage where tenant_id = $tenant "
    "order by activity_date",
    "billing_snapshots": "select tenant_id, month, closed_at, fingerprint, "
    "figures::varchar as figures from billing.monthly_usage_snapshot "
    "where tenant_id = $tenant order by month",
    "usage_alerts": "select * from marts.fct_usage_alerts where tenant_id = $tenant order by all",
    "upgrade_outreach": "select * from marts.fct_upgrade_outreach where tenant_id = $tenant "
    "order by all",
    "late_adjustments": "select * from marts.fct_late_adjustments where tenant_id = $tenant "
    "order by all",
}


def _write(table: pa.Table, folder: Path, stem: str) -> list[Path]:
    parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
    pq.write_table(table, parquet)
    # CSV has no nested types: JSON columns are text already, lists are not used.
    pa_csv.write_csv(table, csv)
    return [parquet, csv]


def export_tenant(settings: Settings, tenant_id: str, folder: Path | None = None) -> list[Path]:
    """Write the tenant's files into `folder` (default $MAU_HOME/exports/<tenant>); the
    folder is replaced whole, so it never mixes two exports."""
    con = connect_serving(settings)
    try:
        require_published_tenant(con, tenant_id)
        tables = {
            stem: con.execute(sql, {"tenant": tenant_id}).to_arrow_table()
            for stem, sql in TABLE_QUERIES.items()
        }
    finally:
        con.close()
    tables["usage_monthly"] = pa.Table.from_pylist(monthly_usage(settings, tenant=tenant_id))
    target = folder or settings.exports_dir / tenant_id
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    written = []
    for stem in sorted(tables):
        written += [target / path.name for path in _write(tables[stem], staging, stem)]
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return written
