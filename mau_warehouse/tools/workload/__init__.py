"""Synthetic landing data for `mau generate` (SPEC §2, §5, §6): a developer and test tool.

Writes the billing exports (`landing/accounts/*.csv`) and one SDK event file per UTC day
(`landing/events/YYYY/MM/DD/events-YYYY-MM-DD.<ext>`), deterministic for a seed.

Speed (SPEC §6 asks for 1 M events/s on two cores) shapes the design; each module says
how its part serves it:
- vocabulary, scenario: what events are drawn from: plans, tenants, lifecycles, users;
- timelines: events as NumPy columns: counts, visits, delivery, retries, bots, previews;
- hashing, fields: per-event details hashed from a unique event key;
- text, dictionaries, encoding: JSON lines and Parquet columns laid out by Arrow;
- bad_lines: the malformed lines a loader must quarantine (R1);
- writers: accounts CSVs and day files (gzipped JSON lines, Parquet), written whole;
- run: `generate`: months drawn on the main thread while two threads write days.

CPU per event on the 2-core development machine: ~0.65 µs gzip, ~0.35 µs laying out
lines, ~0.25 µs per-event values, ~0.4 µs drawing and sorting months, plus file writes;
start-up (imports, tenants, dictionaries) is ~0.9 s. With both cores free, 10 M events
take 9-10 s (~1 M events/s), 1 M take ~1.7 s, and 100 M peak at ~2.5 GB.
"""

from mau_warehouse.tools.workload.run import (
    EVENT_COLUMNS,
    MALFORMED_KINDS,
    GenerateOptions,
    GenerateSummary,
    generate,
)

__all__ = ["EVENT_COLUMNS", "MALFORMED_KINDS", "GenerateOptions", "GenerateSummary", "generate"]
