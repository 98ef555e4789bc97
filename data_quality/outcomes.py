"""What a validation found, in plain data: the Dagster checks, the status file and
the dashboards read it without importing Great Expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mau_warehouse.config import Settings


def quality_dir(settings: Settings) -> Path:
    return settings.home / "quality"


def data_docs_index(settings: Settings) -> Path:
    """The Data Docs page that lists every suite and its latest validation."""
    return quality_dir(settings) / "data_docs" / "index.html"


def data_docs_url(settings: Settings) -> str:
    """The same page as `mau docs` serves it: a browser opens a URL, not a server's path."""
    return f"http://127.0.0.1:{settings.docs_port}/data_docs/index.html"


@dataclass
class Failure:
    expectation: str
    description: str
    unexpected_count: int | None = None
    unexpected: list[object] = field(default_factory=list)
    error: str | None = None


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure]
