"""The hackathon's score of a reading: 0.05 IoU + 0.65 char + 0.30 exact."""

from __future__ import annotations

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
            boxes.append(tuple(float(p) for p in parts[1:]))
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
