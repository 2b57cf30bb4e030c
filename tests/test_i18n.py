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
