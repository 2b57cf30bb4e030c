"""Visual memory of confirmed parts: nearest-photo search and a cautious vote.

Every confirmed photo leaves its embedding with the confirmed article and
serial. A new photo's nearest neighbours support articles, weighted by
similarity; the support is one more piece of evidence in the reading, never
the last word: one entry alone supports nothing.

Search is exact (every entry compared) while the memory is small; from
``ANN_FROM`` entries a faiss HNSW graph answers instead. Vectors are kept as
16-bit floats (768 bytes an entry). ``scripts/bench_memory.py`` measured the
crossover, recall and cost up to 1,000,000 entries.
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from inference.settings import THRESHOLDS

if TYPE_CHECKING:
    import faiss

ANN_FROM = 50_000  # entries from which the HNSW graph answers instead of exact search
HNSW_LINKS = 32  # graph degree (M); 16 measured far lower recall on photo embeddings
HNSW_BUILD_DEPTH = 64  # efConstruction
HNSW_SEARCH_DEPTH = 256  # efSearch: recall@10 0.86 at 64, 0.95 at 256 on 200,000 entries ...
HNSW_DEPTH_PER_ENTRIES = 1000  # ... and one more step per 1,000 entries beyond 256,000: the graph gets crowded

Exclude = Callable[[int, str, str], bool]  # (entry id, article, serial) -> hide this entry?


@dataclass(frozen=True, slots=True)
class Neighbour:
    entry_id: int
    article: str
    serial: str
    similarity: float


def _faiss():
    """faiss, imported when a memory is first built: reading without a memory does not need it."""
    import faiss

    return faiss


def _new_index(dimension: int, approximate: bool) -> faiss.Index:
    faiss = _faiss()
    fp16 = faiss.ScalarQuantizer.QT_fp16
    if not approximate:
        return faiss.IndexScalarQuantizer(dimension, fp16, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexHNSWSQ(dimension, fp16, HNSW_LINKS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_BUILD_DEPTH
    index.hnsw.efSearch = HNSW_SEARCH_DEPTH
    return index


class VisualMemory:
    """Embeddings of confirmed photos by entry id; thread-safe.

    faiss numbers the vectors 0, 1, 2...; a removed or replaced entry leaves
    a dead slot that searches skip, and the index is rebuilt without them
    once a fifth of the slots are dead.
    """

    def __init__(self, dimension: int = 384, ann_from: int = ANN_FROM):
        self.dimension = dimension
        self.ann_from = ann_from
        self._index = _new_index(dimension, approximate=False)
        self._entry_at: list[int] = []  # slot -> entry id, -1 when dead
        self._dead: set[int] = set()  # dead slots
        self._slot_of: dict[int, int] = {}
        self._labels: dict[int, tuple[str, str]] = {}  # entry id -> (article, serial)
        self._search_parameters = None  # skip dead slots, search depth; made again on every change
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._labels)

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, _faiss().IndexHNSW)

    def labels(self) -> Iterable[tuple[str, str]]:
        return list(self._labels.values())

    def add(self, entry_id: int, vector: np.ndarray, article: str, serial: str = "") -> None:
        self.add_many([entry_id], vector[None], [(article, serial)])

    def add_many(self, ids: list[int], vectors: np.ndarray, labels: list[tuple[str, str]]) -> None:
        """Add (or replace) entries; switches to the HNSW graph once the memory is large enough."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            for entry_id in ids:
                self._kill(entry_id)
            first = len(self._entry_at)
            self._index.add(vectors)
            for offset, (entry_id, (article, serial)) in enumerate(zip(ids, labels, strict=True)):
                self._entry_at.append(entry_id)
                self._slot_of[entry_id] = first + offset
                self._labels[entry_id] = (sys.intern(article), serial)
            self._search_parameters = None
            self._maybe_rebuild()

    def remove(self, entry_id: int) -> bool:
        with self._lock:
            if entry_id not in self._labels:
                return False
            self._kill(entry_id)
            self._maybe_rebuild()
            return True

    def _kill(self, entry_id: int) -> None:
        slot = self._slot_of.pop(entry_id, None)
        if slot is not None:
            self._entry_at[slot] = -1
            self._dead.add(slot)
            del self._labels[entry_id]
            self._search_parameters = None

    def _maybe_rebuild(self) -> None:
        """Compact away dead slots, and move to the HNSW graph (or back) as the size asks."""
        live = len(self._labels)
        dead = len(self._entry_at) - live
        approximate = live >= self.ann_from
        if approximate == self.approximate and dead <= max(64, live // 5):
            return
        slots = [slot for slot, entry_id in enumerate(self._entry_at) if entry_id >= 0]
        vectors = self._index.reconstruct_batch(np.array(slots, dtype=np.int64)) if slots else None
        self._index = _new_index(self.dimension, approximate)
        if vectors is not None:
            self._index.add(vectors)
        self._entry_at = [self._entry_at[slot] for slot in slots]
        self._slot_of = {entry_id: slot for slot, entry_id in enumerate(self._entry_at)}
        self._dead = set()
        self._search_parameters = None

    def _parameters(self):
        """faiss search parameters: leave out dead slots; search the HNSW graph deeper as it grows."""
        if self._search_parameters is None:
            dead = np.fromiter(self._dead, dtype=np.int64, count=len(self._dead))
            faiss = _faiss()
            keep = faiss.IDSelectorNot(faiss.IDSelectorBatch(dead)) if len(dead) else None
            if self.approximate:
                depth = max(HNSW_SEARCH_DEPTH, len(self._labels) // HNSW_DEPTH_PER_ENTRIES)
                parameters = faiss.SearchParametersHNSW(efSearch=depth)
            else:
                parameters = faiss.SearchParameters()
            if keep is not None:
                parameters.sel = keep
            self._search_parameters = (parameters, keep)  # the selector must live as long as the parameters
        return self._search_parameters[0]

    def search(
        self, vector: np.ndarray, k: int = THRESHOLDS.memory_neighbours, exclude: Exclude | None = None
    ) -> list[Neighbour]:
        """The ``k`` most similar entries (cosine), skipping those ``exclude`` hides."""
        query = np.ascontiguousarray(vector, dtype=np.float32)[None]
        asked = k
        while True:
            with self._lock:
                live = len(self._labels)
                found: list[Neighbour] = []
                if live:
                    similarities, hits = self._index.search(query, min(live, asked), params=self._parameters())
                    for similarity, slot in zip(similarities[0], hits[0], strict=True):
                        if slot >= 0 and (entry_id := self._entry_at[slot]) >= 0:
                            found.append(Neighbour(entry_id, *self._labels[entry_id], float(similarity)))
            if exclude is not None:
                found = [n for n in found if not exclude(n.entry_id, n.article, n.serial)]
            if len(found) >= k or asked >= live:
                return found[:k]
            asked *= 4


def article_support(neighbours: list[Neighbour]) -> dict[str, float]:
    """Each article's share of the neighbours' similarity, for articles enough neighbours agree on.

    Only neighbours at ``THRESHOLDS.memory_min_similarity`` or more count, and an article needs
    ``THRESHOLDS.memory_min_voters`` of them: one entry alone (perhaps mislabeled) supports nothing.
    """
    weights: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for n in neighbours:
        if n.similarity >= THRESHOLDS.memory_min_similarity:
            weights[n.article] += n.similarity
            counts[n.article] += 1
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items() if counts[a] >= THRESHOLDS.memory_min_voters}
