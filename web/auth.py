"""Who is asking: a session cookie (people) or an API token (devices and scripts).

Only the sign-in page, the manifest, the service worker, static files and the
health check answer without one; pages redirect to sign-in, the API says 401.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from web import csrf, errors
from web.storage import sessions, users

PUBLIC_PATHS = {"/login", "/healthz", "/manifest.webmanifest", "/sw.js"}
PUBLIC_PREFIXES = ("/static/", "/lang/")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class AuthMiddleware:
    """Sets ``request.state.user`` (a users.User) or turns the request away."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        db = request.app.state.db
        user = None
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            user = await users.user_for_token(db, authorization[7:].strip())
            scope.setdefault("state", {})["via_token"] = user is not None
        elif (sid := request.session.get("sid")) and (name := await sessions.user_name(db, sid)):
            user = await users.find_user(db, name)
        scope.setdefault("state", {})["user"] = user
        path = request.url.path
        if user is None and not is_public(path):
            response = (
                errors.unauthenticated(request)
                if errors.is_api(request)
                else RedirectResponse(f"/login?next={path}", status_code=303)
            )
            await response(scope, receive, send)
            return
        verdict = csrf.check_header(request)
        if verdict is False:
            response = errors.csrf_failed(request)
            await response(scope, receive, send)
            return
        scope["state"]["csrf_pending"] = verdict is None
        await self.app(scope, receive, send)
