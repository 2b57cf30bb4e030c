"""The Starlette application: wiring of storage, the recognition pool and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from inference import engines
from inference.catalog import CatalogIndex
from web import api, errors, health, pages, pwa, visual_memory
from web.assets import STATIC
from web.auth import AuthMiddleware
from web.config import Config
from web.onec import outbox
from web.onec.client import OnecClient
from web.onec.sync import sync_on_schedule
from web.openapi import OPENAPI
from web.operations import Services
from web.recognition_pool import RecognitionPool
from web.security_headers import SecurityHeadersMiddleware
from web.storage import memory as memory_entries
from web.storage.database import Database
from web.throttle import LoginThrottle

log = logging.getLogger(__name__)


def create_app(config: Config, engine=None) -> Starlette:
    """Build the app; ``engine`` defaults to the PP-OCR engine, loaded at start-up."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        db = await Database.open(config.database)
        rows = await db.catalog_rows()
        backend = config.inference_backend()
        ocr = engine or engines.ocr_engine(backend)
        embedder = memory = None
        if config.visual_memory:
            embedder = engines.embedder(backend)
            memory = await visual_memory.load(db, embedder)
        models = config.trained_models()
        pool = RecognitionPool(ocr, CatalogIndex(rows), config.workers, config.queue_limit, memory, embedder, models)
        onec_config = config.onec()
        onec = OnecClient(onec_config) if onec_config else None
        services = Services(db, pool, config.photos(), onec, config.public_url)
        app.state.db, app.state.pool, app.state.services = db, pool, services
        if onec is not None and not config.public_url:
            log.warning("MARKSCAN_PUBLIC_URL is not set: records sent to 1C carry no photo link")
        sender = asyncio.create_task(outbox.run_forever(db, onec)) if onec else None
        refresher = None
        if memory is not None and embedder is not None and config.database_url:  # other replicas add to it
            seen = await memory_entries.fingerprint(db, embedder.name)
            refresher = asyncio.create_task(visual_memory.refresh_forever(db, pool, seen))
        syncer = None
        if onec_config and onec_config.sync_every_min > 0:
            syncer = asyncio.create_task(sync_on_schedule(services, onec_config.sync_every_min))
        log.info(
            "markscan ready: %d catalog rows, %s, visual memory %s, 1C %s",
            len(rows),
            ocr.name,
            f"of {len(memory)} photos" if memory is not None else "off",
            "on" if sender else "off",
        )
        try:
            yield
        finally:
            for task in (syncer, refresher):
                if task is not None:
                    task.cancel()
            if sender is not None:
                sender.cancel()
            if onec is not None:
                await onec.close()
            pool.close()
            await services.photos.close()
            await db.close()

    routes = [
        Route("/", pages.capture_page),
        Route("/login", pages.login_page, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/scans", pages.create_scan, methods=["POST"]),
        Route("/scans/{scan_id:int}", pages.scan_page),
        Route("/scans/{scan_id:int}/card", pages.scan_card),
        Route("/scans/{scan_id:int}/confirm", pages.confirm_scan, methods=["POST"]),
        Route("/scans/{scan_id:int}/unconfirm", pages.undo_confirmation, methods=["POST"]),
        Route("/scans/{scan_id:int}/photos", pages.add_photo, methods=["POST"]),
        Route("/scans/{scan_id:int}/looks-like", pages.looks_like),
        Route("/scans/{scan_id:int}/onec-retry", pages.onec_retry, methods=["POST"]),
        Route("/scans/{scan_id:int}/{kind:str}.jpg", pages.scan_image),
        Route("/memory/{entry_id:int}.jpg", pages.memory_thumbnail),
        Route("/history", pages.history_page),
        Route("/history.{format:str}", pages.history_export),
        Route("/dock", pages.dock_page, methods=["GET", "POST"]),
        Route("/dock/summary", pages.dock_summary),
        Route("/catalog", pages.catalog_page),
        Route("/catalog/import", pages.catalog_import, methods=["POST"]),
        Route("/catalog/onec-sync", pages.catalog_onec_sync, methods=["POST"]),
        Route("/catalog/suggest", pages.catalog_suggest),
        Route("/healthz", health.healthz),
        Route("/metrics", pages.metrics),
        Route("/lang/{lang:str}", pages.switch_language),
        Route("/manifest.webmanifest", pwa.manifest),
        Route("/sw.js", pwa.service_worker),
        Route("/api/scans", api.create_scan, methods=["POST"]),
        Route("/api/scans", api.list_scans, methods=["GET"]),
        Route("/api/scans/{scan_id:int}", api.get_scan),
        Route("/api/scans/{scan_id:int}/confirm", api.confirm_scan, methods=["POST"]),
        Route("/api/scans/{scan_id:int}/unconfirm", api.undo_confirmation, methods=["POST"]),
        Route("/api/scans/{scan_id:int}/photos", api.add_scan_photo, methods=["POST"]),
        Route("/api/catalog/search", api.search_catalog),
        Route("/api/catalog/import", api.import_catalog, methods=["POST"]),
        Route("/api/openapi.json", lambda request: JSONResponse(OPENAPI)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    config.check()
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=config.secret_key(),
            session_cookie="markscan_session",
            same_site="lax",
            https_only=config.secure_cookies,
            max_age=12 * 3600,
        ),
        Middleware(AuthMiddleware),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=errors.HANDLERS, middleware=middleware)
    app.state.config = config
    app.state.login_throttle = LoginThrottle()
    return app
