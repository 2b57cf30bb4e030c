"""Work once per period across replicas: the claim in the database."""

from datetime import UTC, datetime, timedelta

from conftest import database_of, run_in_thread

from web.storage.database import Database
from web.storage.schedule import claim_period


def test_one_claim_per_period_whoever_asks(app_data):
    data_dir, _ = app_data  # on each backend

    async def claims() -> list[bool]:
        replicas = [await Database.open(database_of(data_dir)) for _ in range(2)]
        start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
        try:
            return [
                await claim_period(replicas[0], "test", 600, start),
                await claim_period(replicas[1], "test", 600, start + timedelta(seconds=1)),  # the other replica
                await claim_period(replicas[0], "test", 600, start + timedelta(seconds=300)),
                await claim_period(replicas[1], "test", 600, start + timedelta(seconds=601)),  # the next period
                await claim_period(replicas[0], "test", 600, start + timedelta(seconds=602)),
            ]
        finally:
            for db in replicas:
                await db.close()

    assert run_in_thread(claims()) == [True, False, False, True, False]
