"""Signing in, sessions, CSRF, API tokens and roles, against the real app."""

import re
import subprocess
import sys

import pytest
from conftest import make_client

from web.demo import render_marking


@pytest.fixture(scope="module")
def app(app_data, ocr_engine):
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        yield client, tokens


def sign_in(client, name="oleg", password="parovoz-1961"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
    )
    return response, token


def test_without_a_session_or_token_only_public_paths_answer(app):
    client, _ = app
    client.cookies.clear()
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/api/scans").status_code == 401
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_wrong_password_is_refused(app):
    client, _ = app
    client.cookies.clear()
    response, _ = sign_in(client, password="not-the-password")
    assert response.status_code == 401
    assert "Неверное имя или пароль" in response.text


def test_a_session_needs_the_csrf_token_for_changes(app):
    client, _ = app
    client.cookies.clear()
    response, _ = sign_in(client)
    assert response.status_code == 303
    page = client.get("/")
    assert page.status_code == 200 and "oleg" in page.text
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
    photo = render_marking("1391-30-1583 1574", seed=5).jpeg
    files = {"photo": ("p.jpg", photo, "image/jpeg")}
    refused = client.post("/api/scans", files=files, data={"idempotency_key": "csrf-test-0001"})
    assert refused.status_code == 403
    wrong = client.post(
        "/api/scans", files=files, data={"idempotency_key": "csrf-test-0001"}, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    accepted = client.post(
        "/api/scans", files=files, data={"idempotency_key": "csrf-test-0001"}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 201
    assert accepted.json()["created_by"] == "oleg"


def test_session_cookie_is_httponly_and_samesite(app):
    client, _ = app
    client.cookies.clear()
    response, _ = sign_in(client)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_an_operator_token_cannot_import_the_catalog(app):
    client, tokens = app
    client.cookies.clear()
    response = client.post(
        "/api/catalog/import",
        files={"file": ("o.xlsx", b"x")},
        headers={"Authorization": f"Bearer {tokens['operator']}"},
    )
    assert response.status_code == 403
    bogus = client.get("/api/scans", headers={"Authorization": "Bearer msk_not-a-token"})
    assert bogus.status_code == 401


def test_cli_adds_users_and_prints_tokens(tmp_path):
    def markscan(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "web.cli", *args, "--data", str(tmp_path)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert markscan("user", "add", "ivan", "--role", "admin", "--password-stdin", stdin="short\n").returncode == 2
    added = markscan("user", "add", "ivan", "--role", "admin", "--password-stdin", stdin="long-enough-pw\n")
    assert added.returncode == 0, added.stderr
    token = markscan("token", "create", "ivan")
    assert token.returncode == 0 and token.stdout.startswith("msk_")
    assert markscan("token", "create", "nobody").returncode == 2
    assert "long-enough-pw" not in added.stdout + added.stderr
