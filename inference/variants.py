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

PointMap = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    image: np.ndarray
    to_photo: PointMap  # Nx2 variant pixels -> Nx2 working-photo pixels


def identity(image: np.ndarray) -> Variant:
    return Variant("upright", image, lambda p: p)


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

    return Variant(f"turned {90 * k}", rotated, to_photo)


def contrast(image: np.ndarray) -> Variant:
    """Local contrast (CLAHE) on lightness: faint engraving, uneven light, glare."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    light = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return Variant("contrast", cv2.cvtColor(light, cv2.COLOR_GRAY2BGR), lambda p: p)


def find_round_face(image: np.ndarray) -> tuple[float, float, float] | None:
    """The largest circle in the photo (the end face of a round part), or None."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = 320 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.medianBlur(small, 5)
    side = min(small.shape)
    circles = cv2.HoughCircles(
        small,
        cv2.HOUGH_GRADIENT,
        dp=1.5,
        minDist=side,
        param1=120,
        param2=40,
        minRadius=int(side * 0.22),
        maxRadius=int(side * 0.6),
    )
    if circles is None:
        return None
    x, y, r = circles[0][0]
    return x / scale, y / scale, r / scale


def unwrapped(image: np.ndarray, circle: tuple[float, float, float]) -> Variant:
    """Text running around a round face, unrolled into straight lines.

    ``warpPolar`` maps angle to rows and radius to columns; turned a quarter,
    the rim becomes horizontal text. The strip is doubled so a marking cut by
    the seam at angle 0 is whole in the middle.
    """
    cx, cy, r = circle
    radius = r * 1.08
    height = int(2 * np.pi * radius)  # one pixel per pixel of rim
    width = int(radius)
    polar = cv2.warpPolar(image, (width, height), (cx, cy), radius, cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR)
    doubled = np.vstack([polar, polar[: height // 2]])
    strip = np.ascontiguousarray(np.rot90(doubled, 1))  # rim at the top, text upright

    def to_photo(p: np.ndarray) -> np.ndarray:
        # strip (x, y) <- doubled (row = x, col = width - 1 - y)
        row, col = p[:, 0], width - 1 - p[:, 1]
        angle = (row % height) / height * 2 * np.pi
        rho = col / width * radius
        return np.stack([cx + rho * np.cos(angle), cy + rho * np.sin(angle)], axis=1)

    return Variant("unwrapped", strip, to_photo)
