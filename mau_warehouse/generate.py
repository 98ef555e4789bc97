"""Synthetic landing data for `mau generate` (SPEC §2, §5, §6).

Writes the billing exports (`landing/accounts/*.csv`) and one SDK event file per UTC day
(`landing/events/YYYY/MM/DD/events-YYYY-MM-DD.<ext>`), deterministic for a seed.

Speed (SPEC §6 asks for 1 M events/s) shapes the design:
- every per-event value is a NumPy column; nothing loops per event in Python;
- a JSON line is a sequence of ~17 segments, each an index into one pool of strings:
  dictionaries (user agents, page URLs, property objects, ...) and per-row fixed-width
  byte blocks built with NumPy (hex ids, timestamps); one Arrow `take` over that pool
  lays out the bytes of a whole file, far cheaper than JSON serialisation or SQL string
  concatenation (measured: DuckDB's JSON writer alone needs ~3 s per million lines);
- per-event details (event type, identity fields, formats, clock skew) are hashed from a
  unique event key, so a retried copy renders the same content wherever it lands;
- day files are rendered, gzipped (zlib level 1) and written on two threads: Arrow and
  zlib release the GIL, and each file depends only on its own inputs, so bytes are stable.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from mau_warehouse.errors import MauError

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
CHUNK_ROWS = 100_000  # keeps one Arrow string buffer far below its 2 GiB offset limit
EVENTS_PER_PERSON_MIN = 2.5  # below this, tiny runs shrink populations instead

PLANS = (  # plan_id, plan_name, mau_limit (None = unlimited), monthly_price_usd
    ("startup", "Startup", 2500, 249),
    ("growth", "Growth", 10000, 879),
    ("scale", "Scale", 50000, 2499),
    ("enterprise", "Enterprise", None, 5000),
)
ENTERPRISE = 3

TIMEZONES = (  # (IANA name, weight); "" is an unset zone, which means UTC (SPEC §2.2)
    ("UTC", 8),
    ("", 7),
    ("Europe/Paris", 10),
    ("Europe/London", 10),
    ("Europe/Berlin", 8),
    ("America/New_York", 15),
    ("America/Chicago", 6),
    ("America/Los_Angeles", 12),
    ("America/Sao_Paulo", 4),
    ("Asia/Tokyo", 5),
    ("Asia/Kolkata", 4),
    ("Asia/Singapore", 3),
    ("Australia/Sydney", 5),
    ("Pacific/Auckland", 3),
)

NAME_HEADS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka",
    "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Monarch", "Pied Piper", "Dunder", "Nakatomi",
    "Oscorp", "Blue Sun", "Bluth", "Sterling", "Prestige", "Atlas", "Nimbus", "Lumen", "Kestrel",
    "Orbit", "Quill", "Ridge", "Summit", "Tandem", "Verdant", "Willow", "Zephyr", "Beacon",
    "Cobalt", "Delta", "Harbor", "Juniper", "Meridian",
)  # fmt: skip
NAME_TAILS = (
    "Analytics", "Labs", "Software", "Cloud", "Health", "Logistics", "Pay", "HR", "CRM",
    "Learning", "Systems", "Data", "Commerce", "Security", "Studio", "Works", "Robotics",
    "Insurance", "Travel", "Media",
)  # fmt: skip
NAME_FORMS = ("", "", " Inc.", ", Inc.", " GmbH", " SAS", " Ltd", " K.K.", " Pty Ltd")
USER_ID_PREFIXES = ("", "usr_", "user-")  # tenants pick their own id style

DESKTOP_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
)
MOBILE_UAS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Mobile Safari/537.36",
)
TABLET_UAS = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
)
BOT_UAS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
)
UAS = DESKTOP_UAS + MOBILE_UAS + TABLET_UAS + BOT_UAS
UA_RANGES = (  # index range in UAS per device class: desktop, mobile, tablet, bot
    (0, len(DESKTOP_UAS)),
    (len(DESKTOP_UAS), len(DESKTOP_UAS) + len(MOBILE_UAS)),
    (len(DESKTOP_UAS) + len(MOBILE_UAS), len(UAS) - len(BOT_UAS)),
    (len(UAS) - len(BOT_UAS), len(UAS)),
)
DEVICE_NAMES = ("desktop", "mobile", "tablet")
BOT = 3

PAGE_PATHS = (
    "/", "/dashboard", "/projects", "/projects/new", "/reports", "/reports/weekly",
    "/settings", "/settings/billing", "/settings/team", "/inbox", "/calendar", "/search",
    "/integrations", "/onboarding/step-1", "/onboarding/step-2", "/help",
)  # fmt: skip

EVENT_TYPES = ("sdk_loaded", "experience_viewed", "experience_completed", "survey_answered",
               "identify")  # fmt: skip
IDENTIFY = 4
# Cumulative thresholds of a uniform draw, per person kind (user, visitor, bot, preview).
TYPE_THRESHOLDS = np.array(
    [
        [0.70, 0.85, 0.90, 0.92, 1.00],
        [0.80, 0.95, 0.98, 1.00, 1.00],
        [0.90, 1.00, 1.00, 1.00, 1.00],
        [0.40, 0.95, 1.00, 1.00, 1.00],
    ]
)
USER, VISITOR, PREVIEW = 0, 1, 3  # person kinds; BOT (3 as a device class) is kind 2
BOT_KIND = 2

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

# Hour-of-day activity in the tenant's local time (business hours peak).
HOUR_PROFILE = np.array(
    [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.35, 0.7, 1.0, 1.15, 1.2, 1.15,
     1.0, 1.1, 1.15, 1.1, 1.0, 0.85, 0.65, 0.5, 0.45, 0.4, 0.3, 0.2]
)  # fmt: skip
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4])  # Monday first

HIGH_DIGITS = 10_000  # user numbers stay below 10**8: 'high' digits then 4 'low' digits
OFFSET_SPAN = 16 * 60  # UTC offsets lie within ±16 h
ID_PADS = (("", ""), (" ", ""), ("", " "), (" ", " "), ("\t", ""))  # R3 trimming cases
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
EVENT_COLUMNS = (
    "event_id", "tenant_id", "event_type", "occurred_at", "sent_at", "received_at", "user_id",
    "anonymous_id", "session_id", "device_type", "user_agent", "page_url", "is_preview",
    "properties",
)  # fmt: skip


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 42
    tenants: int = 50
    months: int = 3
    events: int = 1_000_000  # approx. target number of well-formed event lines
    start_month: str | None = None  # 'YYYY-MM'; default: the last month is the current one
    malformed_rate: float = 0.001


@dataclass(frozen=True)
class GenerateSummary:
    files: int  # every file written: accounts CSVs and event files
    events: int  # well-formed event lines, retried copies included
    lines: int  # every event line: well-formed and malformed
    tenants: int  # tenants in tenants.csv
    months: int
    seconds: float


def generate(
    landing_dir: Path,
    options: GenerateOptions,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Write accounts and events under `landing_dir`; progress(done, total) counts events."""
    began = time.perf_counter()
    now = _utc_now()
    plan = _Plan.build(options, _validate(options, now), now)
    rng = np.random.default_rng(np.random.PCG64(np.random.SeedSequence([options.seed, 1])))
    world = _World.build(plan, rng)
    _write_accounts(landing_dir / "accounts", world)
    written = _write_events(landing_dir / "events", world, rng, progress)
    return GenerateSummary(
        files=3 + written.files,
        events=written.events,
        lines=written.events + written.malformed,
        tenants=options.tenants,
        months=options.months,
        seconds=time.perf_counter() - began,
    )


def _utc_now() -> datetime:
    """The clock that bounds the open month; a separate function so tests can pin it."""
    return datetime.now(UTC)


def _validate(options: GenerateOptions, now: datetime) -> date:
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


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class _Plan:
    """The calendar of a run: UTC days from the first month to the cut-off."""

    options: GenerateOptions
    start: date
    start_ms: int
    cutoff_ms: int  # nothing is received at or after this instant
    month_starts: tuple[int, ...]  # day index of each month's first day, plus the end

    @classmethod
    def build(cls, options: GenerateOptions, start: date, now: datetime) -> _Plan:
        start_ms = _date_ms(start)
        index = start.year * 12 + start.month - 1
        firsts = [
            date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(options.months + 1)
        ]
        # The current month is open: data stops at the current hour, as a live feed would.
        now_ms = int(now.timestamp() * 1000) // HOUR_MS * HOUR_MS
        cutoff_ms = min(_date_ms(firsts[-1]), now_ms)
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


def _date_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


# --------------------------------------------------------------------------- tenants


@dataclass
class _World:
    """Tenants, their subscriptions and user pools: everything events are drawn from."""

    plan: _Plan
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
    def build(cls, plan: _Plan, rng: np.random.Generator) -> _World:
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
    rng: np.random.Generator, plan: _Plan, count: int
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

    def __init__(self, plan: _Plan, rng: np.random.Generator) -> None:
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


def _utc_offsets(timezones: list[str], plan: _Plan) -> np.ndarray:
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


def _user_pool(rng: np.random.Generator, world: _World) -> dict[str, np.ndarray]:
    """Registered users per tenant: only a fraction is active in a month (P2)."""
    active_rate = rng.uniform(0.25, 0.6, len(world.mau))
    sizes = np.ceil(world.mau * world.id_share / active_rate * 1.1).astype(np.int64) + 1
    tenant = np.repeat(np.arange(len(sizes)), sizes)
    n = len(tenant)
    rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    main = _device_classes(rng, n, (0.7, 0.24, 0.06))
    second = _device_classes(rng, n, (0.0, 0.8, 0.2))
    pool = {
        "tenant": tenant.astype(np.int32),
        "user_num": 100_000 + rank * 7 + rng.integers(0, 7, n),
        "weight": 1.0 + rng.pareto(1.3, n),  # few heavy users, many occasional ones
        "browser0": _mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)),
        "browser1": _mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)),
        "has_second": rng.random(n) < 0.35,
        "device0": main,
        "device1": second,
        "ua0": _user_agents(rng, main),
        "ua1": _user_agents(rng, second),
    }
    # A shared browser: a user signs in on the computer of the previous user of the tenant.
    shared = np.flatnonzero((rng.random(n) < 0.01) & (rank > 0))
    for key in ("browser0", "device0", "ua0"):
        pool[key][shared] = pool[key][shared - 1]
    return pool


def _device_classes(rng: np.random.Generator, n: int, shares: tuple[float, ...]) -> np.ndarray:
    return rng.choice(len(shares), size=n, p=np.array(shares)).astype(np.int8)


def _user_agents(rng: np.random.Generator, device: np.ndarray) -> np.ndarray:
    bounds = np.array(UA_RANGES)[device]
    return (bounds[:, 0] + rng.random(len(device)) * (bounds[:, 1] - bounds[:, 0])).astype(np.int16)


# --------------------------------------------------------------------------- accounts


def _write_accounts(folder: Path, world: _World) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    plans = [
        (pid, name, "" if limit is None else limit, price) for pid, name, limit, price in PLANS
    ]
    header = ("plan_id", "plan_name", "mau_limit", "monthly_price_usd")
    _write_atomic(folder / "plans.csv", [_csv(header, plans)])
    listed = len(world.tenant_ids) - 1
    tenants = [
        (
            world.tenant_ids[i],
            world.names[i],
            world.timezones[i],
            f"{world.created[i]:%Y-%m-%dT%H:%M:%SZ}",
        )
        for i in range(listed)
    ]
    header = ("tenant_id", "tenant_name", "billing_timezone", "created_at")
    _write_atomic(folder / "tenants.csv", [_csv(header, tenants)])
    rows = [
        (t, p, f"{s:%Y-%m-%d}", "" if e is None else f"{e:%Y-%m-%d}", "true" if trial else "false")
        for t, p, s, e, trial in world.subscriptions
    ]
    header = ("tenant_id", "plan_id", "started_on", "ended_on", "is_trial")
    _write_atomic(folder / "subscriptions.csv", [_csv(header, rows)])


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def _write_atomic(path: Path, chunks: list[bytes] | Callable[[Path], None]) -> None:
    """Write beside the target under a name no loader pattern matches, then rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if callable(chunks):
        chunks(temporary)
    else:
        with open(temporary, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    os.replace(temporary, path)


# --------------------------------------------------------------------------- event frames

RETRY_RATE = 0.01
BOT_RATE = 0.005
PREVIEW_RATE = 0.003
LATE_RATE = 0.003
VISIT_BREAK = 0.25  # chance that an event starts a new visit: ~4 events a visit
RETRY_IDENTICAL, RETRY_LATER, RETRY_CONFLICT = 1, 2, 3

Frame = dict[str, np.ndarray]  # one array per column, all of one length


def _month_frame(world: _World, month: int, rng: np.random.Generator, first_key: int) -> Frame:
    """Every event whose true time falls in `month`, retries and late arrivals included."""
    days = world.plan.month_days(month)
    fraction = world.month_fraction(month)
    mau = world.month_mau(month)
    human = world.events_per_person * mau * fraction
    persons = mau * fraction**0.6  # month-to-date uniques grow slower than events
    parts = [
        _users(world, rng, persons * world.id_share, human * world.id_share),
        _visitors(world, rng, persons * (1 - world.id_share), human * (1 - world.id_share)),
        _crawlers(rng, human * BOT_RATE),
        _previews(rng, human * PREVIEW_RATE),
    ]
    frame = _concat(parts)
    frame["key"] = (first_key + np.arange(len(frame["tenant"]))).astype(np.uint64)
    _add_timeline(world, rng, frame, days)
    return _add_retries(frame, rng)


def _users(
    world: _World, rng: np.random.Generator, active: np.ndarray, events: np.ndarray
) -> Frame:
    """Identified users: a weighted sample of each tenant's pool, heavy users favoured."""
    pool = world.pool
    tenant = pool["tenant"]
    # Efraimidis-Spirakis: the smallest Exp/weight keys are a weighted sample without repeats.
    keys = rng.exponential(size=len(tenant)) / pool["weight"]
    order = np.lexsort((keys, tenant))
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
    world: _World, rng: np.random.Generator, active: np.ndarray, events: np.ndarray
) -> Frame:
    """Anonymous visitors: new browser ids each month, mostly one or two page views."""
    per_tenant = np.round(active).astype(np.int64)
    tenant = np.repeat(np.arange(len(per_tenant)), per_tenant).astype(np.int32)
    activity = 0.3 * (1.0 + rng.pareto(1.6, len(tenant)))
    counts = _event_counts(rng, tenant, activity, events)
    browser = _mix(rng.integers(0, 2**63, len(tenant), dtype=np.int64).astype(np.uint64))
    device = _device_classes(rng, len(tenant), (0.6, 0.33, 0.07))
    ua = _user_agents(rng, device)
    return _persons_events(tenant, counts, VISITOR, browser, device, ua)


def _crawlers(rng: np.random.Generator, events: np.ndarray) -> Frame:
    """Bots keep no cookies: a fresh anonymous id on every page load (R6)."""
    counts = rng.poisson(events)
    tenant = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    n = len(tenant)
    browser = _mix(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64))
    ua = _user_agents(rng, np.full(n, BOT, np.int8))
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
        _mix(tenant.astype(np.uint64) * np.uint64(1000) + member.astype(np.uint64) + np.uint64(7)),
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


def _add_timeline(world: _World, rng: np.random.Generator, frame: Frame, days: np.ndarray) -> None:
    """Group a person's events into visits, place them in time and model their delivery.

    The SDK sends a visit's events as one batch: they share the session, sent_at and
    received_at, and sit next to each other in the collector's file (which also lets gzip
    find long matches, the main cost of generation).
    """
    n = len(frame["tenant"])
    starts = np.flatnonzero(frame["new_person"] | (rng.random(n) < VISIT_BREAK))
    visit = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    tenant = frame["tenant"][starts]
    begin = _visit_times(world, rng, tenant, days)
    gaps = np.where(frame["new_person"], 0, rng.integers(1_000, 12_000, n))
    gaps[starts] = 0
    elapsed = np.cumsum(gaps)
    offset = elapsed - elapsed[starts][visit]
    last = np.append(starts[1:], n) - 1
    visits = len(starts)
    batching = np.minimum(rng.exponential(1500.0, visits), 30_000).astype(np.int64)
    network = rng.integers(30, 800, visits)
    late = np.where(
        (rng.random(visits) < LATE_RATE) & (frame["kind"][starts] != BOT_KIND),
        rng.integers(DAY_MS, 10 * DAY_MS, visits),
        0,
    )
    sent = (offset[last] + batching + late)[visit]
    frame["t_ms"] = begin[visit] + offset
    frame["sent_delay"] = sent - offset
    frame["recv_delay"] = sent - offset + network[visit]
    frame["session"] = _mix(rng.integers(0, 2**63, visits, dtype=np.int64).astype(np.uint64))[visit]
    frame["retry"] = np.zeros(n, np.int8)
    del frame["new_person"]


def _visit_times(
    world: _World, rng: np.random.Generator, tenant: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """Visit start times (UTC): weekday and business-hour seasonality in local time."""
    plan = world.plan
    live = (days[None, :] >= world.active_from[:, None]) & (
        days[None, :] < world.active_to[:, None]
    )
    weekday = (np.array([plan.start.weekday()]) + days) % 7
    day = _sample_rows(rng, live * WEEKDAY_WEIGHT[weekday][None, :], tenant)
    mid_month = min(int(days[len(days) // 2]) + 3, world.offsets.shape[1] - 1)
    shift = np.round(world.offsets[:, mid_month] / 60).astype(np.int64)
    hours = HOUR_PROFILE[(np.arange(24)[None, :] + shift[:, None]) % 24]
    hour = _sample_rows(rng, hours, tenant)
    within = (rng.random(len(tenant)) * HOUR_MS).astype(np.int64)
    return plan.start_ms + days[day] * DAY_MS + hour * HOUR_MS + within


def _sample_rows(rng: np.random.Generator, weights: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each item, a column index drawn from the weights of its row, all rows at once."""
    totals = weights.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(weights, axis=1) / np.where(totals > 0, totals, 1)
    # Row r's cumulative shares are shifted to [r, r+1): one search serves every row.
    flat = (cumulative + np.arange(len(weights))[:, None]).ravel()
    hits = np.searchsorted(flat, row + rng.random(len(row)) * 0.999999, side="right")
    return np.minimum(hits - row * weights.shape[1], weights.shape[1] - 1)


def _add_retries(frame: Frame, rng: np.random.Generator) -> Frame:
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
    return _concat([frame, copies])


def _concat(frames: list[Frame]) -> Frame:
    return {name: np.concatenate([f[name] for f in frames]) for name in frames[0]}


def _take(frame: Frame, index: np.ndarray | slice) -> Frame:
    return {name: column[index] for name, column in frame.items()}


# --------------------------------------------------------------------------- hashing


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, so distinct keys give distinct ids."""
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit(h: np.ndarray, field: int) -> np.ndarray:
    """The field-th 16-bit slice of a hash as a uniform number in [0, 1)."""
    return ((h >> np.uint64(16 * field)) & np.uint64(0xFFFF)).astype(np.float64) / 65536.0


# --------------------------------------------------------------------------- rendering


class _Dictionaries:
    """Every constant string a line is made of, in one Arrow pool built once per run."""

    def __init__(self, world: _World) -> None:
        plan = world.plan
        self.first_day = plan.start - timedelta(days=3)  # day 0 of world.offsets
        dates = [f"{self.first_day + timedelta(days=d):%Y-%m-%d}" for d in range(plan.days + 6)]
        self._dates = np.frombuffer("".join(dates).encode(), np.uint8).reshape(len(dates), 10)
        offsets = sorted({int(m) for m in np.unique(world.offsets)} | {0})
        # Suffix code of a UTC offset in minutes, looked up by `offset + OFFSET_SPAN`.
        self.suffix_code = np.zeros(2 * OFFSET_SPAN + 1, np.int64)
        self.suffix_code[np.array(offsets) + OFFSET_SPAN] = np.arange(1, len(offsets) + 1)
        suffixes = ["Z", *(_offset_text(m) for m in offsets)]
        fractions = ["", *(f".{ms:03d}" for ms in range(1000))]
        self.suffixes = len(suffixes)
        self.properties, self.property_ranges = _property_texts()
        entries: dict[str, list[str]] = {
            "head": [
                f',"tenant_id":"{t}","event_type":"{e}"'
                for t in world.tenant_ids
                for e in EVENT_TYPES
            ],
            "fraction": [f'{f}{s}"' for f in fractions for s in suffixes],
            "user_open": [
                f',"user_id":"{_json_text(pad)}{prefix}'
                for prefix in USER_ID_PREFIXES
                for pad, _ in ID_PADS
            ]
            + [',"user_id":null', ',"user_id":""'],
            "anon_open": [f',"anonymous_id":"{_json_text(pad)}' for pad, _ in ID_PADS]
            + [',"anonymous_id":null'],
            "close": [f'{_json_text(pad)}"' for _, pad in ID_PADS],
            "high": ["", *(str(i) for i in range(1, HIGH_DIGITS))],
            "low": [*(str(i) for i in range(10_000)), *(f"{i:04d}" for i in range(10_000))],
            "device": [f',"device_type":"{d}"' for d in DEVICE_NAMES] + [',"device_type":null'],
            "agent": [f',"user_agent":"{ua}"' for ua in UAS] + [',"user_agent":null'],
            "page": [
                f',"page_url":"https://app.{slug}.com{path}"'
                for slug in world.slugs
                for path in PAGE_PATHS
            ]
            + [',"page_url":null'],
            "tail": [
                f',"is_preview":{flag},"properties":{p}}}\n'
                for flag in ("false", "true")
                for p in self.properties
            ],
        }
        self.base: dict[str, int] = {}
        texts: list[str] = [""]  # index 0: the empty string, for omitted fields
        for name, values in entries.items():
            self.base[name] = len(texts)
            texts.extend(values)
        self.pool = _string_array(texts)

    def clock(self, ms: np.ndarray) -> np.ndarray:
        """'YYYY-MM-DDTHH:MM:SS' of epoch milliseconds, as a (rows x 19) byte block."""
        seconds = ms // 1000 % 86_400
        block = np.empty((len(ms), 19), np.uint8)
        block[:, :10] = self._dates[(ms - _date_ms(self.first_day)) // DAY_MS]
        block[:, 10] = ord("T")
        block[:, 11:13] = _DIGITS[seconds // 3600]
        block[:, 13] = ord(":")
        block[:, 14:16] = _DIGITS[seconds // 60 % 60]
        block[:, 16] = ord(":")
        block[:, 17:19] = _DIGITS[seconds % 60]
        return block


def _string_array(texts: list[str]) -> pa.Array:
    """An Arrow string array straight from buffers (pa.array on a list imports pandas)."""
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(encoded))
    )


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _json_text(text: str) -> str:
    return json.dumps(text)[1:-1]


def _property_texts() -> tuple[list[str], list[tuple[int, int]]]:
    """Small property objects per event type, and each type's index range among them."""
    by_type = [
        [
            json.dumps(
                {"sdk_version": f"4.{minor}.{patch}", "locale": locale}, separators=(",", ":")
            )
            for minor in range(3)
            for patch in range(4)
            for locale in ("en-US", "en-GB", "fr-FR", "de-DE", "ja-JP")
        ],
        [
            json.dumps(
                {"experience_id": f"exp_{i:03d}", "experience_type": kind}, separators=(",", ":")
            )
            for i in range(1, 41)
            for kind in ("tour", "tooltip", "checklist", "banner", "modal")
        ],
        [
            json.dumps(
                {"experience_id": f"exp_{i:03d}", "steps_completed": s}, separators=(",", ":")
            )
            for i in range(1, 41)
            for s in range(1, 8)
        ],
        [
            json.dumps({"survey_id": f"srv_{i:02d}", "score": s}, separators=(",", ":"))
            for i in range(1, 13)
            for s in range(11)
        ],
        [
            json.dumps({"method": m}, separators=(",", ":"))
            for m in ("login", "signup", "sso", "session")
        ],
    ]
    texts, ranges = [], []
    for values in by_type:
        ranges.append((len(texts), len(values)))
        texts.extend(values)
    return texts, ranges


class _Lines:
    """A file chunk as rows of segments; each segment indexes one string pool per row."""

    def __init__(self, dictionaries: _Dictionaries, n: int) -> None:
        self._dicts = dictionaries
        self._n = n
        self._pools: list[pa.Array] = [dictionaries.pool]
        self._size = len(dictionaries.pool)
        self._columns: list[np.ndarray] = []

    def constant(self, name: str, code: np.ndarray, present: np.ndarray | bool = True) -> None:
        """A dictionary segment; rows where `present` is false get the empty string."""
        self._columns.append(np.where(present, self._dicts.base[name] + code.astype(np.int64), 0))

    def per_row(self, texts: pa.Array, present: np.ndarray | bool = True) -> None:
        self._columns.append(np.where(present, self._size + np.arange(self._n), 0))
        self._pools.append(texts)
        self._size += len(texts)

    def render(self) -> tuple[memoryview, np.ndarray]:
        """The chunk's bytes and the byte offset where each line ends."""
        index = np.stack(self._columns, axis=1).astype(np.int32)
        positions = pa.Array.from_buffers(pa.int32(), index.size, [None, pa.py_buffer(index)])
        flat = pa.concat_arrays(self._pools).take(positions)
        offsets = np.frombuffer(flat.buffers()[1], np.int32)[
            flat.offset : flat.offset + len(flat) + 1
        ]
        data = memoryview(flat.buffers()[2])[offsets[0] : offsets[-1]]
        ends = offsets[len(self._columns) :: len(self._columns)] - offsets[0]
        return data, ends


_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint8).reshape(256, 2)


_DIGITS = np.frombuffer(b"".join(f"{i:02d}".encode() for i in range(100)), np.uint8).reshape(100, 2)


def _fixed_texts(parts: list[bytes | np.ndarray]) -> pa.Array:
    """Per-row strings of one width: constants and (rows x k) byte columns side by side."""
    n = next(len(p) for p in parts if isinstance(p, np.ndarray))
    widths = [len(p) if isinstance(p, bytes) else p.shape[1] for p in parts]
    block = np.empty((n, sum(widths)), np.uint8)
    column = 0
    for part, width in zip(parts, widths, strict=True):
        block[:, column : column + width] = (
            np.frombuffer(part, np.uint8) if isinstance(part, bytes) else part
        )
        column += width
    offsets = (np.arange(n + 1, dtype=np.int32) * block.shape[1]).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(block))


def _hex(values: np.ndarray, digits: int) -> np.ndarray:
    """The last `digits` lowercase hex digits of uint64 values, as a (rows x digits) block."""
    pairs = _HEX[values.astype(">u8").view(np.uint8).reshape(-1, 8)]
    return pairs.reshape(-1, 16)[:, 16 - digits :]


def _millis(ms: np.ndarray) -> np.ndarray:
    """'.mmm' of epoch milliseconds, as a (rows x 4) byte block."""
    block = np.empty((len(ms), 4), np.uint8)
    block[:, 0] = ord(".")
    block[:, 1] = ord("0") + ms % 1000 // 100
    block[:, 2:] = _DIGITS[ms % 100]
    return block


def _render(
    world: _World, dicts: _Dictionaries, frame: Frame, salt: np.uint64
) -> tuple[memoryview, np.ndarray]:
    """JSON lines for a frame chunk (SPEC §2.1), per-event details hashed from its key.

    Fixed-width fields come first, in one block per row: key order is free in JSON.
    Hash use: h[0] type, identity, page; h[1] agent; h[2] id padding; h[3] property
    variant; the session's hash: clock format, sent_at, device_type (one SDK build).
    """
    n = len(frame["key"])
    key = frame["key"]
    h = [_mix(key ^ salt ^ np.uint64(0x9E37 * (i + 1))) for i in range(4)]
    kind, tenant, retry = frame["kind"], frame["tenant"].astype(np.int64), frame["retry"]
    received = frame["t_ms"] + frame["recv_delay"]
    lines = _Lines(dicts, n)
    lines.per_row(
        _fixed_texts(
            [
                b'{"event_id":"',
                _hex(_mix(key ^ ~salt), 16),
                b'","session_id":"',
                _hex(frame["session"], 12),
                b'","received_at":"',
                dicts.clock(received),
                _millis(received),
                b'Z"',
            ]
        )
    )
    event_type = (_unit(h[0], 0)[:, None] >= TYPE_THRESHOLDS[kind]).sum(axis=1)
    event_type = np.minimum(event_type, IDENTIFY)
    # A conflicting retry: the SDK rebuilt the event, so its details differ from the original.
    conflict = retry == RETRY_CONFLICT
    event_type = np.where(conflict & (event_type == 0), 1, event_type)
    lines.constant("head", tenant * len(EVENT_TYPES) + event_type)
    per_session = _mix(frame["session"] ^ salt)
    _render_times(world, dicts, lines, frame, per_session)
    _render_identity(lines, frame, world.id_style[tenant], event_type, h[0], h[2])
    device_missing = (_unit(per_session, 2) < 0.12) | (frame["device"] == BOT)  # UA decides
    lines.constant("device", np.where(device_missing, len(DEVICE_NAMES), frame["device"]))
    no_agent = (_unit(h[1], 3) < 0.01) & (kind != BOT_KIND)
    lines.constant("agent", np.where(no_agent, len(UAS), frame["ua"]))
    page = (h[0] >> np.uint64(48)).astype(np.int64) % len(PAGE_PATHS)
    no_page = _unit(h[0], 2) < 0.02
    page_code = tenant * len(PAGE_PATHS) + page
    lines.constant("page", np.where(no_page, len(world.slugs) * len(PAGE_PATHS), page_code))
    first = np.array([s for s, _ in dicts.property_ranges])[event_type]
    sizes = np.array([c for _, c in dicts.property_ranges])[event_type]
    variant = ((h[3] >> np.uint64(1)).astype(np.int64) + conflict) % sizes
    preview = (kind == PREVIEW) * len(dicts.properties)
    lines.constant("tail", preview + first + variant)
    return lines.render()


def _render_times(
    world: _World, dicts: _Dictionaries, lines: _Lines, frame: Frame, h: np.ndarray
) -> None:
    """occurred_at and sent_at on the session's skewed browser clock, Z or local offset."""
    t = frame["t_ms"]
    skew = _session_skew(frame["session"])
    day = np.clip((t - _date_ms(dicts.first_day)) // DAY_MS, 0, world.offsets.shape[1] - 1)
    style = _unit(h, 0)
    with_offset = style >= 0.75
    with_fraction = (style < 0.6) | (style >= 0.8)
    offset = np.where(with_offset, world.offsets[frame["tenant"], day].astype(np.int64), 0)
    suffix = np.where(with_offset, dicts.suffix_code[offset + OFFSET_SPAN], 0)
    has_sent = _unit(h, 1) >= 0.03  # older SDKs send no sent_at: R4 then trusts occurred_at
    # Without sent_at nothing corrects the clock, so keep it near: a clock minutes ahead
    # would make an unintended future_timestamp line (R1).
    skew = np.where(has_sent, skew, np.clip(skew, -3_000, 3_000))
    for name, stamp, present in (
        ("occurred_at", t + skew, True),
        ("sent_at", t + frame["sent_delay"] + skew, has_sent),
    ):
        local = stamp + offset * 60_000
        lines.per_row(_fixed_texts([f',"{name}":"'.encode(), dicts.clock(local)]), present)
        code = np.where(with_fraction, 1 + local % 1000, 0) * dicts.suffixes + suffix
        lines.constant("fraction", code, present)


def _session_skew(session: np.ndarray) -> np.ndarray:
    """Browser clock error per session: seconds for most, minutes for some (R4)."""
    u, v = _unit(session, 1), _unit(session, 2) - 0.5
    spread = np.where(u < 0.8, 6_000, np.where(u < 0.97, 600_000, 3_600_000))
    return (v * spread).astype(np.int64)


def _render_identity(
    lines: _Lines,
    frame: Frame,
    style: np.ndarray,
    event_type: np.ndarray,
    h: np.ndarray,
    h_pad: np.ndarray,
) -> None:
    """user_id / anonymous_id: both, one of them, padded with white space, null or omitted."""
    kind = frame["kind"]
    identified = (kind == USER) | (kind == PREVIEW)
    u = _unit(h, 1)
    both = identified & ((u < 0.85) | (event_type == IDENTIFY) | (kind == PREVIEW))
    user_only = identified & ~both & (u >= 0.95)  # server-side calls carry no browser id
    has_user = both | user_only
    has_anon = ~user_only
    pad = np.where(_unit(h_pad, 0) < 0.004, 1 + (_unit(h_pad, 1) * 4).astype(np.int64), 0)
    anon_pad = np.where(_unit(h_pad, 2) < 0.004, 1 + (_unit(h_pad, 3) * 4).astype(np.int64), 0)
    # Visitors' missing user_id: omitted, null, or an empty string (absent too, R3).
    absent_user = np.where(kind == VISITOR, np.where(u < 0.7, -1, np.where(u < 0.99, 0, 1)), -1)
    user_open = np.where(
        has_user, style * len(ID_PADS) + pad, len(USER_ID_PREFIXES) * len(ID_PADS) + absent_user
    )
    lines.constant("user_open", user_open, has_user | (absent_user >= 0))
    # Decimal digits from two dictionaries, 'high' then zero-padded 'low' (no per-row format).
    high, low = np.divmod(frame["user_num"], 10_000)
    lines.constant("high", high, has_user)
    lines.constant("low", np.where(high > 0, 10_000 + low, low), has_user)
    lines.constant("close", pad, has_user)
    anon_absent = np.where(u < 0.975, -1, len(ID_PADS))  # omitted or null when missing
    anon_open = np.where(has_anon, anon_pad, anon_absent)
    lines.constant("anon_open", anon_open, has_anon | (anon_absent >= 0))
    lines.per_row(_fixed_texts([_hex(frame["browser"], 16)]), has_anon)
    lines.constant("close", anon_pad, has_anon)


# --------------------------------------------------------------------------- day files

FORMATS = ("jsonl.gz", "jsonl", "ndjson", "ndjson.gz", "parquet")
PARQUET_COLUMNS = {name: "VARCHAR" for name in EVENT_COLUMNS} | {
    "is_preview": "BOOLEAN",
    "properties": "JSON",
}


@dataclass
class _Written:
    files: int = 0
    events: int = 0
    malformed: int = 0


@dataclass(frozen=True)
class _DayJob:
    day: int  # day index from the first day
    path: Path
    fmt: str
    frame: Frame
    malformed: tuple[int, ...]  # kind of each broken line (index in MALFORMED_KINDS)


def _write_events(
    folder: Path,
    world: _World,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None,
) -> _Written:
    """One file per UTC day of receipt; a month is generated while the last one is written."""
    plan = world.plan
    written = _Written()
    if plan.options.events == 0:
        return written
    formats = _day_formats(rng, plan.days)
    dicts = _Dictionaries(world)
    salt = np.uint64(rng.integers(0, 2**63))
    # Progress counts well-formed events against the target; the real count differs a little.
    target = plan.options.events
    report = progress or (lambda done, total: None)
    report(0, target)
    carry: Frame | None = None
    first_key, cycle = 0, 0
    with ThreadPoolExecutor(max_workers=2) as workers:
        previous: list[Future[tuple[int, int]]] = []
        for month in range(plan.options.months):
            days = plan.month_days(month)
            if not len(days):
                break
            frame = _month_frame(world, month, rng, first_key)
            first_key += int(np.count_nonzero(frame["retry"] == 0))
            parts, carry = _received_by_day(
                plan, frame if carry is None else _concat([carry, frame]), days
            )
            jobs, cycle = _day_jobs(folder, plan, formats, days, parts, rng, cycle)
            current = [workers.submit(_write_day, world, dicts, job, salt) for job in jobs]
            _collect(previous, written, report, target)
            previous = current
        _collect(previous, written, report, target)
    report(target, target)
    return written


def _day_jobs(
    folder: Path,
    plan: _Plan,
    formats: np.ndarray,
    days: np.ndarray,
    parts: list[Frame],
    rng: np.random.Generator,
    cycle: int,
) -> tuple[list[_DayJob], int]:
    """One job per day; broken lines go to JSON days, their kinds taken round-robin."""
    jobs = []
    for day, part in zip(days.tolist(), parts, strict=True):
        fmt = FORMATS[formats[day]]
        rate = 0.0 if fmt == "parquet" else plan.options.malformed_rate
        bad = rng.binomial(len(part["key"]), rate)
        kinds = tuple(MALFORMED_CYCLE[(cycle + j) % len(MALFORMED_CYCLE)] for j in range(bad))
        cycle += bad
        jobs.append(_DayJob(day, _day_path(folder, plan, day, fmt), fmt, part, kinds))
    return jobs, cycle


def _collect(
    futures: list[Future[tuple[int, int]]],
    written: _Written,
    report: Callable[[int, int], None],
    total: int,
) -> None:
    for future in futures:
        events, malformed = future.result()
        written.files += 1
        written.events += events
        written.malformed += malformed
        report(min(written.events, total), total)


def _day_formats(rng: np.random.Generator, days: int) -> np.ndarray:
    """Mostly gzipped JSON lines; every other format on at least one day when there are five."""
    formats = rng.choice(len(FORMATS), size=days, p=[0.8, 0.05, 0.05, 0.05, 0.05])
    if days >= len(FORMATS):
        formats[rng.choice(days, len(FORMATS) - 1, replace=False)] = np.arange(1, len(FORMATS))
    return formats


def _received_by_day(plan: _Plan, frame: Frame, days: np.ndarray) -> tuple[list[Frame], Frame]:
    """Split by UTC day of receipt, in receipt order; later arrivals carry to the next month."""
    received = frame["t_ms"] + frame["recv_delay"]
    order = np.lexsort((frame["key"], received))
    order = order[received[order] < plan.cutoff_ms]  # later ones have not arrived yet
    frame, received = _take(frame, order), received[order]
    bounds = plan.start_ms + np.append(days, days[-1] + 1) * DAY_MS
    cuts = np.searchsorted(received, bounds)
    parts = [_take(frame, slice(cuts[i], cuts[i + 1])) for i in range(len(days))]
    return parts, _take(frame, slice(cuts[-1], None))


def _day_path(folder: Path, plan: _Plan, day: int, fmt: str) -> Path:
    when = plan.start + timedelta(days=day)
    return folder / f"{when:%Y/%m/%d}" / f"events-{when:%Y-%m-%d}.{fmt}"


def _write_day(
    world: _World, dicts: _Dictionaries, job: _DayJob, salt: np.uint64
) -> tuple[int, int]:
    """Render, compress and atomically write one day; returns (events, malformed lines)."""
    job.path.parent.mkdir(parents=True, exist_ok=True)
    pieces = _day_pieces(world, dicts, job, salt)
    if job.fmt == "parquet":
        _write_atomic(job.path, lambda temporary: _to_parquet(pieces, temporary))
    elif job.fmt.endswith(".gz"):
        _write_atomic(job.path, _gzip(pieces))
    else:
        _write_atomic(job.path, list(pieces))
    return len(job.frame["key"]), len(job.malformed)


def _day_pieces(world: _World, dicts: _Dictionaries, job: _DayJob, salt: np.uint64):
    """The file's bytes in pieces, broken lines slipped in at random places."""
    rng = np.random.default_rng([world.plan.options.seed, job.day, 2])
    n = len(job.frame["key"])
    day_ms = world.plan.start_ms + job.day * DAY_MS
    span = min(DAY_MS, world.plan.cutoff_ms - day_ms)
    bad = [
        _malformed_line(world, rng, kind, day_ms + int(rng.integers(0, span)))
        for kind in job.malformed
    ]
    where = np.sort(rng.integers(0, n + 1, len(bad)))
    taken = 0
    for start in range(0, max(n, 1), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        data, ends = _render(world, dicts, _take(job.frame, slice(start, stop)), salt)
        cursor = 0
        while taken < len(bad) and (where[taken] < stop or stop == n):
            cut = int(ends[where[taken] - start - 1]) if where[taken] > start else 0
            yield data[cursor:cut]
            yield bad[taken]
            cursor, taken = cut, taken + 1
        yield data[cursor:]


def _gzip(pieces) -> list[bytes]:
    """Level 1: the gzip cost dominates generation, and the ratio barely matters here."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip header with mtime 0: stable bytes
    out = [packer.compress(piece) for piece in pieces]
    out.append(packer.flush())
    return out


def _to_parquet(pieces, temporary: Path) -> None:
    """Same columns as the JSON lines; timestamps stay RFC 3339 text, properties JSON."""
    staging = temporary.with_name(temporary.name + ".json.tmp")
    with open(staging, "wb") as handle:
        for piece in pieces:
            handle.write(piece)
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in PARQUET_COLUMNS.items())
    try:
        with duckdb.connect(config={"threads": 1}) as con:  # one thread: stable row groups
            con.execute(
                f"COPY (SELECT * FROM read_json('{staging}', format = 'newline_delimited', "
                f"columns = {{{columns}}})) TO '{temporary}' (FORMAT parquet)"
            )
    finally:
        staging.unlink()


def _malformed_line(world: _World, rng: np.random.Generator, kind: int, received_ms: int) -> bytes:
    """One line that R1 must quarantine, for exactly one reason: MALFORMED_KINDS[kind]."""
    tenant = world.tenant_ids[int(rng.integers(0, len(world.tenant_ids) - 1))]
    event: dict[str, object] = {
        "event_id": f"{int(rng.integers(0, 2**63)):016x}",
        "tenant_id": tenant,
        "event_type": "sdk_loaded",
        "occurred_at": _iso(received_ms - 1800),
        "sent_at": _iso(received_ms - 300),
        "received_at": _iso(received_ms),
        "user_id": str(int(rng.integers(100_000, 200_000))),
        "anonymous_id": f"{int(rng.integers(0, 2**63)):016x}",
        "session_id": f"{int(rng.integers(0, 2**47)):012x}",
        "device_type": "desktop",
        "user_agent": DESKTOP_UAS[0],
        "page_url": f"https://app.{world.slugs[0]}.com/dashboard",
        "is_preview": False,
        "properties": {"sdk_version": "4.1.0"},
    }
    _BREAKERS[MALFORMED_KINDS[kind]](event, rng)
    text = json.dumps(event, separators=(",", ":"))
    if MALFORMED_KINDS[kind] == "malformed_json":
        text = text[: int(rng.integers(10, len(text) - 2))]  # cut before the closing brace
    return (text + "\n").encode()


def _iso(ms: int) -> str:
    return f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def _drop_or_null(event: dict[str, object], rng: np.random.Generator, *names: str) -> None:
    for name in names:
        if rng.random() < 0.5:
            del event[name]
        else:
            event[name] = None


def _no_identity(event: dict[str, object], rng: np.random.Generator) -> None:
    variant = int(rng.integers(0, 3))
    if variant == 0:
        _drop_or_null(event, rng, "user_id", "anonymous_id")
    else:  # white space or empty strings only: absent once trimmed (R3)
        event["user_id"] = " " * variant
        event["anonymous_id"] = "" if variant == 1 else None


def _bad_time(event: dict[str, object], rng: np.random.Generator) -> None:
    choices = (
        "2025-13-45T10:00:00Z",
        "yesterday",
        "",
        "17/01/2025 10:00:00",
        "2025-02-30T08:00:00Z",
    )
    variant = int(rng.integers(0, len(choices) + 2))
    if variant == len(choices):
        del event["occurred_at"]
    elif variant == len(choices) + 1:
        event["received_at"] = "not-a-date"
    else:
        event["occurred_at"] = choices[variant]


def _future_time(event: dict[str, object], rng: np.random.Generator) -> None:
    """A browser clock months ahead, without sent_at so that R4 cannot correct it."""
    received = datetime.strptime(str(event["received_at"]), "%Y-%m-%dT%H:%M:%S.%fZ")
    ahead = received + timedelta(days=int(rng.integers(2, 400)))
    event["occurred_at"] = f"{ahead:%Y-%m-%dT%H:%M:%S}Z"
    del event["sent_at"]


def _oversized(event: dict[str, object], rng: np.random.Generator) -> None:
    """A DOM snapshot pasted into properties: over the 32 KiB line limit."""
    chunk = '<div class="row"><span>cell</span></div>'
    event["properties"] = {"dom_snapshot": chunk * int(rng.integers(850, 1300))}


_BREAKERS: dict[str, Callable[[dict[str, object], np.random.Generator], None]] = {
    "malformed_json": lambda event, rng: None,
    "missing_event_id": lambda event, rng: _drop_or_null(event, rng, "event_id"),
    "missing_tenant": lambda event, rng: _drop_or_null(event, rng, "tenant_id"),
    "missing_identity": _no_identity,
    "bad_timestamp": _bad_time,
    "future_timestamp": _future_time,
    "oversized": _oversized,
}
