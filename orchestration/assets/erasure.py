"""R17 erasure as a step of its own: request files are honoured before the loader runs.

The step erases each requested person from every table of the warehouse and puts a
keyed hash of their pseudonyms on the suppression list. It runs before the load of
the same run, never after: the loader consults the suppression list, so a replayed
or re-delivered file of the person stores nothing (its lines are counted as
suppressed), while the rows already loaded go now. dbt's next build is then a full
refresh (mau_warehouse/privacy/rebuild.py), and publishing replaces the serving copy
once the checks pass: this step never writes it.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from mau_warehouse.ingest import apply_erasure_requests
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

# Erasure and retention (R17) share one group in the UI.
PRIVACY_GROUP = "privacy"
SUPPRESSIONS = AssetKey(["privacy", "suppressions"])
ERASURE_AUDIT = AssetKey(["privacy", "erasure_audit"])


@multi_asset(
    specs=[
        AssetSpec(
            SUPPRESSIONS,
            description=(
                "A keyed hash of each pseudonym of every erased person, never the pseudonym "
                "itself: the loader stores no later line of theirs (R17)."
            ),
            group_name=PRIVACY_GROUP,
            kinds={"duckdb"},
        ),
        AssetSpec(
            ERASURE_AUDIT,
            description=(
                "One row per erasure request honoured: request id, tenant, times and rows "
                "removed per table, without the identifier or its pseudonym (R17)."
            ),
            group_name=PRIVACY_GROUP,
            kinds={"duckdb"},
        ),
    ],
    name="erasure_requests",
    retry_policy=transient_retry,
    description=(
        "Honour new erasure request files (landing/requests/*.csv, R17), each file once: "
        "the person's rows leave every warehouse table and their pseudonyms go on the "
        "suppression list, before the same run loads new event files."
    ),
)
def erasure_requests(
    context: AssetExecutionContext, mau_home: MauHome
) -> Iterator[MaterializeResult]:
    results = apply_erasure_requests(mau_home.settings(), progress=context.log.info)
    metadata = {
        "request_files": len(results),
        "requests_honoured": sum(r.accepted for r in results),
        "already_honoured": sum(r.lines - r.accepted for r in results),
    }
    for key in (SUPPRESSIONS, ERASURE_AUDIT):
        yield MaterializeResult(asset_key=key, metadata=metadata)
