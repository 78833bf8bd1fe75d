"""A debit's pre-notification as a kind of outbox delivery: the same worker, leases,
retries and SMTP handling as an invoice's e-mail; its fate on the invoice's history."""

from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet

from facturier.invoicing.email_outbox import InvoiceEmails, compose
from facturier.outbox import engine
from facturier.outbox.kinds import Outcome

from .actions.debit_notices import record_debit_notice_outcome
from .direct_debits import DebitNotice


class DebitNotices:
    """Sent as an invoice's e-mail is (its SMTP handling borrowed)."""

    name = "direct-debit pre-notification"
    model = DebitNotice

    transport = InvoiceEmails.transport
    send = InvoiceEmails.send
    classify = InvoiceEmails.classify
    held = InvoiceEmails.held
    language = InvoiceEmails.language

    def rows(self) -> QuerySet[DebitNotice]:
        return DebitNotice.objects.select_related("debit__invoice", "firm")

    def build_message(self, item: DebitNotice, connection) -> EmailMultiAlternatives:
        return compose(item, connection)

    def record(self, item: DebitNotice, attempt: int, outcome: Outcome) -> None:
        record_debit_notice_outcome(item, attempt, outcome)


DEBIT_NOTICES = DebitNotices()


def deliver(notice_id: int, *, connection=None, now=None) -> str:
    """Try one pre-notification now, as the worker does; returns its status."""
    return engine.process(DEBIT_NOTICES, notice_id, transport=connection, now=now)
