"""The Starlette application: wiring of storage, the recognition pool and the routes."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from inference.catalog import CatalogIndex
from web import pages
from web.config import Config
from web.recognition_pool import RecognitionPool
from web.storage.database import Database

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config: Config, engine=None) -> Starlette:
    """Build the app; ``engine`` defaults to the PP-OCR engine, loaded at start-up."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from inference.ocr import RapidOcrEngine

        db = await Database.open(config.database)
        rows = await db.catalog_rows()
        ocr = engine or RapidOcrEngine()
        app.state.db = db
        app.state.pool = RecognitionPool(ocr, CatalogIndex(rows), config.workers, config.queue_limit)
        log.info("markscan ready: %d catalog rows, %s", len(rows), ocr.name)
        try:
            yield
        finally:
            app.state.pool.close()
            await db.close()

    routes = [
        Route("/", pages.capture_page),
        Route("/recognize", pages.recognize, methods=["POST"]),
        Route("/healthz", pages.healthz),
        Mount("/static", StaticFiles(directory=ROOT / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.config = config
    return app
