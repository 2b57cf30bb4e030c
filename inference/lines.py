"""A recognized line of text: what it says, how sure the recognizer was, where it lies on the photo.

Lines are what every later stage works on; here too are the view a line was read
in, and the pairs of close lines read as one (an article split or bent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from inference.lookalikes import skeleton
from inference.settings import THRESHOLDS


class View(StrEnum):
    """A view of the photo the recognizer reads (``inference.variants``)."""

    UPRIGHT = "upright"
    CONTRAST = "contrast"  # more local contrast
    TURNED_90 = "turned 90"
    TURNED_270 = "turned 270"
    UNWRAPPED = "unwrapped"  # a round face unrolled into a strip


TURNED_180 = " turned 180"  # added to a line's view name when its crop was read upside down


@dataclass(slots=True, eq=False)
class TextLine:
    """One recognized line, its box in the original photo's pixels."""

    text: str
    score: float
    quad: np.ndarray
    variant: str
    parts: tuple[TextLine, ...] = ()  # the lines a joined line was made of
    variant_quad: np.ndarray | None = None  # the box in the variant's own pixels
    char_scores: tuple[float, ...] = ()  # the recognizer's probability for each character
    searched: bool = False  # read by the second search round the article, not boxed by the detector
    char_positions: tuple[float, ...] = ()  # where each character but spaces was read, as a share of the crop's width
    unboxed: bool = False  # digits read where the detector boxed none (tails.py, lone_digits.py)
    alternatives: tuple[tuple[str, float], ...] = ()  # the next likeliest readings of it, each with its score
    # Derived from ``quad`` once: matching compares lines many times.
    box: tuple[float, float, float, float] = field(init=False)
    centre: tuple[float, float] = field(init=False)
    height: float = field(init=False)

    def __post_init__(self) -> None:
        q = self.quad
        x0, y0 = q.min(axis=0)
        x1, y1 = q.max(axis=0)
        self.box = (float(x0), float(y0), float(x1), float(y1))
        cx, cy = q.mean(axis=0)
        self.centre = (float(cx), float(cy))
        sides = np.linalg.norm(q - np.roll(q, -1, axis=0), axis=1)
        self.height = max(4.0, float(sides.min()))

    def distance_to(self, other: TextLine) -> float:
        return math.hypot(self.centre[0] - other.centre[0], self.centre[1] - other.centre[1])


def view_of(line: TextLine) -> str:
    """The view of the photo a line was read in, whichever way round the crop was read."""
    return line.variant.removesuffix(TURNED_180)


def upside_down(line: TextLine) -> bool:
    """The line's crop was read turned half round (upside down in its view)."""
    return line.variant.endswith(TURNED_180)


def overlap(a: TextLine, b: TextLine) -> float:
    """IoU of the axis-aligned boxes around two lines."""
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    iw = min(ax1, bx1) - max(ax0, bx0)
    ih = min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def joined_neighbours(lines: list[TextLine]) -> list[TextLine]:
    """Pairs of close lines read as one: an article split over two lines, or
    bent round a part so that its pieces were read in different turns."""
    pieces = [(line, len(skeleton(line.text))) for line in lines if not line.parts]
    pieces = [(line, n) for line, n in pieces if n >= 2 and any(ch.isdigit() for ch in line.text)]
    joins = []
    seen: set[tuple[str, str]] = set()
    for a, na in pieces:
        for b, nb in pieces:
            if a is b or a.text == b.text or (a.text, b.text) in seen or not 5 <= na + nb <= THRESHOLDS.join_max:
                continue
            if a.variant != b.variant and (
                na > THRESHOLDS.fragment_max or nb > THRESHOLDS.fragment_max or overlap(a, b) > 0.1
            ):
                continue
            if a.distance_to(b) < 2.5 * max(a.height, b.height):
                seen.add((a.text, b.text))
                quad = _bounding_quad(np.vstack([a.quad, b.quad]))
                scores = a.char_scores + b.char_scores
                text = a.text + " " + b.text
                joins.append(TextLine(text, min(a.score, b.score), quad, a.variant, (a, b), None, scores))
    return joins


def _bounding_quad(points: np.ndarray) -> np.ndarray:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
