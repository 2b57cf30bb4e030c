"""A plant's own confirmations teach the reader: train on some part families as if confirmed, read the others.

    python scripts/bench_confirmed.py [PHOTOS_DIR] [ORDERS_XLSX]

The labelled photos' part families are dealt into two halves. For each half in
turn, an app data folder is made whose database holds the orders table and one
confirmed scan per photo of that half (the photo in its photo store, the label
as what a person confirmed); ``markscan train --confirmed`` learns from those
scans alone, and ``markscan evaluate`` reads the other half's photos with the
models it wrote. Prints the figures of each half. Minutes on 2 cores: a
benchmark, not a test.
"""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.scoring import family_of  # noqa: E402
from web.storage import scans  # noqa: E402
from web.storage.database import Database  # noqa: E402
from web.storage.orders_xlsx import read_orders_xlsx  # noqa: E402
from web.storage.photos import LocalPhotoStore  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def markscan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, cwd=ROOT)


async def confirmed_app(data: Path, photos: Path, labels: list[dict], orders: Path) -> None:
    """An app data folder whose database holds the orders and a confirmed scan of each labelled photo."""
    db = await Database.open(data / "markscan.db")
    await db.replace_catalog(read_orders_xlsx(orders).rows)
    store = LocalPhotoStore(data / "photos")
    for number, label in enumerate(labels):
        key = await store.save((photos / "images" / label["image_file"]).read_bytes())
        reading = {"status": "", "marking": "", "article": "", "serial": "", "confidence": 0.0}
        scan, _ = await scans.add_scan(db, f"bench-{number}", key, "bench", reading)
        article, _, serial = label["label_text"].partition(" ")
        async with db.transaction() as tx:
            await scans.confirm(tx, scan.id, "bench", article, serial, ("", ""))
    await db.close()


def labelled_folder(target: Path, photos: Path, labels: list[dict]) -> None:
    (target / "images").mkdir(parents=True)
    for label in labels:
        (target / "images" / label["image_file"]).symlink_to(photos / "images" / label["image_file"])
    with open(target / "labels.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(labels[0]))
        writer.writeheader()
        writer.writerows(labels)


def main() -> None:
    photos = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "real-dev"
    orders = Path(sys.argv[2]) if len(sys.argv) > 2 else SHARED / "orders.xlsx"
    with open(photos / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    families = sorted({family_of(label["label_text"]) for label in labels})
    halves = [set(families[0::2]), set(families[1::2])]
    print("| confirmed families (photos) | read families (photos) | score | exact | sure | wrong but sure |")
    print("| --- | --- | --- | --- | --- | --- |")
    for taught, read in (halves, halves[::-1]):
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            taught_labels = [label for label in labels if family_of(label["label_text"]) in taught]
            read_labels = [label for label in labels if family_of(label["label_text"]) in read]
            asyncio.run(confirmed_app(work / "app", photos, taught_labels, orders))
            labelled_folder(work / "read", photos, read_labels)
            trained = markscan(
                "train",
                "--confirmed",
                "--data",
                str(work / "app"),
                "--catalog",
                str(orders),
                "--out",
                str(work / "models"),
                "--json",
            )
            if trained.returncode:
                sys.exit(trained.stderr)
            done = markscan(
                "evaluate", str(work / "read"), "--catalog", str(orders), "--models", str(work / "models"), "--json"
            )
            if done.returncode:
                sys.exit(done.stderr)
            f = json.loads(done.stdout)
            print(
                f"| {len(taught)} ({len(taught_labels)}) | {len(read)} ({len(read_labels)}) | {f['score']} | "
                f"{f['exact']} | {f['sure_share']} | {f['wrong_sure']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
