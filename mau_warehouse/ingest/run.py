"""Loading new landing files into the raw layer, idempotently and atomically.

A file's content is loaded once (the ledger keys on its SHA-256, R2); files are
loaded in batches, each batch in one transaction, so a killed run leaves every
file either loaded entirely or not at all (SPEC §7).

Within a batch, a background thread reads files in pieces of lines while DuckDB
classifies and inserts the lines already read, one chunk of about CHUNK_BYTES
at a time: memory depends on these sizes, not on the size of a batch or a file
(SPEC §6). The ingest report's counts are read back from the raw tables once the
whole batch is in.

Erasure request files (R17) are applied by apply_erasure_requests, which the pipeline
runs as a step of its own before this load, so that the load consults the
suppressions they add.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources

import duckdb
import numpy as np
import pyarrow as pa

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.ingest import accounts
from mau_warehouse.ingest.devices import register_device_classes
from mau_warehouse.ingest.discovery import LandingFile, discover, sha256_of
from mau_warehouse.ingest.lines import LINE_SCHEMA, UnreadableFile, read_lines
from mau_warehouse.ingest.prefetch import Prefetch
from mau_warehouse.privacy.erasure import erase
from mau_warehouse.privacy.requests import read_request_file
from mau_warehouse.warehouse import connect_writer, reading_cursor

Progress = Callable[[str], None]
# Every character Python's str.strip() removes: R3 trims surrounding white space,
# Unicode spaces included.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
# Text bytes classified per DuckDB pass. Lines stream through the pass, so this
# bounds the classified rows DuckDB holds (about two thirds of the text), not
# what Python holds; fewer passes mean fewer partial row groups to rewrite.
CHUNK_BYTES = 256 * 1024 * 1024
# Rows per Arrow record batch handed to DuckDB, which scans batches in parallel.
SCAN_ROWS = 16 * 1024
# Pieces (each up to lines.PIECE_BYTES) read ahead of DuckDB's scan.
READ_AHEAD = 4
# Threads hashing files: hashlib releases the GIL, so two files hash at once.
HASH_THREADS = 2


@dataclass
class FileResult:
    """What one file contributed (SPEC §5): lines = accepted + duplicates + quarantined
    + suppressed (lines of erased persons, R17)."""

    file: str
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
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
        if self.suppressed:
            document["suppressed"] = self.suppressed
        if self.error:
            document["error"] = self.error
        return document


def _batch_bytes() -> int:
    return int(os.environ.get("MAU_INGEST_BATCH_BYTES", 256 * 1024 * 1024))


@cache
def _sql(name: str) -> str:
    return resources.files("mau_warehouse").joinpath(f"sql/{name}").read_text()


def _statements(name: str) -> list[str]:
    return [statement for statement in _sql(name).split(";\n") if statement.strip()]


def _loaded_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select content_sha256 from raw.load_ledger").fetchall()}


def _digests(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[str]:
    """Each file's content hash: remembered while its size and mtime stay, else computed.

    A file rewritten with the same size and the same nanosecond mtime would be taken
    for its old content; collectors write new files (or rename new content in), which
    always changes the mtime.
    """
    known = {
        path: (size, modified, digest)
        for path, size, modified, digest in con.execute(
            "select file_path, size_bytes, modified_ns, content_sha256 from raw.landing_file_stats"
        ).fetchall()
    }
    stats = [f.path.stat() for f in files]
    digests: list[str | None] = [
        known[f.display_name][2]
        if known.get(f.display_name, (None, None))[:2] == (stat.st_size, stat.st_mtime_ns)
        else None
        for f, stat in zip(files, stats, strict=True)
    ]
    unknown = [i for i, digest in enumerate(digests) if digest is None]
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        hashed = pool.map(sha256_of, [files[i].path for i in unknown])
        for i, digest in zip(unknown, hashed, strict=True):
            digests[i] = digest
    if unknown:
        rows = pa.table(
            {
                "file_path": [files[i].display_name for i in unknown],
                "size_bytes": [stats[i].st_size for i in unknown],
                "modified_ns": [stats[i].st_mtime_ns for i in unknown],
                "content_sha256": [digests[i] for i in unknown],
            }
        )
        con.register("new_file_stats", rows)
        con.execute("insert or replace into raw.landing_file_stats select * from new_file_stats")
        con.unregister("new_file_stats")
    return [digest for digest in digests if digest is not None]


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
        insert into raw.load_ledger (
            load_id, file_path, file_kind, content_sha256, size_bytes, lines, accepted,
            duplicates, quarantined, status, error, loaded_at, suppressed
        ) values (
            $load_id, $file, $kind, $digest, $size, $lines, $accepted, $duplicates,
            $quarantined, $status, $error, $loaded_at, $suppressed
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
            "suppressed": result.suppressed,
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


def _apply_requests(
    con: duckdb.DuckDBPyConnection,
    files: list[LandingFile],
    loaded: set[str],
    key: str,
    progress: Progress,
) -> list[FileResult]:
    """Honour the requests of the request files whose content is not in `loaded` (the
    ledger's content hashes), all in one transaction (R17). A file that cannot be read
    stops it before anything is applied."""
    pending = []
    for landing_file in files:
        digest = sha256_of(landing_file.path)
        if digest not in loaded:
            loaded.add(digest)  # the same content twice in one call is applied once
            requests = read_request_file(landing_file.path, landing_file.display_name)
            pending.append((landing_file, digest, requests))
    loaded_at = datetime.now(UTC)
    results = []
    con.begin()
    try:
        for landing_file, digest, requests in pending:
            done = [e for e in (erase(con, key, r) for r in requests) if e is not None]
            result = FileResult(landing_file.display_name, len(requests), len(done))
            _write_ledger(con, _next_load_id(con), landing_file, digest, result, loaded_at)
            results.append(result)
            progress(
                f"applied {landing_file.display_name}: {len(done)} erasure request(s), "
                f"{len(requests) - len(done)} already honoured"
            )
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


Piece = tuple[int, pa.Table | UnreadableFile]
CHUNK_SCHEMA = LINE_SCHEMA.insert(0, pa.field("load_id", pa.int32()))


def _read_pieces(
    cursor: duckdb.DuckDBPyConnection, files: list[tuple[int, LandingFile]]
) -> Generator[Piece, None, None]:
    """(load_id, lines) for every piece of every file, in order; (load_id, error)
    when a file turns out unreadable, possibly after some of its pieces."""
    for load_id, landing_file in files:
        try:
            for lines in read_lines(cursor, landing_file):
                yield load_id, lines
        except UnreadableFile as exc:
            yield load_id, exc


class _BatchLoader:
    """Moves the lines of one batch into the raw tables (R1, R17), a chunk at a time.

    Each chunk is one streaming DuckDB pass over the pieces the reader thread
    delivers, so DuckDB works while files are read and Python holds only the
    pieces read ahead. Chunks are large because every insert statement leaves a
    partial row group behind that the checkpoint has to rewrite.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: dict[int, tuple[LandingFile, str, FileResult]],
        key: str,
        loaded_at: datetime,
    ) -> None:
        self.con, self.files, self.key, self.loaded_at = con, files, key, loaded_at
        self.finished = False
        self.failure: BaseException | None = None
        self.unreadable: set[int] = set()  # files whose lines read so far must go

    def load(self, pieces: Iterator[Piece]) -> None:
        while not self.finished:
            self._load_chunk(pieces)
            if self.failure is not None:
                raise self.failure

    def _chunk(self, pieces: Iterator[Piece]) -> Iterator[pa.RecordBatch]:
        """Record batches of pieces up to CHUNK_BYTES, pulled by DuckDB's scan.

        Runs on DuckDB's threads: a failure is kept and raised after the pass,
        rather than surfacing as a DuckDB error.
        """
        size = 0
        while size < CHUNK_BYTES:
            try:
                load_id, lines = next(pieces)
            except StopIteration:
                self.finished = True
                return
            except BaseException as exc:  # re-raised by load()
                self.failure, self.finished = exc, True
                return
            if isinstance(lines, UnreadableFile):
                self._mark_unreadable(load_id, lines)
                continue
            size += lines.nbytes
            load_ids = pa.array(np.full(lines.num_rows, load_id, dtype=np.int32))
            yield from lines.add_column(0, "load_id", load_ids).to_batches(SCAN_ROWS)

    def _mark_unreadable(self, load_id: int, error: UnreadableFile) -> None:
        result = self.files[load_id][2]
        result.status, result.error = "unreadable", f"unreadable: {error}"
        self.unreadable.add(load_id)

    def _load_chunk(self, pieces: Iterator[Piece]) -> None:
        lines = pa.RecordBatchReader.from_batches(CHUNK_SCHEMA, self._chunk(pieces))
        self.con.register("chunk_lines", lines)
        try:
            self.con.execute(
                _sql("classify_event_lines.sql"),
                {"key": self.key, "loaded_at": self.loaded_at, "whitespace": WHITESPACE},
            )
        finally:
            self.con.unregister("chunk_lines")
        self._forget_unreadable()
        params = {"key": self.key, "loaded_at": self.loaded_at}
        for statement in _statements("suppress_event_lines.sql"):
            # DuckDB refuses parameters a statement does not use.
            self.con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
        register_device_classes(self.con)
        for statement in _statements("insert_event_lines.sql"):
            self.con.execute(statement, {"loaded_at": self.loaded_at})

    def _forget_unreadable(self) -> None:
        """A file that turned out unreadable loads not at all (SPEC §7): drop what
        was read of it, in this chunk and in the chunks already inserted."""
        for load_id in self.unreadable:
            for table in (
                "chunk_classified",
                "raw.event_lines",
                "raw.quarantine",
                "raw.line_removals",
            ):
                self.con.execute(f"delete from {table} where load_id = $id", {"id": load_id})
        self.unreadable.clear()


def _load_lines(
    con: duckdb.DuckDBPyConnection,
    files: dict[int, tuple[LandingFile, str, FileResult]],
    key: str,
    loaded_at: datetime,
) -> None:
    """Insert every line of the batch's files; mark the unreadable ones. One
    background thread reads the files: a second gains nothing, DuckDB's threads
    keep the cores busy."""
    todo = [(load_id, landing_file) for load_id, (landing_file, _, _) in files.items()]
    cursor = reading_cursor(con)
    pieces = Prefetch(_read_pieces(cursor, todo), READ_AHEAD)
    try:
        _BatchLoader(con, files, key, loaded_at).load(pieces)
    finally:
        pieces.close()
        cursor.close()


def _count_lines(
    con: duckdb.DuckDBPyConnection, files: dict[int, tuple[LandingFile, str, FileResult]]
) -> None:
    counts = con.execute(_sql("count_event_lines.sql"), {"first_load_id": min(files)}).fetchall()
    for load_id, outcome, reason, lines, accepted in counts:
        result = files[load_id][2]
        result.lines += lines
        if outcome == "event":
            result.accepted += accepted
            result.duplicates += lines - accepted
        elif outcome == "suppressed":
            result.suppressed += lines
        else:
            result.quarantined[reason] = lines


def _load_event_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[LandingFile, str]],
    key: str,
    progress: Progress,
) -> list[FileResult]:
    loaded_at = datetime.now(UTC)
    con.begin()
    try:
        files = {
            _next_load_id(con): (landing_file, digest, FileResult(landing_file.display_name))
            for landing_file, digest in batch
        }
        _load_lines(con, files, key, loaded_at)
        _count_lines(con, files)
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
        + (f", {result.suppressed} suppressed (erased persons)" if result.suppressed else "")
    )


def apply_erasure_requests(
    settings: Settings,
    paths: list | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Honour every new erasure request file (R17); return what each file contributed.

    Run before the load of new event files, never after: the suppressions a request
    adds then keep the same run's load, a replayed file of the person included, from
    storing their lines (counted as suppressed), while the person's rows already in
    the warehouse go now. The published copy is not touched: only publishing writes
    it (docs/privacy.md says why nothing of the person is in it).
    """
    say = progress or (lambda _message: None)
    files = [f for f in discover(settings.landing_dir, paths) if f.kind == "requests"]
    if not files:
        return []
    key = settings.pseudonym_key()
    con = connect_writer(settings)
    try:
        return _apply_requests(con, files, _loaded_hashes(con), key, say)
    except duckdb.Error as exc:
        raise MauError(f"erasure failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()


def load_landing_files(
    settings: Settings,
    paths: list | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Load every new account and event file; return what each new file contributed.
    Erasure request files are left to apply_erasure_requests, which runs first."""
    say = progress or (lambda _message: None)
    files = discover(settings.landing_dir, paths)
    key = settings.pseudonym_key()
    con = connect_writer(settings)
    try:
        results = _load_accounts(con, [f for f in files if f.kind == "accounts"], say)
        loaded = _loaded_hashes(con)
        event_files = [f for f in files if f.kind == "events"]
        new_events: list[tuple[LandingFile, str]] = []
        for landing_file, digest in zip(event_files, _digests(con, event_files), strict=True):
            if digest in loaded:
                continue
            loaded.add(digest)  # the same content twice in one call loads once too
            new_events.append((landing_file, digest))
        skipped = len(event_files) - len(new_events)
        if skipped:
            say(f"{skipped} event file(s) already loaded, skipped")
        for batch in _batches(new_events):
            results.extend(_load_event_batch(con, batch, key, say))
    except duckdb.Error as exc:
        raise MauError(f"ingestion failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    return results


def ingest(
    settings: Settings,
    paths: list | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Apply new erasure requests, then load every new account and event file, in the
    pipeline's order (R17): what `mau ingest` and the landing-day backfill do."""
    return apply_erasure_requests(settings, paths, progress) + load_landing_files(
        settings, paths, progress
    )
