"""Memory under hostile photos: small files that decode to gigabytes, sent by many clients at once.

    python scripts/bench_hostile_photos.py [--clients 20] [--seconds 60]

One real `markscan serve` process (two recognition threads). Its resident memory is sampled
from /proc every 50 ms: after a warm-up with an ordinary photo (the baseline), while four
7000 × 7000 32-bit TIFFs are posted at once, and while ``--clients`` clients post, for
``--seconds``, a mix of such files (the TIFF, a 6000 × 6000 16-bit PNG, a 16000 × 11000 lossless
WebP) and ordinary photos, after as long with ordinary photos only (what recognition itself
takes). Prints the answers by status and the peak memory over the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import ROOT, prepare, start_replicas  # noqa: E402

sys.path.insert(0, str(ROOT))
from web.cli import seed_demo  # noqa: E402
from web.config import Config  # noqa: E402
from web.demo import demo_rows, render_marking  # noqa: E402


def hostile_files() -> dict[str, bytes]:
    Image.MAX_IMAGE_PIXELS = None  # only to make them
    files = {}
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((7000, 7000), dtype=np.int32), mode="I").save(buffer, "TIFF", compression="tiff_deflate")
    files["tiff-32bit-7000"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((6000, 6000), dtype=np.uint16)).save(buffer, "PNG")
    files["png-16bit-6000"] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.new("RGB", (16000, 11000)).save(buffer, "WEBP", lossless=True)
    files["webp-lossless-16000"] = buffer.getvalue()
    return files


class Sampler:
    """The peak resident memory of a process, in MB, sampled every 50 ms while running."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread: threading.Thread | None = None

    def rss(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self.peak = self.rss()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


async def post_all(url: str, token: str, photos: list[bytes]) -> Counter:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=300, headers=headers) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    url + "/api/scans", files={"photo": ("p", p)}, data={"idempotency_key": secrets.token_hex(12)}
                )
                for p in photos
            )
        )
    return Counter(a.status_code for a in answers)


async def clients(url: str, token: str, photos: list[bytes], n: int, seconds: float) -> Counter:
    statuses: Counter = Counter()
    stop = time.monotonic() + seconds

    async def one(number: int) -> None:
        i = number
        async with httpx.AsyncClient(timeout=300, headers={"Authorization": f"Bearer {token}"}) as http:
            while time.monotonic() < stop:
                data = {"idempotency_key": secrets.token_hex(12)}
                answer = await http.post(url + "/api/scans", files={"photo": ("p", photos[i % len(photos)])}, data=data)
                statuses[answer.status_code] += 1
                if answer.status_code == 503:
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                i += 1

    await asyncio.gather(*(one(k) for k in range(n)))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    files = hostile_files()
    rows = [r for r in demo_rows() if r.serial][:4]
    ordinary = [render_marking(f"{r.article.split()[0]} {r.serial}", seed=i).jpeg for i, r in enumerate(rows)]
    print("files:", {name: f"{len(data) // 1024} KB" for name, data in files.items()})
    data_dir = Path(tempfile.mkdtemp())
    seed_demo(Config.from_env(data_dir=data_dir))
    token = asyncio.run(prepare(data_dir))
    (process,), (url,) = start_replicas(data_dir, 1)
    try:
        asyncio.run(post_all(url, token, ordinary[:2]))  # warm: the models loaded and run once
        mix = [*files.values(), *ordinary]
        sampler = Sampler(process.pid)
        baseline = sampler.rss()
        with sampler:
            answers = asyncio.run(post_all(url, token, [files["tiff-32bit-7000"]] * 4))
        print(
            f"baseline {baseline:.0f} MB; four TIFFs at once: {dict(answers)}, peak +{sampler.peak - baseline:.0f} MB"
        )
        for what, photos in (("ordinary photos only", ordinary), ("the hostile files and ordinary photos", mix)):
            with sampler:
                answers = asyncio.run(clients(url, token, photos, args.clients, args.seconds))
            print(
                f"{args.clients} clients for {args.seconds:.0f} s, {what}: {dict(sorted(answers.items()))}, "
                f"peak +{sampler.peak - baseline:.0f} MB ({sampler.peak:.0f} MB in all)"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
