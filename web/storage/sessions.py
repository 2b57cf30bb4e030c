"""Signed-in sessions, kept on the server: the cookie carries only a random id.

Signing out deletes the session, so a copied cookie stops working; a new
password or a disabled user ends all of that user's sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from web.storage.database import Database, Tx

LIFETIME = timedelta(hours=12)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


async def start(db: Database, user_name: str) -> str:
    """A new session for the user; the id to put in the (signed) cookie."""
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE expires_at <= ?", (_iso(now),))
        await tx.execute(
            "INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (_hash(session_id), user_name, _iso(now), _iso(now + LIFETIME)),
        )
    return session_id


async def user_name(db: Database, session_id: str) -> str | None:
    """Whose live session this is (the user enabled), or None."""
    sql = (
        "SELECT s.user_name FROM sessions s JOIN users u ON u.name = s.user_name"
        " WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0"
    )
    row = await db.fetchone(sql, (_hash(session_id), _iso(datetime.now(UTC))))
    return row[0] if row else None


async def end(db: Database, session_id: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session_id),))


async def end_all(tx: Tx, user_name: str) -> None:
    """Every session of the user (inside the caller's transaction)."""
    await tx.execute("DELETE FROM sessions WHERE user_name = ?", (user_name,))
