"""Sending the outbox: claim a delivery, send it over SMTP, record what the server said.

Errors are sorted at this edge: 4xx answers, disconnects, timeouts and refused
connections are retried with backoff up to max_attempts; 5xx answers fail at
once with the server's reason. The invoice's sent date and count change only
when the server accepted the message.
"""

import datetime
import logging
import smtplib
import socket
from html import escape

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import rendering
from .models import EmailDelivery, Invoice

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=2)
Status = EmailDelivery.Status


def backoff(attempt: int) -> datetime.timedelta:
    """30 s, 2 min, 8 min, 32 min, ... capped at 2 h."""
    return datetime.timedelta(seconds=min(30 * 4 ** (attempt - 1), 7200))


def due_deliveries(now: datetime.datetime):
    """Deliveries a worker should take up: due ones, and those whose worker vanished."""
    return EmailDelivery.objects.filter(
        Q(status__in=[Status.QUEUED, Status.RETRYING], next_attempt_at__lte=now)
        | Q(status=Status.SENDING, lease_until__lt=now)
    )


def claim(delivery_id: int, *, now: datetime.datetime) -> int | None:
    """Take the delivery for this worker; returns the attempt number, or None if not ours."""
    claimed = (
        due_deliveries(now)
        .filter(pk=delivery_id)
        .update(status=Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return EmailDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


def build_message(delivery: EmailDelivery, connection=None) -> EmailMultiAlternatives:
    invoice = delivery.invoice
    pdf = rendering.pdf_for(invoice)
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
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    return message


def _classify(exc: Exception) -> tuple[bool, str]:
    """(retry?, reason in plain words) for an SMTP or network failure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [(code, msg) for code, msg in exc.recipients.values()]
        code, msg = codes[0] if codes else (550, b"")
        text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
        return 400 <= code < 500, _("The server refused the recipient (%(code)s %(text)s).") % {
            "code": code,
            "text": text,
        }
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        if 400 <= exc.smtp_code < 500:
            return True, _("The server asked to try later (%(code)s %(text)s).") % {
                "code": exc.smtp_code,
                "text": text,
            }
        return False, _("The server refused the message (%(code)s %(text)s).") % {
            "code": exc.smtp_code,
            "text": text,
        }
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, _("The server closed the connection before accepting the message.")
    if isinstance(exc, socket.timeout | TimeoutError):
        return True, _("The server did not answer in time.")
    if isinstance(exc, ConnectionRefusedError):
        return True, _("The mail server could not be reached (connection refused).")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return True, _("The mail server could not be reached (%(error)s).") % {"error": exc}
    raise exc


def deliver(delivery_id: int, *, connection=None, now: datetime.datetime | None = None) -> str:
    """Send one delivery if it is due and nobody else holds it. Returns its status after."""
    now = now or timezone.now()
    attempt = claim(delivery_id, now=now)
    if attempt is None:
        return EmailDelivery.objects.values_list("status", flat=True).get(pk=delivery_id)
    delivery = EmailDelivery.objects.select_related("invoice").get(pk=delivery_id)
    mine = EmailDelivery.objects.filter(pk=delivery_id, status=Status.SENDING, attempts=attempt)
    try:
        with translation.override(delivery.language):
            build_message(delivery, connection or get_connection()).send()
    except Exception as exc:  # noqa: BLE001 - sorted by _classify, which re-raises bugs
        if connection is not None:  # a shared connection may be broken: reopen next time
            connection.close()
        retry, reason = _classify(exc)
        with translation.override(delivery.language):
            reason = str(reason)
        if retry and attempt < delivery.max_attempts:
            mine.update(
                status=Status.RETRYING,
                lease_until=None,
                last_error=reason,
                next_attempt_at=timezone.now() + backoff(attempt),
            )
            logger.warning(
                "Delivery %s: attempt %s failed, will retry: %s", delivery_id, attempt, reason
            )
            return Status.RETRYING
        mine.update(status=Status.FAILED, lease_until=None, last_error=reason)
        logger.error("Delivery %s failed: %s", delivery_id, reason)
        return Status.FAILED
    sent_at = timezone.now()
    with transaction.atomic():
        if mine.update(status=Status.SENT, lease_until=None, sent_at=sent_at, last_error=""):
            Invoice.objects.filter(pk=delivery.invoice_id).update(
                last_sent_at=sent_at, sent_count=F("sent_count") + 1
            )
    return Status.SENT
