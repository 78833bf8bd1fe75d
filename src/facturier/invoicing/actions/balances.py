"""An issued invoice's balance, moved by what pays or credits it.

Receivables (payments, refunds of credit) call `move_balance` inside their own
action, with the invoice locked by `lock_invoices`. The status follows the money
as the firm chose: an invoice paid in full is closed by the system when the firm
closes invoices once paid; one that owes again after a payment was removed comes
back to Finalized. Both say why in the invoice's history.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from facturier.core.errors import NotFound

from .. import permissions
from ..crediting import check_within
from ..history import OWES_AGAIN, PAID_IN_FULL
from ..lifecycle import Action, InvoiceStatus
from ..models import Invoice
from .audit import NO_SUCH_INVOICE, record_event
from .status import change_status


def lock_invoices(
    ids: Iterable[int], *, by, firm_id: int, related: tuple[str, ...] = (), prefetch=()
) -> dict[int, Invoice]:
    """The firm's invoices with these ids, locked in ascending id order (one order for
    every action, so two never wait on each other in a circle), read with `related`
    (select_related) and `prefetch`; NotFound for one the user may not see."""
    wanted = sorted(set(ids))
    try:
        found = {
            invoice.pk: invoice
            # The firm is read only when a balance reaches zero (its close-when-paid setting).
            for invoice in Invoice.objects.select_for_update(of=("self",))
            .select_related(*related)
            .prefetch_related(*prefetch)
            .filter(pk__in=wanted, firm_id=firm_id)
            .order_by("pk")
        }
    except (ValueError, TypeError, OverflowError):  # no id the database could hold
        raise NotFound(NO_SUCH_INVOICE) from None
    for pk in wanted:
        invoice = found.get(pk)
        if invoice is None or (by is not None and not permissions.can_view(by, invoice)):
            raise NotFound(NO_SUCH_INVOICE)
    return found


def move_balance(
    invoice: Invoice,
    delta: Decimal,
    *,
    by,
    at: datetime.datetime,
    event: str,
    details: Mapping[str, Any],
) -> Invoice:
    """Add `delta` (negative: paid) to the locked invoice's balance, with `event` (a name
    its app declared on the history), and close or reopen it as the firm's setting says."""
    before = invoice.balance
    invoice.balance = before + delta
    invoice.save(update_fields=["balance", "updated_at"])
    record_event(invoice, event, by=by, at=at, details={**details, "balance": str(invoice.balance)})
    if (
        invoice.balance == 0
        and invoice.status == InvoiceStatus.FINALIZED
        and invoice.firm.close_when_paid
    ):
        change_status(invoice, Action.CLOSE, by=None, at=at, why=PAID_IN_FULL)
    elif before == 0 and invoice.balance > 0 and invoice.status == InvoiceStatus.CLOSED:
        change_status(invoice, Action.REOPEN, by=None, at=at, why=OWES_AGAIN)
    return invoice


# --- credit notes ------------------------------------------------------------------


def lock_corrected(credit_note: Invoice) -> Invoice:
    """Before the number is taken: the corrected invoice, locked, and the amount checked
    against what is left to credit on it now."""
    corrected = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("firm")
        .get(pk=credit_note.corrects_id)
    )
    check_within(credit_note, corrected)
    return corrected


def apply_on_finalize(credit_note: Invoice, corrected: Invoice, *, by, at) -> None:
    """The issued credit note lowers what its invoice owes; the rest is client credit."""
    owed = corrected.balance or Decimal(0)
    applied = min(credit_note.total_gross, owed)
    credit_note.credit_applied = applied
    credit_note.credit_left = credit_note.total_gross - applied
    details = {
        "credit_note": credit_note.number,
        "credit_note_id": credit_note.pk,
        "amount": str(applied),
        "currency": credit_note.currency,
    }
    if applied > 0:
        move_balance(corrected, -applied, by=by, at=at, event=Action.CREDIT, details=details)
    else:
        record_event(corrected, Action.CREDIT, by=by, at=at, details=details)
