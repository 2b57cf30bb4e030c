"""Scans: one photo, what was read from it, and who confirmed what."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from inference.records import ReadingRecord
from web.storage.database import Database, Sql, Tx, unique_violations

MAX_ID = 2**63 - 1  # SQLite's largest integer: ids past it name no scan

# What a person sees in the history for a scan.
AWAITING = "awaiting confirmation"
CONFIRMED = "confirmed"
CORRECTED = "corrected"

_COLUMNS = (
    "id, idempotency_key, photo_key, created_at, created_by, reading_status, marking, article, serial, "
    "confidence, reading_json, confirmed_at, confirmed_by, confirmed_article, confirmed_serial, "
    "order_number, station_unit, confirmed_off_catalog"
)


@dataclass(frozen=True, slots=True, kw_only=True)
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
    reading: ReadingRecord
    confirmed_at: str | None
    confirmed_by: str | None
    confirmed_article: str | None
    confirmed_serial: str | None
    order_number: str  # of the part as read, or as confirmed
    station_unit: str
    confirmed_off_catalog: bool = False  # confirmed as a part the orders table does not list

    @property
    def current_article(self) -> str:
        """The article as confirmed, or as read while unconfirmed."""
        return (self.confirmed_article or "") if self.confirmed_at is not None else self.article

    @property
    def current_serial(self) -> str:
        """The serial as confirmed, or as read while unconfirmed."""
        return (self.confirmed_serial or "") if self.confirmed_at is not None else self.serial

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
            "probability": self.reading.get("probability", 0.0),
            "sure": bool(self.reading.get("sure")),
            "photos": len(self.reading.get("photos") or [self.photo_key]),
            "order_number": self.order_number,
            "station_unit": self.station_unit,
            "confirmed": None
            if self.confirmed_at is None
            else {
                "at": self.confirmed_at,
                "by": self.confirmed_by,
                "article": self.confirmed_article,
                "serial": self.confirmed_serial,
                "in_catalog": not self.confirmed_off_catalog,
            },
            "reading": self.reading,
        }


def _order_of(reading: ReadingRecord) -> tuple[str, str]:
    """Order number and station of the best candidate's first row, if it has one."""
    for candidate in reading.get("candidates", [])[:1]:
        for row in candidate.get("rows", [])[:1]:
            return row["order_number"], row["station_unit"]
    return "", ""


def _reading_columns(reading: ReadingRecord) -> tuple:
    """reading_status, marking, article, serial, confidence, reading_json, order_number, station_unit."""
    what = (reading["status"], reading["marking"], reading["article"], reading["serial"], reading["confidence"])
    return (*what, json.dumps(reading, ensure_ascii=False), *_order_of(reading))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_NAMES = [name.strip() for name in _COLUMNS.split(",")]


def _scan(row: tuple) -> Scan:
    """A row of ``_COLUMNS`` as a Scan, by column name."""
    values = dict(zip(_NAMES, row, strict=True))
    reading = json.loads(values.pop("reading_json"))
    off_catalog = bool(values.pop("confirmed_off_catalog"))
    return Scan(**values, reading=reading, confirmed_off_catalog=off_catalog)


async def find_scan(db: Database | Sql, scan_id: int) -> Scan | None:
    if not 0 < scan_id <= MAX_ID:
        return None
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM scans WHERE id = ?", (scan_id,))
    return _scan(row) if row else None


async def lock_scan(tx: Tx, scan_id: int) -> Scan | None:
    """A scan read to be changed: no other transaction changes it until this one ends (``FOR UPDATE`` on
    PostgreSQL; SQLite's write transaction holds the whole database already)."""
    lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
    row = await tx.fetchone(f"SELECT {_COLUMNS} FROM scans WHERE id = ?{lock}", (scan_id,))
    return _scan(row) if row else None


async def find_scan_by_key(db: Database, idempotency_key: str) -> Scan | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM scans WHERE idempotency_key = ?", (idempotency_key,))
    return _scan(row) if row else None


async def add_scan(
    db: Database, idempotency_key: str, photo_key: str, who: str, reading: ReadingRecord
) -> tuple[Scan, bool]:
    """Record a recognized photo: (the scan, whether it is new).

    The same idempotency key twice returns the first scan, never a second one.
    """
    try:
        async with db.transaction() as tx:
            scan_id = await tx.insert(
                "INSERT INTO scans (idempotency_key, photo_key, created_at, created_by, reading_status, marking,"
                " article, serial, confidence, reading_json, order_number, station_unit)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (idempotency_key, photo_key, now(), who, *_reading_columns(reading)),
            )
    except unique_violations():
        existing = await find_scan_by_key(db, idempotency_key)
        assert existing is not None
        return existing, False
    scan = await find_scan(db, scan_id)
    assert scan is not None
    return scan, True


async def replace_reading(db: Database, scan_id: int, reading: ReadingRecord) -> Scan | None:
    """A new reading for a scan not yet confirmed (another photo of the part was fused in); None if confirmed."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE scans SET reading_status = ?, marking = ?, article = ?, serial = ?, confidence = ?,"
            " reading_json = ?, order_number = ?, station_unit = ? WHERE id = ? AND confirmed_at IS NULL",
            (*_reading_columns(reading), scan_id),
        )
    return await find_scan(db, scan_id) if changed else None


async def confirm(
    tx: Tx, scan_id: int, who: str, article: str, serial: str, order: tuple[str, str], off_catalog: bool = False
) -> Scan:
    """Confirm a scan as read, or with a corrected article and serial and the order they belong to."""
    await tx.execute(
        "UPDATE scans SET confirmed_at = ?, confirmed_by = ?, confirmed_article = ?, confirmed_serial = ?,"
        " order_number = ?, station_unit = ?, confirmed_off_catalog = ? WHERE id = ?",
        (now(), who, article, serial, *order, int(off_catalog), scan_id),
    )
    scan = await find_scan(tx, scan_id)
    assert scan is not None
    return scan


async def confirmed_as(db: Database | Sql, article: str, serial: str, other_than: int) -> Scan | None:
    """The first scan other than ``other_than`` confirmed as this article and serial (a part seen before)."""
    sql = (
        f"SELECT {_COLUMNS} FROM scans WHERE confirmed_article = ? AND confirmed_serial = ? AND id != ?"
        " AND confirmed_at IS NOT NULL ORDER BY id LIMIT 1"
    )
    row = await db.fetchone(sql, (article, serial, other_than))
    return _scan(row) if row else None


async def undo_confirmation(tx: Tx, scan: Scan) -> Scan:
    """Back to awaiting confirmation, with the order the reading pointed to."""
    await tx.execute(
        "UPDATE scans SET confirmed_at = NULL, confirmed_by = NULL, confirmed_article = NULL,"
        " confirmed_serial = NULL, confirmed_off_catalog = 0, order_number = ?, station_unit = ? WHERE id = ?",
        (*_order_of(scan.reading), scan.id),
    )
    undone = await find_scan(tx, scan.id)
    assert undone is not None
    return undone


async def list_scans(
    db: Database,
    query: str = "",
    limit: int = 100,
    offset: int = 0,
    order: str = "",
    station: str = "",
    since: str = "",
    by: str = "",
    until: str = "",
) -> list[Scan]:
    """Newest first; ``query`` matches the marking as read or as confirmed; taken from ``since``, before ``until``."""
    filters = {
        "created_at >= ?": since,
        "created_at < ?": until,
        "created_by = ?": by,
        "order_number = ?": order,
        "station_unit = ?": station,
    }
    conditions = [condition for condition, value in filters.items() if value]
    params: list = [value for value in filters.values() if value]
    if query:
        conditions.append("(marking LIKE ? OR confirmed_article LIKE ? OR confirmed_serial LIKE ?)")
        params += [f"%{query}%"] * 3
    sql = f"SELECT {_COLUMNS} FROM scans"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    return [_scan(r) for r in await db.fetchall(sql, [*params, limit, offset])]


async def confirmed_scans(db: Database) -> list[Scan]:
    """Every scan confirmed as a part the orders table lists, oldest first: what a plant's readers learn from."""
    sql = f"SELECT {_COLUMNS} FROM scans WHERE confirmed_at IS NOT NULL AND confirmed_off_catalog = 0 ORDER BY id"
    return [_scan(r) for r in await db.fetchall(sql)]


async def scan_filters(db: Database) -> tuple[list[str], list[str]]:
    """The order numbers and stations that scans have, for the history's filters."""
    orders = sorted(r[0] for r in await db.fetchall("SELECT DISTINCT order_number FROM scans WHERE order_number != ''"))
    stations = sorted(
        r[0] for r in await db.fetchall("SELECT DISTINCT station_unit FROM scans WHERE station_unit != ''")
    )
    return orders, stations
