"""The serial beside an article: which tokens read as serials, and which serial the readings vote for.

A serial the table lists for the article counts fully; one it does not list is
still reported as read, weighed by how plausible its length is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from inference.catalog import ArticleEntry
from inference.lines import TextLine, overlap
from inference.lookalikes import DIGIT_FOR_LETTER, fold, skeleton

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


def choose_serial(
    entry: ArticleEntry, article_line: TextLine, rest_of_line: str, lines: list[TextLine], index_lengths: dict[int, int]
) -> SerialChoice:
    """The serial for an article read on ``article_line`` (``rest_of_line``: the text after it there).

    Every reading near the article, from every variant, votes for its serial
    text; a serial the table lists for this article counts fully.
    """
    listed = entry.serials
    listed_lengths = _serial_lengths(listed, index_lengths)
    key = entry.key
    votes: dict[str, float] = defaultdict(float)
    agreeing: dict[str, int] = defaultdict(int)
    best_vote: dict[str, tuple[float, TextLine | None]] = {}

    def vote(serial: str, p: float, line: TextLine | None) -> None:
        if p >= 0.3:  # only plausible readings agree
            votes[serial] += p
            agreeing[serial] += 1
        if p > best_vote.get(serial, (0.0, None))[0]:
            best_vote[serial] = (p, line)

    rest = serial_text(rest_of_line)
    if rest and looks_like_serial(rest_of_line):
        vote(rest, _serial_plausibility(rest, listed, listed_lengths) * article_line.score, None)
    for line in lines:
        if line is article_line or line in article_line.parts or overlap(line, article_line) > 0.3:
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
