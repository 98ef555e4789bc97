"""Loading landing files through `mau ingest` (SPEC §2, §5; R1, R2, R3, R17)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import threading
from collections.abc import Generator
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mau_warehouse.config import load_settings
from mau_warehouse.ingest import ingest, run
from mau_warehouse.ingest.discovery import LandingFile
from mau_warehouse.ingest.lines import read_lines
from mau_warehouse.ingest.prefetch import Prefetch
from tests.conftest import TEST_KEY, run_mau

RAW_USER = "Alice.Secret@example.com"
RAW_BROWSER = "browser-7f3a"


def event(event_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": event_id,
        "tenant_id": "acme",
        "event_type": "sdk_loaded",
        "occurred_at": "2025-03-10T10:00:00Z",
        "anonymous_id": RAW_BROWSER,
    }
    base.update(fields)
    return base


def write_lines(path: Path, lines: list[str], compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def ingest_json(home: Path, *paths: Path) -> list[dict[str, object]]:
    done = run_mau(home, "ingest", "--format", "json", *map(str, paths))
    return json.loads(done.stdout)


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)


def test_every_quarantine_reason_is_counted_and_kept(mau_home: Path) -> None:
    lines = [
        json.dumps(event("e1", user_id=f"  {RAW_USER} ")),
        json.dumps(event("e1", user_id=RAW_USER)),  # R2: a retry of e1
        "",  # blank lines are not lines
        json.dumps(event("e2", anonymous_id="   ")),  # R3: blank id is absent
        json.dumps(event("e3", occurred_at="yesterday")),
        json.dumps(event("e4", occurred_at="2025-03-10T10:00:00Z", sent_at="soon")),
        json.dumps(event("e5", occurred_at="2099-01-01T00:00:00Z")),
        json.dumps({k: v for k, v in event("e6").items() if k != "event_id"}),
        json.dumps({k: v for k, v in event("e7").items() if k != "tenant_id"}),
        '{"event_id": "e8", "user_id": "' + RAW_USER + '", truncated',
        json.dumps(event("e9", properties={"padding": "x" * 33_000})),
        json.dumps(event("e10", occurred_at="2025-03-10T12:00:00.123+02:00", extra_field=1)),
    ]
    path = write_lines(mau_home / "landing" / "events" / "day.jsonl", lines)

    [report] = ingest_json(mau_home, path)

    assert report == {
        "file": "events/day.jsonl",
        "lines": 11,
        "accepted": 2,
        "duplicates": 1,
        "quarantined": {
            "bad_timestamp": 2,
            "future_timestamp": 1,
            "malformed_json": 1,
            "missing_event_id": 1,
            "missing_identity": 1,
            "missing_tenant": 1,
            "oversized": 1,
        },
    }
    with warehouse(mau_home) as con:
        quarantine = con.execute(
            "select line_number, reason from raw.quarantine order by line_number"
        ).fetchall()
        assert quarantine == [
            (4, "missing_identity"),
            (5, "bad_timestamp"),
            (6, "bad_timestamp"),
            (7, "future_timestamp"),
            (8, "missing_event_id"),
            (9, "missing_tenant"),
            (10, "malformed_json"),
            (11, "oversized"),
        ]
        # R3: the padded and the plain copy of the id are the same person.
        pseudonyms = con.execute(
            "select distinct user_pseudonym from raw.event_lines where event_id = 'e1'"
        ).fetchall()
        assert len(pseudonyms) == 1
        extra = con.execute(
            "select extra_fields from raw.event_lines where event_id = 'e10'"
        ).fetchall()
        assert json.loads(extra[0][0]) == {"extra_field": 1}


def test_no_raw_identifier_reaches_the_warehouse(mau_home: Path) -> None:
    lines = [
        json.dumps(event("e1", user_id=RAW_USER)),
        json.dumps(event("e2", user_id=RAW_USER, occurred_at="bad")),
        '{"event_id": "e3", "user_id": "' + RAW_USER + '", "anonymous_id": "' + RAW_BROWSER,
    ]
    path = write_lines(mau_home / "landing" / "events" / "ids.jsonl", lines)
    ingest_json(mau_home, path)

    with warehouse(mau_home) as con:
        columns = con.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where data_type in ('VARCHAR', 'JSON')
            """
        ).fetchall()
        assert columns
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" '
                f'where "{column}"::varchar like $user or "{column}"::varchar like $browser',
                {"user": f"%{RAW_USER}%", "browser": f"%{RAW_BROWSER}%"},
            ).fetchall()[0][0]
            assert hits == 0, f"raw id found in {schema}.{table}.{column}"


def test_same_content_loads_once_whatever_its_name(mau_home: Path) -> None:
    events_dir = mau_home / "landing" / "events"
    lines = [json.dumps(event(f"e{i}")) for i in range(5)]
    original = write_lines(events_dir / "a.jsonl", lines)
    assert ingest_json(mau_home)[0]["accepted"] == 5

    shutil.copy(original, events_dir / "renamed-copy.jsonl")
    assert ingest_json(mau_home) == []

    # The same events split into two new files are all duplicates (R2).
    write_lines(events_dir / "part1.jsonl", lines[:2])
    write_lines(events_dir / "part2.jsonl", lines[2:])
    reports = ingest_json(mau_home)
    assert [(r["accepted"], r["duplicates"]) for r in reports] == [(0, 2), (0, 3)]


def test_every_format_loads_and_a_corrupt_file_does_not_stop_the_others(
    mau_home: Path,
) -> None:
    events_dir = mau_home / "landing" / "events" / "2025" / "03"
    write_lines(events_dir / "a.jsonl.gz", [json.dumps(event("g1"))], compress=True)
    write_lines(events_dir / "b.ndjson", [json.dumps(event("n1"))])
    write_lines(events_dir / "c.ndjson.gz", [json.dumps(event("n2"))], compress=True)
    table = pa.table(
        {
            "event_id": ["p1", "p2"],
            "tenant_id": ["acme", "acme"],
            "event_type": ["sdk_loaded", "identify"],
            "occurred_at": ["2025-03-10T10:00:00Z", "2025-03-10T11:00:00+01:00"],
            "user_id": [None, RAW_USER],
            "anonymous_id": [RAW_BROWSER, RAW_BROWSER],
            "is_preview": [False, False],
        }
    )
    pq.write_table(table, events_dir / "d.parquet")
    (events_dir / "e.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")

    reports = {r["file"]: r for r in ingest_json(mau_home)}

    assert reports["events/2025/03/e.jsonl.gz"]["error"].startswith("unreadable: corrupt gzip")
    assert reports["events/2025/03/e.jsonl.gz"]["lines"] == 0
    accepted = {name: r["accepted"] for name, r in reports.items() if "error" not in r}
    assert accepted == {
        "events/2025/03/a.jsonl.gz": 1,
        "events/2025/03/b.ndjson": 1,
        "events/2025/03/c.ndjson.gz": 1,
        "events/2025/03/d.parquet": 2,
    }
    with warehouse(mau_home) as con:
        times = con.execute(
            "select event_id, occurred_at from raw.event_lines where event_id like 'p%' "
            "order by event_id"
        ).fetchall()
    assert [t.isoformat() for _, t in times] == [
        "2025-03-10T10:00:00+00:00",
        "2025-03-10T10:00:00+00:00",
    ]


def test_a_bad_account_file_is_refused_in_one_line_and_nothing_is_lost(mau_home: Path) -> None:
    accounts = mau_home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n"
        "acme,Acme,Europe/Paris,2025-01-01T00:00:00Z\n"
    )
    run_mau(mau_home, "ingest")
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n"
        "acme,Acme,Europe/Paris,2025-01-01T00:00:00Z\n"
        "globex,Globex,Mars/Olympus,2025-01-01T00:00:00Z\n"
    )

    done = run_mau(mau_home, "ingest", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "mau: error: accounts/tenants.csv line 3: 'Mars/Olympus' is not an IANA time zone"
    ]
    with warehouse(mau_home) as con:
        tenants = con.execute("select tenant_id, billing_timezone from raw.tenants").fetchall()
    assert tenants == [("acme", "Europe/Paris")]


def test_subscriptions_are_checked_against_the_plan_catalogue(mau_home: Path) -> None:
    accounts = mau_home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    header = "tenant_id,plan_id,started_on,ended_on,is_trial\n"
    # Without plans.csv the shipped catalogue is in force (SPEC §2.2).
    (accounts / "subscriptions.csv").write_text(header + "acme,growth,2025-01-01,,false\n")
    run_mau(mau_home, "ingest")
    (accounts / "subscriptions.csv").write_text(header + "acme,platinum,2025-01-01,,false\n")

    done = run_mau(mau_home, "ingest", check=False)

    assert done.stderr.strip() == (
        "mau: error: accounts/subscriptions.csv line 2: "
        "plan 'platinum' is not in the plan catalogue"
    )


def pseudonym(kind: str, raw_id: str, tenant: str = "acme") -> str:
    """R17 as existing warehouses hold it: secret-prefixed SHA-256 of the trimmed id."""
    text = "\x1f".join((TEST_KEY, tenant, kind, raw_id.strip()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def test_ids_are_trimmed_of_every_white_space_str_strip_removes(mau_home: Path) -> None:
    padded = {
        "e1": " \u00a0Alice",  # no-break space
        "e2": "Alice\u3000",  # ideographic space
        "e3": "\u2028Alice\x1f",  # line separator, ASCII unit separator
        "e4": "\tAlice\x0b",
        "e5": "Alice",
    }
    kept = {"e6": "zo\u00eb", "e7": "\u00e9lan\u00a0", "e8": "A\u00a0B"}  # inner space stays
    lines = [json.dumps(event(e, user_id=u, anonymous_id=u)) for e, u in {**padded, **kept}.items()]
    lines += [
        json.dumps(event("\u2003e9\u00a0")),  # R1/R2 keys are trimmed too
        json.dumps(event("e10", anonymous_id="\u3000\u2029 ")),  # only white space: absent
    ]
    path = write_lines(mau_home / "landing" / "events" / "ids.jsonl", lines)

    [report] = ingest_json(mau_home, path)

    assert report["quarantined"] == {"missing_identity": 1}
    with warehouse(mau_home) as con:
        found = con.execute(
            "select event_id, user_pseudonym, anonymous_pseudonym from raw.event_lines"
        ).fetchall()
    rows = {event_id: (user, anonymous) for event_id, user, anonymous in found}
    for event_id, raw_id in {**padded, **kept}.items():
        assert rows[event_id] == (pseudonym("user", raw_id), pseudonym("anonymous", raw_id))
    assert rows["e1"] == rows["e5"]
    assert rows["e7"] == (pseudonym("user", "\u00e9lan"), pseudonym("anonymous", "\u00e9lan"))
    assert rows["e9"] == (None, pseudonym("anonymous", RAW_BROWSER))


def test_blank_lines_are_white_space_only_and_keep_the_numbering(mau_home: Path) -> None:
    lines = [
        json.dumps(event("e1")),
        "\u3000 \t",
        "\x1c",
        "\u00a0\r",
        "  " + json.dumps(event("e2")),  # white space before a document is not blankness
        "\u00e9",
    ]
    path = mau_home / "landing" / "events" / "blank.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes("\r\n".join(lines).encode())  # CRLF, and no line break at the end

    [report] = ingest_json(mau_home, path)

    assert (report["lines"], report["accepted"]) == (3, 2)
    assert report["quarantined"] == {"malformed_json": 1}
    with warehouse(mau_home) as con:
        events = con.execute("select line_number from raw.event_lines order by 1").fetchall()
        quarantined = con.execute("select line_number, raw_line from raw.quarantine").fetchall()
    assert events == [(1,), (5,)]
    assert quarantined == [(6, "\u00e9")]


def test_pieces_of_any_size_give_the_same_lines(tmp_path: Path) -> None:
    text = (
        b'{"a": 1}\n\n  \n\xe3\x80\x80\r\n\xff\xfe not UTF-8\n'
        + b"x" * 300
        + b"\n\xc3\xa9\xe2\x80\xa8\r\n" * 40
        + b"no final break"
    )
    (tmp_path / "a.jsonl").write_bytes(text)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(text))
    pq.write_table(pa.table({"event_id": [f"p{i}" for i in range(50)]}), tmp_path / "a.parquet")
    con = duckdb.connect()
    for name in ("a.jsonl", "a.jsonl.gz", "a.parquet"):
        landing_file = LandingFile(tmp_path / name, name, "events")
        whole = pa.concat_tables(read_lines(con, landing_file)).to_pylist()
        assert whole
        for piece_bytes in (1, 5, 64, 1000):
            pieces = list(read_lines(con, landing_file, piece_bytes))
            assert pa.concat_tables(pieces).to_pylist() == whole
    numbers = [row["line_number"] for row in whole]
    assert numbers == list(range(1, 51))  # the Parquet file, the last one read


def test_the_same_files_give_the_same_rows_whatever_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    days = {
        "d1.jsonl": [json.dumps(event(f"e{i}", user_agent=user_agent)) for i in range(3)],
        "d2.jsonl": [
            json.dumps(event("e1", user_agent=user_agent)),  # R2: a duplicate of d1's e1
            json.dumps(event("e9", user_agent=user_agent, device_type="desktop")),
            "not json",
        ],
        "d3.jsonl": [],  # an empty file is a file of no lines
    }
    rows = {}
    for batch_bytes in ("1", str(256 * 1024 * 1024)):
        home = tmp_path / batch_bytes
        for name, lines in days.items():
            (home / "landing" / "events").mkdir(parents=True, exist_ok=True)
            (home / "landing" / "events" / name).write_text("".join(f"{x}\n" for x in lines))
        monkeypatch.setenv("MAU_INGEST_BATCH_BYTES", batch_bytes)  # "1": a batch per file
        reports = [(r["lines"], r["accepted"], r["duplicates"]) for r in ingest_json(home)]
        assert reports == [(3, 3, 0), (3, 1, 1), (0, 0, 0)]
        with warehouse(home) as con:
            rows[batch_bytes] = con.execute(
                "select * exclude (loaded_at) from raw.event_lines order by all"
            ).fetchall()
            classes = con.execute(
                "select event_id, user_agent_device_class from raw.event_lines order by all"
            ).fetchall()
        # R9: the parsed class is there for the events that sent no device type.
        assert classes == [("e0", "mobile"), ("e1", "mobile"), ("e1", "mobile"),
                           ("e2", "mobile"), ("e9", None)]  # fmt: skip
    assert rows["1"] == rows[str(256 * 1024 * 1024)]


def test_a_file_found_corrupt_after_some_chunks_loads_not_at_all(
    mau_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events_dir = mau_home / "landing" / "events"
    good = [json.dumps(event(f"g{i}")) for i in range(20)]
    write_lines(events_dir / "a.jsonl", good)
    data = gzip.compress(("\n".join(json.dumps(event(f"c{i}")) for i in range(200))).encode())
    (events_dir / "b.jsonl.gz").write_bytes(data[: len(data) - 30])  # truncated at the end
    write_lines(events_dir / "c.jsonl", [json.dumps(event("e1"))])
    # Tiny pieces and chunks: the corrupt file's first lines are already inserted
    # when the corruption shows.
    monkeypatch.setattr(run, "read_lines", partial(read_lines, piece_bytes=200))
    monkeypatch.setattr(run, "CHUNK_BYTES", 500)
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)

    results = {r.file: r for r in ingest(load_settings(mau_home))}

    assert results["events/b.jsonl.gz"].status == "unreadable"
    assert results["events/b.jsonl.gz"].lines == 0
    assert results["events/a.jsonl"].accepted == 20
    assert results["events/c.jsonl"].accepted == 1
    with warehouse(mau_home) as con:
        ids = con.execute("select event_id from raw.event_lines order by 1").fetchall()
    assert [i for (i,) in ids] == ["e1", *sorted(f"g{i}" for i in range(20))]


def test_prefetch_keeps_order_raises_in_the_consumer_and_stops_when_closed() -> None:
    def numbers(fail_at: int | None = None) -> Generator[int, None, None]:
        for i in range(10):
            if i == fail_at:
                raise ValueError("broken file")
            yield i

    complete = Prefetch(numbers(), depth=2)
    assert list(complete) == list(range(10))
    consumed = []
    failing = Prefetch(numbers(fail_at=5), depth=2)
    with pytest.raises(ValueError, match="broken file"):
        consumed.extend(failing)
    assert consumed == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="broken file"):
        next(failing)  # stays failed instead of waiting forever
    blocked = Prefetch(numbers(), depth=1)
    assert next(blocked) == 0
    for prefetched in (complete, failing, blocked):  # `blocked` waits on a full queue
        prefetched.close()
    assert not [t for t in threading.enumerate() if t.name == "mau-ingest-reader"]


def test_a_file_is_hashed_again_only_when_its_size_or_mtime_changes(
    mau_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_lines(mau_home / "landing" / "events" / "day.jsonl", [json.dumps(event("e1"))])
    ingest_json(mau_home, path)
    hashed: list[Path] = []
    sha256_of = run.sha256_of
    monkeypatch.setattr(run, "sha256_of", lambda file: hashed.append(file) or sha256_of(file))
    monkeypatch.setenv("MAU_HOME", str(mau_home))
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)

    assert ingest(load_settings()) == []  # nothing new, and the known file was not read
    assert hashed == []

    # Rewritten in place with other content of the same size: its mtime moved on.
    write_lines(path, [json.dumps(event("e2"))])
    [result] = ingest(load_settings())

    assert hashed == [path]
    assert (result.lines, result.accepted) == (1, 1)
