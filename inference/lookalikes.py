"""Letters that look alike, and the OCR's usual confusions.

The offline PP-OCR models print Latin letters only, while the markings are
Cyrillic (``АМ117`` is read as ``AM117``).  Everything here is a plain table,
so a newcomer can extend it without touching the matching code.
"""

from __future__ import annotations

# Cyrillic capital -> Latin capital that prints the same.
CYRILLIC_TO_LATIN: dict[str, str] = {
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
}
LATIN_TO_CYRILLIC: dict[str, str] = {v: k for k, v in CYRILLIC_TO_LATIN.items()}

# Characters the recognizer mixes up on stamped steel: each group is one class.
CONFUSABLE_GROUPS: tuple[str, ...] = (
    "0ODQU",
    "1IL7T|!J",
    "5S",
    "8B3",
    "6G",
    "2Z",
    "4A",
    "9G",
    "-_~—–",
    "./,:;·",
    "MN",
    "HN",
    "KX",
    "UV",
)


def fold(text: str) -> str:
    """Uppercase ``text`` and write every Cyrillic look-alike as its Latin twin."""
    upper = text.upper()
    return "".join(CYRILLIC_TO_LATIN.get(ch, ch) for ch in upper)


def skeleton(text: str) -> str:
    """Folded text with separators and spaces removed: what matching compares."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _confusion_pairs() -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for group in CONFUSABLE_GROUPS:
        for a in group:
            for b in group:
                if a != b:
                    pairs.add((a, b))
    return frozenset(pairs)


CONFUSION_PAIRS = _confusion_pairs()

# A letter read where a digit stands in the catalog, or the reverse.
DIGIT_FOR_LETTER: dict[str, str] = {
    "O": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "T": "1",
    "J": "1",
    "|": "1",
    "!": "1",
    "S": "5",
    "B": "8",
    "G": "6",
    "Z": "2",
    "A": "4",
}


def to_cyrillic(text: str) -> str:
    """Write Latin look-alikes in the leading letter block as Cyrillic.

    Used only for a reading the catalog does not know: markings start with a
    Cyrillic code (``АМ``, ``АНЕМ``) while later Latin letters (``.LP``) stay.
    """
    out = []
    leading = True
    for ch in text:
        if leading and ch.isalpha():
            out.append(LATIN_TO_CYRILLIC.get(ch.upper(), ch))
        else:
            leading = False
            out.append(ch)
    return "".join(out)
