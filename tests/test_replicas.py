"""Two `markscan serve` replicas on one PostgreSQL and one SeaweedFS bucket, with a 1C peer behind both."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import run_in_thread
from onec_peer import Peer, RunningPeer

from web.demo import render_marking
from web.onec.config import DEFAULT_IDENTIFICATION_FIELDS, DEFAULT_ORDER_FIELDS
from web.storage import users
from web.storage.database import Database

ROOT = Path(__file__).resolve().parents[1]
IDENTIFICATIONS = "Document_ИдентификацияДетали"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def peer():
    fields = {
        "InformationRegister_ДеталиПоПлану": list(DEFAULT_ORDER_FIELDS.values()),
        IDENTIFICATIONS: list(DEFAULT_IDENTIFICATION_FIELDS.values()),
    }
    with RunningPeer(Peer(fields=fields)) as running:
        yield running


@pytest.fixture(scope="module")
def replicas(postgres, seaweed, peer, rows, tmp_path_factory):
    """Two replicas with the same settings (and each its own data folder: nothing shared on disk)."""
    url = postgres.new_database()

    async def seed() -> str:
        db = await Database.open(url)
        await db.replace_catalog(rows)
        await users.add_user(db, "dock", "replika-2026", "operator")
        token = await users.create_token(db, "dock")
        await db.close()
        return token

    token = run_in_thread(seed())
    env = {
        **os.environ,
        "MARKSCAN_DATABASE_URL": url,
        "MARKSCAN_PHOTO_STORE": "s3://markscan-replicas/photos",
        "MARKSCAN_S3_ENDPOINT": seaweed,
        "MARKSCAN_VISUAL_MEMORY": "0",
        "MARKSCAN_WORKERS": "1",
        "MARKSCAN_ONEC_URL": peer.url,
        "MARKSCAN_ONEC_USER": peer.user,
        "MARKSCAN_ONEC_PASSWORD": peer.password,
        "MARKSCAN_PUBLIC_URL": "https://markscan.plant.local",
    }
    running = []
    for _ in range(2):
        data_dir, port = tmp_path_factory.mktemp("replica"), free_port()
        command = [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--data", str(data_dir)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        running.append((process, f"http://127.0.0.1:{port}", data_dir))
    deadline = time.monotonic() + 120
    for process, base, _ in running:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, f"{base} did not start"
                time.sleep(0.3)
    yield running, {"Authorization": f"Bearer {token}"}
    for process, _, _ in running:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def upload(base: str, headers: dict, key: str, seed: int) -> httpx.Response:
    photo = render_marking("1391-30-1583 1574", seed=seed).jpeg
    files = {"photo": ("p.jpg", photo, "image/jpeg")}
    return httpx.post(base + "/api/scans", files=files, data={"idempotency_key": key}, headers=headers, timeout=120)


def all_scans(base: str, headers: dict) -> list[dict]:
    return httpx.get(base + "/api/scans", params={"limit": 500}, headers=headers, timeout=30).json()["scans"]


def test_two_replicas_serve_the_same_data_and_lose_nothing_when_one_dies(replicas, peer):
    (first, a, a_dir), (second, b, b_dir) = replicas[0]
    headers = replicas[1]
    made = []
    for i in range(8):  # across both replicas
        base = (a, b)[i % 2]
        answer = upload(base, headers, f"replica-key-{i:04d}", 300 + i)
        assert answer.status_code == 201, answer.text
        made.append((base, answer.json()))
    assert (
        {s["id"] for s in all_scans(a, headers)}
        == {s["id"] for s in all_scans(b, headers)}
        == {scan["id"] for _, scan in made}
    )
    for base, scan in made:  # each photo served by the replica that did not receive it
        other = b if base == a else a
        served = httpx.get(f"{other}/scans/{scan['id']}/photo.jpg", headers=headers, timeout=30)
        assert served.status_code == 200 and served.content[:2] == b"\xff\xd8"
    for folder in (a_dir, b_dir):  # the photos are in the bucket, none on either replica's disk
        assert not any(p.is_file() for p in (folder / "photos").rglob("*"))

    # 8 confirmations, half on each replica; both replicas' 1C senders run.
    for i, (_, scan) in enumerate(made):
        base = (a, b)[i % 2]
        confirmed = httpx.post(
            f"{base}/api/scans/{scan['id']}/confirm",
            json={"not_in_catalog": True, "duplicate": True},
            headers=headers,
            timeout=60,
        )
        assert confirmed.status_code == 200, confirmed.text
    deadline = time.monotonic() + 90
    while len(peer.sets.get(IDENTIFICATIONS, [])) < 8 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(6)  # a sender pass more on each replica: nothing may be sent twice
    keys = [r["КлючИдентификации"] for r in peer.sets.get(IDENTIFICATIONS, [])]
    assert len(keys) == 8 and len(set(keys)) == 8

    # Four more photos sent to the first replica, which is killed with -9 meanwhile;
    # the client retries the same idempotency keys on the second.
    late = [f"replica-late-{i:04d}" for i in range(4)]
    sender = threading.Thread(target=lambda: [_try(upload, a, headers, key, 400 + n) for n, key in enumerate(late)])
    sender.start()
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    sender.join(timeout=180)
    for n, key in enumerate(late):
        answer = upload(b, headers, key, 400 + n)
        assert answer.status_code in (200, 201), answer.text
    assert len(all_scans(b, headers)) == 12


def _try(work, *args):
    try:
        return work(*args)
    except httpx.HTTPError:
        return None  # the replica died under the request
