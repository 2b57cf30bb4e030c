"""Scans as a table a person can open: CSV (UTF-8 with BOM, for Excel) and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from web.storage.scans import Scan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ("№", "Время", "Кто", "Прочитано", "Артикул", "Номер", "Заказ", "Станция, блок", "Статус", "Подтвердил")


def scan_row(scan: Scan, status: str) -> tuple:
    confirmed = scan.confirmed_at is not None
    return (
        scan.id,
        scan.created_at,
        scan.created_by,
        scan.marking,
        scan.confirmed_article if confirmed else scan.article,
        scan.confirmed_serial if confirmed else scan.serial,
        scan.order_number,
        scan.station_unit,
        status,
        scan.confirmed_by or "",
    )


def _safe(value: object) -> object:
    """A cell that a spreadsheet would not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit():
        return "'" + value
    return value


def to_csv(rows: list[tuple], header: tuple = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[tuple], header: tuple = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
