"""The score of a reading: 0.05 IoU + 0.65 char + 0.30 exact."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from Levenshtein import ratio

from inference.lookalikes import fold

YoloBox = tuple[float, float, float, float]  # x-centre, y-centre, width, height in 0..1
_GRID = 512


def parse_yolo(label: str) -> list[YoloBox]:
    """``"0 xc yc w h"`` lines (class first) into boxes; blank lines ignored."""
    boxes = []
    for line in label.splitlines():
        parts = line.split()
        if len(parts) == 5:
            x, y, w, h = (float(p) for p in parts[1:])
            boxes.append((x, y, w, h))
    return boxes


def format_yolo(boxes: Sequence[YoloBox]) -> str:
    return "\n".join(f"0 {xc:.6f} {yc:.6f} {w:.6f} {h:.6f}" for xc, yc, w, h in boxes)


def _mask(boxes: Sequence[YoloBox]) -> np.ndarray:
    mask = np.zeros((_GRID, _GRID), dtype=bool)
    for xc, yc, w, h in boxes:
        x0, x1 = np.clip([(xc - w / 2) * _GRID, (xc + w / 2) * _GRID], 0, _GRID).round().astype(int)
        y0, y1 = np.clip([(yc - h / 2) * _GRID, (yc + h / 2) * _GRID], 0, _GRID).round().astype(int)
        mask[y0:y1, x0:x1] = True
    return mask


def union_iou(predicted: Sequence[YoloBox], truth: Sequence[YoloBox]) -> float:
    """IoU of the union of the predicted boxes against the union of the true ones."""
    p, t = _mask(predicted), _mask(truth)
    union = np.logical_or(p, t).sum()
    return float(np.logical_and(p, t).sum() / union) if union else 0.0


@dataclass(frozen=True, slots=True)
class PhotoScore:
    iou: float
    char: float
    exact: float
    exact_folded: float

    @property
    def score(self) -> float:
        return 0.05 * self.iou + 0.65 * self.char + 0.30 * self.exact


def score_reading(truth_text: str, truth_boxes: Sequence[YoloBox], text: str, boxes: Sequence[YoloBox]) -> PhotoScore:
    """Score one photo as the organizers did; an empty answer scores 0."""
    if not text:
        return PhotoScore(0.0, 0.0, 0.0, 0.0)
    return PhotoScore(
        iou=union_iou(boxes, truth_boxes),
        char=ratio(f'"{truth_text}"', f'"{text}"'),
        exact=float(truth_text == text),
        exact_folded=float(fold(truth_text) == fold(text)),
    )


def held_out(marking: str) -> bool:
    """The dev photos kept back from every fit and tuning, chosen by marking (about a third).

    All photos of one marking fall on one side, so a figure on the held-out side
    says how the code does on markings it was never tuned on.
    """
    return zlib.crc32(marking.strip().encode("utf-8")) % 3 == 0


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    predicted: float  # mean probability in the bin
    observed: float  # share of the bin's readings that were right


def reliability(probabilities: Sequence[float], right: Sequence[bool], bins: int = 10) -> list[ReliabilityBin]:
    """Predicted against observed, in equal-width probability bins (empty bins left out)."""
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (p, r) for p, r in zip(probabilities, right, strict=True) if low <= p < high or (b == bins - 1 and p == 1)
        ]
        if inside:
            predicted = sum(p for p, _ in inside) / len(inside)
            observed = sum(r for _, r in inside) / len(inside)
            table.append(ReliabilityBin(low, high, len(inside), predicted, observed))
    return table


def expected_calibration_error(probabilities: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """The gap between predicted and observed, averaged over bins weighted by their counts."""
    n = len(probabilities)
    if not n:
        return 0.0
    return sum(b.count * abs(b.predicted - b.observed) for b in reliability(probabilities, right, bins)) / n


def family_of(marking: str) -> str:
    """A marking's part family: its article up to the last group (``АМ116.05.02``, ``195-30-12``, ``1391-30-01``).

    Parts of one family share their block's layout and engraving; holding whole
    families out of a fit says how the fit does on families it never saw.
    """
    words = marking.split()
    article = words[0] if words else ""
    if "." in article:
        head = re.sub(r"(\.[^\d.]+)+$", "", article)  # a letter suffix group (.LP)
        head = re.sub(r"-\d+$", "", head)  # a variant (-03)
        return head.rsplit(".", 1)[0]
    head, _, last = article.rpartition("-")
    return f"{head}-{last[:2]}" if head else article[:-2]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` (numpy's linear interpolation; 0.0 for none): every latency
    figure markscan reports uses it."""
    return float(np.percentile(values, q)) if len(values) else 0.0
