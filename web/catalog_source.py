"""Where a command gets its catalog: an orders .xlsx, a markscan database, or the app's own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from inference.catalog import CatalogRow
from web.storage.database import Database
from web.storage.orders_xlsx import read_orders_xlsx

DEFAULT_DATA_DIR = Path("markscan-data")
DATABASE_NAME = "markscan.db"


def database_path(data_dir: str | Path = DEFAULT_DATA_DIR) -> Path:
    return Path(data_dir) / DATABASE_NAME


def load_catalog_rows(source: str | Path | None, data_dir: str | Path = DEFAULT_DATA_DIR) -> list[CatalogRow]:
    """Rows from an .xlsx (read on the fly), a SQLite file, or the app's database."""
    path = Path(source) if source else database_path(data_dir)
    if not path.exists():
        raise FileNotFoundError(f"catalog not found: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_orders_xlsx(path).rows
    return run_with_database(path, lambda db: db.catalog_rows())


def run_with_database(path: str | Path, work):
    """``await work(db)`` against the SQLite file at ``path``, closing it after."""

    async def run():
        db = await Database.open(path)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())
