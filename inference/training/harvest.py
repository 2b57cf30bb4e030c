"""One labelled photo read once, turned into what the fits learn from.

The photo is read with every view and no serial chosen (``Models.untrained``).
From it come:

- glyph windows for the glyph reader's head: each clear character of a line that
  was read (the recognizer says where it read each one) cut into a window as the
  glyph reader sees one, a little off each time, labelled with its digit (or
  "text" for a letter); windows centred between two characters ("text"); windows
  on the block's empty rows where no serial is stamped ("blank"); and the same
  empty windows with a real digit of the photo pasted in, alone, as a serial
  stamped alone looks (labelled with that digit);
- the windows the glyph reader would scan round the article, with the
  recognizer's features for each, so any head can be tried on them later;
- the lines read, and the article as read, for the serial model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import cv2
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from inference.catalog import CatalogIndex
from inference.crops import Frame, half_turned, straightened
from inference.glyphs import BLANK, READ_WIDTH, TEXT
from inference.lines import TextLine, View, upside_down, view_of
from inference.lone_digits import HEIGHT, WIDTH, Window
from inference.lookalikes import fold, skeleton
from inference.pipeline import Recognizer, lone_digit_windows
from inference.reading import find_articles
from inference.training.labelled import LabelledPhoto

TRUSTED = 0.97  # a character read at least this well on any line is taken as read right
JITTERED = 2  # windows cut round each clear character
PASTE_WIDTH = 1.1  # a pasted glyph spans this many character widths


@dataclass(slots=True)
class ArticleRead:
    """The labelled article as the photo's lines read it."""

    key: str
    line: TextLine
    rest: str  # what its line held after it


@dataclass(slots=True)
class PhotoData:
    photo: LabelledPhoto
    lines: list[TextLine]
    article: ArticleRead | None
    glyph_features: np.ndarray  # N x columns x channels, the recognizer's features of each glyph window
    glyph_labels: np.ndarray  # N: the digit, TEXT or BLANK
    scan: list[Window]  # the windows the glyph reader scans round the article, quads on the photo
    scan_features: np.ndarray
    characters: list[tuple[float, bool]]  # the recognizer's score on each character read of the label, and if right


def harvest(photo: LabelledPhoto, recognizer: Recognizer, index: CatalogIndex, seed: int = 0) -> PhotoData:
    """Read ``photo`` with every view (``recognizer`` holds untrained models) and cut what the fits need."""
    rng = random.Random(f"{seed}:{photo.name}")
    recognition = recognizer.recognize(photo.source)
    lines = recognition.lines
    variants = recognition.variants
    article = _article_read(photo, lines, index)
    serial_boxed = bool(photo.serial) and any(
        not ln.unboxed and (photo.serial in ln.text.split() or photo.serial == skeleton(ln.text)) for ln in lines
    )
    crops: list[np.ndarray] = []
    labels: list[int] = []
    glyphs: list[tuple[int, np.ndarray]] = []
    for line in lines:
        for crop, label, glyph in _line_windows(line, photo, variants, rng):
            if glyph:
                glyphs.append((label, crop))
            else:
                crops.append(crop)
                labels.append(label)
    scan: list[Window] = []
    scan_crops: list[np.ndarray] = []
    if article is not None:
        windows, window_crops, variant = lone_digit_windows(article.line, lines, variants)
        if variant is not None:
            scan = [replace(w, quad=variant.to_photo(w.quad.astype(np.float64)).astype(np.float32)) for w in windows]
            scan_crops = window_crops
            # where no serial is stamped alone, the empty rows are what "nothing here" looks like
            if not photo.serial or serial_boxed:
                empty = [
                    cv2.resize(c, (READ_WIDTH, 48))
                    for w, c in zip(windows, window_crops, strict=True)
                    if not w.past_line
                ][::2]
                for background in empty:
                    crops.append(background)
                    labels.append(BLANK)
                    if glyphs:
                        digit, crop = _pasted(background, glyphs, rng)
                        crops.append(crop)
                        labels.append(digit)
    crops = [_photometric(c, rng) if rng.random() < 0.5 else c for c in crops]
    engine = recognizer.engine
    return PhotoData(
        photo,
        lines,
        article,
        _features(engine, crops),
        np.array(labels, dtype=np.int64),
        scan,
        _features(engine, scan_crops),
        label_characters(lines, photo.truth),
    )


def _features(engine, crops: list[np.ndarray]) -> np.ndarray:
    if not crops:
        return np.zeros((0, 8, 120), dtype=np.float16)
    return engine.window_features(crops).astype(np.float16)


def label_characters(lines: list[TextLine], truth: str) -> list[tuple[float, bool]]:
    """(score, right) for each character of the lines that read the label's article or serial: the line
    aligned with it (a partial alignment with few edits), each character set against the label's."""
    targets = [skeleton(part) for part in truth.split(" ", 1)]
    found = []
    for line in lines:
        text = fold(line.text)
        if line.parts or line.unboxed or len(line.char_scores) != len(text):
            continue
        chars = [(ch, p) for ch, p in zip(text, line.char_scores, strict=True) if ch.isalnum()]
        read = "".join(ch for ch, _ in chars)
        for target in targets:
            aligned = fuzz.partial_ratio_alignment(target, read) if read and target else None
            if aligned is None or aligned.score < 75 or aligned.dest_end - aligned.dest_start < max(1, len(target) - 1):
                continue
            for op in Levenshtein.opcodes(target, read[aligned.dest_start : aligned.dest_end]):
                for k in range(op.dest_end - op.dest_start):
                    found.append((float(chars[aligned.dest_start + op.dest_start + k][1]), op.tag == "equal"))
            break
    return found


def _article_read(photo: LabelledPhoto, lines: list[TextLine], index: CatalogIndex) -> ArticleRead | None:
    entry = index.entry_for(photo.article)
    if entry is None:
        return None
    for evidence in find_articles(lines, index):
        if evidence.entry.key == entry.key and not evidence.line.parts:
            return ArticleRead(entry.key, evidence.line, evidence.rest)
    return None


def _trusted(line: TextLine, photo: LabelledPhoto) -> tuple[str, list[float], list[float], bool] | None:
    """A line's characters, their places and scores, and whether the label vouches for the whole line."""
    text = line.text.replace(" ", "")
    if line.searched or line.variant_quad is None or len(line.char_positions) != len(text):
        return None
    scores = list(line.char_scores) if len(line.char_scores) == len(text) else None
    if scores is None:
        return None
    vouched = skeleton(photo.article) in skeleton(line.text) or (
        bool(photo.serial) and photo.serial in line.text.split()
    )
    return text, list(line.char_positions), scores, vouched


def _window(image: np.ndarray, frame: Frame, x0: float, x1: float, y0: float, y1: float, turned: bool) -> np.ndarray:
    crop = straightened(image, frame.quad(x0, x1, y0, y1))
    crop = half_turned(crop) if turned else crop
    return cv2.resize(crop, (READ_WIDTH, 48), interpolation=cv2.INTER_AREA)


def _line_windows(line: TextLine, photo: LabelledPhoto, variants, rng: random.Random):
    """(crop, label, is a glyph to paste) for the clear characters of one line."""
    trusted = _trusted(line, photo)
    variant = variants.get(view_of(line))
    if trusted is None or variant is None or variant.name == View.UNWRAPPED or line.variant_quad is None:
        return
    text, positions, scores, vouched = trusted
    turned = upside_down(line)
    frame = Frame.of(line.variant_quad)
    x, y = frame.coordinates(line.variant_quad)
    length, height = float(np.ptp(x)), float(np.ptp(y))
    left, middle = float(x.min()), float(y.mean())
    char_width = length / len(text)
    for ch, position, score in zip(text, positions, scores, strict=True):
        if not (vouched or score >= TRUSTED) or score < 0.8:
            continue
        centre = left + ((1 - position) if turned else position) * length
        label = int(ch) if ch.isdigit() else TEXT
        half_w, half_h = WIDTH / 2 * char_width, HEIGHT / 2 * height
        for _ in range(JITTERED):
            scale, tall = rng.uniform(0.85, 1.2), rng.uniform(0.95, 1.2)
            dx, dy = rng.uniform(-0.2, 0.2) * char_width, rng.uniform(-0.12, 0.12) * height
            c, m = centre + dx, middle + dy
            yield (
                _window(
                    variant.image,
                    frame,
                    c - half_w * scale,
                    c + half_w * scale,
                    m - half_h * tall,
                    m + half_h * tall,
                    turned,
                ),
                label,
                False,
            )
        for offset in (-0.5, 0.5):  # between two characters: none centred
            c = centre + offset * char_width
            yield (
                _window(variant.image, frame, c - half_w, c + half_w, middle - half_h, middle + half_h, turned),
                TEXT,
                False,
            )
        if label != TEXT and score >= 0.95:
            half = PASTE_WIDTH / 2 * char_width
            yield (
                _window(variant.image, frame, centre - half, centre + half, middle - half_h, middle + half_h, turned),
                label,
                True,
            )


def _paste(background: np.ndarray, glyph: np.ndarray, centre: float) -> np.ndarray:
    """``glyph`` (a window PASTE_WIDTH characters wide) blended into ``background`` at column ``centre``."""
    width = round(READ_WIDTH * PASTE_WIDTH / WIDTH)
    glyph = cv2.resize(glyph, (width, 48)).astype(np.float32)
    glyph += float(np.median(background)) - float(np.median(glyph))  # the same light as the surface round it
    alpha = np.ones((48, width), np.float32)
    ramp = np.linspace(0, 1, 8, dtype=np.float32)
    alpha[:, :8] *= ramp
    alpha[:, -8:] *= ramp[::-1]
    alpha[:6] *= np.linspace(0, 1, 6, dtype=np.float32)[:, None]
    alpha[-6:] *= np.linspace(1, 0, 6, dtype=np.float32)[:, None]
    out = background.astype(np.float32)
    x0 = round(centre - width / 2)
    lo, hi = max(0, x0), min(READ_WIDTH, x0 + width)
    a = alpha[:, lo - x0 : hi - x0, None]
    out[:, lo:hi] = out[:, lo:hi] * (1 - a) + glyph[:, lo - x0 : hi - x0] * a
    return np.clip(out, 0, 255).astype(np.uint8)


def _pasted(background: np.ndarray, glyphs: list[tuple[int, np.ndarray]], rng: random.Random) -> tuple[int, np.ndarray]:
    """An empty window with one of the photo's digits pasted in its middle (now and then a second beside it)."""
    digit, glyph = rng.choice(glyphs)
    centre = READ_WIDTH / 2 + rng.uniform(-8, 8)
    crop = _paste(background, glyph, centre)
    if rng.random() < 0.35:
        _, other = rng.choice(glyphs)
        crop = _paste(crop, other, centre + rng.choice((-1, 1)) * READ_WIDTH / WIDTH)
    return digit, crop


def _photometric(crop: np.ndarray, rng: random.Random) -> np.ndarray:
    """Other light, focus and sensor noise."""
    out: np.ndarray = crop.astype(np.float32)
    mean = float(out.mean())
    out = (out - mean) * rng.uniform(0.6, 1.4) + mean + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:
        out += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 8), out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)
