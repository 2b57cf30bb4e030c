"""Edit distances that know which characters the OCR confuses."""

from __future__ import annotations

from inference.lookalikes import CONFUSABLE_GROUPS, CONFUSION_PAIRS

SUBSTITUTE = 1.0
CONFUSED = 0.35
INSERT_DELETE = 0.8

_CLASS = {ch: group[0] for group in CONFUSABLE_GROUPS for ch in group}


def class_fold(text: str) -> str:
    """Each character replaced by the first of its confusion group (cheap prefilter)."""
    return "".join(_CLASS.get(ch, ch) for ch in text)


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return CONFUSED if (a, b) in CONFUSION_PAIRS else SUBSTITUTE


def ocr_distance(read: str, truth: str) -> float:
    """Weighted Levenshtein distance from an OCR reading to a catalog string."""
    if read == truth:
        return 0.0
    prev = [j * INSERT_DELETE for j in range(len(truth) + 1)]
    for i, a in enumerate(read, 1):
        cur = [i * INSERT_DELETE]
        for j, b in enumerate(truth, 1):
            cur.append(min(prev[j - 1] + _sub_cost(a, b), prev[j] + INSERT_DELETE, cur[j - 1] + INSERT_DELETE))
        prev = cur
    return prev[-1]


def ocr_infix_distance(read: str, truth: str) -> tuple[float, int, int]:
    """Best weighted distance of ``truth`` to any stretch of ``read``.

    Returns (distance, start, end): ``read[start:end]`` is the stretch; what
    lies outside it (a serial on the same line, a stray mark) costs nothing.
    """
    n = len(truth)
    # DP over ``read``: cost[j] = distance of truth[:j] to a stretch of read
    # ending here; origin[j] = where that stretch begins.
    cost = [j * INSERT_DELETE for j in range(n + 1)]
    origin = [0] * (n + 1)
    best = (cost[n], 0, 0)
    pairs = CONFUSION_PAIRS
    for i, a in enumerate(read, 1):
        new_cost = [0.0] * (n + 1)
        new_origin = [i] * (n + 1)
        left, left_origin = 0.0, i
        for j in range(1, n + 1):
            b = truth[j - 1]
            diag = cost[j - 1] + (0.0 if a == b else CONFUSED if (a, b) in pairs else SUBSTITUTE)
            up = cost[j] + INSERT_DELETE
            side = left + INSERT_DELETE
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
