"""How sure a reading is: the evidence behind it, turned into a calibrated probability.

"Matched in the catalog" is not "read right": an article that lists serials 1..8
matches any digit read. The evidence here is what a careful reader weighs: how
clearly the characters that pick the row were read, whether several views of the photo agree,
how many catalog neighbours a single misread character would land on, whether the
serial was boxed by the detector or only found by the second search round the
article. Only a corroborated reading (the article read, its serial one the table lists)
can be called sure. A logistic model over the evidence gives the chance a reading
is exactly right, one for corroborated readings and one for the rest; it is fitted
on labelled photos with cross-validation by marking (``scripts/fit_confidence.py``)
and lives in ``confidence_model.json``, data, not code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from inference.catalog import CatalogIndex
from inference.lines import TextLine
from inference.lookalikes import fold, skeleton
from inference.reading import Candidate
from inference.settings import THRESHOLDS

MODEL_PATH = Path(__file__).with_name("confidence_model.json")

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
    "serial_neighbours",  # log(1 + serials the article lists one edit from the one read)
    "serial_searched",  # the serial was found by the second search, not boxed by the detector
    "serial_short",  # one or two characters: easy to miss, easy to invent
    "margin",  # rank over the best other reading, -0.3..0.3
    "memory_share",  # the visual memory's support for the article
    "not_in_catalog",  # no catalog article near: the raw text
    "corroborated",  # the article was read and the serial read is one the table lists for it
)


def corroborated(candidate: Candidate) -> bool:
    """Read, not inferred, and confirmed by the table: the article itself was read (not guessed
    from the serial or recalled by the memory) and the serial read is one the table lists for it.

    Only such a reading may be called sure: for anything else the catalog cannot catch a
    misread, e.g. a lone digit the detector missed next to an article that lists no serials.
    Nor does a serial read where the detector boxed none (past a gap at a line's end, alone
    on a row of the block): where no serial was read, a listed digit found there could as
    well be a scratch. Nor one where another reading of the photo plausibly says another
    serial the table lists: the table confirms both, so it cannot tell which was misread.
    """
    unboxed = candidate.serial_line is not None and candidate.serial_line.unboxed
    rival = candidate.serial_rival >= THRESHOLDS.serial_min_plausibility
    return (
        bool(candidate.rows)
        and candidate.article_similarity > 0
        and bool(candidate.serial)
        and candidate.serial_listed
        and not unboxed
        and not rival
    )


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
    if not twins:
        return 1.0
    read = _matched_characters(lines)
    scores: dict[int, float] = {}  # position in the key -> score of the character read there
    for op in Levenshtein.opcodes(key, "".join(ch for ch, _ in read)):
        if op.tag == "equal" or (op.tag == "replace" and op.src_end - op.src_start == op.dest_end - op.dest_start):
            for k in range(op.src_end - op.src_start):
                scores[op.src_start + k] = read[op.dest_start + k][1]
    clarity = 1.0
    for twin in twins:
        for op in Levenshtein.opcodes(key, twin):
            if op.tag != "equal":
                positions = range(op.src_start, max(op.src_end, op.src_start + 1))
                clarity = min(clarity, *(scores.get(min(p, len(key) - 1), 0.0) for p in positions))
    return clarity


def evidence(candidate: Candidate, candidates: Sequence[Candidate], index: CatalogIndex) -> dict[str, float]:
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
    twin_clear = twin_clarity(key, article_lines, twins) if candidate.article_similarity > 0 else 1.0
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
        "serial_neighbours": math.log1p(neighbours),
        "serial_searched": float(candidate.serial_line is not None and candidate.serial_line.searched),
        "serial_short": float(0 < len(serial) <= 2),
        "margin": max(-0.3, min(0.3, margin)),
        "memory_share": candidate.memory_share,
        "not_in_catalog": float(not candidate.rows),
        "corroborated": float(corroborated(candidate)),
    }


@dataclass(frozen=True, slots=True)
class Logistic:
    """Logistic regression over standardized evidence; no weights: a constant rate."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]

    def probability(self, facts: dict[str, float]) -> float:
        z = self.bias + sum(w * (facts[f] - self.mean[f]) / self.scale[f] for f, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """One model for corroborated readings, one for the rest, and the probability from which
    a corroborated reading is "sure" (how it was chosen: the model file's notes)."""

    corroborated: Logistic
    other: Logistic
    sure_from: float
    notes: str = ""

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ConfidenceModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(Logistic(**data["corroborated"]), Logistic(**data["other"]), data["sure_from"], data["notes"])

    def to_json(self) -> str:
        data = {
            "corroborated": asdict(self.corroborated),
            "other": asdict(self.other),
            "sure_from": self.sure_from,
            "notes": self.notes,
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    def probability(self, facts: dict[str, float]) -> float:
        return (self.corroborated if facts["corroborated"] else self.other).probability(facts)

    def is_sure(self, facts: dict[str, float], probability: float) -> bool:
        return bool(facts["corroborated"]) and probability >= self.sure_from


def assess(candidates: Sequence[Candidate], index: CatalogIndex, model: ConfidenceModel) -> None:
    """Give every candidate its probability of being exactly right, and say whether it is sure."""
    for candidate in candidates:
        facts = evidence(candidate, candidates, index)
        candidate.probability = model.probability(facts)
        candidate.corroborated = bool(facts["corroborated"])
        candidate.sure = model.is_sure(facts, candidate.probability)
