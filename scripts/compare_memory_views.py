"""Which view of a photo should the visual memory embed: the whole photo or the marking's region?

    python scripts/compare_memory_views.py ../shared/data/real-dev

For every labelled photo, the memory holds every other photo except those of
the same marking (as ``markscan evaluate --memory leave-one-out``). Counts how
often the nearest photo has the right article, and how often the vote
(``article_support``) backs the right article, a wrong one, or none. The crop
is a square around the labelled marking box, padded by 30 %: the best crop
the OCR's boxes could give, so an upper bound for the crop.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.embedder import DinoV2Embedder  # noqa: E402
from inference.memory import VisualMemory, article_support  # noqa: E402
from inference.photo import load_photo  # noqa: E402
from inference.scoring import parse_yolo  # noqa: E402


def marking_crop(image: np.ndarray, label: str) -> np.ndarray:
    h, w = image.shape[:2]
    boxes = parse_yolo(label)
    x0 = min(b[0] - b[2] / 2 for b in boxes) * w
    x1 = max(b[0] + b[2] / 2 for b in boxes) * w
    y0 = min(b[1] - b[3] / 2 for b in boxes) * h
    y1 = max(b[1] + b[3] / 2 for b in boxes) * h
    side = 1.3 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    top, left = int(max(0, cy - side / 2)), int(max(0, cx - side / 2))
    return image[top : int(cy + side / 2), left : int(cx + side / 2)]


def evaluate(vectors: np.ndarray, truths: list[str]) -> dict[str, int]:
    memory = VisualMemory(vectors.shape[1])
    for i, truth in enumerate(truths):
        article, _, serial = truth.partition(" ")
        memory.add(i, vectors[i], article, serial)
    counts = {"nearest right": 0, "vote right": 0, "vote wrong": 0, "no vote": 0}
    for i, truth in enumerate(truths):
        neighbours = memory.search(vectors[i], exclude=lambda e, a, s, i=i, t=truth: e == i or f"{a} {s}".strip() == t)
        article = truth.partition(" ")[0]
        counts["nearest right"] += bool(neighbours) and neighbours[0].article == article
        support = article_support(neighbours)
        if not support:
            counts["no vote"] += 1
        elif max(support, key=support.get) == article:
            counts["vote right"] += 1
        else:
            counts["vote wrong"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    with open(args.directory / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    embedder = DinoV2Embedder()
    photos, crops = [], []
    for label in labels:
        image = load_photo(args.directory / "images" / label["image_file"]).image
        photos.append(embedder.embed(image))
        crops.append(embedder.embed(marking_crop(image, label["label"])))
    truths = [label["label_text"] for label in labels]
    both = np.hstack([np.stack(photos), np.stack(crops)]) / np.sqrt(2)
    print(f"{len(labels)} photos; leave-one-marking-out")
    for name, vectors in (("whole photo", np.stack(photos)), ("marking crop", np.stack(crops)), ("both", both)):
        counts = evaluate(vectors, truths)
        print(f"  {name:<13} " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
