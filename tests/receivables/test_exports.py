"""Exports for the accountant: the FEC's format rules, the CSV of a period, the aging as
XLSX, and a client's statement of account."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from facturier.invoicing import actions as invoicing
from facturier.receivables import actions, fec
from facturier.receivables.actions.letters import send_statement_of_account
from facturier.receivables.aging import aging
from facturier.receivables.letter_outbox import deliver
from facturier.receivables.selectors import account_statement

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
LINES = [
    {"description": "Tenue", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"},
    {"description": "Formation", "quantity": "3", "unit_price": "33.33", "vat_rate": "5.5"},
    {"description": "Débours", "quantity": "1", "unit_price": "12.50", "vat_rate": "0"},
]


def on(month: int, day: int) -> datetime.datetime:
    return datetime.datetime(YEAR, month, day, 10, tzinfo=datetime.UTC)


@pytest.fixture
def books(make_draft, alice, template, client_entity, make_client, firm):
    """Two invoices, a credit note, a payment and a refund this year; one in USD."""
    first = invoicing.finalize_invoice(make_draft(lines=LINES), by=alice, now=on(1, 10))
    second = invoicing.finalize_invoice(make_draft(lines=LINES[:1]), by=alice, now=on(2, 3))
    note = invoicing.create_credit_note(
        second, by=alice, amounts=[{"vat_rate": "20", "amount": "100.00"}]
    )
    note = invoicing.finalize_invoice(note, by=alice, now=on(2, 5))
    actions.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("500.00"),
        received_on=on(3, 1).date(),
        allocations=[{"invoice": first.pk}],
    )
    extra = actions.record_payment(
        by=alice,
        client=client_entity,
        amount=Decimal("30.00"),
        received_on=on(3, 2).date(),
        allocations=[],
    )
    actions.refund_credit(extra, by=alice, amount=Decimal("30.00"), on=on(3, 4).date())
    american = make_client(firm, "Acme Inc", currency="USD", country="US")
    american.owners.add(alice)
    user = type(alice).objects.get(pk=alice.pk)
    invoicing.finalize_invoice(
        make_draft(by=user, client=american, lines=LINES[:1], currency="USD", exchange_rate="0.92"),
        by=user,
        now=on(1, 20),
    )
    return first, second, note


def fec_rows(firm) -> list[list[str]]:
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), YEAR)
    text = b"".join(fec.fec_bytes(firm.pk, start, end)).decode("iso-8859-15")
    assert text.endswith("\r\n")
    return [line.split("\t") for line in text.split("\r\n")[:-1]]


def amount(text: str) -> Decimal:
    assert "." not in text  # a decimal comma
    return Decimal(text.replace(",", "."))


def test_the_fec_keeps_the_format_rules(books, firm):
    rows = fec_rows(firm)
    assert rows[0] == list(fec.FEC_COLUMNS) and len(rows[0]) == 18
    body = rows[1:]
    assert all(len(row) == 18 for row in body)
    entries = defaultdict(lambda: [Decimal(0), Decimal(0)])
    numbers = defaultdict(list)
    for row in body:
        journal, number, day, piece_day, valid = row[0], row[2], row[3], row[9], row[15]
        for value in (day, piece_day, valid):
            datetime.datetime.strptime(value, "%Y%m%d")  # YYYYMMDD
        entries[journal, number][0] += amount(row[11])
        entries[journal, number][1] += amount(row[12])
        if number not in numbers[journal]:
            numbers[journal].append(number)
    for (journal, number), (debit, credit) in entries.items():
        assert debit == credit, (journal, number)  # each entry balances
    # 2 invoices, 1 credit note, the USD invoice
    assert numbers["VT"] == [f"VT{n:06d}" for n in range(1, 5)]
    assert numbers["BQ"] == [f"BQ{n:06d}" for n in range(1, 4)]  # 2 payments, 1 refund
    dates = [row[3] for row in body if row[0] == "VT"]
    assert dates == sorted(dates)


def test_the_fec_books_invoices_credit_notes_and_payments_on_their_accounts(books, firm):
    first, second, note = books
    rows = fec_rows(firm)[1:]
    by_piece = defaultdict(list)
    for row in rows:
        by_piece[row[8]].append(row)
    client_line = next(r for r in by_piece[first.number] if r[4] == "411000")
    assert amount(client_line[11]) == first.total_gross and client_line[6].startswith("C")
    vat = {r[5]: amount(r[12]) for r in by_piece[first.number] if r[4].startswith("4457")}
    assert vat == {"TVA collectée 20%": Decimal("200.00"), "TVA collectée 5.5%": Decimal("5.50")}
    revenue = sum(amount(r[12]) for r in by_piece[first.number] if r[4] == "706000")
    assert revenue == first.total_net
    # The credit note reverses: the client's account is credited.
    note_client = next(r for r in by_piece[note.number] if r[4] == "411000")
    assert amount(note_client[12]) == Decimal("120.00") and amount(note_client[11]) == 0
    bank = [r for r in rows if r[0] == "BQ" and r[4] == "512000"]
    assert [(amount(r[11]), amount(r[12])) for r in bank] == [
        (Decimal("500.00"), 0),
        (Decimal("30.00"), 0),
        (0, Decimal("30.00")),  # the refund leaves the bank
    ]
    assert rows[0][1] == "Ventes"  # French, whoever asks
    # In dollars: booked in euros at the rate stated on it, the dollars beside.
    (acme,) = [r for r in rows if r[7] == "Acme Inc"]
    assert (acme[16], acme[17]) == ("1200,00", "USD") and amount(acme[11]) == Decimal("1104.00")
    start, end = fec.fiscal_year(fec.ledger_for(firm.pk), YEAR)
    assert fec.notice(firm.pk, start, end).skipped == fec.Skipped(0, 0)


def test_the_fec_follows_the_firms_accounts_and_fiscal_year(books, firm, alice):
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    alice = type(alice).objects.get(pk=alice.pk)
    from facturier.receivables.actions.exports import save_ledger

    save_ledger(firm.pk, by=alice, fields={"client_account": "411100", "fiscal_year_start": 7})
    ledger = fec.ledger_for(firm.pk)
    assert fec.fiscal_year(ledger, YEAR) == (
        datetime.date(YEAR - 1, 7, 1),
        datetime.date(YEAR, 6, 30),
    )
    rows = fec_rows(firm)[1:]
    assert {r[4] for r in rows if r[6]} == {"411100"}
    assert fec.fec_filename(firm, datetime.date(YEAR, 6, 30)) == f"123456782FEC{YEAR}0630.txt"


def test_the_csv_of_a_period_lists_documents_and_payments(books, client, alice):
    client.force_login(alice)
    url = reverse("billing:exports")
    response = client.get(
        url, {"kind": "documents", "start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 4  # header, 2 invoices, 1 credit note, the USD invoice
    assert [row[0] for row in rows[1:]].count("Avoir") + [row[0] for row in rows[1:]].count(
        "Credit note"
    ) == 1
    response = client.get(
        url, {"kind": "payments", "start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[5] for row in rows[1:]] == ["500.00", "30.00"]
    # A bad period is a message, not an error page.
    response = client.get(url, {"kind": "payments", "start": "2026-12-31", "end": "2026-01-01"})
    assert response.status_code == 302


def test_the_fec_needs_the_processing_permission(books, client, staff):
    client.force_login(staff["owner_only"])
    response = client.get(reverse("billing:exports"), {"year": YEAR})
    assert response.status_code == 302  # refused, with a message
    client.force_login(staff["owner_processor"])
    response = client.get(reverse("billing:exports"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'FEC{YEAR}1231.txt"')


def test_the_aging_xlsx_has_the_pages_numbers(books, client, alice):
    client.force_login(alice)
    response = client.get(reverse("billing:aging"), {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    result = aging(user=alice, day=datetime.date.today())
    totals = [r for r in rows if r[0] in ("Total", "Total ")]
    assert [Decimal(str(v)) for v in totals[0][2:]] == [
        *result.totals["EUR"].buckets,
        result.totals["EUR"].total,
    ]


def test_a_statement_runs_the_balance_over_the_period(books, client_entity, alice):
    first, second, note = books
    statement = account_statement(
        client_entity, "EUR", datetime.date(YEAR, 2, 1), datetime.date(YEAR, 12, 31), user=alice
    )
    assert statement.opening == first.total_gross  # before February: the first invoice
    running = [balance for _entry, balance in statement.running()]
    expected = (
        first.total_gross
        + second.total_gross
        - Decimal("120.00")
        - Decimal("500.00")
        - Decimal("30.00")
        + Decimal("30.00")
    )
    assert running[-1] == statement.closing == expected
    # What the statement says is owed is what the open invoices owe, less credit.
    first.refresh_from_db()
    second.refresh_from_db()
    assert statement.closing == first.balance + second.balance


def test_a_statement_is_emailed_as_a_pdf(smtp_server, books, alice, client_entity):
    letter = send_statement_of_account(
        client_entity,
        by=alice,
        start=datetime.date(YEAR, 1, 1),
        end=datetime.date(YEAR, 12, 31),
    )
    assert deliver(letter.pk) == "sent"
    ((_recipients, message),) = smtp_server.handler.received
    (attachment,) = list(message.iter_attachments())
    text = pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "Relevé de compte" in text and books[0].number in text


def test_a_french_reader_gets_columns_a_french_spreadsheet_splits(books, client, alice):
    """French Excel and LibreOffice split a CSV on semicolons and read 500,00 as a
    number: on commas, every row would land in one column."""
    client.force_login(alice)
    period = {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"}
    response = client.get(
        reverse("billing:exports"), {"kind": "payments", **period}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Date de réception" and len(rows[0]) == 7
    assert [row[5] for row in rows[1:]] == ["500,00", "30,00"]
    aging_csv = client.get(reverse("billing:aging"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="fr")
    header, *lines = csv.reader(io.StringIO(aging_csv.content.decode("utf-8-sig")), delimiter=";")
    assert len(header) > 3 and all(len(line) == len(header) for line in lines)
    assert any("," in cell for line in lines for cell in line[2:])  # amounts, the French way
