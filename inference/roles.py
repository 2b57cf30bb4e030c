"""Which piece of the stamped block is the serial, learned from labelled markings.

A marking block holds more numbers than the serial: the heat number
(``181169-1``), the melt number, the steel grade, the article's own groups.
Every piece of text that could be a serial becomes a ``SerialToken``: the
words of each line, split again where the recognizer saw a wide gap between
two characters (``1813042`` read over ``181304  2``) and at a dash or slash,
but for the ending of a heat or melt number (``181169-1``), which is never the
serial (the plants' marking rule). Each
token is described by what a person looks at (its digits, whether the table
lists it, what stands before it on its line, where its line lies against the
article's, how clearly it was read, whether other readings agree) and a
choice model (``serial_model.json``, fitted by ``markscan train``) says how
likely each is the serial, and how likely none of them is: then the reading has
no serial yet, and the glyph reader looks for one stamped alone.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from inference.crops import Frame
from inference.lines import TextLine, upside_down
from inference.lookalikes import DIGIT_FOR_LETTER, fold

GAP_SPLIT = 3.0  # a gap this many character pitches wide splits a word in two
HEAT_DIGITS = 5  # a number of this many digits or more, a dash and a digit or two: a heat or melt number
MAX_SERIAL = 12  # longer than any serial

FEATURES = (
    "digits_1",  # one digit
    "digits_2",
    "digits_3",
    "digits_4",
    "digits_5_more",
    "separator",  # a dash or slash inside (a range, a fraction: 3398-3409, 497/4)
    "listed",  # the table lists it for the article
    "length_listed",  # its length is one the article's serials have (the catalog's, where it lists none)
    "after_dash",  # it follows a dash on its line
    "long_before",  # five or more digits stand right before it on its line (a heat or melt number)
    "gap_before",  # the gap before it on its line, in character pitches (0: first on its line)
    "alone",  # the whole of its line
    "own_line",  # on the article's own line, after the article
    "rows",  # how many article line heights its line lies from the article's, across the text
    "above",  # its line lies above the article's
    "along",  # how far its line begins from the article's start, along the text, in ten character widths
    "height_ratio",  # its line's height over the article's
    "weakest",  # the recognizer's lowest probability on its characters
    "searched",  # read by the second search round the article, not boxed by the detector
    "agreeing",  # other readings of the same number (other views, other boxes), up to 3
    "prior",  # a reader's rule of thumb: listed, or of a listed length, read clearly, near the article
)
NONE_FEATURES = ("none", "none_lists_none")  # the choice of no serial, and of none where the article lists none


@dataclass(frozen=True, slots=True)
class SerialToken:
    """A number on the photo that could be the serial, with what its line says about it."""

    serial: str
    line: TextLine | None  # None: read on the article's own line, after the article
    alone: bool = False
    after_dash: bool = False
    dash_gap: float = 0.0
    long_before: bool = False
    gap_before: float = 0.0
    weakest: float = 0.0


_DIGITS = re.compile(r"[0-9]+(?:[/-][0-9]+)?")


def as_serial(text: str) -> str:
    """A piece of text as a serial: letters the OCR prints for digits mapped back, or "" if it is not one.

    Mostly digits (three in four at least, any letter one the OCR prints for a digit), a dash
    or slash between digits kept.
    """
    folded = fold(text)
    alnum = [ch for ch in folded if ch.isalnum()]
    if not alnum or len(alnum) > MAX_SERIAL:
        return ""
    if not all(ch.isdigit() or ch in DIGIT_FOR_LETTER for ch in alnum):
        return ""
    if sum(ch.isdigit() for ch in alnum) < 0.75 * len(alnum):
        return ""
    mapped = "".join(DIGIT_FOR_LETTER.get(ch, ch) for ch in folded)
    pieces = _DIGITS.findall(mapped)
    return max(pieces, key=len) if pieces else ""


@dataclass(frozen=True, slots=True)
class _Char:
    ch: str
    position: float  # share of the crop's width; -1 where unknown
    score: float
    space_before: bool


def _characters(line: TextLine) -> list[_Char]:
    text = line.text
    solid = [ch for ch in text if not ch.isspace()]
    positions = line.char_positions if len(line.char_positions) == len(solid) else ()
    if len(line.char_scores) == len(solid):
        scores = list(line.char_scores)
    elif len(line.char_scores) == len(text):
        scores = [s for ch, s in zip(text, line.char_scores, strict=True) if not ch.isspace()]
    else:
        scores = [line.score] * len(solid)
    chars, space, k = [], False, 0
    for ch in text:
        if ch.isspace():
            space = True
            continue
        chars.append(_Char(ch, positions[k] if positions else -1.0, scores[k], space))
        space, k = False, k + 1
    return chars


def _pitch(chars: list[_Char]) -> float:
    known = [c.position for c in chars if c.position >= 0]
    steps = np.diff(known) if len(known) > 1 else np.array([])
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 0.0


def _words(chars: list[_Char], pitch: float) -> list[tuple[list[_Char], float]]:
    """The line's words, split at spaces and at gaps wider than ``GAP_SPLIT`` pitches, each with the gap before it."""
    words: list[tuple[list[_Char], float]] = []
    for k, c in enumerate(chars):
        gap = (c.position - chars[k - 1].position) / pitch if k and pitch > 0 and c.position >= 0 else 0.0
        if k == 0 or c.space_before or gap > GAP_SPLIT:
            words.append(([c], gap if k else 0.0))
        else:
            words[-1][0].append(c)
    return words


def line_tokens(line: TextLine | None, text: str | None = None) -> list[SerialToken]:
    """The numbers on a line that could be a serial: each word, and the pieces of a word round a dash or slash.

    ``line`` None with ``text``: what was read after the article on its own line.
    """
    if line is None:
        serial = as_serial(text or "")
        return [SerialToken(serial, None)] if serial else []
    chars = _characters(line)
    pitch = _pitch(chars)
    words = _words(chars, pitch)
    tokens: list[SerialToken] = []
    digits_before = 0  # digits in the word before
    whole = as_serial(line.text)
    for word, gap in words:
        text = "".join(c.ch for c in word)
        serial = as_serial(text)
        if text.startswith("-") and digits_before >= HEAT_DIGITS and len(serial) <= 2:
            serial = ""  # a heat number's ending read apart (181169 -1)
        alone = len(words) == 1
        if serial:
            weakest = min(c.score for c in word)
            tokens.append(SerialToken(serial, line, alone, False, 0.0, digits_before >= HEAT_DIGITS, gap, weakest))
        # the pieces round a dash or slash inside the word: 181169-1 holds 181169 and 1
        cuts = [k for k, c in enumerate(word) if c.ch in "-/" and 0 < k < len(word) - 1]
        start = 0
        for cut in [*cuts, len(word)]:
            piece = word[start:cut]
            piece_serial = as_serial("".join(c.ch for c in piece))
            dash = start > 0 and word[start - 1].ch == "-"
            before = sum(c.ch.isdigit() for c in word[: start - 1]) if start else digits_before
            if dash and before >= HEAT_DIGITS and len(piece) <= 2:
                piece_serial = ""  # a heat number's ending (181169-1) is never a serial
            if piece_serial and cuts:
                dash_gap = 0.0
                if dash and pitch > 0 and piece[0].position >= 0 and word[start - 2].position >= 0:
                    dash_gap = (piece[0].position - word[start - 2].position) / pitch
                weakest = min(c.score for c in piece)
                piece_gap = gap if start == 0 else 0.0
                tokens.append(
                    SerialToken(piece_serial, line, False, dash, dash_gap, before >= HEAT_DIGITS, piece_gap, weakest)
                )
            start = cut + 1
        digits_before = sum(c.ch.isdigit() for c in word)
    if whole and len(words) > 1 and all(whole != t.serial for t in tokens):
        tokens.append(SerialToken(whole, line, True, False, 0.0, False, 0.0, min(c.score for c in chars)))
    return tokens


def _frame(line: TextLine) -> Frame:
    """The directions the article's line reads in on the photo."""
    return Frame.of(line.quad, upside_down(line))


def token_features(
    token: SerialToken,
    article_line: TextLine,
    listed: set[str],
    lengths: set[int],
    agreeing: int,
) -> dict[str, float]:
    """What the model weighs about one token, against the article it would be the serial of."""
    digits = sum(ch.isdigit() for ch in token.serial)
    facts = {
        "digits_1": float(digits == 1),
        "digits_2": float(digits == 2),
        "digits_3": float(digits == 3),
        "digits_4": float(digits == 4),
        "digits_5_more": float(digits >= 5),
        "separator": float(any(ch in "-/" for ch in token.serial)),
        "listed": float(token.serial in listed),
        "length_listed": float(len(token.serial) in lengths or digits in lengths),
        "after_dash": float(token.after_dash),
        "long_before": float(token.long_before),
        "gap_before": min(token.gap_before, 6.0),
        "alone": float(token.alone),
        "own_line": float(token.line is None),
        "rows": 0.0,
        "above": 0.0,
        "along": 0.0,
        "height_ratio": 1.0,
        "weakest": token.weakest if token.line is not None else article_line.score,
        "searched": 0.0,
        "agreeing": float(min(agreeing, 3)),
        "prior": _prior(token, article_line, listed, lengths),
    }
    line = token.line
    if line is not None:
        frame = _frame(article_line)
        along, down = frame.coordinates(np.vstack([article_line.quad, line.quad]))
        article_along, article_down = along[:4], down[:4]
        line_along, line_down = along[4:], down[4:]
        height = max(float(np.ptp(article_down)), 1.0)
        char_width = max(float(np.ptp(article_along)) / max(1, len(article_line.text.replace(" ", ""))), 1.0)
        rows = (float(line_down.mean()) - float(article_down.mean())) / height
        facts["rows"] = min(6.0, abs(rows))
        facts["above"] = float(rows < -0.5)
        facts["along"] = min(2.0, abs(float(line_along.min()) - float(article_along.min())) / char_width / 10)
        facts["height_ratio"] = max(0.3, min(3.0, line.height / max(article_line.height, 1.0)))
        facts["searched"] = float(line.searched)
    return facts


def _prior(token: SerialToken, article_line: TextLine, listed: set[str], lengths: set[int]) -> float:
    """The rule of thumb a reader starts from: a listed serial counts fully, one of a listed length
    less, any other number little; times how clearly its line was read and how near the article it lies."""
    digits = sum(ch.isdigit() for ch in token.serial)
    if token.serial in listed:
        kind = 1.0
    elif digits in lengths or len(token.serial) in lengths:
        kind = 0.6
    elif lengths and min(abs(digits - k) for k in lengths) == 1 and digits <= max(lengths):
        kind = 0.45
    else:
        kind = 0.1
    line = token.line or article_line
    distance = line.distance_to(article_line) / max(article_line.height, 1.0)
    nearness = 1.0 if distance <= 4 else max(0.3, 1.0 - (distance - 4) / 12)
    return kind * line.score * nearness


@dataclass(frozen=True, slots=True)
class RoleModel:
    """The serial model: which of the numbers round an article is its serial, or none.

    A conditional logit: each number's utility is a weighted sum of its standardized
    evidence, no serial has a utility of its own; the chance of each is the softmax. The
    likeliest number is the serial from ``take_from``: below it the glyph reader looks for one
    stamped alone.
    """

    weights: dict[str, float]  # FEATURES, then NONE_FEATURES
    mean: dict[str, float]
    scale: dict[str, float]
    take_from: float = 0.5  # the likeliest number is taken as the serial from this chance
    glyph_from: float = 1.0  # else a number the glyph reader found alone is taken from this score
    notes: str = ""

    @classmethod
    def load(cls, path: Path) -> RoleModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights, mean, scale = data["weights"], data["mean"], data["scale"]
        return cls(weights, mean, scale, data["take_from"], data["glyph_from"], data.get("notes", ""))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n"

    def utility(self, facts: dict[str, float]) -> float:
        return sum(self.weights[f] * (facts[f] - self.mean[f]) / self.scale[f] for f in FEATURES)

    def none_utility(self, lists_none: bool) -> float:
        return self.weights["none"] + self.weights["none_lists_none"] * float(lists_none)

    def probabilities(self, facts: Sequence[dict[str, float]], lists_none: bool) -> tuple[list[float], float]:
        """Each number's chance of being the serial, and the chance there is none among them."""
        utilities = [self.utility(f) for f in facts] + [self.none_utility(lists_none)]
        top = max(utilities)
        weights = [math.exp(u - top) for u in utilities]
        total = sum(weights)
        return [w / total for w in weights[:-1]], weights[-1] / total


@dataclass(frozen=True, slots=True)
class ScoredToken:
    token: SerialToken
    facts: dict[str, float]
    probability: float


def scored_tokens(
    tokens: Sequence[SerialToken],
    article_line: TextLine,
    listed: set[str],
    lengths: set[int],
    model: RoleModel | None,
) -> tuple[list[ScoredToken], float]:
    """Every token with its evidence and (with a model) its chance of being the serial; the chance of none."""
    count: dict[str, int] = defaultdict(int)
    for token in tokens:
        count[token.serial] += 1
    facts = [token_features(token, article_line, listed, lengths, count[token.serial] - 1) for token in tokens]
    if model is None:
        return [ScoredToken(t, f, math.nan) for t, f in zip(tokens, facts, strict=True)], math.nan
    chances, none = model.probabilities(facts, not listed)
    return [ScoredToken(t, f, p) for t, f, p in zip(tokens, facts, chances, strict=True)], none
