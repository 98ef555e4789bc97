"""Loading landing files into the raw layer of the warehouse (SPEC §2, R1–R3, R17)."""

from mau_warehouse.ingest.run import (
    FileResult,
    apply_erasure_requests,
    ingest,
    load_landing_files,
)

__all__ = ["FileResult", "apply_erasure_requests", "ingest", "load_landing_files"]
