"""The outbox never wedges: whatever goes wrong is an attempt, bounded, with a reason
a person can read, and one bad delivery never stops the others or the worker."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from facturier.core.errors import Invalid
from facturier.invoicing import actions, email_outbox
from facturier.invoicing.documents import RenderFailed
from facturier.invoicing.models import EmailDelivery, Invoice
from facturier.invoicing.selectors import invoice_events
from facturier.outbox import engine
from tests.smtp import free_port

pytestmark = pytest.mark.django_db

SUBJECT, MESSAGE = "Facture {number}", "Bonjour,\n\nVoici la facture {number}."


def send(invoices, by, **kwargs):
    return actions.send_invoices(invoices, by=by, subject=SUBJECT, message=MESSAGE, **kwargs)


def later(minutes=300):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def events(invoice):
    return list(invoice_events(invoice=invoice).order_by("id").values_list("action", flat=True))


def test_a_pdf_that_cannot_render_is_an_attempt_and_ends_failed(
    finalized, alice, smtp_server, monkeypatch
):
    def broken(invoice):
        raise RenderFailed("layout error")

    monkeypatch.setattr(email_outbox, "pdf_for", broken)
    (queued,) = send([finalized], alice)
    statuses = [email_outbox.deliver(queued.pk, now=later(300 * i)) for i in range(8)]
    assert statuses[:5] == ["retrying"] * 5 and statuses[5:] == ["failed"] * 3
    queued.refresh_from_db()
    assert queued.attempts == queued.max_attempts
    assert "could not be prepared" in queued.last_error
    assert "Gave up after 6 attempts" in queued.last_error
    assert events(finalized)[-1] == "invoice.email_failed"
    assert events(finalized).count("invoice.email_deferred") == 5
    assert smtp_server.messages == []


def test_a_header_the_mail_library_refuses_fails_that_delivery_at_once(
    finalized, alice, smtp_server
):
    (queued,) = send([finalized], alice)
    # As a row written before the door checked subjects would have it.
    EmailDelivery.objects.filter(pk=queued.pk).update(subject="Facture\r\nBcc: x@evil.example")
    assert email_outbox.deliver(queued.pk) == "failed"
    queued.refresh_from_db()
    assert "could not be built" in queued.last_error
    assert smtp_server.messages == []


@pytest.mark.parametrize("subject", ["Facture\r\nBcc: x@evil.example", "Facture\n2", "A\x00B"])
def test_a_subject_that_would_break_the_headers_is_refused_at_the_door(finalized, alice, subject):
    with pytest.raises(Invalid) as refused:
        actions.send_invoices([finalized], by=alice, subject=subject, message="Bonjour")
    assert refused.value.codes == {"subject": ["invalid_characters"]}
    assert not EmailDelivery.objects.exists()


@pytest.mark.parametrize("text", ["{total:>1000000}", "{number!r}", "{number.real}", "{0}"])
def test_placeholders_take_no_format_and_no_other_name(finalized, alice, text):
    with pytest.raises(Invalid) as refused:
        actions.send_invoices([finalized], by=alice, subject="Facture", message=text)
    assert refused.value.codes["message"][0] in {"placeholder_format", "unknown_placeholder"}
    assert not EmailDelivery.objects.exists()


def test_claim_respects_the_attempt_limit_and_closes_abandoned_deliveries(
    finalized, alice, smtp_server
):
    (queued,) = send([finalized], alice)
    # The last attempt's worker died mid-send: its lease ran out.
    EmailDelivery.objects.filter(pk=queued.pk).update(
        status="sending", attempts=6, lease_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert not engine.claim(EmailDelivery, queued.pk, now=timezone.now())
    assert email_outbox.deliver(queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.attempts == 6
    assert "No answer after 6 attempts" in queued.last_error
    assert smtp_server.messages == []
    assert events(finalized)[-1] == "invoice.email_failed"


def test_a_batch_is_claimed_by_one_worker_and_what_it_does_not_try_is_handed_back(
    make_draft, alice, template, smtp_server
):
    invoices = [actions.finalize_invoice(make_draft(), by=alice) for _ in range(3)]
    queued = [d.pk for d in send(invoices, alice)]
    tries = engine.process_batch(email_outbox.EMAILS, queued)
    first, status = next(tries)  # one sent; the two others claimed, not started
    assert (first, status) == (queued[0], "sent")
    # Another worker finds nothing to take while they are held.
    assert engine.claim_batch(EmailDelivery, queued, now=timezone.now()) == []
    tries.close()  # the worker stops (e.g. SIGTERM): they are handed back untouched
    rest = EmailDelivery.objects.filter(pk__in=queued[1:])
    assert {(d.status, d.attempts, d.lease_until) for d in rest} == {("queued", 0, None)}
    assert dict(engine.process_batch(email_outbox.EMAILS, queued)) == {
        queued[1]: "sent",
        queued[2]: "sent",
    }
    # Each message once, each try counted once.
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(
        f"Facture {invoice.number}" for invoice in invoices
    )
    assert set(EmailDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_a_claim_grown_old_is_handed_back_before_its_lease_runs_short(
    finalized, alice, smtp_server, monkeypatch
):
    """A try starts only while the lease is almost whole: one that started late could
    outlast it, and another worker would send the same message again."""
    (queued,) = send([finalized], alice)
    monkeypatch.setattr(engine, "START_WITHIN", datetime.timedelta(seconds=-1))
    assert list(engine.process_batch(email_outbox.EMAILS, [queued.pk])) == []
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("queued", 0)
    assert smtp_server.messages == []
    monkeypatch.undo()
    assert list(engine.process_batch(email_outbox.EMAILS, [queued.pk])) == [(queued.pk, "sent")]


def test_a_retry_handed_back_stays_a_retry(finalized, alice, smtp_server, monkeypatch):
    (queued,) = send([finalized], alice)
    EmailDelivery.objects.filter(pk=queued.pk).update(status="retrying", attempts=2)
    monkeypatch.setattr(engine, "START_WITHIN", datetime.timedelta(seconds=-1))
    assert list(engine.process_batch(email_outbox.EMAILS, [queued.pk])) == []
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.lease_until) == ("retrying", 2, None)


def test_a_recipient_refused_among_others_is_reported_not_hidden(finalized, alice, smtp_server):
    smtp_server.handler.refuse = {"gone@client.example": "550 5.1.1 No such user"}
    (queued,) = send([finalized], alice, cc=["gone@client.example"])
    assert email_outbox.deliver(queued.pk) == "sent"
    queued.refresh_from_db()
    assert queued.refused == {"gone@client.example": "550 5.1.1 No such user"}
    assert queued.delivered_to == ["compta@client.example"]
    (rcpts, _message) = smtp_server.handler.received[0]
    assert rcpts == ["compta@client.example"]
    event = invoice_events(invoice=finalized).order_by("id").last()
    assert event.action == "invoice.partly_emailed"
    assert event.details["refused"] == {"gone@client.example": "550 5.1.1 No such user"}


def test_every_recipient_refused_is_a_failure(finalized, alice, smtp_server):
    smtp_server.handler.refuse = {"compta@client.example": "550 5.1.1 No such user"}
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "failed"
    queued.refresh_from_db()
    assert "550" in queued.last_error and "No such user" in queued.last_error
    assert Invoice.objects.get(pk=finalized.pk).sent_count == 0


@pytest.mark.django_db(transaction=True)
def test_one_bad_row_never_stops_the_worker(make_draft, alice, template, smtp_server, monkeypatch):
    first, second = (actions.finalize_invoice(make_draft(), by=alice) for _ in range(2))
    bad, good = send([first], alice)[0], send([second], alice)[0]
    record = email_outbox.EMAILS.record

    def record_breaks_on_the_bad_one(item, attempt, outcome):
        if item.pk == bad.pk:
            raise RuntimeError("a bug in recording")
        record(item, attempt, outcome)

    monkeypatch.setattr(email_outbox.EMAILS, "record", record_breaks_on_the_bad_one)
    call_command("outbox_worker", once=True)
    good.refresh_from_db()
    assert good.status == "sent"
    assert [m["Subject"] for m in smtp_server.messages] == [
        f"Facture {first.number}",
        f"Facture {second.number}",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_alone_outlives_a_mail_server_that_is_down(finalized, alice, tmp_path):
    send([finalized], alice)
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}?tls=false&timeout=2",
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    }
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    else:
        db = settings.DATABASES["default"]
        env["DATABASE_URL"] = (
            f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "outbox_worker", "--interval", "0.2"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "held by" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
        time.sleep(1)
        assert worker.poll() is None, log.read_text()  # still running, waiting to retry
        assert "Connection refused" in log.read_text()
        delivery = EmailDelivery.objects.get()
        # The firm's mail server, not the message: held, no attempt counted.
        assert delivery.status == "retrying" and delivery.attempts == 0
        assert "Held: the server said" in delivery.last_error
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    assert worker.returncode == 0
