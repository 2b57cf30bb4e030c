"""The SQLite database (via aiosqlite): the schema, transactions, and the catalog's reads and writes.

Every write runs inside ``Database.transaction()``: one connection, one writer
at a time, and what a transaction wrote commits together or not at all. The
other tables' statements live beside this module (``scans.py``, ``users.py``,
``sessions.py``, ``outbox.py``, ``memory.py``); they write through the
transaction they are given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import aiosqlite

from inference.catalog import CatalogRow, learn_suffixes, stamped_form
from inference.lookalikes import skeleton

Tx = aiosqlite.Connection  # the connection inside a transaction: what storage writes go through

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS catalog (
    id INTEGER PRIMARY KEY,
    article TEXT NOT NULL,
    stamped TEXT NOT NULL,
    article_key TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    part_name TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    station_unit TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS catalog_key ON catalog (article_key, serial);
CREATE INDEX IF NOT EXISTS catalog_order ON catalog (order_number);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    photo_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reading_status TEXT NOT NULL,
    marking TEXT NOT NULL DEFAULT '',
    article TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    confidence REAL NOT NULL DEFAULT 0,
    reading_json TEXT NOT NULL,
    confirmed_at TEXT,
    confirmed_by TEXT,
    confirmed_article TEXT,
    confirmed_serial TEXT,
    order_number TEXT NOT NULL DEFAULT '',
    station_unit TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS scans_created ON scans (created_at);
CREATE TABLE IF NOT EXISTS onec_outbox (
    scan_id INTEGER PRIMARY KEY REFERENCES scans (id),
    record_key TEXT NOT NULL UNIQUE,
    payload_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    onec_ref TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'admin')),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL DEFAULT '9999'
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_marking ON scans (marking);
CREATE TABLE IF NOT EXISTS memory_entries (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER UNIQUE REFERENCES scans (id),
    source TEXT NOT NULL,
    article TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    thumbnail_key TEXT NOT NULL,
    embedder TEXT NOT NULL,
    vector BLOB NOT NULL,
    created_at TEXT NOT NULL
);
"""

_ROW_COLUMNS = "article, serial, part_name, order_number, station_unit"

# Columns added after a table was first created: (table, column, definition).
_LATER_COLUMNS = (
    ("scans", "order_number", "TEXT NOT NULL DEFAULT ''"),
    ("scans", "station_unit", "TEXT NOT NULL DEFAULT ''"),
    ("users", "disabled", "INTEGER NOT NULL DEFAULT 0"),
    ("api_tokens", "expires_at", "TEXT NOT NULL DEFAULT '9999'"),
    ("onec_outbox", "sending_since", "TEXT"),  # set while a send to 1C is in flight
    ("scans", "confirmed_off_catalog", "INTEGER NOT NULL DEFAULT 0"),  # confirmed as a part the orders lack
)


async def _add_missing_columns(connection: aiosqlite.Connection) -> None:
    for table, column, definition in _LATER_COLUMNS:
        async with connection.execute(f"PRAGMA table_info({table})") as cur:
            present = {row[1] async for row in cur}
        if column not in present:
            await connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


class Database:
    """One SQLite file; open with ``await Database.open(path)``."""

    def __init__(self, connection: aiosqlite.Connection, path: Path):
        self.connection = connection
        self.path = path
        self._writer = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (and create or upgrade) the database; the file is readable by its owner only."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        old_umask = os.umask(0o077)  # the file and its -wal/-shm companions: owner only
        try:
            connection = await aiosqlite.connect(path)
            await connection.executescript(SCHEMA)
            await _add_missing_columns(connection)
            await connection.commit()
        finally:
            os.umask(old_umask)
        for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if made.exists():
                made.chmod(0o600)
        return cls(connection, path)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work: what is written through the yielded connection commits together, or not at all."""
        async with self._writer:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.rollback()
                raise
            await self.connection.commit()

    async def close(self) -> None:
        await self.connection.close()

    async def replace_catalog(self, rows: Iterable[CatalogRow]) -> int:
        """Swap the whole catalog for ``rows`` in one transaction."""
        return await self._write_catalog(rows, replace=True)

    async def merge_catalog(self, rows: Iterable[CatalogRow]) -> int:
        """Add ``rows`` that are not in the catalog yet (same article, serial, order)."""
        return await self._write_catalog(rows, replace=False)

    async def _write_catalog(self, rows: Iterable[CatalogRow], replace: bool) -> int:
        rows = list(rows)
        async with self.transaction() as tx:
            if replace:
                await tx.execute("DELETE FROM catalog")
                existing: set[tuple[str, str, str]] = set()
            else:
                async with tx.execute("SELECT article, serial, order_number FROM catalog") as cur:
                    existing = {tuple(r) async for r in cur}
            new = [r for r in rows if (r.article, r.serial, r.order_number) not in existing]
            await _insert(tx, new)
        return len(new)

    async def apply_catalog_changes(self, upserts: list[CatalogRow], removals: list[tuple[str, str, str]]) -> None:
        """Rows added or changed, and rows gone, by (article, serial, order) key, in one transaction."""
        async with self.transaction() as tx:
            keys = removals + [(r.article, r.serial, r.order_number) for r in upserts]
            await tx.executemany("DELETE FROM catalog WHERE article = ? AND serial = ? AND order_number = ?", keys)
            await _insert(tx, upserts)

    async def catalog_rows(self) -> list[CatalogRow]:
        async with self.connection.execute(f"SELECT {_ROW_COLUMNS} FROM catalog ORDER BY id") as cur:
            return [CatalogRow(*r) async for r in cur]

    async def catalog_size(self) -> int:
        async with self.connection.execute("SELECT count(*) FROM catalog") as cur:
            (n,) = await cur.fetchone()
        return n


async def _insert(tx: Tx, rows: list[CatalogRow]) -> None:
    suffixes = learn_suffixes(r.article for r in rows)
    await tx.executemany(
        f"INSERT INTO catalog (stamped, article_key, {_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                (s := stamped_form(r.article, suffixes)),
                skeleton(s),
                r.article,
                r.serial,
                r.part_name,
                r.order_number,
                r.station_unit,
            )
            for r in rows
        ],
    )
