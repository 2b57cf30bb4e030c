"""The confidence model, fitted on readings whose rightness is known.

Characters first: how often the recognizer reads a character right at each of
its scores, from every character of the lines that read a label (thousands).
A corroborated reading's probability is the chance that each character that
picks its row was read right, times ``base``: how often such readings are right
beyond what their characters say (a mislabelled photo, a wrong number taken).
The other readings get the serial model's probability, calibrated (a logistic
on it, its L2 strength chosen by cross-validation that holds out whole part
families). More of the evidence (the article's similarity, a serial missing,
unlisted or found by the second search) fitted these readings closer but
carried worse to families left out of the fit. ``sure_from`` keeps the promise:
the readings called sure expect at most ``PROMISE`` of them wrong.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.confidence import ConfidenceModel
from inference.logistic import Logistic, fit_logistic, log_loss

PROMISE = 0.05  # a reading called sure is wrong at most one time in twenty, as its own probabilities expect
STRENGTHS = (0.3, 1.0, 3.0, 10.0, 30.0)

# Readings that are not corroborated are weighed by the serial model's probability of the number taken.
OTHER_FEATURES = ("serial_probability",)


@dataclass(frozen=True, slots=True)
class Reading:
    """One photo's reading: its evidence, whether it was right, its part family."""

    evidence: dict[str, float]
    right: bool
    family: str


def _fit(readings: Sequence[Reading], features: tuple[str, ...], strength: float) -> Logistic:
    x = np.array([[r.evidence[f] for f in features] for r in readings], dtype=float).reshape(len(readings), -1)
    y = np.array([float(r.right) for r in readings])
    return fit_logistic(x, y, features, strength)


def _part(readings: Sequence[Reading], features: tuple[str, ...]) -> tuple[Logistic, np.ndarray]:
    """The part's model on all ``readings`` and each reading's probability from a fit without its family."""
    y = np.array([float(r.right) for r in readings])
    best: tuple[float, float, np.ndarray] | None = None
    for strength in STRENGTHS if features else (1.0,):
        held = np.full(len(readings), float(y.mean()) if len(y) else 0.5)
        for family in {r.family for r in readings}:
            train = [r for r in readings if r.family != family]
            if train:
                model = _fit(train, features, strength)
                for k, r in enumerate(readings):
                    if r.family == family:
                        held[k] = model.probability(r.evidence)
        loss = log_loss(held, y) if len(y) else 0.0
        if best is None or loss < best[0]:
            best = (loss, strength, held)
    assert best is not None
    return _fit(readings, features, best[1]), best[2]


def fit_characters(characters: Sequence[tuple[float, bool]]) -> Logistic:
    """How often a character read at each score is right: logistic on the score's log-odds."""
    scores = np.clip(np.array([s for s, _ in characters], dtype=float), 1e-4, 1 - 1e-6)
    x = np.log(scores / (1 - scores)).reshape(-1, 1)
    y = np.array([float(r) for _, r in characters])
    return fit_logistic(x, y, ("char_logit",), 1.0)


def fit_confidence(readings: Sequence[Reading], characters: Sequence[tuple[float, bool]]) -> ConfidenceModel:
    """The confidence model on ``readings``, characters weighed as ``characters`` (score, right) say."""
    blank = Logistic({}, 0.0, {}, {})
    chars = fit_characters(characters)
    weighing = ConfidenceModel(chars, 1.0, blank, 1.0)
    readings = [Reading(weighing.weighed(r.evidence), r.right, r.family) for r in readings]
    corroborated = [r for r in readings if r.evidence["corroborated"]]
    expected = sum(math.exp(r.evidence["deciding_log"]) for r in corroborated)
    base = min(1.0, sum(r.right for r in corroborated) / expected) if expected else 1.0
    others = [r for r in readings if not r.evidence["corroborated"]]
    other = _part(others, OTHER_FEATURES)[0] if others else blank
    wrong = sum(not r.right for r in corroborated)
    sure_from = promised([min(1.0, base * math.exp(r.evidence["deciding_log"])) for r in corroborated])
    notes = (
        f"{len(characters)} characters; {len(readings)} readings, {len(corroborated)} corroborated ({wrong} wrong): "
        f"right {base:.3f} times as often as their characters say; sure from {sure_from}, where the readings "
        f"called sure expect at most {PROMISE} of them wrong"
    )
    return ConfidenceModel(chars, round(base, 5), other, sure_from, notes)


def promised(probabilities: Sequence[float], promise: float = PROMISE) -> float:
    """The lowest probability from which the readings called sure expect at most ``promise`` of them wrong
    (the mean of 1 - p over them): the promise "уверенно" makes, kept by the probabilities themselves."""
    best = 1.0
    ordered = sorted(probabilities, reverse=True)
    for k in range(1, len(ordered) + 1):
        if float(np.mean([1.0 - p for p in ordered[:k]])) > promise:
            break
        best = round(ordered[k - 1], 3)
    return best
