"""Secrets from the environment or from owner-only files outside the repository (SPEC §7).

Every secret NAME can be given as the environment variable NAME, or as a file named by
NAME_FILE. A secret file must be readable by its owner only and must not live inside
the project's repository, where it could be committed: both are checked when the
`mau` command starts (`check_secret_files`) and again whenever a secret is read.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mau_warehouse.errors import MauError

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Secret:
    """A secret as configured: NAME's value, or the file that NAME_FILE names.

    The environment is read once, by `Secret.from_environ`; the file is read only when
    the secret is needed, so a command that never uses it never fails on it.
    """

    name: str
    # Kept out of repr: settings are logged and shown in tracebacks.
    value: str | None = field(default=None, repr=False)
    file: Path | None = None

    @classmethod
    def from_environ(cls, name: str, environ: Mapping[str, str]) -> Secret:
        path = environ.get(f"{name}_FILE")
        return cls(name, environ.get(name) or None, Path(path).expanduser() if path else None)

    def read(self) -> str | None:
        """NAME's value, else the content of the NAME_FILE file; None if neither."""
        if self.value:
            return self.value
        if self.file is None:
            return None
        return read_secret_file(self.file, f"{self.name}_FILE")


def check_secret_file(path: Path, what: str) -> None:
    """One-line error unless `path` is an owner-only file outside the repository."""
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(REPO_ROOT):
        raise MauError(f"{what} {path} is inside the project's repository: keep it outside")
    if resolved.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MauError(f"{what} {path} must be readable by its owner only (chmod 600)")


def read_secret_file(path: Path, what: str) -> str:
    if not path.is_file():
        raise MauError(f"{what} {path} does not exist")
    check_secret_file(path, what)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise MauError(f"{what} {path} is empty")
    return value


def check_secret_files(files: Mapping[str, Path | None]) -> None:
    """Check at start every configured secret file that exists, in order, each named as
    its error message should name it (`MAU_WAREHOUSE_KEY_FILE`, `users file`)."""
    for what, path in files.items():
        if path is not None and path.exists():
            check_secret_file(path, what)
