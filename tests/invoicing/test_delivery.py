import datetime
import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from facturier.core.errors import AlreadySent, Invalid, InvalidTransition, NotAllowed, NotFound
from facturier.invoicing import actions, email_outbox
from facturier.invoicing.actions import send_invoices
from facturier.invoicing.emails import default_message, default_subject
from facturier.invoicing.models import EmailDelivery, Invoice
from facturier.invoicing.selectors import invoice_events
from facturier.outbox import engine

pytestmark = pytest.mark.django_db

SUBJECT = "Facture {number} — {firm}"
MESSAGE = "Bonjour,\n\nVoici la facture {number} de {total}, payable le {due_date}.\n\n{firm}"


def send(invoices, by, **kwargs):
    kwargs.setdefault("subject", SUBJECT)
    kwargs.setdefault("message", MESSAGE)
    return send_invoices(invoices, by=by, **kwargs)


def later(minutes=180):
    return timezone.now() + datetime.timedelta(minutes=minutes)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def attachment(message):
    parts = [p for p in message.iter_attachments()]
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content()


def test_one_invoice_is_mailed_to_its_billing_contact_with_its_frozen_pdf(
    finalized, alice, smtp_server
):
    (queued,) = send([finalized], alice, cc=["associe@cabinet.example"])
    assert (
        queued.status == "queued"
        and invoice_events(invoice=finalized).filter(action="invoice.sent").exists()
    )
    assert Invoice.objects.get(pk=finalized.pk).sent_count == 0  # not before the server says so
    assert email_outbox.deliver(queued.pk) == "sent"
    (message,) = smtp_server.messages
    assert message["To"] == "compta@client.example"
    assert message["Cc"] == "associe@cabinet.example"
    assert message["Subject"] == "Facture 0000001 — Cabinet Test"
    assert message["Message-ID"] == queued.message_id
    body = message.get_body(("plain",)).get_content()
    assert "Voici la facture 0000001 de 120,00" in body
    assert message.get_body(("html",)) is not None
    name, data = attachment(message)
    assert name == "0000001.pdf"
    assert data == actions.pdf_for(finalized)
    invoice = Invoice.objects.get(pk=finalized.pk)
    assert invoice.sent_count == 1 and invoice.last_sent_at is not None
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_bulk_of_fifty_sends_fifty_messages_each_with_its_own_pdf(
    make_draft, alice, template, smtp_server, django_capture_on_commit_callbacks
):
    invoices = [
        actions.finalize_invoice(
            make_draft(
                lines=[
                    {"description": f"Mission {i}", "unit_price": str(100 + i), "vat_rate": "20"}
                ]
            ),
            by=alice,
        )
        for i in range(50)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        send(invoices, alice)
    call_command("outbox_worker", once=True)  # the worker takes the queued deliveries
    assert len(smtp_server.messages) == 50
    # Over one connection: not a connect, greeting and QUIT per message.
    assert len(set(smtp_server.handler.peers)) == 1
    numbers = set()
    for message in smtp_server.messages:
        name, data = attachment(message)
        number = name.removesuffix(".pdf")
        assert number in message["Subject"]
        assert f"Facture\n{number}" in pdf_text(data) or number in pdf_text(data)
        numbers.add(number)
    assert numbers == {i.number for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])}
    assert set(Invoice.objects.values_list("sent_count", flat=True)) == {1}


def test_bulk_refuses_an_already_sent_invoice_and_names_it(
    make_draft, alice, template, smtp_server
):
    sent = actions.finalize_invoice(make_draft(), by=alice)
    fresh = actions.finalize_invoice(make_draft(), by=alice)
    email_outbox.deliver(send([sent], alice)[0].pk)
    with pytest.raises(AlreadySent) as refused:
        send([sent, fresh], alice)
    assert sent.number in refused.value.message
    assert EmailDelivery.objects.count() == 1  # nothing queued for the fresh one either


def test_resend_goes_one_at_a_time(make_draft, alice, template, smtp_server):
    first = actions.finalize_invoice(make_draft(), by=alice)
    second = actions.finalize_invoice(make_draft(), by=alice)
    with pytest.raises(AlreadySent) as refused:
        send([first, second], alice, resend=True)
    assert "one at a time" in refused.value.message
    email_outbox.deliver(send([first], alice)[0].pk)
    again = send([first], alice, resend=True, to=["autre@client.example"])
    assert email_outbox.deliver(again[0].pk) == "sent"
    assert [m["To"] for m in smtp_server.messages] == [
        "compta@client.example",
        "autre@client.example",
    ]
    assert Invoice.objects.get(pk=first.pk).sent_count == 2


def test_451_is_retried_and_then_sent_once(finalized, alice, smtp_server):
    smtp_server.handler.script = ["451 4.7.1 Greylisted, try later"]
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "retrying"
    queued.refresh_from_db()
    assert "451" in queued.last_error and queued.next_attempt_at > timezone.now()
    assert email_outbox.deliver(queued.pk) == "retrying"  # not due yet: nothing happens
    assert queued.attempts == 1
    assert email_outbox.deliver(queued.pk, now=later()) == "sent"
    assert len(smtp_server.messages) == 1


def test_550_fails_at_once_with_the_reason(finalized, alice, smtp_server):
    smtp_server.handler.script = ["550 5.1.1 Mailbox unknown"]
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "failed"
    queued.refresh_from_db()
    assert "550" in queued.last_error and "Mailbox unknown" in queued.last_error
    assert email_outbox.deliver(queued.pk, now=later()) == "failed"  # never retried
    assert smtp_server.messages == []
    assert Invoice.objects.get(pk=finalized.pk).sent_count == 0


def test_disconnect_mid_data_is_retried(finalized, alice, smtp_server):
    smtp_server.handler.script = ["disconnect"]
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "retrying"
    queued.refresh_from_db()
    assert "closed the connection" in queued.last_error
    assert email_outbox.deliver(queued.pk, now=later()) == "sent"
    assert len(smtp_server.messages) == 1


def test_server_down_then_up(finalized, alice, smtp_server):
    smtp_server.stop()
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "retrying"
    queued.refresh_from_db()
    assert "Held: the server said" in queued.last_error  # the firm's server, not the message
    assert queued.attempts == 0
    smtp_server.start()
    assert email_outbox.deliver(queued.pk, now=later()) == "sent"
    assert len(smtp_server.messages) == 1


def test_retries_are_bounded(finalized, alice, smtp_server):
    smtp_server.handler.script = ["451 busy"] * 10
    (queued,) = send([finalized], alice)
    statuses = [email_outbox.deliver(queued.pk, now=later(minutes=300 * i)) for i in range(1, 8)]
    assert statuses[:5] == ["retrying"] * 5 and statuses[5] == "failed"
    queued.refresh_from_db()
    assert queued.attempts == queued.max_attempts == 6


def test_a_task_run_twice_sends_once(finalized, alice, smtp_server):
    (queued,) = send([finalized], alice)
    assert email_outbox.deliver(queued.pk) == "sent"
    assert email_outbox.deliver(queued.pk, now=later()) == "sent"
    assert len(smtp_server.messages) == 1
    assert Invoice.objects.get(pk=finalized.pk).sent_count == 1


@pytest.mark.parametrize("fixture", ["draft", "closed"])
def test_drafts_and_closed_invoices_cannot_be_sent(request, alice, fixture, smtp_server):
    with pytest.raises(InvalidTransition):
        send([request.getfixturevalue(fixture)], alice)
    assert not EmailDelivery.objects.exists()


def test_sending_needs_owner_and_processing(staff, finalized, smtp_server):
    with pytest.raises(NotAllowed):
        send([finalized], staff["processor_only"])
    with pytest.raises(NotAllowed):
        send([finalized], staff["owner_only"])
    with pytest.raises(NotFound):
        send([finalized], staff["neither"])
    assert not EmailDelivery.objects.exists()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"subject": " "}, "subject"),
        ({"message": ""}, "message"),
        ({"cc": ["not-an-address"]}, "cc"),
        ({"to": ["a@b.example, nope"]}, "to"),
        ({"subject": "Facture {numero}"}, "subject"),
        ({"message": "Total {total"}, "message"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_queued(finalized, alice, kwargs, field):
    with pytest.raises(Invalid) as refused:
        send([finalized], alice, **kwargs)
    assert field in refused.value.errors
    assert not EmailDelivery.objects.exists()


def test_a_client_without_billing_contact_is_named(finalized, alice):
    finalized.client.contacts.all().delete()
    with pytest.raises(Invalid) as refused:
        send([finalized], alice)
    assert "Client SA" in refused.value.errors["to"][0]


def test_default_texts_speak_the_clients_language():
    assert "{number}" in default_subject("en") and default_subject("fr").startswith("Facture")
    assert "Bonjour" in default_message("fr") and "Hello" in default_message("en")


def test_the_message_speaks_the_clients_language(firm, make_client, alice, template, smtp_server):
    client = make_client(firm, "London Ltd", language="en", currency="GBP")
    client.owners.add(alice)
    invoice = actions.finalize_invoice(
        actions.create_draft(
            by=alice,
            client=client,
            lines=[{"description": "x", "unit_price": "1234.5"}],
            exchange_rate="1.17",
        ),
        by=alice,
    )
    (queued,) = send([invoice], alice, subject=default_subject("en"), message=default_message("en"))
    email_outbox.deliver(queued.pk)
    (message,) = smtp_server.messages
    assert message["Content-Language"] == "en"
    assert "£1,481.40" in message.get_body(("plain",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_once(finalized, alice, smtp_server):
    (queued,) = send([finalized], alice)
    barrier = threading.Barrier(2)
    results = []

    def work():
        try:
            barrier.wait()
            results.append(email_outbox.deliver(queued.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_server.messages) == 1
    assert "sent" in results


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_is_taken_over_after_its_lease(finalized, alice, smtp_server):
    smtp_server.handler.script = ["hang"]
    (queued,) = send([finalized], alice)
    env = {
        **os.environ,
        "EMAIL_URL": smtp_server.url,
        "DATABASE_URL": _database_url(),
        "VAR_DIR": str(Path(_var_dir())),
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "outbox_worker", "--once"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert smtp_server.handler.hanging.wait(timeout=60), worker.stdout.read1(4096)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        smtp_server.handler.release.set()
    queued.refresh_from_db()
    assert queued.status == "sending"  # claimed by the dead worker, lease still running
    assert email_outbox.deliver(queued.pk) == "sending"  # nobody takes it before the lease ends
    assert email_outbox.deliver(queued.pk, now=timezone.now() + engine.LEASE * 2) == "sent"
    assert len(smtp_server.messages) == 1
    assert Invoice.objects.get(pk=finalized.pk).sent_count == 1


def _database_url() -> str:
    params = connection.settings_dict
    if params["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    return (
        f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )


def _var_dir() -> str:
    from django.conf import settings

    return str(settings.VAR_DIR)


def test_a_bulk_sends_queries_do_not_grow_with_its_invoices(make_draft, alice, template):
    """Queued in a fixed number of queries (one lock, two inserts, ...), whatever the
    selection's size, with an event per invoice naming its delivery."""
    from django.test.utils import CaptureQueriesContext

    def queued(count):
        invoices = [actions.finalize_invoice(make_draft(), by=alice) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            made = send(invoices, alice)
        assert len(made) == count
        for delivery in made:
            event = invoice_events(invoice=delivery.invoice).get(action="invoice.sent")
            assert event.details["delivery"] == delivery.pk
        return len(queries)

    assert queued(2) == queued(12)


def test_a_bulk_send_with_an_unknown_invoice_queues_nothing(make_draft, alice, template):
    invoice = actions.finalize_invoice(make_draft(), by=alice)
    for wrong in (10**6, "abc", 2**70):
        with pytest.raises(NotFound):
            send([invoice, wrong], alice)
    assert not EmailDelivery.objects.exists()
