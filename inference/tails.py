"""A serial stamped past a gap at the end of a line, which the recognizer drops.

PP-OCR reads a character well in the company of others; alone past a gap (a
serial ``1`` stamped after the heat number) it leaves it out, though the
detector's box holds it. Closing the gap up brings the character into the
line's company: the line's crop is cut after its last character read and joined
again further on, at several points across the rest of the box, and read again.
Where a reading is the line's own text and one or two digits more, read
clearly, those digits are a serial found by the second search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.lookalikes import skeleton
from inference.ocr import RecognizedText
from inference.settings import THRESHOLDS

STEP = 0.25  # the cut points are this many character widths apart
CLEAR = 0.3  # ... and start and end this many character widths clear of the last character and of the box's end
REACH = 3.5  # ... looking no further than this many character widths past the last character
MAX_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Tail:
    digits: str
    score: float  # the lowest probability among the digits
    start: float  # where they begin, as a share of the crop's width


def closed_up(crop: np.ndarray, positions: tuple[float, ...]) -> list[tuple[float, np.ndarray]]:
    """The crop with the gap after its last character read closed up at several widths.

    ``positions`` are where the recognizer read each character, as shares of the
    crop's width. Returns (where the kept rest of the crop begins, as a share of
    its width; the joined crop), nothing when no room is left past the text.
    """
    width = crop.shape[1]
    if width < 2 or not positions:
        return []
    pitch = float(np.median(np.diff(positions))) if len(positions) > 1 else 0.1
    if pitch <= 0:
        return []
    end = positions[-1] + 0.5 * pitch
    cut = int(end * width)
    starts = np.arange(end + CLEAR * pitch, min(1.0 - CLEAR * pitch, end + REACH * pitch), STEP * pitch)
    joined = [np.concatenate([crop[:, :cut], crop[:, int(s * width) :]], axis=1) for s in starts]
    return [(float(s), np.ascontiguousarray(j)) for s, j in zip(starts, joined, strict=True)]


def extra_digits(text: str, reading: RecognizedText) -> tuple[str, float] | None:
    """The digits a gap-closed ``reading`` adds to the line's own ``text``, and the lowest probability among them."""
    own, read = skeleton(text), skeleton(reading.text)
    extra = read[len(own) :]
    if not read.startswith(own) or not extra.isdigit() or len(extra) > MAX_DIGITS:
        return None
    scores = reading.char_scores[-len(extra) :] if len(reading.char_scores) >= len(extra) else (reading.score,)
    return extra, min(scores)


def best_tail(text: str, readings: list[tuple[float, RecognizedText]]) -> Tail | None:
    """The clearest digits past the gap among the readings of one line's gap-closed crops."""
    best: Tail | None = None
    for start, reading in readings:
        found = extra_digits(text, reading)
        if found is None or found[1] < THRESHOLDS.tail_min_score:
            continue
        if best is None or found[1] > best.score:
            best = Tail(found[0], found[1], start)
    return best
