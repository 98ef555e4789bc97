"""Every constant string of a run, and the codes that point into it.

`Dictionaries` builds two pools a run, segments of JSON lines and raw values for Parquet,
and lookup tables for dates, times of day, milliseconds and tenant ids. The code
constants name the entries of the id groups: padded, null, empty or omitted ids (R3).
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from mau_warehouse.tools.workload.scenario import DAY_MS, World, date_ms
from mau_warehouse.tools.workload.text import Pool, fixed_block, text_table, two_digits
from mau_warehouse.tools.workload.vocabulary import (
    DEVICE_NAMES,
    EVENT_TYPES,
    PAGE_PATHS,
    UAS,
    USER_ID_PREFIXES,
)

HIGH_DIGITS = 10_000  # user numbers stay below 10**8: 'high' digits then 4 'low' digits
OFFSET_SPAN = 16 * 60  # UTC offsets lie within ±16 h
ID_PADS = (("", ""), (" ", ""), ("", " "), (" ", " "), ("\t", ""))  # R3 trimming cases

# A user_id opens with padding and the tenant's prefix, or is null, "" or left out (R3).
USER_OPENS = len(USER_ID_PREFIXES) * len(ID_PADS)
USER_NULL, USER_EMPTY, USER_OMITTED = USER_OPENS, USER_OPENS + 1, USER_OPENS + 2
ANON_NULL, ANON_OMITTED = len(ID_PADS), len(ID_PADS) + 1  # else an anonymous_id's ID_PADS
NO_PAD = len(ID_PADS)  # the closing pad of an id that is not there


class Dictionaries:
    """Every constant string of a run, and lookup tables for per-row text."""

    def __init__(self, world: World) -> None:
        plan = world.plan
        self.first_ms = date_ms(plan.start) - 3 * DAY_MS  # day 0 of world.offsets
        days = [plan.start + timedelta(days=d - 3) for d in range(plan.days + 6)]
        self._dates = text_table([f"{d:%Y-%m-%d}T" for d in days])
        seconds = np.arange(86_400)
        hours, minutes = two_digits(seconds // 3600), two_digits(seconds // 60 % 60)
        self._times = fixed_block([hours, b":", minutes, b":", two_digits(seconds % 60)])
        self._millis = text_table([f".{ms:03d}" for ms in range(1000)])
        self.tenant_text = text_table(world.tenant_ids)  # tenant ids share one width
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
        self.json = Pool(self._json_groups(ends, digits))
        self.raw = Pool(self._raw_groups(world, ends, digits))

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
        self, world: World, ends: list[str], digits: dict[str, list[str]]
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
