"""HTML pages and fragments (HTMX swaps the fragments in place)."""

from __future__ import annotations

import base64
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from inference.annotate import annotated_jpeg
from inference.photo import PhotoError
from web import csrf
from web.recognition_pool import PoolBusy
from web.storage import users

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

CONFIDENCE_WORDS = {
    "matched": "уверенно",
    "article only": "проверьте",
    "not in catalog": "не найдено",
    "unreadable": "не найдено",
}


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    """A template with what every page needs: the CSRF token and who is signed in."""
    context = {"csrf": csrf.csrf_token(request), "user": request.state.user, **(context or {})}
    return templates.TemplateResponse(request, template, context, status_code=status_code)


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def login_page(request: Request) -> Response:
    next_path = request.query_params.get("next", "/")
    if not next_path.startswith("/") or next_path.startswith("//"):
        next_path = "/"
    if request.method == "GET":
        return render(request, "login.html", {"next": next_path})
    form = await request.form(max_files=0, max_fields=5)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        csrf.check_form(request, fields)
    except csrf.CsrfError as exc:
        return render(request, "login.html", {"next": next_path, "error": str(exc)}, 403)
    user = await users.check_password(request.app.state.db, fields.get("name", ""), fields.get("password", ""))
    if user is None:
        return render(request, "login.html", {"next": next_path, "error": "Неверное имя или пароль."}, 401)
    request.session.clear()
    request.session["user"] = user.name
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    csrf.check_form(request, {k: v for k, v in form.items() if isinstance(v, str)})
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def capture_page(request: Request) -> Response:
    return render(request, "capture.html")


async def recognize(request: Request) -> Response:
    config = request.app.state.config
    form = await request.form(max_files=1, max_fields=5, max_part_size=config.max_upload_bytes)
    csrf.check_form(request, {k: v for k, v in form.items() if isinstance(v, str)})
    upload = form.get("photo")
    if upload is None or isinstance(upload, str):
        return _error(request, "Не выбрана фотография.", 400)
    data = await upload.read()
    if len(data) > config.max_upload_bytes:
        return _error(request, "Файл слишком большой.", 413)
    try:
        recognition = await request.app.state.pool.recognize(data)
    except PhotoError as exc:
        return _error(request, f"Это не фотография, которую можно прочитать: {exc}.", 422)
    except PoolBusy:
        response = _error(request, "Сервер занят, повторите через несколько секунд.", 503)
        response.headers["Retry-After"] = "5"
        return response
    result = recognition.to_dict()
    context = {
        "result": result,
        "confidence_word": CONFIDENCE_WORDS[result["status"]],
        "annotated": base64.b64encode(annotated_jpeg(recognition)).decode("ascii"),
    }
    return render(request, "result.html", context)


def _error(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "error.html", {"message": message}, status)
