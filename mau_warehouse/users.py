"""Dashboard users: who may sign in, and which tenant each one may see (SPEC §7, P11).

The users file is JSON kept outside the repository (default
``$MAU_HOME/secrets/dashboard_users.json``, or ``MAU_DASHBOARD_USERS_FILE``) and
readable by its owner only. Passwords are stored as scrypt hashes with a random
salt per user, never in clear. A user is either ``staff`` (every tenant) or a
``tenant`` user bound to one tenant_id. Users who sign in through an OIDC
provider have an entry without a password: the provider proves who they are,
this file still decides what they may see.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mau_warehouse.errors import MauError

Role = Literal["staff", "tenant"]
ROLES: tuple[Role, ...] = ("staff", "tenant")
MIN_PASSWORD_LENGTH = 10
# scrypt cost: about 50 ms and 16 MiB per check on a laptop (OWASP's minimum is N=2^17
# with r=8 for interactive logins at 128 MiB; 2^14 keeps the dashboard responsive while
# still making offline guessing expensive). Stored per user, so it can be raised later.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")


@dataclass(frozen=True)
class Viewer:
    """A signed-in dashboard user and what they may see."""

    username: str
    role: Role
    tenant_id: str | None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    def may_see(self, tenant_id: str) -> bool:
        """Staff see every tenant; anyone else exactly their own (none if it is missing)."""
        return self.is_staff or (self.tenant_id is not None and tenant_id == self.tenant_id)


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs about 128·n·r bytes; allow twice that so a raised cost still verifies.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20)


def hash_password(password: str) -> dict[str, Any]:
    """A fresh salted scrypt record for `password`."""
    salt = secrets.token_bytes(16)
    digest = _hash(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return {
        "scheme": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        "hash": digest.hex(),
    }


def password_matches(password: str, record: dict[str, Any]) -> bool:
    if record.get("scheme") != "scrypt":
        return False
    digest = _hash(password, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"])
    return hmac.compare_digest(digest, bytes.fromhex(record["hash"]))


# Checked against when the username is unknown, so that a wrong name costs as much
# time as a wrong password and timing does not tell which names exist.
_DECOY = hash_password(secrets.token_hex(16))


def read_users(path: Path) -> dict[str, dict[str, Any]]:
    """Username → entry; empty when the file does not exist yet."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return {}
    if not stat.S_ISREG(status.st_mode) or status.st_uid != os.getuid():
        raise MauError(f"users file {path} must be a regular file owned by this user")
    if status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MauError(f"users file {path} must be readable by its owner only (chmod 600)")
    try:
        users = json.loads(path.read_text())["users"]
        for username, entry in users.items():
            # A hand-edited entry must not widen anyone's access: fail closed.
            check_user_fields(username, entry["role"], entry.get("tenant_id"))
    except (ValueError, KeyError, TypeError, AttributeError, MauError) as exc:
        raise MauError(f"users file {path} is not a valid users file: {exc}") from exc
    return users


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialize read-modify-write of the users file between concurrent `mau user` calls."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_users(path: Path, users: dict[str, dict[str, Any]]) -> None:
    # mkstemp: a fresh owner-only file with an unpredictable name, then an atomic swap.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        json.dump({"users": users}, handle, indent=2, sort_keys=True)
    os.replace(temporary, path)


def add_user(
    path: Path,
    username: str,
    role: str,
    tenant_id: str | None,
    password: str | None,
) -> None:
    """Add or replace a user. `password` None: the user signs in through OIDC only."""
    check_user_fields(username, role, tenant_id)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise MauError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    record = None if password is None else hash_password(password)
    with _locked(path):
        users = read_users(path)
        users[username] = {"role": role, "tenant_id": tenant_id, "password": record}
        _write_users(path, users)


def check_user_fields(username: str, role: str, tenant_id: str | None) -> None:
    """Reject a malformed user before anyone is asked for a password."""
    if not USERNAME.match(username):
        raise MauError(f"username {username!r} may only use letters, digits and . _ @ + -")
    if role not in ROLES:
        raise MauError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "tenant" and not tenant_id:
        raise MauError("a tenant user needs --tenant ID")
    if role == "staff" and tenant_id:
        raise MauError("a staff user sees every tenant: drop --tenant")


def remove_user(path: Path, username: str) -> None:
    with _locked(path):
        users = read_users(path)
        if username not in users:
            raise MauError(f"no dashboard user {username!r}")
        del users[username]
        _write_users(path, users)


def _viewer(username: str, entry: dict[str, Any]) -> Viewer:
    return Viewer(username=username, role=entry["role"], tenant_id=entry.get("tenant_id"))


def authenticate(path: Path, username: str, password: str) -> Viewer | None:
    """The viewer for a correct username and password, else None (no hint which was wrong)."""
    entry = read_users(path).get(username.strip())
    if entry is None or entry.get("password") is None:
        # Spend the same time as a real check so that timing does not reveal usernames.
        password_matches(password, _DECOY)
        return None
    return (
        _viewer(username.strip(), entry) if password_matches(password, entry["password"]) else None
    )


def viewer_for_identity(path: Path, email: str) -> Viewer | None:
    """The viewer for a user the OIDC provider signed in, when the users file knows them."""
    entry = read_users(path).get(email)
    return None if entry is None else _viewer(email, entry)


class SignInThrottle:
    """Slows password guessing: after `limit` failures within `window` seconds, a
    username is refused for the rest of that window. One instance per server process.
    """

    def __init__(self, limit: int = 5, window: float = 15 * 60) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, username: str, now: float) -> list[float]:
        recent = [t for t in self._failures.get(username, []) if now - t < self.window]
        self._failures[username] = recent
        return recent

    def seconds_blocked(self, username: str, now: float) -> float:
        with self._lock:
            recent = self._recent(username, now)
            return self.window - (now - recent[0]) if len(recent) >= self.limit else 0.0

    def failed(self, username: str, now: float) -> None:
        with self._lock:
            self._recent(username, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
