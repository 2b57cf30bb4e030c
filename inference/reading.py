"""From OCR lines to a marking: the article from the catalog, the serial beside it.

The catalog is the authority on how an article is written (Cyrillic letters,
dots, dashes): a reading that matches an article is output in the catalog's
form. The serial is taken from digits near the article, preferring the
serials the table lists for that article, but a serial the table does not
list is still reported as read.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from inference.catalog import ArticleEntry, CatalogIndex, CatalogRow
from inference.editdistance import ocr_infix_distance
from inference.lookalikes import DIGIT_FOR_LETTER, fold, skeleton, to_cyrillic

MATCHED = "matched"
ARTICLE_ONLY = "article only"
NOT_IN_CATALOG = "not in catalog"
UNREADABLE = "unreadable"

# Below this OCR-aware similarity a reading is not taken for a catalog article.
ARTICLE_MIN_SIMILARITY = 0.72
# From this similarity on, with a listed serial, the reading is sure enough
# to stop trying further image variants.
CONFIDENT_SIMILARITY = 0.92


@dataclass(slots=True, eq=False)
class TextLine:
    """One recognized line, its box in the original photo's pixels."""

    text: str
    score: float
    quad: np.ndarray
    variant: str
    parts: tuple[TextLine, ...] = ()  # the lines a joined line was made of
    variant_quad: np.ndarray | None = None  # the box in the variant's own pixels
    # Derived from ``quad`` once: matching compares lines many times.
    box: tuple[float, float, float, float] = field(init=False)
    centre: tuple[float, float] = field(init=False)
    height: float = field(init=False)

    def __post_init__(self) -> None:
        q = self.quad
        x0, y0 = q.min(axis=0)
        x1, y1 = q.max(axis=0)
        self.box = (float(x0), float(y0), float(x1), float(y1))
        cx, cy = q.mean(axis=0)
        self.centre = (float(cx), float(cy))
        sides = np.linalg.norm(q - np.roll(q, -1, axis=0), axis=1)
        self.height = max(4.0, float(sides.min()))

    def distance_to(self, other: TextLine) -> float:
        return math.hypot(self.centre[0] - other.centre[0], self.centre[1] - other.centre[1])


@dataclass(slots=True)
class Candidate:
    """One way to read the marking, with the catalog rows it points to."""

    article: str
    serial: str
    confidence: float
    article_similarity: float
    serial_listed: bool
    rows: list[CatalogRow]
    lines: list[TextLine] = field(default_factory=list)
    rank: float = 0.0  # what orders candidates: similarity, plus a bonus for a listed serial
    serial_support: float = 0.0  # how well the readings agree on the serial (0..1)
    memory_share: float = 0.0  # the visual memory's support for the article (0..1)

    @property
    def marking(self) -> str:
        return f"{self.article} {self.serial}".strip()

    @property
    def status(self) -> str:
        if not self.rows:
            return NOT_IN_CATALOG
        if self.serial_listed or (not self.serial and not _listed_serials(self.rows)):
            return MATCHED
        return ARTICLE_ONLY

    def to_dict(self) -> dict:
        return {
            "marking": self.marking,
            "article": self.article,
            "serial": self.serial,
            "confidence": round(self.confidence, 3),
            "status": self.status,
            "serial_listed": self.serial_listed,
            "memory_share": round(self.memory_share, 3),
            "rows": [r.to_dict() for r in self.rows],
        }


def _listed_serials(rows: list[CatalogRow]) -> set[str]:
    return {r.serial for r in rows if r.serial}


_SERIAL_CHARS = re.compile(r"[0-9]+(?:[/-][0-9]+)?")


def serial_text(token: str) -> str:
    """A token as a serial: OCR letter confusions to digits, ``/`` and ``-`` kept."""
    mapped = "".join(DIGIT_FOR_LETTER.get(ch, ch) for ch in fold(token))
    pieces = _SERIAL_CHARS.findall(mapped)
    return max(pieces, key=len) if pieces else ""


def looks_like_serial(token: str) -> bool:
    """Mostly digits, and any letter one the OCR prints for a digit."""
    folded = fold(token)
    alnum = [ch for ch in folded if ch.isalnum()]
    if not alnum or len(alnum) > 12:
        return False
    digits = sum(ch.isdigit() for ch in alnum)
    letters_ok = all(ch.isdigit() or ch in DIGIT_FOR_LETTER for ch in alnum)
    return letters_ok and digits / len(alnum) >= 0.75


def serials_in(text: str) -> set[str]:
    """The serials a line may hold: the whole line or any word of it that reads as one."""
    return {serial_text(token) for token in {text, *text.split()} if looks_like_serial(token)} - {""}


@dataclass(slots=True)
class _ArticleEvidence:
    entry: ArticleEntry
    similarity: float
    line: TextLine
    rest: str


JOIN_PENALTY = 0.03


def find_articles(lines: list[TextLine], index: CatalogIndex) -> list[_ArticleEvidence]:
    """Best evidence per catalog article over all lines, strongest first."""
    best: dict[str, _ArticleEvidence] = {}
    for line in lines + joined_neighbours(lines):
        penalty = JOIN_PENALTY if line.parts else 0.0
        for match in index.lookup(line.text):
            strength = match.similarity - penalty
            if strength < ARTICLE_MIN_SIMILARITY - 0.1:
                continue
            old = best.get(match.entry.key)
            if old is None or (strength, line.score) > (old.similarity, old.line.score):
                best[match.entry.key] = _ArticleEvidence(match.entry, strength, line, match.rest)
    return sorted(best.values(), key=lambda e: (-e.similarity, -e.line.score, e.entry.key))


FRAGMENT_MAX = 10  # a line this short may be a piece of an article split or bent
JOIN_MAX = 26  # longer than any article and its serial: not worth joining


def joined_neighbours(lines: list[TextLine]) -> list[TextLine]:
    """Pairs of close lines read as one: an article split over two lines, or
    bent round a part so that its pieces were read in different turns."""
    pieces = [(line, len(skeleton(line.text))) for line in lines if not line.parts]
    pieces = [(line, n) for line, n in pieces if n >= 2 and any(ch.isdigit() for ch in line.text)]
    joins = []
    seen: set[tuple[str, str]] = set()
    for a, na in pieces:
        for b, nb in pieces:
            if a is b or a.text == b.text or (a.text, b.text) in seen or not 5 <= na + nb <= JOIN_MAX:
                continue
            if a.variant != b.variant and (na > FRAGMENT_MAX or nb > FRAGMENT_MAX or _overlap(a, b) > 0.1):
                continue
            if a.distance_to(b) < 2.5 * max(a.height, b.height):
                seen.add((a.text, b.text))
                quad = _bounding_quad(np.vstack([a.quad, b.quad]))
                joins.append(TextLine(a.text + " " + b.text, min(a.score, b.score), quad, a.variant, (a, b)))
    return joins


def _bounding_quad(points: np.ndarray) -> np.ndarray:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def _is_article_fragment(text: str, key: str) -> bool:
    """A piece of the article read on its own (``00.902``, ``-05``), not a serial."""
    piece = skeleton(text)
    if not piece or piece not in key:
        return False
    return len(piece) >= 3 or any(ch in ".-" for ch in text)


def choose_serial(
    evidence: _ArticleEvidence, lines: list[TextLine], index_lengths: dict[int, int]
) -> tuple[str, float, bool, TextLine | None]:
    """The serial for an article: (text, plausibility 0..1, listed in the table, its line).

    Every reading near the article, from every variant, votes for its serial
    text; a serial the table lists for this article counts fully.
    """
    listed = evidence.entry.serials
    listed_lengths = _serial_lengths(listed, index_lengths)
    article_line = evidence.line
    key = evidence.entry.key
    votes: dict[str, float] = defaultdict(float)
    best_vote: dict[str, tuple[float, TextLine | None]] = {}

    def vote(serial: str, p: float, line: TextLine | None) -> None:
        votes[serial] += p if p >= 0.3 else 0.0  # only plausible readings agree
        if p > best_vote.get(serial, (0.0, None))[0]:
            best_vote[serial] = (p, line)

    rest = serial_text(evidence.rest)
    if rest and looks_like_serial(evidence.rest):
        vote(rest, _serial_plausibility(rest, listed, listed_lengths) * article_line.score, None)
    for line in lines:
        if line is article_line or line in article_line.parts or _overlap(line, article_line) > 0.3:
            continue
        distance = line.distance_to(article_line) / article_line.height
        nearness = 1.0 if distance <= 4 else max(0.3, 1.0 - (distance - 4) / 12)
        if _is_article_fragment(line.text, key):
            continue
        for serial in (s for s in serials_in(line.text) if len(s) <= 12):
            vote(serial, _serial_plausibility(serial, listed, listed_lengths) * line.score * nearness, line)
    if not votes:
        return "", 0.0, False, None
    # The strongest single reading decides; agreeing readings add a little.
    serial = max(votes, key=lambda s: (best_vote[s][0] + 0.25 * (votes[s] - best_vote[s][0]), s))
    p, line = best_vote[serial]
    return serial, min(1.0, p + 0.25 * (votes[serial] - p)), serial in listed, line


def _overlap(a: TextLine, b: TextLine) -> float:
    """IoU of the axis-aligned boxes around two lines."""
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    iw = min(ax1, bx1) - max(ax0, bx0)
    ih = min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def _serial_lengths(listed: set[str], catalog_lengths) -> set[int]:
    """Lengths of the article's listed serials, or of all the catalog's when it lists none."""
    return {len(s) for s in listed} or set(catalog_lengths)


def _serial_plausibility(serial: str, listed: set[str], lengths: set[int]) -> float:
    """How likely ``serial`` is this article's serial, before OCR score and distance.

    ``lengths`` are the lengths of the article's listed serials, or of every
    listed serial in the catalog when the article lists none.
    """
    if serial in listed:
        return 1.0
    n = sum(ch.isdigit() for ch in serial)
    if n in lengths or len(serial) in lengths:
        return 0.6
    if lengths and min(abs(n - k) for k in lengths) == 1 and n <= max(lengths):
        return 0.45
    return 0.1


SERIAL_MIN_PLAUSIBILITY = 0.25
# A serial the table lists for the article outweighs a small doubt about the article.
LISTED_SERIAL_BONUS = 0.05


# The visual memory's support (a share, 0..1) adds at most this much to a
# candidate's rank: enough to break ties and settle near misses, never to
# outweigh a clear reading.
MEMORY_WEIGHT = 0.2


def read_marking(
    lines: list[TextLine], index: CatalogIndex, limit: int = 5, memory: dict[str, float] | None = None
) -> list[Candidate]:
    """Ranked candidates for the marking in ``lines``; raw text when nothing matches.

    ``memory`` maps catalog keys (``skeleton(article)``) to the visual memory's
    support; a supported article is always considered, and gains rank when
    its serial agrees with the catalog.
    """
    memory = memory or {}
    candidates: list[Candidate] = []
    evidences = find_articles(lines, index)
    for evidence in evidences[:limit] + [e for e in evidences[limit:] if e.entry.key in memory]:
        if evidence.similarity < ARTICLE_MIN_SIMILARITY and evidence.entry.key not in memory:
            continue
        serial, p, listed, serial_line = choose_serial(evidence, lines, index.serial_lengths)
        if p < SERIAL_MIN_PLAUSIBILITY:
            serial, listed, serial_line = "", False, None
        rows = evidence.entry.rows
        if serial and listed:
            rows = [r for r in rows if r.serial == serial]
        confidence = evidence.similarity * (1.0 if listed or not serial else 0.9)
        rank = evidence.similarity + (LISTED_SERIAL_BONUS if listed else 0.0)
        used = list(evidence.line.parts or [evidence.line])
        if serial_line is not None:
            used.append(serial_line)
        candidates.append(
            Candidate(evidence.entry.stamped, serial, confidence, evidence.similarity, listed, rows, used, rank, p)
        )
    known = {c.article for c in candidates}
    candidates += [c for c in articles_from_serials(lines, index) if c.article not in known]
    unread: list[Candidate] = []  # articles the memory recalls with no serial read for them
    if memory:
        known = {skeleton(c.article) for c in candidates}
        for key in memory:
            if key in index.entries and key not in known:
                recalled = _remembered(index.entries[key], lines)
                (candidates if recalled.serial else unread).append(recalled)
        for c in candidates + unread:
            c.memory_share = memory.get(skeleton(c.article), 0.0)
            if c.memory_share and (c.serial_listed or not c.serial):
                c.rank = (c.rank or c.confidence) + MEMORY_WEIGHT * c.memory_share
    candidates.sort(key=lambda c: (-(c.rank or c.confidence), c.marking))
    if not candidates:
        raw = raw_reading(lines)
        if raw is not None:
            candidates.append(raw)
    # They come after whatever was read: first only when nothing marking-like was read at all.
    candidates += sorted(unread, key=lambda c: (-c.rank, c.marking))
    return candidates


# Confidence of a candidate that only the visual memory proposes.
REMEMBERED_CONFIDENCE = 0.25


def _remembered(entry: ArticleEntry, lines: list[TextLine]) -> Candidate:
    """A candidate for an article the memory recalls but the OCR did not read:
    with a serial the catalog lists for it, if one was read, else none."""
    listed = [(ln.score, serial, ln) for ln in lines for serial in serials_in(ln.text) if serial in entry.serials]
    if not listed:
        return Candidate(entry.stamped, "", REMEMBERED_CONFIDENCE, 0.0, False, entry.rows)
    score, serial, line = max(listed, key=lambda t: (t[0], t[1]))
    rows = [r for r in entry.rows if r.serial == serial]
    return Candidate(entry.stamped, serial, REMEMBERED_CONFIDENCE * score, 0.0, True, rows, [line])


# A serial alone names its article only when few articles list it.
SERIAL_ONLY_MAX_ARTICLES = 3


def articles_from_serials(lines: list[TextLine], index: CatalogIndex) -> list[Candidate]:
    """Candidates for photos where the OCR read the serial but not the article.

    A listed serial of three or more digits points to the few articles that
    list it; fragments of the article read nearby ("1286", "195") pick one.
    """
    found: dict[str, Candidate] = {}
    for line in lines:
        if _outread(line, lines):
            continue
        for serial in serials_in(line.text):
            if len(serial) < 3:
                continue
            entries = index.articles_with_serial(serial)
            if not entries or len(entries) > SERIAL_ONLY_MAX_ARTICLES:
                continue
            for entry in entries:
                support, fragment = _fragment_support(entry.key, line, lines)
                # Without a fragment, several articles listing the serial tie:
                # each stays a candidate, with less confidence.
                confidence = (0.45 + 0.4 * support) * line.score / (1 if support else len(entries))
                old = found.get(entry.key)
                if old is None or confidence > old.confidence:
                    rows = [r for r in entry.rows if r.serial == serial]
                    used = [line] + ([fragment] if fragment is not None else [])
                    found[entry.key] = Candidate(entry.stamped, serial, confidence, 0.0, True, rows, used)
    return list(found.values())


def _outread(line: TextLine, lines: list[TextLine]) -> bool:
    """Another reading of the same spot is surer and says something else."""
    return any(other.score > line.score and other.text != line.text and _overlap(other, line) > 0.5 for other in lines)


def _fragment_support(key: str, serial_line: TextLine, lines: list[TextLine]) -> tuple[float, TextLine | None]:
    """How much of ``key`` the lines around the serial spell (0..1)."""
    best: tuple[float, TextLine | None] = (0.0, None)
    for line in lines:
        if line is serial_line or _overlap(line, serial_line) > 0.3:
            continue
        text = skeleton(line.text)
        if len(text) < 3:
            continue
        distance, _, _ = ocr_infix_distance(key, text)
        if distance / len(text) > 0.25:
            continue
        support = min(1.0, (len(text) - distance) / len(key))
        if support > best[0]:
            best = (support, line)
    return best


def raw_reading(lines: list[TextLine]) -> Candidate | None:
    """The most marking-like line, as read, for a part the catalog does not know."""
    plausible = [ln for ln in lines if sum(ch.isdigit() for ch in ln.text) >= 3]
    if not plausible:
        return None
    line = max(plausible, key=lambda ln: (ln.score * min(len(ln.text), 16), ln.text))
    text = to_cyrillic(fold(line.text).strip())
    return Candidate(text, "", 0.3 * line.score, 0.0, False, [], [line])
