"""Sustained load: photos per second and latency with 20 concurrent clients, against 1, 2, 3 replicas.

    python scripts/bench_load.py [--replicas 1,2,3] [--clients 20] [--seconds 60] [--database-url postgresql://…]

Each replica is a real `markscan serve` process; all share one data folder (the embedded
SQLite file in WAL mode and the photo folder), or with ``--database-url`` one PostgreSQL
database, so a scan made on one is seen by all. The
clients post rendered photos of demo markings round-robin over the replicas, each with a fresh
idempotency key, and retry a 503 after its Retry-After. Recognition CPU is the limit: on a
machine with C cores, replicas beyond C/2 (each runs two recognition threads) add nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.scoring import percentile  # noqa: E402
from web.cli import seed_demo  # noqa: E402
from web.config import Config  # noqa: E402
from web.demo import demo_rows, render_marking  # noqa: E402
from web.storage import users  # noqa: E402
from web.storage.database import Database  # noqa: E402

PASSWORD = "nagruzka-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replicas(data_dir: Path, n: int, visual_memory: bool = False) -> tuple[list[subprocess.Popen], list[str]]:
    env = {**os.environ, "MARKSCAN_DATA": str(data_dir), "MARKSCAN_WORKERS": "2"}
    env["MARKSCAN_VISUAL_MEMORY"] = "1" if visual_memory else "0"
    # MARKSCAN_DATABASE_URL, when set, reaches the replicas through the environment.
    processes, urls = [], []
    for _ in range(n):
        port = free_port()
        command = [sys.executable, "-m", "web.cli", "serve", "--port", str(port)]
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180
    for url in urls:
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{url} did not start"
            time.sleep(0.5)
    return processes, urls


async def load(urls: list[str], token: str, photos: list[bytes], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    busy = 0
    stop = time.monotonic() + seconds

    async def client(number: int) -> None:
        nonlocal busy
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=120, headers=headers) as http:
            i = number
            while time.monotonic() < stop:
                url, photo = urls[i % len(urls)], photos[i % len(photos)]
                key = secrets.token_hex(12)
                started = time.monotonic()
                while True:
                    answer = await http.post(
                        url + "/api/scans",
                        files={"photo": ("p.jpg", photo, "image/jpeg")},
                        data={"idempotency_key": key},
                    )
                    if answer.status_code != 503:
                        break
                    busy += 1
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                answer.raise_for_status()
                latencies.append(time.monotonic() - started)
                i += clients

    began = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "photos": len(latencies),
        "per_s": round(len(latencies) / elapsed, 2),
        "p50_s": round(percentile(latencies, 50), 2),
        "p95_s": round(percentile(latencies, 95), 2),
        "busy_503": busy,
    }


async def prepare(data_dir: Path, role: str = "operator") -> str:
    """A user and an API token in a data folder."""
    db = await Database.open(Config.from_env(data_dir=data_dir).database)
    try:
        await users.add_user(db, "bench", PASSWORD, role)
        return await users.create_token(db, "bench")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default="", help="PostgreSQL instead of the shared SQLite file")
    args = parser.parse_args()
    if args.database_url:
        os.environ["MARKSCAN_DATABASE_URL"] = args.database_url
    rows = [r for r in demo_rows() if r.serial][:40]
    photos = [render_marking(f"{r.article.split()[0]} {r.serial}", seed=i).jpeg for i, r in enumerate(rows)]
    print(f"| replicas | photos in {args.seconds:.0f} s | photos/s | p50 | p95 | 503s retried |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in (int(x) for x in args.replicas.split(",")):
        data_dir = Path(tempfile.mkdtemp())
        seed_demo(Config.from_env(data_dir=data_dir))  # the demo catalog
        token = asyncio.run(prepare(data_dir))
        processes, urls = start_replicas(data_dir, n)
        try:
            figures = asyncio.run(load(urls, token, photos, args.clients, args.seconds))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
        print(
            f"| {n} | {figures['photos']} | {figures['per_s']} | {figures['p50_s']} s | {figures['p95_s']} s "
            f"| {figures['busy_503']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
