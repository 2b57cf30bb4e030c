"""One photo in, one reading out: the stages wired together.

load photo -> for each variant in the plan: detect lines, recognize each crop
upright and turned half round -> match the lines so far against the catalog, the
serial model picking each article's serial -> stop as soon as the best reading is
clear (or the catalog match is complete, or more views stop changing it) -> an
article without a serial: the glyph reader looks along the block's empty rows and
past its lines' ends for one stamped alone (``inference.lone_digits``) -> the visual
memory, for an unclear reading -> the confidence model weighs the evidence. Every
stage's time is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from inference.catalog import CatalogIndex
from inference.choices import Choice, likely_choices
from inference.confidence import assess, clear_enough
from inference.crops import crop_line, half_turned, straightened
from inference.lines import TURNED_180, TextLine, View, upside_down, view_of
from inference.lone_digits import LoneSerial, Window, lone_serials, scan_windows
from inference.lookalikes import skeleton
from inference.memory import Neighbour, article_support
from inference.models import Models
from inference.ocr import OcrEngine, RecognizedText
from inference.photo import Photo, load_photo
from inference.reading import NOT_IN_CATALOG, UNREADABLE, Candidate, read_marking
from inference.records import ReadingRecord
from inference.scoring import YoloBox
from inference.settings import THRESHOLDS
from inference.variants import Variant, contrast, fit_ring, identity, turned, unwrapped

# A variant maker sees the working photo and the lines read so far.
VariantMaker = Callable[[np.ndarray, list[TextLine]], Variant | None]


def _ring_of_fragments(image: np.ndarray, lines: list[TextLine]) -> Variant | None:
    """Unroll the ring the text fragments read so far lie on (a marking round a face)."""
    pieces = [ln for ln in lines if sum(ch.isalnum() for ch in ln.text) >= 2]
    points = np.array([ln.centre for ln in pieces])
    heights = np.array([ln.height for ln in pieces])
    ring = fit_ring(points, heights)
    return unwrapped(image, ring, band=2.0 * float(np.median(heights))) if ring else None


# The order the variants are tried in: the ones that most often complete a reading first
# (a faint serial comes out under more contrast more often than on its side).
DEFAULT_PLAN: tuple[tuple[str, VariantMaker], ...] = (
    (View.UPRIGHT, lambda im, _: identity(im)),
    (View.CONTRAST, lambda im, _: contrast(im)),
    (View.TURNED_90, lambda im, _: turned(im, 1)),
    (View.TURNED_270, lambda im, _: turned(im, 3)),
    (View.UNWRAPPED, _ring_of_fragments),
)


@dataclass(slots=True)
class Recognition:
    """Everything known about one photo's marking."""

    candidates: list[Candidate]
    lines: list[TextLine]
    photo: Photo
    timings: dict[str, float] = field(default_factory=dict)
    variants_tried: list[str] = field(default_factory=list)
    neighbours: list[Neighbour] = field(default_factory=list)  # nearest confirmed photos (visual memory)
    memory_changed: bool = False
    ocr_candidates: list[Candidate] | None = None  # before the memory had its say, when it changed them
    variants: dict[str, Variant] = field(default_factory=dict, repr=False)  # the views read, by name
    choices: list[Choice] = field(default_factory=list)  # the likeliest other markings, for a person to tap

    @property
    def probability(self) -> float:
        """The chance the best reading is exactly right."""
        return self.best.probability if self.best else 0.0

    @property
    def sure(self) -> bool:
        """What the pages show as "уверенно" (``inference.confidence``)."""
        return bool(self.best and self.best.sure)

    def without_memory(self) -> Recognition:
        """The answer the OCR and the catalog gave alone."""
        if self.ocr_candidates is None:
            return self
        return replace(self, candidates=self.ocr_candidates, ocr_candidates=None, memory_changed=False)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def status(self) -> str:
        return self.best.status if self.best else UNREADABLE

    @property
    def marking(self) -> str:
        return self.best.marking if self.best else ""

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The marking's box (x0, y0, x1, y1) in the original photo's pixels."""
        if not self.best or not self.best.lines:
            return []
        points = np.vstack([ln.quad for ln in marking_block(self.best.lines, self.lines)]) / self.photo.scale
        w, h = self.photo.original_size
        x0, y0 = np.clip(points.min(axis=0), 0, [w, h])
        x1, y1 = np.clip(points.max(axis=0), 0, [w, h])
        return [(int(x0), int(y0), int(round(x1)), int(round(y1)))]

    def yolo_boxes(self) -> list[YoloBox]:
        w, h = self.photo.original_size
        return [((x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h) for x0, y0, x1, y1 in self.boxes()]

    def to_record(self) -> ReadingRecord:
        """The reading as the app stores and shows it (``inference.records``)."""
        best = self.best
        return {
            "marking": self.marking,
            "article": best.article if best and best.status != NOT_IN_CATALOG else "",
            "serial": best.serial if best else "",
            "confidence": round(best.confidence, 3) if best else 0.0,
            "probability": round(self.probability, 3),
            "sure": self.sure,
            "status": self.status,
            "boxes": [list(b) for b in self.boxes()],
            "yolo_boxes": [[round(v, 6) for v in b] for b in self.yolo_boxes()],
            "candidates": [c.to_record() for c in self.candidates],
            "choices": [
                {"marking": c.marking, "article": c.article, "serial": c.serial, "reason": c.reason}
                for c in self.choices
            ],
            "lines": [{"text": ln.text, "score": round(ln.score, 3), "variant": ln.variant} for ln in self.lines],
            "variants_tried": self.variants_tried,
            "memory": {
                "changed": self.memory_changed,
                "neighbours": [
                    {
                        "entry_id": n.entry_id,
                        "article": n.article,
                        "serial": n.serial,
                        "similarity": round(n.similarity, 3),
                    }
                    for n in self.neighbours
                ],
            },
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }


def _top(candidates: Sequence[Candidate]) -> str:
    return candidates[0].marking if candidates else ""


def _clear(candidates: Sequence[Candidate]) -> bool:
    """The OCR read a catalog article clearly: no look-alike photo may override it."""
    return (
        bool(candidates)
        and bool(candidates[0].rows)
        and candidates[0].article_similarity >= THRESHOLDS.confident_similarity
    )


def _settled(candidates: Sequence[Candidate], history: list[str], views: int = THRESHOLDS.settled_after) -> bool:
    """The catalog article is clear and the last views added nothing: more will not either."""
    if len(history) < views or len(set(history[-views:])) != 1 or not candidates:
        return False
    return candidates[0].article_similarity >= THRESHOLDS.confident_similarity


def marking_block(marking: list[TextLine], lines: list[TextLine], reach: float = 2.0) -> list[TextLine]:
    """The marking's lines and the stamped lines packed around them (grade, heat number).

    People box the whole stamped block; a line joins when it sits within
    ``reach`` line heights of a line already in the block.
    """
    block = list(marking)
    others = [ln for ln in lines if ln.score >= 0.6 and sum(ch.isalnum() for ch in ln.text) >= 3]
    grown = True
    while grown:
        grown = False
        for line in others:
            if any(line is b for b in block):
                continue
            if any(line.distance_to(b) < reach * max(line.height, b.height) for b in block):
                block.append(line)
                grown = True
    return block


class Recognizer:
    """Reads markings with one OCR engine against one catalog; thread-safe to share."""

    def __init__(
        self,
        engine: OcrEngine,
        index: CatalogIndex,
        plan=DEFAULT_PLAN,
        memory=None,
        embedder=None,
        models: Models | None = None,
    ):
        self.engine = engine
        self.index = index
        self.models = models or Models.load()
        self.plan = plan
        self.memory = memory  # VisualMemory of confirmed photos, or None
        self.embedder = embedder

    def recognize(self, source: Photo | bytes | str | Path, exclude=None) -> Recognition:
        """Read one photo (or one already loaded); raises PhotoError for input that is not a usable photo.

        ``exclude(entry_id, article, serial)`` hides memory entries (leave-one-out evaluation).
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with timed(timings, "load"):
            photo = source if isinstance(source, Photo) else load_photo(source)
        lines: list[TextLine] = []
        tried: list[str] = []
        candidates: list[Candidate] = []
        variants: dict[str, Variant] = {}
        searched: set[int] = set()
        history: list[str] = []
        for name, make in self.plan:
            with timed(timings, "variants"):
                variant = make(photo.image, lines)
            if variant is None:
                continue
            tried.append(name)
            variants[variant.name] = variant
            lines += self._read_variant(variant, timings)
            candidates = self._match(lines, timings)
            if self._done(candidates, timings):
                break
            # An article without a sure serial: look closely around it.
            article_line = article_line_of(candidates)
            if article_line is not None and id(article_line) not in searched:
                searched.add(id(article_line))
                lines += self._read_neighbourhood(article_line, variants, timings)
                candidates = self._match(lines, timings)
                if self._done(candidates, timings):
                    break
            history.append(candidates[0].marking if candidates else "")
            if _settled(candidates, history):
                break
        # An article read without a serial: one may be stamped alone, where the detector boxed nothing.
        article_line = article_line_of(candidates)
        if article_line is not None and not candidates[0].serial and self.models.glyphs is not None:
            found = self.read_lone_digits(article_line, lines, variants, timings)
            if found:
                lines += found
                candidates = self._match(lines, timings)
        neighbours, changed, ocr_candidates = [], False, None
        # The memory is asked only about a photo the OCR read something on, and read unclearly.
        asked = bool(lines) and not _clear(candidates)
        if self.memory is not None and self.embedder is not None and len(self.memory) and asked:
            with timed(timings, "memory"):
                neighbours = self.memory.search(self.embedder.embed(photo.image), exclude=exclude)
                support = {skeleton(a): share for a, share in article_support(neighbours).items()}
                if support:
                    ocr_candidates = candidates
                    candidates = read_marking(lines, self.index, self.models.roles, memory=support)
                    changed = _top(candidates) != _top(ocr_candidates)
        with timed(timings, "assess"):
            for ranked in (candidates, ocr_candidates or []):
                assess(ranked, self.index, self.models.confidence)
            if changed:  # the memory broke the OCR's tie: a person confirms what it chose
                candidates[0].sure = False
            choices = likely_choices(candidates, self.index)
        timings["total"] = time.perf_counter() - t0
        return Recognition(
            candidates, lines, photo, timings, tried, neighbours, changed, ocr_candidates, variants, choices
        )

    @property
    def confidence(self):
        return self.models.confidence

    def _done(self, candidates: list[Candidate], timings: dict[str, float]) -> bool:
        """No further view is needed: the article is clear and so is the row it picks (every character
        that decides it read clearly, twice where one character decides), or its serial, read and
        agreed on, is one the table does not list, or it lists none. A rule, not the confidence
        model: what is read does not depend on how it is weighed."""
        if not candidates or candidates[0].article_similarity < THRESHOLDS.confident_similarity:
            return False
        best = candidates[0]
        if best.serial_listed:
            with timed(timings, "assess"):
                return clear_enough(best, candidates, self.index)
        if best.serial:
            return best.serial_support >= THRESHOLDS.sure_serial_support
        return not any(r.serial for r in best.rows)  # an article that has no serials

    def _match(self, lines: list[TextLine], timings: dict[str, float]) -> list[Candidate]:
        with timed(timings, "match"):
            return read_marking(lines, self.index, self.models.roles)

    def _read_neighbourhood(
        self, article_line: TextLine, variants: dict[str, Variant], timings: dict[str, float]
    ) -> list[TextLine]:
        """Read the strips beside, above and below the article line.

        A short serial (``1``, ``12``) stamped next to the article is often
        missed by the detector; recognizing the neighbouring strips finds it.
        """
        variant = variants.get(view_of(article_line))
        if variant is None or article_line.variant_quad is None:
            return []
        quads = neighbour_quads(article_line.variant_quad)
        turned = upside_down(article_line)
        with timed(timings, "neighbourhood"):
            crops = [crop_line(variant.image, q) for q in quads]
            texts = self.engine.recognize([half_turned(c) for c in crops] if turned else crops)
        readings = [(q, text, article_line.variant) for q, text in zip(quads, texts, strict=True)]
        return _lines(variant, readings, searched=True)

    def read_lone_digits(
        self, article_line: TextLine, lines: list[TextLine], variants: dict[str, Variant], timings: dict[str, float]
    ) -> list[TextLine]:
        """Numbers of one or two digits stamped alone round the article's block (``inference.lone_digits``),
        each as a line the glyph reader read, clearest first."""
        head = self.models.glyphs
        if head is None:  # no glyph reader: training reads every view without one
            return []
        with timed(timings, "lone digits"):
            windows, crops, variant = lone_digit_windows(article_line, lines, variants)
            if not crops:
                return []
            probabilities = head.probabilities(self.engine.window_features(crops))
        found = lone_serials(windows, probabilities, floor=THRESHOLDS.glyph_floor)[: THRESHOLDS.glyph_candidates]
        return [glyph_line(serial, variant, article_line.variant) for serial in found]

    def _read_variant(self, variant: Variant, timings: dict[str, float]) -> list[TextLine]:
        with timed(timings, "detect"):
            quads = self.engine.detect(variant.image)
        if not quads:
            return []
        with timed(timings, "recognize"):
            crops = [crop_line(variant.image, q) for q in quads]
            upright = self.engine.recognize(crops)
            # A crop read with high confidence is the right way up; only the
            # others are also read turned half round.
            unsure = [i for i, text in enumerate(upright) if text.score < THRESHOLDS.sure_line_score]
            turned = self.engine.recognize([half_turned(crops[i]) for i in unsure])
        readings = [(quads[i], text, variant.name) for i, text in enumerate(upright)]
        readings += [(quads[i], text, variant.name + TURNED_180) for i, text in zip(unsure, turned, strict=True)]
        return _lines(variant, readings)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the time the block takes to ``timings[stage]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def lone_digit_windows(
    article_line: TextLine, lines: list[TextLine], variants: dict[str, Variant]
) -> tuple[list[Window], list[np.ndarray], Variant | None]:
    """The windows the glyph reader scans round the article's block, their crops (read as the article's
    line is read), and the view they lie on."""
    view = view_of(article_line)
    variant = variants.get(view)
    if variant is None or article_line.variant_quad is None or article_line.parts:
        return [], [], None
    on_view = [ln for ln in lines if view_of(ln) == view and ln.variant_quad is not None and not ln.searched]
    # the block as all views see it, then its lines on this one
    quads = [ln.variant_quad for ln in on_view if ln.variant_quad is not None]
    block = [
        (ln.variant_quad, ln.text)
        for ln in marking_block([article_line], lines)
        if ln.variant_quad is not None and any(ln is o for o in on_view)
    ]
    windows = scan_windows(article_line.variant_quad, block, quads, upside_down(article_line))
    return windows, [straightened(variant.image, w.quad) for w in windows], variant


def glyph_line(serial: LoneSerial, variant: Variant | None, read_as: str) -> TextLine:
    """Digits the glyph reader found where the detector boxed nothing (on ``variant``; None: the quad
    is on the photo already), as a line."""
    quad = serial.quad.astype(np.float64)
    if read_as.endswith(TURNED_180):  # the windows ran the way the text reads: back to the view's corner order
        quad = quad[[2, 3, 0, 1]]
    on_photo = (variant.to_photo(quad) if variant is not None else quad).astype(np.float32)
    scores = (serial.score,) * len(serial.digits)
    on_view = quad.astype(np.float32) if variant is not None else None
    alternatives = ((serial.runner_up, serial.runner_up_score),) if serial.runner_up else ()
    return TextLine(
        serial.digits,
        serial.score,
        on_photo,
        read_as,
        (),
        on_view,
        scores,
        searched=True,
        unboxed=True,
        alternatives=alternatives,
    )


def _lines(
    variant: Variant, readings: list[tuple[np.ndarray, RecognizedText, str]], searched: bool = False
) -> list[TextLine]:
    """Readings (box in the variant, text, variant name) worth keeping, as lines on the photo."""
    lines = []
    for quad, text, name in readings:
        if text.score >= THRESHOLDS.min_line_score and text.text.strip():
            on_photo = variant.to_photo(quad.astype(np.float64)).astype(np.float32)
            chars = text.char_scores, searched, text.char_positions
            lines.append(TextLine(text.text.strip(), text.score, on_photo, name, (), quad, *chars))
    return lines


def article_line_of(candidates: Sequence[Candidate]) -> TextLine | None:
    """The line the best catalog candidate's article was read from, if any."""
    if not candidates or not candidates[0].rows or candidates[0].article_similarity < THRESHOLDS.article_min_similarity:
        return None
    line = candidates[0].lines[0]
    return None if line.parts else line


def neighbour_quads(quad: np.ndarray) -> list[np.ndarray]:
    """Boxes the size of ``quad`` just past each of its four sides."""
    along = quad[1] - quad[0]
    across = quad[3] - quad[0]
    # Grow the box a little across the text: a serial may be taller than the article.
    grown = quad + np.outer([-1, -1, 1, 1], across) * 0.15
    return [
        (grown + across * 1.15).astype(np.float32),
        (grown - across * 1.15).astype(np.float32),
        (grown + along * 0.75).astype(np.float32),
        (grown - along * 0.75).astype(np.float32),
    ]
