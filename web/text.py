"""What text markscan stores: printable characters only.

A control character (NUL, BEL, ESC, …) or a bidirectional override (U+202E
turns ``1574`` into ``4751`` on screen) has no place in an article, a serial, a
name or an order number: it is refused where it comes in (a form, JSON, a row
of the orders table), so nothing stored can break an export or fool a reader.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")


def unprintable(text: str) -> str:
    """The first character of ``text`` that may not be stored, as ``U+XXXX`` ("" when there is none)."""
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return ""


MAX_ARTICLE = 64  # characters: the longest article a plant stamps is far shorter
MAX_SERIAL = 32
MAX_TEXT = 200  # a part name, an order number, a station and unit
