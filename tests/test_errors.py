"""One road for every error: {error, code} JSON under /api/, a page in the person's language elsewhere."""

import logging

import pytest
from conftest import make_client
from starlette.routing import Route
from starlette.testclient import TestClient


def _boom(request):
    raise RuntimeError("the disk caught fire")


@pytest.fixture(scope="module")
def client(app_data, ocr_engine):
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as made:
        app = made.app
        app.router.routes += [Route("/api/boom", _boom), Route("/boom", _boom)]  # a bug, forced
        with TestClient(app, raise_server_exceptions=False) as plain:
            yield plain, tokens


def test_the_api_without_credentials_answers_401_json(client):
    plain, _ = client
    answer = plain.get("/api/scans/1")
    assert answer.status_code == 401
    assert answer.json() == {"error": "Войдите или пришлите API-токен.", "code": "unauthenticated"}
    english = plain.get("/api/scans/1", cookies={"lang": "en"})
    assert english.json() == {"error": "Sign in or send an API token.", "code": "unauthenticated"}


def test_an_unexpected_exception_answers_with_an_id_logged_with_its_traceback(client, caplog):
    plain, tokens = client
    with caplog.at_level(logging.ERROR, logger="web.errors"):
        answer = plain.get("/api/boom", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert answer.status_code == 500
    assert (
        answer.headers["x-content-type-options"] == "nosniff"
        and "frame-ancestors" in answer.headers["content-security-policy"]
    )
    body = answer.json()
    assert body["code"] == "internal" and body["id"] in body["error"]
    assert "fire" not in answer.text  # what went wrong stays in the log
    logged = [r for r in caplog.records if body["id"] in r.getMessage()]
    assert logged and logged[0].exc_info and "the disk caught fire" in str(logged[0].exc_info[1])


def test_people_get_a_page_in_their_language(client):
    plain, tokens = client
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    page = plain.get("/boom", headers=headers)
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "Внутренняя ошибка сервера" in page.text
    missing = plain.get("/no-such-page", headers=headers, cookies={"lang": "en"})
    assert missing.status_code == 404 and "There is no such page." in missing.text


def test_paths_and_methods_the_api_lacks_answer_json(client):
    plain, tokens = client
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    assert plain.get("/api/no-such-thing", headers=headers).json()["code"] == "not_found"
    wrong = plain.delete("/api/scans", headers=headers)
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
