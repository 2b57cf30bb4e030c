"""A plant's data in a folder and back: ``markscan backup DIR`` and ``markscan restore DIR --data NEW``.

A backup holds the database (SQLite's online backup of ``markscan.db``, or ``pg_dump``'s
archive on PostgreSQL), every photo the data names (read through the photo store, a folder
or S3, and kept under its key), the session-signing key and ``manifest.json`` with what
was copied. Taken while the server runs: photos are never changed once stored, and the
database copy is consistent. A restore fills a new data folder (and, on PostgreSQL, the
empty database ``MARKSCAN_DATABASE_URL`` names): the same scans, confirmations and photos.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from web.config import DATABASE_NAME, Config
from web.storage import backup as stored
from web.storage.database import Database
from web.storage.photos import photo_key

MANIFEST = "manifest.json"
DUMP = "markscan.pgdump"


class BackupError(RuntimeError):
    """The backup or restore cannot be made as asked; nothing was overwritten."""


def _photo_path(folder: Path, key: str) -> Path:
    return folder / "photos" / key[:2] / key


async def backup(config: Config, target: Path) -> dict:
    """Copy ``config``'s data into the new or empty folder ``target``; returns the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    if config.database_url:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target / DUMP}", config.database_url])
    else:
        stored.copy_sqlite(Path(config.database), target / DATABASE_NAME)
    db = await Database.open(config.database_url or target / DATABASE_NAME)  # the copy: what it names
    try:
        keys, counts = await stored.photo_keys(db), await stored.counts(db)
    finally:
        await db.close()
    store, missing = config.photos(), []
    try:
        for key in sorted(keys):
            try:
                data = await store.read(key)
            except (OSError, KeyError):
                missing.append(key)
                continue
            path = _photo_path(target, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    finally:
        await store.close()
    secret = config.data_dir / "secret.key"
    if secret.exists():
        shutil.copy2(secret, target / "secret.key")
    manifest = {
        "taken": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if config.database_url else "sqlite",
        **counts,
        "photos": len(keys) - len(missing),
        "photos_missing": missing,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


async def restore(source: Path, config: Config) -> dict:
    """Fill ``config``'s new data folder (and empty PostgreSQL database) from the backup in ``source``."""
    manifest = json.loads((source / MANIFEST).read_text())
    data_dir = Path(config.data_dir)
    if (data_dir / DATABASE_NAME).exists() or (data_dir / "secret.key").exists():
        raise BackupError(f"{data_dir} already holds a plant's data: restore into a new folder")
    data_dir.mkdir(parents=True, exist_ok=True)
    if manifest["database"] == "postgresql":
        if not config.database_url:
            raise BackupError("a PostgreSQL backup: set MARKSCAN_DATABASE_URL to the empty database to restore into")
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={config.database_url}", str(source / DUMP)])
    else:
        if config.database_url:
            raise BackupError("an SQLite backup: restore it without MARKSCAN_DATABASE_URL")
        shutil.copy2(source / DATABASE_NAME, data_dir / DATABASE_NAME)
    store, restored = config.photos(), 0
    try:
        for path in sorted((source / "photos").rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if photo_key(data) != path.name:
                    raise BackupError(f"{path} does not hold the photo its name says: the backup is damaged")
                await store.save(data)
                restored += 1
    finally:
        await store.close()
    if (source / "secret.key").exists():
        shutil.copy2(source / "secret.key", data_dir / "secret.key")
    db = await Database.open(config.database)
    try:
        counts = await stored.counts(db)
    finally:
        await db.close()
    return {**counts, "photos": restored}


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[-500:]}") from exc
