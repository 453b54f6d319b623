"""Support staff accounts in Redis: username, role and a scrypt password hash; kept until removed (no TTL)."""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from worker.store import as_text, decode_row, keys, now, sessions

ROLES = ("support", "admin")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
HASH_METHOD = "scrypt"


class StaffError(ValueError):
    """An account cannot be created or changed as asked; the message says what to fix."""


@dataclass(frozen=True)
class Staff:
    """One staff member as the console sees them (never the hash)."""

    username: str
    role: str
    created_at: str

    @property
    def is_admin(self) -> bool:
        """Admins also manage staff and failed jobs."""
        return self.role == "admin"


def normalise_username(raw: str) -> str:
    """Usernames are compared lower-cased and stripped, so `Ana` and `ana ` are one account."""
    return (raw or "").strip().lower()


def add(client: redis.Redis, username: str, password: str, role: str = "support") -> Staff:
    """Create an account; an existing username is refused (`set_password` changes a password)."""
    name = normalise_username(username)
    _check(name, password, role)
    record: dict[Any, Any] = {
        "role": role,
        "password_hash": generate_password_hash(password, method=HASH_METHOD),
        "created_at": str(now()),
    }
    if not client.hsetnx(keys.staff(name), "username", name):
        raise StaffError(
            f"staff member {name!r} already exists: `staff password` changes the password; "
            "remove them first to change the role"
        )
    with client.pipeline() as pipe:
        pipe.hset(keys.staff(name), mapping=record)
        pipe.sadd(keys.STAFF, name)
        pipe.execute()
    return Staff(name, role, record["created_at"])


def remove(client: redis.Redis, username: str) -> bool:
    """Delete an account and end its open sessions at once."""
    name = normalise_username(username)
    with client.pipeline() as pipe:
        pipe.delete(keys.staff(name))
        pipe.srem(keys.STAFF, name)
        deleted, _ = pipe.execute()
    sessions.end_all(client, name)
    return bool(deleted)


def set_password(client: redis.Redis, username: str, password: str) -> Staff:
    """Give an account a new password and end every session it has open (a stolen cookie stops working too)."""
    account = get(client, username)
    if account is None:
        raise StaffError(f"no staff member named {normalise_username(username)!r}: add them with `staff add`")
    _check(account.username, password, account.role)
    client.hset(keys.staff(account.username), "password_hash", generate_password_hash(password, method=HASH_METHOD))
    sessions.end_all(client, account.username)
    return account


def get(client: redis.Redis, username: str) -> Staff | None:
    """The account, or None when there is none."""
    row = decode_row(client.hgetall(keys.staff(normalise_username(username))))
    if not row.get("role"):
        return None
    return Staff(row["username"], row["role"], row.get("created_at", ""))


def all_staff(client: redis.Redis) -> list[Staff]:
    """Every account, sorted by username."""
    names = sorted(as_text(n) for n in client.smembers(keys.STAFF))
    found = (get(client, name) for name in names)
    return [s for s in found if s is not None]


def authenticate(client: redis.Redis, username: str, password: str) -> Staff | None:
    """The account when the password matches; None otherwise, in about the same time either way."""
    name = normalise_username(username)
    stored = client.hget(keys.staff(name), "password_hash") if USERNAME_PATTERN.match(name) else None
    if not stored or len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return None
    if not check_password_hash(as_text(stored), password):
        return None
    return get(client, name)


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that a wrong username costs the time of a wrong password."""
    return generate_password_hash("not-a-real-password-0123", method=HASH_METHOD)


def _check(username: str, password: str, role: str) -> None:
    """Refuse unusable usernames, weak passwords and unknown roles, naming every problem."""
    problems = []
    if not USERNAME_PATTERN.match(username):
        problems.append("the username must be 2-64 characters: lower-case letters, digits, . _ @ -")
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        problems.append(f"the password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    if role not in ROLES:
        problems.append(f"the role must be one of {', '.join(ROLES)}")
    if problems:
        raise StaffError("; ".join(problems))
