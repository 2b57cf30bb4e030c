import datetime
import io

import pytest
from openpyxl import Workbook

from web.storage.orders_xlsx import OrdersTableError, read_orders_xlsx

HEADER = ["ДетальАртикул", "ПорядковыйНомер", "ДетальНаименование", "ЗаказНомер", "СтанцияБлок"]


def workbook(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def test_quotes_and_padding_are_stripped_suffixes_kept():
    report = read_orders_xlsx(
        workbook(
            [
                ['"1391-30-0108 ТС1.1"', 75, '"ДетальЦБ-00006435"', '"201013281  "', "Тяньваньская АЭС_блок 8"],
            ]
        )
    )
    (r,) = report.rows
    assert r.article == "1391-30-0108 ТС1.1"
    assert r.serial == "75"
    assert r.part_name == "ДетальЦБ-00006435"
    assert r.order_number == "201013281"


def test_zero_and_blank_serials_mean_none_and_every_row_is_kept():
    report = read_orders_xlsx(
        workbook(
            [
                ['"1753-30-1034"', 0, "a", "1", "s"],
                ['"1753-30-1034"', None, "a", "2", "s"],
                ['"1753-30-1034"', 12.0, "a", "3", "s"],
            ]
        )
    )
    assert [r.serial for r in report.rows] == ["", "", "12"]


def test_bad_rows_are_reported_and_good_rows_kept():
    report = read_orders_xlsx(
        workbook(
            [
                ["195-30-1285", 1, "a", "1", "s"],
                ["", 2, "a", "1", "s"],
                ["195-30-1285", datetime.datetime(2024, 1, 1), "a", "1", "s"],
                ["195-30-1285", 1.5, "a", "1", "s"],
                [None, None, None, None, None],
                ["195-30-1285", 3, "a", "1", "s"],
            ]
        )
    )
    assert [r.serial for r in report.rows] == ["1", "3"]
    assert [r.row_number for r in report.rejected] == [3, 4, 5]
    assert "ДетальАртикул" in report.rejected[0].reason
    assert report.empty_rows == 1
    assert "2 rows kept, 3 rejected" in report.summary()


def test_columns_in_another_order_are_found_by_name():
    header = ["СтанцияБлок", "ЗаказНомер", "ДетальАртикул", "ПорядковыйНомер", "ДетальНаименование"]
    report = read_orders_xlsx(workbook([["s", "9", "195-30-1285", 4, "n"]], header=header))
    assert report.rows[0].article == "195-30-1285"
    assert report.rows[0].serial == "4"


def test_missing_required_column_is_an_error():
    with pytest.raises(OrdersTableError, match="ЗаказНомер"):
        read_orders_xlsx(workbook([["a", 1, "n", "s"]], header=["ДетальАртикул", "ПорядковыйНомер", "x", "y"]))


def test_a_sheet_without_the_header_is_an_error():
    with pytest.raises(OrdersTableError, match="нет строки заголовков"):
        read_orders_xlsx(workbook([[1, 2, 3]], header=["a", "b", "c"]))


def test_a_file_that_is_not_xlsx_is_an_error():
    with pytest.raises(OrdersTableError, match="не в формате .xlsx"):
        read_orders_xlsx(io.BytesIO(b"name,serial\n1,2\n"))


def repacked(replace: dict[str, bytes]) -> io.BytesIO:
    """A valid orders workbook with some of its parts replaced."""
    import zipfile

    source = zipfile.ZipFile(workbook([["195-30-1285", 1, "n", "2", "s"]]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for part in source.infolist():
            out.writestr(part.filename, replace.get(part.filename, source.read(part.filename)))
        for name, data in replace.items():
            if name not in source.namelist():
                out.writestr(name, data)
    buffer.seek(0)
    return buffer


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b"]><sst><si><t>&lol2;</t></si></sst>"
)
MANY_STRINGS = (
    b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + b"<si><t>x</t></si>" * 3_000_000
    + b"</sst>"
)


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ({"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"}, "не таблица заказов"),
        ({"xl/sharedStrings.xml": LAUGHS}, "повреждён"),
        ({"xl/sharedStrings.xml": MANY_STRINGS}, "слишком велика"),
    ],
    ids=["broken XML", "billion laughs", "3 M shared strings"],
)
def test_a_hostile_workbook_is_refused_with_a_reason(parts, reason):
    with pytest.raises(OrdersTableError, match=reason):
        read_orders_xlsx(repacked(parts))
