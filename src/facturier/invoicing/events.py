"""What invoicing tells the apps above it, which it may not import (e-invoicing).

`InvoiceFinalized` is published inside the finalizing transaction: a subscriber that
writes (an outbox row) writes in the same transaction, or not at all. It is published
once the invoice passed every check and before its number is taken, so that the
numbering's lock is held only for the invoice's own writes: `invoice.number` and its
dates are not set yet (a subscriber that needs them reads them once it commits).
"""

from dataclasses import dataclass

from facturier.core.events import publish
from facturier.firms.models import User

from .models import Invoice


@dataclass(frozen=True, kw_only=True)
class InvoiceFinalized:
    invoice: Invoice
    by: User | None


def invoice_finalized(*, invoice: Invoice, by: User | None) -> None:
    publish(InvoiceFinalized(invoice=invoice, by=by))
