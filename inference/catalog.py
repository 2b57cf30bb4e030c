"""The orders table as recognition sees it: rows, stamped articles, fuzzy lookup.

Storage (SQLite, Excel, 1C) lives in ``web``; this module gets plain rows and
builds an in-memory index that answers "which article is this reading?" in
a few milliseconds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from inference.editdistance import class_fold, ocr_infix_distance
from inference.lookalikes import fold, skeleton
from inference.records import RowRecord
from inference.settings import THRESHOLDS


@dataclass(frozen=True, slots=True)
class CatalogRow:
    """One row of the orders table, cleaned of quotes and padding."""

    article: str  # as in the table, suffixes kept: "1391-30-0108 ТС1.1"
    serial: str  # "" when the row has none
    part_name: str
    order_number: str
    station_unit: str

    def to_record(self) -> RowRecord:
        return {
            "article": self.article,
            "serial": self.serial,
            "part_name": self.part_name,
            "order_number": self.order_number,
            "station_unit": self.station_unit,
        }


_NUMBERED = re.compile(r"\d")
SHORTLIST_CUTOFF = 50
# Past this many articles a trigram index narrows the fuzzy search to TRIGRAM_POOL keys.
TRIGRAM_INDEX_FROM = 5_000
TRIGRAM_POOL = 400  # rapidfuzz score (0..100) below which a key is not worth the edit distance


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def _trigram_postings(keys: list[str]) -> dict[str, np.ndarray]:
    postings: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        for trigram in _trigrams(key):
            postings[trigram].append(i)
    return {t: np.array(ids, dtype=np.int32) for t, ids in postings.items()}


def learn_suffixes(articles: Iterable[str]) -> frozenset[str]:
    """Suffix words seen after the first space (``ТС1.1``, ``Пр.``, ``ЗИП``).

    They are catalog bookkeeping, not stamped on the part; the set is learned
    from the table itself so a new plant's suffixes need no code change.
    """
    words: set[str] = set()
    for article in articles:
        words.update(article.split()[1:])
    return frozenset(w for w in words if len(w) >= 2 and not w[0].isdigit())


def stamped_form(article: str, suffixes: frozenset[str]) -> str:
    """The part of an article that is stamped: the first word, glued suffixes cut."""
    words = article.split()
    if not words:
        return ""
    head = words[0]
    for suffix in sorted(suffixes, key=len, reverse=True):
        if head.endswith(suffix) and len(head) > len(suffix):
            rest = head[: -len(suffix)]
            if _NUMBERED.search(rest[-1:]):
                return rest
    return head


@dataclass(slots=True)
class ArticleEntry:
    """Every row of one stamped article."""

    stamped: str
    key: str
    rows: list[CatalogRow] = field(default_factory=list)

    @property
    def serials(self) -> set[str]:
        return {r.serial for r in self.rows if r.serial}


@dataclass(frozen=True, slots=True)
class ArticleMatch:
    entry: ArticleEntry
    similarity: float  # 1.0 = identical skeletons; OCR-aware
    rest: str  # what the reading held after the article (a serial, often)
    before: str  # ... and before it


class CatalogIndex:
    """In-memory lookup of stamped articles by an OCR reading."""

    def __init__(self, rows: Iterable[CatalogRow]):
        rows = list(rows)
        self.suffixes = learn_suffixes(r.article for r in rows)
        by_key: dict[str, ArticleEntry] = {}
        for row in rows:
            stamped = stamped_form(row.article, self.suffixes)
            key = skeleton(stamped)
            if len(key) < 3:
                continue
            entry = by_key.get(key)
            if entry is None:
                entry = by_key[key] = ArticleEntry(stamped, key)
            entry.rows.append(row)
        self.entries = by_key
        self._keys = list(by_key)
        self._folded_keys = [class_fold(k) for k in self._keys]
        self._trigrams = _trigram_postings(self._folded_keys) if len(self._keys) > TRIGRAM_INDEX_FROM else None
        self._by_serial: dict[str, list[str]] = defaultdict(list)
        for key, entry in by_key.items():
            for serial in entry.serials:
                self._by_serial[serial].append(key)
        self.serial_lengths: dict[int, int] = defaultdict(int)
        for entry in by_key.values():
            for serial in entry.serials:
                self.serial_lengths[len(serial)] += 1
        self.n_rows = len(rows)
        self._twins: dict[str, list[str]] = {}
        self._cache: dict[tuple[tuple[str, ...], int, int], list[ArticleMatch]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def suggest(self, typed: str, limit: int = 8) -> list[ArticleEntry]:
        """Articles holding what a person typed, best first: what a worker reads off a part is often its tail.

        An article holding the typed text as written (separators too) comes before one holding
        it only as letters and digits, which comes before one holding it only up to the
        recognizer's look-alikes (``0``/``O``, ``8``/``B``); within each, an article that ends
        with it first, then the one the typed text covers most. Nothing held: the OCR-aware lookup.
        """
        folded, key = fold(typed.strip()), skeleton(typed)
        if len(key) < 2:
            return []
        loose = class_fold(key)
        ranked = []
        for i, (article_key, entry) in enumerate(self.entries.items()):
            if key in article_key:
                tier, tail = (0 if folded in fold(entry.stamped) else 1), article_key.endswith(key)
            elif loose in self._folded_keys[i]:
                tier, tail = 2, self._folded_keys[i].endswith(loose)
            else:
                continue
            ranked.append((tier, not tail, -len(key) / len(article_key), entry.stamped, entry))
        if not ranked:  # a typo: what the recognizer's lookup finds
            return [match.entry for match in self.lookup(typed, limit=limit)]
        return [entry for *_, entry in sorted(ranked, key=lambda r: r[:4])[:limit]]

    def lookup(self, reading: str, limit: int = 5, shortlist: int = 8) -> list[ArticleMatch]:
        """Articles that ``reading`` may be, best first.

        rapidfuzz shortlists keys on confusion-folded text; an OCR-aware edit
        distance that lets the reading hold more than the article (a serial
        after a space, a stray mark) ranks the shortlist.
        """
        words = tuple(w for w in (skeleton(w) for w in reading.split()) if w)
        if sum(map(len, words)) < 3 or not self._keys:
            return []
        cache_key = (words, limit, shortlist)
        cached = self._cache.get(cache_key)
        if cached is None:
            if len(self._cache) > 20_000:
                self._cache.clear()
            cached = self._cache[cache_key] = self._lookup(words, limit, shortlist)
        return cached

    def _lookup(self, words: tuple[str, ...], limit: int, shortlist: int) -> list[ArticleMatch]:
        query = "".join(words)
        boundaries = {0}
        for word in words:
            boundaries.add(max(boundaries) + len(word))
        folded = class_fold(query)
        found = {query} if query in self.entries else set()
        pool = self._trigram_pool(folded)
        choices = self._folded_keys if pool is None else {i: self._folded_keys[i] for i in pool}
        for scorer in (fuzz.ratio, fuzz.partial_ratio):
            for _, _, i in process.extract(
                folded, choices, scorer=scorer, limit=shortlist, score_cutoff=SHORTLIST_CUTOFF
            ):
                found.add(self._keys[i])
        if not found:
            return []
        matches = []
        for key in found:
            distance, begin, end = ocr_infix_distance(query, key)
            # Text glued to the article ("901-05" read against "901") is evidence
            # against it; text after a space (a serial) is not.
            glued = (begin if begin not in boundaries else 0) + (len(query) - end if end not in boundaries else 0)
            similarity = max(
                0.0, 1.0 - distance / len(key) - min(THRESHOLDS.glued_max, THRESHOLDS.glued_penalty * glued)
            )
            matches.append(ArticleMatch(self.entries[key], similarity, query[end:], query[:begin]))
        matches.sort(key=lambda m: (-m.similarity, m.entry.key))
        return matches[:limit]

    def _trigram_pool(self, folded: str) -> np.ndarray | None:
        """For a large catalog, the keys sharing the most trigrams with the reading."""
        if self._trigrams is None:
            return None
        postings = [self._trigrams[t] for t in _trigrams(folded) if t in self._trigrams]
        if not postings:
            return np.arange(0)
        counts = np.bincount(np.concatenate(postings), minlength=len(self._keys))
        if len(counts) <= TRIGRAM_POOL:
            return np.nonzero(counts)[0]
        return np.argpartition(counts, -TRIGRAM_POOL)[-TRIGRAM_POOL:]

    def entry_for(self, article: str) -> ArticleEntry | None:
        """The catalog's article as a person typed it (Latin look-alikes, a suffix, spacing: all the same)."""
        return self.entries.get(skeleton(stamped_form(article, self.suffixes)))

    def rows_for(self, article: str, serial: str = "") -> list[CatalogRow]:
        """The rows of an article as a person typed or confirmed it; those of its serial if listed."""
        entry = self.entry_for(article)
        if entry is None:
            return []
        with_serial = [r for r in entry.rows if serial and r.serial == serial]
        return with_serial or entry.rows

    def twins(self, key: str) -> list[str]:
        """The other articles one edit from ``key``: a single misread character could land on them."""
        found = self._twins.get(key)
        if found is None:
            near = process.extract(key, self._keys, scorer=Levenshtein.distance, score_cutoff=1, limit=None)
            found = self._twins[key] = sorted(other for other, _, _ in near if other != key)
        return found

    def articles_with_serial(self, serial: str) -> list[ArticleEntry]:
        """Every article whose rows list ``serial``."""
        return [self.entries[k] for k in self._by_serial.get(serial, ())]
