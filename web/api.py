"""The JSON API: the operations for devices and scripts (``web/operations.py`` does the work)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web import inputs, operations
from web.operations import Refused


async def create_scan(request: Request) -> Response:
    photo, fields = await inputs.upload(request, "photo")
    key = inputs.idempotency_key(request, fields)
    scan, created = await operations.scan_photo(inputs.services(request), inputs.user(request), photo, key)
    return JSONResponse(scan.to_dict(), status_code=201 if created else 200)


async def get_scan(request: Request) -> Response:
    return JSONResponse((await inputs.scan(request)).to_dict())


async def add_scan_photo(request: Request) -> Response:
    scan = await inputs.scan(request)
    photo, _ = await inputs.upload(request, "photo")
    updated = await operations.add_photo(inputs.services(request), inputs.user(request), scan, photo)
    return JSONResponse(updated.to_dict())


async def confirm_scan(request: Request) -> Response:
    scan = await inputs.scan(request)
    body = await inputs.body(request)
    article = inputs.text(body, "article", "") or scan.article
    serial = inputs.text(body, "serial", scan.serial)
    off_catalog, repeat = inputs.flag(body, "not_in_catalog"), inputs.flag(body, "duplicate")
    confirmed = await operations.confirm(
        inputs.services(request), inputs.user(request), scan, article, serial, off_catalog, repeat
    )
    return JSONResponse(confirmed.to_dict())


async def undo_confirmation(request: Request) -> Response:
    scan = await inputs.scan(request)
    await inputs.body(request)
    return JSONResponse((await operations.undo(inputs.services(request), inputs.user(request), scan)).to_dict())


async def list_scans(request: Request) -> Response:
    params = request.query_params
    try:
        limit = min(500, max(1, int(params.get("limit", 100))))
        offset = int(params.get("offset", 0))
    except ValueError as exc:
        raise Refused(400, "bad_paging", "limit и offset — целые числа.") from exc
    found = await operations.history(
        inputs.services(request),
        params.get("q", ""),
        limit,
        offset,
        params.get("order", ""),
        params.get("station", ""),
    )
    return JSONResponse({"scans": [s.to_dict() for s in found]})


async def search_catalog(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    if len(query) > 64:
        raise Refused(400, "query_too_long", "Запрос длиннее 64 знаков.")
    index = inputs.services(request).recognition.recognizer.index
    matches = index.lookup(query, limit=10) if query else []
    results = [
        {
            "article": m.entry.stamped,
            "similarity": round(m.similarity, 3),
            "rows": [r.to_record() for r in m.entry.rows[:50]],
        }
        for m in matches
    ]
    return JSONResponse({"results": results})


async def import_catalog(request: Request) -> Response:
    operations.require_admin(inputs.user(request))
    data, fields = await inputs.upload(request, "file")
    mode = fields.get("mode", "replace")
    return JSONResponse(await operations.import_orders(inputs.services(request), inputs.user(request), data, mode))
