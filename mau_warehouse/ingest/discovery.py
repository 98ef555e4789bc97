"""Finding landing files and fingerprinting their content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError

EVENT_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".parquet")
ACCOUNT_FILES = ("plans.csv", "tenants.csv", "subscriptions.csv")


@dataclass(frozen=True)
class LandingFile:
    path: Path
    display_name: str  # relative to the landing folder when inside it
    kind: str  # events | accounts | requests (erasure requests, R17)

    @property
    def is_parquet(self) -> bool:
        return self.path.name.endswith(".parquet")


def is_event_file(path: Path) -> bool:
    return path.name.endswith(EVENT_SUFFIXES) and not path.name.startswith(".")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _display_name(path: Path, landing_dir: Path) -> str:
    try:
        return path.resolve().relative_to(landing_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def is_request_file(path: Path) -> bool:
    return path.parent.name == "requests" and path.suffix == ".csv"


def _classify(path: Path, landing_dir: Path) -> LandingFile | None:
    if is_request_file(path):
        return LandingFile(path, _display_name(path, landing_dir), "requests")
    if is_event_file(path):
        return LandingFile(path, _display_name(path, landing_dir), "events")
    if path.name in ACCOUNT_FILES:
        return LandingFile(path, _display_name(path, landing_dir), "accounts")
    return None


def _explicit(paths: list[Path], landing_dir: Path) -> list[LandingFile]:
    found: list[LandingFile] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                f for f in (_classify(p, landing_dir) for p in path.rglob("*") if p.is_file()) if f
            )
        elif path.is_file():
            landing_file = _classify(path, landing_dir)
            if landing_file is None:
                raise MauError(f"not an event, account or erasure request file: {path}")
            found.append(landing_file)
        else:
            raise MauError(f"no such file or folder: {path}")
    return found


def _whole_landing(landing_dir: Path) -> list[LandingFile]:
    if not landing_dir.is_dir():
        raise MauError(
            f"landing folder {landing_dir} does not exist: set MAU_HOME or run `mau generate`"
        )
    found = [
        LandingFile(landing_dir / "accounts" / name, f"accounts/{name}", "accounts")
        for name in ACCOUNT_FILES
        if (landing_dir / "accounts" / name).is_file()
    ]
    requests_dir = landing_dir / "requests"
    if requests_dir.is_dir():
        found.extend(
            LandingFile(p, _display_name(p, landing_dir), "requests")
            for p in requests_dir.glob("*.csv")
            if p.is_file()
        )
    events_dir = landing_dir / "events"
    if events_dir.is_dir():
        found.extend(
            LandingFile(p, _display_name(p, landing_dir), "events")
            for p in events_dir.rglob("*")
            if p.is_file() and is_event_file(p)
        )
    return found


def discover(landing_dir: Path, paths: list[Path] | None = None) -> list[LandingFile]:
    """Files to consider, in a stable order: accounts, erasure requests (so that a load
    never stores a person erased in the same run), then events, each by path."""
    found = _explicit(paths, landing_dir) if paths else _whole_landing(landing_dir)
    unique = {f.path.resolve(): f for f in found}
    order = {"accounts": 0, "requests": 1, "events": 2}
    return sorted(unique.values(), key=lambda f: (order[f.kind], f.display_name))


def loaded_file_states(settings: Settings) -> dict[str, list[int]]:
    """[size, modification time] of every landing file as the loader last saw it, by
    display name: what a watcher that starts now has in effect seen already. Empty
    before the first load."""
    from mau_warehouse.warehouse import open_database

    if not settings.warehouse_path.exists():
        return {}
    con = open_database(settings.warehouse_path, settings, read_only=True)
    try:
        rows = con.execute(
            "select file_path, size_bytes, modified_ns from raw.landing_file_stats"
        ).fetchall()
    finally:
        con.close()
    return {path: [size, modified] for path, size, modified in rows}
