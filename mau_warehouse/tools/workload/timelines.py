"""Events as NumPy columns: who sends how many, when, and how they are delivered.

Every per-event value is a NumPy column; nothing loops per event in Python. A month of
events (a `Frame`) is drawn per kind of person (identified users, anonymous visitors,
bots, previews), grouped into visits in local business hours, delivered in batches (a few
days late), partly resent (identical, later or altered copies), then sorted by receipt
and cut by UTC day of receipt.
"""

from __future__ import annotations

import numpy as np

from mau_warehouse.tools.workload.hashing import mix
from mau_warehouse.tools.workload.scenario import (
    DAY_MS,
    HOUR_MS,
    Plan,
    World,
    device_classes,
    user_agents,
)
from mau_warehouse.tools.workload.vocabulary import (
    BOT,
    BOT_KIND,
    BOT_RATE,
    PREVIEW,
    PREVIEW_RATE,
    RETRY_RATE,
    USER,
    VISITOR,
)

# Hour-of-day activity in the tenant's local time (business hours peak).
HOUR_PROFILE = np.array(
    [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.35, 0.7, 1.0, 1.15, 1.2, 1.15,
     1.0, 1.1, 1.15, 1.1, 1.0, 0.85, 0.65, 0.5, 0.45, 0.4, 0.3, 0.2]
)  # fmt: skip
# Where a uniform draw leaves each local hour: searchsorted(..., side="right") is the hour.
HOUR_CUMULATIVE = np.cumsum(HOUR_PROFILE)[:-1] / HOUR_PROFILE.sum()
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4])  # Monday first
LATE_RATE = 0.003
VISIT_BREAK = 0.25  # chance that an event starts a new visit: ~4 events a visit
RETRY_IDENTICAL, RETRY_LATER, RETRY_CONFLICT = 1, 2, 3

Frame = dict[str, np.ndarray]  # one array per column, all of one length


def _month_frame(
    world: World, month: int, rng: np.random.Generator, first_key: int
) -> tuple[Frame, Frame]:
    """Every event whose true time falls in `month`, late arrivals included; and the resent
    copies apart (the caller concatenates once, with the previous month's carry)."""
    days = world.plan.month_days(month)
    fraction = world.month_fraction(month)
    mau = world.month_mau(month)
    human = world.events_per_person * mau * fraction
    # Month-to-date uniques grow slower than events. The exponent follows the full
    # months' own month-to-date curve (about a fifth of a month's persons by its 5th
    # day): with a flatter one the open month ran ahead of every month before it, and
    # its projection (R13) looked over the limit for tenants that were not.
    persons = mau * fraction**0.85
    parts = [
        _users(world, rng, persons * world.id_share, human * world.id_share),
        _visitors(world, rng, persons * (1 - world.id_share), human * (1 - world.id_share)),
        _crawlers(rng, human * BOT_RATE),
        _previews(rng, human * PREVIEW_RATE),
    ]
    frame = _concat(parts)
    frame["key"] = np.arange(first_key, first_key + len(frame["tenant"]), dtype=np.uint64)
    _add_timeline(world, rng, frame, days)
    return frame, _retries(frame, rng)


def _users(world: World, rng: np.random.Generator, active: np.ndarray, events: np.ndarray) -> Frame:
    """Identified users: a weighted sample of each tenant's pool, heavy users favoured."""
    pool = world.pool
    tenant = pool["tenant"]
    # Efraimidis-Spirakis: the smallest Exp/weight keys are a weighted sample without repeats.
    keys = rng.exponential(size=len(tenant)) / pool["weight"]
    # The pool is sorted by tenant: key / (1 + key) < 1 sorts within each tenant, and one
    # float sort is ten times faster than np.lexsort.
    order = np.argsort(tenant + keys / (1 + keys))
    starts = np.searchsorted(tenant, np.arange(len(world.mau)))
    rank = np.arange(len(order)) - starts[tenant[order]]
    chosen = order[rank < np.round(active).astype(np.int64)[tenant[order]]]
    activity = pool["weight"][chosen] * rng.lognormal(0.0, 0.5, len(chosen))
    counts = _event_counts(rng, tenant[chosen], activity, events)
    person = np.repeat(chosen, counts)
    # The second browser (a phone, a tablet) is used for whole visits, decided per person here.
    second = pool["has_second"][person] & (rng.random(len(person)) < 0.3)
    return {
        "new_person": _first_of_runs(counts),
        "tenant": tenant[person],
        "kind": np.full(len(person), USER, np.int8),
        "user_num": pool["user_num"][person],
        "browser": np.where(second, pool["browser1"][person], pool["browser0"][person]),
        "device": np.where(second, pool["device1"][person], pool["device0"][person]),
        "ua": np.where(second, pool["ua1"][person], pool["ua0"][person]),
    }


def _visitors(
    world: World, rng: np.random.Generator, active: np.ndarray, events: np.ndarray
) -> Frame:
    """Anonymous visitors: new browser ids each month, mostly one or two page views."""
    per_tenant = np.round(active).astype(np.int64)
    tenant = np.repeat(np.arange(len(per_tenant)), per_tenant).astype(np.int32)
    activity = 0.3 * (1.0 + rng.pareto(1.6, len(tenant)))
    counts = _event_counts(rng, tenant, activity, events)
    browser = mix(rng.integers(0, 2**63, len(tenant), dtype=np.int64).astype(np.uint64))
    device = device_classes(rng, len(tenant), (0.6, 0.33, 0.07))
    ua = user_agents(rng, device)
    return _persons_events(tenant, counts, VISITOR, browser, device, ua)


def _crawlers(rng: np.random.Generator, events: np.ndarray) -> Frame:
    """Bots keep no cookies: a fresh anonymous id on every page load (R6)."""
    counts = rng.poisson(events)
    tenant = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    n = len(tenant)
    browser = mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64))
    ua = user_agents(rng, np.full(n, BOT, np.int8))
    return _persons_events(
        tenant, np.ones(n, np.int64), BOT_KIND, browser, np.full(n, BOT, np.int8), ua
    )


def _previews(rng: np.random.Generator, events: np.ndarray) -> Frame:
    """A tenant's own team previewing experiences in the builder extension (P7, R6)."""
    counts = rng.poisson(events)
    tenant = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    member = rng.integers(1, 4, len(tenant))
    frame = _persons_events(
        tenant,
        np.ones(len(tenant), np.int64),
        PREVIEW,
        mix(tenant.astype(np.uint64) * np.uint64(1000) + member.astype(np.uint64) + np.uint64(7)),
        np.zeros(len(tenant), np.int8),
        np.zeros(len(tenant), np.int16),
    )
    frame["user_num"] = 10 + member  # team accounts, far from the end users' id range
    return frame


def _persons_events(
    tenant: np.ndarray,
    counts: np.ndarray,
    kind: int,
    browser: np.ndarray,
    device: np.ndarray,
    ua: np.ndarray,
) -> Frame:
    n = int(counts.sum())
    return {
        "new_person": _first_of_runs(counts),
        "tenant": np.repeat(tenant, counts),
        "kind": np.full(n, kind, np.int8),
        "user_num": np.full(n, -1, np.int64),
        "browser": np.repeat(browser, counts),
        "device": np.repeat(device, counts),
        "ua": np.repeat(ua, counts),
    }


def _first_of_runs(counts: np.ndarray) -> np.ndarray:
    """True at the first of each run of `counts` repeated rows."""
    first = np.zeros(int(counts.sum()), bool)
    first[(np.cumsum(counts) - counts)[counts > 0]] = True
    return first


def _event_counts(
    rng: np.random.Generator, tenant: np.ndarray, activity: np.ndarray, events: np.ndarray
) -> np.ndarray:
    """At least one event per active person, the rest in proportion to activity."""
    people = np.bincount(tenant, minlength=len(events))
    total = np.bincount(tenant, weights=activity, minlength=len(events))
    scale = np.clip(events - people, 0, None) / np.where(total > 0, total, 1)
    extra = np.floor(scale[tenant] * activity + rng.random(len(tenant)))
    return (1 + np.minimum(extra, 3000)).astype(np.int64)


def _add_timeline(world: World, rng: np.random.Generator, frame: Frame, days: np.ndarray) -> None:
    """Group a person's events into visits, place them in time and model their delivery.

    The SDK sends a visit's events as one batch: they share the session, sent_at and
    received_at, and sit next to each other in the collector's file (which also lets gzip
    find long matches, the main cost of generation).
    """
    n = len(frame["tenant"])
    starts = np.flatnonzero(frame["new_person"] | (rng.random(n) < VISIT_BREAK))
    sizes = np.diff(np.append(starts, n))  # events per visit; np.repeat spreads visit values
    tenant = frame["tenant"][starts]
    begin = _visit_times(world, rng, tenant, days)
    gaps = np.where(frame["new_person"], 0, rng.integers(1_000, 12_000, n))
    gaps[starts] = 0
    elapsed = np.cumsum(gaps)
    offset = elapsed - np.repeat(elapsed[starts], sizes)
    visits = len(starts)
    batching = np.minimum(rng.exponential(1500.0, visits), 30_000).astype(np.int64)
    network = rng.integers(30, 800, visits)
    late = np.where(
        (rng.random(visits) < LATE_RATE) & (frame["kind"][starts] != BOT_KIND),
        rng.integers(DAY_MS, 10 * DAY_MS, visits),
        0,
    )
    sent = np.repeat(offset[starts + sizes - 1] + batching + late, sizes)
    frame["t_ms"] = np.repeat(begin, sizes) + offset
    frame["sent_delay"] = sent - offset
    frame["recv_delay"] = frame["sent_delay"] + np.repeat(network, sizes)
    session = mix(rng.integers(0, 2**63, visits, dtype=np.int64).astype(np.uint64))
    frame["session"] = np.repeat(session, sizes)
    frame["retry"] = np.zeros(n, np.int8)
    del frame["new_person"]


def _visit_times(
    world: World, rng: np.random.Generator, tenant: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """Visit start times (UTC): weekday and business-hour seasonality in local time.

    Both draws search one short table shared by every tenant, exactly: a tenant's live days
    are one interval of the month, and its hour profile is the local one shifted to UTC.
    """
    plan = world.plan
    cumulative = np.append(0.0, np.cumsum(WEEKDAY_WEIGHT[(plan.start.weekday() + days) % 7]))
    first = np.clip(world.active_from - days[0], 0, len(days))[tenant]
    end = np.clip(world.active_to - days[0], 0, len(days))[tenant]
    low, span = cumulative[first], cumulative[end] - cumulative[first]
    draw = low + rng.random(len(tenant)) * span
    day = np.minimum(np.searchsorted(cumulative, draw, side="right") - 1, end - 1)
    mid_month = min(int(days[len(days) // 2]) + 3, world.offsets.shape[1] - 1)
    shift = np.round(world.offsets[:, mid_month] / 60).astype(np.int64)  # local = UTC + shift
    local = np.searchsorted(HOUR_CUMULATIVE, rng.random(len(tenant)), side="right")
    hour = (local - shift[tenant]) % 24
    within = (rng.random(len(tenant)) * HOUR_MS).astype(np.int64)
    return plan.start_ms + days[day] * DAY_MS + hour * HOUR_MS + within


def _retries(frame: Frame, rng: np.random.Generator) -> Frame:
    """Resent copies with the same event id: mostly identical, some later, a few altered."""
    n = len(frame["t_ms"])
    picked = np.flatnonzero(rng.random(n) < RETRY_RATE)
    copies = {name: column[picked] for name, column in frame.items()}
    draw = rng.random(len(picked))
    kind = np.where(draw < 0.7, RETRY_IDENTICAL, np.where(draw < 0.95, RETRY_LATER, RETRY_CONFLICT))
    copies["retry"] = kind.astype(np.int8)
    copies["recv_delay"] = copies["recv_delay"] + np.where(
        kind == RETRY_IDENTICAL, 0, rng.integers(2_000, 900_000, len(picked))
    )
    return copies


def _concat(frames: list[Frame]) -> Frame:
    return {name: np.concatenate([f[name] for f in frames]) for name in frames[0]}


def take_rows(frame: Frame, index: np.ndarray | slice) -> Frame:
    """Rows of a frame: views for a slice, else a gather (np.take beats indexing by ~30 %)."""
    if isinstance(index, slice):
        return {name: column[index] for name, column in frame.items()}
    return {name: np.take(column, index) for name, column in frame.items()}


def month_rows(
    world: World, month: int, rng: np.random.Generator, first_key: int, carry: Frame | None
) -> tuple[Frame, int]:
    """A month's events after the previous month's late ones, and the next month's first key;
    the parts die on return, so only the concatenation stays in memory (SPEC §6 at 100 M)."""
    frame, copies = _month_frame(world, month, rng, first_key)
    parts = [frame, copies] if carry is None else [carry, frame, copies]
    return _concat(parts), first_key + len(frame["key"])


def received_by_day(plan: Plan, frame: Frame, days: np.ndarray) -> tuple[Frame, np.ndarray, Frame]:
    """Sort by receipt time and cut by UTC day of receipt; later arrivals carry over.

    Returns the month's events, the row where each day starts (and the end), the carry.
    Consumes `frame`: each column is released once sorted, to keep one copy in memory.
    """
    received = frame["t_ms"] + frame["recv_delay"]
    # Ties go by row: a unique key lets the fast unstable sort give one order. It fits in
    # int64: a month's receipts span under 2**32 ms, and it holds under 2**31 rows.
    rows = len(received)
    base = received.min(initial=plan.cutoff_ms)
    order = np.argsort((received - base) * rows + np.arange(rows))
    received = np.take(received, order)
    arrived = np.searchsorted(received, plan.cutoff_ms)  # later ones have not arrived yet
    order = order[:arrived]
    frame = {name: np.take(frame.pop(name), order) for name in list(frame)}
    received = received[:arrived]
    bounds = plan.start_ms + np.append(days, days[-1] + 1) * DAY_MS
    cuts = np.searchsorted(received, bounds)
    carry = take_rows(frame, slice(cuts[-1], None))
    return take_rows(frame, slice(cuts[0], cuts[-1])), cuts - cuts[0], carry
