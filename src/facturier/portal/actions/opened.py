"""The client opened an invoice in the portal, or downloaded one of its files: a line
on the invoice's history, which the firm reads."""

from django.utils import timezone

from facturier.clients.models import Contact
from facturier.core.actions import action
from facturier.firms.models import AuditEvent, User
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice

from ..history import OPENED, InvoiceHistory


@action
def record_opened(
    invoice: Invoice, *, by: User | None = None, contact: Contact, opened: str
) -> AuditEvent:
    """`opened`: one of history.OPENED (the page, the PDF, the Factur-X or UBL file)."""
    assert opened in OPENED, opened
    return invoicing.record_event(
        invoice,
        InvoiceHistory.OPENED_BY_CLIENT,
        by=None,
        at=timezone.now(),
        details={"contact": contact.pk, "contact_name": contact.name, "opened": opened},
    )
