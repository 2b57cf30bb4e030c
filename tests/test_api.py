"""The JSON API against the real app (real OCR models, a real SQLite file)."""

import io
import json
import re
from datetime import datetime, timedelta

import pytest
from conftest import png_header_only
from openapi_spec_validator import validate
from openpyxl import Workbook

from web.assets import STATIC
from web.demo import render_marking


@pytest.fixture(scope="module")
def client(admin_client):
    return admin_client


@pytest.fixture(scope="module")
def target(rows):
    row = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    return row, f"{row.article.split()[0]} {row.serial}"


def post_photo(client, data: bytes, key: str | None = "scan-key-0001", name="p.jpg", ctype="image/jpeg"):
    fields = {"idempotency_key": key} if key is not None else {}
    return client.post("/api/scans", files={"photo": (name, data, ctype)}, data=fields)


def test_a_scan_is_recognized_stored_and_found_again(client, target):
    row, marking = target
    response = post_photo(client, render_marking(marking, seed=2).jpeg, key="first-scan-0001")
    assert response.status_code == 201, response.text
    scan = response.json()
    assert scan["marking"] == marking
    assert scan["status"] == "awaiting confirmation"
    assert scan["reading"]["candidates"][0]["rows"][0]["order_number"] == row.order_number
    again = client.get(f"/api/scans/{scan['id']}").json()
    assert again["marking"] == marking


def test_the_same_idempotency_key_never_makes_a_second_scan(client, target):
    _, marking = target
    photo = render_marking(marking, seed=4).jpeg
    first = post_photo(client, photo, key="retry-key-0001")
    second = post_photo(client, photo, key="retry-key-0001")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    listed = client.get("/api/scans", params={"limit": 500}).json()["scans"]
    assert sum(s["idempotency_key"] == "retry-key-0001" for s in listed) == 1


def test_confirming_as_read_and_with_a_correction(client, target):
    _, marking = target
    scan = post_photo(client, render_marking(marking, seed=6).jpeg, key="confirm-key-01").json()
    confirmed = client.post(f"/api/scans/{scan['id']}/confirm", json={}).json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["confirmed"]["article"] == scan["article"]
    # A serial the orders table does not list for the article: only when the person says so, and marked.
    unlisted = client.post(f"/api/scans/{scan['id']}/confirm", json={"serial": "999999"})
    assert unlisted.status_code == 409 and unlisted.json()["code"] == "not_in_catalog"
    corrected = client.post(
        f"/api/scans/{scan['id']}/confirm", json={"serial": "999999", "not_in_catalog": True}
    ).json()
    assert corrected["status"] == "corrected" and corrected["confirmed"]["in_catalog"] is False
    found = client.get("/api/scans", params={"q": "999999"}).json()["scans"]
    assert [s["id"] for s in found] == [scan["id"]]
    # Typed in Latin letters, an article the catalog knows is stored as the catalog writes it.
    article = scan["article"]
    latin = article.translate(str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX"))
    again = client.post(f"/api/scans/{scan['id']}/confirm", json={"article": latin, "serial": scan["serial"]}).json()
    assert again["confirmed"]["article"] == article and again["confirmed"]["in_catalog"] is True


def test_a_marking_confirmed_before_is_confirmed_again_only_when_said_so(client, target):
    _, marking = target
    first = post_photo(client, render_marking(marking, seed=31).jpeg, key="repeat-key-0001").json()
    assert client.post(f"/api/scans/{first['id']}/confirm", json={"duplicate": True}).status_code == 200
    second = post_photo(client, render_marking(marking, seed=32).jpeg, key="repeat-key-0002").json()
    refused = client.post(f"/api/scans/{second['id']}/confirm", json={})
    assert refused.status_code == 409 and refused.json()["code"] == "duplicate"
    assert "уже подтверждена" in refused.json()["error"]
    assert client.get(f"/api/scans/{second['id']}").json()["status"] == "awaiting confirmation"  # nothing changed
    again = client.post(f"/api/scans/{second['id']}/confirm", json={"duplicate": True})
    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    # Confirming a scan again as it was confirmed asks nothing more.
    assert client.post(f"/api/scans/{first['id']}/confirm", json={}).status_code == 200


def test_missing_scan_is_404(client):
    assert client.get("/api/scans/999999").status_code == 404
    assert client.post("/api/scans/999999/confirm", json={}).status_code == 404


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "message"),
    [
        ({"data": b"%PDF-1.4 nope"}, 422, "bad_photo", "Фото не прочитать"),
        ({"data": b""}, 400, "empty_file", "Файл пустой"),
        ({"data": b"\xff\xd8\xff\xe0 truncated jpeg"}, 422, "bad_photo", "Фото не прочитать"),
        (
            {"data": png_header_only(30000, 30000), "name": "bomb.png", "ctype": "image/png"},
            422,
            "bad_photo",
            "снимок слишком большой",
        ),
        ({"data": b"x" * (3 * 1024 * 1024)}, 413, "too_large", "Файл больше 2 МБ"),
        ({"data": b"\xff\xd8", "key": None}, 400, "bad_idempotency_key", "ключ идемпотентности"),
        ({"data": b"\xff\xd8", "key": "short"}, 400, "bad_idempotency_key", "ключ идемпотентности"),
        ({"data": b"\xff\xd8", "key": "k" * 200}, 400, "bad_idempotency_key", "ключ идемпотентности"),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_the_server_keeps_serving(client, kwargs, status, code, message):
    kwargs = {"key": "bad-input-0001", **kwargs}
    response = post_photo(client, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and message in response.json()["error"]
    assert client.get("/healthz").json() == {"ok": True}


def test_a_non_multipart_upload_is_415(client):
    response = client.post("/api/scans", content=b"raw bytes", headers={"content-type": "image/jpeg"})
    assert response.status_code == 415


def test_a_full_queue_answers_503_with_retry_after(client, target):
    pool = client.app.state.pool
    taken = 0
    while pool._slots.acquire(blocking=False):
        taken += 1
    try:
        response = post_photo(client, render_marking(target[1], seed=8).jpeg, key="busy-key-0001")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
    finally:
        for _ in range(taken):
            pool._slots.release()
    assert post_photo(client, render_marking(target[1], seed=8).jpeg, key="busy-key-0001").status_code == 201


def test_catalog_search_is_ocr_aware(client, target):
    row, _ = target
    article = row.article.split()[0]
    results = client.get("/api/catalog/search", params={"q": article.replace("0", "O")}).json()["results"]
    assert results[0]["article"] == article
    assert results[0]["rows"]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["ДетальАртикул", "ПорядковыйНомер", "ДетальНаименование", "ЗаказНомер", "СтанцияБлок"])
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_catalog_import_reports_and_a_wrong_file_changes_nothing(client, target):
    row, _ = target
    bad = client.post("/api/catalog/import", files={"file": ("orders.xlsx", b"not a workbook")})
    assert bad.status_code == 422
    assert bad.json()["code"] == "not_orders" and "каталог не изменён" in bad.json()["error"]
    article = row.article.split()[0]
    assert client.get("/api/catalog/search", params={"q": article}).json()["results"][0]["article"] == article
    merged = client.post(
        "/api/catalog/import",
        files={"file": ("orders.xlsx", _xlsx([['"7777-30-0001"', 5, "n", "1", "s"], ["", 1, "", "", ""]]))},
        data={"mode": "merge"},
    ).json()
    assert merged["kept"] == 1 and len(merged["rejected"]) == 1 and merged["written"] == 1
    found = client.get("/api/catalog/search", params={"q": "7777-30-0001"}).json()["results"]
    assert found[0]["article"] == "7777-30-0001"


def test_openapi_document_is_valid_and_describes_every_api_route(client):
    from starlette.routing import Route

    spec = client.get("/api/openapi.json").json()
    validate(spec)
    served = {
        (re.sub(r":\w+}", "}", route.path), method.lower())
        for route in client.app.routes
        if isinstance(route, Route) and route.path.startswith("/api/") and route.path != "/api/openapi.json"
        for method in route.methods - {"HEAD"}
    }
    described = {(path, method) for path, methods in spec["paths"].items() for method in methods}
    assert described == served


def test_history_filters_and_exports(client, target):
    import csv as csv_module

    from openpyxl import load_workbook

    row, marking = target
    scan = post_photo(client, render_marking(marking, seed=12).jpeg, key="export-key-0001").json()
    assert scan["order_number"] == row.order_number
    client.post(f"/api/scans/{scan['id']}/confirm", json={"duplicate": True})  # the module confirmed it before
    by_order = client.get("/api/scans", params={"order": row.order_number}).json()["scans"]
    assert scan["id"] in [s["id"] for s in by_order]
    assert client.get("/api/scans", params={"order": "no-such-order"}).json()["scans"] == []
    page = client.get("/history", params={"order": row.order_number})
    assert page.status_code == 200 and marking.split()[0] in page.text
    exported = client.get("/history.csv", params={"order": row.order_number})
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    lines = list(csv_module.reader(exported.content.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert lines[0][0] == "№" and any(line[0] == str(scan["id"]) and line[8] == "подтверждено" for line in lines)
    workbook = load_workbook(io.BytesIO(client.get("/history.xlsx").content))
    sheet = workbook.active
    assert sheet.title == "История" and sheet.freeze_panes == "A2" and sheet.column_dimensions["D"].width > 20
    by_id = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    taken = by_id[scan["id"]][1]
    assert isinstance(taken, datetime)  # a date cell, on the server's clock (MARKSCAN_TIMEZONE unset)
    assert abs(taken - datetime.fromisoformat(scan["created_at"]).astimezone().replace(tzinfo=None)).total_seconds() < 1
    # A date range on the plant's clock: today holds the scan, yesterday does not.
    today = taken.date()
    in_range = client.get("/history.csv", params={"from_day": today.isoformat(), "to_day": today.isoformat()})
    assert str(scan["id"]) in in_range.content.decode("utf-8-sig")
    before = client.get("/history.csv", params={"to_day": (today - timedelta(days=1)).isoformat()})
    assert str(scan["id"]) not in [line.split(";")[0] for line in before.content.decode("utf-8-sig").splitlines()]
    assert client.get("/history.csv", params={"from_day": "yesterday"}).status_code == 400
    assert client.get("/history.pdf").status_code == 404


def test_catalog_page_searches_and_reports_an_import(client, target):
    row, _ = target
    article = row.article.split()[0]
    page = client.get("/catalog", params={"q": article})
    assert page.status_code == 200 and article in page.text and "Загрузить таблицу заказов" in page.text
    fragment = client.get("/catalog", params={"q": article.replace("1", "I")}, headers={"HX-Request": "true"})
    assert article in fragment.text and "<html" not in fragment.text
    bad = client.post("/catalog/import", files={"file": ("o.xlsx", b"nope")}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "каталог не изменён" in bad.text
    good = client.post(
        "/catalog/import",
        files={"file": ("o.xlsx", _xlsx([['"8888-30-0002"', 1, "n", "2", "s"], ["", 3, "n", "2", "s"]]))},
        data={"mode": "merge"},
        headers={"HX-Request": "true"},
    )
    assert good.status_code == 200
    assert "принято 1 строк" in good.text and "ДетальАртикул is empty" in good.text
    rows = client.app.state.services.recognition.catalog.n_rows  # the page's header follows the import
    assert re.search(rf'id="catalog-count" hx-swap-oob="true">В каталоге {rows} строк', good.text)


def test_dock_mode_groups_the_session_by_order_and_warns_of_repeats(client, target):
    row, marking = target
    client.post("/dock", headers={"X-CSRF-Token": "unused-with-a-token"})  # a new dock session
    page = client.get("/dock")
    assert page.status_code == 200 and "Приёмка: 0 деталей" in page.text
    for i, seed in enumerate((31, 32)):
        scan = post_photo(client, render_marking(marking, seed=seed).jpeg, key=f"dock-key-000{i}").json()
        assert scan["marking"] == marking
    summary = client.get("/dock/summary")
    assert "Приёмка: 2 детали" in summary.text
    assert f"Заказ {row.order_number} — 2" in summary.text
    assert "Повторно отсканированы" in summary.text and marking in summary.text
    export_link = re.search(r'href="(/history\.csv\?[^"]+)"', summary.text).group(1).replace("&amp;", "&")
    exported = client.get(export_link).content.decode("utf-8-sig").splitlines()
    assert len(exported) == 3  # the header and this dock session's two scans


def test_another_photo_of_the_part_is_fused_into_the_scan(client, target):
    _, marking = target
    scan = post_photo(client, render_marking(marking, seed=21).jpeg, key="more-photos-01").json()
    assert scan["photos"] == 1 and "sure" in scan and 0 <= scan["probability"] <= 1
    second = render_marking(marking, seed=22, quarter_turns=1).jpeg
    response = client.post(f"/api/scans/{scan['id']}/photos", files={"photo": ("b.jpg", second, "image/jpeg")})
    assert response.status_code == 200, response.text
    fused = response.json()
    assert fused["id"] == scan["id"] and fused["photos"] == 2
    assert fused["marking"] == marking
    assert [p["marking"] for p in fused["reading"]["photos"]] == [marking, marking]
    assert fused["probability"] >= scan["probability"]  # two photos that agree
    # The same photo again (a retried upload) changes nothing.
    again = client.post(f"/api/scans/{scan['id']}/photos", files={"photo": ("b.jpg", second, "image/jpeg")})
    assert again.status_code == 200 and again.json()["photos"] == 2


def test_another_photo_is_refused_clearly_when_it_cannot_be_used(client, target):
    _, marking = target
    scan = post_photo(client, render_marking(marking, seed=23).jpeg, key="more-photos-02").json()
    url = f"/api/scans/{scan['id']}/photos"
    broken = client.post(url, files={"photo": ("x.jpg", b"not a photo at all", "image/jpeg")})
    assert broken.status_code == 422 and broken.json()["code"] == "bad_photo"
    assert client.get(f"/api/scans/{scan['id']}").json()["photos"] == 1  # nothing lost, nothing added
    assert client.post("/api/scans/999999/photos", files={"photo": ("a.jpg", b"x", "image/jpeg")}).status_code == 404
    client.post(f"/api/scans/{scan['id']}/confirm", json={"duplicate": True})
    late = client.post(url, files={"photo": ("c.jpg", render_marking(marking, seed=24).jpeg, "image/jpeg")})
    assert late.status_code == 409 and late.json()["code"] == "confirmed" and "отмените" in late.json()["error"]


def test_the_service_worker_shell_holds_every_static_file_and_each_is_served(client):
    source = client.get("/sw.js").text
    assert "{{" not in source
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    loaded = {p.name for p in STATIC.iterdir() if p.suffix in (".css", ".js", ".png")}
    assert {path.removeprefix("/static/") for path in shell if path.startswith("/static/")} == loaded
    assert all(client.get(path).status_code == 200 for path in shell)
    assert re.search(r'const CACHE = "markscan-shell-[0-9a-f]{12}"', source)


def test_metrics_are_prometheus_text_for_admins_only(client, target, app_data):
    from prometheus_client.parser import text_string_to_metric_families

    _, marking = target
    _, tokens = app_data
    before = client.get("/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    post_photo(client, render_marking(marking, seed=41).jpeg, key="metrics-key-0001")
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    read = sum(s.value for s in families["markscan_photos_read"].samples if s.name.endswith("_total"))
    assert read >= 1 and "markscan_reading_seconds" in families and "markscan_onec_backlog" in families
    assert {"markscan_recognition_queue", "markscan_busy_refusals", "markscan_login_failures"} <= set(families)
    operator = client.get("/metrics", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert operator.status_code == 403
    anonymous = client.get("/metrics", headers={"Authorization": ""}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
