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
    return asyncio.run(_rows_from_database(path))


async def _rows_from_database(path: Path) -> list[CatalogRow]:
    db = await Database.open(path)
    try:
        return await db.catalog_rows()
    finally:
        await db.close()
