"""Work that runs once per period across every replica (the scheduled 1C sync).

Each replica wakes on its own clock; the first to claim a period in the database does
the work, the others see the claim and skip it. The claim is one conditional write,
so two replicas waking together cannot both win, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from web.storage.database import Database


async def claim_period(db: Database, name: str, period_s: float, now: datetime | None = None) -> bool:
    """True for exactly one caller per ``period_s`` (with a little slack for replicas' clocks)."""
    now = now or datetime.now(UTC)
    key, stamp = f"period:{name}", now.isoformat(timespec="seconds")
    due_before = (now - timedelta(seconds=period_s * 0.9)).isoformat(timespec="seconds")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (name, value) VALUES (?, '') ON CONFLICT (name) DO NOTHING", (key,))
        won = await tx.execute("UPDATE meta SET value = ? WHERE name = ? AND value < ?", (stamp, key, due_before))
    return won == 1
