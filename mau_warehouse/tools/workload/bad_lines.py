"""Broken lines that a loader must quarantine, each for exactly one R1 reason.

Their kinds are taken round-robin over the days, so that a small run still has every
kind; a day's broken lines and the rows they go before come from the day's own seed, so
they do not depend on how days are batched or written.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from mau_warehouse.tools.workload.scenario import DAY_MS, World
from mau_warehouse.tools.workload.vocabulary import DESKTOP_UAS

# Malformed line kinds, named after the SPEC R1 reason a loader should give them.
MALFORMED_KINDS = (
    "malformed_json",
    "missing_event_id",
    "missing_tenant",
    "missing_identity",
    "bad_timestamp",
    "future_timestamp",
    "oversized",
)
# Round-robin order: the first seven cover every kind; oversized lines stay rare.
MALFORMED_CYCLE = (0, 1, 2, 3, 4, 5, 6, 0, 1, 3, 4, 5, 0, 2, 1, 0, 3, 4, 5, 0)


def malformed_lines(
    world: World, day: int, rows: int, kinds: tuple[int, ...]
) -> tuple[list[bytes], list[int]]:
    """A day's broken lines and the row each goes before, drawn from the day's own seed;
    `kinds` are indices in MALFORMED_KINDS, one per line."""
    # Python's generator: a few scalar draws a line, where NumPy's cost microseconds each.
    rng = random.Random(f"malformed/{world.plan.options.seed}/{day}")
    day_ms = world.plan.start_ms + day * DAY_MS
    span = min(DAY_MS, world.plan.cutoff_ms - day_ms)
    bad = [_malformed_line(world, rng, kind, day_ms + rng.randrange(span)) for kind in kinds]
    return bad, sorted(rng.randrange(rows + 1) for _ in bad)


def _malformed_line(world: World, rng: random.Random, kind: int, received_ms: int) -> bytes:
    """One line that R1 must quarantine, for exactly one reason: MALFORMED_KINDS[kind]."""
    tenant = world.tenant_ids[rng.randrange(0, len(world.tenant_ids) - 1)]
    event: dict[str, object] = {
        "event_id": f"{rng.randrange(0, 2**63):016x}",
        "tenant_id": tenant,
        "event_type": "sdk_loaded",
        "occurred_at": _iso(received_ms - 1800),
        "sent_at": _iso(received_ms - 300),
        "received_at": _iso(received_ms),
        "user_id": str(rng.randrange(100_000, 200_000)),
        "anonymous_id": f"{rng.randrange(0, 2**63):016x}",
        "session_id": f"{rng.randrange(0, 2**47):012x}",
        "device_type": "desktop",
        "user_agent": DESKTOP_UAS[0],
        "page_url": f"https://app.{world.slugs[0]}.com/dashboard",
        "is_preview": False,
        "properties": {"sdk_version": "4.1.0"},
    }
    _BREAKERS[MALFORMED_KINDS[kind]](event, rng)
    text = json.dumps(event, separators=(",", ":"))
    if MALFORMED_KINDS[kind] == "malformed_json":
        text = text[: rng.randrange(10, len(text) - 2)]  # cut before the closing brace
    return (text + "\n").encode()


def _iso(ms: int) -> str:
    # time.strftime: a third of the cost of formatting an aware datetime.
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms // 1000))}.{ms % 1000:03d}Z"


def _drop_or_null(event: dict[str, object], rng: random.Random, *names: str) -> None:
    for name in names:
        if rng.random() < 0.5:
            del event[name]
        else:
            event[name] = None


def _no_identity(event: dict[str, object], rng: random.Random) -> None:
    variant = rng.randrange(0, 3)
    if variant == 0:
        _drop_or_null(event, rng, "user_id", "anonymous_id")
    else:  # white space or empty strings only: absent once trimmed (R3)
        event["user_id"] = " " * variant
        event["anonymous_id"] = "" if variant == 1 else None


def _bad_time(event: dict[str, object], rng: random.Random) -> None:
    choices = (
        "2025-13-45T10:00:00Z",
        "yesterday",
        "",
        "17/01/2025 10:00:00",
        "2025-02-30T08:00:00Z",
    )
    variant = rng.randrange(0, len(choices) + 2)
    if variant == len(choices):
        del event["occurred_at"]
    elif variant == len(choices) + 1:
        event["received_at"] = "not-a-date"
    else:
        event["occurred_at"] = choices[variant]


def _future_time(event: dict[str, object], rng: random.Random) -> None:
    """A browser clock months ahead, without sent_at so that R4 cannot correct it."""
    received = datetime.fromisoformat(str(event["received_at"]))  # strptime: 10x slower
    ahead = received + timedelta(days=rng.randrange(2, 400))
    event["occurred_at"] = f"{ahead:%Y-%m-%dT%H:%M:%S}Z"
    del event["sent_at"]


def _oversized(event: dict[str, object], rng: random.Random) -> None:
    """A DOM snapshot pasted into properties: over the 32 KiB line limit."""
    chunk = '<div class="row"><span>cell</span></div>'
    event["properties"] = {"dom_snapshot": chunk * rng.randrange(850, 1300)}


_BREAKERS: dict[str, Callable[[dict[str, object], random.Random], None]] = {
    "malformed_json": lambda event, rng: None,
    "missing_event_id": lambda event, rng: _drop_or_null(event, rng, "event_id"),
    "missing_tenant": lambda event, rng: _drop_or_null(event, rng, "tenant_id"),
    "missing_identity": _no_identity,
    "bad_timestamp": _bad_time,
    "future_timestamp": _future_time,
    "oversized": _oversized,
}
