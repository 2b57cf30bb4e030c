"""Phone-size screenshots of the main pages into docs/, from a live demo server.

python scripts/screenshots.py     (needs Debian's chromium)
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.embedder import DinoV2Embedder  # noqa: E402
from inference.ocr import RapidOcrEngine  # noqa: E402
from web import visual_memory  # noqa: E402
from web.app import create_app  # noqa: E402
from web.config import Config  # noqa: E402
from web.demo import demo_photos, demo_rows, render_marking  # noqa: E402
from web.storage import users  # noqa: E402
from web.storage.database import Database  # noqa: E402
from web.storage.photos import LocalPhotoStore  # noqa: E402

PHONE = {"width": 390, "height": 844}


async def seed(data_dir: Path, markings: list[str]) -> None:
    """The demo catalog, a user, and two earlier confirmed photos of each part in the visual memory."""
    db = await Database.open(data_dir / "markscan.db")
    await db.replace_catalog(demo_rows())
    await users.add_user(db, "demo", "screenshot-ledokol", "admin")
    labelled = data_dir / "labelled"
    (labelled / "images").mkdir(parents=True)
    with open(labelled / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["image_file", "label_text"])
        for i, marking in enumerate(markings * 2):
            (labelled / "images" / f"{i}.jpg").write_bytes(render_marking(marking, seed=500 + i).jpeg)
            writer.writerow([f"{i}.jpg", marking])
    await visual_memory.seed_folder(db, DinoV2Embedder(), LocalPhotoStore(data_dir / "photos"), labelled)
    await db.close()


def main() -> None:
    data_dir = Path(tempfile.mkdtemp())
    demo = demo_photos(demo_rows(), count=3)
    asyncio.run(seed(data_dir, [photo.marking for photo in demo]))
    photos = [data_dir / f"demo-{i}.jpg" for i in range(3)]
    for path, photo in zip(photos, demo, strict=True):
        path.write_bytes(photo.jpeg)
    server = uvicorn.Server(
        uvicorn.Config(create_app(Config(data_dir=data_dir), RapidOcrEngine()), port=8799, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # Chromium's fake camera (a test pattern) stands in for the phone's, so the viewfinder is shown.
        fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", *fake_camera])
        page = browser.new_page(viewport=PHONE, device_scale_factor=2, base_url="http://127.0.0.1:8799")
        page.goto("/login")
        page.screenshot(path=out / "login.png")
        page.fill("input[name=name]", "demo")
        page.fill("input[name=password]", "screenshot-ledokol")
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.locator(".has-camera").wait_for(timeout=10_000)
        page.wait_for_timeout(500)  # a few frames of video
        page.screenshot(path=out / "capture.png")
        for path in photos:
            page.set_input_files("input[data-gallery-input]", str(path))
        deadline = time.monotonic() + 120
        while page.evaluate("MarkscanQueue.all().then(items => items.length)") and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        page.locator("#result .card").wait_for(timeout=60_000)
        page.locator("#result .looks-like [data-neighbour] img").first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)  # the thumbnails' pixels
        page.locator("#result .card").scroll_into_view_if_needed()
        page.screenshot(path=out / "result.png", full_page=True)
        page.locator("[data-confirm]").click()
        page.locator("#result [data-status]", has_text="подтверждено").wait_for()
        page.goto("/history")
        page.screenshot(path=out / "history.png")
        page.goto("/catalog?q=1391-30")
        page.screenshot(path=out / "catalog.png")
        tablet = browser.new_page(viewport={"width": 1180, "height": 820}, base_url="http://127.0.0.1:8799")
        tablet.context.add_cookies(page.context.cookies())
        tablet.goto("/dock")
        for path in photos[:2]:
            tablet.set_input_files("input[data-gallery-input]", str(path))
            tablet.locator("#result .card").wait_for(timeout=60_000)
        tablet.locator("#dock-summary li").nth(1).wait_for(timeout=60_000)
        tablet.screenshot(path=out / "dock.png")
        browser.close()
    server.should_exit = True
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
