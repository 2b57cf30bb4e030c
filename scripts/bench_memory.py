"""Benchmark: visual-memory search, exact against approximate (faiss HNSW), up to 1,000,000 entries.

    python scripts/bench_memory.py [--sizes 1000,10000,50000,100000,1000000] [--queries 200]

Entries are synthetic 384-d unit vectors shaped like DINOv2 embeddings of
parts: a strong common direction (photos of metal parts all look alike to
the ViT: cosine 0.8-0.98), one cluster per part, about 20 photos a part.
For each size: the time to build the memory, search p50/p95 (10 neighbours),
recall@10 of the approximate index against exact search, the share of the
neighbours that are photos of the query's part (what the vote uses), and the resident
memory the entries take. It also stores ``--sqlite`` entries in SQLite and
times reading them back, as the server does at start-up.
Not a test: timings vary with the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.memory import ANN_FROM, VisualMemory  # noqa: E402
from inference.scoring import percentile  # noqa: E402

DIMENSION = 384
PHOTOS_PER_PART = 20


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, part of each, a common direction) for n photos of n/20 parts."""
    rng = np.random.default_rng(seed)
    common = unit_rows(rng.normal(size=(1, DIMENSION)).astype(np.float32))
    parts = max(1, n // PHOTOS_PER_PART)
    centres = unit_rows(3.0 * common + 0.9 * unit_rows(rng.normal(size=(parts, DIMENSION)).astype(np.float32)))
    part = rng.integers(0, parts, n)
    vectors = np.empty((n, DIMENSION), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices: bounded scratch memory
        stop = min(n, start + 100_000)
        noise = unit_rows(rng.normal(size=(stop - start, DIMENSION)).astype(np.float32))
        vectors[start:stop] = unit_rows(centres[part[start:stop]] + 0.35 * noise)
    return vectors, part, centres


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def timed_searches(memory: VisualMemory, queries: np.ndarray) -> tuple[list[list[int]], list[float]]:
    """The neighbours' entry ids for each query, and the time each search took."""
    found, times = [], []
    for q in queries:
        t = time.perf_counter()
        hits = memory.search(q)
        times.append(time.perf_counter() - t)
        found.append([h.entry_id for h in hits])
    return found, times


def build(vectors: np.ndarray, ann_from: int) -> tuple[VisualMemory, float, float]:
    before = rss_mb()
    t = time.perf_counter()
    memory = VisualMemory(DIMENSION, ann_from=ann_from)
    ids = list(range(len(vectors)))
    memory.add_many(ids, vectors, [(f"A-{i % 997}", str(i)) for i in ids])
    return memory, time.perf_counter() - t, rss_mb() - before


def ms(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def sqlite_round_trip(vectors: np.ndarray) -> None:
    """Write every entry to a SQLite file and time reading them back into a memory."""
    from web import visual_memory
    from web.storage import memory as memory_entries
    from web.storage.database import Database

    class Named:
        name, dimension = "bench", DIMENSION

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            db = await Database.open(Path(folder) / "bench.db")
            entries = ((vectors[i], f"A-{i % 997}", str(i), "") for i in range(len(vectors)))
            async with db.transaction() as tx:
                await memory_entries.save_seeded_entries(tx, entries, "bench", "bench")
            size_mb = (Path(folder) / "bench.db").stat().st_size / 2**20
            t = time.perf_counter()
            memory = await visual_memory.load(db, Named())
            print(
                f"  SQLite: {len(memory):,} entries, file {size_mb:,.0f} MB, "
                f"read back into the memory in {time.perf_counter() - t:.1f} s"
                f" ({'approximate' if memory.approximate else 'exact'} index)"
            )
            await db.close()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sqlite", type=int, default=100_000, help="entries for the SQLite round trip (0: none)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'entries':>10} {'index':>12} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9} "
        f"{'same part':>9} {'MB':>6}"
    )
    for n in sizes:
        vectors, part, centres = synthetic(n)
        rng = np.random.default_rng(1)
        chosen = part[rng.integers(0, n, args.queries)]
        noise = unit_rows(rng.normal(size=(args.queries, DIMENSION)).astype(np.float32))
        queries = unit_rows(centres[chosen] + 0.35 * noise)  # new photos of known parts
        results = {}
        # The approximate index is built as the server builds it (from ANN_FROM entries on),
        # and below that from all n, to find the crossover.
        for name, ann_from in (("exact", n + 1), ("approximate", min(n, ANN_FROM))):
            memory, seconds, mb = build(vectors, ann_from)
            found, times = timed_searches(memory, queries)
            results[name] = found
            recall = np.mean(
                [len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(found, results["exact"], strict=True)]
            )
            same_part = np.mean([np.mean(part[ids] == p) for ids, p in zip(found, chosen, strict=True)])
            print(
                f"{n:>10,} {name:>12} {seconds:>8.1f} {ms(times, 50):>7.2f} {ms(times, 95):>7.2f} "
                f"{recall:>9.3f} {same_part:>9.3f} {mb:>6.0f}"
            )
            del memory
    if args.sqlite:
        sqlite_round_trip(synthetic(args.sqlite)[0])


if __name__ == "__main__":
    main()
