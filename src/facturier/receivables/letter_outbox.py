"""Letters (reminders, statements of account) as a kind of outbox delivery: the same
worker, leases, retries and SMTP handling as an invoice's e-mail; the letter's PDF
attached, and for a reminder the reminded invoices' PDFs when its level says so."""

from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import visible_clients
from facturier.invoicing.actions import pdf_for
from facturier.invoicing.email_outbox import InvoiceEmails, compose
from facturier.outbox import engine
from facturier.outbox.kinds import Outcome

from .actions.letters import record_letter_outcome, retry_failed_letters, retry_letter
from .models import Letter


class LetterEmails(InvoiceEmails):
    name = "letter e-mail"
    model = Letter
    code = "letter"
    label = _("Reminders and statements of account")
    listed_with = ("client",)

    def visible(self, user) -> QuerySet[Letter]:
        return Letter.objects.filter(client__in=visible_clients(user)).defer("pdf")

    def retry(self, delivery: int, *, by) -> Letter:
        return retry_letter(delivery, by=by)

    def retry_failed(self, *, by) -> list[Letter]:
        return retry_failed_letters(by=by)

    def rows(self) -> QuerySet[Letter]:
        return Letter.objects.select_related("firm", "client")

    def build_message(self, item: Letter, connection) -> EmailMultiAlternatives:
        message = compose(item, connection)
        message.attach(item.filename, bytes(item.pdf), "application/pdf")
        if item.attach_invoices:
            for reminded in item.items.select_related("invoice").order_by("pk"):
                invoice = reminded.invoice
                message.attach(f"{invoice.number}.pdf", pdf_for(invoice), "application/pdf")
        return message

    def record(self, item: Letter, attempt: int, outcome: Outcome) -> None:
        record_letter_outcome(item, attempt, outcome)


LETTERS = LetterEmails()


def deliver(letter_id: int, *, connection=None, now=None) -> str:
    """Try one letter's e-mail now, as the worker does; returns its status."""
    return engine.process(LETTERS, letter_id, transport=connection, now=now)
