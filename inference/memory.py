"""Visual memory of confirmed parts: nearest-photo search and a cautious vote.

Every confirmed photo leaves its embedding with the confirmed article and
serial. A new photo's nearest neighbours support articles, weighted by
similarity; the support is one more piece of evidence in the reading, never
the last word: one entry alone supports nothing.

Search is exact (every entry compared) while the memory is small; from
``ANN_FROM`` entries an inverted-file index (faiss IVF) answers instead,
comparing only the entries in the clusters nearest the query. Vectors are
kept as 16-bit floats: 768 bytes an entry. ``scripts/bench_memory.py``
measured the crossover and the cost at 1,000,000 entries.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import faiss
import numpy as np

NEIGHBOURS = 10
MIN_SIMILARITY = 0.5  # below this a neighbour does not vote
MIN_VOTERS = 2  # an article needs this many agreeing neighbours
ANN_FROM = 50_000  # entries from which the approximate index answers
PROBES = 16  # clusters an approximate search looks in

Exclude = Callable[[int, str, str], bool]  # (entry id, article, serial) -> hide this entry?


@dataclass(frozen=True, slots=True)
class Neighbour:
    entry_id: int
    article: str
    serial: str
    similarity: float


def _exact_index(dimension: int) -> faiss.Index:
    store = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexIDMap2(store)


def _approximate_index(dimension: int, vectors: np.ndarray, ids: np.ndarray) -> faiss.Index:
    """IVF over fp16 codes: about 4·√n clusters (and 39 training vectors for each, as faiss asks)."""
    clusters = max(1, min(int(4 * math.sqrt(len(vectors))), len(vectors) // 39))
    coarse = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        coarse, dimension, clusters, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    enough = 64 * clusters
    sample = (
        vectors
        if len(vectors) <= enough
        else vectors[np.random.default_rng(0).choice(len(vectors), enough, replace=False)]
    )
    index.train(sample)
    index.add_with_ids(vectors, ids)
    index.nprobe = PROBES
    return index


class VisualMemory:
    """Embeddings of confirmed photos by entry id; thread-safe."""

    def __init__(self, dimension: int = 384, ann_from: int = ANN_FROM):
        self.dimension = dimension
        self.ann_from = ann_from
        self._index = _exact_index(dimension)
        self._labels: dict[int, tuple[str, str]] = {}  # entry id -> (article, serial)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._labels)

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def labels(self) -> Iterable[tuple[str, str]]:
        return list(self._labels.values())

    def add(self, entry_id: int, vector: np.ndarray, article: str, serial: str = "") -> None:
        self.add_many([entry_id], vector[None], [(article, serial)])

    def add_many(self, ids: list[int], vectors: np.ndarray, labels: list[tuple[str, str]]) -> None:
        """Add (or replace) entries; builds the approximate index once the memory is large enough."""
        ids_array = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            self._index.remove_ids(ids_array)
            self._index.add_with_ids(vectors, ids_array)
            for entry_id, (article, serial) in zip(ids, labels, strict=True):
                self._labels[entry_id] = (sys.intern(article), serial)
            if not self.approximate and len(self._labels) >= self.ann_from:
                self._index = self._rebuilt_approximate()

    def _rebuilt_approximate(self) -> faiss.Index:
        ids = faiss.vector_to_array(self._index.id_map)
        vectors = self._index.index.reconstruct_n(0, self._index.ntotal)
        return _approximate_index(self.dimension, vectors, ids)

    def remove(self, entry_id: int) -> bool:
        with self._lock:
            if self._labels.pop(entry_id, None) is None:
                return False
            self._index.remove_ids(np.array([entry_id], dtype=np.int64))
            return True

    def search(self, vector: np.ndarray, k: int = NEIGHBOURS, exclude: Exclude | None = None) -> list[Neighbour]:
        """The ``k`` most similar entries (cosine), skipping those ``exclude`` hides."""
        query = np.ascontiguousarray(vector, dtype=np.float32)[None]
        asked = k
        while True:
            with self._lock:
                total = len(self._labels)
                similarities, ids = self._index.search(query, min(asked, total)) if total else ([[]], [[]])
                found = [
                    Neighbour(int(i), *self._labels[int(i)], float(s))
                    for s, i in zip(similarities[0], ids[0], strict=True)
                    if i >= 0 and int(i) in self._labels
                ]
            if exclude is not None:
                found = [n for n in found if not exclude(n.entry_id, n.article, n.serial)]
            if len(found) >= k or asked >= total:
                return found[:k]
            asked *= 4


def article_support(neighbours: list[Neighbour]) -> dict[str, float]:
    """Each article's share of the neighbours' similarity, for articles enough neighbours agree on.

    Only neighbours at ``MIN_SIMILARITY`` or more count, and an article needs
    ``MIN_VOTERS`` of them: one entry alone (perhaps mislabeled) supports nothing.
    """
    weights: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for n in neighbours:
        if n.similarity >= MIN_SIMILARITY:
            weights[n.article] += n.similarity
            counts[n.article] += 1
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items() if counts[a] >= MIN_VOTERS}
