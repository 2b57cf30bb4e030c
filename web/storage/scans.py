"""Scans: one photo, what was read from it, and who confirmed what."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from web.storage.database import Database

# What a person sees in the history for a scan.
AWAITING = "awaiting confirmation"
CONFIRMED = "confirmed"
CORRECTED = "corrected"

_COLUMNS = (
    "id, idempotency_key, photo_key, created_at, created_by, reading_status, marking, article, serial, "
    "confidence, reading_json, confirmed_at, confirmed_by, confirmed_article, confirmed_serial"
)


@dataclass(frozen=True, slots=True)
class Scan:
    id: int
    idempotency_key: str
    photo_key: str
    created_at: str
    created_by: str
    reading_status: str  # matched / article only / not in catalog / unreadable
    marking: str
    article: str
    serial: str
    confidence: float
    reading: dict
    confirmed_at: str | None
    confirmed_by: str | None
    confirmed_article: str | None
    confirmed_serial: str | None

    @property
    def status(self) -> str:
        if self.confirmed_at is None:
            return AWAITING
        if (self.confirmed_article, self.confirmed_serial) != (self.article, self.serial):
            return CORRECTED
        return CONFIRMED

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "idempotency_key": self.idempotency_key,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "status": self.status,
            "reading_status": self.reading_status,
            "marking": self.marking,
            "article": self.article,
            "serial": self.serial,
            "confidence": self.confidence,
            "confirmed": None
            if self.confirmed_at is None
            else {
                "at": self.confirmed_at,
                "by": self.confirmed_by,
                "article": self.confirmed_article,
                "serial": self.confirmed_serial,
            },
            "reading": self.reading,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _scan(row: tuple) -> Scan:
    values = list(row)
    values[10] = json.loads(values[10])
    return Scan(*values)


async def find_scan(db: Database, scan_id: int) -> Scan | None:
    async with db.connection.execute(f"SELECT {_COLUMNS} FROM scans WHERE id = ?", (scan_id,)) as cur:
        row = await cur.fetchone()
    return _scan(row) if row else None


async def find_scan_by_key(db: Database, idempotency_key: str) -> Scan | None:
    sql = f"SELECT {_COLUMNS} FROM scans WHERE idempotency_key = ?"
    async with db.connection.execute(sql, (idempotency_key,)) as cur:
        row = await cur.fetchone()
    return _scan(row) if row else None


async def add_scan(db: Database, idempotency_key: str, photo_key: str, who: str, reading: dict) -> tuple[Scan, bool]:
    """Record a recognized photo: (the scan, whether it is new).

    The same idempotency key twice returns the first scan, never a second one.
    """
    try:
        cursor = await db.connection.execute(
            "INSERT INTO scans (idempotency_key, photo_key, created_at, created_by, reading_status, marking,"
            " article, serial, confidence, reading_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                idempotency_key,
                photo_key,
                _now(),
                who,
                reading["status"],
                reading["marking"],
                reading["article"],
                reading["serial"],
                reading["confidence"],
                json.dumps(reading, ensure_ascii=False),
            ),
        )
        await db.connection.commit()
    except sqlite3.IntegrityError:
        await db.connection.rollback()
        existing = await find_scan_by_key(db, idempotency_key)
        assert existing is not None
        return existing, False
    scan = await find_scan(db, cursor.lastrowid)
    assert scan is not None
    return scan, True


async def confirm_scan(db: Database, scan_id: int, who: str, article: str, serial: str) -> Scan | None:
    """Confirm a scan as read, or with a corrected article and serial."""
    await db.connection.execute(
        "UPDATE scans SET confirmed_at = ?, confirmed_by = ?, confirmed_article = ?, confirmed_serial = ? WHERE id = ?",
        (_now(), who, article, serial, scan_id),
    )
    await db.connection.commit()
    return await find_scan(db, scan_id)


async def list_scans(db: Database, query: str = "", limit: int = 100, offset: int = 0) -> list[Scan]:
    """Newest first; ``query`` matches the marking as read or as confirmed."""
    sql = f"SELECT {_COLUMNS} FROM scans"
    params: list = []
    if query:
        sql += " WHERE marking LIKE ? OR confirmed_article LIKE ? OR confirmed_serial LIKE ?"
        like = f"%{query}%"
        params += [like, like, like]
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    async with db.connection.execute(sql, params) as cur:
        return [_scan(r) async for r in cur]
