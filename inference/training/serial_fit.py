"""The serial model, fitted on the numbers read round labelled articles.

Each photo is one choice: among the numbers read round its labelled article
(the words of its lines), or none of them, the label's. The L2 strength, and the
chances from which the likeliest number read, or else the clearest number the
glyph reader found stamped alone, is taken, are chosen by cross-validation that
holds out whole part families, so they are set by how the model does on families
it did not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from Levenshtein import ratio

from inference.catalog import CatalogIndex
from inference.glyphs import GlyphHead
from inference.lone_digits import lone_serials
from inference.roles import FEATURES, NONE_FEATURES, RoleModel
from inference.serials import score_serials, taken_alone
from inference.settings import THRESHOLDS
from inference.training.harvest import PhotoData

STRENGTHS = (0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(slots=True)
class PhotoTokens:
    """The numbers round one photo's labelled article: their evidence, which one is the serial."""

    family: str
    serial: str  # the label's ("" for a marking without one)
    tokens: list[str]
    facts: np.ndarray  # tokens x FEATURES
    lists_none: bool  # the article lists no serials
    article: str = ""  # the label's article
    listed: frozenset[str] = frozenset()  # the serials the table lists for the article
    stamped_alone: list[tuple[str, float]] = field(default_factory=list)  # the glyph reader's finds, with scores

    @property
    def target(self) -> np.ndarray:
        """Which options (the tokens, then none) are the right choice."""
        hits = [bool(self.serial) and t == self.serial for t in self.tokens]
        return np.array([*hits, not any(hits)], dtype=float)


def photo_tokens(data: PhotoData, index: CatalogIndex, head: GlyphHead | None) -> PhotoTokens | None:
    """The numbers read round one photo's labelled article, and those the glyph reader (``head``) finds
    stamped alone; None where the article was not read."""
    if data.article is None:
        return None
    entry = index.entries[data.article.key]
    scored, _ = score_serials(entry, data.article.line, data.article.rest, data.lines, index.serial_lengths, None)
    facts = np.array([[s.facts[f] for f in FEATURES] for s in scored], dtype=float).reshape(len(scored), len(FEATURES))
    found = []
    if head is not None and data.scan:
        serials = lone_serials(data.scan, head.probabilities(data.scan_features), floor=THRESHOLDS.glyph_floor)
        found = [(s.digits, s.score) for s in serials[: THRESHOLDS.glyph_candidates]]
    return PhotoTokens(
        data.photo.family,
        data.photo.serial,
        [s.token.serial for s in scored],
        facts,
        not entry.serials,
        data.photo.article,
        frozenset(entry.serials),
        found,
    )


def _options(photo: PhotoTokens, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The photo's options as rows: each token's standardized evidence, then "none"."""
    d = len(FEATURES)
    rows = np.zeros((len(photo.tokens) + 1, d + len(NONE_FEATURES)))
    rows[:-1, :d] = (photo.facts - mean) / scale
    rows[-1, d:] = [1.0, float(photo.lists_none)]
    return rows


def _fit(photos: Sequence[PhotoTokens], strength: float) -> RoleModel:
    """The choice model by Newton's method (L2 on every weight but the plain one of "none")."""
    facts = np.vstack([p.facts for p in photos]) if photos else np.zeros((0, len(FEATURES)))
    mean = facts.mean(axis=0) if len(facts) else np.zeros(len(FEATURES))
    scale = facts.std(axis=0) if len(facts) else np.ones(len(FEATURES))
    scale[scale < 1e-9] = 1.0
    options = [(_options(p, mean, scale), p.target) for p in photos]
    size = len(FEATURES) + len(NONE_FEATURES)
    penalty = strength * np.eye(size)
    penalty[len(FEATURES), len(FEATURES)] = 1e-6
    w = np.zeros(size)

    def loss(w: np.ndarray) -> float:
        total = 0.5 * w @ penalty @ w
        for rows, target in options:
            u = rows @ w
            top = u.max()
            total -= np.log(np.exp(u - top)[target > 0].sum()) - np.log(np.exp(u - top).sum())
        return float(total)

    current = loss(w)
    for _ in range(60):
        gradient, hessian = penalty @ w, penalty.copy()
        for rows, target in options:
            u = rows @ w
            p = np.exp(u - u.max())
            p /= p.sum()
            q = p * target
            q /= q.sum()
            gradient += rows.T @ (p - q)
            hessian += rows.T @ (rows * p[:, None]) - np.outer(rows.T @ p, rows.T @ p)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(size), gradient)
        for _ in range(20):  # halve the step until the loss falls
            trial = loss(w - step)
            if trial <= current:
                break
            step /= 2
        w, improved = w - step, current - trial
        current = trial
        if abs(improved) < 1e-7:
            break
    names = FEATURES + NONE_FEATURES
    return RoleModel(
        weights={f: round(float(v), 5) for f, v in zip(names, w, strict=True)},
        mean={f: round(float(v), 5) for f, v in zip(FEATURES, mean, strict=True)},
        scale={f: round(float(v), 5) for f, v in zip(FEATURES, scale, strict=True)},
    )


def chances(model: RoleModel, photo: PhotoTokens) -> tuple[str, float, float]:
    """The likeliest number ``model`` sees for ``photo``, its chance (summed over its readings),
    and the chance of the right choice (the label's serial, or none where it was not read)."""
    facts = [dict(zip(FEATURES, row, strict=True)) for row in photo.facts]
    token_chances, none = model.probabilities(facts, photo.lists_none)
    by_serial: dict[str, float] = {}
    for token, p in zip(photo.tokens, token_chances, strict=True):
        by_serial[token] = by_serial.get(token, 0.0) + p
    best = max(by_serial, key=lambda t: (by_serial[t], t), default="")
    truth = photo.serial if photo.serial in by_serial else ""
    return best, by_serial.get(best, 0.0), (by_serial[truth] if truth else none)


def taken(photo: PhotoTokens, best: str, chance: float, take_from: float, glyph_from: float) -> str:
    """The serial read for ``photo``: the likeliest number from ``take_from``, else the glyph reader's
    clearest find (one the table lists first) from ``glyph_from``, else none."""
    if best and chance >= take_from:
        return best
    k = taken_alone(photo.stamped_alone, photo.listed, glyph_from)
    return "" if k is None else photo.stamped_alone[k][0]


def _score(photo: PhotoTokens, serial: str) -> float:
    """The score of the marking with ``serial`` read, the article taken as right."""
    truth, read = f"{photo.article} {photo.serial}".strip(), f"{photo.article} {serial}".strip()
    return 0.65 * ratio(f'"{truth}"', f'"{read}"') + 0.30 * (truth == read)


def fit_roles(photos: Sequence[PhotoTokens]) -> RoleModel:
    """The serial model on every photo's numbers. Its L2 strength, and the chances from which a number
    read or found alone is taken, are chosen by family-out cross-validation: the strength that makes
    the right choice likeliest, the thresholds that score the markings best."""
    photos = [p for p in photos if len(p.tokens) or p.stamped_alone]
    families = sorted({p.family for p in photos})
    held: dict[float, list[tuple[str, float]]] = {}
    likelihood: dict[float, float] = {}
    for strength in STRENGTHS if len(families) > 1 else (1.0,):
        held[strength], likelihood[strength] = [("", 0.0)] * len(photos), 0.0
        for family in families:
            train = [p for p in photos if p.family != family and len(p.tokens)]
            model = _fit(train, strength) if train else None
            for k, photo in enumerate(photos):
                if photo.family == family and model is not None and len(photo.tokens):
                    best, chance, right = chances(model, photo)
                    held[strength][k] = (best, chance)
                    likelihood[strength] += float(np.log(max(right, 1e-6)))
    strength = max(likelihood, key=lambda s: likelihood[s])
    grid = [(round(t, 2), round(g, 2)) for t in np.arange(0.05, 0.96, 0.05) for g in np.arange(0.5, 1.0, 0.02)]

    def total(thresholds: tuple[float, float]) -> float:
        return sum(_score(p, taken(p, *h, *thresholds)) for p, h in zip(photos, held[strength], strict=True))

    # the best score; of equals, the surest (fewest numbers taken)
    take_from, glyph_from = max(grid, key=lambda t: (round(total(t), 6), t))
    right = sum(taken(p, *h, take_from, glyph_from) == p.serial for p, h in zip(photos, held[strength], strict=True))
    model = _fit([p for p in photos if len(p.tokens)], strength)
    notes = (
        f"{len(photos)} photos, {sum(len(p.tokens) for p in photos)} numbers; L2 {strength}; the likeliest number "
        f"taken from {take_from}, else the glyph reader's find from {glyph_from}: {right} of {len(photos)} serials "
        "right, each photo read by a model fitted without its part family"
    )
    return RoleModel(model.weights, model.mean, model.scale, take_from, glyph_from, notes)
