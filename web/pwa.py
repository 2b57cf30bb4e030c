"""What makes the app installable: the web app manifest and the service worker at the site root."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web.assets import SERVICE_WORKER, STATIC

SHELL_SUFFIXES = (".css", ".js", ".png")  # what the pages load from static/ (not the licence text)

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


@cache
def service_worker_source() -> str:
    """The service worker with its shell: the start page, the manifest and every file the pages load from
    static/, the cache named after their contents."""
    files = sorted(p for p in STATIC.iterdir() if p.suffix in SHELL_SUFFIXES)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    shell = ["/", *(f"/static/{p.name}" for p in files), "/manifest.webmanifest"]
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    return source.replace("{{version}}", digest.hexdigest()[:12]).replace("{{shell}}", json.dumps(shell))


async def service_worker(request: Request) -> Response:
    # Served from the root so its scope covers the whole app; never cached stale.
    return Response(service_worker_source(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})
