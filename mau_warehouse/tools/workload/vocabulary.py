"""The fixed vocabulary of synthetic tenants and their traffic (SPEC §2, §5).

Plans and their limits, billing time zones, company names, user agents by device class,
page paths, event types and how often each kind of person sends each, and the shares of
bot, preview and resent traffic. Only constants: a run's draws are made in `scenario`
and `timelines`.
"""

from __future__ import annotations

import numpy as np

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

# Traffic on top of the human events, as shares of them: resent copies, bots, previews.
RETRY_RATE = 0.01
BOT_RATE = 0.005
PREVIEW_RATE = 0.003
