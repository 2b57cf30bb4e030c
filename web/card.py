"""What the result card says about a reading and offers to tap.

A sure reading is confirmed with one big button. A reading that is not sure says
which part of it is in doubt, in words a worker can act on ("номер: 2669 или
2660?"), and puts the fix first: the likeliest other markings as buttons, the
serials the article lists, then the fields. Nothing read means nothing to confirm.
"""

from __future__ import annotations

from inference.catalog import CatalogIndex
from inference.choices import TWIN
from inference.records import ChoiceRecord, ReadingRecord
from web.storage.scans import Scan

CONFIDENCE_WORDS = {"sure": "уверенно", "check": "проверьте", "none": "не найдено"}
MAX_SERIAL_CHOICES = 40  # more serial buttons than this is a scroll, not a choice
SEPARATORS = ".- "


def confidence_word(reading: ReadingRecord) -> tuple[str, str]:
    """The word the card shows for a reading, and its kind: "уверенно" only for a sure reading."""
    if reading.get("sure"):
        kind = "sure"
    elif reading.get("status") in ("matched", "article only") and reading.get("article"):
        kind = "check"
    else:
        kind = "none"
    return CONFIDENCE_WORDS[kind], kind


def _tails(read: str, other: str) -> tuple[str, str]:
    """Two articles as a person compares them: from the group where they differ ("…210", "…211")."""
    common = 0
    while common < min(len(read), len(other)) and read[common] == other[common]:
        common += 1
    cut = max((read.rfind(sep, 0, common) for sep in SEPARATORS), default=-1)
    if cut <= 0:
        return read, other
    return "…" + read[cut + 1 :], "…" + other[cut + 1 :]


def doubt(reading: ReadingRecord) -> tuple[str, dict[str, str]]:
    """Which part of a reading that is not sure is in doubt: a phrase (the key for its translation) and its values."""
    if not reading.get("article"):
        return "маркировка не прочитана: введите её или снимите ещё раз", {}
    candidates = reading.get("candidates") or []
    best = candidates[0] if candidates else None
    choices = reading.get("choices") or []
    first = choices[0] if choices else None
    serial, article = reading.get("serial", ""), reading["article"]
    if best is None or reading.get("status") == "not in catalog":
        return "артикула {article} нет в таблице заказов", {"article": article}
    if first is not None and first["reason"] == TWIN:
        read, other = _tails(article, first["article"])
        return "артикул: {read} или {other}?", {"read": read, "other": other}
    if not serial and any(row["serial"] for row in best["rows"]):
        return "номер не прочитан", {}
    other = next((c["serial"] for c in choices if c["article"] == article and c["serial"]), "")
    if serial and other:
        return "номер: {read} или {other}?", {"read": serial, "other": other}
    if serial and not best["serial_listed"]:
        return "номера {serial} нет в таблице заказов для этого артикула", {"serial": serial}
    if best["read_once"]:
        return "прочитано только в одном виде: сверьте с деталью", {}
    return "сверьте артикул и номер с деталью", {}


def choices(scan: Scan) -> list[ChoiceRecord]:
    """The markings to offer as buttons: none once confirmed or when the reading is sure."""
    if scan.confirmed_at is not None or scan.reading.get("sure"):
        return []
    current = scan.marking
    return [c for c in scan.reading.get("choices") or [] if c["marking"] != current and c["article"]]


def serial_choices(catalog: CatalogIndex, scan: Scan) -> list[str]:
    """The serials the read article lists, as one-tap buttons, when the reading is not sure and they are few."""
    if scan.confirmed_at is not None or scan.reading.get("sure") or not scan.article:
        return []
    entry = catalog.entry_for(scan.article)
    if entry is None or not 1 < len(entry.serials) <= MAX_SERIAL_CHOICES:
        return []
    return sorted(entry.serials, key=lambda s: (len(s), s))
