"""What a draft's deposits are checked against when it deducts them and again when it
is finalized (see deposits.py)."""

import functools
from decimal import Decimal

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from facturier.core.compiled_sql import CompiledQuery, Markers, ValueKind, compile_query, instances
from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter

from ..lifecycle import InvoiceStatus
from ..models import Invoice

ISSUED = (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)


def _refuse(field: str, code: str, message: str) -> Invalid:
    return Invalid({field: [message]}, codes={field: [code]})


def deposits_to_deduct(client_id: int, *, lock: bool = True) -> list[Invoice]:
    """The client's deposits paid and not deducted yet, oldest first, locked (only read
    when `lock` is false: what a preview shows)."""
    rows = Invoice.objects.filter(
        client_id=client_id, deposit=True, status__in=ISSUED, deducted_by__isnull=True
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    return [deposit for deposit in rows.order_by("issue_date", "pk") if _paid(deposit)]


def _paid(deposit: Invoice) -> bool:
    cancelled = deposit.credit_notes.exclude(status=InvoiceStatus.DRAFT).exists()
    return deposit.balance == 0 and not cancelled


def check_deductible(deposit: Invoice, invoice: Invoice) -> None:
    """Refuse a deposit of another client, another invoice deducts, in another currency,
    or not paid."""
    if deposit.client_id != invoice.client_id:
        raise _refuse(
            "deposits",
            "other_client",
            _("The deposit invoice %(number)s is another client's.")
            % {"number": deposit.number or f"#{deposit.pk}"},
        )
    if deposit.deducted_by_id not in (None, invoice.pk):
        raise _refuse(
            "deposits",
            "already_deducted",
            _("The deposit invoice %(number)s is deducted already.") % {"number": deposit.number},
        )
    if deposit.currency != invoice.currency:
        raise _refuse(
            "deposits",
            "currency_mismatch",
            _("The deposit invoice %(number)s is in %(currency)s.")
            % {"number": deposit.number or f"#{deposit.pk}", "currency": deposit.currency},
        )
    if deposit.status not in ISSUED or not _paid(deposit):
        raise _refuse(
            "deposits",
            "deposit_not_paid",
            _("The deposit invoice %(number)s is not paid: only a deposit received is deducted.")
            % {"number": deposit.number or f"#{deposit.pk}"},
        )


def check_fits(deposits: list[Invoice], invoice: Invoice) -> None:
    """Refuse deposits worth more than the draft's total: it would ask a negative amount,
    and finalizing refuses it (a later invoice deducts them)."""
    prepaid = sum((d.total_gross for d in deposits), Decimal(0))
    if prepaid <= invoice.total_gross:
        return
    fmt = Formatter(translation.get_language() or "en", invoice.currency)
    raise _refuse(
        "deposits",
        "deposits_exceed",
        _(
            "The deposits (%(prepaid)s) exceed what this invoice asks (%(total)s): "
            "leave them for a later invoice."
        )
        % {"prepaid": fmt.money(prepaid), "total": fmt.money(invoice.total_gross)},
    )


def deposits_that_fit(deposits: list[Invoice], invoice: Invoice) -> list[Invoice]:
    """Of the deposits, oldest first, those the draft's total leaves room for; the others
    wait for a later invoice."""
    left = invoice.total_gross
    fitting = []
    for deposit in deposits:
        if deposit.total_gross <= left:
            fitting.append(deposit)
            left -= deposit.total_gross
    return fitting


def deducted_deposits(invoice: Invoice) -> list[Invoice]:
    """The deposits the draft deducts, oldest first, locked."""
    rows = Invoice.objects.select_for_update(of=("self",)).filter(deducted_by=invoice, deposit=True)
    return list(rows.order_by("issue_date", "pk"))


def attach_deposits(invoice: Invoice, deposits: list[Invoice]) -> None:
    """The draft deducts exactly these deposits (the others it deducted are freed)."""
    Invoice.objects.filter(deducted_by=invoice, deposit=True).exclude(
        pk__in=[d.pk for d in deposits]
    ).update(deducted_by=None)
    Invoice.objects.filter(pk__in=[d.pk for d in deposits]).update(deducted_by=invoice)


@functools.cache
def _deducted_by(vendor: str) -> CompiledQuery:
    """The deposits a draft deducts, locked: every finalization reads them, most often
    to find none (compiled once: core.compiled_sql)."""
    markers = Markers()
    deposits = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(deducted_by_id=markers.value("invoice", ValueKind.INTEGER), deposit=True)
        .order_by("issue_date", "pk")
    )
    return compile_query(deposits, markers)


def deducted_on_finalize(invoice: Invoice) -> list[Invoice]:
    """Before the number is taken: the deposits the draft deducts, locked and checked
    again (still paid, not more than its total). Their sum is its prepaid (BT-113)."""
    statement = _deducted_by(connection.vendor)
    deposits = instances(Invoice, statement, {"invoice": invoice.pk})
    for deposit in deposits:
        check_deductible(deposit, invoice)
    check_fits(deposits, invoice)
    return deposits
