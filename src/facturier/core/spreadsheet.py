"""Cells for the files a spreadsheet opens (CSV, XLSX): a person's text never becomes a
formula there (OWASP's CSV injection: a cell starting with = + - @, a tab or a line
break is read as one). Every CSV and XLSX export writes its rows through here.

Numbers, dates and None stay what they are (a negative amount is a number cell); only
text is guarded, so an amount must be given as a number, never as its text.
"""

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

# What makes a spreadsheet read a cell as a formula (or a DDE call), as its first
# character once leading spaces are skipped.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip(" \u00a0")[:1] in FORMULA_TRIGGERS


def text_cell(value: Any) -> Any:
    """The value for a CSV cell: text that a spreadsheet would run is quoted by a leading
    apostrophe, which spreadsheets read as "this is text"."""
    return "'" + value if is_formula_like(value) else value


def csv_lines(
    rows: Iterable[Iterable], *, delimiter: str = ",", decimal_comma: bool = False
) -> Iterator[str]:
    """Each row as one CSV line (CRLF), every cell guarded; amounts with a decimal comma
    when the reader's spreadsheet reads them so (see csv_dialect)."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        yield writer.writerow([_csv_cell(value, decimal_comma) for value in row])


def _csv_cell(value: Any, decimal_comma: bool) -> Any:
    if decimal_comma and isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return text_cell(value)


def csv_dialect(language: str | None) -> dict[str, Any]:
    """How a person's spreadsheet splits a CSV into columns: a French one (Excel,
    LibreOffice) on semicolons, reading 1234,50 as a number; others on commas. The
    files the pages give follow the reader's language; the API's stay comma and point."""
    if (language or "").startswith("fr"):
        return {"delimiter": ";", "decimal_comma": True}
    return {"delimiter": ",", "decimal_comma": False}


class _Echo:
    """A file-like object whose write returns the line: csv.writer into a generator."""

    def write(self, value: str) -> str:
        return value


def xlsx_row(sheet, row: Iterable) -> list:
    """A row for a write-only openpyxl sheet: text is always a text cell (never a
    formula), marked as Excel marks a typed leading apostrophe when it looks like one,
    so the cell shows the text as it is and stays text when edited."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in row:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot hold them
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            if is_formula_like(value):
                cell.quotePrefix = True
        cells.append(cell)
    return cells
