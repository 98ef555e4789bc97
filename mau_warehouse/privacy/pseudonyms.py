"""The R17 keyed hashes, in Python: the same as the loader computes in SQL.

A pseudonym is a secret-prefixed SHA-256 of the trimmed id, scoped by tenant and by
kind of id (mau_warehouse/sql/classify_event_lines.sql). The suppression list keeps
a second keyed hash of each erased pseudonym, so that it never holds the pseudonym
itself: a search for an erased person's pseudonym finds nothing, yet the loader can
still recognise their lines.
"""

from __future__ import annotations

import hashlib

SEPARATOR = chr(31)
ID_KINDS = ("user", "anonymous")


def pseudonym(key: str, tenant_id: str, kind: str, raw_id: str) -> str:
    """R3 trims the id; R17 hashes it with the key, the tenant and the kind of id."""
    text = SEPARATOR.join((key, tenant_id, kind, raw_id.strip()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def suppression_digest(key: str, pseudonym_value: str) -> str:
    """What the suppression list stores for an erased pseudonym (see the SQL twin in
    mau_warehouse/sql/suppress_event_lines.sql)."""
    text = SEPARATOR.join((key, "suppressed", pseudonym_value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
