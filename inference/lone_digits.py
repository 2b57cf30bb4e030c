"""A serial stamped alone on a row of its own in the marking block, which the detector never boxes.

A lone ``7`` under the heat number gets a text probability near zero from the
detector, so no line is read there. The block's rows are known from the lines
read round the article: the row before the first, the row after the last, and a
row left empty between two. Windows a character and a half wide slide along each
such row, at three heights (the pitch says only roughly where a row lies), and the
recognizer reads each at its own narrow width. One or two digits read clearly in
two overlapping windows of one row are a serial found by the second search.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import cv2
import numpy as np

from inference.crops import Frame
from inference.ocr import RecognizedText
from inference.settings import THRESHOLDS

WIDTH = 1.6  # a window is this many character widths wide
STEP = 0.5  # windows start this many character widths apart
HEIGHT = 1.1  # ... and are this many line heights tall
SHIFTS = (-0.15, 0.0, 0.15)  # each row is tried this many line heights either side of where the pitch puts it
MARGIN = 1.0  # rows run this many character widths past the block's ends
READ_WIDTH = 64  # windows are read at this many pixels wide (48 high)
DIGITS = re.compile(r"\d{1,2}")


@dataclass(frozen=True, slots=True)
class Window:
    row: int  # which empty row of the block
    start: float  # where it begins along the row, in character widths
    quad: np.ndarray  # on the view, read as the article's line is read


@dataclass(frozen=True, slots=True)
class LoneSerial:
    digits: str
    score: float  # the lower probability of the two clearest windows that read it
    quad: np.ndarray  # the windows that read it, together


@dataclass(frozen=True, slots=True)
class _Row:
    centre: float  # how far down the article's frame
    start: float  # where its text begins and ends along the frame
    end: float
    height: float
    char_width: float


def _rows(frame: Frame, lines: list[tuple[np.ndarray, str]]) -> list[_Row]:
    """The block's text rows, top to bottom in the frame: lines read on one row (in several views) merged."""
    rows = []
    for quad, text in lines:
        if abs(Frame.of(quad).along @ frame.along) < 0.9:  # not written the article's way
            continue
        x, y = frame.coordinates(quad)
        char_width = float(np.ptp(x)) / max(1, len(text.replace(" ", "")))
        rows.append(_Row(float(y.mean()), float(x.min()), float(x.max()), float(np.ptp(y)), char_width))
    merged: list[_Row] = []
    for row in sorted(rows, key=lambda r: r.centre):
        last = merged[-1] if merged else None
        if last is not None and row.centre - last.centre < 0.5 * max(row.height, last.height):
            merged[-1] = _Row(
                (last.centre + row.centre) / 2,
                min(last.start, row.start),
                max(last.end, row.end),
                max(last.height, row.height),
                min(last.char_width, row.char_width),
            )
        else:
            merged.append(row)
    return merged


def row_windows(article_quad: np.ndarray, block: list[tuple[np.ndarray, str]], taken: list[np.ndarray]) -> list[Window]:
    """Windows along the block's empty rows, on the view the article was read in.

    ``block``: the (quad, text) of the lines of the article's block on that view,
    the article's among them; ``taken``: every quad read there (a window centred
    in one holds text already read).
    """
    frame = Frame.of(article_quad)
    rows = _rows(frame, block)
    if not rows:
        return []
    height = float(np.median([r.height for r in rows]))
    char_width = float(np.median([r.char_width for r in rows]))
    centres = [r.centre for r in rows]
    pitch = float(np.median(np.diff(centres))) if len(rows) > 1 else 1.1 * height
    pitch = min(max(pitch, 0.9 * height), 1.5 * height)
    slots = [centres[0] - pitch, centres[-1] + pitch]
    slots += [(a + b) / 2 for a, b in zip(centres, centres[1:], strict=False) if b - a > 1.6 * pitch]
    first = min(r.start for r in rows) - MARGIN * char_width
    last = max(r.end for r in rows) + MARGIN * char_width
    taken32 = [q.astype(np.float32) for q in taken]
    windows = []
    for number, slot in enumerate(slots):
        for shift in SHIFTS:
            centre = slot + shift * height
            x = first
            while x + WIDTH * char_width <= last:
                quad = frame.quad(x, x + WIDTH * char_width, centre - HEIGHT * height / 2, centre + HEIGHT * height / 2)
                middle = tuple(float(v) for v in quad.mean(axis=0))
                if not any(cv2.pointPolygonTest(q, middle, False) >= 0 for q in taken32):
                    windows.append(Window(number, (x - first) / char_width, quad))
                x += STEP * char_width
    return windows


def lone_serial(windows: list[Window], readings: list[RecognizedText]) -> LoneSerial | None:
    """The digits that two overlapping windows of one row read clearly; of several, the clearest."""
    clear: dict[tuple[int, str], list[tuple[float, Window]]] = defaultdict(list)
    for window, reading in zip(windows, readings, strict=True):
        text = reading.text.strip()
        score = min(reading.char_scores) if reading.char_scores else reading.score
        if DIGITS.fullmatch(text) and score >= THRESHOLDS.lone_min_score:
            clear[(window.row, text)].append((score, window))
    best: LoneSerial | None = None
    for (_, digits), found in clear.items():
        found.sort(key=lambda f: f[0], reverse=True)
        window = found[0][1]
        pair = next(((s, w) for s, w in found[1:] if abs(w.start - window.start) < WIDTH), None)
        if pair is None or (best is not None and pair[0] <= best.score):
            continue
        left, right = sorted((window, pair[1]), key=lambda w: w.start)
        quad = np.array([left.quad[0], right.quad[1], right.quad[2], left.quad[3]], dtype=np.float32)
        best = LoneSerial(digits, pair[0], quad)
    return best
