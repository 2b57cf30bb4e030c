"""One road for every error: ``{"error", "code"}`` JSON under ``/api/``, a page or card for people.

A refusal (``operations.Refused``), a failed sign-in check or CSRF check, a
path or method that does not exist and an unexpected exception all answer the
same way: the message in the person's language (Russian unless they switched),
a stable ``code`` for programs. An unexpected exception is logged with its
traceback under a short id, and the answer gives only that id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from web import health, i18n
from web.csrf import CsrfError
from web.operations import Refused
from web.security_headers import HEADERS as SECURITY_HEADERS
from web.storage.database import is_disk_full

log = logging.getLogger(__name__)

UNAUTHENTICATED = "Войдите или пришлите API-токен."
CSRF_FAILED = "Форма устарела (проверка CSRF не пройдена); обновите страницу и повторите."
INTERNAL = "Внутренняя ошибка сервера. Сообщите администратору номер {id}."
DISK_FULL = "На сервере кончилось место; ничего не записано. Сообщите администратору и повторите позже."
HTTP_REFUSALS = {
    404: ("not_found", "Такой страницы нет."),
    405: ("method_not_allowed", "Этот метод здесь не принимается."),
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def respond(request: Request, exc: Refused) -> Response:
    """A refusal as ``{error, code}`` JSON for the API, as a page (or an HTMX fragment) for people."""
    if exc.code == "storage_full":
        health.note_disk_full(request.app.state)  # /healthz says so
    message = i18n.translate(request, exc.message, **exc.values)
    body = {"error": message, "code": exc.code, **({"id": exc.values["id"]} if exc.code == "internal" else {})}
    if is_api(request):
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    from web import pages  # the pages import the operations this module answers for

    try:
        return pages.render(request, "error.html", {"message": message}, exc.status, exc.headers)
    except Exception:  # the page itself cannot be drawn (the error came from below it): say it plainly
        log.exception("the error page could not be drawn")
        return PlainTextResponse(message, status_code=exc.status, headers=exc.headers)


def csrf_failed(request: Request, exc: CsrfError | None = None) -> Response:
    return respond(request, Refused(403, "csrf", CSRF_FAILED))


def unauthenticated(request: Request) -> Response:
    return respond(request, Refused(401, "unauthenticated", UNAUTHENTICATED))


def http_error(request: Request, exc: HTTPException) -> Response:
    """A path or method that does not exist (or another HTTP status raised below the routes)."""
    code, message = HTTP_REFUSALS.get(exc.status_code, ("http_error", exc.detail or "Ошибка запроса."))
    return respond(request, Refused(exc.status_code, code, message, dict(exc.headers or {})))


def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected exception: logged with its traceback under an id; the answer names only the id.

    A write that failed for want of space is no bug: 507, whatever was being written (a confirmation,
    an undo, a sign-in), and nothing of it was kept (the transaction rolled back).
    """
    if is_disk_full(exc):
        log.error("no space left: %s %s: %s", request.method, request.url.path, exc)
        return respond(request, Refused(507, "storage_full", DISK_FULL, dict(SECURITY_HEADERS)))
    error_id = secrets.token_hex(4)
    log.error("error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
    # Answered outside the middleware that adds the security headers: they are added here.
    return respond(request, Refused(500, "internal", INTERNAL, dict(SECURITY_HEADERS), id=error_id))


HANDLERS: dict[Any, Callable[[Request, Any], Response]] = {
    Refused: respond,
    CsrfError: csrf_failed,
    HTTPException: http_error,
    Exception: server_error,
}
