"""The visual memory's entries in SQLite: one embedding per confirmed photo.

An entry comes from a confirmed scan (and goes when the confirmation is
undone) or from a labelled folder (``markscan memory add``). Vectors are
stored as 16-bit floats; the embedder's name is kept with each, so vectors
of another model are never mixed in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from web.storage.database import Database, Tx
from web.storage.scans import now


@dataclass(frozen=True, slots=True)
class MemoryEntry:
    id: int
    scan_id: int | None
    source: str  # "scan" or the labelled photo's file name
    article: str
    serial: str
    thumbnail_key: str


async def save_entry(
    tx: Tx,
    vector: np.ndarray,
    article: str,
    serial: str,
    thumbnail_key: str,
    embedder: str,
    scan_id: int | None = None,
    source: str = "scan",
) -> int:
    """Store an entry and return its id (a scan has one entry at most: forget the old one first)."""
    blob = np.asarray(vector, dtype=np.float16).tobytes()
    return await tx.insert(
        "INSERT INTO memory_entries (scan_id, source, article, serial, thumbnail_key, embedder, vector, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (scan_id, source, article, serial, thumbnail_key, embedder, blob, now()),
    )


async def save_seeded_entries(tx: Tx, entries, embedder: str, source: str) -> None:
    """Many entries at once, from ``(vector, article, serial, thumbnail_key)`` (a labelled folder, a benchmark)."""
    await tx.executemany(
        "INSERT INTO memory_entries (source, article, serial, thumbnail_key, embedder, vector, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (source, article, serial, key, embedder, np.asarray(vector, dtype=np.float16).tobytes(), now())
            for vector, article, serial, key in entries
        ),
    )


async def remove_scan_entry(tx: Tx, scan_id: int) -> int | None:
    """Forget a scan's entry; its id, or None when it had none."""
    row = await tx.fetchone("SELECT id FROM memory_entries WHERE scan_id = ?", (scan_id,))
    if row is None:
        return None
    await tx.execute("DELETE FROM memory_entries WHERE id = ?", (row[0],))
    return row[0]


async def fingerprint(db: Database, embedder: str) -> tuple[int, int]:
    """(entries, highest id) of an embedder's entries: changes whenever any replica adds or removes one."""
    row = await db.fetchone("SELECT count(*), coalesce(max(id), 0) FROM memory_entries WHERE embedder = ?", (embedder,))
    return (row[0], row[1]) if row else (0, 0)


async def find_entry(db: Database, entry_id: int) -> MemoryEntry | None:
    sql = "SELECT id, scan_id, source, article, serial, thumbnail_key FROM memory_entries WHERE id = ?"
    row = await db.fetchone(sql, (entry_id,))
    return MemoryEntry(*row) if row else None


async def thumbnail_keys(db: Database) -> set[str]:
    """Thumbnails of the photos in the memory (so a folder seeded twice is stored once)."""
    return {row[0] for row in await db.fetchall("SELECT thumbnail_key FROM memory_entries")}


async def vectors(db: Database, embedder: str, batch: int = 10_000) -> AsyncIterator[tuple[list, np.ndarray]]:
    """(labels as (id, article, serial), vectors) in batches, for this embedder's entries."""
    sql = "SELECT id, article, serial, vector FROM memory_entries WHERE embedder = ? AND id > ? ORDER BY id LIMIT ?"
    after = 0
    while rows := await db.fetchall(sql, (embedder, after, batch)):
        labels = [(r[0], r[1], r[2]) for r in rows]
        matrix = np.frombuffer(b"".join(bytes(r[3]) for r in rows), dtype=np.float16).reshape(len(rows), -1)
        yield labels, matrix.astype(np.float32)
        after = rows[-1][0]


async def stats(db: Database) -> dict:
    """Entries by embedder and source, and the articles they cover."""
    sql = (
        "SELECT embedder, count(*), count(scan_id), count(DISTINCT article), min(created_at), max(created_at)"
        " FROM memory_entries GROUP BY embedder"
    )
    rows = await db.fetchall(sql)
    return {
        "embedders": [
            {
                "embedder": e,
                "entries": n,
                "from_scans": from_scans,
                "seeded": n - from_scans,
                "articles": articles,
                "oldest": oldest,
                "newest": newest,
            }
            for e, n, from_scans, articles, oldest, newest in rows
        ]
    }
