"""What a person is offered to tap when a reading is not sure: the likeliest other markings.

Each choice is an article and a serial, weighed as a chance:
``P(article) * P(serial | article, the numbers read)``.

The article is the one read (chance 1), one of its catalog twins (the chance the
character that tells them apart was misread), or another catalog candidate (its
own probability, against the best reading's).

The serial is weighed the way a person checks one against the table. Before
anything is read, an article that lists serials almost always carries one of
them and hardly ever none, and one that lists none carries none about as often
as a serial (``THRESHOLDS.listed_serial_share``,
``THRESHOLDS.listed_no_serial_share``, ``THRESHOLDS.no_serial_share``: counted
on the labelled photos). The numbers read then say which, each with the serial
model's probability that it is the serial (the glyph reader's runner-up for a
digit stamped alone among them). A serial the table lists may also be one
misread character away from a number read, with ``THRESHOLDS.slip`` (more where
the recognizer read that character less clearly, or confused the pair); a number
it does not list counts only as read. So a listed ``2660`` is offered for a read
``2669``, a listed ``15`` for a read ``51``, an article's few listed serials
where only a lone digit it does not list was read, and the article with no
serial where the number taken was a stray.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from inference.catalog import ArticleEntry, CatalogIndex
from inference.confidence import twin_clarity
from inference.lines import TextLine
from inference.lookalikes import CONFUSION_PAIRS, skeleton
from inference.reading import Candidate
from inference.settings import THRESHOLDS

NUMBER, SERIAL, TWIN, NO_SERIAL, CANDIDATE = "number", "serial", "twin", "no serial", "candidate"


@dataclass(frozen=True, slots=True)
class Choice:
    article: str
    serial: str
    likelihood: float  # a rough chance, for the order only
    reason: str  # NUMBER (read), SERIAL (listed), TWIN, NO_SERIAL or CANDIDATE

    @property
    def marking(self) -> str:
        return f"{self.article} {self.serial}".strip()


def _char_scores(line: TextLine | None, number: str) -> list[float]:
    """The recognizer's score for each character of ``number`` as read on ``line`` (0.5 where unknown)."""
    if line is None or not number:
        return [0.5] * len(number)
    text = "".join(ch for ch in line.text if not ch.isspace())
    start = text.rfind(number)
    if start < 0 or len(line.char_scores) != len(text):
        return [0.5] * len(number)
    return list(line.char_scores[start : start + len(number)])


def misread_chance(read: str, serial: str, scores: Sequence[float]) -> float:
    """The chance ``serial`` stamped is read as ``read`` (``scores``: the recognizer's score per character read)."""
    if read == serial:
        return 1.0
    distance = min(OSA.distance(read, serial), 3)  # three or more: as likely as a serial not read at all
    if distance == 1 and len(read) == len(serial):
        k = next((i for i, (a, b) in enumerate(zip(read, serial, strict=True)) if a != b), None)
        if k is not None and read[k + 1 :] == serial[k + 1 :]:  # one character misread, not two swapped
            doubt = 1.0 - scores[k]
            if (read[k], serial[k]) in CONFUSION_PAIRS:
                doubt = 0.5 + 0.5 * doubt
            return max(THRESHOLDS.slip, doubt)
    return THRESHOLDS.slip**distance


def serial_chances(entry: ArticleEntry | None, reads: dict[str, float], line: TextLine | None) -> dict[str, float]:
    """The chance of each serial (``""``: none) on a part of ``entry``'s article, given the numbers ``reads``
    (each with its chance of being the serial; the best of them read on ``line``)."""
    listed = entry.serials if entry is not None else set()
    near = {s for s in listed for r in reads if OSA.distance(s, r) <= 1}
    options = set(reads) | near | {""} | (listed if len(listed) <= THRESHOLDS.few_serials else set())
    if listed:
        listed_share, none_share = THRESHOLDS.listed_serial_share, THRESHOLDS.listed_no_serial_share
    else:
        listed_share, none_share = 0.0, THRESHOLDS.no_serial_share
    unlisted_share = 1.0 - listed_share - none_share
    unread = 1.0 - max(reads.values(), default=0.0)
    chances: dict[str, float] = {}
    for serial in options:
        if not serial:
            chances[serial] = none_share * max(THRESHOLDS.slip, unread)
        elif serial in listed:  # the table vouches for it: a misreading of a number read is enough
            misreads = (p * misread_chance(r, serial, _char_scores(line, r)) for r, p in reads.items())
            chances[serial] = listed_share * max(misreads, default=0.0)
        else:  # a number the table does not list counts only as read
            chances[serial] = unlisted_share * reads[serial]
    total = sum(chances.values()) or 1.0
    return {s: c / total for s, c in chances.items()}


def _reads(best: Candidate) -> dict[str, float]:
    """The numbers read that may be the serial, each with its chance (the one taken: its readings' agreement)."""
    reads: dict[str, float] = {}
    for number, p in ((best.serial, max(best.serial_support, 0.5)), *best.serial_others):
        if number:
            reads[number] = max(reads.get(number, 0.0), p)
    return reads


def likely_choices(candidates: Sequence[Candidate], index: CatalogIndex, limit: int = 3) -> list[Choice]:
    """The ``limit`` likeliest markings other than the best reading, likeliest first."""
    if not candidates:
        return []
    best = candidates[0]
    found: list[Choice] = []
    reads = _reads(best)
    entry = index.entry_for(best.article) if best.rows else None
    twins = index.twins(entry.key) if entry is not None else []
    if entry is not None:
        for serial, chance in serial_chances(entry, reads, best.serial_line).items():
            reason = NO_SERIAL if not serial else SERIAL if serial in entry.serials else NUMBER
            found.append(Choice(best.article, serial, chance, reason))
        article_lines = [ln for ln in best.lines if ln is not best.serial_line]
        read_with = {skeleton(c.article): c.serial for c in candidates[1:] if c.serial}
        for twin_key in twins if best.article_similarity > 0 else ():
            twin = index.entries[twin_key]
            unclear = max(0.01, 1.0 - twin_clarity(entry.key, article_lines, [twin_key]))
            twin_reads = reads or ({read_with[twin_key]: 0.5} if twin_key in read_with else {})
            chances = serial_chances(twin, twin_reads, best.serial_line)
            serial = max(chances, key=chances.__getitem__)
            found.append(Choice(twin.stamped, serial, unclear * chances[serial], TWIN))
    read = best.article_similarity > 0  # an article read: articles guessed from a serial are no choice beside it
    scale = max(best.probability, 1e-3)
    found += [
        Choice(c.article, c.serial, min(1.0, c.probability / scale) * THRESHOLDS.other_candidate, CANDIDATE)
        for c in candidates[1:]
        if (c.article_similarity > 0 or not read)
        and (skeleton(c.article) not in twins or c.serial != best.serial)  # twins: weighed above
    ]
    seen = {(skeleton(best.article), best.serial)}
    chosen = []
    for choice in sorted(found, key=lambda c: (-c.likelihood, c.marking)):
        key = (skeleton(choice.article), choice.serial)
        if key not in seen:
            seen.add(key)
            chosen.append(choice)
    return chosen[:limit]
