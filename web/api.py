"""The JSON API: the same operations as the pages, for devices and scripts."""

from __future__ import annotations

import asyncio
import io
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from inference.annotate import annotated_jpeg
from inference.catalog import CatalogIndex
from inference.photo import PhotoError
from web import csrf, visual_memory
from web.onec import outbox
from web.recognition_pool import PoolBusy
from web.storage import scans
from web.storage.orders_xlsx import OrdersTableError, read_orders_xlsx
from web.storage.photos import photo_key

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


def current_user(request: Request) -> str:
    return request.state.user.name


def require_admin(request: Request) -> None:
    if not request.state.user.is_admin:
        raise ApiError(403, "only an admin may do this")


async def read_upload(request: Request, field: str) -> tuple[bytes, dict]:
    """The uploaded file ``field`` and the other form fields; 4xx on anything off."""
    config = request.app.state.config
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "send the photo as multipart/form-data")
    declared = int(request.headers.get("content-length") or 0)
    if declared > config.max_upload_bytes + 64 * 1024:
        raise ApiError(413, f"the upload is larger than {config.max_upload_bytes // (1024 * 1024)} MB")
    form = await request.form(max_files=1, max_fields=10, max_part_size=config.max_upload_bytes)
    upload = form.get(field)
    if upload is None or isinstance(upload, str):
        raise ApiError(400, f"the form has no file field '{field}'")
    data = await upload.read()
    if len(data) > config.max_upload_bytes:
        raise ApiError(413, f"the upload is larger than {config.max_upload_bytes // (1024 * 1024)} MB")
    if not data:
        raise ApiError(400, "the uploaded file is empty")
    fields = csrf.text_fields(form)
    csrf.check_form(request, fields)
    return data, fields


async def read_photo(request: Request, photo: bytes) -> dict:
    """Recognize a photo and keep it: its reading, with ``photo_key`` and ``annotated_key`` in the photo store."""
    try:
        recognition = await request.app.state.pool.recognize(photo)
    except PhotoError as exc:
        raise ApiError(422, f"the photo cannot be read: {exc}") from exc
    except PoolBusy as exc:
        raise ApiError(503, "the server is busy, retry in a few seconds", {"Retry-After": "5"}) from exc
    photos = request.app.state.photos
    reading = recognition.to_dict()
    # Encoding and disk writes off the event loop: other people keep being served.
    reading["annotated_key"] = await asyncio.to_thread(lambda: photos.save(annotated_jpeg(recognition)))
    reading["photo_key"] = await asyncio.to_thread(photos.save, photo)
    return reading


async def recognize_and_store(request: Request, photo: bytes, key: str) -> tuple[scans.Scan, bool]:
    """Read a photo and record the scan: (scan, new). A retried key returns the first scan."""
    db = request.app.state.db
    existing = await scans.find_scan_by_key(db, key)
    if existing is not None:
        return existing, False
    reading = await read_photo(request, photo)
    return await scans.add_scan(db, key, reading["photo_key"], current_user(request), reading)


MAX_PHOTOS_PER_PART = 8


async def add_photo(request: Request, scan: scans.Scan, photo: bytes) -> scans.Scan:
    """Another photo of the scan's part ("ещё фото"): read it and fuse it with the photos before.

    Sending the same photo again changes nothing, so a retried upload is harmless.
    """
    if scan.confirmed_at is not None:
        raise ApiError(409, "the scan is confirmed: undo the confirmation to add a photo")
    readings = scan.reading.get("photos") or [{**scan.reading, "photo_key": scan.photo_key}]
    if photo_key(photo) in {r.get("photo_key") for r in readings}:
        return scan
    if len(readings) >= MAX_PHOTOS_PER_PART:
        raise ApiError(409, f"a part has at most {MAX_PHOTOS_PER_PART} photos")
    reading = await read_photo(request, photo)
    fused = request.app.state.pool.fuse([*readings, reading])
    updated = await scans.replace_reading(request.app.state.db, scan.id, fused)
    if updated is None:
        raise ApiError(409, "the scan was confirmed meanwhile: undo the confirmation to add a photo")
    return updated


async def add_scan_photo(request: Request) -> Response:
    scan = await scan_or_404(request)
    photo, _ = await read_upload(request, "photo")
    return JSONResponse((await add_photo(request, scan, photo)).to_dict())


def idempotency_key(request: Request, fields: dict) -> str:
    key = request.headers.get("idempotency-key") or fields.get("idempotency_key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(400, "an idempotency key of 8 to 128 letters, digits or -_.: is required")
    return key


async def create_scan(request: Request) -> Response:
    photo, fields = await read_upload(request, "photo")
    key = idempotency_key(request, fields)
    scan, created = await recognize_and_store(request, photo, key)
    return JSONResponse(scan.to_dict(), status_code=201 if created else 200)


async def get_scan(request: Request) -> Response:
    return JSONResponse((await scan_or_404(request)).to_dict())


async def confirm_scan(request: Request) -> Response:
    scan = await scan_or_404(request)
    body = await _body(request)
    article = str(body.get("article") or scan.article).strip()
    serial = str(body.get("serial") if body.get("serial") is not None else scan.serial).strip()
    if not article:
        raise ApiError(400, "nothing to confirm: the scan has no article; send the corrected article")
    if len(article) > 64 or len(serial) > 32:
        raise ApiError(400, "article or serial too long")
    return JSONResponse((await confirm(request, scan, article, serial)).to_dict())


async def undo_confirmation(request: Request) -> Response:
    scan = await scan_or_404(request)
    await _body(request)
    return JSONResponse((await unconfirm(request, scan)).to_dict())


async def confirm(request: Request, scan: scans.Scan, article: str, serial: str) -> scans.Scan:
    """Record who confirmed what; queue it for 1C and keep the photo in the visual memory."""
    state = request.app.state
    order = order_of(request, article, serial)
    confirmed = await scans.confirm_scan(state.db, scan.id, current_user(request), article, serial, order)
    if getattr(state, "onec", None) is not None:
        photo_url = f"{str(request.base_url).rstrip('/')}/scans/{scan.id}/photo.jpg"
        await outbox.enqueue(state.db, confirmed, photo_url)
    await visual_memory.remember_scan(state.db, state.pool, state.photos, confirmed)
    return confirmed


async def unconfirm(request: Request, scan: scans.Scan) -> scans.Scan:
    """Undo a confirmation (its author or an admin): off the 1C queue and out of the visual memory."""
    state = request.app.state
    if scan.confirmed_at is None:
        raise ApiError(409, "the scan is not confirmed")
    user = request.state.user
    if scan.confirmed_by != user.name and not user.is_admin:
        raise ApiError(403, "only the person who confirmed the scan, or an admin, may undo it")
    if not await outbox.withdraw(state.db, scan.id):
        raise ApiError(409, "the identification was already sent to 1C: correct it in 1C")
    await visual_memory.forget_scan(state.db, state.pool, scan.id)
    return await scans.undo_confirmation(state.db, scan)


async def scan_or_404(request: Request) -> scans.Scan:
    """The scan the path names; 404 when there is none."""
    scan = await scans.find_scan(request.app.state.db, request.path_params["scan_id"])
    if scan is None:
        raise ApiError(404, "no such scan")
    return scan


def order_of(request: Request, article: str, serial: str) -> tuple[str, str]:
    """The order and station a confirmed article and serial belong to, per the catalog."""
    rows = request.app.state.pool.recognizer.index.rows_for(article, serial)
    return (rows[0].order_number, rows[0].station_unit) if rows else ("", "")


async def list_scans(request: Request) -> Response:
    params = request.query_params
    try:
        limit = min(500, max(1, int(params.get("limit", 100))))
        offset = max(0, int(params.get("offset", 0)))
    except ValueError as exc:
        raise ApiError(400, "limit and offset must be numbers") from exc
    found = await scans.list_scans(
        request.app.state.db, params.get("q", ""), limit, offset, params.get("order", ""), params.get("station", "")
    )
    return JSONResponse({"scans": [s.to_dict() for s in found]})


async def search_catalog(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    if len(query) > 64:
        raise ApiError(400, "query too long")
    index: CatalogIndex = request.app.state.pool.recognizer.index
    matches = index.lookup(query, limit=10) if query else []
    return JSONResponse(
        {
            "results": [
                {
                    "article": m.entry.stamped,
                    "similarity": round(m.similarity, 3),
                    "rows": [r.to_dict() for r in m.entry.rows[:50]],
                }
                for m in matches
            ]
        }
    )


async def import_orders(request: Request) -> dict:
    """Admins: an uploaded orders .xlsx into the catalog; the report of what was kept and rejected.

    The file is parsed whole before anything is written, and the swap is one
    transaction: a file that is not an orders table leaves the catalog as it was.
    """
    require_admin(request)
    data, fields = await read_upload(request, "file")
    mode = fields.get("mode", "replace")
    if mode not in ("replace", "merge"):
        raise ApiError(400, "mode must be replace or merge")
    try:
        report = await asyncio.to_thread(read_orders_xlsx, io.BytesIO(data))
    except OrdersTableError as exc:
        raise ApiError(422, f"not an orders table: {exc}; the catalog was not changed") from exc
    if not report.rows:
        raise ApiError(422, "no valid rows; the catalog was not changed")
    db = request.app.state.db
    written = await (db.replace_catalog(report.rows) if mode == "replace" else db.merge_catalog(report.rows))
    index = await asyncio.to_thread(CatalogIndex, await db.catalog_rows())
    request.app.state.pool.replace_catalog(index)
    return {"mode": mode, "written": written, "catalog_rows": index.n_rows, **report.to_dict()}


async def import_catalog(request: Request) -> Response:
    return JSONResponse(await import_orders(request))


async def _body(request: Request) -> dict:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body
    return await csrf.checked_form(request)
