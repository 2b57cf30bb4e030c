"""Benchmark: catalog lookup of an OCR reading, on the real table and a synthetic 1,000,000-row one.

    python scripts/bench_lookup.py [--orders ../shared/data/orders.xlsx] [--rows 1000000]

Readings are catalog articles damaged the way the OCR damages them (Latin
look-alikes, dropped dots, confused characters, a serial on the same line).
Prints p50/p95/max in milliseconds for each table. Not a test: timings vary.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.catalog import CatalogIndex, CatalogRow  # noqa: E402
from inference.scoring import percentile  # noqa: E402
from web.demo import demo_article, ocr_like  # noqa: E402


def synthetic_rows(n_rows: int, seed: int = 1) -> list[CatalogRow]:
    rng = random.Random(seed)
    rows: list[CatalogRow] = []
    while len(rows) < n_rows:
        article = demo_article(rng)
        order = str(rng.randint(201010000, 201099999))
        first = rng.randint(1, 3000)
        for serial in range(first, first + rng.randint(1, 20)):
            rows.append(CatalogRow(article, str(serial), "ДетальЦБ-1", order, "АЭС_блок 1"))
    return rows[:n_rows]


def bench(name: str, rows: list[CatalogRow], queries: int, seed: int = 2) -> None:
    t = time.perf_counter()
    index = CatalogIndex(rows)
    build = time.perf_counter() - t
    rng = random.Random(seed)
    sample = rng.sample(rows, queries)
    times = []
    for row in sample:
        reading = ocr_like(row.article.split()[0], rng, row.serial if rng.random() < 0.3 else "")
        t = time.perf_counter()
        index.lookup(reading)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = percentile(times, 95)
    print(
        f"{name}: {len(rows):,} rows, {len(index):,} articles, index built in {build:.1f} s; "
        f"lookup p50 {percentile(times, 50):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default=str(Path(__file__).resolve().parents[2] / "shared/data/orders.xlsx"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    if Path(args.orders).exists():
        from web.storage.orders_xlsx import read_orders_xlsx

        bench("orders table", read_orders_xlsx(args.orders).rows, args.queries)
    else:
        print(f"{args.orders} not found: skipping the real table")
    bench("synthetic", synthetic_rows(args.rows), args.queries)


if __name__ == "__main__":
    main()
