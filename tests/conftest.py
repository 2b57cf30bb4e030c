"""Shared fixtures: the real OCR engine (loaded once), generated catalogs and photos."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from inference.catalog import CatalogIndex, CatalogRow
from web.demo import demo_rows

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_PHOTOS = REAL_DATA / "real-dev"
REAL_ORDERS = REAL_DATA / "orders.xlsx"

needs_real_data = pytest.mark.skipif(
    not (REAL_PHOTOS / "labels.csv").exists() or not REAL_ORDERS.exists(),
    reason=f"real photos and orders table not found in {REAL_DATA} (they are not shipped with the repo)",
)


@pytest.fixture(scope="session")
def ocr_engine():
    from inference.ocr import RapidOcrEngine

    return RapidOcrEngine()


@pytest.fixture(scope="session")
def rows() -> list[CatalogRow]:
    return demo_rows()


@pytest.fixture(scope="session")
def index(rows) -> CatalogIndex:
    return CatalogIndex(rows)


def row(article: str, serial: str = "", order: str = "201000001", station: str = "АЭС_блок 1") -> CatalogRow:
    return CatalogRow(article, serial, "ДетальЦБ-1", order, station)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size (a decompression bomb) without the memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def app_data(tmp_path_factory, rows):
    """A data folder with the demo catalog, an admin and an operator, and a token for each."""
    import asyncio
    import concurrent.futures

    from web.storage import users
    from web.storage.database import Database

    data_dir = tmp_path_factory.mktemp("data")

    async def seed():
        db = await Database.open(data_dir / "markscan.db")
        await db.replace_catalog(rows)
        await users.add_user(db, "anna", "ledokol-2024", "admin")
        await users.add_user(db, "oleg", "parovoz-1961", "operator")
        tokens = {"admin": await users.create_token(db, "anna"), "operator": await users.create_token(db, "oleg")}
        await db.close()
        return tokens

    # In a thread of its own: a browser test may already run an event loop here.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return data_dir, pool.submit(asyncio.run, seed()).result()


def make_client(data_dir, engine, **config):
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.config import Config

    settings = {"workers": 1, "queue_limit": 2, "max_upload_bytes": 2 * 1024 * 1024, **config}
    return TestClient(create_app(Config(data_dir=data_dir, **settings), engine=engine))


@pytest.fixture(scope="module")
def admin_client(app_data, ocr_engine):
    """The real app, every request made with the admin's API token."""
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        yield client
