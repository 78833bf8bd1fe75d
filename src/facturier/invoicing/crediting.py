"""How much of an invoice can still be credited, read by the credit-note actions."""

from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter

from .lifecycle import InvoiceStatus
from .models import Invoice

EXCEEDS = _(
    "The credit note (%(total)s) exceeds what is left to credit on invoice %(invoice)s (%(left)s)."
)


def left_to_credit(invoice: Invoice, *, besides: Invoice | None = None) -> Decimal:
    """The invoice's total less its issued credit notes (and `besides`, a draft, not counted)."""
    issued = invoice.credit_notes.exclude(status=InvoiceStatus.DRAFT)
    if besides is not None and besides.pk:
        issued = issued.exclude(pk=besides.pk)
    credited = issued.aggregate(total=Sum("total_gross"))["total"] or Decimal(0)
    return invoice.total_gross - credited


def check_within(credit_note: Invoice, corrected: Invoice) -> None:
    left = left_to_credit(corrected, besides=credit_note)
    if credit_note.total_gross > left:
        amounts = Formatter(get_language() or "en", corrected.currency)
        raise Invalid(
            {
                "lines": [
                    EXCEEDS
                    % {
                        "total": amounts.money(credit_note.total_gross),
                        "invoice": corrected,
                        "left": amounts.money(left),
                    }
                ]
            },
            codes={"lines": ["exceeds_invoice"]},
        )
