"""The database: SQLite (the embedded default) or PostgreSQL, the schema, transactions, the catalog.

Storage modules speak one small interface (``Sql``): ``fetchone``, ``fetchall``,
``execute`` (the rows it changed), ``executemany`` and ``insert`` (the new id), with
``?`` placeholders. ``Database`` offers it for reads and, inside ``transaction()``,
for writes: what a transaction wrote commits together or not at all. SQLite: one
connection, one writer at a time. PostgreSQL (``postgresql://…``, asyncpg): a pool.
The other tables' statements live beside this module (``scans.py``, ``users.py``,
``sessions.py``, ``outbox.py``, ``memory.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import aiosqlite

from inference.catalog import CatalogRow, learn_suffixes, stamped_form
from inference.lookalikes import skeleton


class Sql(Protocol):
    """What storage modules run their statements through."""

    dialect: str  # "sqlite" or "postgresql"

    async def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None: ...

    async def fetchall(self, sql: str, params: Sequence = ()) -> list[tuple]: ...

    async def execute(self, sql: str, params: Sequence = ()) -> int: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence]) -> None: ...

    async def insert(self, sql: str, params: Sequence = ()) -> int: ...


Tx = Sql  # inside a transaction


class SqliteSql:
    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection):
        self.connection = connection

    async def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None:
        async with self.connection.execute(sql, tuple(params)) as cur:
            row = await cur.fetchone()
        return tuple(row) if row is not None else None

    async def fetchall(self, sql: str, params: Sequence = ()) -> list[tuple]:
        async with self.connection.execute(sql, tuple(params)) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def execute(self, sql: str, params: Sequence = ()) -> int:
        cursor = await self.connection.execute(sql, tuple(params))
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        await self.connection.executemany(sql, rows)

    async def insert(self, sql: str, params: Sequence = ()) -> int:
        cursor = await self.connection.execute(sql, tuple(params))
        return int(cursor.lastrowid or 0)


_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, …`` (no statement here has a ``?`` in a literal)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresSql:
    dialect = "postgresql"

    def __init__(self, connection):
        self.connection = connection  # an asyncpg connection

    async def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None:
        row = await self.connection.fetchrow(_numbered(sql), *params)
        return tuple(row) if row is not None else None

    async def fetchall(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(r) for r in await self.connection.fetch(_numbered(sql), *params)]

    async def execute(self, sql: str, params: Sequence = ()) -> int:
        status = await self.connection.execute(_numbered(sql), *params)
        return int(status.rsplit(" ", 1)[-1]) if status and status.rsplit(" ", 1)[-1].isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        await self.connection.executemany(_numbered(sql), [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Sequence = ()) -> int:
        return await self.connection.fetchval(_numbered(sql) + " RETURNING id", *params)


def is_disk_full(exc: BaseException) -> bool:
    """Whether a write failed for want of space (SQLite's SQLITE_FULL, PostgreSQL's 53100, ENOSPC, a quota)."""
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc)
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return getattr(exc, "sqlstate", None) in ("53100", "53000")  # asyncpg: disk full, insufficient resources


def unique_violations() -> tuple[type[BaseException], ...]:
    """The exceptions a duplicate key raises, whichever backend."""
    kinds: list[type[BaseException]] = [sqlite3.IntegrityError]
    with contextlib.suppress(ImportError):
        import asyncpg

        kinds.append(asyncpg.UniqueViolationError)
    return tuple(kinds)


MIGRATIONS = Path(__file__).with_name("migrations")  # one folder of yoyo migrations per backend

_ROW_COLUMNS = "article, serial, part_name, order_number, station_unit"


def _migrate(url: str, folder: Path) -> None:
    """Bring the schema up to date with yoyo (its lock keeps two replicas starting together apart)."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(url)
    try:
        with backend.lock():
            backend.apply_migrations(backend.to_apply(read_migrations(str(folder))))
    finally:
        backend.connection.close()


class Database:
    """The app's database; ``await Database.open(path_or_url)``: a SQLite file, or ``postgresql://…``."""

    def __init__(self, target: str | Path, connection: aiosqlite.Connection | None = None, pool=None):
        self.target = target
        self.connection = connection  # SQLite only
        self.pool = pool  # PostgreSQL only
        self.dialect = "postgresql" if pool is not None else "sqlite"
        self._writer = asyncio.Lock()

    @property
    def _sqlite(self) -> aiosqlite.Connection:
        if self.connection is None:
            raise RuntimeError("a PostgreSQL database has no SQLite connection")
        return self.connection

    @classmethod
    async def open(cls, target: str | Path) -> Database:
        """Open (and create or upgrade) the database."""
        if str(target).startswith(("postgresql://", "postgres://")):
            return await cls._open_postgres(str(target))
        return await cls._open_sqlite(Path(target))

    @classmethod
    async def _open_postgres(cls, url: str) -> Database:
        import asyncpg

        yoyo_url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        await asyncio.to_thread(_migrate, yoyo_url, MIGRATIONS / "postgresql")
        return cls(url, pool=await asyncpg.create_pool(url, min_size=1, max_size=8))

    @classmethod
    async def _open_sqlite(cls, path: Path) -> Database:
        """The file (and its -wal/-shm companions) is readable by its owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        old_umask = os.umask(0o077)
        try:
            await asyncio.to_thread(_migrate, f"sqlite:///{path.resolve()}", MIGRATIONS / "sqlite")
            connection = await aiosqlite.connect(path)
            await connection.execute("PRAGMA journal_mode = WAL")
        finally:
            os.umask(old_umask)
        for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if made.exists():
                made.chmod(0o600)
        return cls(path, connection=connection)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work: what is written through the yielded ``Sql`` commits together, or not at all."""
        if self.pool is not None:
            async with self.pool.acquire() as connection, connection.transaction():
                yield PostgresSql(connection)
            return
        async with self._writer:
            connection = self._sqlite
            await connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteSql(connection)
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()

    async def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None:
        if self.pool is not None:
            async with self.pool.acquire() as connection:
                return await PostgresSql(connection).fetchone(sql, params)
        return await SqliteSql(self._sqlite).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence = ()) -> list[tuple]:
        if self.pool is not None:
            async with self.pool.acquire() as connection:
                return await PostgresSql(connection).fetchall(sql, params)
        return await SqliteSql(self._sqlite).fetchall(sql, params)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        else:
            await self._sqlite.close()

    async def replace_catalog(self, rows: Iterable[CatalogRow]) -> int:
        """Swap the whole catalog for ``rows`` in one transaction."""
        return await self._write_catalog(rows, replace=True)

    async def merge_catalog(self, rows: Iterable[CatalogRow]) -> int:
        """Add ``rows`` that are not in the catalog yet (same article, serial, order)."""
        return await self._write_catalog(rows, replace=False)

    async def _write_catalog(self, rows: Iterable[CatalogRow], replace: bool) -> int:
        rows = list(rows)
        async with self.transaction() as tx:
            if replace:
                await tx.execute("DELETE FROM catalog")
                existing: set[tuple[str, str, str]] = set()
            else:
                existing = set(await tx.fetchall("SELECT article, serial, order_number FROM catalog"))
            new = [r for r in rows if (r.article, r.serial, r.order_number) not in existing]
            await _insert(tx, new)
        return len(new)

    async def apply_catalog_changes(self, upserts: list[CatalogRow], removals: list[tuple[str, str, str]]) -> None:
        """Rows added or changed, and rows gone, by (article, serial, order) key, in one transaction."""
        async with self.transaction() as tx:
            keys = removals + [(r.article, r.serial, r.order_number) for r in upserts]
            await tx.executemany("DELETE FROM catalog WHERE article = ? AND serial = ? AND order_number = ?", keys)
            await _insert(tx, upserts)

    async def catalog_rows(self) -> list[CatalogRow]:
        return [CatalogRow(*r) for r in await self.fetchall(f"SELECT {_ROW_COLUMNS} FROM catalog ORDER BY id")]

    async def catalog_size(self) -> int:
        row = await self.fetchone("SELECT count(*) FROM catalog")
        return int(row[0]) if row else 0


async def _insert(tx: Tx, rows: list[CatalogRow]) -> None:
    suffixes = learn_suffixes(r.article for r in rows)
    await tx.executemany(
        f"INSERT INTO catalog (stamped, article_key, {_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                (s := stamped_form(r.article, suffixes)),
                skeleton(s),
                r.article,
                r.serial,
                r.part_name,
                r.order_number,
                r.station_unit,
            )
            for r in rows
        ],
    )
