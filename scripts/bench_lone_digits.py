"""How often the search on the block's empty rows reads a digit where there is none to find.

    python scripts/bench_lone_digits.py [PHOTOS_DIR] [ORDERS_XLSX] [--side tune|held-out]

The search runs only where a reading has an article and no serial
(``inference.lone_digits``). To see what it would invent on a marking without a
serial, it is run here on the photos of one side whose serial *was* read on a
line of its own: their block's empty rows hold no serial, so each digit the
search returns there is a false find (or a piece of the serial outside its line's
box). Prints each find and the count. Minutes on 2 cores: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from inference.catalog import CatalogIndex
from inference.ocr import RapidOcrEngine
from inference.pipeline import Recognizer, article_line_of
from inference.scoring import held_out
from web.storage.orders_xlsx import read_orders_xlsx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


class KeepingViews(Recognizer):
    """A recognizer that keeps the views of the last photo it read."""

    def _read_variant(self, variant, timings):
        self.views[variant.name] = variant
        return super()._read_variant(variant, timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="?", type=Path, default=SHARED / "real-dev")
    parser.add_argument("orders", nargs="?", type=Path, default=SHARED / "orders.xlsx")
    parser.add_argument("--side", choices=("tune", "held-out"), default="tune")
    args = parser.parse_args()
    recognizer = KeepingViews(RapidOcrEngine(), CatalogIndex(read_orders_xlsx(args.orders).rows))
    with open(args.photos / "labels.csv", encoding="utf-8") as f:
        labels = [row for row in csv.DictReader(f) if held_out(row["label_text"]) == (args.side == "held-out")]
    searched = finds = 0
    for label in labels:
        recognizer.views = {}
        result = recognizer.recognize(args.photos / "images" / label["image_file"])
        best, article_line = result.best, article_line_of(result.candidates)
        serial_line = best.serial_line if best is not None else None
        if article_line is None or serial_line is None or serial_line.unboxed:
            continue
        found = recognizer._read_lone_digits(article_line, result.lines, recognizer.views, {})
        searched += 1
        if found:
            finds += 1
            print(f"{label['image_file']}: serial {best.serial!r} on its line; the empty rows read {found[0].text!r}")
    print(f"{args.side} side: {searched} photos whose serial was read on a line of its own; a digit found on {finds}")


if __name__ == "__main__":
    main()
