"""Confirmed scans reach 1C exactly once, through faults and restarts (real HTTP to the 1C-like peer)."""

import asyncio

import pytest
from onec_peer import Peer, RunningPeer

from web.onec import outbox
from web.onec.client import OnecClient
from web.onec.config import DEFAULT_IDENTIFICATION_FIELDS, DEFAULT_ORDER_FIELDS, OnecConfig
from web.storage import outbox as outbox_rows
from web.storage import scans
from web.storage.database import Database

IDENTIFICATIONS = "Document_ИдентификацияДетали"


@pytest.fixture
def peer():
    peer = Peer(
        fields={
            "InformationRegister_ДеталиПоПлану": list(DEFAULT_ORDER_FIELDS.values()),
            IDENTIFICATIONS: list(DEFAULT_IDENTIFICATION_FIELDS.values()),
        }
    )
    with RunningPeer(peer) as running:
        yield running


def reading(marking: str) -> dict:
    article, serial = marking.split()
    return {
        "status": "matched",
        "marking": marking,
        "article": article,
        "serial": serial,
        "confidence": 1.0,
        "candidates": [{"rows": [{"order_number": "201013737", "station_unit": "АЭС Сюйдапу_блок 4"}]}],
    }


async def confirmed_scans(db: Database, n: int) -> list[scans.Scan]:
    made = []
    for i in range(n):
        scan, _ = await scans.add_scan(db, f"outbox-key-{i:04d}", "0" * 64, "oleg", reading(f"195-30-1285 {2640 + i}"))
        async with db.transaction() as tx:
            scan = await scans.confirm(
                tx, scan.id, "oleg", scan.article, scan.serial, ("201013737", "АЭС Сюйдапу_блок 4")
            )
            await outbox.enqueue(tx, scan, f"https://markscan.local/scans/{scan.id}/photo.jpg")
        made.append(scan)
    return made


async def make_due(db: Database, scan_ids) -> None:
    for scan_id in scan_ids:
        await outbox.retry_now(db, scan_id)


def records(peer) -> list[str]:
    return sorted(r["КлючИдентификации"] for r in peer.sets.get(IDENTIFICATIONS, []))


def client_for(peer, **overrides) -> OnecClient:
    values = {"url": peer.url, "user": peer.user, "password": peer.password, "timeout_s": 1.0}
    return OnecClient(OnecConfig(**{**values, **overrides}))


def test_every_confirmed_scan_reaches_1c_exactly_once_through_faults_and_a_restart(peer, tmp_path):
    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        made = await confirmed_scans(db, 4)
        ids = [s.id for s in made]
        async with client_for(peer) as client:
            peer.faults["status"] = 500
            assert await outbox.deliver_due(db, client) == 0
            state = await outbox_rows.states(db, ids)
            assert all(s["state"] == "queued" and "HTTP 500" in s["error"] for s in state.values())
            del peer.faults["status"]
            assert await outbox.deliver_due(db, client) == 0  # backing off: nothing due yet
            peer.faults["fail_after_commit"] = [True, 1]
            peer.faults["slow_after_commit"] = [2.0, 1]
            peer.faults["drop_after_commit"] = [True, 1]
            await make_due(db, ids)
            assert await outbox.deliver_due(db, client) == 1  # three writes committed, their answers lost
            assert len(records(peer)) == 4
        await db.close()  # the app stops here ...

        db = await Database.open(tmp_path / "m.db")  # ... and starts again
        async with client_for(peer) as client:
            await make_due(db, ids)
            await outbox.deliver_due(db, client)
            state = await outbox_rows.states(db, ids)
        await db.close()
        return made, state

    made, state = asyncio.run(scenario())
    assert all(s["state"] == "sent" for s in state.values())
    assert records(peer) == sorted(outbox.record_key(s) for s in made)  # each once, none twice
    record = peer.sets[IDENTIFICATIONS][0]
    assert record["ДетальАртикул"] == "195-30-1285" and record["Пользователь"] == "oleg"
    assert record["ЗаказНомер"] == "201013737" and record["СсылкаНаФото"].startswith("https://")


def test_refused_credentials_stop_the_sending_with_a_clear_reason(peer, tmp_path):
    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        made = await confirmed_scans(db, 3)
        async with client_for(peer, password="not-the-password") as client:
            await outbox.deliver_due(db, client)
        state = await outbox_rows.states(db, [s.id for s in made])
        await db.close()
        return state

    state = asyncio.run(scenario())
    assert len(peer.requests) == 1  # one refusal, no retry storm
    refused = [s for s in state.values() if s["state"] == "failed"]
    assert len(refused) == 1 and "refused user" in refused[0]["error"]
    assert "not-the-password" not in refused[0]["error"]


def test_the_app_sends_a_confirmed_scan_and_shows_its_1c_state(peer, app_data, ocr_engine, rows):
    import json
    import time

    from conftest import make_client

    from web.demo import render_marking

    data_dir, tokens = app_data
    (data_dir / "onec.json").write_text(
        json.dumps({"url": peer.url, "user": peer.user, "password": peer.password}), encoding="utf-8"
    )
    target = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    marking = f"{target.article.split()[0]} {target.serial}"
    try:
        with make_client(data_dir, ocr_engine, public_url="https://markscan.plant.local") as client:
            client.headers["Authorization"] = f"Bearer {tokens['admin']}"
            photo = {"photo": ("p.jpg", render_marking(marking, seed=41).jpeg, "image/jpeg")}
            scan = client.post("/api/scans", files=photo, data={"idempotency_key": "onec-app-0001"}).json()
            # Whatever Host the request names, the link sent to 1C is the configured address.
            client.post(f"/api/scans/{scan['id']}/confirm", json={}, headers={"Host": "attacker.example"})
            deadline = time.monotonic() + 30
            while not peer.sets.get(IDENTIFICATIONS) and time.monotonic() < deadline:
                time.sleep(0.2)
            page = client.get(f"/scans/{scan['id']}")
    finally:
        (data_dir / "onec.json").unlink()
    (record,) = peer.sets[IDENTIFICATIONS]
    assert record["Маркировка"] == marking and record["ЗаказНомер"] == target.order_number
    assert record["СсылкаНаФото"] == f"https://markscan.plant.local/scans/{scan['id']}/photo.jpg"
    assert "1C: передано" in page.text
    assert peer.password not in page.text
