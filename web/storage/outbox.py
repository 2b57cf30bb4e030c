"""The 1C outbox's rows: one per confirmed scan, with its delivery state.

A row is ``queued`` until 1C has it (``sent``), or ``failed`` while 1C refuses
the login. ``sending_since`` marks a send in flight: such a row can be neither
withdrawn nor sent twice at once. Delivery itself is in ``web/onec/outbox.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from web.storage.database import Database, Tx

QUEUED, SENT, FAILED = "queued", "sent", "failed"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    scan_id: int
    record_key: str
    payload: dict
    attempts: int


async def enqueue(tx: Tx, scan_id: int, record_key: str, payload: dict, at: str) -> None:
    """Queue a scan (again, with new values, unless 1C has it already)."""
    await tx.execute(
        "INSERT INTO onec_outbox (scan_id, record_key, payload_json, state, next_attempt_at, updated_at)"
        " VALUES (?, ?, ?, 'queued', ?, ?) ON CONFLICT (scan_id) DO UPDATE SET payload_json = excluded.payload_json,"
        " state = CASE WHEN onec_outbox.state = 'sent' THEN 'sent' ELSE 'queued' END,"
        " next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
        (scan_id, record_key, json.dumps(payload, ensure_ascii=False), at, at),
    )


async def state(tx_or_db: Tx | Database, scan_id: int) -> str | None:
    """``queued``/``failed``/``sent``, ``sending`` while a send is in flight, None when never queued."""
    row = await tx_or_db.fetchone("SELECT state, sending_since FROM onec_outbox WHERE scan_id = ?", (scan_id,))
    if row is None:
        return None
    return "sending" if row[0] != SENT and row[1] else row[0]


async def withdraw(tx: Tx, scan_id: int) -> None:
    """Take a scan off the queue (the caller checked it is neither sent nor being sent)."""
    await tx.execute(
        "DELETE FROM onec_outbox WHERE scan_id = ? AND state != 'sent' AND sending_since IS NULL", (scan_id,)
    )


async def retry_now(db: Database, scan_id: int, at: str) -> None:
    """Due at once, whatever its state was (unless sent)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE onec_outbox SET state = 'queued', next_attempt_at = ? WHERE scan_id = ? AND state != 'sent'",
            (at, scan_id),
        )


async def states(db: Database, scan_ids: list[int]) -> dict[int, dict]:
    """1C state per scan: {'state', 'error', 'attempts'}; scans never queued are absent."""
    if not scan_ids:
        return {}
    marks = ",".join("?" * len(scan_ids))
    sql = f"SELECT scan_id, state, last_error, attempts FROM onec_outbox WHERE scan_id IN ({marks})"
    return {row[0]: {"state": row[1], "error": row[2], "attempts": row[3]} for row in await db.fetchall(sql, scan_ids)}


async def claim_due(db: Database, now: str, limit: int) -> list[OutboxRow]:
    """The rows due for a send, marked as in flight (so an undo waits for the answer)."""
    async with db.transaction() as tx:
        sql = (
            "SELECT scan_id, record_key, payload_json, attempts FROM onec_outbox"
            " WHERE state != 'sent' AND sending_since IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?"
        )
        if tx.dialect == "postgresql":
            sql += " FOR UPDATE SKIP LOCKED"  # many replicas: each row claimed by exactly one
        due = [OutboxRow(r[0], r[1], json.loads(r[2]), r[3]) for r in await tx.fetchall(sql, (now, limit))]
        await tx.executemany(
            "UPDATE onec_outbox SET sending_since = ? WHERE scan_id = ?", [(now, row.scan_id) for row in due]
        )
    return due


async def mark_sent(db: Database, scan_id: int, onec_ref: str, attempts: int, at: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE onec_outbox SET state = 'sent', onec_ref = ?, last_error = '', attempts = ?, updated_at = ?,"
            " sending_since = NULL WHERE scan_id = ?",
            (onec_ref, attempts, at, scan_id),
        )


async def mark_failed(db: Database, scan_id: int, state: str, attempts: int, error: str, next_at: str, at: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE onec_outbox SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ?,"
            " sending_since = NULL WHERE scan_id = ?",
            (state, attempts, error, next_at, at, scan_id),
        )


async def release(db: Database, scan_ids: list[int]) -> None:
    """Claimed rows not sent after all (the pass stopped): due again as they were."""
    async with db.transaction() as tx:
        await tx.executemany("UPDATE onec_outbox SET sending_since = NULL WHERE scan_id = ?", [(i,) for i in scan_ids])


async def release_stale_claims(db: Database, claimed_before: str) -> None:
    """Sends cut off by a stopped or killed replica are due again (the record key is looked up in 1C first).

    Only claims older than ``claimed_before``: a send another replica has in flight is left to it.
    """
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE onec_outbox SET sending_since = NULL,"
            " attempts = CASE WHEN attempts < 1 THEN 1 ELSE attempts END"
            " WHERE sending_since IS NOT NULL AND sending_since < ?",
            (claimed_before,),
        )


async def backlog(db: Database) -> tuple[int, str]:
    """How many confirmations wait for 1C (queued or failed), and when the oldest of them was confirmed."""
    row = await db.fetchone(
        "SELECT count(*), min(s.confirmed_at) FROM onec_outbox o JOIN scans s ON s.id = o.scan_id"
        " WHERE o.state != 'sent'"
    )
    return (int(row[0]), row[1] or "") if row else (0, "")
