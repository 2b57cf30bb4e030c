"""From OCR lines to a marking: the article from the catalog, the serial beside it.

The catalog is the authority on how an article is written (Cyrillic letters,
dots, dashes): a reading that matches an article is output in the catalog's
form. The serial is taken from digits near the article, preferring the
serials the table lists for that article, but a serial the table does not
list is still reported as read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inference.catalog import ArticleEntry, CatalogIndex, CatalogRow
from inference.editdistance import ocr_infix_distance
from inference.lines import TextLine, joined_neighbours, overlap, view_of
from inference.lookalikes import fold, skeleton, to_cyrillic
from inference.records import CandidateRecord
from inference.roles import RoleModel
from inference.serials import choose_serial, serials_in
from inference.settings import THRESHOLDS

MATCHED = "matched"
ARTICLE_ONLY = "article only"
NOT_IN_CATALOG = "not in catalog"
UNREADABLE = "unreadable"


@dataclass(slots=True, kw_only=True)
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
    serial_others: tuple[tuple[str, float], ...] = ()  # the next likeliest numbers (serial model), with probabilities
    probability: float = 0.0  # the chance this reading is exactly right (inference.confidence)
    corroborated: bool = False  # the article read, the serial one the table lists (inference.confidence)
    read_once: bool = False  # corroborated but for a second read of the character that decides: another photo may
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

    def to_record(self) -> CandidateRecord:
        return {
            "marking": self.marking,
            "article": self.article,
            "serial": self.serial,
            "confidence": round(self.confidence, 3),
            "probability": round(self.probability, 3),
            "corroborated": self.corroborated,
            "read_once": self.read_once,
            "sure": self.sure,
            "status": self.status,
            "serial_listed": self.serial_listed,
            "memory_share": round(self.memory_share, 3),
            "rows": [r.to_record() for r in self.rows],
        }


def _listed_serials(rows: list[CatalogRow]) -> set[str]:
    return {r.serial for r in rows if r.serial}


@dataclass(slots=True)
class _ArticleEvidence:
    entry: ArticleEntry
    similarity: float
    line: TextLine
    rest: str
    views: set[str] = field(default_factory=set)  # the views of the photo that read this article


def find_articles(lines: list[TextLine], index: CatalogIndex) -> list[_ArticleEvidence]:
    """Best evidence per catalog article over all lines, strongest first."""
    best: dict[str, _ArticleEvidence] = {}
    for line in lines + joined_neighbours(lines):
        penalty = THRESHOLDS.join_penalty if line.parts else 0.0
        for match in index.lookup(line.text):
            strength = match.similarity - penalty
            if strength < THRESHOLDS.article_min_similarity - THRESHOLDS.near_article_margin:
                continue
            old = best.get(match.entry.key)
            if old is None or (strength, line.score) > (old.similarity, old.line.score):
                views = old.views if old else set()
                best[match.entry.key] = _ArticleEvidence(match.entry, strength, line, match.rest, views)
            if strength >= THRESHOLDS.article_min_similarity:
                best[match.entry.key].views.add(view_of(line))
    return sorted(best.values(), key=lambda e: (-e.similarity, -e.line.score, e.entry.key))


def read_marking(
    lines: list[TextLine],
    index: CatalogIndex,
    roles: RoleModel | None,
    limit: int = 5,
    memory: dict[str, float] | None = None,
) -> list[Candidate]:
    """Ranked candidates for the marking in ``lines``; raw text when nothing matches.

    ``roles`` picks each article's serial among the numbers read (``inference.serials``;
    None: none is picked). ``memory`` maps catalog keys (``skeleton(article)``) to the visual memory's
    support; a supported article is always considered, and gains rank when
    its serial agrees with the catalog.
    """
    memory = memory or {}
    candidates: list[Candidate] = []
    evidences = find_articles(lines, index)
    for evidence in evidences[:limit] + [e for e in evidences[limit:] if e.entry.key in memory]:
        if evidence.similarity < THRESHOLDS.article_min_similarity and evidence.entry.key not in memory:
            continue
        choice = choose_serial(evidence.entry, evidence.line, evidence.rest, lines, index.serial_lengths, roles)
        serial, listed = choice.serial, choice.listed
        rows = evidence.entry.rows
        if serial and listed:
            rows = [r for r in rows if r.serial == serial]
        confidence = evidence.similarity * (1.0 if listed or not serial else THRESHOLDS.unlisted_serial_factor)
        rank = evidence.similarity + (THRESHOLDS.listed_serial_bonus if listed else 0.0)
        used = list(evidence.line.parts or [evidence.line])
        if choice.line is not None:
            used.append(choice.line)
        candidates.append(
            Candidate(
                article=evidence.entry.stamped,
                serial=serial,
                confidence=confidence,
                article_similarity=evidence.similarity,
                serial_listed=listed,
                rows=rows,
                lines=used,
                rank=rank,
                serial_support=choice.plausibility,
                views=len(evidence.views),
                serial_readings=choice.readings,
                serial_line=choice.line,
                serial_rival=choice.rival,
                serial_others=choice.others,
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
            if c.memory_share and (c.serial_listed or not _listed_serials(c.rows)):
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
        article=entry.stamped,
        serial=serial,
        confidence=THRESHOLDS.remembered_confidence * score,
        article_similarity=0.0,
        serial_listed=True,
        rows=rows,
        lines=[line],
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
            entries = _articles_listing(serial, index)
            if not entries or len(entries) > THRESHOLDS.serial_only_max_articles:
                continue
            for entry in entries:
                support, fragment = _fragment_support(entry.key, line, lines)
                # Without a fragment, several articles listing the serial tie:
                # each stays a candidate, with less confidence.
                base = THRESHOLDS.serial_only_base + THRESHOLDS.serial_only_fragment * support
                confidence = base * line.score / (1 if support else len(entries))
                old = found.get(entry.key)
                if old is None or confidence > old.confidence:
                    rows = [r for r in entry.rows if r.serial in (serial, serial.partition("-")[0])]
                    used = [line] + ([fragment] if fragment is not None else [])
                    found[entry.key] = Candidate(
                        article=entry.stamped,
                        serial=serial,
                        confidence=confidence,
                        article_similarity=0.0,
                        serial_listed=True,
                        rows=rows,
                        lines=used,
                    )
    return list(found.values())


def _articles_listing(serial: str, index: CatalogIndex) -> list[ArticleEntry]:
    """The articles whose rows list ``serial``; for a range of serials (``3422-3433``: one marking for
    a batch), those that list both its ends."""
    first, dash, last = serial.partition("-")
    if not dash or not (first.isdigit() and last.isdigit() and len(first) == len(last) and first < last):
        return index.articles_with_serial(serial)
    return [e for e in index.articles_with_serial(first) if last in e.serials]


def _outread(line: TextLine, lines: list[TextLine]) -> bool:
    """Another reading of the same spot is surer and says something else."""
    return any(
        other.score > line.score and other.text != line.text and overlap(other, line) > THRESHOLDS.same_place
        for other in lines
    )


def _fragment_support(key: str, serial_line: TextLine, lines: list[TextLine]) -> tuple[float, TextLine | None]:
    """How much of ``key`` the lines around the serial spell (0..1)."""
    best: tuple[float, TextLine | None] = (0.0, None)
    for line in lines:
        if line is serial_line or overlap(line, serial_line) > THRESHOLDS.apart:
            continue
        text = skeleton(line.text)
        if len(text) < 3:
            continue
        distance, _, _ = ocr_infix_distance(key, text)
        if distance / len(text) > THRESHOLDS.fragment_max_distance:
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
    return Candidate(
        article=text,
        serial="",
        confidence=THRESHOLDS.raw_reading_factor * line.score,
        article_similarity=0.0,
        serial_listed=False,
        rows=[],
        lines=[line],
    )
