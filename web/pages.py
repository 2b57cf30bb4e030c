"""HTML pages and fragments (HTMX swaps the fragments in place)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from inference.memory import article_support
from inference.photo import PhotoError
from web import card, csrf, export, i18n, inputs, operations
from web.assets import TEMPLATES
from web.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from web.onec.client import OnecError
from web.onec.sync import sync_into_app
from web.operations import Refused
from web.recognition_pool import PoolBusy
from web.storage import memory as memory_entries
from web.storage import outbox, scans, sessions, users

templates = Jinja2Templates(directory=TEMPLATES)
STATUS_WORDS = {
    scans.AWAITING: "ожидает подтверждения",
    scans.CONFIRMED: "подтверждено",
    scans.CORRECTED: "исправлено",
}
templates.env.globals.update(confidence_word=card.confidence_word, doubt=card.doubt, status_words=STATUS_WORDS)


def local_time(moment: str, zone: str = "") -> str:
    """A stored UTC time as the plant reads its clocks: "2026-11-27 14:05"."""
    when = export.plant_time(moment, zone)
    return when.strftime("%Y-%m-%d %H:%M") if isinstance(when, datetime) else when


def render(
    request: Request,
    template: str,
    context: dict | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A template with what every page needs: the CSRF token, who is signed in, the language."""
    lang = i18n.language(request)
    context = {
        "csrf": csrf.csrf_token(request),
        "user": request.state.user,
        "lang": lang,
        "_": i18n.translator(lang),
        "count": i18n.counted(lang),
        "local_time": lambda moment: local_time(moment, request.app.state.config.timezone),
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=headers)


async def metrics(request: Request) -> Response:
    """Prometheus' text format, for admins (an admin's API token in the scraper)."""
    services = inputs.services(request)
    operations.require_admin(inputs.user(request))
    exposition = await services.metrics.exposition(services.db, services.recognition.in_flight)
    return Response(exposition, media_type=METRICS_CONTENT_TYPE)


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
    name, address = fields.get("name", "")[:64], request.client.host if request.client else ""
    throttle = request.app.state.login_throttle
    attempt = throttle.reserve(name, address)  # counted before the password is checked: a burst cannot race it
    if attempt.wait_s:
        wait = attempt.wait_s
        error = i18n.translate(request, "Слишком много неудачных попыток входа; подождите {s} с.", s=wait)
        return render(request, "login.html", {"next": next_path, "error": error}, 429, {"Retry-After": str(wait)})
    user = await users.check_password(request.app.state.db, name, fields.get("password", ""))
    if user is None:  # the reserved try stays counted
        request.app.state.services.metrics.login_failures.inc()
        error = i18n.translate(request, "Неверное имя или пароль.")
        return render(request, "login.html", {"next": next_path, "error": error}, 401)
    throttle.succeeded(attempt, name, address)
    request.session.clear()
    request.session["sid"] = await sessions.start(request.app.state.db, user.name)
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    await csrf.checked_form(request)
    if sid := request.session.get("sid"):
        await sessions.end(request.app.state.db, sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def capture_page(request: Request) -> Response:
    return render(request, "capture.html", {"upload_key": secrets.token_urlsafe(16)})


async def create_scan(request: Request) -> Response:
    """The no-JavaScript path: a plain form post, then the scan's page."""
    try:
        photo, fields = await inputs.upload(request, "photo")
        key = inputs.idempotency_key(request, fields)
        scan, _ = await operations.scan_photo(inputs.services(request), inputs.user(request), photo, key)
    except Refused as exc:
        return render(request, "error.html", {"message": refusal(request, exc)}, exc.status)
    return RedirectResponse(f"/scans/{scan.id}", status_code=303)


def refusal(request: Request, exc: Refused) -> str:
    """A refusal's message in the person's language."""
    return i18n.translate(request, exc.message, **exc.values)


async def _onec_states(request: Request, scan_ids: list[int]) -> dict:
    if inputs.services(request).onec is None:
        return {"onec": {}}
    return {"onec": await outbox.states(inputs.services(request).db, scan_ids)}


async def _card(
    request: Request,
    scan: scans.Scan,
    error: Refused | None = None,
    extra: dict | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The result card; a refusal is shown in it, with its status (HTMX swaps error answers in too)."""
    context = {
        "error": refusal(request, error) if error else None,
        "error_code": error.code if error else "",
        **await _card_context(request, scan),
        **(extra or {}),
    }
    return render(request, "scan_card.html", context, error.status if error else 200, headers)


async def _card_context(request: Request, scan: scans.Scan) -> dict:
    """What the card shows beside the scan: the choices, the order's serials, a marking confirmed before, 1C."""
    services = inputs.services(request)
    return {
        "scan": scan,
        "choices": card.choices(scan),
        "serial_choices": card.serial_choices(services.recognition.catalog, scan),
        "earlier": await operations.confirmed_before(services, scan),
        **await _onec_states(request, [scan.id]),
    }


async def scan_page(request: Request) -> Response:
    scan = await inputs.scan(request)
    return render(request, "scan.html", await _card_context(request, scan))


async def scan_card(request: Request) -> Response:
    return await _card(request, await inputs.scan(request))


async def onec_retry(request: Request) -> Response:
    """Admins: send a scan to 1C again now."""
    scan = await inputs.scan(request)
    await csrf.checked_form(request)
    await operations.retry_onec(inputs.services(request), inputs.user(request), scan)
    return RedirectResponse(f"/scans/{scan.id}", status_code=303)


async def confirm_scan(request: Request) -> Response:
    scan = await inputs.scan(request)
    fields = await csrf.checked_form(request)
    article = fields.get("article") or scan.article
    serial = fields.get("serial", "") if "serial" in fields else scan.serial
    if not serial and "serial_read" in fields:  # the fix form's number left empty: the article alone was changed
        serial = fields["serial_read"]
    off_catalog, repeat = inputs.flag(fields, "not_in_catalog"), inputs.flag(fields, "duplicate")
    try:
        scan = await operations.confirm(
            inputs.services(request), inputs.user(request), scan, article, serial, off_catalog, repeat
        )
    except Refused as exc:  # the card asks again, with what was asked for
        asked = {"article": article, "serial": serial, "not_in_catalog": off_catalog or exc.code == "not_in_catalog"}
        return await _card(request, scan, exc, {"asked": asked})
    return await _card(request, scan, headers={"HX-Trigger": "scan-changed"})


async def undo_confirmation(request: Request) -> Response:
    scan = await inputs.scan(request)
    await csrf.checked_form(request)
    try:
        if scan.confirmed_at is not None:  # undone already (another tab): nothing to do
            scan = await operations.undo(inputs.services(request), inputs.user(request), scan)
    except Refused as exc:
        return await _card(request, scan, exc)
    return await _card(request, scan)


async def add_photo(request: Request) -> Response:
    """ "Ещё фото": another photo of the part, fused into the card's reading."""
    scan = await inputs.scan(request)
    try:
        photo, _ = await inputs.upload(request, "photo")
        scan = await operations.add_photo(inputs.services(request), inputs.user(request), scan, photo)
    except Refused as exc:
        return await _card(request, scan, exc)
    return await _card(request, scan)


async def looks_like(request: Request) -> Response:
    """The confirmed photos nearest this scan's photo (a fragment the result card loads)."""
    scan = await inputs.scan(request)
    services = inputs.services(request)
    try:
        neighbours = await services.recognition.looks_like(await services.photos.read(scan.photo_key))
    except (PhotoError, OSError, PoolBusy):
        neighbours = []
    supported = article_support(neighbours)  # one look-alike alone, or faint ones, say nothing
    shown = [n for n in neighbours if n.article in supported]
    return render(request, "looks_like.html", {"scan": scan, "neighbours": shown})


async def memory_thumbnail(request: Request) -> Response:
    services = inputs.services(request)
    entry_id = request.path_params["entry_id"]
    entry = await memory_entries.find_entry(services.db, entry_id) if entry_id <= scans.MAX_ID else None
    if entry is None:
        raise Refused(404, "no_memory_entry", "Такой записи в памяти нет.")
    return await _stored_jpeg(services, entry.thumbnail_key)


async def _stored_jpeg(services: operations.Services, key: str) -> Response:
    """A stored image; private, since photos are behind the sign-in."""
    try:
        data = await services.photos.read(key)
    except (FileNotFoundError, KeyError) as exc:
        raise Refused(404, "no_image", "Такого изображения нет.") from exc
    except OSError as exc:
        raise Refused(503, "storage_unavailable", "Хранилище фото недоступно; повторите позже.") from exc
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


async def scan_image(request: Request) -> Response:
    """The photo as taken, or with the marking boxed (``annotated``)."""
    scan = await inputs.scan(request)
    kind = request.path_params["kind"]
    key = {"annotated": scan.reading.get("annotated_key"), "photo": scan.photo_key}.get(kind)
    if not key:
        raise Refused(404, "no_image", "Такого изображения нет.")
    return await _stored_jpeg(inputs.services(request), key)


async def catalog_suggest(request: Request) -> Response:
    """``<option>`` elements for the correction field's autocomplete."""
    query = request.query_params.get("article", "").strip()[:64]
    found = inputs.services(request).recognition.catalog.suggest(query, limit=8)
    return render(request, "suggestions.html", {"articles": [entry.stamped for entry in found]})


HISTORY_FILTERS = ("q", "order", "station", "since", "by", "from_day", "to_day")


def _history_filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {key: params.get(key, "").strip()[:64] for key in HISTORY_FILTERS}


def _day_bounds(first: str, last: str, zone: str) -> tuple[str, str]:
    """The UTC moments that begin the day ``first`` and end the day ``last`` on the plant's clock ("": open)."""
    tz = ZoneInfo(zone) if zone else None
    bounds = []
    for day, after in ((first, 0), (last, 1)):
        try:
            start = datetime.combine(date.fromisoformat(day), time()) + timedelta(days=after) if day else None
        except ValueError as exc:
            raise Refused(400, "bad_date", "Дата — в виде ГГГГ-ММ-ДД.") from exc
        bounds.append(start.replace(tzinfo=tz).astimezone(UTC).isoformat(timespec="milliseconds") if start else "")
    return bounds[0], bounds[1]


async def _history(request: Request, limit: int) -> list[scans.Scan]:
    f = _history_filters(request)
    services = inputs.services(request)
    since, until = _day_bounds(f["from_day"], f["to_day"], request.app.state.config.timezone)
    since = max(since, f["since"])
    return await operations.history(services, f["q"], limit, 0, f["order"], f["station"], since, f["by"], until)


async def history_page(request: Request) -> Response:
    found = await _history(request, 200)
    orders, stations = await scans.scan_filters(inputs.services(request).db)
    context = {"scans": found, "orders": orders, "stations": stations, **_history_filters(request)}
    return render(request, "history.html", {**context, **await _onec_states(request, [s.id for s in found])})


async def history_export(request: Request) -> Response:
    """The history (with the page's filters) as CSV or XLSX."""
    kind = request.path_params["format"]
    if kind not in ("csv", "xlsx"):
        raise Refused(404, "bad_format", "Выгрузка — .csv или .xlsx.")
    zone = request.app.state.config.timezone
    rows = [export.scan_row(scan, STATUS_WORDS[scan.status], zone) for scan in await _history(request, 100_000)]
    data, media = (export.to_xlsx(rows), export.XLSX) if kind == "xlsx" else (export.to_csv(rows), export.CSV)
    headers = {"Content-Disposition": f'attachment; filename="markscan-history.{kind}"'}
    return Response(data, media_type=media, headers=headers)


async def catalog_page(request: Request) -> Response:
    """Search and browse the catalog; admins also upload an orders table here."""
    query = request.query_params.get("q", "").strip()[:64]
    services = inputs.services(request)
    index = services.recognition.catalog
    context = {
        "q": query,
        "entries": index.suggest(query, limit=20) if len(query) >= 3 else [],
        "rows": index.n_rows,
        "articles": len(index),
        "onec": services.onec is not None,
    }
    if request.headers.get("hx-request"):
        return render(request, "catalog_results.html", context)
    return render(request, "catalog.html", context)


async def catalog_import(request: Request) -> Response:
    try:
        operations.require_admin(inputs.user(request))
        data, fields = await inputs.upload(request, "file")
        report = await operations.import_orders(
            inputs.services(request), inputs.user(request), data, fields.get("mode", "replace")
        )
    except Refused as exc:
        return render(request, "catalog_report.html", {"error": refusal(request, exc)}, exc.status)
    return render(request, "catalog_report.html", {"report": report, "count": _catalog_count(request)})


def _catalog_count(request: Request) -> dict[str, int]:
    index = inputs.services(request).recognition.catalog
    return {"rows": index.n_rows, "articles": len(index)}


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
    user = inputs.user(request).name
    found = await operations.history(inputs.services(request), limit=10_000, since=since, by=user)
    groups: dict[str, list[scans.Scan]] = {}
    seen: dict[tuple[str, str], int] = {}
    for scan in reversed(found):  # oldest first
        marking = (scan.current_article, scan.current_serial)
        if all(marking):
            seen[marking] = seen.get(marking, 0) + 1
        groups.setdefault(scan.order_number, []).append(scan)
    repeated = sorted(f"{a} {s}" for (a, s), n in seen.items() if n > 1)
    export_filters = {"since": since, "by": user}
    return {"groups": groups, "repeated": repeated, "total": len(found), "since": since, "export": export_filters}


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
    services = inputs.services(request)
    try:
        operations.require_admin(inputs.user(request))
        if services.onec is None:
            raise Refused(409, "no_onec", "1С не настроена.")
    except Refused as exc:
        return render(request, "onec_report.html", {"error": refusal(request, exc)}, exc.status)
    try:
        report = await sync_into_app(services)
    except OnecError as exc:
        return render(request, "onec_report.html", {"error": f"1C: {exc}"}, 502)
    return render(request, "onec_report.html", {"report": report.to_dict(), "count": _catalog_count(request)})
