"""The visual memory in the app and the CLI: confirmations fill it, undoing empties it, it survives restarts."""

import asyncio
import concurrent.futures
import csv
import json
import re

import pytest
from conftest import database_of, make_client

from web.cli import main
from web.demo import render_marking
from web.storage import memory as memory_entries
from web.storage.database import Database


@pytest.fixture(scope="module")
def marking(rows):
    row = next(r for r in rows if r.serial and r.article.split()[0].count("-") == 2)
    return f"{row.article.split()[0]} {row.serial}"


def stats(data_dir) -> dict:
    async def read():
        db = await Database.open(database_of(data_dir))
        try:
            return await memory_entries.stats(db)
        finally:
            await db.close()

    # In a thread of its own: a browser test may already run an event loop here.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def entries(data_dir) -> int:
    return sum(e["entries"] for e in stats(data_dir)["embedders"])


def scan_photo(client, photo: bytes, key: str) -> dict:
    response = client.post("/api/scans", files={"photo": ("p.jpg", photo, "image/jpeg")}, data={"idempotency_key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_confirmed_scans_are_remembered_across_restarts_and_forgotten_when_undone(app_data, ocr_engine, marking):
    data_dir, tokens = app_data
    before = entries(data_dir)
    with make_client(data_dir, ocr_engine) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        first = scan_photo(client, render_marking(marking, seed=31).jpeg, "memory-key-0001")
        second = scan_photo(client, render_marking(marking, seed=32).jpeg, "memory-key-0002")
        for scan in (first, second):
            assert client.post(f"/api/scans/{scan['id']}/confirm", json={"duplicate": True}).status_code == 200
        assert entries(data_dir) == before + 2
        assert len(client.app.state.pool.memory) == before + 2

    with make_client(data_dir, ocr_engine) as client:  # a restart: the memory is read back
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        assert len(client.app.state.pool.memory) == before + 2
        third = scan_photo(client, render_marking(marking, seed=33).jpeg, "memory-key-0003")
        fragment = client.get(f"/scans/{third['id']}/looks-like").text
        thumbnails = re.findall(r'src="(/memory/\d+\.jpg)"', fragment)
        assert thumbnails and marking in fragment
        image = client.get(thumbnails[0])
        assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"

        undone = client.post(f"/api/scans/{first['id']}/unconfirm", json={})
        assert undone.status_code == 200 and undone.json()["status"] == "awaiting confirmation"
        assert client.post(f"/api/scans/{first['id']}/unconfirm", json={}).status_code == 409
        assert len(client.app.state.pool.memory) == before + 1
        # "Похоже на" shows a part only where two look-alikes agree on it: one alone says nothing.
        agreeing = sum(article == third["article"] for article, _ in client.app.state.pool.memory.labels())
        fragment = client.get(f"/scans/{third['id']}/looks-like").text
        assert ("data-neighbour" in fragment) == (agreeing >= 2)
        assert 'data-take-article="' in fragment or agreeing < 2  # unconfirmed: one tap takes its article

    assert entries(data_dir) == before + 1
    with make_client(data_dir, ocr_engine) as client:
        assert len(client.app.state.pool.memory) == before + 1


def test_a_correction_replaces_the_scans_memory_entry(admin_client, app_data, marking):
    data_dir, _ = app_data
    scan = scan_photo(admin_client, render_marking(marking, seed=41).jpeg, "memory-key-0041")
    admin_client.post(f"/api/scans/{scan['id']}/confirm", json={"duplicate": True})
    count = entries(data_dir)
    admin_client.post(f"/api/scans/{scan['id']}/confirm", json={"serial": "424242", "not_in_catalog": True})
    assert entries(data_dir) == count
    assert (marking.split()[0], "424242") in admin_client.app.state.pool.memory.labels()


def test_only_the_confirmer_or_an_admin_may_undo(admin_client, app_data, ocr_engine, marking):
    data_dir, tokens = app_data
    scan = scan_photo(admin_client, render_marking(marking, seed=51).jpeg, "memory-key-0051")
    admin_client.post(f"/api/scans/{scan['id']}/confirm", json={"duplicate": True})
    with make_client(data_dir, ocr_engine) as operator:
        operator.headers["Authorization"] = f"Bearer {tokens['operator']}"
        refused = operator.post(f"/api/scans/{scan['id']}/unconfirm", json={})
        assert refused.status_code == 403 and refused.json()["code"] == "not_yours"


def test_memory_add_and_stats_from_the_cli(tmp_path, rows, capsys, monkeypatch):
    monkeypatch.delenv("MARKSCAN_DATABASE_URL", raising=False)  # this data folder's own SQLite file
    folder = tmp_path / "labelled"
    (folder / "images").mkdir(parents=True)
    labelled = list({r.article: r for r in rows if r.serial}.values())[:3]  # three articles
    labelled_markings = [f"{r.article.split()[0]} {r.serial}" for r in labelled]
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["image_file", "label_text"])
        for i, marking in enumerate(labelled_markings):
            (folder / "images" / f"{i}.jpg").write_bytes(render_marking(marking, seed=60 + i).jpeg)
            writer.writerow([f"{i}.jpg", marking])
        writer.writerow(["broken.jpg", "X-1 2"])
    (folder / "images" / "broken.jpg").write_bytes(b"not a photo")
    data = str(tmp_path / "data")

    assert main(["memory", "add", str(folder), "--data", data]) == 0
    out = capsys.readouterr()
    assert "3 photos added" in out.out and "broken.jpg" in out.err
    assert main(["memory", "add", str(folder), "--data", data]) == 0  # the same photos again: stored once
    assert "0 photos added" in capsys.readouterr().out
    assert main(["memory", "stats", "--data", data]) == 0
    assert "3 photos of 3 articles (0 confirmed scans, 3 seeded)" in capsys.readouterr().out
    assert main(["memory", "add", str(tmp_path), "--data", data]) == 2  # not a labelled folder

    photo = str(folder / "images" / "0.jpg")
    assert main(["recognize", photo, "--memory", "--data", data]) == 0  # reads with the remembered photos
    result = json.loads(capsys.readouterr().out)
    nearest = result["memory"]["neighbours"][0]  # no catalog here: the reading is unsure, the memory is asked
    assert nearest["similarity"] > 0.99 and f"{nearest['article']} {nearest['serial']}" == labelled_markings[0]


def test_a_replica_picks_up_what_another_added_to_the_memory(app_data, ocr_engine, marking):
    """Two app instances on one database: an entry confirmed on one reaches the other's search."""
    from web import visual_memory

    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as first, make_client(data_dir, ocr_engine) as second:
        first.headers["Authorization"] = second.headers["Authorization"] = f"Bearer {tokens['admin']}"
        pool, db = second.app.state.pool, second.app.state.db
        seen = second.portal.call(memory_entries.fingerprint, db, pool.embedder.name)
        scan = scan_photo(first, render_marking(marking, seed=77).jpeg, "memory-replica-0077")
        first.post(f"/api/scans/{scan['id']}/confirm", json={"serial": "707070", "not_in_catalog": True})
        assert (marking.split()[0], "707070") not in pool.memory.labels()
        second.portal.call(visual_memory.refresh, db, pool, seen)
        assert (marking.split()[0], "707070") in pool.memory.labels()
