"""Training with the part family held out: every photo read by models that never saw its family.

For each part family in turn, the glyph reader's head and the serial model are
fitted on the other families' photos and that family's photos are read with
them; the confidence model is then fitted, again family by family, on the
readings of the other families. The figures say how the reader does on a family
it was never fitted on, the way it meets a new plant's parts. The shipped
models are the same fits on every photo (the confidence model on the readings
made family-out).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from inference.catalog import CatalogIndex
from inference.choices import likely_choices
from inference.confidence import ConfidenceModel, assess, evidence
from inference.glyphs import TEXT, GlyphHead
from inference.logistic import Logistic
from inference.models import Models
from inference.photo import PhotoError
from inference.pipeline import Recognition, Recognizer
from inference.roles import RoleModel
from inference.scoring import PhotoScore, expected_calibration_error, percentile, reliability, score_reading
from inference.training.confidence_fit import Reading, fit_confidence
from inference.training.glyph_fit import fit_head
from inference.training.harvest import PhotoData, harvest
from inference.training.labelled import LabelledPhoto
from inference.training.serial_fit import fit_roles, photo_tokens

Log = Callable[[str], None]
UNWEIGHED = ConfidenceModel(Logistic({}, 0.0, {}, {}), 0.5, Logistic({}, 0.0, {}, {}), 1.0)  # calls nothing sure


@dataclass(slots=True)
class PhotoResult:
    """One labelled photo as a reader read it."""

    photo: LabelledPhoto
    recognition: Recognition | None  # None: the photo could not be read
    seconds: float
    evidence: dict[str, float] = field(default_factory=dict)

    @property
    def marking(self) -> str:
        return self.recognition.marking if self.recognition else ""

    @property
    def right(self) -> bool:
        return self.marking == self.photo.truth

    @property
    def sure(self) -> bool:
        return bool(self.recognition and self.recognition.sure)

    @property
    def probability(self) -> float:
        return self.recognition.probability if self.recognition else 0.0

    @property
    def choices(self) -> list[str]:
        return [c.marking for c in self.recognition.choices] if self.recognition else []

    def score(self) -> PhotoScore:
        boxes = self.recognition.yolo_boxes() if self.recognition else []
        return score_reading(self.photo.truth, self.photo.boxes, self.marking, boxes)


def read_all(
    photos: Sequence[LabelledPhoto], recognizer_for: Callable[[LabelledPhoto], Recognizer]
) -> list[PhotoResult]:
    """Each photo read by its own recognizer; the views it read are let go."""
    results = []
    for photo in photos:
        recognizer = recognizer_for(photo)
        start = time.perf_counter()
        try:
            recognition = recognizer.recognize(photo.source)
        except (PhotoError, OSError):
            recognition = None
        seconds = time.perf_counter() - start
        if recognition is not None:
            recognition.variants = {}
        result = PhotoResult(photo, recognition, seconds)
        if recognition is not None and recognition.best is not None:
            result.evidence = evidence(recognition.best, recognition.candidates, recognizer.index)
        results.append(result)
    return results


def reweigh(results: Sequence[PhotoResult], model: ConfidenceModel, index: CatalogIndex) -> None:
    """Weigh the readings with ``model``: probabilities, sure, and the choices offered."""
    for result in results:
        recognition = result.recognition
        if recognition is None or not recognition.candidates:
            continue
        assess(recognition.candidates, index, model)
        if recognition.memory_changed:
            recognition.candidates[0].sure = False
        recognition.choices = likely_choices(recognition.candidates, index)


@dataclass(slots=True)
class Trained:
    """The models fitted on every photo, and each photo as read by models fitted without its family."""

    glyph_head: bytes
    roles: RoleModel
    confidence: ConfidenceModel
    results: list[PhotoResult]
    fit_seconds: float

    def models(self) -> Models:
        return Models(self.roles, GlyphHead(self.glyph_head), self.confidence)


def harvest_all(
    photos: Sequence[LabelledPhoto], recognizer: Recognizer, seed: int = 0, log: Log = lambda _: None
) -> list[PhotoData]:
    """Every photo read with every view, cut into what the fits learn from (``inference.training.harvest``)."""
    reader = Recognizer(recognizer.engine, recognizer.index, models=Models(None, None, UNWEIGHED))
    data: list[PhotoData] = []
    for number, photo in enumerate(photos, 1):
        try:
            data.append(harvest(photo, reader, recognizer.index, seed))
        except (PhotoError, OSError) as exc:
            log(f"{photo.name}: {exc}")
        if number % 20 == 0 or number == len(photos):
            log(f"read {number} of {len(photos)} photos with every view")
    return data


def train(photos: Sequence[LabelledPhoto], recognizer: Recognizer, seed: int = 0, log: Log = lambda _: None) -> Trained:
    """Fit the three models on ``photos``, reading each family with models fitted without it."""
    start = time.perf_counter()
    return fit_all(harvest_all(photos, recognizer, seed, log), recognizer, seed, log, start)


def fit_all(
    data: Sequence[PhotoData], recognizer: Recognizer, seed: int = 0, log: Log = lambda _: None, start: float = 0.0
) -> Trained:
    """The fits on harvested photos, each family held out in turn, then on all of them."""
    start = start or time.perf_counter()
    engine, index = recognizer.engine, recognizer.index
    families = sorted({d.photo.family for d in data})
    features = np.concatenate([d.glyph_features for d in data])
    labels = np.concatenate([d.glyph_labels for d in data])
    family_of_sample = np.concatenate([[d.photo.family] * len(d.glyph_labels) for d in data])
    digits = int((labels < TEXT).sum())
    log(f"{len(labels)} glyph windows ({digits} digits) from {len(data)} photos, {len(families)} families")
    heads = {}
    for family in families:
        keep = family_of_sample != family
        heads[family] = GlyphHead(fit_head(features[keep], labels[keep], seed))
    tokens = [photo_tokens(d, index, heads[d.photo.family]) for d in data]
    roles = {f: fit_roles([t for t in tokens if t is not None and t.family != f]) for f in families}
    log(f"glyph heads and serial models fitted for {len(families)} families held out")
    by_family = {f: Recognizer(engine, index, models=Models(roles[f], heads[f], UNWEIGHED)) for f in families}
    kept = [d.photo for d in data]
    results = read_all(kept, lambda photo: by_family[photo.family])
    readings = [Reading(r.evidence, r.right, r.photo.family) for r in results if r.evidence]
    characters: dict[str, list] = {d.photo.family: [] for d in data}
    for d in data:
        characters[d.photo.family] += d.characters
    for family in families:
        others = [c for f, chars in characters.items() if f != family for c in chars]
        model = fit_confidence([r for r in readings if r.family != family], others)
        reweigh([r for r in results if r.photo.family == family], model, index)
    log("every photo read by models fitted without its family")
    head = fit_head(features, labels, seed)
    role_model = fit_roles([t for t in tokens if t is not None])
    confidence = fit_confidence(readings, [c for chars in characters.values() for c in chars])
    return Trained(head, role_model, confidence, results, time.perf_counter() - start)


def summary(results: Sequence[PhotoResult]) -> dict:
    """The figures of a set of readings: the score and its parts, trust, choices, lone serials, latency."""
    n = len(results) or 1
    scores = [r.score() for r in results]
    right = [r.right for r in results]
    sure = [r.sure for r in results]
    misses = [r for r in results if not r.right]
    lone = [r for r in results if 0 < len(r.photo.serial) <= 2]
    seconds = sorted(r.seconds for r in results)
    called = sum(sure)
    wrong_sure = sum(s and not ok for s, ok in zip(sure, right, strict=True))
    figures = {
        "n": len(results),
        "score": _mean(s.score for s in scores),
        "iou": _mean(s.iou for s in scores),
        "char": _mean(s.char for s in scores),
        "exact": _mean(s.exact for s in scores),
        "exact_folded": _mean(s.exact_folded for s in scores),
        "sure_share": round(called / n, 4),
        "wrong_sure": round(wrong_sure / n, 4),
        "wrong_among_sure": round(wrong_sure / called, 4) if called else 0.0,
        "ece": round(expected_calibration_error([r.probability for r in results], right), 4),
        "misses": len(misses),
        "choice3_of_misses": round(sum(r.photo.truth in r.choices[:3] for r in misses) / len(misses), 4)
        if misses
        else 1.0,
        "lone_serials": len(lone),
        "lone_right": round(sum(r.right for r in lone) / len(lone), 4) if lone else 0.0,
        "p50_s": round(percentile(seconds, 50), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "reliability": [
            {
                "from": b.low,
                "to": b.high,
                "photos": b.count,
                "predicted": round(b.predicted, 3),
                "observed": round(b.observed, 3),
            }
            for b in reliability([r.probability for r in results], right)
        ],
    }
    return figures


def by_family(results: Sequence[PhotoResult]) -> dict[str, dict]:
    groups: dict[str, list[PhotoResult]] = defaultdict(list)
    for r in results:
        groups[r.photo.family].append(r)
    keys = ("n", "score", "exact", "sure_share", "wrong_sure", "lone_serials", "lone_right", "choice3_of_misses")
    return {family: {k: summary(group)[k] for k in keys} for family, group in sorted(groups.items())}


def _mean(values) -> float:
    values = list(values)
    return round(float(sum(values) / len(values)), 4) if values else 0.0
