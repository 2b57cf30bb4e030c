"""Taps, keystrokes, scrolls and seconds per part on a phone, measured in Chromium against a live server.

    python scripts/measure_capture.py [--orders orders.xlsx]      (needs Debian's chromium)

Three parts, each from "take the photo" to "confirmed, camera ready for the next":
a clear photo (the reading is right: confirm it), a photo whose serial cannot be
read (the person gives the serial), and a serial worn so that one digit reads
wrong, on the article that lists the most serials (the person fixes the digit).
The catalog is the demo plant's, or a real orders table with ``--orders``. A gesture on an element below or above the
screen first costs a scroll. The OS camera's own shutter is the same in every
version and is not counted. Prints one JSON line per part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import uvicorn
from playwright.sync_api import Locator, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.catalog import CatalogIndex, CatalogRow  # noqa: E402
from inference.ocr import RapidOcrEngine  # noqa: E402
from web.app import create_app  # noqa: E402
from web.config import Config  # noqa: E402
from web.demo import demo_rows, misread_marking, render_marking  # noqa: E402
from web.storage import users  # noqa: E402
from web.storage.database import Database  # noqa: E402
from web.storage.orders_xlsx import read_orders_xlsx  # noqa: E402

PHONE = {"width": 412, "height": 839}
PASSWORD = "izmeritel-2026"


class Hand:
    """Counts what a person's hand does."""

    def __init__(self, page: Page):
        self.page, self.taps, self.keys, self.scrolls = page, 0, 0, 0

    def _reach(self, target: Locator) -> None:
        target.wait_for(state="visible", timeout=30_000)
        box = target.bounding_box()
        assert box is not None
        if box["y"] < 0 or box["y"] + box["height"] > PHONE["height"]:
            self.scrolls += 1
            target.scroll_into_view_if_needed()

    def tap(self, target: Locator) -> None:
        self._reach(target)
        target.click()
        self.taps += 1

    def type(self, target: Locator, text: str) -> None:
        self.tap(target)
        target.fill("")
        target.type(text)
        self.keys += len(text)

    def photo(self, path: Path) -> None:
        """Tap the camera button; the phone's camera returns ``path``."""
        button = self.page.locator("label:has([data-camera-input])")
        self._reach(button)
        self.taps += 1
        self.page.set_input_files("input[data-camera-input]", str(path))


async def seed(data_dir: Path, rows: list[CatalogRow]) -> None:
    db = await Database.open(data_dir / "markscan.db")
    await db.replace_catalog(rows)
    await users.add_user(db, "dock", PASSWORD, "operator")
    await db.close()


def one_part(page: Page, photo: Path, decide, status: str) -> dict:
    """Photo, the person's ``decide(hand)`` on the card, wait for ``status``, back to the camera: what it cost."""
    hand = Hand(page)
    start = time.monotonic()
    hand.photo(photo)
    page.locator("#result .card").wait_for(timeout=60_000)
    decide(hand)
    page.locator("#result [data-status]", has_text=status).wait_for(timeout=30_000)
    ready_for_next(page, hand)
    seconds = round(time.monotonic() - start, 1)
    return {"taps": hand.taps, "keys": hand.keys, "scrolls": hand.scrolls, "seconds": seconds}


def confirm_clear(page: Page, photo: Path) -> dict:
    return one_part(page, photo, lambda hand: hand.tap(page.locator("#result [data-confirm]")), "подтверждено")


def correct(page: Page, photo: Path, button: str, serial: str) -> dict:
    """Tap the right ``button`` on the card when it is there, else type ``serial`` and save."""

    def decide(hand: Hand) -> None:
        choice = page.locator(f"#result {button}")
        if choice.count():
            hand.tap(choice)
        else:
            hand.type(page.locator("#result form.manual input[name=serial]"), serial)
            hand.tap(page.locator("#result form.manual button[type=submit]"))

    return one_part(page, photo, decide, "исправлено")


def back_after_offline(page: Page, photo: Path) -> dict:
    """A photo taken offline, the page reloaded, the network back: seconds until its card is on screen."""
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # the service worker controls the page
    page.evaluate("navigator.serviceWorker.ready")
    page.context.set_offline(True)
    page.set_input_files("input[data-camera-input]", str(photo))
    page.wait_for_function("MarkscanQueue.all().then(items => items.length === 1)", timeout=10_000)
    page.reload()
    page.locator("#queued:not([hidden])").wait_for(timeout=10_000)
    start = time.monotonic()
    page.context.set_offline(False)
    page.locator("#result .card").wait_for(timeout=120_000)
    return {"seconds to the card": round(time.monotonic() - start, 1)}


def ready_for_next(page: Page, hand: Hand) -> None:
    """Back to where the next photo is taken: the camera button, by the next-part button if it is hidden."""
    camera = page.locator("label:has([data-camera-input])")
    following = page.locator("#result [data-next]")
    if not camera.is_visible() and following.is_visible():
        hand.tap(following)
    hand._reach(camera)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=Path, help="a real orders table (.xlsx) instead of the demo catalog")
    args = parser.parse_args()
    rows = read_orders_xlsx(args.orders).rows if args.orders else demo_rows()
    data_dir = Path(tempfile.mkdtemp())
    asyncio.run(seed(data_dir, rows))
    worn_article, worn_read, worn_serial = misread_marking(rows)  # not the parts below: no marking confirmed twice
    # A part whose article lists many serials (many order rows), as the dock often sees.
    listed = Counter(
        r.article
        for r in rows
        if r.serial and r.article.split()[0].count("-") == 2 and r.article.split()[0] != worn_article
    )
    row, other = [r for r in rows if r.article == listed.most_common(1)[0][0] and r.serial][:2]  # two parts of it
    article = row.article.split()[0]
    clear, unreadable_serial = data_dir / "clear.jpg", data_dir / "no-serial.jpg"
    clear.write_bytes(render_marking(f"{article} {row.serial}", seed=7).jpeg)
    unreadable_serial.write_bytes(render_marking(article, seed=8).jpeg)
    worn = data_dir / "one-digit-off.jpg"
    worn.write_bytes(render_marking(f"{worn_article} {worn_read}", seed=9).jpeg)
    worn_entry = CatalogIndex(rows).entry_for(worn_article)
    listed = len(worn_entry.serials) if worn_entry else 0
    config = Config(data_dir=data_dir, visual_memory=False)
    server = uvicorn.Server(uvicorn.Config(create_app(config, RapidOcrEngine()), port=8798, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    with sync_playwright() as p:
        # A fake camera, so the viewfinder takes its place on the screen as on a phone.
        fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", *fake_camera])
        context = browser.new_context(viewport=PHONE, base_url="http://127.0.0.1:8798", locale="ru-RU")
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=name]", "dock")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.locator(".has-camera").wait_for(timeout=10_000)
        print(json.dumps({"part": "clear photo", **confirm_clear(page, clear)}, ensure_ascii=False))
        page.goto("/")
        print(
            json.dumps(
                {
                    "part": "serial not read",
                    **correct(page, unreadable_serial, f'[data-serial-choice="{other.serial}"]', other.serial),
                },
                ensure_ascii=False,
            )
        )
        page.goto("/")
        fixed = correct(page, worn, f'[data-choice="{worn_article} {worn_serial}"]', worn_serial)
        part = f"serial one digit off ({worn_read} for {worn_serial}, the article lists {listed} serials)"
        print(json.dumps({"part": part, **fixed}, ensure_ascii=False))
        page.goto("/")
        offline = data_dir / "offline.jpg"
        offline.write_bytes(render_marking(f"{article} {row.serial}", seed=10).jpeg)
        print(json.dumps({"part": "offline, reload, online", **back_after_offline(page, offline)}, ensure_ascii=False))
        browser.close()
    server.should_exit = True
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
