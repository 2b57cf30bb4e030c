"""Views of one photo for the OCR to try: turns, contrast, unwrapped circles.

A variant is an image plus a function mapping its pixel coordinates back to
the working photo, so a box found on any view lands on the photo itself.
The pipeline tries variants in ``DEFAULT_PLAN`` order and stops early.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from inference.lines import View

PointMap = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    image: np.ndarray
    to_photo: PointMap  # Nx2 variant pixels -> Nx2 working-photo pixels


def identity(image: np.ndarray) -> Variant:
    return Variant(View.UPRIGHT, image, lambda p: p)


def turned(image: np.ndarray, quarter_turns: int) -> Variant:
    """The photo turned counter-clockwise by ``quarter_turns`` * 90 degrees."""
    k = quarter_turns % 4
    h, w = image.shape[:2]
    rotated = np.ascontiguousarray(np.rot90(image, k))

    def to_photo(p: np.ndarray) -> np.ndarray:
        x, y = p[:, 0], p[:, 1]
        if k == 1:  # new (x, y) came from old (w - 1 - y, x)
            return np.stack([w - 1 - y, x], axis=1)
        if k == 2:
            return np.stack([w - 1 - x, h - 1 - y], axis=1)
        if k == 3:
            return np.stack([y, h - 1 - x], axis=1)
        return p

    name = {1: View.TURNED_90, 3: View.TURNED_270}.get(k, f"turned {90 * k}")
    return Variant(name, rotated, to_photo)


def contrast(image: np.ndarray) -> Variant:
    """Local contrast (CLAHE) on lightness: faint engraving, uneven light, glare."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    light = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return Variant(View.CONTRAST, cv2.cvtColor(light, cv2.COLOR_GRAY2BGR), lambda p: p)


def fit_ring(
    points: np.ndarray, heights: np.ndarray, min_pieces: int = 4, tries: int = 300
) -> tuple[float, float, float] | None:
    """A circle through the centres of text fragments, if enough of them lie on one.

    Text stamped round a round face is detected in pieces; their centres sit
    on a circle. RANSAC over triples keeps the circle with the most pieces
    within half a text height, spread over at least a sixth of the turn.
    """
    n = len(points)
    if n < min_pieces:
        return None
    rng = np.random.default_rng(0)
    tol = 0.5 * float(np.median(heights))
    best: tuple[int, tuple[float, float, float]] | None = None
    for _ in range(tries):
        a, b, c = points[rng.choice(n, 3, replace=False)]
        circle = _circle_through(a, b, c)
        if circle is None:
            continue
        cx, cy, r = circle
        if not 2.5 * tol < r < 40 * tol:
            continue
        distances = np.abs(np.hypot(points[:, 0] - cx, points[:, 1] - cy) - r)
        inliers = points[distances < tol]
        if len(inliers) < min_pieces:
            continue
        angles = np.sort(np.arctan2(inliers[:, 1] - cy, inliers[:, 0] - cx))
        spread = 2 * np.pi - np.max(np.diff(np.concatenate([angles, angles[:1] + 2 * np.pi])))
        if spread < np.pi / 3:
            continue
        if best is None or len(inliers) > best[0]:
            best = (len(inliers), (float(cx), float(cy), float(r)))
    return best[1] if best else None


def _circle_through(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[float, float, float] | None:
    d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    if abs(d) < 1e-6:
        return None
    sa, sb, sc = a @ a, b @ b, c @ c
    cx = (sa * (b[1] - c[1]) + sb * (c[1] - a[1]) + sc * (a[1] - b[1])) / d
    cy = (sa * (c[0] - b[0]) + sb * (a[0] - c[0]) + sc * (b[0] - a[0])) / d
    return cx, cy, float(np.hypot(a[0] - cx, a[1] - cy))


def unwrapped(image: np.ndarray, ring: tuple[float, float, float], band: float) -> Variant:
    """Text running round a ring of radius ``ring[2]``, unrolled into a straight strip.

    ``warpPolar`` maps angle to rows and radius to columns; the columns of the
    band around the ring are kept and turned a quarter so the rim runs
    left to right. The strip is doubled so a marking cut by the seam at
    angle 0 is whole in the middle.
    """
    cx, cy, r = ring
    outer = r + band
    inner = max(0.0, r - band)
    height = max(8, int(2 * np.pi * r))  # about one pixel of strip per pixel of rim
    width = max(8, int(outer))
    polar = cv2.warpPolar(image, (width, height), (cx, cy), outer, cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR)
    first = int(inner / outer * width)
    ring_columns = polar[:, first:]
    doubled = np.vstack([ring_columns, ring_columns[: height // 2]])
    strip = np.ascontiguousarray(np.rot90(doubled, 1))  # outer edge at the top
    columns = ring_columns.shape[1]

    def to_photo(p: np.ndarray) -> np.ndarray:
        # strip (x, y) <- doubled (row = x, col = columns - 1 - y)
        row, col = p[:, 0], columns - 1 - p[:, 1] + first
        angle = (row % height) / height * 2 * np.pi
        rho = col / width * outer
        return np.stack([cx + rho * np.cos(angle), cy + rho * np.sin(angle)], axis=1)

    return Variant(View.UNWRAPPED, strip, to_photo)
