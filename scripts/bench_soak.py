"""A long soak: does the server's memory stay flat under steady work?

    python scripts/bench_soak.py [--clients 20] [--minutes 30] [--photos ../shared/data/real-dev/images]

One real `markscan serve` process (two recognition threads, the visual memory on). Each
client, in a loop: posts a photo (the real photos when the folder is there, else rendered
demo markings), confirms every other scan as read (off the catalog when the orders table
lacks it), and now and then loads the history. Resident memory is sampled from /proc every
10 s; printed every 2 minutes, and at the end the growth over the last 20 minutes (the first
ones are warm-up: models, caches, the memory's index).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hostile_photos import Sampler  # noqa: E402
from bench_load import ROOT, prepare, start_replicas  # noqa: E402

sys.path.insert(0, str(ROOT))
from web.cli import seed_demo  # noqa: E402
from web.config import Config  # noqa: E402
from web.demo import demo_rows, render_marking  # noqa: E402


def photos_from(folder: Path) -> list[bytes]:
    if folder.is_dir():
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if found:
            return [p.read_bytes() for p in found]
    rows = [r for r in demo_rows() if r.serial][:40]
    return [render_marking(f"{r.article.split()[0]} {r.serial}", seed=i).jpeg for i, r in enumerate(rows)]


async def soak(url: str, token: str, photos: list[bytes], clients: int, seconds: float, rss: Sampler) -> Counter:
    statuses: Counter = Counter()
    stop = time.monotonic() + seconds

    async def one(number: int) -> None:
        i = number
        async with httpx.AsyncClient(base_url=url, timeout=300, headers={"Authorization": f"Bearer {token}"}) as http:
            while time.monotonic() < stop:
                data = {"idempotency_key": secrets.token_hex(12)}
                answer = await http.post("/api/scans", files={"photo": ("p.jpg", photos[i % len(photos)])}, data=data)
                statuses[f"photo {answer.status_code}"] += 1
                if answer.status_code == 503:
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                elif answer.status_code == 201 and i % 2 == 0:
                    fields = {"not_in_catalog": True, "duplicate": True}
                    confirmed = await http.post(f"/api/scans/{answer.json()['id']}/confirm", json=fields)
                    statuses[f"confirm {confirmed.status_code}"] += 1
                if i % 10 == 0:
                    statuses[f"history {(await http.get('/api/scans', params={'limit': 100})).status_code}"] += 1
                i += clients

    async def report() -> None:
        began = time.monotonic()
        while time.monotonic() + 120 < stop:
            await asyncio.sleep(120)
            print(f"{(time.monotonic() - began) / 60:4.0f} min: {rss.rss():.0f} MB", flush=True)

    await asyncio.gather(report(), *(one(k) for k in range(clients)))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "data" / "real-dev" / "images")
    args = parser.parse_args()
    photos = photos_from(args.photos)
    data_dir = Path(tempfile.mkdtemp())
    seed_demo(Config.from_env(data_dir=data_dir))
    token = asyncio.run(prepare(data_dir, role="admin"))
    (process,), (url,) = start_replicas(data_dir, 1, visual_memory=True)
    samples: list[tuple[float, float]] = []
    rss = Sampler(process.pid)
    began = time.monotonic()
    try:
        with rss:
            task_seconds = args.minutes * 60

            async def run() -> Counter:
                async def sample() -> None:
                    while time.monotonic() - began < task_seconds:
                        samples.append((time.monotonic() - began, rss.rss()))
                        await asyncio.sleep(10)

                sampling = asyncio.create_task(sample())
                statuses = await soak(url, token, photos, args.clients, task_seconds, rss)
                sampling.cancel()
                return statuses

            statuses = asyncio.run(run())
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    last = [mb for at, mb in samples if at >= task_seconds - 20 * 60] or [mb for _, mb in samples]
    growth = (last[-1] - last[0]) / last[0] * 100 if last else 0.0
    print(f"answers: {dict(sorted(statuses.items()))}")
    print(
        f"{len(photos)} photos, {args.clients} clients, {args.minutes:.0f} min: RSS {samples[0][1]:.0f} MB at start, "
        f"peak {rss.peak:.0f} MB, {last[0]:.0f} → {last[-1]:.0f} MB over the last "
        f"{min(20, args.minutes):.0f} min ({growth:+.1f} %)"
    )


if __name__ == "__main__":
    main()
