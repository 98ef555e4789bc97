"""Synthetic landing data for `mau generate` (SPEC §2, §5, §6).

Writes the billing exports (`landing/accounts/*.csv`) and one SDK event file per UTC day
(`landing/events/YYYY/MM/DD/events-YYYY-MM-DD.<ext>`), deterministic for a seed.

Speed (SPEC §6 asks for 1 M events/s on two cores) shapes the design:
- every per-event value is a NumPy column; nothing loops per event in Python. The main
  thread draws a month of events and sorts it by receipt while two worker threads write
  the previous month's days; NumPy, Arrow and ISA-L release the GIL, so the threads run
  in parallel, and each file depends only on its own rows, so the bytes are stable;
- per-event details (event type, identity fields, formats, clock skew) are hashed from a
  unique event key, so a retried copy renders the same content wherever it lands, and
  how rows are cut into chunks never changes the content;
- a chunk of events becomes `_Fields`: codes into string pools and fixed-width byte
  blocks (hex ids, clocks) read from lookup tables. A JSON line is then 12 segments, each
  a pool string or a block row (neighbouring fields share a segment where their
  combinations are few), and one Arrow `take` lays out every line of the chunk, far
  cheaper than JSON serialisation (DuckDB's JSON writer alone needs ~3 s a million lines);
- Parquet days get the same fields as columns (RFC 3339 text, boolean is_preview, JSON
  properties) written by pyarrow, without a JSON round trip;
- gzip is ISA-L at level 1 (isal), about five times zlib's speed, and still the largest
  cost. CPU per event on the 2-core development machine: ~0.65 µs gzip, ~0.35 µs laying
  out lines, ~0.25 µs per-event values, ~0.4 µs drawing and sorting months, plus file
  writes; start-up (imports, tenants, dictionaries) is ~0.9 s. With both cores free,
  10 M events take 9-10 s (~1 M events/s), 1 M take ~1.7 s, and 100 M peak at ~2.5 GB.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from isal import isal_zlib

from mau_warehouse.errors import MauError

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
CHUNK_ROWS = 32_000  # rows rendered at once: big enough to amortise calls, small for caches
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
# The event type of kind k for 16-bit hash value v is at k * 2**16 + v: one lookup per event.
EVENT_TYPE_TABLE = np.minimum(
    (np.arange(2**16) / 2**16 >= TYPE_THRESHOLDS[:, :, None]).sum(axis=1), IDENTIFY
).ravel()

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
# Where a uniform draw leaves each local hour: searchsorted(..., side="right") is the hour.
HOUR_CUMULATIVE = np.cumsum(HOUR_PROFILE)[:-1] / HOUR_PROFILE.sum()
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
    _write_atomic(folder / "plans.csv", _csv(header, plans))
    listed = len(world.tenant_ids) - 1
    tenants = [
        (
            world.tenant_ids[i],
            world.names[i],
            world.timezones[i],
            f"{world.created[i]:%Y-%m-%dT%H:%M:%SZ}",
            f"billing@{world.slugs[i]}.example",  # usage alerts go to the tenant's contact
        )
        for i in range(listed)
    ]
    header = ("tenant_id", "tenant_name", "billing_timezone", "created_at", "billing_email")
    _write_atomic(folder / "tenants.csv", _csv(header, tenants))
    rows = [
        (t, p, f"{s:%Y-%m-%d}", "" if e is None else f"{e:%Y-%m-%d}", "true" if trial else "false")
        for t, p, s, e, trial in world.subscriptions
    ]
    header = ("tenant_id", "plan_id", "started_on", "ended_on", "is_trial")
    _write_atomic(folder / "subscriptions.csv", _csv(header, rows))


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def _temporary(path: Path) -> Path:
    """A name beside `path` that no loader pattern matches: files appear whole, by rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = _temporary(path)
    temporary.write_bytes(data)
    os.replace(temporary, path)


# --------------------------------------------------------------------------- event frames

RETRY_RATE = 0.01
BOT_RATE = 0.005
PREVIEW_RATE = 0.003
LATE_RATE = 0.003
VISIT_BREAK = 0.25  # chance that an event starts a new visit: ~4 events a visit
RETRY_IDENTICAL, RETRY_LATER, RETRY_CONFLICT = 1, 2, 3

Frame = dict[str, np.ndarray]  # one array per column, all of one length


def _month_frame(
    world: _World, month: int, rng: np.random.Generator, first_key: int
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


def _users(
    world: _World, rng: np.random.Generator, active: np.ndarray, events: np.ndarray
) -> Frame:
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
    session = _mix(rng.integers(0, 2**63, visits, dtype=np.int64).astype(np.uint64))
    frame["session"] = np.repeat(session, sizes)
    frame["retry"] = np.zeros(n, np.int8)
    del frame["new_person"]


def _visit_times(
    world: _World, rng: np.random.Generator, tenant: np.ndarray, days: np.ndarray
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


def _take(frame: Frame, index: np.ndarray | slice) -> Frame:
    """Rows of a frame: views for a slice, else a gather (np.take beats indexing by ~30 %)."""
    if isinstance(index, slice):
        return {name: column[index] for name, column in frame.items()}
    return {name: np.take(column, index) for name, column in frame.items()}


# --------------------------------------------------------------------------- hashing


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, so distinct keys give distinct ids."""
    x = x.astype(np.uint64, copy=False) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit(h: np.ndarray, field: int) -> np.ndarray:
    """The field-th 16-bit slice of a hash as a uniform number in [0, 1)."""
    # Two cheap passes: the cast to uint16 keeps the slice, and float32 holds k / 2**16 exactly.
    return (h >> np.uint64(16 * field)).astype(np.uint16) * np.float32(1 / 2**16)


# --------------------------------------------------------------------------- rendering

# A user_id opens with padding and the tenant's prefix, or is null, "" or left out (R3).
USER_OPENS = len(USER_ID_PREFIXES) * len(ID_PADS)
USER_NULL, USER_EMPTY, USER_OMITTED = USER_OPENS, USER_OPENS + 1, USER_OPENS + 2
ANON_NULL, ANON_OMITTED = len(ID_PADS), len(ID_PADS) + 1  # else an anonymous_id's ID_PADS
NO_PAD = len(ID_PADS)  # the closing pad of an id that is not there


class _Pool:
    """Groups of strings as Arrow string buffers: string k of group `name` is base[name] + k."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.base: dict[str, int] = {}
        texts: list[str] = [""]  # index 0: the empty string, for absent segments
        for name, values in groups.items():
            self.base[name] = len(texts)
            texts.extend(values)
        self.size = len(texts)
        # ASCII (JSON escapes the rest), so a string's length is its byte count.
        self.data = np.frombuffer("".join(texts).encode("ascii"), np.uint8)
        self.offsets = np.zeros(len(texts) + 1, np.int32)
        np.cumsum(np.fromiter(map(len, texts), np.int32, len(texts)), out=self.offsets[1:])
        self._counts = {name: len(values) for name, values in groups.items()}

    def group(self, name: str) -> pa.StringArray:
        """One group as its own array, sharing the pool's buffers (no copy)."""
        first = self.base[name]
        offsets = self.offsets[first : first + self._counts[name] + 1]
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(self.data)]
        return pa.Array.from_buffers(pa.string(), self._counts[name], buffers)


class _Dictionaries:
    """Every constant string of a run, and lookup tables for per-row text."""

    def __init__(self, world: _World) -> None:
        plan = world.plan
        self.first_ms = _date_ms(plan.start) - 3 * DAY_MS  # day 0 of world.offsets
        days = [plan.start + timedelta(days=d - 3) for d in range(plan.days + 6)]
        self._dates = _text_table([f"{d:%Y-%m-%d}T" for d in days])
        seconds = np.arange(86_400)
        hours, minutes = _digits(seconds // 3600), _digits(seconds // 60 % 60)
        self._times = _fixed_block([hours, b":", minutes, b":", _digits(seconds % 60)])
        self._millis = _text_table([f".{ms:03d}" for ms in range(1000)])
        self.tenant_text = _text_table(world.tenant_ids)  # tenant ids share one width
        # A set, not np.unique: that one imports numpy.ma, a tenth of a second at start-up.
        offsets = sorted(set(world.offsets.ravel().tolist()) | {0})
        # Suffix code of a UTC offset in minutes, looked up by `offset + OFFSET_SPAN`.
        self.suffix_code = np.zeros(2 * OFFSET_SPAN + 1, np.int64)
        self.suffix_code[np.array(offsets) + OFFSET_SPAN] = np.arange(1, len(offsets) + 1)
        self.suffixes = len(offsets) + 1
        self.properties, ranges = _property_texts()
        self.property_first = np.array([first for first, _ in ranges], np.int32)
        self.property_count = np.array([count for _, count in ranges], np.int32)
        self.pages = [f"https://app.{s}.com{p}" for s in world.slugs for p in PAGE_PATHS]
        suffixes = ["Z", *(_offset_text(m) for m in offsets)]
        ends = [f + s for f in ["", *(f".{ms:03d}" for ms in range(1000))] for s in suffixes]
        digits = _digit_groups()
        self.json = _Pool(self._json_groups(ends, digits))
        self.raw = _Pool(self._raw_groups(world, ends, digits))

    def _json_groups(self, ends: list[str], digits: dict[str, list[str]]) -> dict[str, list[str]]:
        """Segments of a JSON line: neighbouring fields share one segment where few combine."""
        user_opens = [
            f',"user_id":"{_json_text(pad)}{prefix}'
            for prefix in USER_ID_PREFIXES
            for pad, _ in ID_PADS
        ] + [',"user_id":null', ',"user_id":""', ""]
        closes = [f'{_json_text(pad)}"' for _, pad in ID_PADS] + [""]
        anon_opens = [f',"anonymous_id":"{_json_text(pad)}' for pad, _ in ID_PADS]
        devices = [f',"device_type":"{d}"' for d in DEVICE_NAMES] + [',"device_type":null']
        agents = [f',"user_agent":"{ua}"' for ua in UAS] + [',"user_agent":null']
        return {
            "end": [f'{end}"' for end in ends],
            "type_user": [f',"event_type":"{e}"{u}' for e in EVENT_TYPES for u in user_opens],
            **digits,
            "close_anon": [
                c + a for c in closes for a in [*anon_opens, ',"anonymous_id":null', ""]
            ],
            "close_agent": [c + d + a for c in closes for d in devices for a in agents],
            "page": [f',"page_url":"{url}"' for url in self.pages] + [',"page_url":null'],
            "tail": [
                f',"is_preview":{flag},"properties":{p}}}\n'
                for flag in ("false", "true")
                for p in self.properties
            ],
        }

    def _raw_groups(
        self, world: _World, ends: list[str], digits: dict[str, list[str]]
    ) -> dict[str, list[str]]:
        """Column values for Parquet days: the same text without JSON syntax."""
        return {
            "end": ends,
            "tenant": world.tenant_ids,
            "event_type": list(EVENT_TYPES),
            "user_open": [f"{pad}{prefix}" for prefix in USER_ID_PREFIXES for pad, _ in ID_PADS],
            "open_pad": [pad for pad, _ in ID_PADS],
            "close_pad": [pad for _, pad in ID_PADS],
            **digits,
            "device": list(DEVICE_NAMES),
            "agent": list(UAS),
            "page": self.pages,
            "properties": self.properties,
        }

    def clock(self, ms: np.ndarray) -> list[np.ndarray]:
        """'YYYY-MM-DDTHH:MM:SS' of epoch milliseconds: the date and time blocks."""
        day = (ms - self.first_ms) // DAY_MS
        return [
            np.take(self._dates, day, axis=0),
            np.take(self._times, ms % DAY_MS // 1000, axis=0),
        ]

    def millis(self, ms: np.ndarray) -> np.ndarray:
        """'.mmm' of epoch milliseconds, as a (rows x 4) byte block."""
        return np.take(self._millis, ms % 1000, axis=0)

    def tenants(self, tenant: np.ndarray) -> np.ndarray:
        """Tenant ids as a (rows x width) byte block."""
        return np.take(self.tenant_text, tenant, axis=0)


def _digit_groups() -> dict[str, list[str]]:
    """A user number's decimal digits: 'high' (none for 0), then 'low', zero-padded or not."""
    return {
        "high": ["", *(str(i) for i in range(1, HIGH_DIGITS))],
        "low": [*(str(i) for i in range(10_000)), *(f"{i:04d}" for i in range(10_000))],
    }


def _digits(values: np.ndarray) -> np.ndarray:
    """Two decimal digits of values below 100, as a (rows x 2) byte block."""
    return (np.stack([values // 10, values % 10], axis=1) + ord("0")).astype(np.uint8)


def _text_table(texts: list[str]) -> np.ndarray:
    """Texts of one width as an (entries x width) byte table; np.take(axis=0) reads it fast."""
    return np.frombuffer("".join(texts).encode(), np.uint8).reshape(len(texts), -1)


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


Parts = list[bytes | np.ndarray]  # fixed-width text: constants and (rows x k) byte blocks


class _Texts:
    """Strings made of segments, each a code into a pool or one row of a fixed-width block."""

    def __init__(self, pool: _Pool, n: int) -> None:
        self._pool = pool
        self._n = n
        self._blocks: list[Parts] = []
        self._size = pool.size  # strings in the pool and the blocks so far
        # Per segment: codes, the index they are relative to, rows where it is present.
        self._columns: list[tuple[np.ndarray, int, np.ndarray | bool]] = []

    def code(self, name: str, code: np.ndarray, present: np.ndarray | bool = True) -> _Texts:
        """A pool segment; rows where `present` is false get the empty string."""
        self._columns.append((code, self._pool.base[name], present))
        return self

    def block(self, parts: Parts, present: np.ndarray | bool = True) -> _Texts:
        """A per-row segment: row i of the fixed-width text laid out from `parts`."""
        self._columns.append((np.arange(self._n, dtype=np.int32), self._size, present))
        self._blocks.append(parts)
        self._size += self._n
        return self

    def build(self, valid: np.ndarray | None = None) -> pa.StringArray:
        """Row i: the concatenation of its segments; null where `valid` is false."""
        positions = pa.Array.from_buffers(
            pa.int32(), self._n * len(self._columns), [None, self._index()]
        )
        flat = self._sources().take(positions)
        # Every k-th offset of the k segments per row bounds the rows: no byte is copied.
        offsets = np.frombuffer(flat.buffers()[1], np.int32)[flat.offset :: len(self._columns)]
        validity = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.StringArray.from_buffers(
            self._n,
            pa.py_buffer(np.ascontiguousarray(offsets)),
            flat.buffers()[2],
            validity,
            -1 if valid is None else self._n - int(np.count_nonzero(valid)),
        )

    def _index(self) -> pa.Buffer:
        """Row-major positions of every segment, written in place: no stack, no transpose."""
        index = np.empty((self._n, len(self._columns)), np.int32)
        for column, (code, base, present) in zip(index.T, self._columns, strict=True):
            np.add(code, np.int32(base), out=column, casting="unsafe")
            if present is not True:
                column *= present  # absent: 0, the empty string
        return pa.py_buffer(index)

    def _sources(self) -> pa.StringArray:
        """The pool, then every block's rows, in one array; blocks are laid out in place
        (pa.concat_arrays would copy them again and rewrite the pool's offsets each time)."""
        n, pool = self._n, self._pool
        widths = [_width(parts) for parts in self._blocks]
        data = np.empty(len(pool.data) + n * sum(widths), np.uint8)
        data[: len(pool.data)] = pool.data
        offsets, start = [pool.offsets], len(pool.data)
        for parts, width in zip(self._blocks, widths, strict=True):
            _fill(data[start : start + n * width].reshape(n, width), parts)
            offsets.append(start + width * np.arange(1, n + 1, dtype=np.int32))
            start += n * width
        buffers = [None, pa.py_buffer(np.concatenate(offsets)), pa.py_buffer(data)]
        return pa.Array.from_buffers(pa.string(), self._size, buffers)


def _width(parts: Parts) -> int:
    return sum(len(p) if isinstance(p, bytes) else p.shape[1] for p in parts)


def _fill(block: np.ndarray, parts: Parts) -> None:
    """Lay the parts side by side in a (rows x width) block."""
    template = b"".join(p if isinstance(p, bytes) else bytes(p.shape[1]) for p in parts)
    _rows(block)[...] = _rows(np.frombuffer(template, np.uint8)[None, :])  # every constant
    column = 0
    for part in parts:
        width = len(part) if isinstance(part, bytes) else part.shape[1]
        if isinstance(part, np.ndarray):
            _rows(block[:, column : column + width])[...] = _rows(part)
        column += width


def _fixed_block(parts: Parts) -> np.ndarray:
    """Per-row text of one width: constants and (rows x k) byte blocks side by side."""
    n = next(len(p) for p in parts if isinstance(p, np.ndarray))
    block = np.empty((n, _width(parts)), np.uint8)
    _fill(block, parts)
    return block


def _rows(block: np.ndarray) -> np.ndarray:
    """A (rows x k) byte block as rows of one k-byte item: NumPy copies them 2-3x faster."""
    return block.view(f"V{block.shape[1]}")


def _fixed_strings(parts: Parts) -> pa.Array:
    """Per-row text of one width as Arrow strings."""
    block = _fixed_block(parts)
    n, width = block.shape
    offsets = (np.arange(n + 1, dtype=np.int32) * width).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(block))


_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint16)


def _hex(values: np.ndarray, digits: int) -> np.ndarray:
    """The last `digits` lowercase hex digits of uint64 values, as a (rows x digits) block."""
    pairs = np.take(_HEX_PAIRS, values.astype(">u8").view(np.uint8))  # two digits a byte
    return pairs.view(np.uint8).reshape(-1, 16)[:, 16 - digits :]


@dataclass
class _Fields:
    """A chunk's events as codes and byte blocks: what JSON lines and Parquet columns share.

    Codes are int32 indices into pool groups; timestamps are Parts: date, time (, millis).
    """

    event_id: np.ndarray  # (rows x 16) hex
    session_id: np.ndarray  # (rows x 12) hex
    received_at: Parts  # 'YYYY-MM-DDTHH:MM:SS.mmmZ'
    tenant: np.ndarray
    event_type: np.ndarray
    occurred_at: Parts  # the browser's clock to the second, then occurred_end:
    occurred_end: np.ndarray  # fraction and offset, an index in the 'end' group
    sent_at: Parts
    sent_end: np.ndarray
    has_sent: np.ndarray
    user_open: np.ndarray  # prefix x ID_PADS index, or USER_NULL, USER_EMPTY, USER_OMITTED
    user_high: np.ndarray  # index in 'high': user number // 10**4
    user_low: np.ndarray  # index in 'low': the last four digits, zero-padded after 'high'
    user_pad: np.ndarray  # ID_PADS index
    anon_open: np.ndarray  # ID_PADS index, or ANON_NULL, ANON_OMITTED
    anonymous_id: np.ndarray  # (rows x 16) hex
    device: np.ndarray  # DEVICE_NAMES index; len(DEVICE_NAMES): null
    agent: np.ndarray  # UAS index; len(UAS): null
    page: np.ndarray  # tenant x PAGE_PATHS index; past the last: null
    preview: np.ndarray  # is_preview
    properties: np.ndarray

    @property
    def has_user(self) -> np.ndarray:
        return self.user_open < USER_OPENS

    @property
    def has_anon(self) -> np.ndarray:
        return self.anon_open < len(ID_PADS)


def _fields(world: _World, dicts: _Dictionaries, frame: Frame, salt: np.uint64) -> _Fields:
    """The values of a frame chunk's events (SPEC §2.1), per-event details hashed from its key.

    Hash use: h[0] type, identity, page; h[1] id padding; h[2] agent, property variant;
    the session's hash: clock format, sent_at, device_type (one SDK build).
    """
    key = frame["key"]
    h = [_mix(key ^ salt ^ np.uint64(0x9E37 * (i + 1))) for i in range(3)]
    kind, tenant, retry = frame["kind"], frame["tenant"], frame["retry"]
    received = frame["t_ms"] + frame["recv_delay"]
    type_index = kind.astype(np.int32) * 2**16 + h[0].astype(np.uint16)
    event_type = np.take(EVENT_TYPE_TABLE, type_index).astype(np.int32)
    # A conflicting retry: the SDK rebuilt the event, so its details differ from the original.
    conflict = retry == RETRY_CONFLICT
    event_type[conflict & (event_type == 0)] = 1
    per_session = _mix(frame["session"] ^ salt)
    occurred, sent, has_sent = _times(world, dicts, frame, per_session)
    user_open, high, low, user_pad, anon_open = _identity(
        frame, np.take(world.id_style, tenant), event_type, h[0], h[1]
    )
    device_missing = (_unit(per_session, 2) < 0.12) | (frame["device"] == BOT)  # UA decides
    no_agent = (_unit(h[2], 0) < 0.01) & (kind != BOT_KIND)
    page = (h[0] >> np.uint64(48)).astype(np.int32) % len(PAGE_PATHS)
    no_page = _unit(h[0], 2) < 0.02
    first = np.take(dicts.property_first, event_type)
    variant = ((h[2] >> np.uint64(33)).astype(np.int32) + conflict) % np.take(
        dicts.property_count, event_type
    )
    return _Fields(
        event_id=_hex(_mix(key ^ ~salt), 16),
        session_id=_hex(frame["session"], 12),
        received_at=[*dicts.clock(received), dicts.millis(received), b"Z"],
        tenant=tenant,
        event_type=event_type,
        occurred_at=occurred[0],
        occurred_end=occurred[1],
        sent_at=sent[0],
        sent_end=sent[1],
        has_sent=has_sent,
        user_open=user_open,
        user_high=high,
        user_low=low,
        user_pad=user_pad,
        anon_open=anon_open,
        anonymous_id=_hex(frame["browser"], 16),
        device=np.where(device_missing, len(DEVICE_NAMES), frame["device"]),
        agent=np.where(no_agent, len(UAS), frame["ua"]),
        page=np.where(no_page, len(dicts.pages), tenant * len(PAGE_PATHS) + page),
        preview=kind == PREVIEW,
        properties=first + variant,
    )


def _times(
    world: _World, dicts: _Dictionaries, frame: Frame, h: np.ndarray
) -> tuple[tuple[Parts, np.ndarray], tuple[Parts, np.ndarray], np.ndarray]:
    """occurred_at and sent_at on the session's skewed browser clock, Z or local offset.

    Each is a clock and its 'end' code (fraction, suffix); then whether sent_at is sent.
    """
    t = frame["t_ms"]
    skew = _session_skew(frame["session"])
    days = world.offsets.shape[1]
    day = np.clip((t - dicts.first_ms) // DAY_MS, 0, days - 1)
    style = _unit(h, 0)
    with_offset = style >= 0.75
    with_fraction = (style < 0.6) | (style >= 0.8)
    offset = np.take(world.offsets.ravel(), frame["tenant"] * days + day).astype(np.int32)
    offset = np.where(with_offset, offset, 0)
    suffix = np.where(with_offset, np.take(dicts.suffix_code, offset + OFFSET_SPAN), 0)
    has_sent = _unit(h, 1) >= 0.03  # older SDKs send no sent_at: R4 then trusts occurred_at
    # Without sent_at nothing corrects the clock, so keep it near: a clock minutes ahead
    # would make an unintended future_timestamp line (R1).
    skew = np.where(has_sent, skew, np.clip(skew, -3_000, 3_000))
    stamps = []
    for stamp in (t + skew, t + frame["sent_delay"] + skew):
        local = stamp + offset * 60_000
        fraction = np.where(with_fraction, 1 + (local % 1000).astype(np.int32), 0)
        stamps.append((dicts.clock(local), fraction * dicts.suffixes + suffix))
    return stamps[0], stamps[1], has_sent


def _session_skew(session: np.ndarray) -> np.ndarray:
    """Browser clock error per session: seconds for most, minutes for some (R4)."""
    u, v = _unit(session, 1), _unit(session, 2) - 0.5
    spread = np.where(u < 0.8, 6_000, np.where(u < 0.97, 600_000, 3_600_000))
    return (v * spread).astype(np.int64)


def _identity(
    frame: Frame, style: np.ndarray, event_type: np.ndarray, h: np.ndarray, h_pad: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """user_id / anonymous_id: both, one of them, padded with white space, null or omitted.

    Returns the user_id opening, 'high' and 'low' codes and padding, and the anonymous_id's.
    """
    kind = frame["kind"]
    identified = (kind == USER) | (kind == PREVIEW)
    u = _unit(h, 1)
    both = identified & ((u < 0.85) | (event_type == IDENTIFY) | (kind == PREVIEW))
    user_only = identified & ~both & (u >= 0.95)  # server-side calls carry no browser id
    has_user = both | user_only
    pad = np.where(_unit(h_pad, 0) < 0.004, 1 + (_unit(h_pad, 1) * 4).astype(np.int32), 0)
    anon_pad = np.where(_unit(h_pad, 2) < 0.004, 1 + (_unit(h_pad, 3) * 4).astype(np.int32), 0)
    # Visitors' missing user_id: omitted, null, or an empty string (absent too, R3).
    absent = np.where(u < 0.7, USER_OMITTED, np.where(u < 0.99, USER_NULL, USER_EMPTY))
    absent = np.where(kind == VISITOR, absent, USER_OMITTED)
    user_open = np.where(has_user, style * len(ID_PADS) + pad, absent)
    # Decimal digits from two dictionaries, 'high' then zero-padded 'low' (no per-row format).
    high, low = np.divmod(frame["user_num"].astype(np.int32), 10_000)
    low = np.where(high > 0, 10_000 + low, low)
    anon_absent = np.where(u < 0.975, ANON_OMITTED, ANON_NULL)
    anon_open = np.where(user_only, anon_absent, anon_pad)
    return user_open, high, low, pad, anon_open


def _json_lines(dicts: _Dictionaries, f: _Fields) -> pa.StringArray:
    """One JSON line per event, line break included; fixed-width fields first (key order
    is free in JSON), neighbours merged into one segment where their combinations are few."""
    lines = _Texts(dicts.json, len(f.tenant))
    n_agents, n_devices = len(UAS) + 1, len(DEVICE_NAMES) + 1
    has_user, has_anon = f.has_user, f.has_anon
    head = [b'{"event_id":"', f.event_id, b'","session_id":"', f.session_id]
    head += [b'","received_at":"', *f.received_at, b'","tenant_id":"', dicts.tenants(f.tenant)]
    lines.block([*head, b'","occurred_at":"', *f.occurred_at])
    lines.code("end", f.occurred_end)
    lines.block([b',"sent_at":"', *f.sent_at], f.has_sent)
    lines.code("end", f.sent_end, f.has_sent)
    lines.code("type_user", f.event_type * (USER_OMITTED + 1) + f.user_open)
    lines.code("high", f.user_high, has_user)
    lines.code("low", f.user_low, has_user)
    user_close = np.where(has_user, f.user_pad, NO_PAD)
    lines.code("close_anon", user_close * (ANON_OMITTED + 1) + f.anon_open)
    lines.block([f.anonymous_id], has_anon)
    anon_close = np.where(has_anon, f.anon_open, NO_PAD)
    lines.code("close_agent", (anon_close * n_devices + f.device) * n_agents + f.agent)
    lines.code("page", f.page)
    lines.code("tail", f.preview * len(dicts.properties) + f.properties)
    return lines.build()


def _columns(dicts: _Dictionaries, f: _Fields) -> pa.Table:
    """The same events as Parquet columns: RFC 3339 text, boolean is_preview, JSON properties."""
    n, raw = len(f.tenant), dicts.raw
    has_user, has_anon = f.has_user, f.has_anon
    user = _Texts(raw, n).code("user_open", f.user_open, has_user)
    user.code("high", f.user_high, has_user).code("low", f.user_low, has_user)
    anon = _Texts(raw, n).code("open_pad", f.anon_open, has_anon).block([f.anonymous_id], has_anon)
    properties = _dictionary_column(raw, "properties", f.properties)
    columns = {
        "event_id": _fixed_strings([f.event_id]),
        "tenant_id": _dictionary_column(raw, "tenant", f.tenant),
        "event_type": _dictionary_column(raw, "event_type", f.event_type),
        "occurred_at": _Texts(raw, n).block(f.occurred_at).code("end", f.occurred_end).build(),
        "sent_at": _Texts(raw, n).block(f.sent_at).code("end", f.sent_end).build(f.has_sent),
        "received_at": _fixed_strings(f.received_at),
        "user_id": user.code("close_pad", f.user_pad, has_user).build(
            has_user | (f.user_open == USER_EMPTY)
        ),
        "anonymous_id": anon.code("close_pad", f.anon_open, has_anon).build(has_anon),
        "session_id": _fixed_strings([f.session_id]),
        "device_type": _dictionary_column(raw, "device", f.device, len(DEVICE_NAMES)),
        "user_agent": _dictionary_column(raw, "agent", f.agent, len(UAS)),
        "page_url": _dictionary_column(raw, "page", f.page, len(dicts.pages)),
        "is_preview": _booleans(f.preview),
        "properties": pa.ExtensionArray.from_storage(pa.json_(), properties),
    }
    return pa.Table.from_pydict(columns, schema=PARQUET_SCHEMA)


def _booleans(values: np.ndarray) -> pa.Array:
    """An Arrow boolean array straight from bits (pa.array on NumPy imports pandas)."""
    bits = pa.py_buffer(np.packbits(values, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, bits])


def _dictionary_column(
    pool: _Pool, name: str, code: np.ndarray, null: int | None = None
) -> pa.StringArray:
    """One value per row from a pool group; `code == null` marks a null."""
    index = code.astype(np.int32)
    validity = None if null is None else pa.py_buffer(np.packbits(code != null, bitorder="little"))
    if validity is not None:
        index[code == null] = 0  # any index in range: the row is null
    positions = pa.Array.from_buffers(pa.int32(), len(index), [validity, pa.py_buffer(index)])
    return pool.group(name).take(positions)


# --------------------------------------------------------------------------- day files

FORMATS = ("jsonl.gz", "jsonl", "ndjson", "ndjson.gz", "parquet")
PARQUET_SCHEMA = pa.schema(
    [(name, pa.string()) for name in EVENT_COLUMNS[:-2]]
    + [("is_preview", pa.bool_()), ("properties", pa.json_())]
)
# Few distinct values: dictionary encoding pays. Ids and clocks would only fill dictionaries.
DICTIONARY_COLUMNS = [
    "tenant_id",
    "event_type",
    "device_type",
    "user_agent",
    "page_url",
    "properties",
]
WORKERS = 2  # SPEC §6 measures on two cores
BATCH_ROWS = 100_000  # days rendered together: per-call costs vanish, two workers stay busy
IN_FLIGHT = 1  # months queued while the next is drawn: 3 months in memory at most


@dataclass
class _Written:
    files: int = 0
    events: int = 0
    malformed: int = 0

    def add(self, other: _Written) -> None:
        self.files += other.files
        self.events += other.events
        self.malformed += other.malformed


@dataclass(frozen=True)
class _DayJob:
    day: int  # day index from the first day
    path: Path
    fmt: str
    rows: int  # events received that day
    malformed: tuple[int, ...]  # kind of each broken line (index in MALFORMED_KINDS)


@dataclass(frozen=True)
class _Batch:
    """Consecutive days of one kind (JSON lines or Parquet) and their events in order."""

    frame: Frame
    jobs: list[_DayJob]


def _write_events(
    folder: Path,
    world: _World,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None,
) -> _Written:
    """One file per UTC day of receipt; months are drawn while earlier ones are written."""
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
    with ThreadPoolExecutor(max_workers=WORKERS) as workers:
        pending: deque[list[Future[_Written]]] = deque()
        for month in range(plan.options.months):
            days = plan.month_days(month)
            if not len(days):
                break
            rows, first_key = _month_rows(world, month, rng, first_key, carry)
            frame, cuts, carry = _received_by_day(plan, rows, days)
            jobs, cycle = _day_jobs(folder, plan, formats, days, np.diff(cuts), rng, cycle)
            batches = _batches(frame, cuts, jobs)
            pending.append([workers.submit(_write_batch, world, dicts, b, salt) for b in batches])
            while len(pending) > IN_FLIGHT:
                _collect(pending.popleft(), written, report, target)
        while pending:
            _collect(pending.popleft(), written, report, target)
    report(target, target)
    return written


def _month_rows(
    world: _World, month: int, rng: np.random.Generator, first_key: int, carry: Frame | None
) -> tuple[Frame, int]:
    """A month's events after the previous month's late ones, and the next month's first key;
    the parts die on return, so only the concatenation stays in memory (SPEC §6 at 100 M)."""
    frame, copies = _month_frame(world, month, rng, first_key)
    parts = [frame, copies] if carry is None else [carry, frame, copies]
    return _concat(parts), first_key + len(frame["key"])


def _day_jobs(
    folder: Path,
    plan: _Plan,
    formats: np.ndarray,
    days: np.ndarray,
    rows: np.ndarray,
    rng: np.random.Generator,
    cycle: int,
) -> tuple[list[_DayJob], int]:
    """One job per day; broken lines go to JSON days, their kinds taken round-robin."""
    jobs = []
    for day, count in zip(days.tolist(), rows.tolist(), strict=True):
        fmt = FORMATS[formats[day]]
        rate = 0.0 if fmt == "parquet" else plan.options.malformed_rate
        bad = rng.binomial(count, rate)
        kinds = tuple(MALFORMED_CYCLE[(cycle + j) % len(MALFORMED_CYCLE)] for j in range(bad))
        cycle += bad
        jobs.append(_DayJob(day, _day_path(folder, plan, day, fmt), fmt, count, kinds))
    return jobs, cycle


def _batches(frame: Frame, cuts: np.ndarray, jobs: list[_DayJob]) -> list[_Batch]:
    """Runs of JSON days closed once they hold BATCH_ROWS events; each Parquet day alone."""
    batches, first = [], 0
    for i, job in enumerate(jobs):
        kind_ends = i + 1 == len(jobs) or "parquet" in (job.fmt, jobs[i + 1].fmt)
        if kind_ends or cuts[i + 1] - cuts[first] >= BATCH_ROWS:
            rows = slice(int(cuts[first]), int(cuts[i + 1]))
            batches.append(_Batch(_take(frame, rows), jobs[first : i + 1]))
            first = i + 1
    return batches


def _collect(
    futures: list[Future[_Written]],
    written: _Written,
    report: Callable[[int, int], None],
    total: int,
) -> None:
    for future in futures:
        written.add(future.result())
        report(min(written.events, total), total)


def _day_formats(rng: np.random.Generator, days: int) -> np.ndarray:
    """Mostly gzipped JSON lines; every other format on at least one day when there are five."""
    formats = rng.choice(len(FORMATS), size=days, p=[0.8, 0.05, 0.05, 0.05, 0.05])
    if days >= len(FORMATS):
        formats[rng.choice(days, len(FORMATS) - 1, replace=False)] = np.arange(1, len(FORMATS))
    return formats


def _received_by_day(
    plan: _Plan, frame: Frame, days: np.ndarray
) -> tuple[Frame, np.ndarray, Frame]:
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
    carry = _take(frame, slice(cuts[-1], None))
    return _take(frame, slice(cuts[0], cuts[-1])), cuts - cuts[0], carry


def _day_path(folder: Path, plan: _Plan, day: int, fmt: str) -> Path:
    when = plan.start + timedelta(days=day)
    return folder / f"{when:%Y/%m/%d}" / f"events-{when:%Y-%m-%d}.{fmt}"


def _write_batch(world: _World, dicts: _Dictionaries, batch: _Batch, salt: np.uint64) -> _Written:
    """Render a batch chunk by chunk and hand each day file its rows, in order."""
    parquet = batch.jobs[0].fmt == "parquet"
    stream = _Stream(_rendered(world, dicts, batch.frame, salt, parquet))
    for job in batch.jobs:
        job.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary(job.path)
        if parquet:
            _write_parquet(temporary, stream.take(job.rows))
        else:
            _write_lines(world, job, temporary, stream.take(job.rows))
        os.replace(temporary, job.path)
    events = sum(job.rows for job in batch.jobs)
    malformed = sum(len(job.malformed) for job in batch.jobs)
    return _Written(len(batch.jobs), events, malformed)


def _rendered(
    world: _World, dicts: _Dictionaries, frame: Frame, salt: np.uint64, parquet: bool
) -> Iterator[pa.StringArray | pa.Table]:
    """The events rendered CHUNK_ROWS at a time: JSON lines, or Parquet columns."""
    for start in range(0, len(frame["key"]), CHUNK_ROWS):
        fields = _fields(world, dicts, _take(frame, slice(start, start + CHUNK_ROWS)), salt)
        yield _columns(dicts, fields) if parquet else _json_lines(dicts, fields)


class _Stream:
    """Rendered chunks handed out as runs of rows, wherever the chunks end."""

    def __init__(self, chunks: Iterator[pa.StringArray | pa.Table]) -> None:
        self._chunks = chunks
        self._rest: pa.StringArray | pa.Table | None = None  # rows not handed out yet

    def take(self, count: int) -> Iterator[pa.StringArray | pa.Table]:
        while count:
            if self._rest is None or not len(self._rest):
                self._rest = next(self._chunks)
            part = self._rest.slice(0, count)
            self._rest = self._rest.slice(len(part))
            count -= len(part)
            yield part


def _write_lines(
    world: _World, job: _DayJob, temporary: Path, parts: Iterator[pa.StringArray]
) -> None:
    """JSON lines as they come, gzipped or not; the day's broken lines go in at random rows."""
    bad, where = _malformed_lines(world, job)
    # Level 1: compression is the main cost of generation, and the ratio barely matters.
    gzipped = job.fmt.endswith(".gz")
    packer = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31) if gzipped else None
    with open(temporary, "wb") as handle:

        def write(data: bytes | memoryview) -> None:
            handle.write(data if packer is None else packer.compress(data))

        row, taken = 0, 0
        for lines in parts:
            data, offsets = _line_bytes(lines)
            cursor = int(offsets[0])
            while taken < len(bad) and where[taken] <= row + len(lines):
                cut = int(offsets[where[taken] - row])
                write(data[cursor:cut])
                write(bad[taken])
                cursor, taken = cut, taken + 1
            write(data[cursor : int(offsets[-1])])
            row += len(lines)
        for line in bad[taken:]:  # a day without events: its broken lines only
            write(line)
        if packer is not None:
            handle.write(packer.flush())


def _line_bytes(lines: pa.StringArray) -> tuple[memoryview, np.ndarray]:
    """The bytes under a (sliced) string array, and where each line starts, plus the end."""
    start = lines.offset
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[start : start + len(lines) + 1]
    return memoryview(lines.buffers()[2]), offsets.astype(np.int64)


def _write_parquet(temporary: Path, parts: Iterator[pa.Table]) -> None:
    """One row group per rendered chunk; an empty day is a valid file without rows."""
    with pq.ParquetWriter(temporary, PARQUET_SCHEMA, use_dictionary=DICTIONARY_COLUMNS) as writer:
        for table in parts:
            writer.write_table(table)


def _malformed_lines(world: _World, job: _DayJob) -> tuple[list[bytes], list[int]]:
    """A day's broken lines and the row each goes before, drawn from the day's own seed."""
    # Python's generator: a few scalar draws a line, where NumPy's cost microseconds each.
    rng = random.Random(f"malformed/{world.plan.options.seed}/{job.day}")
    day_ms = world.plan.start_ms + job.day * DAY_MS
    span = min(DAY_MS, world.plan.cutoff_ms - day_ms)
    bad = [
        _malformed_line(world, rng, kind, day_ms + rng.randrange(span)) for kind in job.malformed
    ]
    return bad, sorted(rng.randrange(job.rows + 1) for _ in bad)


def _malformed_line(world: _World, rng: random.Random, kind: int, received_ms: int) -> bytes:
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
