"""The world a run draws events from: options, calendar, tenants and their users.

`GenerateOptions` are checked against the clock; `Plan` is the calendar, UTC days from
the first month to the cut-off at the current hour; `World` holds the tenants (names, time
zones, plans sized for a realistic spread of utilisation), their lifecycles (sign-up,
trial, conversion, upgrade, cancellation: the billing exports) and the pools of
registered users that events are drawn from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from mau_warehouse.errors import MauError
from mau_warehouse.tools.workload.hashing import mix
from mau_warehouse.tools.workload.vocabulary import (
    BOT_RATE,
    ENTERPRISE,
    NAME_FORMS,
    NAME_HEADS,
    NAME_TAILS,
    PLANS,
    PREVIEW_RATE,
    RETRY_RATE,
    TIMEZONES,
    UA_RANGES,
    USER_ID_PREFIXES,
)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
EVENTS_PER_PERSON_MIN = 2.5  # below this, tiny runs shrink populations instead
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 42
    tenants: int = 50
    months: int = 3
    events: int = 1_000_000  # approx. target number of well-formed event lines
    start_month: str | None = None  # 'YYYY-MM'; default: the last month is the current one
    malformed_rate: float = 0.001


def validate(options: GenerateOptions, now: datetime) -> date:
    """Check options and return the first day of the first month."""
    if not 1 <= options.tenants <= 99_998:
        raise MauError(f"tenants must be between 1 and 99998, got {options.tenants}")
    if not 1 <= options.months <= 120:
        raise MauError(f"months must be between 1 and 120, got {options.months}")
    if options.events < 0:
        raise MauError(f"events must be 0 or more, got {options.events}")
    if not 0.0 <= options.malformed_rate <= 0.5:
        raise MauError(f"malformed_rate must be between 0 and 0.5, got {options.malformed_rate}")
    if options.start_month is None:
        index = now.year * 12 + now.month - 1 - (options.months - 1)
        return date(index // 12, index % 12 + 1, 1)
    match = MONTH_RE.match(options.start_month)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise MauError(f"start_month must be YYYY-MM, got {options.start_month!r}")
    return date(int(match[1]), int(match[2]), 1)


@dataclass(frozen=True)
class Plan:
    """The calendar of a run: UTC days from the first month to the cut-off."""

    options: GenerateOptions
    start: date
    start_ms: int
    cutoff_ms: int  # nothing is received at or after this instant
    month_starts: tuple[int, ...]  # day index of each month's first day, plus the end

    @classmethod
    def build(cls, options: GenerateOptions, start: date, now: datetime) -> Plan:
        start_ms = date_ms(start)
        index = start.year * 12 + start.month - 1
        firsts = [
            date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(options.months + 1)
        ]
        # The current month is open: data stops at the current hour, as a live feed would.
        now_ms = int(now.timestamp() * 1000) // HOUR_MS * HOUR_MS
        cutoff_ms = min(date_ms(firsts[-1]), now_ms)
        if cutoff_ms <= start_ms:
            raise MauError(f"start_month {start:%Y-%m} is in the future")
        return cls(
            options=options,
            start=start,
            start_ms=start_ms,
            cutoff_ms=cutoff_ms,
            month_starts=tuple((f - start).days for f in firsts),
        )

    @property
    def days(self) -> int:
        """UTC days with data, the cut-off day included."""
        return -(-(self.cutoff_ms - self.start_ms) // DAY_MS)

    def month_days(self, month: int) -> np.ndarray:
        first, end = self.month_starts[month], self.month_starts[month + 1]
        return np.arange(first, min(end, self.days))


def date_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


@dataclass
class World:
    """Tenants, their subscriptions and user pools: everything events are drawn from."""

    plan: Plan
    tenant_ids: list[str]  # the last one is missing from tenants.csv (R18)
    names: list[str]
    slugs: list[str]
    timezones: list[str]
    created: list[datetime]
    subscriptions: list[tuple[str, str, date, date | None, bool]]
    mau: np.ndarray  # target MAU of a full month
    growth: np.ndarray  # monthly growth of the MAU target
    id_share: np.ndarray  # identified share of active persons
    id_style: np.ndarray  # index in USER_ID_PREFIXES
    active_from: np.ndarray  # first day index with SDK traffic
    active_to: np.ndarray  # first day index without
    offsets: np.ndarray  # tenant x day: UTC offset in minutes (DST included)
    pool: dict[str, np.ndarray]  # identified users of every tenant, sorted by tenant
    events_per_person: float

    @classmethod
    def build(cls, plan: Plan, rng: np.random.Generator) -> World:
        count = plan.options.tenants + 1
        listed = plan.options.tenants
        width = max(4, len(str(count)))
        tenant_ids = [f"t{i + 1:0{width}d}" for i in range(count)]
        names, slugs = _tenant_names(rng, count)
        zone_weights = np.array([w for _, w in TIMEZONES], dtype=float)
        zones = rng.choice(len(TIMEZONES), size=count, p=zone_weights / zone_weights.sum())
        timezones = [TIMEZONES[z][0] for z in zones]
        plans, mau = _size_tenants(rng, plan, count)
        lifecycle = _Lifecycles(plan, rng)
        for i in range(count):
            lifecycle.add(tenant_ids[i], int(plans[i]), float(mau[i]), unlisted=i == listed)
        world = cls(
            plan=plan,
            tenant_ids=tenant_ids,
            names=names,
            slugs=slugs,
            timezones=timezones,
            created=lifecycle.created,
            subscriptions=[s for s in lifecycle.rows if s[0] != tenant_ids[listed]],
            mau=mau,
            growth=rng.uniform(-0.03, 0.08, count),
            id_share=rng.uniform(0.55, 0.9, count),
            id_style=rng.integers(0, len(USER_ID_PREFIXES), count),
            active_from=np.array(lifecycle.active_from),
            active_to=np.array(lifecycle.active_to),
            offsets=_utc_offsets(timezones, plan),
            pool={},
            events_per_person=0.0,
        )
        world._fit_volume()
        world.pool = _user_pool(rng, world)
        return world

    def month_fraction(self, month: int) -> np.ndarray:
        """Share of each tenant's month that has SDK traffic (partial for the open month)."""
        plan = self.plan
        first, end = plan.month_starts[month], plan.month_starts[month + 1]
        last = min(end, plan.days)
        live = np.clip(
            np.minimum(self.active_to, last) - np.maximum(self.active_from, first), 0, None
        )
        return live / (end - first)

    def month_mau(self, month: int) -> np.ndarray:
        return self.mau * (1.0 + self.growth) ** (month - (self.plan.options.months - 1) / 2)

    def _fit_volume(self) -> None:
        """Spread the event budget so that MAU targets (hence plan utilisation) hold."""
        months = range(self.plan.options.months)
        exposure = sum((self.month_mau(k) * self.month_fraction(k)).sum() for k in months)
        human = self.plan.options.events / (1 + RETRY_RATE + BOT_RATE + PREVIEW_RATE)
        per_person = human / exposure if exposure else 0.0
        if per_person < EVENTS_PER_PERSON_MIN:
            # Too few events for the populations: shrink them rather than leave people idle.
            self.mau = self.mau * per_person / EVENTS_PER_PERSON_MIN
            per_person = EVENTS_PER_PERSON_MIN
        self.events_per_person = per_person


def _tenant_names(rng: np.random.Generator, count: int) -> tuple[list[str], list[str]]:
    combos = [(h, t) for h in NAME_HEADS for t in NAME_TAILS]
    order = rng.permutation(len(combos))
    forms = rng.integers(0, len(NAME_FORMS), count)
    names, slugs = [], []
    for i in range(count):
        head, tail = combos[order[i % len(combos)]]
        suffix = "" if i < len(combos) else f" {i // len(combos) + 1}"
        names.append(f"{head} {tail}{suffix}{NAME_FORMS[forms[i]]}")
        slugs.append(re.sub(r"[^a-z0-9]", "", f"{head}{tail}{suffix}".lower()))
    return names, slugs


def _size_tenants(
    rng: np.random.Generator, plan: Plan, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pick each tenant's plan and full-month MAU so utilisation looks like a real book.

    About a quarter of tenants sit at 80-100 % of their limit and a tenth above it, which is
    what alerts (R12) and outreach (R14) need to show anything.
    """
    size = rng.lognormal(0.0, 1.0, count)
    per_person = 6.0  # a first guess of events per active person and month
    budget = size / size.sum() * plan.options.events / plan.options.months / per_person
    draw = rng.random(count)
    utilisation = np.where(
        draw < 0.5,
        rng.uniform(0.3, 0.8, count),
        np.where(draw < 0.77, rng.uniform(0.8, 1.0, count), rng.uniform(1.0, 1.35, count)),
    )
    limits = np.array([p[2] for p in PLANS[:ENTERPRISE]], dtype=float)
    fit = np.abs(np.log(limits[None, :] * utilisation[:, None]) - np.log(budget[:, None] + 1))
    plans = fit.argmin(axis=1)
    mau = limits[plans] * utilisation
    enterprise = draw > 0.93
    plans[enterprise] = ENTERPRISE
    mau[enterprise] = budget[enterprise] * 3  # unlimited: size only sets traffic
    return plans, mau


class _Lifecycles:
    """Sign-up, trial, conversion, upgrade and cancellation of each tenant."""

    def __init__(self, plan: Plan, rng: np.random.Generator) -> None:
        self.plan = plan
        self.rng = rng
        self.rows: list[tuple[str, str, date, date | None, bool]] = []
        self.created: list[datetime] = []
        self.active_from: list[int] = []
        self.active_to: list[int] = []

    def add(self, tenant_id: str, plan_index: int, mau: float, *, unlisted: bool) -> None:
        rng, days = self.rng, self.plan.days
        is_new = unlisted or (days > 30 and rng.random() < 0.22)
        if unlisted:  # signed up lately: the billing export has not caught up (R18)
            signup = max(0, days - 20)
        elif is_new:
            signup = int(rng.integers(0, max(1, days - 7)))
        else:
            signup = -int(rng.integers(60, 1000))
        self.created.append(
            datetime.combine(self._day(signup), datetime.min.time(), UTC)
            + timedelta(seconds=int(rng.integers(8 * 3600, 20 * 3600)))
        )
        self.active_from.append(signup + 1)  # the SDK goes live the day after sign-up
        self.active_to.append(self._subscribe(tenant_id, plan_index, mau, signup, is_new))

    def _subscribe(self, tenant: str, plan: int, mau: float, signup: int, is_new: bool) -> int:
        """Append the tenant's subscription rows; return the first day without traffic."""
        rng, never = self.rng, 10**6
        plan_id = PLANS[plan][0]
        if plan == ENTERPRISE:  # a signed contract, no trial
            self._row(tenant, plan_id, signup, None, False)
            return never
        trial_end = signup + 20
        self._row(tenant, plan_id, signup, trial_end, True)
        if is_new and rng.random() < 0.3:  # never converts: the SDK goes quiet after the trial
            return trial_end + 1
        paid = trial_end + 1
        fate = rng.random()
        limit = PLANS[plan][2] or 0
        upgrade_odds = 0.25 if mau > 0.95 * limit else 0.05
        change = self._mid_month_day(paid + 1)
        if change is not None and fate < upgrade_odds and plan + 1 < ENTERPRISE:
            self._row(tenant, plan_id, paid, change, False)
            self._row(tenant, PLANS[plan + 1][0], change + 1, None, False)
            return never
        if change is not None and fate > 0.92:  # cancels mid-month (P8)
            self._row(tenant, plan_id, paid, change, False)
            return change + 1
        self._row(tenant, plan_id, paid, None, False)
        return never

    def _mid_month_day(self, earliest: int) -> int | None:
        """A day inside the data range, between the 5th and the 25th when possible."""
        low = max(earliest, 0)
        if low >= self.plan.days - 1:
            return None
        for _ in range(8):
            day = int(self.rng.integers(low, self.plan.days - 1))
            if 5 <= self._day(day).day <= 25:
                return day
        return day

    def _row(self, tenant: str, plan_id: str, first: int, last: int | None, trial: bool) -> None:
        ended = None if last is None else self._day(last)
        self.rows.append((tenant, plan_id, self._day(first), ended, trial))

    def _day(self, index: int) -> date:
        return self.plan.start + timedelta(days=index)


def _utc_offsets(timezones: list[str], plan: Plan) -> np.ndarray:
    """Tenant x day UTC offsets in minutes, at noon UTC of each day (a 3-day margin each side)."""
    span = plan.days + 6
    by_zone: dict[str, np.ndarray] = {}
    for zone in set(timezones):
        info = ZoneInfo(zone or "UTC")
        noons = (
            datetime.fromtimestamp((plan.start_ms - 3 * DAY_MS) / 1000 + 43200 + d * 86400, UTC)
            for d in range(span)
        )
        by_zone[zone] = np.array(
            [n.astimezone(info).utcoffset().total_seconds() // 60 for n in noons], dtype=np.int16
        )
    return np.stack([by_zone[z] for z in timezones])


def _user_pool(rng: np.random.Generator, world: World) -> dict[str, np.ndarray]:
    """Registered users per tenant: only a fraction is active in a month (P2)."""
    active_rate = rng.uniform(0.25, 0.6, len(world.mau))
    sizes = np.ceil(world.mau * world.id_share / active_rate * 1.1).astype(np.int64) + 1
    tenant = np.repeat(np.arange(len(sizes)), sizes)
    n = len(tenant)
    rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    main = device_classes(rng, n, (0.7, 0.24, 0.06))
    second = device_classes(rng, n, (0.0, 0.8, 0.2))
    pool = {
        "tenant": tenant.astype(np.int32),
        "user_num": 100_000 + rank * 7 + rng.integers(0, 7, n),
        "weight": 1.0 + rng.pareto(1.3, n),  # few heavy users, many occasional ones
        "browser0": mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)),
        "browser1": mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)),
        "has_second": rng.random(n) < 0.35,
        "device0": main,
        "device1": second,
        "ua0": user_agents(rng, main),
        "ua1": user_agents(rng, second),
    }
    # A shared browser: a user signs in on the computer of the previous user of the tenant.
    shared = np.flatnonzero((rng.random(n) < 0.01) & (rank > 0))
    for key in ("browser0", "device0", "ua0"):
        pool[key][shared] = pool[key][shared - 1]
    return pool


def device_classes(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> np.ndarray:
    return rng.choice(len(shares), size=n, p=np.array(shares)).astype(np.int8)


def user_agents(rng: np.random.Generator, device: np.ndarray) -> np.ndarray:
    bounds = np.array(UA_RANGES)[device]
    return (bounds[:, 0] + rng.random(len(device)) * (bounds[:, 1] - bounds[:, 0])).astype(np.int16)
