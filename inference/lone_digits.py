"""A serial stamped alone, which the detector never boxes: found by a learned glyph reader.

A lone ``7`` under the heat number, or a ``1`` a few characters past the end of
a line, gets a text probability near zero from the detector, so no line is read
there. The block's rows are known from the lines read round the article: the row
before the first, the row after the last, a row left empty between two, and the
stretch past the end of each line. Windows a character and a half wide slide
along each, at three heights (the pitch says only roughly where a row lies), and
the glyph reader (``inference.glyphs``) says for each window which digit is
centred in it, or whether it holds text or bare surface. A digit is a peak of
that probability along a row; one or two peaks a character apart, with bare
surface beside them, are a number stamped alone: a serial the second search
offers the serial model.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inference.crops import Frame
from inference.glyphs import BLANK, TEXT

WIDTH = 1.6  # a window is this many character widths wide
STEP = 0.5  # windows start this many character widths apart
HEIGHT = 1.1  # ... and are this many line heights tall
SHIFTS = (-0.15, 0.0, 0.15)  # each row is tried this many line heights either side of where the pitch puts it
MARGIN = 1.0  # empty rows run this many character widths past the block's ends
REACH = 8.0  # the stretch past a line's end runs this far, in character widths
SAME_GLYPH = 0.75  # peaks closer than this many character widths are one glyph
NEXT_GLYPH = 1.8  # glyphs closer than this are one number
FLANK = 1.5  # bare surface is looked for this many character widths beside a number
MAX_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Window:
    row: int  # which stretch of the block
    shift: int  # which of the SHIFTS
    start: float  # where it begins along the stretch, in character widths
    quad: np.ndarray  # on the view, read as the article's line is read
    past_line: bool = False  # on the stretch past a line's end, not on an empty row


@dataclass(frozen=True, slots=True)
class LoneSerial:
    digits: str
    score: float  # its least clear digit's probability, times how surely the surface beside it is bare
    quad: np.ndarray  # the windows that read it, together
    runner_up: str = ""  # the same number with its least clear digit read as the next likeliest one
    runner_up_score: float = 0.0  # its score, that digit's probability being the next likeliest one's


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


def scan_windows(
    article_quad: np.ndarray, block: list[tuple[np.ndarray, str]], taken: list[np.ndarray], turned: bool = False
) -> list[Window]:
    """Windows along the block's empty rows and past its lines' ends, on the view the article was read in.

    ``block``: the (quad, text) of the lines of the article's block on that view,
    the article's among them; ``taken``: every quad read there (a window centred
    in one holds text already read); ``turned``: the article reads upside down on
    that view. The windows run the way the article reads, so their crops read
    upright and a line's end is where its text ends.
    """
    frame = Frame.of(article_quad, turned)
    rows = _rows(frame, block)
    if not rows:
        return []
    height = float(np.median([r.height for r in rows]))
    char_width = float(np.median([r.char_width for r in rows]))
    centres = [r.centre for r in rows]
    pitch = float(np.median(np.diff(centres))) if len(rows) > 1 else 1.1 * height
    pitch = min(max(pitch, 0.9 * height), 1.5 * height)
    first = min(r.start for r in rows) - MARGIN * char_width
    last = max(r.end for r in rows) + MARGIN * char_width
    stretches = [(centres[0] - pitch, first, last), (centres[-1] + pitch, first, last)]
    stretches += [((a + b) / 2, first, last) for a, b in zip(centres, centres[1:], strict=False) if b - a > 1.6 * pitch]
    # past each line's end: a serial stamped after the heat number, a gap between
    empty_rows = len(stretches)
    stretches += [(r.centre, r.end + (1.0 - WIDTH / 2) * char_width, r.end + REACH * char_width) for r in rows]
    taken32 = [q.astype(np.float32) for q in taken]
    windows = []
    for number, (slot, begin, end) in enumerate(stretches):
        for shift_number, shift in enumerate(SHIFTS):
            centre = slot + shift * height
            x = begin
            while x + WIDTH * char_width <= end + 1e-6:
                quad = frame.quad(x, x + WIDTH * char_width, centre - HEIGHT * height / 2, centre + HEIGHT * height / 2)
                middle = tuple(float(v) for v in quad.mean(axis=0))
                if not any(cv2.pointPolygonTest(q, middle, False) >= 0 for q in taken32):
                    start = (x - begin) / char_width
                    windows.append(Window(number, shift_number, start, quad, number >= empty_rows))
                x += STEP * char_width
    return windows


@dataclass(frozen=True, slots=True)
class _Glyph:
    start: float
    digit: int
    probability: float
    second: int  # the next likeliest digit
    second_probability: float  # how likely the glyph reader thinks that next digit
    window: Window


def _peaks(windows: list[Window], probabilities: np.ndarray, floor: float) -> dict[int, list[_Glyph]]:
    """Per stretch, the glyphs: windows whose likeliest digit peaks along the row, merged over the heights."""
    by_line: dict[tuple[int, int], list[int]] = {}
    for i, w in enumerate(windows):
        by_line.setdefault((w.row, w.shift), []).append(i)
    found: dict[int, list[_Glyph]] = {}
    for (row, _), indices in by_line.items():
        indices.sort(key=lambda i: windows[i].start)
        digit_p = probabilities[indices, :TEXT]
        best = digit_p.max(axis=1)
        for k, i in enumerate(indices):
            left = best[k - 1] if k > 0 and windows[indices[k - 1]].start > windows[i].start - 1.5 * STEP else 0.0
            right = (
                best[k + 1]
                if k + 1 < len(indices) and windows[indices[k + 1]].start < windows[i].start + 1.5 * STEP
                else 0.0
            )
            if best[k] < floor or best[k] < left or best[k] <= right:
                continue
            order = np.argsort(-digit_p[k])
            first, second = int(order[0]), int(order[1])
            glyph = _Glyph(windows[i].start, first, float(best[k]), second, float(digit_p[k, second]), windows[i])
            glyphs = found.setdefault(row, [])
            near = [g for g in glyphs if abs(g.start - glyph.start) < SAME_GLYPH]
            if all(g.probability < glyph.probability for g in near):
                glyphs[:] = [g for g in glyphs if not any(g is n for n in near)] + [glyph]
    return found


def _blank_at(row: list[tuple[Window, np.ndarray]], start: float, ends: tuple[float, float]) -> float:
    """How surely the surface is bare a glyph's width from a number: past the stretch's ends, bare;
    where no window was read (text already read lies there), not bare."""
    if start < ends[0] - STEP or start > ends[1] + STEP:
        return 1.0
    near = [p[BLANK] for w, p in row if abs(w.start - start) <= STEP / 2 + 1e-6]
    return max(near) if near else 0.0


def lone_serials(windows: list[Window], probabilities: np.ndarray, floor: float = 0.5) -> list[LoneSerial]:
    """The numbers of one or two digits the glyph reader sees alone on a stretch, likeliest first.

    ``probabilities``: per window, the glyph reader's chance of each digit, of text, of bare surface.
    A run of glyphs a character apart is one number; a run longer than two digits is some
    other text. A number stamped alone has bare surface beside it (after it, past a line's end):
    its score is its least clear digit's probability times how surely the surface beside it is bare.
    """
    rows: dict[int, list[tuple[Window, np.ndarray]]] = {}
    for w, p in zip(windows, probabilities, strict=True):
        rows.setdefault(w.row, []).append((w, p))
    serials = []
    for row, glyphs in _peaks(windows, probabilities, floor).items():
        glyphs.sort(key=lambda g: g.start)
        runs: list[list[_Glyph]] = []
        for glyph in glyphs:
            if runs and glyph.start - runs[-1][-1].start < NEXT_GLYPH:
                runs[-1].append(glyph)
            else:
                runs.append([glyph])
        starts = [w.start for w, _ in rows[row]]
        ends = (min(starts), max(starts))
        for run in runs:
            if len(run) > MAX_DIGITS:
                continue
            right = _blank_at(rows[row], run[-1].start + FLANK, ends)
            left = 1.0 if run[0].window.past_line else _blank_at(rows[row], run[0].start - FLANK, ends)
            digits = "".join(str(g.digit) for g in run)
            weakest = min(range(len(run)), key=lambda k: run[k].probability)
            runner_up = "".join(str(g.second if k == weakest else g.digit) for k, g in enumerate(run))
            first, last = run[0].window.quad, run[-1].window.quad
            quad = np.array([first[0], last[1], last[2], first[3]], dtype=np.float32)
            bare = min(left, right)
            score = float(run[weakest].probability * bare)
            serials.append(LoneSerial(digits, score, quad, runner_up, float(run[weakest].second_probability * bare)))
    serials.sort(key=lambda s: -s.score)
    return serials
