"""Visual memory of confirmed parts: exact cosine search and a cautious vote.

Every confirmed photo leaves its embedding with the confirmed article and
serial. A new photo's nearest neighbours vote for an article, weighted by
similarity; the vote is one more piece of evidence, never the last word:
a clear OCR reading is not overridden, and one entry alone cannot decide.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

NEIGHBOURS = 5
MIN_SIMILARITY = 0.5  # below this a neighbour does not vote
MIN_VOTERS = 2  # an article needs this many agreeing neighbours
MIN_SHARE = 0.6  # ... and this share of the total vote


@dataclass(frozen=True, slots=True)
class Neighbour:
    ref: str  # what the entry came from: a scan id or a photo file name
    article: str
    serial: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Vote:
    article: str
    weight: float  # summed similarity of the neighbours that chose it
    share: float  # of all the neighbours' weight
    voters: int


class VisualMemory:
    """Embeddings of confirmed photos, searched exactly (a matrix product)."""

    def __init__(self, dimension: int = 384):
        self.dimension = dimension
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._entries: list[tuple[str, str, str]] = []  # (ref, article, serial)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, ref: str, vector: np.ndarray, article: str, serial: str = "") -> None:
        self.remove(ref)
        self._vectors = np.vstack([self._vectors, vector.astype(np.float32)[None]])
        self._entries.append((ref, article, serial))

    def remove(self, ref: str) -> bool:
        keep = [i for i, entry in enumerate(self._entries) if entry[0] != ref]
        if len(keep) == len(self._entries):
            return False
        self._vectors = self._vectors[keep]
        self._entries = [self._entries[i] for i in keep]
        return True

    def search(self, vector: np.ndarray, k: int = NEIGHBOURS, exclude=None) -> list[Neighbour]:
        """The ``k`` most similar entries (cosine), optionally skipping those ``exclude(entry)`` rejects."""
        if not self._entries:
            return []
        similarities = self._vectors @ vector.astype(np.float32)
        order = np.argsort(-similarities)
        found = []
        for i in order:
            ref, article, serial = self._entries[i]
            if exclude is not None and exclude(ref, article, serial):
                continue
            found.append(Neighbour(ref, article, serial, float(similarities[i])))
            if len(found) == k:
                break
        return found


def vote(neighbours: list[Neighbour]) -> Vote | None:
    """The article the neighbours agree on, if they agree enough; else None."""
    weights: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for n in neighbours:
        if n.similarity >= MIN_SIMILARITY:
            weights[n.article] += n.similarity
            counts[n.article] += 1
    total = sum(weights.values())
    if not total:
        return None
    article = max(weights, key=lambda a: (weights[a], a))
    share = weights[article] / total
    if counts[article] < MIN_VOTERS or share < MIN_SHARE:
        return None
    return Vote(article, weights[article], share, counts[article])
