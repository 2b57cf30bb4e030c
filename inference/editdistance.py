"""Edit distances that know which characters the OCR confuses."""

from __future__ import annotations

from inference.lookalikes import CONFUSABLE_GROUPS, CONFUSION_PAIRS
from inference.settings import THRESHOLDS

_CLASS = {ch: group[0] for group in CONFUSABLE_GROUPS for ch in group}


def class_fold(text: str) -> str:
    """Each character replaced by the first of its confusion group (cheap prefilter)."""
    return "".join(_CLASS.get(ch, ch) for ch in text)


def ocr_infix_distance(read: str, truth: str) -> tuple[float, int, int]:
    """Best weighted distance of ``truth`` to any stretch of ``read``.

    Returns (distance, start, end): ``read[start:end]`` is the stretch; what
    lies outside it (a serial on the same line, a stray mark) costs nothing.
    """
    n = len(truth)
    # DP over ``read``: cost[j] = distance of truth[:j] to a stretch of read
    # ending here; origin[j] = where that stretch begins.
    indel, confused, substitute = THRESHOLDS.insert_delete_cost, THRESHOLDS.confused_cost, THRESHOLDS.substitute_cost
    cost = [j * indel for j in range(n + 1)]
    origin = [0] * (n + 1)
    best = (cost[n], 0, 0)
    pairs = CONFUSION_PAIRS
    for i, a in enumerate(read, 1):
        new_cost = [0.0] * (n + 1)
        new_origin = [i] * (n + 1)
        left, left_origin = 0.0, i
        for j in range(1, n + 1):
            b = truth[j - 1]
            diag = cost[j - 1] + (0.0 if a == b else confused if (a, b) in pairs else substitute)
            up = cost[j] + indel
            side = left + indel
            if diag <= up and diag <= side:
                left, left_origin = diag, origin[j - 1]
            elif up <= side:
                left, left_origin = up, origin[j]
            else:
                left = side
            new_cost[j] = left
            new_origin[j] = left_origin
        cost, origin = new_cost, new_origin
        if cost[n] < best[0]:
            best = (cost[n], origin[n], i)
    return best
