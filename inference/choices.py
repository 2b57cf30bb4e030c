"""What a person is offered to tap when a reading is not sure: the likeliest other markings.

A misread is most often one character: a serial digit (a listed ``2660`` read
``2669``), the character that tells two catalog twins apart (``…210``/``…211``),
or the wrong number taken as the serial (the heat number's ending instead of a
digit stamped alone). So the choices are, each with a rough chance to order them:

- the other numbers the serial model weighed, with its probability (less for one
  the table does not list), and the numbers the glyph reader found stamped alone;
- where no serial was read and the article lists only a few, those;
- the serials the table lists for the article one character from the one read,
  likelier where the recognizer read that character less clearly;
- the article's catalog twins with the serial read, likelier where the deciding
  character was read less clearly;
- the article with no serial, where the number taken was doubtful;
- the other catalog candidates, with their probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from inference.catalog import CatalogIndex
from inference.confidence import twin_clarity
from inference.lines import TextLine
from inference.lookalikes import CONFUSION_PAIRS, skeleton
from inference.reading import Candidate

NUMBER, SERIAL, TWIN, NO_SERIAL, CANDIDATE = "number", "serial", "twin", "no serial", "candidate"
FEW = 4  # an article that lists this few serials offers them all when none was read


@dataclass(frozen=True, slots=True)
class Choice:
    article: str
    serial: str
    likelihood: float  # a rough chance, for the order only
    reason: str  # NUMBER, SERIAL, TWIN, NO_SERIAL or CANDIDATE

    @property
    def marking(self) -> str:
        return f"{self.article} {self.serial}".strip()


def _digit_scores(line: TextLine | None, serial: str) -> list[float]:
    """The recognizer's score for each character of ``serial`` as read on ``line`` (0.5 where unknown)."""
    if line is None or len(line.char_scores) < len(serial):
        return [0.5] * len(serial)
    text = "".join(ch for ch in line.text if not ch.isspace())
    scores = line.char_scores if len(line.char_scores) == len(text) else ()
    start = text.rfind(serial)
    if start < 0 or not scores:
        return [0.5] * len(serial)
    return list(scores[start : start + len(serial)])


def _listed_neighbours(best: Candidate, read: str, line: TextLine | None, weight: float, listed: set[str]):
    """Listed serials one character from the number ``read`` (on ``line``; ``weight``: how likely it is
    the serial at all)."""
    scores = _digit_scores(line, read)
    out = []
    for serial in listed:
        if serial == read or Levenshtein.distance(serial, read) != 1:
            continue
        if len(serial) == len(read):
            k = next(i for i, (a, b) in enumerate(zip(serial, read, strict=True)) if a != b)
            doubt = 1.0 - scores[k]
            if (read[k], serial[k]) in CONFUSION_PAIRS:
                doubt = 0.5 + 0.5 * doubt
        else:  # a digit dropped or added
            doubt = 0.5 * (1.0 - min(scores, default=0.5))
        out.append(Choice(best.article, serial, max(0.02, doubt) * 0.5 * weight, SERIAL))
    return out


def likely_choices(candidates: Sequence[Candidate], index: CatalogIndex, limit: int = 3) -> list[Choice]:
    """The ``limit`` likeliest markings other than the best reading, likeliest first."""
    if not candidates:
        return []
    best = candidates[0]
    found: list[Choice] = []
    entry = index.entry_for(best.article) if best.rows else None
    if entry is not None:
        for serial, p in best.serial_others:
            if serial != best.serial:
                found.append(Choice(best.article, serial, p * (1.0 if serial in entry.serials else 0.3), NUMBER))
                if serial not in entry.serials:
                    found += _listed_neighbours(best, serial, None, p, entry.serials)
        if not best.serial and 0 < len(entry.serials) <= FEW:
            found += [Choice(best.article, serial, 0.3 / len(entry.serials), SERIAL) for serial in entry.serials]
        if best.serial:
            found += _listed_neighbours(best, best.serial, best.serial_line, 1.0, entry.serials)
            found.append(Choice(best.article, "", (1.0 - best.serial_support) * 0.5, NO_SERIAL))
        article_lines = [ln for ln in best.lines if ln is not best.serial_line]
        read_for = {skeleton(c.article): c.serial for c in candidates[1:] if c.serial}
        for twin_key in index.twins(entry.key) if best.article_similarity > 0 else ():
            twin = index.entries[twin_key]
            unclear = 1.0 - twin_clarity(entry.key, article_lines, [twin_key])
            serial = best.serial or read_for.get(twin_key, "")  # none read with the best: what was read with the twin
            listed = not serial or serial in twin.serials
            found.append(Choice(twin.stamped, serial, max(0.01, unclear) * (1.0 if listed else 0.3), TWIN))
    read = best.article_similarity > 0  # an article read: articles guessed from a serial are no choice beside it
    found += [
        Choice(c.article, c.serial, c.probability * 0.2, CANDIDATE)
        for c in candidates[1:]
        if c.article_similarity > 0 or not read
    ]
    seen = {(skeleton(best.article), best.serial)}
    chosen = []
    for choice in sorted(found, key=lambda c: (-c.likelihood, c.marking)):
        key = (skeleton(choice.article), choice.serial)
        if key not in seen:
            seen.add(key)
            chosen.append(choice)
    return chosen[:limit]
