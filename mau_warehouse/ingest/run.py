"""Loading new landing files into the raw layer, idempotently and atomically.

A file's content is loaded once (the ledger keys on its SHA-256, R2); files are
loaded in batches, each batch in one transaction, so a killed run leaves every
file either loaded entirely or not at all (SPEC §7).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

import duckdb

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.ingest import accounts
from mau_warehouse.ingest.devices import register_device_classes
from mau_warehouse.ingest.discovery import LandingFile, discover, sha256_of
from mau_warehouse.ingest.lines import UnreadableFile, read_lines
from mau_warehouse.warehouse import connect_writer

Progress = Callable[[str], None]
# Every character Python's str.strip() removes: R3 trims surrounding white space,
# Unicode spaces included.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@dataclass
class FileResult:
    """What one file contributed (SPEC §5): lines = accepted + duplicates + quarantined."""

    file: str
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    status: str = "loaded"  # loaded | unreadable
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "file": self.file,
            "lines": self.lines,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
        }
        if self.error:
            document["error"] = self.error
        return document


def _batch_bytes() -> int:
    return int(os.environ.get("MAU_INGEST_BATCH_BYTES", 256 * 1024 * 1024))


def _sql(name: str) -> str:
    return resources.files("mau_warehouse").joinpath(f"sql/{name}").read_text()


def _loaded_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select content_sha256 from raw.load_ledger").fetchall()}


def _write_ledger(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    landing_file: LandingFile,
    digest: str,
    result: FileResult,
    loaded_at: datetime,
) -> None:
    con.execute(
        """
        insert into raw.load_ledger values (
            $load_id, $file, $kind, $digest, $size, $lines, $accepted, $duplicates,
            $quarantined, $status, $error, $loaded_at
        )
        """,
        {
            "load_id": load_id,
            "file": landing_file.display_name,
            "kind": landing_file.kind,
            "digest": digest,
            "size": landing_file.path.stat().st_size,
            "lines": result.lines,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "quarantined": sum(result.quarantined.values()),
            "status": result.status,
            "error": result.error,
            "loaded_at": loaded_at,
        },
    )


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select nextval('raw.load_id_seq')").fetchall()[0][0]


def _load_accounts(
    con: duckdb.DuckDBPyConnection, files: list[LandingFile], progress: Progress
) -> list[FileResult]:
    known_plans = {row[0] for row in con.execute("select plan_id from raw.plans").fetchall()}
    validator = accounts.AccountValidator(con, known_plans or accounts.default_plan_ids())
    pending: list[tuple[LandingFile, str, accounts.AccountTable]] = []
    # plans.csv is validated first so that subscriptions are checked against the new catalogue.
    for landing_file in sorted(files, key=lambda f: f.path.name != "plans.csv"):
        digest = sha256_of(landing_file.path)
        latest = con.execute(
            """
            select content_sha256 from raw.load_ledger
            where file_path = $file order by load_id desc limit 1
            """,
            {"file": landing_file.display_name},
        ).fetchall()
        if latest and latest[0][0] == digest:
            continue
        parsed = accounts.parse(landing_file.path, landing_file.display_name, validator)
        pending.append((landing_file, digest, parsed))
    loaded_at = datetime.now(UTC)
    results = []
    con.begin()
    try:
        for landing_file, digest, parsed in pending:
            accounts.replace(con, parsed, loaded_at)
            result = FileResult(landing_file.display_name, len(parsed.rows), len(parsed.rows))
            _write_ledger(con, _next_load_id(con), landing_file, digest, result, loaded_at)
            results.append(result)
            progress(f"loaded {landing_file.display_name}: {len(parsed.rows)} rows")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return results


def _batches(files: list[tuple[LandingFile, str]]) -> list[list[tuple[LandingFile, str]]]:
    limit = _batch_bytes()
    batches: list[list[tuple[LandingFile, str]]] = []
    current: list[tuple[LandingFile, str]] = []
    size = 0
    for item in files:
        item_size = item[0].path.stat().st_size
        if current and size + item_size > limit:
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        batches.append(current)
    return batches


def _load_event_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[LandingFile, str]],
    key: str,
    progress: Progress,
) -> list[FileResult]:
    loaded_at = datetime.now(UTC)
    con.begin()
    try:
        con.execute(
            "create or replace temp table batch_lines "
            "(load_id integer, line_number bigint, raw_line varchar, line_bytes bigint,"
            " is_utf8 boolean)"
        )
        files: dict[int, tuple[LandingFile, str, FileResult]] = {}
        for landing_file, digest in batch:
            load_id = _next_load_id(con)
            result = FileResult(landing_file.display_name)
            try:
                lines = read_lines(con, landing_file)
            except UnreadableFile as exc:
                result.status, result.error = "unreadable", f"unreadable: {exc}"
            else:
                con.register("file_lines", lines)
                con.execute(
                    "insert into batch_lines "
                    "select $load_id, line_number, raw_line, line_bytes, is_utf8 from file_lines",
                    {"load_id": load_id},
                )
                con.unregister("file_lines")
            files[load_id] = (landing_file, digest, result)
        con.execute(
            _sql("classify_event_lines.sql"),
            {"key": key, "loaded_at": loaded_at, "whitespace": WHITESPACE},
        )
        counts = con.execute(_sql("count_event_lines.sql")).fetchall()
        for load_id, reason, lines, accepted in counts:
            result = files[load_id][2]
            result.lines += lines
            if reason is None:
                result.accepted += accepted
                result.duplicates += lines - accepted
            else:
                result.quarantined[reason] = lines
        register_device_classes(con)
        for statement in _sql("insert_event_lines.sql").split(";\n"):
            if statement.strip():
                con.execute(statement, {"loaded_at": loaded_at})
        for load_id, (landing_file, digest, result) in files.items():
            _write_ledger(con, load_id, landing_file, digest, result, loaded_at)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    results = [result for _, _, result in files.values()]
    for result in results:
        progress(_describe(result))
    return results


def _describe(result: FileResult) -> str:
    if result.error:
        return f"{result.file}: {result.error}"
    return (
        f"loaded {result.file}: {result.lines} lines, {result.accepted} accepted, "
        f"{result.duplicates} duplicates, {sum(result.quarantined.values())} quarantined"
    )


def ingest(
    settings: Settings,
    paths: list | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Load every new account and event file; return what each new file contributed."""
    say = progress or (lambda _message: None)
    files = discover(settings.landing_dir, paths)
    key = settings.pseudonym_key()
    con = connect_writer(settings)
    try:
        results = _load_accounts(con, [f for f in files if f.kind == "accounts"], say)
        loaded = _loaded_hashes(con)
        new_events: list[tuple[LandingFile, str]] = []
        for landing_file in (f for f in files if f.kind == "events"):
            digest = sha256_of(landing_file.path)
            if digest in loaded:
                continue
            loaded.add(digest)  # the same content twice in one call loads once too
            new_events.append((landing_file, digest))
        skipped = sum(1 for f in files if f.kind == "events") - len(new_events)
        if skipped:
            say(f"{skipped} event file(s) already loaded, skipped")
        for batch in _batches(new_events):
            results.extend(_load_event_batch(con, batch, key, say))
    except duckdb.Error as exc:
        raise MauError(f"ingestion failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    return results
