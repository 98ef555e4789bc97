"""The latest outcome of every suite, kept where the dashboards can read it.

When a blocking check fails nothing is published, so the serving copy cannot say
why its figures are old. The outcome of each suite is therefore also written to
`$MAU_HOME/quality/check_status.json` (replaced atomically), which the data-health
page shows next to the published figures (SPEC §7).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime

from data_quality.outcomes import SuiteOutcome
from mau_warehouse.config import Settings


def read_status(settings: Settings) -> dict[str, dict[str, object]]:
    """Suite name → {passed, checked_at, evaluated, failures}; empty before the first check."""
    try:
        return json.loads(settings.check_status_path.read_text())
    except FileNotFoundError:
        return {}


def record_outcome(settings: Settings, outcome: SuiteOutcome) -> None:
    status = read_status(settings)
    status[outcome.suite] = {
        "passed": outcome.success,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "evaluated": outcome.evaluated,
        "failures": [asdict(failure) for failure in outcome.failures],
    }
    path = settings.check_status_path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(status, indent=2, default=str))
    os.replace(temporary, path)
