"""``/healthz``: whether this server can do its work, for a load balancer or a person.

It answers 503 ``{"ok": false, "problem": "disk full"}`` while the data folder's disk has
under ``MIN_FREE_BYTES`` free, or a write failed for want of space within ``FULL_FOR_S``
(the database may live on another disk); else 200 ``{"ok": true}``.
"""

from __future__ import annotations

import shutil
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MIN_FREE_BYTES = 64 * 1024 * 1024
FULL_FOR_S = 60.0


def note_disk_full(state) -> None:
    """A write failed for want of space (``state``: the app's)."""
    state.disk_full_at = time.monotonic()


def recently_full(state) -> bool:
    failed_at = getattr(state, "disk_full_at", None)
    return failed_at is not None and time.monotonic() - failed_at < FULL_FOR_S


async def healthz(request: Request) -> Response:
    data_dir = request.app.state.config.data_dir
    if recently_full(request.app.state) or shutil.disk_usage(data_dir).free < MIN_FREE_BYTES:
        return JSONResponse({"ok": False, "problem": "disk full"}, status_code=503)
    return JSONResponse({"ok": True})
