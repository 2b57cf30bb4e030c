"""What a request brings to an operation: the services, who asks, the scan its path names, an uploaded photo.

The pages and the JSON API both read their input here, so both check it the same way.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request

from web import csrf
from web.operations import Refused, Services, find_scan
from web.storage.scans import Scan
from web.storage.users import User

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def services(request: Request) -> Services:
    return request.app.state.services


def user(request: Request) -> User:
    return request.state.user


async def scan(request: Request) -> Scan:
    """The scan the path names (404 when there is none)."""
    return await find_scan(services(request), request.path_params["scan_id"])


def _too_large(limit: int) -> Refused:
    return Refused(413, "too_large", "Файл больше {mb} МБ.", mb=limit // (1024 * 1024))


async def upload(request: Request, field: str) -> tuple[bytes, dict[str, str]]:
    """The uploaded file ``field`` and the form's other fields, after the CSRF check."""
    limit = request.app.state.config.max_upload_bytes
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refused(415, "not_multipart", "Отправьте фото как multipart/form-data.")
    if _declared_length(request) > limit + 64 * 1024:
        raise _too_large(limit)
    form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
    file = form.get(field)
    if file is None or isinstance(file, str):
        raise Refused(400, "no_file", "В форме нет файла «{field}».", field=field)
    data = await file.read()
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise Refused(400, "empty_file", "Файл пустой.")
    fields = csrf.text_fields(form)
    csrf.check_form(request, fields)
    return data, fields


def idempotency_key(request: Request, fields: dict[str, str]) -> str:
    key = request.headers.get("idempotency-key") or fields.get("idempotency_key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise Refused(400, "bad_idempotency_key", "Нужен ключ идемпотентности: 8–128 латинских букв, цифр или -_.:")
    return key


MAX_JSON_BYTES = 64 * 1024  # a confirmation is a few dozen bytes


async def body(request: Request) -> dict:
    """A JSON object or a form, as sent; a cookie-borne request passes the CSRF check either way."""
    if request.headers.get("content-type", "").startswith("application/json"):
        csrf.check_form(request, {})  # a JSON body has no form field: only the header can vouch for it
        declared = _declared_length(request)
        raw = b"" if declared > MAX_JSON_BYTES else await _read_at_most(request, MAX_JSON_BYTES)
        if declared > MAX_JSON_BYTES or len(raw) > MAX_JSON_BYTES:
            raise Refused(413, "too_large", "Тело запроса больше {kb} КБ.", kb=MAX_JSON_BYTES // 1024)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise Refused(400, "bad_json", "Тело запроса — не JSON.") from exc
        if not isinstance(data, dict):
            raise Refused(400, "bad_json", "Тело запроса должно быть JSON-объектом.")
        return data
    return await csrf.checked_form(request)


def _declared_length(request: Request) -> int:
    """The body's length as the request states it (0 when it does not say, or says nonsense)."""
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, but no more than one byte past ``limit`` (a body that does not say its length)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def text(fields: dict, name: str, default: str) -> str:
    """A text field of a JSON body or a form (absent or null: ``default``); anything but text is 422."""
    value = fields.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Refused(422, "bad_field", "Поле «{field}» должно быть строкой.", field=name)
    return value


def flag(fields: dict, name: str) -> bool:
    """A yes/no field: true, "1" or "true" (absent: false); anything but a boolean or text is 422."""
    value = fields.get(name)
    if value is not None and not isinstance(value, (bool, str)):
        raise Refused(422, "bad_field", "Поле «{field}» должно быть true или false.", field=name)
    return value in (True, "1", "true")
