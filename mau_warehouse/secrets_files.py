"""Secrets from the environment or from owner-only files outside the repository (SPEC §7).

Every secret NAME can be given as the environment variable NAME, or as a file named by
NAME_FILE. A secret file must be readable by its owner only and must not live inside
the project's repository, where it could be committed: both are checked when the
`mau` command starts (`check_secret_files`) and again whenever a secret is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from mau_warehouse.errors import MauError

REPO_ROOT = Path(__file__).resolve().parent.parent

# The secrets the project reads: pseudonymization key (R17), warehouse encryption key,
# alert delivery credentials.
SECRET_NAMES = (
    "MAU_PSEUDONYM_KEY",
    "MAU_WAREHOUSE_KEY",
    "MAU_SMTP_PASSWORD",
    "MAU_ALERT_WEBHOOK_URL",
)


def check_secret_file(path: Path, what: str) -> None:
    """One-line error unless `path` is an owner-only file outside the repository."""
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(REPO_ROOT):
        raise MauError(f"{what} {path} is inside the project's repository: keep it outside")
    if resolved.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MauError(f"{what} {path} must be readable by its owner only (chmod 600)")


def secret_file_path(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    value = env.get(f"{name}_FILE")
    return Path(value).expanduser() if value else None


def read_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """NAME from the environment, else the content of the NAME_FILE file; None if neither."""
    env = os.environ if environ is None else environ
    if env.get(name):
        return env[name]
    path = secret_file_path(name, env)
    if path is None:
        return None
    return read_secret_file(path, f"{name}_FILE")


def read_secret_file(path: Path, what: str) -> str:
    if not path.is_file():
        raise MauError(f"{what} {path} does not exist")
    check_secret_file(path, what)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise MauError(f"{what} {path} is empty")
    return value


def check_secret_files(extra: Mapping[str, Path], environ: Mapping[str, str] | None = None) -> None:
    """Check every configured secret file at start: the NAME_FILE variables, and `extra`
    (files the project keeps itself, such as the dashboard users), where they exist."""
    files = {f"{name}_FILE": secret_file_path(name, environ) for name in SECRET_NAMES}
    for what, path in {**files, **extra}.items():
        if path is not None and path.exists():
            check_secret_file(path, what)
