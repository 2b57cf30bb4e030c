"""HTML pages and fragments (HTMX swaps the fragments in place)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from inference.photo import PhotoError
from web import api, csrf, export, i18n
from web.onec import outbox
from web.onec.client import OnecError
from web.onec.sync import sync_into_app
from web.recognition_pool import PoolBusy
from web.storage import memory as memory_entries
from web.storage import scans, users

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
CONFIDENCE_WORDS = {"sure": "уверенно", "check": "проверьте", "none": "не найдено"}


def confidence_word(reading: dict) -> tuple[str, str]:
    """The word the card shows for a reading, and its kind: "уверенно" only for a sure reading."""
    if reading.get("sure"):
        kind = "sure"
    elif reading.get("status") in ("matched", "article only"):
        kind = "check"
    else:
        kind = "none"
    return CONFIDENCE_WORDS[kind], kind


STATUS_WORDS = {
    scans.AWAITING: "ожидает подтверждения",
    scans.CONFIRMED: "подтверждено",
    scans.CORRECTED: "исправлено",
}
templates.env.globals.update(confidence_word=confidence_word, status_words=STATUS_WORDS)


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    """A template with what every page needs: the CSRF token, who is signed in, the language."""
    lang = i18n.language(request)
    context = {
        "csrf": csrf.csrf_token(request),
        "user": request.state.user,
        "lang": lang,
        "_": i18n.translator(lang),
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def login_page(request: Request) -> Response:
    next_path = request.query_params.get("next", "/")
    if not next_path.startswith("/") or next_path.startswith("//"):
        next_path = "/"
    if request.method == "GET":
        return render(request, "login.html", {"next": next_path})
    try:
        fields = await csrf.checked_form(request)
    except csrf.CsrfError as exc:
        return render(request, "login.html", {"next": next_path, "error": str(exc)}, 403)
    user = await users.check_password(request.app.state.db, fields.get("name", ""), fields.get("password", ""))
    if user is None:
        error = i18n.translate(request, "Неверное имя или пароль.")
        return render(request, "login.html", {"next": next_path, "error": error}, 401)
    request.session.clear()
    request.session["user"] = user.name
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    await csrf.checked_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def capture_page(request: Request) -> Response:
    return render(request, "capture.html", {"upload_key": secrets.token_urlsafe(16)})


async def create_scan(request: Request) -> Response:
    """The no-JavaScript path: a plain form post, then the scan's page."""
    try:
        photo, fields = await api.read_upload(request, "photo")
        key = api.idempotency_key(request, fields)
        scan, _ = await api.recognize_and_store(request, photo, key)
    except api.ApiError as exc:
        return render(request, "error.html", {"message": exc.message}, exc.status)
    return RedirectResponse(f"/scans/{scan.id}", status_code=303)


async def _onec_states(request: Request, scan_ids: list[int]) -> dict:
    if getattr(request.app.state, "onec", None) is None:
        return {"onec": {}}
    return {"onec": await outbox.states(request.app.state.db, scan_ids)}


async def scan_page(request: Request) -> Response:
    scan = await api.scan_or_404(request)
    return render(request, "scan.html", {"scan": scan, **await _onec_states(request, [scan.id])})


async def scan_card(request: Request) -> Response:
    scan = await api.scan_or_404(request)
    return render(request, "scan_card.html", {"scan": scan, **await _onec_states(request, [scan.id])})


async def onec_retry(request: Request) -> Response:
    """Admins: send a scan to 1C again now."""
    scan = await api.scan_or_404(request)
    await csrf.checked_form(request)
    api.require_admin(request)
    await outbox.retry_now(request.app.state.db, scan.id)
    return RedirectResponse(request.headers.get("referer") or f"/scans/{scan.id}", status_code=303)


async def confirm_scan(request: Request) -> Response:
    scan = await api.scan_or_404(request)
    fields = await csrf.checked_form(request)
    article = (fields.get("article") or scan.article).strip()[:64]
    serial = (fields.get("serial") if "serial" in fields else scan.serial).strip()[:32]
    if not article:
        error = i18n.translate(request, "Укажите артикул.")
        return render(request, "scan_card.html", {"scan": scan, "error": error}, 400)
    confirmed = await api.confirm(request, scan, article, serial)
    return render(request, "scan_card.html", {"scan": confirmed, **await _onec_states(request, [scan.id])})


async def undo_confirmation(request: Request) -> Response:
    scan = await api.scan_or_404(request)
    await csrf.checked_form(request)
    error = None
    try:
        if scan.confirmed_at is not None:  # undone already (another tab): nothing to do
            scan = await api.unconfirm(request, scan)
    except api.ApiError as exc:
        error = i18n.translate(request, UNDO_REFUSALS.get(exc.status, exc.message))
    # A refusal is shown in the card (HTMX swaps only 2xx answers in).
    return render(request, "scan_card.html", {"scan": scan, "error": error, **await _onec_states(request, [scan.id])})


async def add_photo(request: Request) -> Response:
    """ "Ещё фото": another photo of the part, fused into the card's reading."""
    scan = await api.scan_or_404(request)
    error = None
    try:
        photo, _ = await api.read_upload(request, "photo")
        scan = await api.add_photo(request, scan, photo)
    except api.ApiError as exc:
        error = exc.message
    # A refusal is shown in the card (HTMX swaps only 2xx answers in).
    return render(request, "scan_card.html", {"scan": scan, "error": error, **await _onec_states(request, [scan.id])})


UNDO_REFUSALS = {
    403: "Отменить подтверждение может только тот, кто подтвердил, или администратор.",
    409: "Подтверждение уже передано в 1С — исправьте запись в 1С.",
}


async def looks_like(request: Request) -> Response:
    """The confirmed photos nearest this scan's photo (a fragment the result card loads)."""
    scan = await api.scan_or_404(request)
    pool = request.app.state.pool
    try:
        neighbours = await pool.looks_like(request.app.state.photos.read(scan.photo_key))
    except (PhotoError, OSError, PoolBusy):
        neighbours = []
    return render(request, "looks_like.html", {"scan": scan, "neighbours": neighbours})


async def memory_thumbnail(request: Request) -> Response:
    entry = await memory_entries.find_entry(request.app.state.db, request.path_params["entry_id"])
    if entry is None:
        raise api.ApiError(404, "no such memory entry")
    return _jpeg(request.app.state.photos.read(entry.thumbnail_key))


def _jpeg(data: bytes) -> Response:
    """A stored image; private, since photos are behind the sign-in."""
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


async def scan_image(request: Request) -> Response:
    """The photo as taken, or with the marking boxed (``annotated``)."""
    scan = await api.scan_or_404(request)
    kind = request.path_params["kind"]
    key = {"annotated": scan.reading.get("annotated_key"), "photo": scan.photo_key}.get(kind)
    if not key:
        raise api.ApiError(404, "no such image")
    return _jpeg(request.app.state.photos.read(key))


async def catalog_suggest(request: Request) -> Response:
    """``<option>`` elements for the correction field's autocomplete."""
    query = request.query_params.get("article", "").strip()[:64]
    index = request.app.state.pool.recognizer.index
    matches = index.lookup(query, limit=8) if len(query) >= 3 else []
    return render(request, "suggestions.html", {"articles": [m.entry.stamped for m in matches]})


def _history_filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {key: params.get(key, "").strip()[:64] for key in ("q", "order", "station", "since", "by")}


async def history_page(request: Request) -> Response:
    filters = _history_filters(request)
    db = request.app.state.db
    found = await scans.list_scans(
        db, filters["q"], 200, 0, filters["order"], filters["station"], filters["since"], filters["by"]
    )
    orders, stations = await scans.scan_filters(db)
    context = {"scans": found, "orders": orders, "stations": stations, **filters}
    return render(request, "history.html", {**context, **await _onec_states(request, [s.id for s in found])})


async def history_export(request: Request) -> Response:
    """The history (with the page's filters) as CSV or XLSX."""
    if request.path_params["format"] not in ("csv", "xlsx"):
        raise api.ApiError(404, "export as .csv or .xlsx")
    filters = _history_filters(request)
    found = await scans.list_scans(
        request.app.state.db,
        filters["q"],
        100_000,
        0,
        filters["order"],
        filters["station"],
        filters["since"],
        filters["by"],
    )
    rows = [export.scan_row(scan, STATUS_WORDS[scan.status]) for scan in found]
    if request.path_params["format"] == "xlsx":
        data, media = export.to_xlsx(rows), export.XLSX
    else:
        data, media = export.to_csv(rows), "text/csv; charset=utf-8"
    name = f"markscan-history.{request.path_params['format']}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def catalog_page(request: Request) -> Response:
    """Search and browse the catalog; admins also upload an orders table here."""
    query = request.query_params.get("q", "").strip()[:64]
    index = request.app.state.pool.recognizer.index
    matches = index.lookup(query, limit=20) if len(query) >= 3 else []
    context = {
        "q": query,
        "matches": matches,
        "rows": index.n_rows,
        "articles": len(index),
        "onec": getattr(request.app.state, "onec", None) is not None,
    }
    if request.headers.get("hx-request"):
        return render(request, "catalog_results.html", context)
    return render(request, "catalog.html", context)


async def catalog_import(request: Request) -> Response:
    try:
        report = await api.import_orders(request)
    except api.ApiError as exc:
        return render(request, "catalog_report.html", {"error": exc.message}, exc.status)
    return render(request, "catalog_report.html", {"report": report})


async def dock_page(request: Request) -> Response:
    """Dock mode for tablets: capture, confirm, next; the session's parts grouped by order."""
    if request.method == "POST":  # a new dock session
        await csrf.checked_form(request)
        request.session["dock_since"] = scans.now()
        return RedirectResponse("/dock", status_code=303)
    request.session.setdefault("dock_since", scans.now())
    return render(request, "dock.html", {"upload_key": secrets.token_urlsafe(16), **await _dock_summary(request)})


async def dock_summary(request: Request) -> Response:
    return render(request, "dock_summary.html", await _dock_summary(request))


async def _dock_summary(request: Request) -> dict:
    since = request.session.get("dock_since", scans.now())
    user = request.state.user.name
    found = await scans.list_scans(request.app.state.db, limit=10_000, since=since, by=user)
    groups: dict[str, list[scans.Scan]] = {}
    seen: dict[tuple[str, str], int] = {}
    for scan in reversed(found):  # oldest first
        article = scan.confirmed_article if scan.confirmed_at else scan.article
        serial = scan.confirmed_serial if scan.confirmed_at else scan.serial
        if article and serial:
            seen[(article, serial)] = seen.get((article, serial), 0) + 1
        groups.setdefault(scan.order_number, []).append(scan)
    repeated = sorted(f"{a} {s}" for (a, s), n in seen.items() if n > 1)
    export = {"since": since, "by": user}
    return {"groups": groups, "repeated": repeated, "total": len(found), "since": since, "export": export}


async def switch_language(request: Request) -> Response:
    """Remember the chosen language in a cookie and go back where the person was."""
    lang = request.path_params["lang"]
    back = request.headers.get("referer", "/")
    parsed = urlparse(back)
    target = (
        parsed.path + (f"?{parsed.query}" if parsed.query else "") if parsed.netloc in ("", request.url.netloc) else "/"
    )
    response = RedirectResponse(target or "/", status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def catalog_onec_sync(request: Request) -> Response:
    """Admins: orders from 1C now, with the report."""
    await csrf.checked_form(request)
    api.require_admin(request)
    if getattr(request.app.state, "onec", None) is None:
        return render(request, "onec_report.html", {"error": "1C is not configured"}, 409)
    try:
        report = await sync_into_app(request.app)
    except OnecError as exc:
        return render(request, "onec_report.html", {"error": f"1C: {exc}"}, 502)
    return render(request, "onec_report.html", {"report": report.to_dict()})
