"""What people do with markscan, written once: the pages, the JSON API and the CLI all call these.

Each operation takes the ``Services`` it works with and the acting user, checks
what is allowed, and either does all of its work or none of it. A refusal is a
``Refused`` with an HTTP status, a stable machine-readable ``code`` and a message
for a person (Russian; ``web.i18n`` has the English).
"""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import time
from dataclasses import dataclass, field

from inference.annotate import annotated_jpeg
from inference.catalog import CatalogIndex
from inference.photo import PhotoError
from inference.records import ReadingRecord
from web import visual_memory
from web.metrics import Metrics
from web.onec import outbox
from web.onec.client import OnecClient
from web.recognition_pool import PoolBusy, RecognitionPool
from web.storage import outbox as outbox_rows
from web.storage import scans
from web.storage.database import Database
from web.storage.orders_xlsx import OrdersTableError, read_orders_xlsx
from web.storage.photos import PhotoStore, photo_key
from web.storage.users import User
from web.text import MAX_ARTICLE, MAX_SERIAL, unprintable

log = logging.getLogger(__name__)

MAX_PHOTOS_PER_PART = 8


class Refused(Exception):
    """An operation that cannot be done as asked; nothing was changed."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **values):
        super().__init__(message.format(**values) if values else message)
        self.status = status
        self.code = code
        self.message = message  # the Russian phrase, the key for its translation
        self.values = values
        self.headers = headers or {}


@dataclass(slots=True)
class Services:
    """What the operations work with: the database, recognition, the photo store and 1C."""

    db: Database
    pool: RecognitionPool | None  # None in the CLI's catalog import: no recognition runs there
    photos: PhotoStore
    onec: OnecClient | None = None
    public_url: str = ""  # how people reach markscan (for photo links sent to 1C); "" sends none
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def recognition(self) -> RecognitionPool:
        """The recognition pool: every operation that reads or looks up a photo has one."""
        if self.pool is None:
            raise RuntimeError("these services run no recognition")
        return self.pool


def _disk_refusal(exc: OSError) -> Refused:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        log.error("storage refused a write: %s", exc)
        return Refused(507, "storage_full", "Нет места для хранения фото на сервере; сообщите администратору.")
    if exc.errno == errno.EIO:  # the object store did not answer or refused: the photo is kept on the device
        log.error("photo store unavailable: %s", exc)
        return Refused(503, "storage_unavailable", "Хранилище фото недоступно; повторите позже.", {"Retry-After": "10"})
    log.exception("storage write failed")
    return Refused(500, "storage_error", "Сервер не смог сохранить фото; попробуйте ещё раз.")


MAX_OFFSET = 2**62


async def history(
    services: Services,
    query: str = "",
    limit: int = 100,
    offset: int = 0,
    order: str = "",
    station: str = "",
    since: str = "",
    by: str = "",
    until: str = "",
) -> list[scans.Scan]:
    """Scans newest first, searched by marking (as read or as confirmed) and filtered (``until``: before then)."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Refused(400, "bad_paging", "offset — от 0 до {max}.", max=MAX_OFFSET)
    return await scans.list_scans(services.db, query, limit, offset, order, station, since, by, until)


async def find_scan(services: Services, scan_id: int) -> scans.Scan:
    scan = await scans.find_scan(services.db, scan_id)
    if scan is None:
        raise Refused(404, "no_scan", "Такого скана нет.")
    return scan


async def read_photo(services: Services, photo: bytes) -> ReadingRecord:
    """Keep a photo and read it: its reading, with ``photo_key`` and ``annotated_key`` in the photo store.

    The photo is checked (it decodes, it is no bomb) and stored first: what is not a photo is
    never stored, and a full disk is found out before any recognition is spent.
    """
    store, started = services.photos, time.monotonic()
    try:
        loaded = await services.recognition.decode(photo)  # in the bounded pool; decoded once, read below
        key = await store.save(photo)
        recognition = await services.recognition.recognize(loaded)
    except PhotoError as exc:
        raise Refused(422, "bad_photo", exc.reason, None, **exc.values) from exc
    except OSError as exc:
        raise _disk_refusal(exc) from exc
    except PoolBusy as exc:
        services.metrics.busy.inc()
        raise Refused(503, "busy", "Сервер занят, повторите через несколько секунд.", {"Retry-After": "5"}) from exc
    reading = recognition.to_record()
    services.metrics.photo_read(reading["status"], reading["sure"], time.monotonic() - started)
    try:
        reading["annotated_key"] = await store.save(await asyncio.to_thread(annotated_jpeg, recognition))
    except OSError as exc:
        raise _disk_refusal(exc) from exc
    reading["photo_key"] = key
    return reading


async def scan_photo(services: Services, user: User, photo: bytes, idempotency_key: str) -> tuple[scans.Scan, bool]:
    """Read a photo and record the scan: (scan, new). A retried key returns the first scan, to its sender only."""
    existing = await scans.find_scan_by_key(services.db, idempotency_key)
    if existing is None:
        reading = await read_photo(services, photo)
        existing, new = await scans.add_scan(services.db, idempotency_key, reading["photo_key"], user.name, reading)
        if new:
            return existing, True
    if existing.created_by != user.name:  # another person's key: neither their scan nor a silent drop
        raise Refused(409, "key_taken", "Этот ключ идемпотентности уже занят; отправьте фото с новым ключом.")
    return existing, False


async def add_photo(services: Services, user: User, scan: scans.Scan, photo: bytes) -> scans.Scan:
    """Another photo of the scan's part ("ещё фото"): read it and fuse it with the photos before.

    Sending the same photo again changes nothing, so a retried upload is harmless.
    """
    if scan.confirmed_at is not None:
        raise Refused(409, "confirmed", "Скан уже подтверждён: отмените подтверждение, чтобы добавить фото.")
    readings = scan.reading.get("photos") or [{**scan.reading, "photo_key": scan.photo_key}]
    if photo_key(photo) in {r.get("photo_key") for r in readings}:
        return scan
    if len(readings) >= MAX_PHOTOS_PER_PART:
        raise Refused(409, "too_many_photos", "У детали не больше {n} фото.", n=MAX_PHOTOS_PER_PART)
    reading = await read_photo(services, photo)
    fused = services.recognition.fuse([*readings, reading])
    updated = await scans.replace_reading(services.db, scan.id, fused)
    if updated is None:
        raise Refused(409, "confirmed", "Скан уже подтверждён: отмените подтверждение, чтобы добавить фото.")
    return updated


def _not_changed_since(seen: scans.Scan, current: scans.Scan) -> None:
    """Two people confirming one scan at once: the second, who decided on what is no longer there, is told."""
    if (seen.confirmed_at, seen.confirmed_by) != (current.confirmed_at, current.confirmed_by):
        raise Refused(
            409,
            "changed",
            "Скан только что изменил {who}; посмотрите, что записано, и повторите, если нужно.",
            who=current.confirmed_by or "—",
        )


def _may_change(user: User, scan: scans.Scan) -> None:
    """Only the person who confirmed a scan, or an admin, may change or undo that confirmation."""
    if scan.confirmed_at is not None and scan.confirmed_by != user.name and not user.is_admin:
        raise Refused(
            403,
            "not_yours",
            "Изменить или отменить подтверждение может только тот, кто подтвердил, или администратор.",
        )


async def _not_in_onec(tx_or_db, scan_id: int) -> None:
    state = await outbox_rows.state(tx_or_db, scan_id)
    if state == outbox_rows.SENT:
        raise Refused(409, "in_onec", "Подтверждение уже передано в 1С — исправьте запись в 1С.")
    if state == "sending":
        raise Refused(409, "sending", "Подтверждение как раз передаётся в 1С; повторите через минуту.")


async def confirm(
    services: Services,
    user: User,
    scan: scans.Scan,
    article: str,
    serial: str,
    off_catalog: bool = False,
    repeat: bool = False,
) -> scans.Scan:
    """Record who confirmed what, in one transaction: the scan, its 1C outbox row, its visual-memory entry.

    An article the catalog knows is stored as the catalog writes it (Cyrillic, its
    stamped form), however it was typed. A part the orders table does not list (an
    unknown article, or a serial the article does not list) is confirmed only when the
    person says so (``off_catalog``), and is marked as such. A marking another scan was
    confirmed as (a part seen before, or a second photo taken by mistake) is confirmed
    only when the person says it is another part (``repeat``). Re-confirming (a correction)
    is for the person who confirmed or an admin, and only while 1C does not have the record.
    """
    article, serial = article.strip(), serial.strip()
    if bad := unprintable(article):
        raise Refused(422, "unprintable", "В артикуле недопустимый символ {char}.", char=bad)
    if bad := unprintable(serial):
        raise Refused(422, "unprintable", "В номере недопустимый символ {char}.", char=bad)
    if not article:
        raise Refused(400, "no_article", "Укажите артикул.")
    if len(article) > MAX_ARTICLE or len(serial) > MAX_SERIAL:
        raise Refused(400, "too_long", "Артикул длиннее {a} или номер длиннее {s} знаков.", a=MAX_ARTICLE, s=MAX_SERIAL)
    _may_change(user, scan)
    await _not_in_onec(services.db, scan.id)
    catalog = services.recognition.catalog
    entry = catalog.entry_for(article)
    if entry is not None:
        article = entry.stamped
    listed = entry is not None and (not serial or not entry.serials or serial in entry.serials)
    if not listed and not off_catalog:
        raise Refused(
            409,
            "not_in_catalog",
            "«{marking}» нет в таблице заказов. Если деталь такая, подтвердите «нет в каталоге».",
            marking=f"{article} {serial}".strip(),
        )
    rows = catalog.rows_for(article, serial) if listed else []
    order = (rows[0].order_number, rows[0].station_unit) if rows else ("", "")
    remembered = await visual_memory.prepare(services.recognition, services.photos, scan.photo_key)
    async with services.db.transaction() as tx:
        current = await scans.lock_scan(tx, scan.id)  # as it is now, and no one else's until committed
        assert current is not None
        _not_changed_since(scan, current)
        _may_change(user, current)
        await _not_in_onec(tx, scan.id)
        again = (current.confirmed_article, current.confirmed_serial) == (article, serial)  # as it was confirmed
        if serial and not repeat and not again and (earlier := await scans.confirmed_as(tx, article, serial, scan.id)):
            raise Refused(
                409,
                "duplicate",
                "«{marking}» уже подтверждена (скан № {scan}, {who}). Если это другая деталь, подтвердите ещё раз.",
                marking=f"{article} {serial}",
                scan=earlier.id,
                who=earlier.confirmed_by or "",
            )
        confirmed = await scans.confirm(tx, scan.id, user.name, article, serial, order, not listed)
        if services.onec is not None:
            await outbox.enqueue(tx, confirmed, photo_link(services, scan.id))
        change = await visual_memory.store(tx, remembered, confirmed)
    visual_memory.apply(services.recognition, change)
    return confirmed


async def confirmed_before(services: Services, scan: scans.Scan) -> scans.Scan | None:
    """Another scan confirmed as the marking this unconfirmed scan reads (said on its card before the tap)."""
    if scan.confirmed_at is not None or not scan.serial:
        return None
    entry = services.recognition.catalog.entry_for(scan.article)
    return await scans.confirmed_as(services.db, entry.stamped if entry else scan.article, scan.serial, scan.id)


async def undo(services: Services, user: User, scan: scans.Scan) -> scans.Scan:
    """Undo a confirmation (its author or an admin), off the 1C queue and out of the visual memory, at once."""
    if scan.confirmed_at is None:
        raise Refused(409, "not_confirmed", "Скан не подтверждён.")
    async with services.db.transaction() as tx:
        current = await scans.lock_scan(tx, scan.id)
        assert current is not None
        if current.confirmed_at is None:
            return current  # undone meanwhile (another tab)
        _may_change(user, current)
        await _not_in_onec(tx, scan.id)
        await outbox_rows.withdraw(tx, scan.id)
        change = await visual_memory.forget(tx, scan.id)
        undone = await scans.undo_confirmation(tx, current)
    visual_memory.apply(services.recognition, change)
    return undone


async def retry_onec(services: Services, user: User, scan: scans.Scan) -> None:
    """Admins: send a scan to 1C again now."""
    require_admin(user)
    await outbox.retry_now(services.db, scan.id)


def photo_link(services: Services, scan_id: int) -> str:
    """The photo's address as people reach markscan; never built from a request's Host header."""
    return f"{services.public_url.rstrip('/')}/scans/{scan_id}/photo.jpg" if services.public_url else ""


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Refused(403, "admins_only", "Это может только администратор.")


async def import_orders(services: Services, user: User, data: bytes, mode: str = "replace") -> dict:
    """Admins: an orders .xlsx into the catalog; the report of what was kept and rejected.

    The file is parsed whole before anything is written, and the swap is one
    transaction: a file that is not an orders table leaves the catalog as it was.
    """
    require_admin(user)
    if mode not in ("replace", "merge"):
        raise Refused(400, "bad_mode", "Режим загрузки: replace или merge.")
    try:
        report = await asyncio.to_thread(read_orders_xlsx, io.BytesIO(data))
    except OrdersTableError as exc:
        raise Refused(422, "not_orders", exc.reason, None, **exc.values) from exc
    if not report.rows:
        raise Refused(422, "no_rows", "В таблице нет ни одной годной строки; каталог не изменён.")
    db = services.db
    written = await (db.replace_catalog(report.rows) if mode == "replace" else db.merge_catalog(report.rows))
    index = await reload_catalog(services)
    return {"mode": mode, "written": written, "catalog_rows": index.n_rows, **report.to_dict()}


async def reload_catalog(services: Services) -> CatalogIndex:
    """Recognition uses the catalog as stored, from the next photo on."""
    index = await asyncio.to_thread(CatalogIndex, await services.db.catalog_rows())
    if services.pool is not None:
        services.pool.replace_catalog(index)
    return index


async def confirmed_photos(db, photos: PhotoStore) -> list:
    """The photos of every confirmed scan, labelled with what the person confirmed (``markscan train``).

    A scan of several photos gives each of them; a photo gone from the store is left out.
    """
    from inference.training.labelled import LabelledPhoto

    labelled = []
    for scan in await scans.confirmed_scans(db):
        truth = f"{scan.confirmed_article or ''} {scan.confirmed_serial or ''}".strip()
        keys = [r.get("photo_key") for r in scan.reading.get("photos") or []] or [scan.photo_key]
        for number, key in enumerate(k for k in keys if k):
            try:
                data = await photos.read(key)
            except (OSError, KeyError, ValueError):
                log.warning("scan %s: photo %s is gone from the store", scan.id, key)
                continue
            labelled.append(LabelledPhoto(f"scan-{scan.id}-{number + 1}", data, truth))
    return labelled
