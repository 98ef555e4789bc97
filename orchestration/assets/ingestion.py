"""Landing files → raw tables (SPEC §2; R1–R3 and R17 happen in the loader)."""

from collections.abc import Iterator
from dataclasses import dataclass

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from mau_warehouse.ingest import load_landing_files
from orchestration.assets.erasure import SUPPRESSIONS
from orchestration.assets.transformation import TRANSLATOR
from orchestration.dbt_project import parsed_manifest
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

# The schema the loader writes (mau_warehouse/sql/raw_schema.sql).
RAW_SCHEMA = "raw"
# The events' source: its loads consult the suppression list, so they run after the
# erasure requests of the same run (R17).
EVENTS_SOURCE = "sdk"


@dataclass(frozen=True)
class RawTable:
    """A table the loader writes, as the dbt sources declare it."""

    source: str  # the dbt source: sdk | billing_system
    name: str  # the table in schema raw
    description: str


def _raw_tables() -> dict[AssetKey, RawTable]:
    """The loader's tables, declared once: by the dbt sources on schema raw, whose
    tables and columns tests/test_definitions.py holds equal to raw_schema.sql's. The
    keys are dagster-dbt's own source asset keys, so the lineage runs from landing
    files to billing marts without a gap."""
    manifest = parsed_manifest()
    return {
        TRANSLATOR.get_asset_spec(manifest, unique_id, None).key: RawTable(
            source["source_name"], source["identifier"], " ".join(source["description"].split())
        )
        for unique_id, source in sorted(manifest["sources"].items())
        if source["schema"] == RAW_SCHEMA
    }


RAW_TABLES = _raw_tables()


@multi_asset(
    specs=[
        AssetSpec(
            key,
            description=table.description,
            deps=[SUPPRESSIONS] if table.source == EVENTS_SOURCE else [],
            group_name="ingestion",
            kinds={"duckdb"},
        )
        for key, table in RAW_TABLES.items()
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
        yield MaterializeResult(asset_key=key, metadata=totals)
