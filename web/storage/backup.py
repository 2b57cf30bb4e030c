"""What a backup copies from the database: a consistent copy of the SQLite file, the photo keys it names."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from web.storage.database import Database


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while the server goes on writing."""
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        copy.close()
        live.close()


async def photo_keys(db: Database) -> set[str]:
    """Every photo the data names: the scans' photos, their annotated copies, the visual memory's thumbnails."""
    keys: set[str] = set()
    for photo, reading in await db.fetchall("SELECT photo_key, reading_json FROM scans"):
        stored = json.loads(reading or "{}")
        named = [photo, stored.get("annotated_key"), *(p.get("photo_key") for p in stored.get("photos", []))]
        keys.update(key for key in named if key)
    keys |= {key for (key,) in await db.fetchall("SELECT thumbnail_key FROM memory_entries") if key}
    return keys


async def counts(db: Database) -> dict[str, int]:
    """What the data holds, to compare a restore with its backup."""
    (scans,) = await db.fetchone("SELECT count(*) FROM scans") or (0,)
    (confirmed,) = await db.fetchone("SELECT count(*) FROM scans WHERE confirmed_at IS NOT NULL") or (0,)
    (rows,) = await db.fetchone("SELECT count(*) FROM catalog") or (0,)
    (people,) = await db.fetchone("SELECT count(*) FROM users") or (0,)
    return {"scans": scans, "confirmed": confirmed, "catalog_rows": rows, "users": people}
