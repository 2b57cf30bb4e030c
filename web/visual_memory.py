"""The server's visual memory: loaded at start-up, grown by confirmations, shrunk when one is undone.

The vectors live in SQLite (``storage/memory.py``) and in the recognition
pool's ``VisualMemory`` for search; this module keeps the two in step.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.embedder import Embedder
from inference.memory import VisualMemory
from inference.photo import PhotoError, load_photo, thumbnail_jpeg
from web.recognition_pool import RecognitionPool
from web.storage import memory as entries
from web.storage.database import Database, Tx
from web.storage.photos import PhotoStore
from web.storage.scans import Scan

log = logging.getLogger(__name__)


async def refresh(db: Database, pool: RecognitionPool, seen: tuple[int, int]) -> tuple[int, int]:
    """Reload the memory if its entries in the database changed since ``seen`` (another replica's work)."""
    embedder = pool.embedder
    if embedder is None:  # no visual memory on this replica
        return seen
    now = await entries.fingerprint(db, embedder.name)
    if now != seen:
        pool.replace_memory(await load(db, embedder))
    return now


async def refresh_forever(db: Database, pool: RecognitionPool, seen: tuple[int, int], every_s: float = 60.0) -> None:
    """With several replicas: keep the memory in step with the database."""
    while True:
        await asyncio.sleep(every_s)
        try:
            seen = await refresh(db, pool, seen)
        except Exception:  # keep refreshing whatever one pass met
            log.exception("visual memory refresh failed")


async def load(db: Database, embedder: Embedder) -> VisualMemory:
    """The memory as persisted, for ``embedder``'s vectors."""
    memory = VisualMemory(embedder.dimension)
    async for labels, vectors in entries.vectors(db, embedder.name):
        memory.add_many([i for i, _, _ in labels], vectors, [(a, s) for _, a, s in labels])
    return memory


@dataclass(frozen=True, slots=True)
class Prepared:
    """A confirmed photo made ready for the memory, before the confirmation's transaction."""

    vector: np.ndarray
    thumbnail_key: str
    embedder: str


@dataclass(frozen=True, slots=True)
class Change:
    """What a transaction did to the memory's entries, for the in-process index to follow once committed."""

    removed: int | None = None
    added: int | None = None
    vector: np.ndarray | None = None
    article: str = ""
    serial: str = ""


async def prepare(pool: RecognitionPool, photos: PhotoStore, photo_key: str) -> Prepared | None:
    """The photo's embedding and thumbnail, or None when the memory is off or they cannot be made.

    A photo the memory misses is logged; the confirmation goes ahead without it.
    """
    if pool.memory is None or pool.embedder is None:
        return None
    try:
        vector, thumbnail = await pool.embed(await photos.read(photo_key))
        thumbnail_key = await photos.save(thumbnail)
    except (PhotoError, OSError) as exc:
        log.warning("photo %s not remembered: %s", photo_key[:12], exc)
        return None
    return Prepared(vector, thumbnail_key, pool.embedder.name)


async def store(tx: Tx, prepared: Prepared | None, scan: Scan) -> Change:
    """Inside the confirmation's transaction: the scan's entry replaced by one for the confirmed marking."""
    removed = await entries.remove_scan_entry(tx, scan.id)
    if prepared is None or not scan.confirmed_article:
        return Change(removed=removed)
    article, serial = scan.confirmed_article, scan.confirmed_serial or ""
    added = await entries.save_entry(
        tx, prepared.vector, article, serial, prepared.thumbnail_key, prepared.embedder, scan.id
    )
    return Change(removed, added, prepared.vector, article, serial)


async def forget(tx: Tx, scan_id: int) -> Change:
    """Inside the undo's transaction: the scan's entry removed."""
    return Change(removed=await entries.remove_scan_entry(tx, scan_id))


def apply(pool: RecognitionPool, change: Change) -> None:
    """The committed change, in the index recognition searches."""
    if pool.memory is None:
        return
    if change.removed is not None:
        pool.memory.remove(change.removed)
    if change.added is not None and change.vector is not None:
        pool.memory.add(change.added, change.vector, change.article, change.serial)


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
        key = await photos.save(thumbnail_jpeg(photo))
        if key in known:
            continue
        vector = embedder.embed(photo.image)
        async with db.transaction() as tx:
            await entries.save_entry(tx, vector, article, serial.strip(), key, embedder.name, source=name)
        known.add(key)
        added += 1
    return added, problems
