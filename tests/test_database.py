import asyncio
import sqlite3

import pytest
from conftest import row

from inference.catalog import CatalogRow
from web.storage.database import Database


def run(coro):
    return asyncio.run(coro)


def test_replace_and_merge_catalog(tmp_path):
    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        await db.replace_catalog([row("195-30-1285", "1"), row("195-30-1285", "2")])
        assert await db.catalog_size() == 2
        added = await db.merge_catalog([row("195-30-1285", "2"), row("195-30-1285", "3")])
        assert added == 1
        await db.replace_catalog([row("1753-30-1034")])
        rows = await db.catalog_rows()
        await db.close()
        return rows

    assert [r.article for r in run(scenario())] == ["1753-30-1034"]


def test_a_failed_replace_leaves_the_old_catalog(tmp_path):
    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        await db.replace_catalog([row("195-30-1285", "1")])
        broken = CatalogRow("1391-30-0109", "1", object(), "1", "s")  # sqlite cannot store it
        with pytest.raises(sqlite3.ProgrammingError):
            await db.replace_catalog([row("1753-30-1034"), broken])
        rows = await db.catalog_rows()
        await db.close()
        return rows

    assert [r.article for r in run(scenario())] == ["195-30-1285"]


def test_catalog_survives_reopening(tmp_path):
    async def write():
        db = await Database.open(tmp_path / "m.db")
        await db.replace_catalog([row("195-30-1285", "1")])
        await db.close()

    async def read():
        db = await Database.open(tmp_path / "m.db")
        rows = await db.catalog_rows()
        await db.close()
        return rows

    run(write())
    assert run(read())[0].serial == "1"


def test_a_database_from_an_earlier_release_is_upgraded_in_place(tmp_path):
    """The schema is migrated by one tool (yoyo): an old file keeps its rows and gains the later columns."""
    path = tmp_path / "markscan.db"
    old = sqlite3.connect(path)  # the scans table as the first release made it, with a scan in it
    old.executescript(
        "CREATE TABLE scans (id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, photo_key TEXT NOT NULL,"
        " created_at TEXT NOT NULL, created_by TEXT NOT NULL, reading_status TEXT NOT NULL,"
        " marking TEXT NOT NULL DEFAULT '', article TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '',"
        " confidence REAL NOT NULL DEFAULT 0, reading_json TEXT NOT NULL, confirmed_at TEXT, confirmed_by TEXT,"
        " confirmed_article TEXT, confirmed_serial TEXT);"
        "INSERT INTO scans (idempotency_key, photo_key, created_at, created_by, reading_status, reading_json)"
        " VALUES ('old-key-0001', 'k', '2025-01-01', 'oleg', 'matched', '{}');"
    )
    old.commit()
    old.close()

    async def upgrade():
        for _ in range(2):  # the second opening finds nothing left to do
            db = await Database.open(path)
            columns = [row[1] for row in await db.fetchall("PRAGMA table_info(scans)")]
            kept = await db.fetchall("SELECT idempotency_key, order_number, confirmed_off_catalog FROM scans")
            applied = await db.fetchall("SELECT migration_id FROM _yoyo_migration ORDER BY migration_id")
            await db.close()
        return columns, kept, applied

    columns, kept, applied = asyncio.run(upgrade())
    assert {"order_number", "station_unit", "confirmed_off_catalog"} <= set(columns)
    assert kept == [("old-key-0001", "", 0)]
    assert [m for (m,) in applied] == ["0001.schema", "0002.later-columns", "0003.confirmed-marking"]
