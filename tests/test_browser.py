"""End to end in a real headless Chromium (Debian's), at a phone's viewport."""

import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import make_client, served

from web.demo import misread_marking, render_marking

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",  # a camera, so the viewfinder takes its place as on a phone
    "--use-fake-ui-for-media-stream",
]
PIXEL_7 = {"width": 412, "height": 839}


@pytest.fixture(scope="module")
def server(app_data, ocr_engine):
    data_dir, tokens = app_data
    with served(make_client(data_dir, ocr_engine, workers=2).app) as base:
        yield base, tokens


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(server, browser):
    base, _ = server
    context = browser.new_context(viewport=PHONE, base_url=base, locale="ru-RU")
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=name]", "oleg")
    page.fill("input[name=password]", "parovoz-1961")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    yield page
    context.close()


def photo_file(tmp_path, marking: str, seed: int):
    path = tmp_path / f"photo-{seed}.jpg"
    path.write_bytes(render_marking(marking, seed=seed).jpeg)
    return str(path)


def wait_until(page, expression: str, seconds: float) -> None:
    """Poll a JavaScript expression (a Promise is awaited) until it is true."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(100)


def api_scans(page, server) -> list[dict]:
    base, tokens = server
    response = page.request.get(base + "/api/scans?limit=500", headers={"Authorization": f"Bearer {tokens['admin']}"})
    return response.json()["scans"]


def confirm_card(page) -> None:
    """Confirm the card as read; a marking another test confirmed before takes the second tap it asks for."""
    page.locator("#result .card [data-confirm]").click()
    asked = page.locator("#result [data-status]", has_text="подтверждено").or_(page.locator("#result [data-repeat]"))
    asked.first.wait_for(timeout=10_000)
    if page.locator("#result [data-repeat]").count():
        page.locator("#result [data-repeat]").click()
    page.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)


def test_photo_to_result_to_confirm_to_history(page, server, tmp_path):
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 5))
    card = page.locator("#result .card")
    card.wait_for(timeout=60_000)
    marking = card.locator("[data-marking]").inner_text()
    assert marking.strip()
    card.locator("[data-confirm]").click()
    page.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)
    page.goto("/history")
    first = page.locator(".history li").first
    assert marking.strip() in first.inner_text()
    assert "подтверждено" in first.inner_text()


def new_result(page, photo: str) -> None:
    """Choose a photo and wait for its result card (not the one shown before)."""
    shown = page.evaluate("document.querySelector('#result .card')?.id || ''")
    page.set_input_files("input[data-gallery-input]", photo)
    wait_until(page, f"(document.querySelector('#result .card')?.id || '{shown}') !== '{shown}'", 60)


def test_looks_like_thumbnails_and_undoing_a_confirmation(page, tmp_path, rows):
    row = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    marking = f"{row.article.split()[0]} {row.serial}"
    for seed in (21, 22):  # two confirmed photos of the part: memory needs two to vote
        new_result(page, photo_file(tmp_path, marking, seed))
        confirm_card(page)
    new_result(page, photo_file(tmp_path, marking, 23))
    thumbnail = page.locator("#result .looks-like [data-neighbour] img").first
    thumbnail.wait_for(timeout=60_000)
    wait_until(page, "[...document.querySelectorAll('.looks-like img')].every(i => i.naturalWidth > 0)", 10)
    assert marking in page.locator("#result .looks-like").inner_text()
    page.locator("#result [data-take-article]").first.click()  # one tap takes that part's article
    page.locator("#result [data-repeat]").click()  # a third photo of a part confirmed twice: said so, tap again
    page.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)
    page.locator("#result [data-undo]").click()
    page.locator("#result [data-status]", has_text="ожидает подтверждения").wait_for(timeout=10_000)
    assert page.locator("#result [data-undo]").count() == 0


def test_manifest_and_service_worker(page):
    manifest = page.request.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).ok
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/")
    page.reload()  # now controlled by the service worker
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Chrome's own verdict; test browser contexts are incognito, which alone blocks installing.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


def test_offline_photos_survive_a_reload_and_arrive_once(page, server, tmp_path):
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now the service worker controls the page
    page.evaluate("navigator.serviceWorker.ready")
    before = {s["id"] for s in api_scans(page, server)}
    page.context.set_offline(True)
    for seed in (21, 22, 23):
        page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", seed))
        wait_until(page, f"MarkscanQueue.all().then(items => items.length === {seed - 20})", 10)
    page.reload()
    wait_until(page, "document.querySelector('#queued').textContent.includes('Нет сети: в очереди 3')", 10)
    page.context.set_offline(False)
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 0)", 120)
    new = [s for s in api_scans(page, server) if s["id"] not in before]
    assert len(new) == 3
    assert len({s["idempotency_key"] for s in new}) == 3


def test_after_offline_and_a_reload_the_card_comes_back_when_the_network_does(page, tmp_path):
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now the service worker controls the page
    page.evaluate("navigator.serviceWorker.ready")
    page.context.set_offline(True)
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 24))
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 1)", 10)
    page.reload()
    wait_until(page, "document.querySelector('#queued').textContent.includes('Нет сети: в очереди 1')", 10)
    page.context.set_offline(False)
    page.locator("#result .card").wait_for(timeout=30_000)  # whoever sent it, page or service worker
    wait_until(page, "document.querySelector('#queued').hidden", 10)


def test_a_photo_the_service_worker_sends_brings_its_card_to_the_open_page(page, tmp_path):
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    page.evaluate("navigator.serviceWorker.ready")
    page.route("**/api/scans", lambda route: route.abort("internetdisconnected"))  # the server out of reach
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 25))
    wait_until(page, "document.querySelector('#queued').textContent.includes('в очереди 1')", 10)
    page.unroute("**/api/scans")
    (worker,) = page.context.service_workers
    worker.evaluate("MarkscanQueue.flush()")  # what its Background Sync does when the network is back
    page.locator("#result .card").wait_for(timeout=30_000)
    wait_until(page, "document.querySelector('#queued').hidden", 10)


def test_a_refused_photo_is_kept_aside_and_shown_in_history(page, tmp_path):
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_bytes(b"this is not a photo at all")
    page.set_input_files("input[data-gallery-input]", str(not_a_photo))
    page.locator("#result .error").wait_for(timeout=30_000)
    assert "Фото не прочитать" in page.locator("#result .error").inner_text()
    wait_until(page, "MarkscanQueue.failed().then(items => items.length === 1)", 10)
    page.goto("/history")
    local = page.locator("#local-scans li")
    local.first.wait_for(timeout=10_000)
    assert "не принято" in local.first.inner_text()
    local.first.locator("button").click()
    wait_until(page, "MarkscanQueue.failed().then(items => items.length === 0)", 10)


def test_the_card_says_sure_and_takes_another_photo_of_the_part(page, tmp_path, rows):
    row = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    marking = f"{row.article.split()[0]} {row.serial}"
    new_result(page, photo_file(tmp_path, marking, 41))
    card = page.locator("#result .card")
    assert card.locator("[data-confidence]").get_attribute("data-confidence") == "sure"
    assert "уверенно" in card.locator("[data-confidence]").inner_text()
    card_id = card.get_attribute("id")
    card.locator("[data-more-photos] input[type=file]").set_input_files(photo_file(tmp_path, marking, 42))
    page.locator(f"#{card_id} .part-photos", has_text="2").wait_for(timeout=60_000)
    assert page.locator(f"#{card_id} [data-marking]").inner_text().strip() == marking


def sign_in_as(page, base: str, name: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def sign_out(page) -> None:
    page.locator("form.logout button").click()
    page.wait_for_url("**/login")


def test_a_refusal_is_shown_in_the_card(page, server, tmp_path):
    """HTMX swaps error answers in: a 403 from the server is read in the card, not lost."""
    base, tokens = server
    new_result(page, photo_file(tmp_path, "1391-30-1583 1574", 51))
    card = page.locator("#result .card")
    scan_id = card.get_attribute("id").removeprefix("scan-")
    confirm_card(page)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    assert page.request.post(f"{base}/api/scans/{scan_id}/confirm", data={}, headers=admin).ok  # the admin corrects it
    page.locator("#result [data-undo]").click()  # the operator's card is older than the admin's correction
    error = page.locator("#result .error")
    error.wait_for(timeout=10_000)
    assert "может только тот, кто подтвердил" in error.inner_text()


def test_photos_queued_on_a_shared_tablet_wait_for_the_person_who_took_them(server, browser, tmp_path):
    base, tokens = server
    context = browser.new_context(viewport=PHONE, base_url=base, locale="ru-RU", service_workers="block")
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    before = {s["id"] for s in api_scans(page, server)}
    page.route("**/api/scans", lambda route: route.abort("internetdisconnected"))  # the workshop's network drops
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 61))
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 1)", 10)
    sign_out(page)
    page.unroute("**/api/scans")
    sign_in_as(page, base, "anna", "ledokol-2024")  # the next person on the same tablet
    page.evaluate("MarkscanQueue.flush(null, document.querySelector('[data-capture]').dataset.csrf, 'anna')")
    assert page.evaluate("MarkscanQueue.all().then(items => items.length)") == 1  # still waiting for oleg
    assert {s["id"] for s in api_scans(page, server)} == before
    sign_out(page)
    sign_in_as(page, base, "oleg", "parovoz-1961")
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 0)", 60)
    (new,) = [s for s in api_scans(page, server) if s["id"] not in before]
    assert new["created_by"] == "oleg"
    context.close()


@pytest.fixture
def phone(server, browser):
    """A Pixel-7-sized screen with a (fake) camera, signed in as the operator."""
    base, _ = server
    context = browser.new_context(viewport=PIXEL_7, base_url=base, locale="ru-RU")
    context.grant_permissions(["camera"])
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    page.locator(".has-camera").wait_for(timeout=10_000)
    yield page
    context.close()


def on_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PIXEL_7["height"]


def demo_part(rows, many_serials: bool = True):
    """A demo part whose article lists several serials (several order rows)."""
    from collections import Counter

    listed = Counter(r.article for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    article = listed.most_common(1)[0][0]
    row = next(r for r in rows if r.article == article and r.serial)
    return row.article.split()[0], row.serial, sorted(r.serial for r in rows if r.article == article and r.serial)


def test_after_a_clear_photo_confirm_is_on_screen_and_the_camera_comes_back(phone, tmp_path, rows):
    article, serial, _ = demo_part(rows)
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, f"{article} {serial}", 71))
    phone.locator("#result .card").wait_for(timeout=60_000)
    assert phone.evaluate("window.scrollY") == 0
    assert on_screen(phone, "#result [data-confirm]")  # no scroll before the one tap
    phone.locator("#result [data-confirm]").click()
    phone.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)
    assert on_screen(phone, "[data-shutter]")  # camera-ready for the next part, no tap


def test_no_control_on_any_page_is_under_48_px(phone, tmp_path, rows):
    small = """() => [...document.querySelectorAll('a, button, summary, label.big, select, input:not([type=hidden])')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height > 0)
        .filter(e => e.getBoundingClientRect().height < 47.5)
        .map(e => (e.textContent || e.name || e.tagName).trim() + ' ' + Math.round(e.getBoundingClientRect().height))"""
    assert phone.evaluate(small) == []
    article, _, serials = demo_part(rows)
    for marking, seed in ((article, 72), (f"{article} {serials[4]}", 79)):  # serial unread: unsure; then clear
        new_result(phone, photo_file(tmp_path, marking, seed))
        phone.evaluate("document.querySelectorAll('#result details').forEach(d => d.open = true)")
        assert (marking, phone.evaluate(small)) == (marking, [])
    for path in ("/history", "/catalog?q=1391-30", "/dock"):
        phone.goto(path)
        assert (path, phone.evaluate(small)) == (path, [])
    sign_out(phone)
    sign_in_as(phone, phone.url.split("/login")[0], "anna", "ledokol-2024")  # an admin sees the upload form
    phone.goto("/catalog")
    assert ("/catalog (admin)", phone.evaluate(small)) == ("/catalog (admin)", [])


def test_an_unread_serial_is_one_tap_on_the_orders_serials(phone, tmp_path, rows):
    article, _, serials = demo_part(rows)
    serial = serials[-1]  # one no other test confirms
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, article, 73))
    phone.locator("#result .card").wait_for(timeout=60_000)
    choices = phone.locator("#result [data-serial-choice]")
    assert sorted(choices.evaluate_all("bs => bs.map(b => b.dataset.serialChoice)")) == serials
    assert on_screen(phone, f'#result [data-serial-choice="{serial}"]')
    phone.locator(f'#result [data-serial-choice="{serial}"]').click()
    status = phone.locator("#result [data-status]", has_text="исправлено")
    status.wait_for(timeout=10_000)
    assert f"{article} {serial}" in status.inner_text()


def test_the_correction_field_suggests_catalog_articles(phone, tmp_path, rows):
    article, _, _ = demo_part(rows)
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, article, 74))
    phone.locator("#result .card").wait_for(timeout=60_000)
    field = phone.locator("#result [data-article-input]")
    field.fill("")
    field.type(article[:8])
    wait_until(phone, "document.querySelectorAll('#result datalist option').length > 0", 10)
    suggested = phone.evaluate("[...document.querySelectorAll('#result datalist option')].map(o => o.value)")
    assert article in suggested
    field.fill("")
    field.type(article[-7:])  # the tail a worker reads off the part
    first = "document.querySelector('#result datalist option')?.value"
    wait_until(phone, f"{first} === {json.dumps(article)}", 10)


def test_a_serial_misread_by_one_digit_is_one_tap_on_the_card(phone, tmp_path, rows):
    taken, _, _ = demo_part(rows)  # other tests confirm parts of that article
    article, read, serial = misread_marking([r for r in rows if r.article.split()[0] != taken])
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, f"{article} {read}", 76))
    phone.locator("#result .card").wait_for(timeout=60_000)
    assert phone.locator("#result [data-confidence]").get_attribute("data-confidence") == "check"
    assert phone.locator("#result [data-doubt]").inner_text().startswith("номер")
    choice = f'#result [data-choice="{article} {serial}"]'
    assert on_screen(phone, choice)  # the fix is in view, no scroll
    assert phone.locator("#result form.manual input[name=serial]").input_value() == ""  # nothing to clear first
    phone.locator(choice).click()
    status = phone.locator("#result [data-status]", has_text="исправлено")
    status.wait_for(timeout=10_000)
    assert f"{article} {serial}" in status.inner_text()


def test_nothing_read_has_no_confirm_button(phone, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.jpg"
    Image.new("RGB", (800, 600), (128, 128, 128)).save(blank)
    phone.set_input_files("input[data-camera-input]", str(blank))
    phone.locator("#result .card").wait_for(timeout=60_000)
    assert phone.locator("#result [data-confidence]").get_attribute("data-confidence") == "none"
    assert phone.locator("#result [data-confirm]").count() == 0
    assert phone.locator("#result form.manual input[name=article]").is_visible()  # type it in
    assert phone.locator("#result [data-more-photos]").is_visible()  # or take another photo


def test_a_serial_confirmed_before_needs_a_second_tap(phone, tmp_path, rows):
    article, _, serials = demo_part(rows)
    marking = f"{article} {serials[2]}"
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, marking, 77))
    phone.locator("#result .card").wait_for(timeout=60_000)
    phone.locator("#result [data-confirm]").click()
    phone.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)
    phone.locator("#result [data-next]").click()
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, marking, 78))  # the same part again
    phone.locator("#result .card [data-earlier]").wait_for(timeout=60_000)
    phone.locator("#result [data-confirm]").click()
    phone.locator("#result [data-repeat]").wait_for(timeout=10_000)
    assert "ожидает подтверждения" in phone.locator("#result [data-status]").inner_text()  # the first tap saved nothing
    phone.locator("#result [data-repeat]").click()
    phone.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)


def test_a_part_the_orders_lack_is_confirmed_only_when_said_so(phone, tmp_path, rows):
    article, _, _ = demo_part(rows)
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, article, 75))
    phone.locator("#result .card").wait_for(timeout=60_000)
    phone.locator("#result [data-article-input]").fill("195-30-12B6")
    phone.locator("#result form.manual input[name=serial]").fill("9999")
    phone.locator("#result form.manual button[type=submit]").click()
    phone.locator("#result .error", has_text="нет в таблице заказов").wait_for(timeout=10_000)
    assert "ожидает подтверждения" in phone.locator("#result [data-status]").inner_text()  # nothing saved yet
    phone.locator("#result [data-off-catalog]").click()
    status = phone.locator("#result [data-status]", has_text="исправлено")
    status.wait_for(timeout=10_000)
    assert "нет в каталоге" in status.inner_text()


def test_a_busy_server_is_told_apart_from_no_network_and_retried_after_its_wait(server, browser, tmp_path):
    base, _ = server
    context = browser.new_context(viewport=PIXEL_7, base_url=base, locale="ru-RU", service_workers="block")
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    busy = {"Retry-After": "5", "Content-Type": "application/json"}
    page.route("**/api/scans", lambda route: route.fulfill(status=503, headers=busy, body='{"code": "busy"}'))
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 81))
    queued = page.locator("#queued")
    queued.wait_for(timeout=10_000)
    wait_until(
        page,
        "document.querySelector('#queued').textContent.includes('Сервер занят: в очереди 1, повторим через 5 с')",
        10,
    )
    assert "Нет сети" not in queued.inner_text()
    page.unroute("**/api/scans")  # the server has room again: the page retries by itself
    page.locator("#result .card").wait_for(timeout=60_000)
    assert page.evaluate("MarkscanQueue.all().then(items => items.length)") == 0
    context.close()


def test_the_history_with_the_queued_photos_opens_offline(page, tmp_path):
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # the service worker controls the page
    page.goto("/history")  # seen once online, kept for offline use
    page.context.set_offline(True)
    try:
        page.goto("/")
        page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 91))
        wait_until(page, "MarkscanQueue.all().then(items => items.length === 1)", 10)
        page.goto("/history")
        page.locator("#local-scans li").first.wait_for(timeout=10_000)
        assert "в очереди" in page.locator("#local-scans").inner_text()
        assert page.locator("[data-capture]").count() == 0  # the history, not the capture page
    finally:
        page.context.set_offline(False)
    page.goto("/")  # back on the capture page, online: it sends the photo
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 0)", 120)


def axe_violations(page) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now."""
    import axe_playwright_python

    source = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    page.evaluate(source)  # evaluated, not injected as a <script>: the pages' CSP allows no inline script
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']}: {v['id']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def test_axe_finds_nothing_critical_or_serious_in_any_state(phone, tmp_path, rows):
    phone.wait_for_load_state("networkidle")
    found = {"capture, no card": axe_violations(phone)}
    article, _, serials = demo_part(rows)
    for state, marking, seed in (("unsure card", article, 95), ("card", f"{article} {serials[5]}", 96)):
        new_result(phone, photo_file(tmp_path, marking, seed))
        phone.wait_for_load_state("networkidle")
        found[state] = axe_violations(phone)
    phone.goto("/")
    phone.context.set_offline(True)
    phone.set_input_files("input[data-camera-input]", photo_file(tmp_path, article, 98))
    phone.locator("#queued:not([hidden])").wait_for(timeout=10_000)
    found["offline, a photo queued"] = axe_violations(phone)
    phone.evaluate("MarkscanQueue.all().then(items => Promise.all(items.map(i => MarkscanQueue.remove(i.key))))")
    phone.context.set_offline(False)
    for path in ("/history", "/catalog?q=1391-30", "/dock"):
        phone.goto(path)
        found[path] = axe_violations(phone)
    sign_out(phone)
    found["/login"] = axe_violations(phone)
    sign_in_as(phone, phone.url.split("/login")[0], "anna", "ledokol-2024")  # an admin sees the upload form
    phone.goto("/catalog")
    found["/catalog (admin)"] = axe_violations(phone)
    assert found == {page: [] for page in found}


def test_the_dock_list_follows_every_confirmation_on_a_tablet(server, browser, tmp_path, rows):
    base, _ = server
    context = browser.new_context(viewport={"width": 1180, "height": 820}, base_url=base, locale="ru-RU")
    context.grant_permissions(["camera"])
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    page.goto("/dock")
    page.locator("form[action='/dock'] button").click()  # a new dock session
    page.wait_for_url("**/dock")
    article, _, serials = demo_part(rows)
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, f"{article} {serials[1]}", 97))
    page.locator("#dock-summary", has_text="Приёмка: 1 деталь").wait_for(timeout=60_000)
    page.locator("#dock-summary li", has_text="ожидает подтверждения").wait_for(timeout=10_000)
    page.locator("#result [data-confirm]").click()
    page.locator("#dock-summary li", has_text="подтверждено").wait_for(timeout=10_000)
    # The same part again: the card says so, and the confirmation takes a second tap.
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, f"{article} {serials[1]}", 98))
    page.locator("#result [data-earlier]").wait_for(timeout=60_000)
    page.locator("#result [data-confirm]").click()
    page.locator("#result [data-repeat]").click()
    page.locator("#dock-summary", has_text="Приёмка: 2 детали").wait_for(timeout=10_000)
    page.locator("#result [data-status]", has_text="подтверждено").wait_for(timeout=10_000)
    context.close()


def camera_showing(tmp_path, marking: str, seed: int) -> Path:
    """A Y4M video of one rendered photo: Chromium's fake camera then films the marking, steady."""
    from PIL import Image

    photo = Image.open(io.BytesIO(render_marking(marking, seed=seed).jpeg)).convert("YCbCr")
    y, cb, cr = (np.asarray(band) for band in photo.split())
    height, width = y.shape
    frame = b"FRAME\n" + y.tobytes() + cb[::2, ::2].tobytes() + cr[::2, ::2].tobytes()
    path = tmp_path / f"camera-{seed}.y4m"
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


@pytest.fixture
def filmed(server, browser, tmp_path):
    """A phone whose camera films a marking (a browser of its own: the fake camera is a launch flag)."""
    base, _ = server
    opened = []

    def open_phone(marking: str, seed: int):
        video = camera_showing(tmp_path, marking, seed)
        filming = browser.browser_type.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"]
        )
        context = filming.new_context(viewport=PIXEL_7, base_url=base, locale="ru-RU")
        context.grant_permissions(["camera"])
        page = context.new_page()
        sign_in_as(page, base, "oleg", "parovoz-1961")
        page.locator(".has-camera").wait_for(timeout=10_000)
        opened.append(filming)
        return page

    yield open_phone
    for filming in opened:
        filming.close()


def test_the_viewfinder_takes_the_photo_by_itself_when_the_marking_is_sharp_and_steady(filmed, rows):
    article, serial, _ = demo_part(rows)
    phone = filmed(f"{article} {serial}", 101)
    phone.locator("[data-hint][data-state]").wait_for(state="attached", timeout=10_000)  # measured from the video
    card = phone.locator("#result .card")
    card.wait_for(timeout=60_000)  # no tap: auto-capture
    assert card.locator("[data-marking]").inner_text().strip() == f"{article} {serial}"


def test_an_unsure_first_frame_brings_a_second_one_of_the_same_part(filmed, rows):
    article, _, _ = demo_part(rows)
    phone = filmed(article, 102)  # the serial is not stamped: the reading cannot be sure
    phone.locator("[data-auto]").uncheck()
    phone.locator("[data-shutter]").click()
    phone.locator("#result .part-photos", has_text="2").wait_for(timeout=60_000)


def test_a_denied_camera_is_explained(server, browser):
    base, _ = server
    context = browser.new_context(viewport=PIXEL_7, base_url=base, locale="ru-RU")
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    note = page.locator("[data-camera-note]")
    note.wait_for(timeout=10_000)
    assert "Нет доступа к камере" in note.inner_text()
    assert page.locator("label:has([data-camera-input])").is_visible()  # the way round it is there
    context.close()


def test_a_scan_sent_in_the_background_comes_back_for_confirmation(server, browser, tmp_path):
    base, _ = server
    context = browser.new_context(viewport=PIXEL_7, base_url=base, locale="ru-RU", service_workers="block")
    page = context.new_page()
    sign_in_as(page, base, "oleg", "parovoz-1961")
    page.route("**/api/scans", lambda route: route.abort("internetdisconnected"))
    page.set_input_files("input[data-gallery-input]", photo_file(tmp_path, "1391-30-1583 1574", 111))
    wait_until(page, "MarkscanQueue.all().then(items => items.length === 1)", 10)
    page.goto("/history")  # no capture page open when the network comes back
    page.unroute("**/api/scans")
    # What the service worker's Background Sync does: a flush with no page to show the result in.
    page.evaluate("MarkscanQueue.flush()")
    wait_until(page, "MarkscanQueue.unseen().then(items => items.length === 1)", 60)
    page.goto("/")
    page.locator("#result .card [data-confirm]").wait_for(timeout=30_000)
    assert page.evaluate("MarkscanQueue.unseen().then(items => items.length)") == 0
    context.close()
