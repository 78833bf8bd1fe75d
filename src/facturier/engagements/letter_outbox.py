"""An engagement letter's e-mail as a kind of outbox delivery: the same worker, leases,
retries and SMTP handling as an invoice's e-mail, with the letter's PDF attached; its
fate is written on the engagement's history."""

from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet

from facturier.invoicing.email_outbox import InvoiceEmails, compose
from facturier.outbox import engine
from facturier.outbox.kinds import Outcome

from .actions.letters import record_letter_email_outcome
from .letter_models import EngagementLetterEmail


class EngagementLetterEmails:
    """Sent as an invoice's e-mail is (its SMTP handling borrowed), not retried by hand:
    a letter refused for good is sent again from the engagement's page."""

    name = "engagement letter e-mail"
    model = EngagementLetterEmail

    transport = InvoiceEmails.transport
    send = InvoiceEmails.send
    classify = InvoiceEmails.classify
    held = InvoiceEmails.held
    language = InvoiceEmails.language

    def rows(self) -> QuerySet[EngagementLetterEmail]:
        return EngagementLetterEmail.objects.select_related("letter__engagement")

    def build_message(self, item: EngagementLetterEmail, connection) -> EmailMultiAlternatives:
        message = compose(item, connection)
        letter = item.letter
        message.attach(letter.filename, bytes(letter.pdf), "application/pdf")
        return message

    def record(self, item: EngagementLetterEmail, attempt: int, outcome: Outcome) -> None:
        record_letter_email_outcome(item, attempt, outcome)


ENGAGEMENT_LETTERS = EngagementLetterEmails()


def deliver(email_id: int, *, connection=None, now=None) -> str:
    """Try one letter's e-mail now, as the worker does; returns its status."""
    return engine.process(ENGAGEMENT_LETTERS, email_id, transport=connection, now=now)
