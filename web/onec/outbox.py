"""Confirmed identifications to 1C through a durable outbox: nothing lost, nothing written twice.

Each confirmed scan gets one outbox row with a stable record key. Delivery
retries with exponential backoff and jitter and survives restarts (the rows
are in SQLite). Before re-sending after an unclear failure (a timeout, a lost
answer) the key is looked up in 1C, so a write that 1C committed is never
made a second time. Refused credentials stop the retries until someone acts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import UTC, datetime, timedelta

from web.onec.client import OnecAuthError, OnecClient, OnecError
from web.storage.database import Database
from web.storage.scans import Scan

log = logging.getLogger(__name__)

QUEUED, SENT, FAILED = "queued", "sent", "failed"
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0
AUTH_PAUSE_S = 3600.0  # after 1C refused the login: one quiet retry an hour, no storm


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def record_key(scan: Scan) -> str:
    return f"markscan-{scan.idempotency_key}"


def payload(scan: Scan, photo_url: str) -> dict:
    """Our side of an identification record, before the field mapping."""
    return {
        "marking": scan.marking,
        "article": scan.confirmed_article or scan.article,
        "serial": scan.confirmed_serial if scan.confirmed_at else scan.serial,
        "order_number": scan.order_number,
        "station_unit": scan.station_unit,
        "user": scan.confirmed_by or scan.created_by,
        "date": (scan.confirmed_at or scan.created_at)[:19],
        "photo_url": photo_url,
        "key": record_key(scan),
    }


async def enqueue(db: Database, scan: Scan, photo_url: str) -> None:
    """Queue a confirmed scan for 1C (again, with the new values, if it was not sent yet)."""
    now = _iso(_now())
    await db.connection.execute(
        "INSERT INTO onec_outbox (scan_id, record_key, payload_json, state, next_attempt_at, updated_at)"
        " VALUES (?, ?, ?, 'queued', ?, ?) ON CONFLICT (scan_id) DO UPDATE SET payload_json = excluded.payload_json,"
        " state = CASE WHEN onec_outbox.state = 'sent' THEN 'sent' ELSE 'queued' END,"
        " next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
        (scan.id, record_key(scan), json.dumps(payload(scan, photo_url), ensure_ascii=False), now, now),
    )
    await db.connection.commit()


async def withdraw(db: Database, scan_id: int) -> bool:
    """Take a scan off the queue; False when it was already sent to 1C (and stays there)."""
    async with db.connection.execute("SELECT state FROM onec_outbox WHERE scan_id = ?", (scan_id,)) as cur:
        row = await cur.fetchone()
    if row is not None and row[0] == "sent":
        return False
    await db.connection.execute("DELETE FROM onec_outbox WHERE scan_id = ? AND state != 'sent'", (scan_id,))
    await db.connection.commit()
    return True


async def retry_now(db: Database, scan_id: int) -> None:
    """An admin's retry: the row is due at once, whatever its state was (unless sent)."""
    await db.connection.execute(
        "UPDATE onec_outbox SET state = 'queued', next_attempt_at = ? WHERE scan_id = ? AND state != 'sent'",
        (_iso(_now()), scan_id),
    )
    await db.connection.commit()


async def states(db: Database, scan_ids: list[int]) -> dict[int, dict]:
    """1C state per scan: {'state', 'error', 'attempts'}; scans never queued are absent."""
    if not scan_ids:
        return {}
    marks = ",".join("?" * len(scan_ids))
    sql = f"SELECT scan_id, state, last_error, attempts FROM onec_outbox WHERE scan_id IN ({marks})"
    async with db.connection.execute(sql, scan_ids) as cur:
        return {row[0]: {"state": row[1], "error": row[2], "attempts": row[3]} async for row in cur}


def _mapped(values: dict, fields: dict[str, str]) -> dict:
    return {fields[k]: v for k, v in values.items() if k in fields}


async def deliver_due(db: Database, client: OnecClient, limit: int = 50) -> int:
    """Send every due outbox row once; the number sent."""
    sql = (
        "SELECT scan_id, record_key, payload_json, attempts FROM onec_outbox"
        " WHERE state != 'sent' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?"
    )
    async with db.connection.execute(sql, (_iso(_now()), limit)) as cur:
        due = await cur.fetchall()
    sent = 0
    config = client.config
    key_field = config.identification_fields["key"]
    for scan_id, key, payload_json, attempts in due:
        try:
            existing = await client.find(config.identifications_set, key_field, key) if attempts else []
            if existing:
                ref = existing[0].get("Ref_Key", "")
            else:
                created = await client.create(
                    config.identifications_set, _mapped(json.loads(payload_json), config.identification_fields)
                )
                ref = created.get("Ref_Key", "")
        except OnecAuthError as exc:
            await _failed(db, scan_id, attempts, str(exc), AUTH_PAUSE_S, FAILED)
            break  # the same login would be refused for every row
        except OnecError as exc:
            delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempts) * random.uniform(0.5, 1.5)
            await _failed(db, scan_id, attempts, str(exc), delay, QUEUED)
            continue
        await db.connection.execute(
            "UPDATE onec_outbox SET state = 'sent', onec_ref = ?, last_error = '', attempts = ?, updated_at = ?"
            " WHERE scan_id = ?",
            (ref, attempts + 1, _iso(_now()), scan_id),
        )
        await db.connection.commit()
        sent += 1
    return sent


async def _failed(db: Database, scan_id: int, attempts: int, error: str, delay_s: float, state: str) -> None:
    log.warning("1C outbox: scan %s not sent (%s); next try in %.0f s", scan_id, error, delay_s)
    await db.connection.execute(
        "UPDATE onec_outbox SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ?"
        " WHERE scan_id = ?",
        (state, attempts + 1, error, _iso(_now() + timedelta(seconds=delay_s)), _iso(_now()), scan_id),
    )
    await db.connection.commit()


async def run_forever(db: Database, client: OnecClient, every_s: float = 5.0) -> None:
    """The server's background sender; it first checks 1C's $metadata against the mapping."""
    try:
        for problem in await client.check():
            log.warning("1C mapping: %s", problem)
    except OnecError as exc:
        log.warning("1C check at start-up failed: %s", exc)
    while True:
        try:
            await deliver_due(db, client)
        except Exception:  # keep the sender alive whatever one pass met
            log.exception("1C outbox pass failed")
        await asyncio.sleep(every_s)
