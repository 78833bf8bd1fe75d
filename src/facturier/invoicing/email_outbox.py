"""An invoice's e-mail as a kind of outbox delivery: the message, its PDF, and what
the mail server said. The outbox engine claims, retries and gives up; this says
how to build and send one message and records the outcome through an action."""

import contextlib
import smtplib
from collections.abc import Iterator
from html import escape

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from facturier.outbox import engine, smtp
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from .actions.email_outcomes import record_email_outcome
from .actions.email_retries import retry_email, retry_failed_emails
from .actions.pdfs import pdf_for
from .models import EmailDelivery, InvoicePdf
from .permissions import visible_invoices


def compose(delivery, connection=None) -> EmailMultiAlternatives:
    """The e-mail of any delivery that has the fields of one (subject, body, to, ...),
    with a plain and an HTML body; the caller attaches its files."""
    html = "".join(
        f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>"
        for paragraph in delivery.body.split("\n\n")
    )
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body,
        from_email=delivery.from_email,
        to=delivery.to,
        cc=delivery.cc,
        reply_to=[delivery.reply_to] if delivery.reply_to else None,
        headers={"Message-ID": delivery.message_id, "Content-Language": delivery.language},
        connection=connection,
    )
    message.attach_alternative(
        f'<!doctype html><html lang="{delivery.language}"><body>{html}</body></html>', "text/html"
    )
    return message


def build_message(delivery: EmailDelivery, connection=None) -> EmailMultiAlternatives:
    invoice = delivery.invoice
    try:
        pdf = bytes(invoice.pdf.pdf)  # stored at finalization (the worker's load reads it)
    except InvoicePdf.DoesNotExist:
        pdf = pdf_for(invoice)  # not rendered yet: rendered and stored now
    message = compose(delivery, connection)
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    return message


DELIVERY_FIELDS = [field.name for field in EmailDelivery._meta.concrete_fields]
INVOICE_FIELDS = ("firm_id", "kind", "status", "number", "pdf__pdf")


class InvoiceEmails:
    name = "invoice e-mail"
    model = EmailDelivery
    code = "email"  # its name in URLs and the API (outbox.retrying)
    label = _("Invoice e-mails")
    listed_with = ("invoice",)

    def visible(self, user) -> QuerySet[EmailDelivery]:
        return EmailDelivery.objects.filter(invoice__in=visible_invoices(user).values("pk"))

    def retry(self, delivery: int, *, by) -> EmailDelivery:
        return retry_email(delivery, by=by)

    def retry_failed(self, *, by) -> list[EmailDelivery]:
        return retry_failed_emails(by=by)

    def build_message(self, item, connection) -> EmailMultiAlternatives:
        return build_message(item, connection)

    def rows(self) -> QuerySet[EmailDelivery]:
        """The deliveries, what their record reads of the invoice, and the PDF the
        invoice was issued as (the attachment); not the invoice's snapshot."""
        return EmailDelivery.objects.select_related("invoice__pdf").only(
            *DELIVERY_FIELDS, *(f"invoice__{name}" for name in INVOICE_FIELDS)
        )

    @contextlib.contextmanager
    def transport(self) -> Iterator[object]:
        """One mail connection for a pass, opened by the first message that needs it."""
        connection = get_connection()
        try:
            yield connection
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def send(self, item: EmailDelivery, transport) -> Outcome:
        connection = transport or get_connection()
        try:
            with translation.override(item.language):
                message = self.build_message(item, connection)
                if transport is not None:
                    # Opened here: send_messages() closes a connection it opened itself,
                    # and the pass's next message would connect and greet again.
                    connection.open()
                message.send()
        except Exception:
            connection.close()  # a connection that failed mid-message is not reused
            raise
        refused = getattr(message, "refused", {}) or {}
        if refused and set(refused) >= set(message.recipients()):
            raise smtp_refused(refused)
        return Outcome(DeliveryStatus.SENT, details={"refused": refused})

    def classify(self, exc: BaseException) -> tuple[bool, str]:
        return smtp.classify(exc)

    def held(self, exc: BaseException) -> str | None:
        return smtp.held(exc)

    def language(self, item: EmailDelivery) -> str:
        """Reasons are for the firm's staff: in the language of who asked for the send."""
        chosen = (
            get_user_model()
            .objects.filter(pk=item.requested_by_id)
            .values_list("language", flat=True)
            .first()
        )
        return chosen or settings.LANGUAGE_CODE

    def record(self, item: EmailDelivery, attempt: int, outcome: Outcome) -> None:
        record_email_outcome(item, attempt, outcome)


def smtp_refused(refused: dict[str, str]) -> smtplib.SMTPRecipientsRefused:
    """Every recipient refused: as smtplib says it when it raises for all of them."""
    answers = {}
    for address, reply in refused.items():
        code, _space, text = reply.partition(" ")
        answers[address] = (int(code) if code.isdecimal() else 550, text.encode())
    return smtplib.SMTPRecipientsRefused(answers)


EMAILS = InvoiceEmails()


def deliver(delivery_id: int, *, connection=None, now=None) -> str:
    """Try one e-mail now, as the worker does; returns its status."""
    return engine.process(EMAILS, delivery_id, transport=connection, now=now)
