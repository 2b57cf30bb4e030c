"""Scans as a table a person can open in Excel: XLSX, and CSV as Russian Excel reads it (``;``, UTF-8 with BOM).

Times are the plant's clock (``MARKSCAN_TIMEZONE``): date cells in the XLSX. Text is
written as text: nothing a spreadsheet would run as a formula, and no character the
XLSX format cannot hold (a stored control character shows as U+FFFD, never breaks it).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from web.storage.scans import Scan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("№", "Время", "Кто", "Прочитано", "Артикул", "Номер", "Заказ", "Станция, блок", "Статус", "Подтвердил")
WIDTHS = (8, 17, 14, 28, 24, 10, 14, 28, 22, 14)  # characters, per column of HEADER
SHEET = "История"
TIME_FORMAT = "YYYY-MM-DD HH:MM"


def plant_time(moment: str, zone: str = "") -> datetime | str:
    """A stored UTC time on the plant's clock, without a zone (Excel has none); unparseable: as stored."""
    try:
        when = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return moment or ""
    return when.astimezone(ZoneInfo(zone) if zone else None).replace(tzinfo=None, microsecond=0)


def scan_row(scan: Scan, status: str, zone: str = "") -> tuple:
    return (
        scan.id,
        plant_time(scan.created_at, zone),
        scan.created_by,
        scan.marking,
        scan.current_article,
        scan.current_serial,
        scan.order_number,
        scan.station_unit,
        status,
        scan.confirmed_by or "",
    )


def _inert(value: object) -> object:
    """Text a spreadsheet shows as typed: a leading formula character gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def to_csv(rows: list[tuple], header: tuple = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows([[_inert(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[tuple], header: tuple = HEADER, widths: tuple = WIDTHS) -> bytes:
    """A named sheet with a frozen header row and set widths; times as date cells; text stored as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for values in (header, *rows):
        cells = []
        for value in values:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            cell = WriteOnlyCell(sheet, value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, datetime):
                cell.number_format = TIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
