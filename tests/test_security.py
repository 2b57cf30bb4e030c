"""The security review's findings, each against the real app (real SQLite file, real models)."""

import asyncio
import concurrent.futures
import csv
import io
import os
import re
import stat
import subprocess
import sys

import pytest
from conftest import database_of, make_client, served
from openpyxl import load_workbook

from web.demo import render_marking
from web.storage import outbox as outbox_rows
from web.storage import users
from web.storage.database import Database
from web.storage.photos import LocalPhotoStore, photo_key


@pytest.fixture(scope="module")
def app(app_data, ocr_engine):
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        yield client, tokens, data_dir


def as_user(tokens, role: str) -> dict:
    return {"Authorization": f"Bearer {tokens[role]}"}


def on_database(data_dir, work):
    """Run ``await work(db)`` on a second connection to the app's database, as another process would."""

    async def run():
        db = await Database.open(database_of(data_dir))
        try:
            return await work(db)
        finally:
            await db.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def new_scan(client, tokens, key: str, seed: int, role: str = "operator") -> dict:
    photo = {"photo": ("p.jpg", render_marking("1391-30-1583 1574", seed=seed).jpeg, "image/jpeg")}
    response = client.post("/api/scans", files=photo, data={"idempotency_key": key}, headers=as_user(tokens, role))
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(client, name="oleg", password="parovoz-1961"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    fields = {"name": name, "password": password, "csrf_token": token}
    return client.post("/login", data=fields, follow_redirects=False)


def markscan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, timeout=120)


def test_someone_elses_confirmation_is_not_overwritten(app):
    client, tokens, _ = app
    scan = new_scan(client, tokens, "reconfirm-0001", seed=61)
    url = f"/api/scans/{scan['id']}/confirm"
    assert client.post(url, json={"duplicate": True}, headers=as_user(tokens, "operator")).status_code == 200
    # The admin may correct it; then the operator may not change the admin's correction.
    corrected = client.post(url, json={"serial": "1575"}, headers=as_user(tokens, "admin"))
    assert corrected.status_code == 200 and corrected.json()["confirmed"]["by"] == "anna"
    refused = client.post(url, json={"serial": "1576"}, headers=as_user(tokens, "operator"))
    assert refused.status_code == 403 and refused.json()["code"] == "not_yours"
    assert client.get(f"/api/scans/{scan['id']}", headers=as_user(tokens, "admin")).json()["serial"] == "1574"
    assert client.get(f"/api/scans/{scan['id']}", headers=as_user(tokens, "admin")).json()["confirmed"]["serial"] == (
        "1575"
    )


def test_a_confirmation_that_reached_1c_is_not_changed_here(app):
    client, tokens, data_dir = app
    scan = new_scan(client, tokens, "reconfirm-0002", seed=62)
    url = f"/api/scans/{scan['id']}/confirm"
    assert client.post(url, json={}, headers=as_user(tokens, "operator")).status_code == 200

    async def sent_to_1c(db):
        async with db.transaction() as tx:
            await outbox_rows.enqueue(tx, scan["id"], f"markscan-{scan['idempotency_key']}", {}, "2026-01-01")
        await outbox_rows.mark_sent(db, scan["id"], "ref-1", 1, "2026-01-01")

    on_database(data_dir, sent_to_1c)
    for path in (url, f"/api/scans/{scan['id']}/unconfirm"):
        refused = client.post(path, json={"serial": "9"}, headers=as_user(tokens, "admin"))
        assert refused.status_code == 409 and refused.json()["code"] == "in_onec"
    assert client.get(f"/api/scans/{scan['id']}", headers=as_user(tokens, "admin")).json()["status"] == "confirmed"


@pytest.mark.parametrize("formula", ['=1+HYPERLINK("http://x.ex")', "+1+1", "-2+3", "@SUM(A1)"])
def test_exported_cells_never_run_as_formulas(app, formula):
    client, tokens, _ = app
    scan = new_scan(client, tokens, f"formula-{abs(hash(formula)):012d}", seed=63)
    confirmed = client.post(
        f"/api/scans/{scan['id']}/confirm",
        json={"article": formula, "serial": formula, "not_in_catalog": True},
        headers=as_user(tokens, "operator"),
    )
    assert confirmed.status_code == 200
    exported = client.get("/history.csv", params={"q": formula}, headers=as_user(tokens, "operator"))
    (row,) = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert row[4] == "'" + formula and row[5] == "'" + formula
    workbook = load_workbook(
        io.BytesIO(client.get("/history.xlsx", params={"q": formula}, headers=as_user(tokens, "operator")).content)
    )
    cells = [cell for cell in workbook.active[2] if cell.value == formula]
    assert len(cells) == 2 and all(cell.data_type == "s" for cell in cells)  # text, not a formula


def test_wrong_passwords_are_throttled_per_user(app_data, ocr_engine):
    data_dir, _ = app_data
    with make_client(data_dir, ocr_engine) as client:
        for _ in range(5):
            assert sign_in(client, password="not-the-password").status_code == 401
        locked = sign_in(client)  # even the right password waits now
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
        assert "Слишком много неудачных попыток" in locked.text
        assert sign_in(client, "anna", "ledokol-2024").status_code == 303  # another user is not locked out
        assert client.get("/healthz").json() == {"ok": True}


def test_signing_out_ends_the_session_on_the_server(app_data, ocr_engine):
    data_dir, _ = app_data
    with make_client(data_dir, ocr_engine) as client:
        assert sign_in(client).status_code == 303
        copied = dict(client.cookies)
        page = client.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        client.cookies.clear()
        for name, value in copied.items():
            client.cookies.set(name, value)  # the cookie as it was before signing out
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/api/scans").status_code == 401


def test_a_new_password_and_disabling_end_sessions_and_tokens(app_data, ocr_engine, tmp_path):
    data_dir, _ = app_data
    on_database(data_dir, lambda db: users.add_user(db, "ivan", "kolokol-1917", "operator"))
    token = on_database(data_dir, lambda db: users.create_token(db, "ivan"))
    with make_client(data_dir, ocr_engine) as client:
        assert sign_in(client, "ivan", "kolokol-1917").status_code == 303
        assert client.get("/api/scans").status_code == 200
        on_database(data_dir, lambda db: users.add_user(db, "ivan", "samovar-1812", "operator"))
        assert client.get("/api/scans").status_code == 401  # the session ended with the old password
        assert sign_in(client, "ivan", "samovar-1812").status_code == 303
        assert client.get("/api/scans", headers={"Authorization": f"Bearer {token}"}).status_code == 401  # died too
        token = on_database(data_dir, lambda db: users.create_token(db, "ivan"))
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/scans", headers=bearer).status_code == 200
        assert markscan("user", "disable", "ivan", "--data", str(data_dir)).returncode == 0
        client.headers.pop("Authorization", None)
        assert client.get("/api/scans").status_code == 401
        assert client.get("/api/scans", headers=bearer).status_code == 401
        assert sign_in(client, "ivan", "samovar-1812").status_code == 401
        assert markscan("user", "enable", "ivan", "--data", str(data_dir)).returncode == 0
        assert client.get("/api/scans", headers=bearer).status_code == 401  # enabling brings no token back
        assert sign_in(client, "ivan", "samovar-1812").status_code == 303


def test_tokens_are_listed_revoked_and_expire(app_data, ocr_engine, monkeypatch):
    data_dir, _ = app_data

    def token_ids() -> set[str]:
        listed = markscan("token", "list", "oleg", "--data", str(data_dir)).stdout
        assert "msk_" not in listed  # never a token itself
        return set(re.findall(r"^([0-9a-f]{12})  created \S+  expires \S+$", listed, re.M))

    before = token_ids()
    token = markscan("token", "create", "oleg", "--days", "30", "--data", str(data_dir)).stdout.strip()
    (new_id,) = token_ids() - before
    with make_client(data_dir, ocr_engine) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/scans", headers=bearer).status_code == 200
        from datetime import timedelta

        later = users._now() + timedelta(days=31)
        monkeypatch.setattr(users, "_now", lambda: later)
        assert client.get("/api/scans", headers=bearer).status_code == 401  # expired
        monkeypatch.undo()
        assert markscan("token", "revoke", "oleg", new_id, "--data", str(data_dir)).returncode == 0
        assert new_id not in token_ids() and before <= token_ids()
        assert client.get("/api/scans", headers=bearer).status_code == 401


@pytest.mark.parametrize(
    "path", ["/api/scans/9223372036854775808", "/scans/99999999999999999999", "/memory/9223372036854775808.jpg"]
)
def test_ids_past_sqlite_integers_are_404(app, path):
    client, tokens, _ = app
    assert client.get(path, headers=as_user(tokens, "operator")).status_code == 404


def test_an_offset_past_sqlite_integers_is_400(app):
    client, tokens, _ = app
    response = client.get("/api/scans", params={"offset": str(2**64)}, headers=as_user(tokens, "operator"))
    assert response.status_code == 400 and response.json()["code"] == "bad_paging"


def test_answers_carry_security_headers_and_the_database_is_private(app):
    client, tokens, data_dir = app
    for path in ("/login", "/api/scans", "/static/app.css"):
        headers = client.get(path, headers=as_user(tokens, "operator")).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    if not os.environ.get("MARKSCAN_DATABASE_URL"):  # the embedded default: the file is its owner's alone
        assert stat.S_IMODE((data_dir / "markscan.db").stat().st_mode) == 0o600


def test_a_json_body_on_the_session_cookie_needs_the_csrf_header(app_data, ocr_engine):
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        scan = new_scan(client, tokens, "csrf-json-0001", seed=64)
        assert sign_in(client).status_code == 303
        refused = client.post(f"/api/scans/{scan['id']}/confirm", json={"article": "X"})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
        page = client.get("/")
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)
        allowed = client.post(
            f"/api/scans/{scan['id']}/confirm", json={"duplicate": True}, headers={"X-CSRF-Token": csrf}
        )
        assert allowed.status_code == 200


class FullDisk(LocalPhotoStore):
    """A photo store whose writes go to /dev/full: the kernel answers ENOSPC, as a full disk does."""

    async def save(self, data: bytes) -> str:
        if self._path(photo_key(data)).exists():
            return photo_key(data)
        with open("/dev/full", "wb") as f:
            f.write(data)
            f.flush()
        return photo_key(data)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_gets_a_clear_answer_and_loses_no_confirmation(app_data, ocr_engine):
    data_dir, tokens = app_data
    with make_client(data_dir, ocr_engine) as client:
        scan = new_scan(client, tokens, "full-disk-0001", seed=65)
        services = client.app.state.services
        services.photos = FullDisk(data_dir / "photos")
        photo = {"photo": ("p.jpg", render_marking("1391-30-1583 1574", seed=66).jpeg, "image/jpeg")}
        refused = client.post(
            "/api/scans", files=photo, data={"idempotency_key": "full-disk-0002"}, headers=as_user(tokens, "operator")
        )
        assert refused.status_code == 507 and refused.json()["code"] == "storage_full"
        # The confirmation is committed although the memory's thumbnail cannot be written.
        confirmed = client.post(
            f"/api/scans/{scan['id']}/confirm", json={"duplicate": True}, headers=as_user(tokens, "operator")
        )
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json() == {"ok": False, "problem": "disk full"}


def test_a_photo_write_cut_off_leaves_no_partial_file(tmp_path, monkeypatch):
    store = LocalPhotoStore(tmp_path)

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        store.save_now(b"photo bytes")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_password_hashing_runs_off_the_event_loop(tmp_path, monkeypatch):
    """argon2 is slow on purpose: it must never run on the thread that serves everyone else."""
    import threading

    hasher = users._hasher
    seen: list[threading.Thread] = []

    class Watched:
        def hash(self, password):
            seen.append(threading.current_thread())
            return hasher.hash(password)

        def verify(self, password_hash, password):
            seen.append(threading.current_thread())
            return hasher.verify(password_hash, password)

    monkeypatch.setattr(users, "_hasher", Watched())

    async def run():
        db = await Database.open(tmp_path / "markscan.db")
        try:
            await users.add_user(db, "vera", "trolleybus-77", "operator")
            assert await users.check_password(db, "vera", "trolleybus-77") is not None
            assert await users.check_password(db, "nobody", "trolleybus-77") is None
            return threading.current_thread()
        finally:
            await db.close()

    loop_thread = asyncio.run(run())
    assert len(seen) == 3 and loop_thread not in seen


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short-1", "at least 10"), ("aaaaabbbbb", "too few"), ("oleg-1961-x", "user name"), ("Password", "at least 10")],
)
def test_weak_passwords_are_refused_with_the_reason(password, problem):
    assert problem in users.password_problem("oleg", password)
    assert users.password_problem("oleg", "parovoz-1961") is None


def test_the_page_and_the_api_refuse_an_overlong_correction_alike(app):
    client, tokens, _ = app
    scan = new_scan(client, tokens, "overlong-0001", seed=67)
    api = client.post(
        f"/api/scans/{scan['id']}/confirm", json={"article": "A" * 65}, headers=as_user(tokens, "operator")
    )
    assert api.status_code == 400 and api.json()["code"] == "too_long"
    page = client.post(f"/scans/{scan['id']}/confirm", data={"article": "A" * 65}, headers=as_user(tokens, "operator"))
    assert page.status_code == 400 and "длиннее 64" in page.text  # refused, not cut to 64 and saved
    assert client.get(f"/api/scans/{scan['id']}", headers=as_user(tokens, "operator")).json()["confirmed"] is None


def test_what_is_not_a_photo_is_never_stored(app):
    client, tokens, data_dir = app

    def stored() -> int:
        return sum(1 for p in (data_dir / "photos").rglob("*") if p.is_file())

    before = stored()
    for junk in (b"%PDF-1.4 not a photo", b"\xff\xd8\xff\xe0 truncated jpeg"):
        files = {"photo": ("x.jpg", junk, "image/jpeg")}
        refused = client.post(
            "/api/scans",
            files=files,
            data={"idempotency_key": f"junk-{len(junk):08d}"},
            headers=as_user(tokens, "operator"),
        )
        assert refused.status_code == 422
    assert stored() == before


def test_a_stored_control_character_never_breaks_the_xlsx_export():
    from openpyxl import load_workbook

    from web.export import to_xlsx

    workbook = load_workbook(io.BytesIO(to_xlsx([(1, "АМ116\x07.06", "12\x1b3", "\u202eab")])))
    assert [c.value for c in next(workbook.active.iter_rows(min_row=2))][:3] == [1, "АМ116\ufffd.06", "12\ufffd3"]


def test_tries_are_counted_before_the_password_is_checked():
    from web.throttle import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    burst = [throttle.reserve("oleg", "10.0.0.7") for _ in range(40)]  # sent at once: none checked yet
    assert sum(a.wait_s == 0 for a in burst) == 5
    assert throttle.reserve("oleg", "10.0.0.8").wait_s == 0  # the same name from another address still tries
    right = throttle.reserve("anna", "10.0.0.7")
    assert right.wait_s == 0  # another person behind the workshop's address is not locked out
    throttle.succeeded(right, "anna", "10.0.0.7")
    for i in range(60):  # a spray of names from one address waits a little, never a quarter of an hour
        throttle.reserve(f"name-{i}", "10.0.0.9")
    assert 0 < throttle.reserve("someone", "10.0.0.9").wait_s <= 60
    now[0] += 901  # the window passes
    assert throttle.reserve("oleg", "10.0.0.7").wait_s == 0


def test_forty_wrong_passwords_at_once_are_at_most_six_checked(app_data, ocr_engine):
    import httpx

    data_dir, _ = app_data

    async def burst(base: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            page = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            fields = {"name": "oleg", "password": "not-the-password", "csrf_token": token}
            answers = await asyncio.gather(*(client.post("/login", data=fields) for _ in range(40)))
            return [a.status_code for a in answers]

    with served(make_client(data_dir, ocr_engine).app) as base:
        statuses = asyncio.run(burst(base))
    assert statuses.count(401) <= 6 and statuses.count(429) >= 34 and set(statuses) <= {401, 429}


def test_an_idempotency_key_answers_only_the_person_who_sent_it(app):
    client, tokens, _ = app
    mine = new_scan(client, tokens, "shared-key-0001", seed=67)
    theirs = client.post(
        "/api/scans",
        files={"photo": ("p.jpg", render_marking("1391-30-1583 1574", seed=68).jpeg, "image/jpeg")},
        data={"idempotency_key": "shared-key-0001"},
        headers=as_user(tokens, "admin"),
    )
    assert theirs.status_code == 409 and theirs.json()["code"] == "key_taken"  # not the operator's scan
    again = client.post(  # the sender's own retry: the same scan
        "/api/scans",
        files={"photo": ("p.jpg", render_marking("1391-30-1583 1574", seed=67).jpeg, "image/jpeg")},
        data={"idempotency_key": "shared-key-0001"},
        headers=as_user(tokens, "operator"),
    )
    assert again.status_code in (200, 201) and again.json()["id"] == mine["id"]


@pytest.mark.parametrize("bad", ["1391-30-1583\x07", "1391\x00-30", "\x1b[31m1574", "1574\u202e"])
def test_a_control_character_or_a_bidi_override_is_refused_at_the_door(app, bad):
    client, tokens, _ = app
    scan = new_scan(client, tokens, f"control-{abs(hash(bad)):012d}", seed=69)
    url = f"/api/scans/{scan['id']}/confirm"
    for fields in ({"article": bad, "not_in_catalog": True}, {"serial": bad, "not_in_catalog": True}):
        refused = client.post(url, json=fields, headers=as_user(tokens, "operator"))
        assert refused.status_code == 422 and refused.json()["code"] == "unprintable", refused.text
        assert "U+" in refused.json()["error"]
    assert client.get(f"/api/scans/{scan['id']}", headers=as_user(tokens, "operator")).json()["status"] == (
        "awaiting confirmation"
    )


def test_json_fields_are_typed_and_the_body_is_bounded(app):
    client, tokens, _ = app
    scan = new_scan(client, tokens, "typed-json-0001", seed=70)
    url = f"/api/scans/{scan['id']}/confirm"
    for fields in ({"article": ["list"]}, {"serial": 1574}, {"duplicate": {"yes": 1}}):
        refused = client.post(url, json=fields, headers=as_user(tokens, "operator"))
        assert refused.status_code == 422 and refused.json()["code"] == "bad_field", fields
    huge = b'{"article": "' + b"A" * (10 << 20) + b'"}'
    refused = client.post(
        url, content=huge, headers={**as_user(tokens, "operator"), "Content-Type": "application/json"}
    )
    assert refused.status_code == 413 and refused.json()["code"] == "too_large"


def test_catalog_rows_are_held_to_the_lengths_and_characters_of_a_confirmation():
    from web.storage.orders_xlsx import catalog_row

    names = {"article": "ДетальАртикул", "serial": "Номер", "part_name": "Имя", "order_number": "Заказ"}
    names["station_unit"] = "Станция"
    good = {"article": "195-30-1285", "serial": "12", "part_name": "Фланец", "order_number": "2", "station_unit": "s"}
    assert catalog_row(good, names).article == "195-30-1285"
    for field, value in (
        ("article", "A" * 5000),
        ("part_name", "n" * 201),
        ("article", "195\x0730"),
        ("order_number", "1\u202e2"),
    ):
        with pytest.raises(ValueError, match=names[field]):
            catalog_row({**good, field: value}, names)


def test_two_people_confirming_one_scan_at_once_never_both_win(app_data, ocr_engine, rows):
    """Raced hundreds of times, on SQLite and on PostgreSQL: one confirmation is recorded, the other is told."""
    import httpx

    from web.storage import scans

    data_dir, tokens = app_data
    part = next(r for r in rows if r.serial)
    reading = {"status": "matched", "marking": f"{part.article} {part.serial}", "article": part.article}
    reading |= {"serial": part.serial, "confidence": 0.5, "candidates": []}

    async def made(n: int) -> tuple[list[int], str]:
        db = await Database.open(database_of(data_dir))
        ids = [(await scans.add_scan(db, f"race-{i:06d}-key", "none", "oleg", reading))[0].id for i in range(n)]
        await users.add_user(db, "petr", "telega-1905-x", "operator")  # a second operator
        token = await users.create_token(db, "petr")
        await db.close()
        return ids, token

    async def race(base: str, ids: list[int], second: str) -> list[list[int]]:
        people = [as_user(tokens, "operator"), {"Authorization": f"Bearer {second}"}]
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            outcomes = []
            for scan_id in ids:
                answers = await asyncio.gather(
                    *(client.post(f"/api/scans/{scan_id}/confirm", json={"duplicate": True}, headers=h) for h in people)
                )
                outcomes.append(sorted(a.status_code for a in answers))
            return outcomes

    ids, second = asyncio.run(made(200))
    with served(make_client(data_dir, ocr_engine, visual_memory=False, workers=2).app) as base:
        outcomes = asyncio.run(race(base, ids, second))
    assert all(o[0] == 200 and o[1] in (403, 409) for o in outcomes), [o for o in outcomes if o.count(200) != 1][:5]


def test_a_full_database_answers_507_to_every_write_and_loses_nothing(tmp_path, ocr_engine, rows, monkeypatch):
    """Every write the database refuses for want of space (SQLite's "database or disk is full") is a 507."""
    import sqlite3

    from starlette.testclient import TestClient

    from web.storage.database import SqliteSql

    data_dir = tmp_path / "data"
    data_dir.mkdir()

    async def seed():
        db = await Database.open(data_dir / "markscan.db")
        await db.replace_catalog(rows)
        await users.add_user(db, "oleg", "parovoz-1961", "operator")
        token = await users.create_token(db, "oleg")
        await db.close()
        return token

    token = asyncio.run(seed())
    bearer = {"Authorization": f"Bearer {token}"}
    app = make_client(data_dir, ocr_engine, database_url="", visual_memory=False).app
    with TestClient(app, raise_server_exceptions=False) as client:  # answered as a server answers them
        photo = {"photo": ("p.jpg", render_marking("1391-30-1583 1574", seed=71).jpeg, "image/jpeg")}
        scan = client.post("/api/scans", files=photo, data={"idempotency_key": "full-db-0001"}, headers=bearer).json()
        assert client.post(f"/api/scans/{scan['id']}/confirm", json={}, headers=bearer).status_code == 200
        written = SqliteSql.execute

        async def full(self, sql, params=()):
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                raise sqlite3.OperationalError("database or disk is full")
            return await written(self, sql, params)

        monkeypatch.setattr(SqliteSql, "execute", full)
        monkeypatch.setattr(SqliteSql, "insert", full)
        answers = {
            "undo": client.post(f"/api/scans/{scan['id']}/unconfirm", json={}, headers=bearer),
            "confirm": client.post(f"/api/scans/{scan['id']}/confirm", json={"serial": "1575"}, headers=bearer),
            "sign-in": sign_in(client, "oleg", "parovoz-1961"),
        }
        for what, answer in answers.items():
            assert answer.status_code == 507, (what, answer.text[:200])
            assert "x-content-type-options" in answer.headers
        assert "кончилось место" in answers["undo"].json()["error"]
        assert client.get("/healthz").json() == {"ok": False, "problem": "disk full"}
        monkeypatch.undo()  # room again: nothing was lost, everything works
        kept = client.get(f"/api/scans/{scan['id']}", headers=bearer).json()
        assert kept["status"] == "confirmed" and kept["confirmed"]["serial"] == "1574"
        assert client.post(f"/api/scans/{scan['id']}/unconfirm", json={}, headers=bearer).status_code == 200
