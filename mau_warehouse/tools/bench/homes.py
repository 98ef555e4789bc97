"""Scratch MAU_HOMEs for the benchmark steps, built from a cached workload.

Event files are hard-linked, not copied (the loader only reads them), so a home
over 100 M events costs no disk; a prepared warehouse is copied for every
repetition so that each one starts from the same state.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

LANDING_PARTS = ("landing",)


def day_folders(landing: Path) -> list[Path]:
    """The workload's day folders (landing/events/YYYY/MM/DD), oldest first."""
    return sorted(p for p in (landing / "events").glob("*/*/*") if p.is_dir())


def day_of(folder: Path) -> date:
    year, month, day = folder.parts[-3:]
    return date(int(year), int(month), int(day))


def link_landing(landing: Path, home: Path, days: list[Path]) -> None:
    """Give `home` the workload's accounts and the event files of `days`, hard-linked."""
    target = home / "landing"
    shutil.copytree(landing / "accounts", target / "accounts", dirs_exist_ok=True)
    for folder in days:
        destination = target / "events" / folder.relative_to(landing / "events")
        destination.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            link = destination / path.name
            if not link.exists():
                os.link(path, link)


def fresh_home(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def restore(prepared: Path, home: Path) -> None:
    """Make `home` a copy of `prepared`: its warehouse, run history and landing links."""
    fresh_home(home)
    for entry in prepared.iterdir():
        if entry.name in LANDING_PARTS:
            for path in entry.rglob("*"):
                relative = path.relative_to(prepared)
                if path.is_dir():
                    (home / relative).mkdir(parents=True, exist_ok=True)
                else:
                    os.link(path, home / relative)
        elif entry.is_dir():
            shutil.copytree(entry, home / entry.name)
        else:
            shutil.copy2(entry, home / entry.name)
