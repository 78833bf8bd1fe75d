"""What the invoice lifecycle does to the time and expense entries an invoice bills."""

from facturier.work import actions as work
from facturier.work.models import Entry

from ..models import Invoice, InvoiceEntry
from ..selectors import billed_amounts


def release_entries(invoice: Invoice) -> list[int]:
    """A draft deleted: its entries go back to WIP, the interims it deducted are free."""
    Invoice.objects.filter(deducted_by=invoice).update(deducted_by=None)
    ids = list(
        InvoiceEntry.objects.filter(invoice=invoice, released=False).values_list(
            "entry_id", flat=True
        )
    )
    work.set_state(ids, Entry.State.UNBILLED)
    return ids


def bill_entries(invoice: Invoice) -> int:
    """An invoice finalized: its entries are billed, each with what it charged; a credit
    note that returns entries gives back those of the invoice it corrects."""
    if invoice.is_credit_note:
        if not invoice.returns_entries or invoice.corrects_id is None:
            return 0
        links = InvoiceEntry.objects.filter(invoice_id=invoice.corrects_id, released=False)
        ids = list(links.values_list("entry_id", flat=True))
        links.update(released=True)
        work.set_state(ids, Entry.State.UNBILLED)
        return len(ids)
    amounts = billed_amounts(invoice.pk)
    work.set_state(list(amounts), Entry.State.BILLED, amounts=amounts)
    return len(amounts)
