"""Orders from 1C into the catalog: fetched whole, checked row by row, swapped in one transaction."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from inference.catalog import CatalogRow
from web.onec.client import OnecClient, OnecError
from web.storage.database import Database
from web.storage.orders_xlsx import catalog_row

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (position in 1C's answer, reason)
    total: int = 0

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "rejected": [{"row": i, "reason": reason} for i, reason in self.rejected],
        }

    def summary(self) -> str:
        lines = [
            f"{self.total} rows from 1C: {self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{len(self.rejected)} rejected"
        ]
        lines += [f"  row {i}: {reason}" for i, reason in self.rejected[:50]]
        return "\n".join(lines)


def row_from_entity(entity: dict, fields: dict[str, str]) -> CatalogRow:
    """One 1C entity as a catalog row; ValueError names what is missing or malformed."""
    missing = [name for name in fields.values() if name not in entity and name != fields["serial"]]
    if missing:
        raise ValueError("missing field(s) " + ", ".join(missing))
    return catalog_row({ours: entity.get(theirs) for ours, theirs in fields.items()}, fields)


async def sync_orders(db: Database, client: OnecClient, incremental: bool = False) -> SyncReport:
    """The catalog from 1C's orders; a failure midway leaves the catalog as it was.

    Full: the catalog is swapped for 1C's rows. Incremental: keys are compared
    and only rows added, changed or gone are written. Either way in one transaction.
    """
    fields = client.config.order_fields
    report = SyncReport()
    rows: list[CatalogRow] = []
    position = 0
    async for entity in client.rows(client.config.orders_set, list(fields.values())):
        position += 1
        try:
            rows.append(row_from_entity(entity, fields))
        except ValueError as exc:
            report.rejected.append((position, str(exc)))
    report.total = position
    if not rows:
        raise OnecError(f"1C sent no usable order rows ({position} rows, all rejected); the catalog was not changed")
    old = {(r.article, r.serial, r.order_number): r for r in await db.catalog_rows()}
    new = {(r.article, r.serial, r.order_number): r for r in rows}
    added = new.keys() - old.keys()
    removed = old.keys() - new.keys()
    changed = {key for key in new.keys() & old.keys() if new[key] != old[key]}
    report.added, report.removed, report.changed = len(added), len(removed), len(changed)
    if incremental:
        await db.apply_catalog_changes([new[key] for key in added | changed], sorted(removed))
    else:
        await db.replace_catalog(rows)
    return report


async def sync_into_app(services) -> SyncReport:
    """Sync the app's catalog from 1C and let recognition use it at once (``services``: operations.Services)."""
    from web.operations import reload_catalog

    report = await sync_orders(services.db, services.onec, incremental=True)
    await reload_catalog(services)
    return report


async def sync_on_schedule(services, every_min: float) -> None:
    """The server's scheduled sync, once per period however many replicas run it; a failure is logged."""
    from web.storage.schedule import claim_period

    while True:
        await asyncio.sleep(every_min * 60)
        if not await claim_period(services.db, "onec-sync", every_min * 60):
            # another replica synced this period; take its catalog
            from web.operations import reload_catalog

            await reload_catalog(services)
            continue
        try:
            log.info("1C sync: %s", (await sync_into_app(services)).summary().splitlines()[0])
        except OnecError as exc:
            log.warning("1C sync failed: %s", exc)
