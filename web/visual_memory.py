"""The server's visual memory: loaded at start-up, grown by confirmations, shrunk when one is undone.

The vectors live in SQLite (``storage/memory.py``) and in the recognition
pool's ``VisualMemory`` for search; this module keeps the two in step.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from inference.embedder import Embedder
from inference.memory import VisualMemory
from inference.photo import PhotoError, load_photo, thumbnail_jpeg
from web.recognition_pool import RecognitionPool
from web.storage import memory as entries
from web.storage.database import Database
from web.storage.photos import PhotoStore
from web.storage.scans import Scan

log = logging.getLogger(__name__)


async def load(db: Database, embedder: Embedder) -> VisualMemory:
    """The memory as persisted, for ``embedder``'s vectors."""
    memory = VisualMemory(embedder.dimension)
    async for labels, vectors in entries.vectors(db, embedder.name):
        memory.add_many([i for i, _, _ in labels], vectors, [(a, s) for _, a, s in labels])
    return memory


async def remember_scan(db: Database, pool: RecognitionPool, photos: PhotoStore, scan: Scan) -> None:
    """Keep a confirmed scan's photo with the article and serial it was confirmed as."""
    if pool.memory is None or not scan.confirmed_article:
        return
    try:
        vector, thumbnail = await pool.embed(photos.read(scan.photo_key))
    except (PhotoError, OSError) as exc:  # the reading stays confirmed; only the memory misses it
        log.warning("scan %d not remembered: %s", scan.id, exc)
        return
    await forget_scan(db, pool, scan.id)  # a correction replaces the earlier entry
    entry_id = await entries.save_entry(
        db,
        vector,
        scan.confirmed_article,
        scan.confirmed_serial or "",
        photos.save(thumbnail),
        pool.embedder.name,
        scan.id,
    )
    pool.memory.add(entry_id, vector, scan.confirmed_article, scan.confirmed_serial or "")


async def forget_scan(db: Database, pool: RecognitionPool, scan_id: int) -> None:
    entry_id = await entries.remove_scan_entry(db, scan_id)
    if entry_id is not None and pool.memory is not None:
        pool.memory.remove(entry_id)


async def seed_folder(db: Database, embedder: Embedder, photos: PhotoStore, directory: Path) -> tuple[int, list[str]]:
    """Add every labelled photo of ``directory`` (``images/`` + ``labels.csv``): (added, problems)."""
    with open(directory / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    known = await entries.thumbnail_keys(db)
    added, problems = 0, []
    for label in labels:
        name = label.get("image_file", "")
        article, _, serial = (label.get("label_text") or "").strip().partition(" ")
        if not name or not article:
            problems.append(f"{name or '?'}: no marking in labels.csv")
            continue
        try:
            photo = load_photo(directory / "images" / name)
        except (PhotoError, OSError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        key = photos.save(thumbnail_jpeg(photo))
        if key in known:
            continue
        vector = embedder.embed(photo.image)
        await entries.save_entry(db, vector, article, serial.strip(), key, embedder.name, source=name)
        known.add(key)
        added += 1
    return added, problems
