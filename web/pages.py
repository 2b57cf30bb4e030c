"""HTML pages and fragments (HTMX swaps the fragments in place)."""

from __future__ import annotations

import base64
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.templating import Jinja2Templates

from inference.annotate import annotated_jpeg
from inference.photo import PhotoError
from web.recognition_pool import PoolBusy

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

CONFIDENCE_WORDS = {
    "matched": "уверенно",
    "article only": "проверьте",
    "not in catalog": "не найдено",
    "unreadable": "не найдено",
}


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def capture_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "capture.html", {})


async def recognize(request: Request) -> Response:
    config = request.app.state.config
    form = await request.form(max_files=1, max_fields=5, max_part_size=config.max_upload_bytes)
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
    return templates.TemplateResponse(request, "result.html", context)


def _error(request: Request, message: str, status: int) -> HTMLResponse:
    return templates.TemplateResponse(request, "error.html", {"message": message}, status_code=status)
