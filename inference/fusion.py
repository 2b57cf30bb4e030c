"""Several photos of one part, one reading.

Each photo is read on its own (``Recognition.to_record()``); the readings vote.
The article is the one with the most probability summed over photos; the serial
is then voted among that article's candidates, so a photo that missed the serial
does not hold back one that read it. Photos that agree raise the probability,
a photo whose own best reading is something else lowers it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from inference.records import CandidateRecord, ReadingRecord
from inference.settings import THRESHOLDS

_LIMIT = 1e-6


def _logit(p: float) -> float:
    p = min(1 - _LIMIT, max(_LIMIT, p))
    return math.log(p / (1 - p))


def _best(reading: ReadingRecord, article: str, serial: str | None = None) -> CandidateRecord | None:
    """The reading's most probable catalog candidate of ``article`` (and ``serial``, when given)."""
    found = [
        c
        for c in reading.get("candidates", [])
        if c["rows"] and c["article"] == article and (serial is None or c["serial"] == serial)
    ]
    return max(found, key=lambda c: c["probability"], default=None)


def _probability(candidate: CandidateRecord | None) -> float:
    return candidate["probability"] if candidate is not None else 0.0


def fuse(readings: Sequence[ReadingRecord], sure_from: float) -> ReadingRecord:
    """One reading from the readings of several photos of the same part.

    The result has the first readable photo's boxes and lines, the fused
    candidates, ``probability`` and ``sure``, and ``photos``: the readings
    it was fused from, as given.
    """
    if not readings:
        raise ValueError("no readings to fuse")
    photos = list(readings)
    articles: dict[str, float] = defaultdict(float)
    for reading in readings:
        for article in {c["article"] for c in reading.get("candidates", []) if c["rows"]}:
            articles[article] += _probability(_best(reading, article))
    base = next((r for r in readings if r.get("candidates")), readings[0])
    if not articles:  # nothing in the catalog on any photo: the first photo's reading stands
        return {**base, "photos": photos}
    article = max(articles, key=lambda a: (articles[a], a))
    serials: dict[str, float] = defaultdict(float)
    for reading in readings:
        for serial in {c["serial"] for c in reading.get("candidates", []) if c["article"] == article and c["serial"]}:
            serials[serial] += _probability(_best(reading, article, serial))
    serial = max(serials, key=lambda s: (serials[s], s)) if serials else ""

    evidence: list[float] = []  # log-odds of each photo that read the chosen marking
    against = 0.0
    chosen: CandidateRecord | None = None
    for reading in readings:
        mine = _best(reading, article, serial)
        top = reading["candidates"][0] if reading.get("candidates") else None
        if mine is not None and (chosen is None or mine["probability"] > chosen["probability"]):
            chosen = mine
        if top is None or (top["article"], top["serial"]) == (article, serial):
            if mine is not None:
                evidence.append(_logit(mine["probability"]))
        elif not (top["article"] == article and not top["serial"]):  # a missed serial is no vote against
            against += THRESHOLDS.disagreeing_cost + max(0.0, _logit(top["probability"]))
    assert chosen is not None  # the chosen article and serial come from some photo's candidate
    evidence.sort(reverse=True)
    logit = (evidence[0] if evidence else _logit(0.0)) + THRESHOLDS.agreeing_weight * sum(
        max(0.0, e) for e in evidence[1:]
    )
    probability = 1 / (1 + math.exp(-(logit - against)))
    same = [c for r in readings for c in r.get("candidates", []) if c["marking"] == chosen["marking"]]
    # a marking one character decides is corroborated by two photos that read it alike
    read_twice = sum(bool(c.get("corroborated") or c.get("read_once")) for c in same) >= 2
    sure = (any(c.get("corroborated") for c in same) or read_twice) and probability >= sure_from
    fused: CandidateRecord = {**chosen, "probability": round(probability, 3), "sure": sure}
    others = [c for r in readings for c in r.get("candidates", []) if c["marking"] != fused["marking"]]
    seen = {fused["marking"]}
    rest = []
    for c in sorted(others, key=lambda c: -c["probability"]):
        if c["marking"] not in seen:
            seen.add(c["marking"])
            rest.append(c)
    return {
        **base,
        "marking": fused["marking"],
        "article": fused["article"],
        "serial": serial,
        "status": fused["status"],
        "probability": fused["probability"],
        "sure": sure,
        "candidates": [fused, *rest],
        "photos": photos,
    }
