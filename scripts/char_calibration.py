"""How often the recognizer is right at each character probability, on one side of the dev photos.

    python scripts/char_calibration.py [PHOTOS_DIR] [ORDERS_XLSX] [--side tune|held-out]

Every photo of the side is read; each line that reads the label's article or serial
(a partial alignment with few edits) is aligned with it character by character,
and each character's probability is set against whether it is the label's. Prints
a table per probability band: characters, wrong, share right. The confidence
model trusts the weakest character that picks the row; this says what such a
character is worth. Minutes on 2 cores: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from inference.catalog import CatalogIndex
from inference.lookalikes import fold, skeleton
from inference.ocr import RapidOcrEngine
from inference.pipeline import Recognizer
from inference.scoring import held_out
from web.storage.orders_xlsx import read_orders_xlsx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0001)


def characters(recognizer: Recognizer, photo: Path, truth: str) -> list[tuple[str, str, float, bool]]:
    """(part: article or serial, character, probability, right) for the lines of ``photo`` that read ``truth``."""
    targets = list(zip(("article", "serial"), (skeleton(p) for p in truth.split(" ", 1)), strict=False))
    found = []
    for line in recognizer.recognize(photo).lines:
        text = fold(line.text)
        if line.parts or len(line.char_scores) != len(text):
            continue
        chars = [(ch, p) for ch, p in zip(text, line.char_scores, strict=True) if ch.isalnum()]
        read = "".join(ch for ch, _ in chars)
        for part, target in targets:
            aligned = fuzz.partial_ratio_alignment(target, read) if read else None
            if aligned is None or aligned.score < 75 or aligned.dest_end - aligned.dest_start < max(1, len(target) - 1):
                continue
            for op in Levenshtein.opcodes(target, read[aligned.dest_start : aligned.dest_end]):
                for k in range(op.dest_end - op.dest_start):
                    ch, p = chars[aligned.dest_start + op.dest_start + k]
                    found.append((part, ch, p, op.tag == "equal"))
            break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="?", type=Path, default=SHARED / "real-dev")
    parser.add_argument("orders", nargs="?", type=Path, default=SHARED / "orders.xlsx")
    parser.add_argument("--side", choices=("tune", "held-out"), default="tune")
    args = parser.parse_args()
    recognizer = Recognizer(RapidOcrEngine(), CatalogIndex(read_orders_xlsx(args.orders).rows))
    with open(args.photos / "labels.csv", encoding="utf-8") as f:
        labels = [row for row in csv.DictReader(f) if held_out(row["label_text"]) == (args.side == "held-out")]
    found = []
    for label in labels:
        found += characters(recognizer, args.photos / "images" / label["image_file"], label["label_text"].strip())
    print(f"{len(labels)} photos ({args.side} side), {len(found)} characters")
    print("| probability | all: characters / wrong / right | serial digits: characters / wrong / right |")
    print("| --- | --- | --- |")
    for low, high in zip(BANDS, BANDS[1:], strict=False):
        cells = []
        for chosen in (found, [c for c in found if c[0] == "serial" and c[1].isdigit()]):
            band = [right for _, _, p, right in chosen if low <= p < high]
            wrong = band.count(False)
            cells.append(f"{len(band)} / {wrong} / {1 - wrong / len(band):.3f}" if band else "")
        print(f"| {low:.3f}–{min(high, 1.0):.3f} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
