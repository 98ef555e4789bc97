"""Landing files → raw tables (SPEC §2; R1–R3 and R17 happen in the loader)."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset

from mau_warehouse.ingest import load_landing_files
from orchestration.assets.erasure import SUPPRESSIONS
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

# dbt sources read these tables; the keys match dagster-dbt's source asset keys
# so the lineage runs from landing files to billing marts without a gap.
RAW_TABLES = {
    ("sdk", "event_lines"): "Events that passed R1, duplicates included; ids pseudonymized (R17).",
    ("sdk", "quarantine"): "Lines that could not become events, with file, line and reason (R1).",
    (
        "sdk",
        "load_ledger",
    ): "One row per loaded file content: makes loads idempotent (R2).",
    (
        "sdk",
        "line_removals",
    ): "Loaded lines not kept: erased, purged after retention, or suppressed (R17).",
    ("billing_system", "plans"): "Plan catalogue from plans.csv (or the shipped default).",
    ("billing_system", "tenants"): "Tenants with their billing time zone, from tenants.csv.",
    (
        "billing_system",
        "subscriptions",
    ): "Subscription history with trials, from subscriptions.csv.",
}


@multi_asset(
    specs=[
        AssetSpec(
            key=list(key),
            description=description,
            # The events' loads consult the suppression list: they run after the
            # erasure requests of the same run (R17).
            deps=[SUPPRESSIONS] if key[0] == "sdk" else [],
            group_name="ingestion",
            kinds={"duckdb"},
        )
        for key, description in RAW_TABLES.items()
    ],
    name="landing_files",
    retry_policy=transient_retry,
    description="Load new files of the landing folder into the raw layer, each file once.",
)
def landing_files(context: AssetExecutionContext, mau_home: MauHome) -> Iterator[MaterializeResult]:
    results = load_landing_files(mau_home.settings(), progress=context.log.info)
    events = [r for r in results if r.file.startswith("events/") or r.quarantined]
    totals = {
        "files_loaded": len(results),
        "lines": sum(r.lines for r in events),
        "accepted": sum(r.accepted for r in events),
        "duplicates": sum(r.duplicates for r in events),
        "quarantined": sum(sum(r.quarantined.values()) for r in events),
        "unreadable_files": sum(1 for r in results if r.error),
    }
    for key in RAW_TABLES:
        yield MaterializeResult(asset_key=list(key), metadata=totals)
