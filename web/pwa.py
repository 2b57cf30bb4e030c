"""What makes the app installable: the web app manifest and the service worker at the site root."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from web.assets import SERVICE_WORKER

MANIFEST = {
    "name": "markscan — идентификация деталей",
    "short_name": "markscan",
    "description": "Фото маркировки → заказ, станция и блок",
    "lang": "ru",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "orientation": "any",
    "background_color": "#f4f5f7",
    "theme_color": "#1d3557",
    "icons": [
        {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
        {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
    ],
}


async def manifest(request: Request) -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json")


async def service_worker(request: Request) -> Response:
    # Served from the root so its scope covers the whole app; never cached stale.
    return FileResponse(SERVICE_WORKER, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
