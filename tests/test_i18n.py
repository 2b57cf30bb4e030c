"""Russian by default, English as a switch; every phrase of the interface has its English."""

import re
from pathlib import Path

import pytest
from conftest import make_client

from web.card import CONFIDENCE_WORDS
from web.i18n import EN
from web.pages import STATUS_WORDS

ROOT = Path(__file__).resolve().parents[1]
PHRASE = re.compile(r"""_\(\s*(["'])(.+?)\1""")


def test_every_phrase_in_the_templates_has_an_english_translation():
    phrases = set()
    for template in (ROOT / "templates").glob("*.html"):
        phrases |= {m.group(2) for m in PHRASE.finditer(template.read_text(encoding="utf-8"))}
    phrases |= set(CONFIDENCE_WORDS.values()) | set(STATUS_WORDS.values())
    phrases |= set(re.findall(r'return "([^"]+)"', (ROOT / "web" / "card.py").read_text(encoding="utf-8")))
    nav = (ROOT / "templates" / "nav.html").read_text(encoding="utf-8")
    phrases |= set(re.findall(r'"/[a-z]*", "([^"]+)"', nav))
    missing = sorted(p for p in phrases if re.search("[а-яА-ЯёЁ]", p) and p not in EN)
    assert missing == []


@pytest.fixture(scope="module")
def client(admin_client):
    return admin_client


def test_the_switch_turns_the_interface_english_and_back(client):
    assert "Съёмка" in client.get("/").text
    switched = client.get("/lang/en", headers={"referer": "http://testserver/history"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/history"
    page = client.get("/history")
    assert 'lang="en"' in page.text and "History" in page.text and "Поиск по маркировке" not in page.text
    client.get("/lang/ru")
    assert "Поиск по маркировке" in client.get("/history").text


def test_the_login_page_switches_without_signing_in(app_data, ocr_engine):
    data_dir, _ = app_data
    with make_client(data_dir, ocr_engine) as anonymous:
        anonymous.get("/lang/en", headers={"referer": "http://testserver/login"})
        assert "Password" in anonymous.get("/login").text
        assert (
            anonymous.get("/lang/en", headers={"referer": "https://evil.example/"}, follow_redirects=False).headers[
                "location"
            ]
            == "/"
        )


# Words a Russian refusal may carry in Latin letters: names of formats, protocols and parameters.
TECHNICAL = {
    "API",
    "CSRF",
    "JSON",
    "multipart",
    "form",
    "data",
    "xlsx",
    "csv",
    "limit",
    "offset",
    "replace",
    "merge",
    "true",
    "false",
}
REFUSAL = re.compile(r'Refused\(\s*\d+,\s*"(\w+)",\s*"([^"]+)"')
REASON = re.compile(r'(?:PhotoError|OrdersTableError)\(\s*"([^"]+)"')


def refusals() -> list[tuple[str, str]]:
    """Every refusal a person can be shown, as (code, Russian message), from the source."""
    from web import errors

    found = {("unauthenticated", errors.UNAUTHENTICATED), ("csrf", errors.CSRF_FAILED), ("internal", errors.INTERNAL)}
    found |= {(code, message) for code, message in errors.HTTP_REFUSALS.values()}
    for path in [*(ROOT / "web").rglob("*.py"), ROOT / "inference" / "photo.py"]:
        text = path.read_text(encoding="utf-8")
        found |= set(REFUSAL.findall(text))
        found |= {(path.stem, reason) for reason in REASON.findall(text)}
    return sorted(found)


def foreign_words(message: str, lang: str) -> set[str]:
    """The words of ``message`` written in the other language's letters (for Russian: but technical names)."""
    message = re.sub(r"\{\w+\}", "", message)
    if lang == "en":
        return set(re.findall("[а-яА-ЯёЁ]+", message))
    return set(re.findall("[A-Za-z]+", message)) - TECHNICAL


@pytest.mark.parametrize(("code", "message"), refusals())
def test_every_refusal_reads_in_either_language(code, message):
    assert foreign_words(message, "ru") == set(), f"{code}: English in the Russian message"
    english = EN.get(message)
    assert english is not None, f"{code}: no English"
    assert foreign_words(english, "en") == set(), f"{code}: Russian in the English message"
    assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", message))


def test_the_server_s_own_refusals_follow_the_language(client):
    """401, 404, 405, 413, 422 (a photo that is not one, or is cut off) as a Russian and an English person gets them."""
    from starlette.testclient import TestClient

    photo = {"photo": ("p.jpg", b"\xff\xd8\xff\xe0 cut off", "image/jpeg")}
    asks = [
        ("get", "/api/scans", {"headers": {"Authorization": ""}}, 401),
        ("get", "/api/no-such-thing", {}, 404),
        ("delete", "/api/scans", {}, 405),
        ("post", "/api/scans", {"files": photo, "data": {"idempotency_key": "lang-key-0001"}}, 422),
        ("post", "/api/scans", {"files": {"photo": ("p.jpg", b"x" * (3 << 20), "image/jpeg")}}, 413),
    ]
    assert isinstance(client, TestClient)
    for lang in ("ru", "en"):
        client.cookies.set("lang", lang)
        for method, path, kwargs, status in asks:
            answer = getattr(client, method)(path, **kwargs)
            assert answer.status_code == status, (path, answer.text)
            assert foreign_words(answer.json()["error"], lang) == set(), (lang, status, answer.json())
    client.cookies.set("lang", "ru")
