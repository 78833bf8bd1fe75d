"""A form that sends or records something acts once per rendering: its hidden key
(web.once) makes a second submission, one after the other or both at once, act on
nothing and lead where the first did."""

import datetime
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import EmailDelivery, Invoice
from facturier.receivables.models import Letter, Payment, ReminderLevel
from facturier.web import once

pytestmark = pytest.mark.django_db
LINE = {"description": "Mission", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"}


@pytest.fixture
def late(make_draft, alice, template, firm):
    """An invoice 50 days late, with two reminder levels due."""
    when = timezone.now() - datetime.timedelta(days=50)
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice, now=when)
    for days in (7, 14):
        ReminderLevel.objects.create(
            firm=firm,
            days=days,
            subject_fr="Relance {number}",
            message_fr="Bonjour",
            subject_en="Reminder {number}",
            message_en="Hello",
        )
    return invoice


def key_of(page) -> str:
    (key,) = re.findall(r'name="idempotency_key" value="([^"]+)"', page.content.decode())
    return key


def remind(client, invoice, key):
    data = {"ids": [invoice.pk], "subject": "Relance {number}", "message": "Bonjour"}
    return client.post(reverse("billing:remind"), {**data, once.FIELD: key})


def test_a_reminder_submitted_twice_sends_one_letter(client, alice, late):
    client.force_login(alice)
    key = key_of(client.get(reverse("billing:remind"), {"ids": late.pk}))
    first = remind(client, late, key)
    second = remind(client, late, key)
    assert Letter.objects.count() == 1  # not a second letter at the next level
    assert second.status_code == 302 and second["Location"] == first["Location"]
    shown = client.get(second["Location"]).content.decode()
    assert "already sent" in shown
    # A new rendering of the form is a new intention: the next level goes.
    remind(client, late, key_of(client.get(reverse("billing:remind"), {"ids": late.pk})))
    assert Letter.objects.count() == 2


def test_a_reminder_sent_twice_at_once_sends_one_letter_on_sqlite(client, alice, late, monkeypatch):
    """The second submission read no answer yet (the first was still running): its
    claim of the key fails, and it leads where the first did."""
    client.force_login(alice)
    key = key_of(client.get(reverse("billing:remind"), {"ids": late.pk}))
    remind(client, late, key)
    real = once._answer
    calls = []

    def not_yet_committed(user, key):
        calls.append(key)
        return None if len(calls) == 1 else real(user, key)

    monkeypatch.setattr(once, "_answer", not_yet_committed)
    second = remind(client, late, key)
    assert second.status_code == 302
    assert Letter.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reminders_submitted_at_the_same_moment_send_one_letter(alice, late):
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.force_login(alice)
    key = key_of(browsers[0].get(reverse("billing:remind"), {"ids": late.pk}))
    start = threading.Barrier(2)
    answers = []

    def submit(browser):
        start.wait()
        try:
            answers.append(remind(browser, late, key).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert Letter.objects.count() == 1


def test_sending_invoices_twice_queues_each_once(client, alice, make_draft, template):
    invoice = invoicing.finalize_invoice(make_draft(), by=alice)
    client.force_login(alice)
    page = client.get(reverse("billing:send"), {"ids": [invoice.pk], "mode": "send"})
    data = {
        "ids": [invoice.pk],
        "mode": "send",
        "subject": "Facture {number}",
        "message": "Bonjour",
        "cc": "",
        once.FIELD: key_of(page),
    }
    for _ in range(2):
        client.post(reverse("billing:send"), data)
    assert EmailDelivery.objects.count() == 1


def test_a_payment_recorded_twice_is_recorded_once(client, alice, make_draft, template):
    invoice = invoicing.finalize_invoice(make_draft(), by=alice)
    client.force_login(alice)
    page = client.get(reverse("billing:payment_new"), {"ids": [invoice.pk]})
    data = {
        "ids": [str(invoice.pk)],
        "received_on": timezone.localdate().isoformat(),
        "method": "transfer",
        "amount": "100",
        f"alloc-{invoice.pk}": "100",
        once.FIELD: key_of(page),
    }
    for _ in range(2):
        client.post(reverse("billing:payment_new"), data)
    assert Payment.objects.count() == 1


def test_a_credit_note_submitted_twice_is_drafted_once(client, alice, finalized):
    client.force_login(alice)
    url = reverse("billing:credit_note_new", args=[finalized.pk])
    data = {"mode": "total", once.FIELD: key_of(client.get(url))}
    for _ in range(2):
        client.post(url, data)
    assert Invoice.objects.filter(corrects=finalized).count() == 1


def test_a_refused_form_may_be_sent_again_corrected(client, alice, finalized):
    client.force_login(alice)
    url = reverse("billing:credit_note_new", args=[finalized.pk])
    key = key_of(client.get(url))
    assert client.post(url, {"mode": "nonsense", once.FIELD: key}).status_code == 422
    assert client.post(url, {"mode": "total", once.FIELD: key}).status_code == 302
    assert Invoice.objects.filter(corrects=finalized).count() == 1


def test_the_statement_of_account_e_mailed_twice_goes_once(client, alice, late):
    client.force_login(alice)
    page = client.get(reverse("billing:client_account", args=[late.client_id]))
    today = timezone.localdate()
    data = {
        "start": today.replace(month=1, day=1).isoformat(),
        "end": today.isoformat(),
        once.FIELD: key_of(page),
    }
    url = reverse("billing:statement_pdf", args=[late.client_id])
    for _ in range(2):
        client.post(url, data)
    assert Letter.objects.count() == 1
