"""The "Encaissée" status (212): for services, whose VAT is due when the money comes in,
the seller tells the platform each amount received, with its date and its split per
VAT rate. Told by receivables when money is put on an invoice (`AllocationMade`),
never inferred from a balance: a credit note that brings a balance to zero is no
money received, and a partial payment is reported for what it is.

Not reported: invoices sent for e-reporting (B2BInt: their payment data goes with
e-reporting), goods, credit notes, and every sale of a firm that pays VAT on debits
(its VAT is due at invoicing, not at collection).
"""

from decimal import Decimal

from facturier.core import money
from facturier.invoicing.models import DocumentKind, Invoice, Operation
from facturier.outbox.models import DeliveryStatus
from facturier.receivables.events import AllocationMade, AllocationRemoved, PaymentChanged

from .actions import tracking_id
from .models import ProcessingRule, Transmission

# Whose VAT is due on receipt: services, and the services part of a mixed invoice.
ON_RECEIPT = frozenset({Operation.SERVICES, Operation.MIXED})


def split_by_rate(snapshot: dict, amount: Decimal, currency: str) -> list[list[str]]:
    """`amount` of the invoice's total shared over its VAT rates in proportion to each
    rate's gross, as [[amount, rate], ...]; the last rate takes the rounding's rest."""
    rows = snapshot["totals"]["vat_breakdown"]
    grosses = [Decimal(row["base"]) + Decimal(row["vat"]) for row in rows]
    total = sum(grosses, Decimal(0))
    shares, left = [], amount
    for index, (row, gross) in enumerate(zip(rows, grosses, strict=True)):
        last = index == len(rows) - 1
        share = left if last or not total else money.quantize(amount * gross / total, currency)
        shares.append([str(share), str(row["rate"])])
        left -= share
    return shares


def _reported(invoice: Invoice, deposit: Transmission | None) -> bool:
    return (
        deposit is not None
        and deposit.processing_rule == ProcessingRule.B2B
        and invoice.kind == DocumentKind.INVOICE
        and invoice.operation in ON_RECEIPT
        and not invoice.firm.vat_on_debits
    )


def queue_on_allocation(event: AllocationMade) -> None:
    """Money received on a deposited invoice of services: queue its 212 status, once
    per allocation (the database's unique key says once, even under a retry)."""
    if not event.is_money_received:
        return
    deposit = (
        Transmission.objects.filter(
            invoice_id=event.invoice_id, document=Transmission.Document.INVOICE
        )
        .select_related("invoice__firm")
        .first()
    )
    invoice = deposit.invoice if deposit is not None else None
    if invoice is None or not _reported(invoice, deposit):
        return
    collected = {
        "amount": str(event.amount),
        "currency": event.currency,
        "on": event.on.isoformat(),
        "by_rate": split_by_rate(invoice.snapshot, event.amount, event.currency),
    }
    Transmission.objects.create(
        firm_id=invoice.firm_id,
        invoice=invoice,
        document=Transmission.Document.PAID,
        allocation_id=event.allocation_id,
        collected=collected,
        processing_rule=deposit.processing_rule,
        tracking_id=tracking_id(invoice, f"p{event.allocation_id}"),
        requested_by=event.by,
        created_at=event.at,
        next_attempt_at=event.at,
    )


def _not_tried(**filters):
    return Transmission.objects.filter(
        document=Transmission.Document.PAID,
        status=DeliveryStatus.QUEUED,
        attempts=0,
        **filters,
    )


def withdraw_on_removal(event: AllocationRemoved) -> None:
    """Money taken off an invoice before its status was ever sent: nothing to report.
    Once a deposit was tried, the platform may hold it: it stays, as sent."""
    _not_tried(allocation_id=event.allocation_id).delete()


def redate_on_change(event: PaymentChanged) -> None:
    """A payment's date corrected before its statuses were sent: they carry the new one."""
    if "received_on" not in event.changes:
        return
    for item in _not_tried(allocation__payment_id=event.payment_id):
        item.collected = {**item.collected, "on": event.received_on.isoformat()}
        item.save(update_fields=["collected"])
