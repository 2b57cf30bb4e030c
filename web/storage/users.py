"""People and devices that may use markscan: users with roles, API tokens.

Passwords are stored as argon2 hashes and checked in a worker thread (argon2 is
slow on purpose; the event loop keeps serving everyone else meanwhile). Tokens
are stored as SHA-256 hashes, expire, and can be listed and revoked; a disabled
user's sessions and tokens stop working at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.storage import sessions
from web.storage.database import Database

ROLES = ("operator", "admin")
TOKEN_PREFIX = "msk_"
TOKEN_DAYS = 365
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str  # the first 12 characters of the token's hash: enough to name it, useless to sign in with
    user_name: str
    created_at: str
    expires_at: str


def valid_name(name: str) -> bool:
    return 1 <= len(name) <= 64 and all(ch.isalnum() or ch in "._-@" for ch in name)


def password_problem(name: str, password: str) -> str | None:
    """Why a password is too weak, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    if len(set(password)) < 5:
        return "the password repeats too few characters"
    if name.lower() in password.lower() or password.lower() in ("markscan", "password", "пароль"):
        return "the password must not contain the user name or a common word"
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


async def add_user(db: Database, name: str, password: str, role: str) -> User:
    """Create a user or set a new password and role; a new password ends the user's sessions and API tokens."""
    if not valid_name(name):
        raise ValueError("a user name is 1 to 64 letters, digits or ._-@")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if problem := password_problem(name, password):
        raise ValueError(problem)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,"
            " disabled = 0",
            (name, password_hash, role, _iso(_now())),
        )
        await sessions.end_all(tx, name)
        await tx.execute("DELETE FROM api_tokens WHERE user_name = ?", (name,))
    return User(name, role)


async def set_disabled(db: Database, name: str, disabled: bool = True) -> bool:
    """Disable (or enable again) a user; disabling ends their sessions and API tokens for good (enabling
    brings none back). False when there is no such user."""
    async with db.transaction() as tx:
        changed = await tx.execute("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name))
        if disabled:
            await sessions.end_all(tx, name)
            await tx.execute("DELETE FROM api_tokens WHERE user_name = ?", (name,))
    return changed > 0


async def find_user(db: Database, name: str) -> User | None:
    """An enabled user by name."""
    row = await db.fetchone("SELECT name, role FROM users WHERE name = ? AND disabled = 0", (name,))
    return User(*row) if row else None


async def check_password(db: Database, name: str, password: str) -> User | None:
    """The user, if ``password`` is theirs and they are enabled; None otherwise (also for unknown names)."""
    sql = "SELECT password_hash, role, disabled FROM users WHERE name = ?"
    row = await db.fetchone(sql, (name,))
    if row is None:
        await asyncio.to_thread(_hasher.hash, password)  # spend the same time as for a real user
        return None
    try:
        await asyncio.to_thread(_hasher.verify, row[0], password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row[2] else User(name, row[1])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: Database, user_name: str, days: int = TOKEN_DAYS) -> str:
    """A new API token for ``user_name``, valid ``days``; only its hash is stored, so it is shown once."""
    if await find_user(db, user_name) is None:
        raise ValueError(f"no enabled user named {user_name!r}")
    if not 1 <= days <= 3650:
        raise ValueError("a token lives 1 to 3650 days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO api_tokens (token_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (_token_hash(token), user_name, _iso(_now()), _iso(_now() + timedelta(days=days))),
        )
    return token


async def user_for_token(db: Database, token: str) -> User | None:
    """The enabled user a token belongs to, while it has not expired."""
    sql = (
        "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name"
        " WHERE t.token_hash = ? AND t.expires_at > ? AND u.disabled = 0"
    )
    row = await db.fetchone(sql, (_token_hash(token), _iso(_now())))
    return User(*row) if row else None


async def list_tokens(db: Database, user_name: str) -> list[TokenInfo]:
    sql = "SELECT substr(token_hash, 1, 12), user_name, created_at, expires_at FROM api_tokens WHERE user_name = ?"
    return [TokenInfo(*row) for row in await db.fetchall(sql + " ORDER BY created_at", (user_name,))]


async def revoke_tokens(db: Database, user_name: str, token_id: str = "") -> int:
    """Revoke one of a user's tokens (by the id ``list_tokens`` shows) or, without an id, all of them."""
    if token_id and (len(token_id) < 8 or not all(c in "0123456789abcdef" for c in token_id)):
        raise ValueError("a token id is the 12 hex characters `token list` shows")
    async with db.transaction() as tx:
        return await tx.execute(
            "DELETE FROM api_tokens WHERE user_name = ? AND token_hash LIKE ?", (user_name, token_id + "%")
        )
