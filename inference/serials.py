"""The serial beside an article: the numbers read round it, and the one the serial model picks.

Every number read on the photo that could be the serial (``inference.roles``)
gets its chance of being it, and "none of them" gets one too (the chances of
several readings of one number add up); the likeliest is taken when its chance
reaches the model's ``take_from``, and a serial the table does not list is still
reported as read. Else a number the glyph reader found stamped alone is taken if
it is clear enough. Without a model
nothing is chosen (the reading every view of a photo gives, for training).
"""

from __future__ import annotations

from dataclasses import dataclass

from inference.catalog import ArticleEntry
from inference.lines import TextLine, overlap
from inference.lookalikes import skeleton
from inference.roles import RoleModel, ScoredToken, SerialToken, as_serial, line_tokens, scored_tokens
from inference.settings import THRESHOLDS


def serials_in(text: str) -> set[str]:
    """The serials a line may hold: the whole line or any word of it that reads as one."""
    return {as_serial(token) for token in {text, *text.split()}} - {""}


def _is_article_fragment(text: str, key: str) -> bool:
    """A piece of the article read on its own (``00.902``, ``-05``), not a serial."""
    piece = skeleton(text)
    if not piece or piece not in key:
        return False
    return len(piece) >= 3 or any(ch in ".-" for ch in text)


@dataclass(frozen=True, slots=True)
class SerialChoice:
    serial: str
    plausibility: float  # the serial model's chance that it is the serial (with none chosen: that there is none)
    listed: bool  # the table lists it for the article
    line: TextLine | None  # the line it was read from (None: the article's own line)
    readings: int  # how many readings of the photo say it
    rival: float = 0.0  # the likeliest other serial the table lists for the article
    others: tuple[tuple[str, float], ...] = ()  # the next likeliest numbers, with their probabilities


NO_SERIAL = SerialChoice("", 0.0, False, None, 0)


def serial_tokens(entry: ArticleEntry, article_line: TextLine, rest_of_line: str, lines: list[TextLine]):
    """Every number read round an article on ``article_line`` that could be its serial."""
    tokens: list[SerialToken] = line_tokens(None, rest_of_line)
    for line in lines:
        if (
            line.unboxed
            or line is article_line
            or line in article_line.parts
            or overlap(line, article_line) > THRESHOLDS.apart
        ):
            continue
        if _is_article_fragment(line.text, entry.key):
            continue
        tokens += line_tokens(line)
    return tokens


def score_serials(
    entry: ArticleEntry,
    article_line: TextLine,
    rest_of_line: str,
    lines: list[TextLine],
    catalog_lengths,
    model: RoleModel | None,
) -> tuple[list[ScoredToken], float]:
    """The numbers round the article, each with its evidence and chance of being the serial; the chance of none."""
    listed = entry.serials
    lengths = {len(s) for s in listed} or set(catalog_lengths)
    return scored_tokens(serial_tokens(entry, article_line, rest_of_line, lines), article_line, listed, lengths, model)


def taken_alone(found: list[tuple[str, float]], listed: set[str] | frozenset[str], glyph_from: float) -> int | None:
    """Which of the numbers the glyph reader found stamped alone (digits, score) is taken as the serial:
    the clearest one the table lists for the article, else the clearest, if clear enough."""
    clear = [(digits in listed, score, -k) for k, (digits, score) in enumerate(found) if score >= glyph_from]
    return -max(clear)[2] if clear else None


def glyph_serial(found: list[TextLine], entry: ArticleEntry, model: RoleModel) -> TextLine | None:
    """The line of the number the glyph reader found that is taken as the serial (``taken_alone``)."""
    k = taken_alone([(ln.text, ln.score) for ln in found], entry.serials, model.glyph_from)
    return None if k is None else found[k]


def choose_serial(
    entry: ArticleEntry,
    article_line: TextLine,
    rest_of_line: str,
    lines: list[TextLine],
    catalog_lengths,
    model: RoleModel | None,
) -> SerialChoice:
    """The serial for an article read on ``article_line`` (``rest_of_line``: the text after it there):
    the likeliest number read, from ``model.take_from``; else the glyph reader's find (``glyph_serial``)."""
    if model is None:
        return NO_SERIAL
    scored, none = score_serials(entry, article_line, rest_of_line, lines, catalog_lengths, model)
    chance: dict[str, float] = {}
    clearest: dict[str, ScoredToken] = {}
    for s in scored:
        chance[s.token.serial] = chance.get(s.token.serial, 0.0) + s.probability
        if s.token.serial not in clearest or s.probability > clearest[s.token.serial].probability:
            clearest[s.token.serial] = s
    ranked = sorted(chance, key=lambda serial: (-chance[serial], serial))
    if not ranked or chance[ranked[0]] < model.take_from:
        stamped_alone = [ln for ln in lines if ln.unboxed]
        lone = glyph_serial(stamped_alone, entry, model)
        others = tuple((ln.text, ln.score) for ln in stamped_alone if ln is not lone)
        others += tuple((serial, chance[serial]) for serial in ranked[: THRESHOLDS.serial_alternatives])
        if lone is not None:
            others = lone.alternatives + others
            return SerialChoice(lone.text, lone.score, lone.text in entry.serials, lone, 1, 0.0, others)
        return SerialChoice("", none, False, None, 0, 0.0, others[: THRESHOLDS.serial_alternatives])
    serial = ranked[0]
    top = clearest[serial]
    place = top.token.line or article_line
    readings = sum(
        s.token.serial == serial and overlap(s.token.line or article_line, place) > THRESHOLDS.same_number_place
        for s in scored
    )
    rival = max((chance[other] for other in ranked[1:] if other in entry.serials), default=0.0)
    others = tuple((other, chance[other]) for other in ranked[1 : 1 + THRESHOLDS.serial_alternatives])
    return SerialChoice(serial, chance[serial], serial in entry.serials, top.token.line, readings, rival, others)
