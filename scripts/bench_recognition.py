"""The whole-set evaluation: family-out cross-validation first, then the shipped models by marking.

    python scripts/bench_recognition.py [PHOTOS_DIR] [ORDERS_XLSX]

Runs ``markscan evaluate --split family --json`` (every part family read by
models fitted without it: the figure that predicts new markings) and then
``markscan evaluate --json`` with the shipped models on the held-out side, the
tune side and all photos of the by-marking split (the shipped models were
fitted on every photo, so these say what a photo the models saw reads like),
one after another so each has both cores, and prints a Markdown table of the
figures the README reports. Minutes on 2 cores: a benchmark, not a test.
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
    "choice3_of_misses",
    "lone_right",
    "p50_s",
    "p95_s",
)


def evaluate(photos: Path, orders: Path, *options: str) -> dict:
    command = [sys.executable, "-m", "web.cli", "evaluate", str(photos), "--catalog", str(orders), "--json", *options]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


def main() -> None:
    photos = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "real-dev"
    orders = Path(sys.argv[2]) if len(sys.argv) > 2 else SHARED / "orders.xlsx"
    print("| split | " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * (len(COLUMNS) + 1))
    runs = [("family-out", ("--split", "family"))]
    runs += [(f"shipped, {side}", ("--side", side)) for side in ("held-out", "tune", "all")]
    for name, options in runs:
        figures = evaluate(photos, orders, *options)
        print(f"| {name} | " + " | ".join(str(figures.get(c, "")) for c in COLUMNS) + " |", flush=True)
        for family, row in figures.get("families", {}).items():
            print(f"|   {family} | " + " | ".join(str(row.get(c, "")) for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
