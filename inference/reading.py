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
from dataclasses import dataclass, field, replace

import numpy as np

from inference.catalog import ArticleEntry, CatalogIndex, CatalogRow
from inference.editdistance import ocr_infix_distance
from inference.lookalikes import DIGIT_FOR_LETTER, fold, skeleton, to_cyrillic
from inference.settings import THRESHOLDS

TURNED_180 = " turned 180"  # suffix of a line's view name when its crop was read upside down
MATCHED = "matched"
ARTICLE_ONLY = "article only"
NOT_IN_CATALOG = "not in catalog"
UNREADABLE = "unreadable"


@dataclass(slots=True, eq=False)
class TextLine:
    """One recognized line, its box in the original photo's pixels."""

    text: str
    score: float
    quad: np.ndarray
    variant: str
    parts: tuple[TextLine, ...] = ()  # the lines a joined line was made of
    variant_quad: np.ndarray | None = None  # the box in the variant's own pixels
    char_scores: tuple[float, ...] = ()  # the recognizer's probability for each character
    searched: bool = False  # read by the second search round the article, not boxed by the detector
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
    views: int = 0  # views of the photo (turns, contrast, unrolled) that read the article
    serial_readings: int = 0  # plausible readings that agree on the serial
    serial_line: TextLine | None = None  # the line the serial was read from, if not the article's
    serial_rival: float = 0.0  # the strongest reading of another serial the table lists for the article
    probability: float = 0.0  # the chance this reading is exactly right (inference.confidence)
    corroborated: bool = False  # the article read, the serial one the table lists (inference.confidence)
    sure: bool = False  # corroborated and probable enough: shown as "уверенно"

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
            "probability": round(self.probability, 3),
            "corroborated": self.corroborated,
            "sure": self.sure,
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
    views: set[str] = field(default_factory=set)  # the views of the photo that read this article


def view_of(line: TextLine) -> str:
    """The view of the photo a line was read in, whichever way round the crop was read."""
    return line.variant.removesuffix(TURNED_180)


def find_articles(lines: list[TextLine], index: CatalogIndex) -> list[_ArticleEvidence]:
    """Best evidence per catalog article over all lines, strongest first."""
    best: dict[str, _ArticleEvidence] = {}
    for line in lines + joined_neighbours(lines):
        penalty = THRESHOLDS.join_penalty if line.parts else 0.0
        for match in index.lookup(line.text):
            strength = match.similarity - penalty
            if strength < THRESHOLDS.article_min_similarity - 0.1:
                continue
            old = best.get(match.entry.key)
            if old is None or (strength, line.score) > (old.similarity, old.line.score):
                views = old.views if old else set()
                best[match.entry.key] = _ArticleEvidence(match.entry, strength, line, match.rest, views)
            if strength >= THRESHOLDS.article_min_similarity:
                best[match.entry.key].views.add(view_of(line))
    return sorted(best.values(), key=lambda e: (-e.similarity, -e.line.score, e.entry.key))


def joined_neighbours(lines: list[TextLine]) -> list[TextLine]:
    """Pairs of close lines read as one: an article split over two lines, or
    bent round a part so that its pieces were read in different turns."""
    pieces = [(line, len(skeleton(line.text))) for line in lines if not line.parts]
    pieces = [(line, n) for line, n in pieces if n >= 2 and any(ch.isdigit() for ch in line.text)]
    joins = []
    seen: set[tuple[str, str]] = set()
    for a, na in pieces:
        for b, nb in pieces:
            if a is b or a.text == b.text or (a.text, b.text) in seen or not 5 <= na + nb <= THRESHOLDS.join_max:
                continue
            if a.variant != b.variant and (
                na > THRESHOLDS.fragment_max or nb > THRESHOLDS.fragment_max or _overlap(a, b) > 0.1
            ):
                continue
            if a.distance_to(b) < 2.5 * max(a.height, b.height):
                seen.add((a.text, b.text))
                quad = _bounding_quad(np.vstack([a.quad, b.quad]))
                scores = a.char_scores + b.char_scores
                text = a.text + " " + b.text
                joins.append(TextLine(text, min(a.score, b.score), quad, a.variant, (a, b), None, scores))
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


@dataclass(frozen=True, slots=True)
class SerialChoice:
    serial: str
    plausibility: float  # 0..1
    listed: bool  # the table lists it for the article
    line: TextLine | None  # the line it was read from (None: the article's own line)
    readings: int  # how many plausible readings agree on it
    rival: float = 0.0  # the strongest reading of another serial the table lists for the article


NO_SERIAL = SerialChoice("", 0.0, False, None, 0)


def choose_serial(evidence: _ArticleEvidence, lines: list[TextLine], index_lengths: dict[int, int]) -> SerialChoice:
    """The serial for an article.

    Every reading near the article, from every variant, votes for its serial
    text; a serial the table lists for this article counts fully.
    """
    listed = evidence.entry.serials
    listed_lengths = _serial_lengths(listed, index_lengths)
    article_line = evidence.line
    key = evidence.entry.key
    votes: dict[str, float] = defaultdict(float)
    agreeing: dict[str, int] = defaultdict(int)
    best_vote: dict[str, tuple[float, TextLine | None]] = {}

    def vote(serial: str, p: float, line: TextLine | None) -> None:
        if p >= 0.3:  # only plausible readings agree
            votes[serial] += p
            agreeing[serial] += 1
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
        return NO_SERIAL
    # The strongest single reading decides; agreeing readings add a little.
    serial = max(votes, key=lambda s: (best_vote[s][0] + 0.25 * (votes[s] - best_vote[s][0]), s))
    p, line = best_vote[serial]
    rival = max((best_vote[s][0] for s in best_vote if s != serial and s in listed), default=0.0)
    plausibility = min(1.0, p + 0.25 * (votes[serial] - p))
    return SerialChoice(serial, plausibility, serial in listed, line, agreeing[serial], rival)


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
        if evidence.similarity < THRESHOLDS.article_min_similarity and evidence.entry.key not in memory:
            continue
        choice = choose_serial(evidence, lines, index.serial_lengths)
        if choice.plausibility < THRESHOLDS.serial_min_plausibility:
            choice = replace(NO_SERIAL, plausibility=choice.plausibility)
        serial, listed = choice.serial, choice.listed
        rows = evidence.entry.rows
        if serial and listed:
            rows = [r for r in rows if r.serial == serial]
        confidence = evidence.similarity * (1.0 if listed or not serial else 0.9)
        rank = evidence.similarity + (THRESHOLDS.listed_serial_bonus if listed else 0.0)
        used = list(evidence.line.parts or [evidence.line])
        if choice.line is not None:
            used.append(choice.line)
        candidates.append(
            Candidate(
                evidence.entry.stamped,
                serial,
                confidence,
                evidence.similarity,
                listed,
                rows,
                used,
                rank,
                choice.plausibility,
                views=len(evidence.views),
                serial_readings=choice.readings,
                serial_line=choice.line,
                serial_rival=choice.rival,
            )
        )
    known = {c.article for c in candidates}
    candidates += [c for c in articles_from_serials(lines, index) if c.article not in known]
    if memory:
        known = {skeleton(c.article) for c in candidates}
        # The memory never names an article on its own: a recalled article needs a
        # serial the catalog lists for it among what the OCR read.
        for key in memory:
            if key in index.entries and key not in known:
                recalled = _remembered(index.entries[key], lines)
                if recalled is not None:
                    candidates.append(recalled)
        for c in candidates:
            c.memory_share = memory.get(skeleton(c.article), 0.0)
            if c.memory_share and (c.serial_listed or not c.serial):
                c.rank = (c.rank or c.confidence) + THRESHOLDS.memory_weight * c.memory_share
    candidates.sort(key=lambda c: (-(c.rank or c.confidence), c.marking))
    if not candidates:
        raw = raw_reading(lines)
        if raw is not None:
            candidates.append(raw)
    return candidates


def _remembered(entry: ArticleEntry, lines: list[TextLine]) -> Candidate | None:
    """A candidate for an article the memory recalls but the OCR did not read,
    when a serial the catalog lists for it was read; else none."""
    listed = [(ln.score, serial, ln) for ln in lines for serial in serials_in(ln.text) if serial in entry.serials]
    if not listed:
        return None
    score, serial, line = max(listed, key=lambda t: (t[0], t[1]))
    rows = [r for r in entry.rows if r.serial == serial]
    return Candidate(
        entry.stamped,
        serial,
        THRESHOLDS.remembered_confidence * score,
        0.0,
        True,
        rows,
        [line],
        serial_readings=1,
        serial_line=line,
    )


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
            if not entries or len(entries) > THRESHOLDS.serial_only_max_articles:
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
