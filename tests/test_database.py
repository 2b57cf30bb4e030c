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
