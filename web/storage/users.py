"""People and devices that may use markscan: users with roles, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.storage.database import Database

ROLES = ("operator", "admin")
TOKEN_PREFIX = "msk_"
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def valid_name(name: str) -> bool:
    return 1 <= len(name) <= 64 and all(ch.isalnum() or ch in "._-@" for ch in name)


async def add_user(db: Database, name: str, password: str, role: str) -> User:
    """Create or update a user (the password is stored as an argon2 hash)."""
    if not valid_name(name):
        raise ValueError("a user name is 1 to 64 letters, digits or ._-@")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    await db.connection.execute(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
        (name, _hasher.hash(password), role, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    await db.connection.commit()
    return User(name, role)


async def find_user(db: Database, name: str) -> User | None:
    async with db.connection.execute("SELECT name, role FROM users WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    return User(*row) if row else None


async def check_password(db: Database, name: str, password: str) -> User | None:
    """The user, if ``password`` is theirs; None otherwise (also for unknown names)."""
    async with db.connection.execute("SELECT password_hash, role FROM users WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    if row is None:
        _hasher.hash(password)  # spend the same time as for a real user
        return None
    try:
        _hasher.verify(row[0], password)
    except (VerificationError, InvalidHashError):
        return None
    return User(name, row[1])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: Database, user_name: str) -> str:
    """A new API token for ``user_name``; only its hash is stored, so it is shown once."""
    if await find_user(db, user_name) is None:
        raise ValueError(f"no user named {user_name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await db.connection.execute(
        "INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)",
        (_token_hash(token), user_name, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    await db.connection.commit()
    return token


async def user_for_token(db: Database, token: str) -> User | None:
    sql = "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = ?"
    async with db.connection.execute(sql, (_token_hash(token),)) as cur:
        row = await cur.fetchone()
    return User(*row) if row else None
