"""Exports for the accountant, as streams of lines (flat memory at any size): the
invoices, credit notes and payments of a period as CSV. The FEC is in `fec`."""

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from facturier.core import spreadsheet
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind

from .models import Payment

CHUNK = 2000


def csv_lines(
    rows: Iterable[Iterable], *, delimiter: str = ",", decimal_comma: bool = False
) -> Iterator[str]:
    """The rows as CSV lines, no cell of a person's text read as a formula."""
    return spreadsheet.csv_lines(rows, delimiter=delimiter, decimal_comma=decimal_comma)


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
