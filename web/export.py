"""Scans as a table a person can open: CSV (UTF-8 with BOM, for Excel) and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from web.storage.scans import Scan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("№", "Время", "Кто", "Прочитано", "Артикул", "Номер", "Заказ", "Станция, блок", "Статус", "Подтвердил")


def scan_row(scan: Scan, status: str) -> tuple:
    return (
        scan.id,
        scan.created_at,
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
    return value


def to_csv(rows: list[tuple], header: tuple = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_inert(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[tuple], header: tuple = HEADER) -> bytes:
    """Every text cell is stored as text, never as a formula, whatever it starts with."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for values in (header, *rows):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
