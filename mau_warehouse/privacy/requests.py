"""Erasure request files: `landing/requests/*.csv`, applied by the next run before its load (R17).

Columns: request_id, tenant_id, and user_id or anonymous_id (one of the two per row);
requested_at (ISO 8601) is optional. A file is applied once (the load ledger keys on
its content); a malformed file stops the load with a one-line error naming the file
and line, and nothing of it is applied: an erasure request is never skipped silently.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from mau_warehouse.errors import MauError
from mau_warehouse.privacy.erasure import ErasureRequest

REQUIRED_COLUMNS = ("request_id", "tenant_id")
ID_COLUMNS = ("user_id", "anonymous_id")


def _requested_at(value: str, where: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise MauError(f"{where}: requested_at {value!r} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_request_file(path: Path, display_name: str) -> list[ErasureRequest]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or ())
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing or not columns & set(ID_COLUMNS):
                raise MauError(
                    f"{display_name}: needs columns request_id, tenant_id and user_id or "
                    "anonymous_id"
                )
            requests = []
            for row in reader:
                where = f"{display_name} line {reader.line_num}"
                try:
                    requests.append(
                        ErasureRequest(
                            request_id=(row.get("request_id") or "").strip(),
                            tenant_id=(row.get("tenant_id") or "").strip(),
                            user_id=row.get("user_id") or None,
                            anonymous_id=row.get("anonymous_id") or None,
                            source=display_name,
                            requested_at=_requested_at(row.get("requested_at") or "", where),
                        )
                    )
                except MauError as exc:
                    raise MauError(f"{where}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise MauError(f"{display_name}: not UTF-8 text") from exc
    return requests
