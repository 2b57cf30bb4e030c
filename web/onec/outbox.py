"""Confirmed identifications to 1C through a durable outbox: nothing lost, nothing written twice.

Each confirmed scan gets one outbox row with a stable record key. Delivery
retries with exponential backoff and jitter and survives restarts (the rows
are in SQLite). Before re-sending after an unclear failure (a timeout, a lost
answer) the key is looked up in 1C, so a write that 1C committed is never
made a second time. Refused credentials stop the retries until someone acts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

from web.onec.client import OnecAuthError, OnecClient, OnecError
from web.storage import outbox as rows
from web.storage.database import Database, Tx
from web.storage.outbox import FAILED, QUEUED
from web.storage.scans import Scan

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0
STALE_CLAIM_S = 300.0
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
        "article": scan.current_article,
        "serial": scan.current_serial,
        "order_number": scan.order_number,
        "station_unit": scan.station_unit,
        "user": scan.confirmed_by or scan.created_by,
        "date": (scan.confirmed_at or scan.created_at)[:19],
        "photo_url": photo_url,
        "key": record_key(scan),
    }


async def enqueue(tx: Tx, scan: Scan, photo_url: str) -> None:
    """Queue a confirmed scan for 1C, inside the confirmation's transaction."""
    await rows.enqueue(tx, scan.id, record_key(scan), payload(scan, photo_url), _iso(_now()))


async def retry_now(db: Database, scan_id: int) -> None:
    """An admin's retry: the row is due at once, whatever its state was (unless sent)."""
    await rows.retry_now(db, scan_id, _iso(_now()))


def _mapped(values: dict, fields: dict[str, str]) -> dict:
    return {fields[k]: v for k, v in values.items() if k in fields}


async def deliver_due(db: Database, client: OnecClient, limit: int = 50) -> int:
    """Send every due outbox row once; the number sent.

    A row is claimed before its send, so an undo meanwhile is refused rather than
    racing it; a claim cut off by a stop is released at the next start.
    """
    due = await rows.claim_due(db, _iso(_now()), limit)
    sent = handled = 0
    config = client.config
    key_field = config.identification_fields["key"]
    try:
        for row in due:
            try:
                existing = (
                    await client.find(config.identifications_set, key_field, row.record_key) if row.attempts else []
                )
                if existing:
                    ref = existing[0].get("Ref_Key", "")
                else:
                    fields = _mapped(row.payload, config.identification_fields)
                    ref = (await client.create(config.identifications_set, fields)).get("Ref_Key", "")
            except OnecAuthError as exc:
                await _failed(db, row, str(exc), AUTH_PAUSE_S, FAILED)
                handled += 1
                break  # the same login would be refused for every row
            except OnecError as exc:
                delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**row.attempts) * random.uniform(0.5, 1.5)
                await _failed(db, row, str(exc), delay, QUEUED)
            else:
                await rows.mark_sent(db, row.scan_id, ref, row.attempts + 1, _iso(_now()))
                sent += 1
            handled += 1
    finally:
        await rows.release(db, [row.scan_id for row in due[handled:]])  # not tried this pass: due as they were
    return sent


async def _failed(db: Database, row: rows.OutboxRow, error: str, delay_s: float, state: str) -> None:
    log.warning("1C outbox: scan %s not sent (%s); next try in %.0f s", row.scan_id, error, delay_s)
    next_at = _iso(_now() + timedelta(seconds=delay_s))
    await rows.mark_failed(db, row.scan_id, state, row.attempts + 1, error, next_at, _iso(_now()))


async def run_forever(db: Database, client: OnecClient, every_s: float = 5.0) -> None:
    """The server's background sender; it first checks 1C's $metadata against the mapping."""
    try:
        for problem in await client.check():
            log.warning("1C mapping: %s", problem)
    except OnecError as exc:
        log.warning("1C check at start-up failed: %s", exc)
    while True:
        try:
            # A send takes seconds; a claim this old was cut off (a replica stopped or was killed).
            await rows.release_stale_claims(db, _iso(_now() - timedelta(seconds=STALE_CLAIM_S)))
            await deliver_due(db, client)
        except Exception:  # keep the sender alive whatever one pass met
            log.exception("1C outbox pass failed")
        await asyncio.sleep(every_s)
