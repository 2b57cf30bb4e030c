"""How sure a reading is: the evidence behind it, turned into a calibrated probability.

"Matched in the catalog" is not "read right": an article that lists serials 1..8
matches any digit read. The evidence here is what a careful reader weighs: how
clearly the characters that pick the row were read, whether several views of the photo agree,
how many catalog neighbours a single misread character would land on, whether the
serial was boxed by the detector or only found by the glyph reader. Only a corroborated
reading (the article read, its serial one the table lists, the character that decides
read twice where one decides) can be called sure. Its probability is the chance that
every character that picks the row was read right (learned from thousands of
characters) times how often such readings are right; the rest get a logistic model.
``markscan train`` fits both (``inference.training.confidence_fit``); they live in
``weights/confidence_model.json``, data, not code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from inference.catalog import CatalogIndex
from inference.lines import TextLine
from inference.logistic import Logistic
from inference.lookalikes import fold, skeleton
from inference.reading import Candidate
from inference.settings import THRESHOLDS

MODEL_PATH = Path(__file__).with_name("weights") / "confidence_model.json"

# The evidence, in the order the model's weights are stored.
FEATURES = (
    "article_similarity",  # OCR-aware similarity of the reading to the article (0: inferred from the serial)
    "article_weakest_char",  # the recognizer's lowest character probability on the article's line
    "article_views",  # views of the photo (turns, contrast, unrolled) that read the article, up to 3
    "article_twins",  # log(1 + catalog articles one edit away)
    "serial_missing",  # the article lists serials, none was read
    "serial_unlisted",  # a serial was read that the table does not list for the article
    "serial_weakest_char",  # lowest character probability on the serial's line (0: no serial)
    "deciding_char",  # lowest probability on the characters that pick the row: the serial's, and the
    # article's where a catalog twin differs
    "serial_readings",  # plausible readings that agree on the serial, up to 3
    "serial_rival",  # the strongest reading of another serial the table lists for the article (0..1)
    "serial_probability",  # the serial model's probability that the number taken is the serial
    "serial_neighbours",  # log(1 + serials the article lists one edit from the one read)
    "serial_searched",  # the serial was found by the second search, not boxed by the detector
    "serial_short",  # one or two characters: easy to miss, easy to invent
    "margin",  # rank over the best other reading, -0.3..0.3
    "memory_share",  # the visual memory's support for the article
    "not_in_catalog",  # no catalog article near: the raw text
    "corroborated",  # the article was read and the serial read is one the table lists for it
    "read_once",  # corroborated but for a second read of the one character that decides
)


def corroborated(candidate: Candidate, twins: Sequence[str] = ()) -> bool:
    """Read, not inferred, and confirmed by the table: the article itself was read (not guessed
    from the serial or recalled by the memory) and the serial read is one the table lists for it.

    Only such a reading may be called sure: for anything else the catalog cannot catch a
    misread, e.g. a lone digit the detector missed next to an article that lists no serials.
    Nor does a serial read where the detector boxed none (by the glyph reader): where no
    serial was read, a listed digit found there could as well be a scratch. Nor one where
    another reading of the photo plausibly says another serial the table lists: the table
    confirms both, so it cannot tell which was misread. Where one character decides (a
    serial of one digit; an article with ``twins`` one character away), two views of the
    photo must have read it alike.
    """
    return confirmed_by_table(candidate) and not read_once(candidate, twins)


def confirmed_by_table(candidate: Candidate) -> bool:
    """All of ``corroborated`` but the second read: the article read, the serial boxed and listed, no rival."""
    unboxed = candidate.serial_line is not None and candidate.serial_line.unboxed
    rival = candidate.serial_rival >= THRESHOLDS.rival_min_probability
    return (
        bool(candidate.rows)
        and candidate.article_similarity > 0
        and bool(candidate.serial)
        and candidate.serial_listed
        and not unboxed
        and not rival
    )


def read_once(candidate: Candidate, twins: Sequence[str]) -> bool:
    """One character decides (a serial of one digit; an article one character from a catalog twin),
    and only one view of the photo read it."""
    return (len(candidate.serial) == 1 and candidate.serial_readings < 2) or (bool(twins) and candidate.views < 2)


def _weakest(lines: Sequence[TextLine]) -> float:
    scores = [s for line in lines for s in (line.char_scores or (line.score,))]
    return min(scores) if scores else 0.0


def _matched_characters(lines: Sequence[TextLine]) -> list[tuple[str, float]]:
    """The characters of ``lines`` as matching compares them (``skeleton``), each with its recognizer score."""
    out = []
    for line in lines:
        text = fold(line.text)
        scores = line.char_scores if len(line.char_scores) == len(text) else (line.score,) * len(text)
        out += [(ch, score) for ch, score in zip(text, scores, strict=True) if ch.isalnum()]
    return out


def twin_clarity(key: str, lines: Sequence[TextLine], twins: Sequence[str]) -> float:
    """How clearly the characters that tell article ``key`` from its catalog twins were read.

    The lowest recognizer score on a character of ``lines`` standing where a twin
    differs (1.0 when the article has no twin; 0.0 where the reading has no
    character there at all).
    """
    return min(twin_scores(key, lines, twins), default=1.0)


def twin_scores(key: str, lines: Sequence[TextLine], twins: Sequence[str]) -> list[float]:
    """The recognizer's score on each character of ``lines`` standing where a catalog twin of ``key``
    differs (0.0 where the reading has no character there)."""
    if not twins:
        return []
    read = _matched_characters(lines)
    scores: dict[int, float] = {}  # position in the key -> score of the character read there
    for op in Levenshtein.opcodes(key, "".join(ch for ch, _ in read)):
        if op.tag == "equal" or (op.tag == "replace" and op.src_end - op.src_start == op.dest_end - op.dest_start):
            for k in range(op.src_end - op.src_start):
                scores[op.src_start + k] = read[op.dest_start + k][1]
    deciding: set[int] = set()
    for twin in twins:
        for op in Levenshtein.opcodes(key, twin):
            if op.tag != "equal":
                deciding.update(min(p, len(key) - 1) for p in range(op.src_start, max(op.src_end, op.src_start + 1)))
    return [scores.get(p, 0.0) for p in sorted(deciding)]


def serial_scores(line: TextLine, serial: str) -> list[float]:
    """The recognizer's score on each character of ``serial`` as read on ``line`` (the line's weakest
    where it cannot be placed)."""
    text = "".join(ch for ch in fold(line.text) if not ch.isspace())
    scores = line.char_scores if len(line.char_scores) == len(text) else ()
    start = text.rfind(serial)
    if start < 0 or not scores:
        return [_weakest([line])] * len(serial)
    return [float(s) for s in scores[start : start + len(serial)]]


def evidence(candidate: Candidate, candidates: Sequence[Candidate], index: CatalogIndex) -> dict[str, Any]:
    """The evidence for one candidate among the photo's candidates."""
    serial = candidate.serial
    key = skeleton(candidate.article)
    entry = index.entries.get(key)
    listed = entry.serials if entry is not None else set()
    article_lines = [ln for ln in candidate.lines if ln is not candidate.serial_line]
    others = [c.rank or c.confidence for c in candidates if c.marking != candidate.marking]
    own = candidate.rank or candidate.confidence
    margin = own - max(others) if others else 0.3
    neighbours = sum(1 for s in listed if s != serial and Levenshtein.distance(s, serial) == 1) if serial else 0
    serial_lines = [candidate.serial_line] if candidate.serial_line is not None else article_lines
    article_weakest = _weakest(article_lines)
    serial_weakest = _weakest(serial_lines) if serial else 0.0
    twins = index.twins(key) if entry is not None else []
    # An article guessed from its serial has no characters of its own to weigh.
    twin_read = twin_scores(key, article_lines, twins) if candidate.article_similarity > 0 else []
    twin_clear = min(twin_read, default=1.0)
    serial_read = serial_scores(serial_lines[0], serial) if serial and serial_lines else []
    return {
        "article_similarity": candidate.article_similarity,
        "article_weakest_char": article_weakest,
        "article_views": float(min(candidate.views, 3)),
        "article_twins": math.log1p(len(twins)),
        "serial_missing": float(not serial and bool(listed)),
        "serial_unlisted": float(bool(serial) and not candidate.serial_listed),
        "serial_weakest_char": serial_weakest,
        "deciding_char": min(serial_weakest, twin_clear) if serial else twin_clear,
        "serial_readings": float(min(candidate.serial_readings, 3)),
        "serial_rival": candidate.serial_rival,
        "serial_probability": candidate.serial_support,
        "serial_neighbours": math.log1p(neighbours),
        "serial_searched": float(candidate.serial_line is not None and candidate.serial_line.searched),
        "serial_short": float(0 < len(serial) <= 2),
        "margin": max(-0.3, min(0.3, margin)),
        "memory_share": candidate.memory_share,
        "not_in_catalog": float(not candidate.rows),
        "corroborated": float(corroborated(candidate, twins)),
        "read_once": float(confirmed_by_table(candidate) and read_once(candidate, twins)),
        "deciding_scores": [round(x, 5) for x in serial_read + twin_read],
    }


def clear_enough(candidate: Candidate, candidates: Sequence[Candidate], index: CatalogIndex) -> bool:
    """Corroborated, and every character that picks the row read at ``THRESHOLDS.stop_deciding_char`` or better."""
    facts = evidence(candidate, candidates, index)
    return bool(facts["corroborated"]) and facts["deciding_char"] >= THRESHOLDS.stop_deciding_char


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """How sure a reading is.

    A corroborated reading is right when every character that picks the row was read right
    and nothing else went wrong: its probability is ``base`` times the product of each such
    character's chance of being right at the score it was read with (``characters``, learned
    from thousands of characters). Other readings get a logistic model of their own. A
    corroborated reading is "sure" from ``sure_from``: the promise the card makes.
    """

    characters: Logistic  # P(a character read right) from "char_logit", its score's log-odds
    base: float  # how often corroborated readings whose characters were all read right are right
    other: Logistic
    sure_from: float
    notes: str = ""

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ConfidenceModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        characters, other = Logistic(**data["characters"]), Logistic(**data["other"])
        return cls(characters, data["base"], other, data["sure_from"], data["notes"])

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n"

    def weighed(self, facts: dict) -> dict[str, float]:
        """``facts`` with "deciding_log": the log of the chance that every character that picks the row
        was read right, each character's chance from its score (``characters``)."""
        total = 0.0
        for score in facts.get("deciding_scores", ()):
            p = min(max(score, 1e-4), 1 - 1e-6)
            total += math.log(self.characters.probability({"char_logit": math.log(p / (1 - p))}))
        return {**facts, "deciding_log": max(total, -20.0)}

    def probability(self, facts: dict) -> float:
        weighed = self.weighed(facts)
        if facts["corroborated"]:
            return min(1.0, self.base * math.exp(weighed["deciding_log"]))
        return self.other.probability(weighed)

    def is_sure(self, facts: dict[str, float], probability: float) -> bool:
        return bool(facts["corroborated"]) and probability >= self.sure_from


def assess(candidates: Sequence[Candidate], index: CatalogIndex, model: ConfidenceModel) -> None:
    """Give every candidate its probability of being exactly right, and say whether it is sure."""
    for candidate in candidates:
        facts = evidence(candidate, candidates, index)
        candidate.probability = model.probability(facts)
        candidate.corroborated = bool(facts["corroborated"])
        candidate.read_once = bool(facts["read_once"])
        candidate.sure = model.is_sure(facts, candidate.probability)
