"""What an operator watches: ``/metrics`` in Prometheus' text format (admins only).

Counted as it happens: photos read (by status), those called sure, the time a reading
takes, photos refused because the queue was full (503), failed sign-ins. Read at each
scrape: photos in the recognition queue, confirmations waiting for 1C and the age of
the oldest. Each app has its own registry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from web.storage import outbox
from web.storage.database import Database

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.photos = Counter("markscan_photos_read", "Photos read, by the reading's status", ["status"], registry=r)
        self.sure = Counter("markscan_photos_sure", "Photos whose reading was called sure (уверенно)", registry=r)
        self.reading_seconds = Histogram(
            "markscan_reading_seconds",
            "Seconds from a photo received to its reading",
            buckets=(0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
            registry=r,
        )
        self.busy = Counter(
            "markscan_busy_refusals", "Photos refused with 503: the recognition queue was full", registry=r
        )
        self.login_failures = Counter("markscan_login_failures", "Sign-ins refused: a wrong password", registry=r)
        self.queue = Gauge("markscan_recognition_queue", "Photos being read or waiting in the queue", registry=r)
        self.outbox = Gauge("markscan_onec_backlog", "Confirmations waiting to be written to 1C", registry=r)
        self.outbox_age = Gauge(
            "markscan_onec_backlog_oldest_seconds", "Seconds since the oldest waiting confirmation", registry=r
        )

    def photo_read(self, status: str, sure: bool, seconds: float) -> None:
        self.photos.labels(status=status).inc()
        if sure:
            self.sure.inc()
        self.reading_seconds.observe(seconds)

    async def exposition(self, db: Database, queue_depth: int) -> bytes:
        """The text a scrape gets, with the gauges read now."""
        self.queue.set(queue_depth)
        waiting, oldest = await outbox.backlog(db)
        self.outbox.set(waiting)
        age = (datetime.now(UTC) - datetime.fromisoformat(oldest)).total_seconds() if oldest else 0.0
        self.outbox_age.set(max(0.0, age))
        return generate_latest(self.registry)
