"""Reading an orders table (.xlsx) into catalog rows, with a report of what was wrong."""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from openpyxl import load_workbook

from inference.catalog import CatalogRow
from web.text import MAX_ARTICLE, MAX_SERIAL, MAX_TEXT, unprintable

# Column headers of the orders table, in the order CatalogRow takes them.
COLUMNS: dict[str, str] = {
    "ДетальАртикул": "article",
    "ПорядковыйНомер": "serial",
    "ДетальНаименование": "part_name",
    "ЗаказНомер": "order_number",
    "СтанцияБлок": "station_unit",
}
COLUMN_NAMES = {attr: name for name, attr in COLUMNS.items()}
REQUIRED = ("ДетальАртикул", "ЗаказНомер")


MAX_ROWS = 500_000  # a plant's orders table holds tens of thousands
MAX_SECONDS = 120
MAX_PARTS = 500
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 40 * 1024 * 1024  # the real table's: 0.1 MB
# What a damaged package raises from zipfile, openpyxl or the XML parser (ParseError is a SyntaxError).
READ_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError, IndexError)


class OrdersTableError(ValueError):
    """The file is not an orders table at all; nothing was imported.

    ``reason`` is the Russian phrase for a person (the key of its translation), ``values`` fill it.
    """

    def __init__(self, reason: str, **values: object):
        super().__init__(reason.format(**values))
        self.reason, self.values = reason, values


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row_number: int  # as Excel numbers it, header = 1
    reason: str


@dataclass(slots=True)
class ImportReport:
    rows: list[CatalogRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    empty_rows: int = 0

    def summary(self) -> str:
        text = f"{len(self.rows)} rows kept, {len(self.rejected)} rejected, {self.empty_rows} empty"
        lines = [text] + [f"  row {r.row_number}: {r.reason}" for r in self.rejected[:50]]
        if len(self.rejected) > 50:
            lines.append(f"  ... and {len(self.rejected) - 50} more")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "kept": len(self.rows),
            "rejected": [{"row": r.row_number, "reason": r.reason} for r in self.rejected],
            "empty_rows": self.empty_rows,
        }


def clean_text(value: object) -> str:
    """Strip the literal double quotes and padding the 1C export leaves."""
    if value is None:
        return ""
    text = str(value).strip()
    while len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    return text.strip('"').strip()


def clean_serial(value: object) -> str:
    """A serial as text; 0 and blank mean none. Raises ValueError on other types."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise ValueError(f"serial is a boolean ({value})")
    if isinstance(value, int):
        return "" if value == 0 else str(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"serial is a fraction ({value})")
        return "" if value == 0 else str(int(value))
    if isinstance(value, str):
        text = clean_text(value)
        if text in ("", "0"):
            return ""
        if any(ch.isalnum() for ch in text) and len(text) <= 32:
            return text
        raise ValueError(f"serial is not a number ({text!r})")
    raise ValueError(f"serial has type {type(value).__name__} ({value})")


def read_orders_xlsx(source: str | Path | IO[bytes]) -> ImportReport:
    """Parse the first sheet of an orders workbook.

    The header row may sit anywhere in the first 20 rows, columns in any order.
    A missing required column raises OrdersTableError; a bad row is rejected
    with its reason and the valid rows are kept.
    """
    try:
        _check_package(source)
        workbook = load_workbook(source, read_only=True, data_only=True)
    except OrdersTableError:
        raise
    except READ_ERRORS as exc:
        raise OrdersTableError("Это не таблица заказов: файл не в формате .xlsx; каталог не изменён.") from exc
    deadline = time.monotonic() + MAX_SECONDS
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_at, positions = _find_header(rows)
        report = ImportReport()
        for number, values in enumerate(rows, start=header_at + 1):
            if number > MAX_ROWS or time.monotonic() > deadline:
                raise OrdersTableError(
                    "Таблица больше {rows} строк или читается дольше {s} с; каталог не изменён.",
                    rows=MAX_ROWS,
                    s=MAX_SECONDS,
                )
            _read_row(number, values, positions, report)
        return report
    except OrdersTableError:
        raise
    except READ_ERRORS as exc:
        raise OrdersTableError("Это не таблица заказов: файл повреждён; каталог не изменён.") from exc
    finally:
        workbook.close()


def _check_package(source: str | Path | IO[bytes]) -> None:
    """Refuse, from the zip's directory and the parts' first bytes, what would take the reader's memory or
    time: too many or too big parts, shared strings past ``MAX_SHARED_STRINGS_BYTES``, XML with a DTD
    (entities: the "billion laughs")."""
    with zipfile.ZipFile(source) as package:
        parts = package.infolist()
        unpacked = sum(p.file_size for p in parts)
        shared = sum(p.file_size for p in parts if p.filename.endswith("sharedStrings.xml"))
        if len(parts) > MAX_PARTS or unpacked > MAX_UNPACKED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
            raise OrdersTableError("Таблица слишком велика для таблицы заказов; каталог не изменён.")
        for part in parts:
            if part.filename.endswith((".xml", ".rels")):
                with package.open(part) as xml:
                    head = xml.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise OrdersTableError("Это не таблица заказов: файл повреждён; каталог не изменён.")
    if hasattr(source, "seek"):
        source.seek(0)


def _find_header(rows) -> tuple[int, dict[str, int]]:
    for number, values in enumerate(rows, start=1):
        names = [clean_text(v) for v in values]
        positions = {name: i for i, name in enumerate(names) if name in COLUMNS}
        if positions:
            missing = [c for c in REQUIRED if c not in positions]
            if missing:
                raise OrdersTableError(
                    "Это не таблица заказов: нет столбцов {columns}; каталог не изменён.", columns=", ".join(missing)
                )
            return number, positions
        if number >= 20:
            break
    raise OrdersTableError(
        "Это не таблица заказов: нет строки заголовков со столбцами {columns}; каталог не изменён.",
        columns=", ".join(COLUMNS),
    )


def _read_row(number: int, values: tuple, positions: dict[str, int], report: ImportReport) -> None:
    def cell(name: str) -> object:
        i = positions.get(name)
        return values[i] if i is not None and i < len(values) else None

    if all(v is None or str(v).strip() in ("", '""') for v in values):
        report.empty_rows += 1
        return
    try:
        row = catalog_row({attr: cell(name) for name, attr in COLUMNS.items()}, COLUMN_NAMES)
    except ValueError as exc:
        report.rejected.append(RejectedRow(number, str(exc)))
        return
    report.rows.append(row)


def catalog_row(values: dict[str, object], names: dict[str, str]) -> CatalogRow:
    """One orders row from either source (an .xlsx, 1C): raw values by our field name, cleaned.

    ``names`` gives each field's name in the source, for the ValueError that says what is wrong.
    """
    fields: dict[str, str] = {}
    for attr, raw in values.items():
        if attr == "serial":
            fields[attr] = clean_serial(raw)
        elif raw is not None and not isinstance(raw, (str, int, float)):
            raise ValueError(f"{names[attr]} has type {type(raw).__name__}")
        else:
            fields[attr] = clean_text(raw)
    if not fields["article"]:
        raise ValueError(f"{names['article']} is empty")
    for attr, text in fields.items():
        if bad := unprintable(text):
            raise ValueError(f"{names[attr]} holds a control character ({bad})")
        limit = {"article": MAX_ARTICLE, "serial": MAX_SERIAL}.get(attr, MAX_TEXT)
        if len(text) > limit:
            raise ValueError(f"{names[attr]} is longer than {limit} characters")
    return CatalogRow(**fields)
