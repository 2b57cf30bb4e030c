"""CSRF protection for requests that ride on the session cookie.

The session holds a random token; pages put it in every form (``csrf_token``)
and in an ``X-CSRF-Token`` header for HTMX and fetch. Requests with an API
token do not use the cookie, so they need none.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

HEADER = "x-csrf-token"
FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfError(Exception):
    pass


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _matches(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))


def check_header(request: Request) -> bool | None:
    """True/False when the header decides; None when a form field must (no header sent)."""
    if request.method not in UNSAFE or getattr(request.state, "via_token", False):
        return True
    sent = request.headers.get(HEADER)
    if sent is None:
        return None
    return _matches(request, sent)


def check_form(request: Request, fields: dict) -> None:
    """For a form post without the header: the form's own field must match."""
    if getattr(request.state, "csrf_pending", False) and not _matches(request, fields.get(FIELD)):
        raise CsrfError("the form is out of date (CSRF check failed); reload the page and try again")


def text_fields(form) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def checked_form(request: Request, max_fields: int = 10) -> dict[str, str]:
    """A posted form's text fields, after the CSRF check (CsrfError when it fails)."""
    fields = text_fields(await request.form(max_files=0, max_fields=max_fields))
    check_form(request, fields)
    return fields
