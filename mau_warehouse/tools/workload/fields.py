"""The values of a chunk of events (SPEC §2.1) as codes and byte blocks.

Per-event details (event type, identity fields, formats, clock skew) are hashed from a
unique event key, so a retried copy renders the same content wherever it lands, and how
rows are cut into chunks never changes the content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mau_warehouse.tools.workload.dictionaries import (
    ANON_NULL,
    ANON_OMITTED,
    ID_PADS,
    OFFSET_SPAN,
    USER_EMPTY,
    USER_NULL,
    USER_OMITTED,
    USER_OPENS,
    Dictionaries,
)
from mau_warehouse.tools.workload.hashing import mix, unit
from mau_warehouse.tools.workload.scenario import DAY_MS, World
from mau_warehouse.tools.workload.text import Parts, hex_digits
from mau_warehouse.tools.workload.timelines import RETRY_CONFLICT, Frame
from mau_warehouse.tools.workload.vocabulary import (
    BOT,
    BOT_KIND,
    DEVICE_NAMES,
    EVENT_TYPE_TABLE,
    IDENTIFY,
    PAGE_PATHS,
    PREVIEW,
    UAS,
    USER,
    VISITOR,
)


@dataclass
class Fields:
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


def event_fields(world: World, dicts: Dictionaries, frame: Frame, salt: np.uint64) -> Fields:
    """The values of a frame chunk's events (SPEC §2.1), per-event details hashed from its key.

    Hash use: h[0] type, identity, page; h[1] id padding; h[2] agent, property variant;
    the session's hash: clock format, sent_at, device_type (one SDK build).
    """
    key = frame["key"]
    h = [mix(key ^ salt ^ np.uint64(0x9E37 * (i + 1))) for i in range(3)]
    kind, tenant, retry = frame["kind"], frame["tenant"], frame["retry"]
    received = frame["t_ms"] + frame["recv_delay"]
    type_index = kind.astype(np.int32) * 2**16 + h[0].astype(np.uint16)
    event_type = np.take(EVENT_TYPE_TABLE, type_index).astype(np.int32)
    # A conflicting retry: the SDK rebuilt the event, so its details differ from the original.
    conflict = retry == RETRY_CONFLICT
    event_type[conflict & (event_type == 0)] = 1
    per_session = mix(frame["session"] ^ salt)
    occurred, sent, has_sent = _times(world, dicts, frame, per_session)
    user_open, high, low, user_pad, anon_open = _identity(
        frame, np.take(world.id_style, tenant), event_type, h[0], h[1]
    )
    device_missing = (unit(per_session, 2) < 0.12) | (frame["device"] == BOT)  # UA decides
    no_agent = (unit(h[2], 0) < 0.01) & (kind != BOT_KIND)
    page = (h[0] >> np.uint64(48)).astype(np.int32) % len(PAGE_PATHS)
    no_page = unit(h[0], 2) < 0.02
    first = np.take(dicts.property_first, event_type)
    variant = ((h[2] >> np.uint64(33)).astype(np.int32) + conflict) % np.take(
        dicts.property_count, event_type
    )
    return Fields(
        event_id=hex_digits(mix(key ^ ~salt), 16),
        session_id=hex_digits(frame["session"], 12),
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
        anonymous_id=hex_digits(frame["browser"], 16),
        device=np.where(device_missing, len(DEVICE_NAMES), frame["device"]),
        agent=np.where(no_agent, len(UAS), frame["ua"]),
        page=np.where(no_page, len(dicts.pages), tenant * len(PAGE_PATHS) + page),
        preview=kind == PREVIEW,
        properties=first + variant,
    )


def _times(
    world: World, dicts: Dictionaries, frame: Frame, h: np.ndarray
) -> tuple[tuple[Parts, np.ndarray], tuple[Parts, np.ndarray], np.ndarray]:
    """occurred_at and sent_at on the session's skewed browser clock, Z or local offset.

    Each is a clock and its 'end' code (fraction, suffix); then whether sent_at is sent.
    """
    t = frame["t_ms"]
    skew = _session_skew(frame["session"])
    days = world.offsets.shape[1]
    day = np.clip((t - dicts.first_ms) // DAY_MS, 0, days - 1)
    style = unit(h, 0)
    with_offset = style >= 0.75
    with_fraction = (style < 0.6) | (style >= 0.8)
    offset = np.take(world.offsets.ravel(), frame["tenant"] * days + day).astype(np.int32)
    offset = np.where(with_offset, offset, 0)
    suffix = np.where(with_offset, np.take(dicts.suffix_code, offset + OFFSET_SPAN), 0)
    has_sent = unit(h, 1) >= 0.03  # older SDKs send no sent_at: R4 then trusts occurred_at
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
    u, v = unit(session, 1), unit(session, 2) - 0.5
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
    u = unit(h, 1)
    both = identified & ((u < 0.85) | (event_type == IDENTIFY) | (kind == PREVIEW))
    user_only = identified & ~both & (u >= 0.95)  # server-side calls carry no browser id
    has_user = both | user_only
    pad = np.where(unit(h_pad, 0) < 0.004, 1 + (unit(h_pad, 1) * 4).astype(np.int32), 0)
    anon_pad = np.where(unit(h_pad, 2) < 0.004, 1 + (unit(h_pad, 3) * 4).astype(np.int32), 0)
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
