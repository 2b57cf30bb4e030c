"""The 1C link against a 1C-like OData server over real HTTP (tests/onec_peer.py)."""

import asyncio
import logging
import subprocess
import sys

import pytest
from onec_peer import Peer, RunningPeer

from web.onec.client import OnecAuthError, OnecClient, OnecError
from web.onec.config import DEFAULT_IDENTIFICATION_FIELDS, DEFAULT_ORDER_FIELDS, OnecConfig
from web.onec.sync import sync_orders
from web.storage.database import Database

ORDERS = "InformationRegister_ДеталиПоПлану"
IDENTIFICATIONS = "Document_ИдентификацияДетали"


def order(article, serial, order_number="201013737", station="АЭС Сюйдапу_блок 4"):
    return {
        "ДетальАртикул": article,
        "ПорядковыйНомер": serial,
        "ДетальНаименование": "ДетальЦБ-00001128",
        "ЗаказНомер": order_number,
        "СтанцияБлок": station,
    }


@pytest.fixture
def peer():
    peer = Peer(
        fields={
            ORDERS: list(DEFAULT_ORDER_FIELDS.values()),
            IDENTIFICATIONS: list(DEFAULT_IDENTIFICATION_FIELDS.values()),
        },
        sets={ORDERS: [order('"195-30-1285 ТС1.1"', s) for s in range(2638, 2688)]},
    )
    with RunningPeer(peer) as running:
        yield running


def config(peer, **overrides) -> OnecConfig:
    values = {"url": peer.url, "user": peer.user, "password": peer.password, "timeout_s": 2.0, "page_size": 7}
    return OnecConfig(**{**values, **overrides})


def run(coro):
    return asyncio.run(coro)


def test_check_passes_with_the_default_mapping(peer):
    async def check():
        async with OnecClient(config(peer)) as client:
            return await client.check()

    assert run(check()) == []


def test_check_names_what_the_mapping_misses(peer):
    fields = {**DEFAULT_ORDER_FIELDS, "station_unit": "СтанцияИБлок"}

    async def check():
        async with OnecClient(config(peer, order_fields=fields, identifications_set="Document_Нет")) as client:
            return await client.check()

    problems = run(check())
    assert any("СтанцияИБлок" in p and ORDERS in p for p in problems)
    assert any("Document_Нет" in p for p in problems)


def test_bad_credentials_give_a_clear_message_without_the_password(peer, caplog):
    caplog.set_level(logging.DEBUG)

    async def check():
        async with OnecClient(config(peer, password="wrong-password-123")) as client:
            return await client.check()

    with pytest.raises(OnecAuthError) as refused:
        run(check())
    assert "refused user 'odata'" in str(refused.value)
    assert "wrong-password-123" not in str(refused.value) + caplog.text
    assert "wrong-password-123" not in repr(config(peer, password="wrong-password-123"))
    assert len(peer.requests) == 1  # no retry storm


def test_sync_pages_through_1c_and_reports_rejects(peer, tmp_path):
    peer.sets[ORDERS] += [
        {"ДетальАртикул": "1753-30-1034", "ЗаказНомер": "1"},  # fields missing
        order("", 5),  # no article
        order("1391-30-0109", {"not": "a serial"}),
    ]

    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        async with OnecClient(config(peer)) as client:
            report = await sync_orders(db, client)
        rows = await db.catalog_rows()
        await db.close()
        return report, rows

    report, rows = run(scenario())
    assert report.total == 53 and report.added == 50 and len(report.rejected) == 3
    assert "missing field" in report.rejected[0][1] and "ДетальАртикул is empty" in report.rejected[1][1]
    assert len(rows) == 50 and rows[0].article == "195-30-1285 ТС1.1"
    assert sum(1 for method, path in peer.requests if path.endswith(ORDERS)) == 8  # 53 rows, 7 a page


def test_a_failed_sync_leaves_the_catalog_as_it_was(peer, tmp_path):
    async def scenario(fault):
        db = await Database.open(tmp_path / "m.db")
        await db.replace_catalog([])
        async with OnecClient(config(peer)) as client:
            await sync_orders(db, client)  # 50 rows in
            peer.faults.update(fault)
            with pytest.raises(OnecError) as failed:
                await sync_orders(db, client)
        rows = await db.catalog_rows()
        await db.close()
        peer.faults.clear()
        return str(failed.value), len(rows)

    assert run(scenario({"malformed": [True, 1]})) == ("1C sent malformed JSON for " + ORDERS + " (at row 0)", 50)
    message, kept = run(scenario({"status": 500}))
    assert "HTTP 500" in message and kept == 50
    message, kept = run(scenario({"slow_s": 3}))
    assert "did not answer within 2 s" in message and kept == 50


def test_cli_check_and_sync(peer, tmp_path):
    env = {"MARKSCAN_ONEC_URL": peer.url, "MARKSCAN_ONEC_USER": peer.user, "MARKSCAN_ONEC_PASSWORD": peer.password}

    def markscan(*args):
        return subprocess.run(
            [sys.executable, "-m", "web.cli", "onec", *args, "--data", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**__import__("os").environ, **env},
        )

    checked = markscan("check")
    assert checked.returncode == 0, checked.stderr
    assert "1C ok" in checked.stdout and peer.password not in checked.stdout + checked.stderr
    synced = markscan("sync")
    assert synced.returncode == 0, synced.stderr
    assert "50 added" in synced.stdout


def test_a_page_of_100000_rows_is_synced(peer, tmp_path):
    peer.sets[ORDERS] = [
        order(f"1391-30-{i // 50:04d}", i % 50 + 1, order_number=str(201000000 + i // 500)) for i in range(100_000)
    ]

    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        async with OnecClient(config(peer, page_size=100_000, timeout_s=60)) as client:
            report = await sync_orders(db, client)
        size = await db.catalog_size()
        await db.close()
        return report, size

    report, size = run(scenario())
    assert report.total == 100_000 and report.added == 100_000 and size == 100_000


def test_the_catalog_page_syncs_on_demand(peer, app_data, ocr_engine):
    import json

    from conftest import make_client

    data_dir, tokens = app_data
    (data_dir / "onec.json").write_text(json.dumps({"url": peer.url, "user": peer.user, "password": peer.password}))
    try:
        with make_client(data_dir, ocr_engine) as client:
            client.headers["Authorization"] = f"Bearer {tokens['admin']}"
            assert "Синхронизировать с 1С" in client.get("/catalog").text
            report = client.post("/catalog/onec-sync", headers={"HX-Request": "true"})
            operator = client.post("/catalog/onec-sync", headers={"Authorization": f"Bearer {tokens['operator']}"})
            found = client.get("/api/catalog/search", params={"q": "195-30-1285"}).json()["results"]
    finally:
        (data_dir / "onec.json").unlink()
    assert report.status_code == 200 and "добавлено 50" in report.text
    assert operator.status_code == 403
    assert found[0]["article"] == "195-30-1285" and len(found[0]["rows"]) == 50


def test_incremental_sync_writes_only_the_changes(peer, tmp_path):
    async def scenario():
        db = await Database.open(tmp_path / "m.db")
        async with OnecClient(config(peer)) as client:
            await sync_orders(db, client)
            peer.sets[ORDERS].pop(0)  # gone in 1C
            peer.sets[ORDERS][0]["СтанцияБлок"] = "АЭС Руппур_блок 2"  # changed
            peer.sets[ORDERS].append(order("1391-30-0109", 241))  # new
            report = await sync_orders(db, client, incremental=True)
        rows = await db.catalog_rows()
        await db.close()
        return report, rows

    report, rows = run(scenario())
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    assert len(rows) == 50
    assert not any(r.serial == "2638" for r in rows)
    assert next(r for r in rows if r.serial == "2639").station_unit == "АЭС Руппур_блок 2"
    assert any(r.article == "1391-30-0109" for r in rows)
