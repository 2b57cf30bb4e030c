"""The whole-set evaluation: every dev photo read, on each side of the held-out split.

    python scripts/bench_recognition.py [PHOTOS_DIR] [ORDERS_XLSX]

Runs ``markscan evaluate --json`` for the tune side, the held-out side and all
photos (one after another, so each has both cores) and prints a Markdown table
of the figures the README reports. Minutes on 2 cores: a benchmark, not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COLUMNS = (
    "n",
    "score",
    "exact",
    "sure_share",
    "wrong_sure",
    "ece",
    "parts_right",
    "parts_wrong_sure",
    "p50_s",
    "p95_s",
)


def evaluate(photos: Path, orders: Path, side: str) -> dict:
    command = [sys.executable, "-m", "web.cli", "evaluate", str(photos), "--catalog", str(orders), "--json"]
    done = subprocess.run([*command, "--side", side], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


def main() -> None:
    photos = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "real-dev"
    orders = Path(sys.argv[2]) if len(sys.argv) > 2 else SHARED / "orders.xlsx"
    print("| side | " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * (len(COLUMNS) + 1))
    for side in ("tune", "held-out", "all"):
        figures = evaluate(photos, orders, side)
        print(f"| {side} | " + " | ".join(str(figures.get(c, "")) for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
