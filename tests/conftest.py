"""Shared fixtures: the real OCR engine (loaded once), generated catalogs and photos."""

from __future__ import annotations

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
