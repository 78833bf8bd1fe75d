"""A failure of the firm's own mail settings (credentials refused, the server
unreachable) holds the queue: no attempt counts against the messages, the reason says
what the server said, and they go by themselves once a pass succeeds."""

import datetime
import smtplib

import pytest
from django.utils import timezone

from facturier.invoicing import actions, email_outbox

pytestmark = pytest.mark.django_db


def later(minutes):
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "failure, words",
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed"), "535 5.7.8"),
        (ConnectionRefusedError(111, "Connection refused"), "Connection refused"),
    ],
)
def test_a_wrong_mail_setting_holds_every_message_until_it_is_fixed(
    finalized, alice, smtp_server, monkeypatch, failure, words
):
    (queued,) = actions.send_invoices(
        [finalized], by=alice, subject="Facture {number}", message="Bonjour"
    )
    real = email_outbox.EMAILS.send

    def misconfigured(item, transport):
        raise failure

    monkeypatch.setattr(email_outbox.EMAILS, "send", misconfigured)
    for minutes in range(0, 300, 2):  # far more passes than the attempts allowed
        email_outbox.deliver(queued.pk, now=later(minutes))
    queued.refresh_from_db()
    assert queued.status == "retrying" and queued.attempts == 0
    assert "Held: the server said" in queued.last_error and words in queued.last_error
    monkeypatch.setattr(email_outbox.EMAILS, "send", real)  # the password is fixed
    assert email_outbox.deliver(queued.pk, now=later(400)) == "sent"
    assert len(smtp_server.messages) == 1


def test_a_message_the_server_refuses_still_counts_its_attempts(
    finalized, alice, smtp_server, monkeypatch
):
    (queued,) = actions.send_invoices(
        [finalized], by=alice, subject="Facture {number}", message="Bonjour"
    )

    def refused(item, transport):
        raise smtplib.SMTPDataError(554, b"Message rejected")

    monkeypatch.setattr(email_outbox.EMAILS, "send", refused)
    assert email_outbox.deliver(queued.pk) == "failed"
