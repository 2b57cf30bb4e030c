"""Where a command gets its catalog: an orders .xlsx, a markscan database, or the app's own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from inference.catalog import CatalogRow
from web.storage.database import Database
from web.storage.orders_xlsx import read_orders_xlsx


def shown(target: str | Path) -> str:
    """A database to name in messages: a PostgreSQL URL without its password."""
    if isinstance(target, Path):
        return str(target)
    url = urlparse(target)
    return url._replace(netloc=url.netloc.rsplit("@", 1)[-1]).geturl() if url.password else target


def load_catalog_rows(source: str | Path | None, database: str | Path) -> list[CatalogRow]:
    """Rows from ``source`` (an .xlsx read on the fly, or a SQLite file), else the app's ``database``."""
    target = Path(source) if source else database
    if isinstance(target, Path):
        if not target.exists():
            raise FileNotFoundError(f"catalog not found: {target}")
        if target.suffix.lower() in (".xlsx", ".xlsm"):
            return read_orders_xlsx(target).rows
    return run_with_database(target, lambda db: db.catalog_rows())


def run_with_database(path: str | Path, work):
    """``await work(db)`` against the database at ``path`` (a SQLite file or a PostgreSQL URL), closing it after."""

    async def run():
        db = await Database.open(path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())
