"""Exports for the accountant, as streams of lines (flat memory at any size): the
invoices, credit notes and payments of a period as CSV, and the FEC.

The FEC (fichier des écritures comptables, Livre des procédures fiscales art. A47 A-1):
the 18 columns in their order, tab-separated, dates as YYYYMMDD, amounts with a
decimal comma, one file per fiscal year. Two journals: sales (each invoice debits
the client's account and credits revenue and VAT collected per rate; a credit note
the reverse) and bank (each payment debits the bank and credits the client; a refund
the reverse). Every entry balances; entry numbers run on without a gap per journal.
Amounts are in euros: documents in another currency need the euro rate of their
date, which the firm does not record yet, so they are counted and left out (the
export says how many).
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from facturier.core import spreadsheet
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice

from .models import Allocation, LedgerAccounts, Payment

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
FEC_CURRENCY = "EUR"
CHUNK = 2000


def csv_lines(rows: Iterable[Iterable], *, delimiter: str = ",") -> Iterator[str]:
    """The rows as CSV lines, no cell of a person's text read as a formula."""
    return spreadsheet.csv_lines(rows, delimiter=delimiter)


def ledger_for(firm_id: int) -> LedgerAccounts:
    return LedgerAccounts.objects.filter(firm_id=firm_id).first() or LedgerAccounts(firm_id=firm_id)


def fiscal_year(ledger: LedgerAccounts, year: int) -> tuple[datetime.date, datetime.date]:
    """The fiscal year that ends in `year` (calendar year when it starts in January)."""
    month = ledger.fiscal_year_start or 1
    if month == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    start = datetime.date(year - 1, month, 1)
    end = datetime.date(year, month, 1) - datetime.timedelta(days=1)
    return start, end


def fec_filename(firm, end: datetime.date) -> str:
    siren = "".join(ch for ch in (firm.siren or "") if ch.isalnum()) or "000000000"
    return f"{siren}FEC{end:%Y%m%d}.txt"


# -- CSV of documents and payments --------------------------------------------------


def document_rows(invoices, start, end) -> Iterator[list]:
    """Issued invoices and credit notes of [start, end], by date and number (the words
    are taken now, in the request's language, not when the stream is read)."""
    header = [
        _("Type"),
        _("Number"),
        _("Issue date"),
        _("Due date"),
        _("Client"),
        _("Client VAT number"),
        _("Currency"),
        _("Total excl. VAT"),
        _("VAT"),
        _("Total incl. VAT"),
        _("Balance"),
        _("Status"),
        _("Corrects"),
    ]
    kinds = {key: str(label) for key, label in DocumentKind.choices}
    statuses = {key: str(label) for key, label in InvoiceStatus.choices}
    return _documents(header, kinds, statuses, invoices, start, end)


def _documents(header, kinds, statuses, invoices, start, end) -> Iterator[list]:
    yield header
    rows = (
        invoices.filter(issue_date__gte=start, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("issue_date", "number", "pk")
        .values_list(
            "kind",
            "number",
            "issue_date",
            "due_date",
            "client__name",
            "client__vat_number",
            "currency",
            "total_net",
            "total_vat",
            "total_gross",
            "balance",
            "status",
            "corrects__number",
        )
    )
    for kind, number, issued, due, client, vat, currency, net, tax, gross, *rest in rows.iterator(
        chunk_size=CHUNK
    ):
        balance, status, corrects = rest
        yield [
            kinds[kind],
            number,
            issued.isoformat(),
            due.isoformat() if due else "",
            client,
            vat,
            currency,
            net,
            tax,
            gross,
            "" if balance is None else balance,
            statuses[status],
            corrects or "",
        ]


def payment_rows(payments, start, end) -> Iterator[list]:
    header = [
        _("Date received"),
        _("Client"),
        _("Method"),
        _("Reference"),
        _("Currency"),
        _("Amount"),
        _("Unallocated"),
    ]
    methods = {key: str(label) for key, label in Payment.Method.choices}
    return _payments(header, methods, payments, start, end)


def _payments(header, methods, payments, start, end) -> Iterator[list]:
    yield header
    for day, client, method, reference, currency, amount, left in (
        payments.filter(received_on__gte=start, received_on__lte=end)
        .order_by("received_on", "pk")
        .values_list(
            "received_on",
            "client__name",
            "method",
            "reference",
            "currency",
            "amount",
            "unallocated",
        )
        .iterator(chunk_size=CHUNK)
    ):
        yield [day.isoformat(), client, methods[method], reference, currency, amount, left]


# -- FEC ------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.strftime("%Y%m%d") if value else ""


def _text(value: str) -> str:
    """A field may hold neither the separator nor a line break."""
    return " ".join(str(value or "").split())


@dataclass
class FecSkipped:
    """What the FEC leaves out: documents and payments not in euros."""

    documents: int = 0
    payments: int = 0


def skipped(firm_id: int, start, end) -> FecSkipped:
    return FecSkipped(
        documents=Invoice.objects.filter(
            firm_id=firm_id, issue_date__gte=start, issue_date__lte=end
        )
        .exclude(status=InvoiceStatus.DRAFT)
        .exclude(currency=FEC_CURRENCY)
        .count(),
        payments=Payment.objects.filter(
            firm_id=firm_id, received_on__gte=start, received_on__lte=end
        )
        .exclude(currency=FEC_CURRENCY)
        .count(),
    )


def _client_aux(client_id: int) -> str:
    return f"C{client_id:06d}"


def _vat_lines(breakdown: list | None, gross: Decimal) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, base, vat) per rate, the last base mended so base + VAT = the total."""
    rows = [
        (Decimal(str(b["rate"])), Decimal(str(b["base"])), Decimal(str(b["vat"])))
        for b in breakdown or []
    ]
    if not rows:
        return [(Decimal(0), gross, Decimal(0))]
    difference = gross - sum(base + vat for _rate, base, vat in rows)
    rate, base, vat = rows[-1]
    rows[-1] = (rate, base + difference, vat)
    return rows


def fec_words() -> dict[str, str]:
    """The FEC's labels, in French whoever asks: it is a French tax file."""
    with translation.override("fr"):
        return {
            "sales": _("Sales"),
            "bank": _("Bank"),
            "clients": _("Clients"),
            "revenue": _("Services rendered"),
            DocumentKind.INVOICE: _("Invoice"),
            DocumentKind.CREDIT_NOTE: _("Credit note"),
            "vat": _("VAT collected %(rate)s%%"),
            "payment": _("Payment %(client)s"),
            "refund": _("Refund %(client)s"),
        }


def fec_lines(firm_id: int, start: datetime.date, end: datetime.date) -> Iterator[str]:
    """The FEC of the firm over [start, end], line by line (header first)."""
    ledger, words = ledger_for(firm_id), fec_words()
    yield "\t".join(FEC_COLUMNS) + "\r\n"
    yield from _sales(ledger, words, firm_id, start, end)
    yield from _bank(ledger, words, firm_id, start, end)


def _line(*fields) -> str:
    return "\t".join(_text(field) for field in fields) + "\r\n"


def _sides(amount: Decimal, debit: bool, reversed_: bool) -> tuple[str, str]:
    """(Debit, Credit) of a line; a credit note reverses each side of an invoice."""
    if debit != reversed_:
        return _amount(amount), _amount(Decimal(0))
    return _amount(Decimal(0)), _amount(amount)


def _issued_documents(firm_id: int, start, end):
    """The invoices and credit notes issued in the period, in euros, in the order issued."""
    return (
        Invoice.objects.filter(
            firm_id=firm_id, currency=FEC_CURRENCY, issue_date__gte=start, issue_date__lte=end
        )
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("issue_date", "finalized_at", "pk")
        .values_list(
            "kind",
            "number",
            "issue_date",
            "finalized_at",
            "total_gross",
            "client_id",
            "client__name",
            # Only the VAT breakdown of the frozen snapshot, read in the database.
            "snapshot__totals__vat_breakdown",
        )
    )


def _sales(ledger: LedgerAccounts, words: dict, firm_id: int, start, end) -> Iterator[str]:
    journal, journal_label = ledger.sales_journal, words["sales"]
    documents = _issued_documents(firm_id, start, end)
    number = 0
    for kind, piece, issued, finalized, gross, client_id, client, breakdown in documents.iterator(
        chunk_size=CHUNK
    ):
        number += 1
        entry = f"{journal}{number:06d}"
        credit_note = kind == DocumentKind.CREDIT_NOTE
        text = f"{words[kind]} {piece} {client}"
        common = (journal, journal_label, entry, _day(issued))
        tail = (piece, _day(issued), text)
        end_fields = ("", "", _day(finalized), "", "")

        yield _line(
            *common,
            ledger.client_account,
            words["clients"],
            _client_aux(client_id),
            client,
            *tail,
            *_sides(gross, True, credit_note),
            *end_fields,
        )
        for rate, base, vat in _vat_lines(breakdown, gross):
            yield _line(
                *common,
                ledger.revenue_account,
                words["revenue"],
                "",
                "",
                *tail,
                *_sides(base, False, credit_note),
                *end_fields,
            )
            if vat:
                account = (ledger.vat_accounts or {}).get(f"{rate:.2f}") or ledger.vat_account
                yield _line(
                    *common,
                    account,
                    words["vat"] % {"rate": f"{rate.normalize():f}"},
                    "",
                    "",
                    *tail,
                    *_sides(vat, False, credit_note),
                    *end_fields,
                )


def _money_moves(firm_id: int, start, end) -> Iterator[tuple]:
    """Payments received and refunds made in the period, in euros, by day: (day,
    recorded, amount, client id, client, piece, received)."""
    payments = (
        Payment.objects.filter(
            firm_id=firm_id, currency=FEC_CURRENCY, received_on__gte=start, received_on__lte=end
        )
        .values_list(
            "received_on", "recorded_at", "amount", "client_id", "client__name", "reference", "pk"
        )
        .order_by("received_on", "pk")
    )
    refunds = (
        Allocation.objects.filter(firm_id=firm_id, invoice__isnull=True, on__gte=start, on__lte=end)
        .filter(Q(payment__currency=FEC_CURRENCY) | Q(credit_note__currency=FEC_CURRENCY))
        .values_list(
            "on",
            "created_at",
            "amount",
            "payment__client_id",
            "payment__client__name",
            "credit_note__client_id",
            "credit_note__client__name",
            "pk",
        )
        .order_by("on", "pk")
    )
    return _merge(
        (
            (day, recorded, amount, client_id, client, reference or f"P{pk}", True)
            for day, recorded, amount, client_id, client, reference, pk in payments.iterator(
                chunk_size=CHUNK
            )
        ),
        (
            (day, created, amount, p_client or c_client, p_name or c_name, f"R{pk}", False)
            for day, created, amount, p_client, p_name, c_client, c_name, pk in refunds.iterator(
                chunk_size=CHUNK
            )
        ),
    )


def _bank(ledger: LedgerAccounts, words: dict, firm_id: int, start, end) -> Iterator[str]:
    journal, journal_label = ledger.bank_journal, words["bank"]
    moves = _money_moves(firm_id, start, end)
    number = 0
    for day, recorded, amount, client_id, client, piece, received in moves:
        number += 1
        entry = f"{journal}{number:06d}"
        text = (words["payment"] if received else words["refund"]) % {"client": client}
        common = (journal, journal_label, entry, _day(day))
        tail = (piece, _day(day), text)
        zero, value = _amount(Decimal(0)), _amount(amount)
        bank = (value, zero) if received else (zero, value)
        yield _line(
            *common,
            ledger.bank_account,
            words["bank"],
            "",
            "",
            *tail,
            *bank,
            "",
            "",
            _day(recorded),
            "",
            "",
        )
        yield _line(
            *common,
            ledger.client_account,
            words["clients"],
            _client_aux(client_id),
            client,
            *tail,
            *reversed(bank),
            "",
            "",
            _day(recorded),
            "",
            "",
        )


def _merge(first: Iterator[tuple], second: Iterator[tuple]) -> Iterator[tuple]:
    """Two streams ordered by day into one (payments before refunds of the same day)."""
    import heapq

    return heapq.merge(first, second, key=lambda move: (move[0], not move[6]))
