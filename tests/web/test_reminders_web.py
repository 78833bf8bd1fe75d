"""Reminders, letters, the overview and the exports in the Billing app, for every user."""

import datetime
import html
import re
import warnings
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.invoicing import actions as invoicing
from facturier.receivables.actions import reminders
from facturier.receivables.aging import aging
from facturier.receivables.models import LedgerAccounts, Letter, ReminderLevel

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
LINE = {"description": "Mission", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"}


@pytest.fixture
def late(make_draft, alice, template, firm):
    when = datetime.datetime.combine(
        TODAY - datetime.timedelta(days=50), datetime.time(10), datetime.UTC
    )
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice, now=when)
    ReminderLevel.objects.create(
        firm=firm,
        days=7,
        subject_fr="Relance {number}",
        message_fr="Bonjour, {total} restent dus.",
        subject_en="Reminder {number}",
        message_en="Hello, {total} is due.",
    )
    return invoice


def test_every_user_gets_a_page_or_a_reason_never_an_error(client, staff, late):
    letter = reminders.send_due_reminders()[0]
    urls = [
        reverse("billing:overview"),
        reverse("billing:exports"),
        reverse("billing:remind") + f"?ids={late.pk}",
        reverse("billing:letter_pdf", args=[letter.pk]),
        reverse("billing:statement_pdf", args=[late.client_id])
        + "?start=2026-01-01&end=2026-12-31",
        reverse("billing:invoice", args=[late.pk]),
        reverse("billing:client_account", args=[late.client_id]),
        reverse("settings:reminders"),
    ]
    for user in staff.values():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302, 404), (user.username, url)
    client.force_login(staff["neither"])
    assert client.get(reverse("billing:letter_pdf", args=[letter.pk])).status_code == 404
    assert client.get(urls[2]).status_code == 302  # no processing right: sent back


def test_the_reminder_dialog_sends_the_next_level(client, alice, late):
    client.force_login(alice)
    page = client.get(reverse("billing:remind"), {"ids": late.pk})
    assert page.status_code == 200
    assert "Relance {number}" in page.content.decode()
    response = client.post(
        reverse("billing:remind"),
        {"ids": [late.pk], "subject": "Relance {number}", "message": "Bonjour {client}"},
    )
    assert response.status_code == 302
    letter = Letter.objects.get()
    assert letter.subject == f"Relance {late.number}"
    assert late.client.name in letter.body
    detail = client.get(reverse("billing:invoice", args=[late.pk])).content.decode()
    assert reverse("billing:letter_pdf", args=[letter.pk]) in detail
    # A second time: every level was sent; the dialog says why, nothing is sent.
    again = client.post(
        reverse("billing:remind"),
        {"ids": [late.pk], "subject": "Relance {number}", "message": "Bonjour"},
    )
    assert again.status_code == 422 and Letter.objects.count() == 1


def test_a_bad_placeholder_in_the_dialog_is_a_message(client, alice, late):
    client.force_login(alice)
    response = client.post(
        reverse("billing:remind"), {"ids": [late.pk], "subject": "{oops", "message": "x"}
    )
    assert response.status_code == 422
    assert not Letter.objects.exists()


def test_pausing_an_invoice_from_its_page(client, alice, late):
    client.force_login(alice)
    response = client.post(
        reverse("billing:reminder_pause"),
        {"invoice": late.pk, "paused": "1", "next": reverse("billing:invoice", args=[late.pk])},
    )
    assert response.status_code == 302
    assert reminders.send_due_reminders() == []
    assert "data-paused" in client.get(reverse("billing:invoice", args=[late.pk])).content.decode()
    client.post(reverse("billing:reminder_pause"), {"invoice": late.pk, "paused": "0"})
    assert len(reminders.send_due_reminders()) == 1
    assert client.post(reverse("billing:reminder_pause"), {"invoice": "x"}).status_code == 404


def test_the_overview_shows_the_aging_totals(client, alice, late):
    client.force_login(alice)
    html = client.get(reverse("billing:overview")).content.decode()
    totals = aging(user=alice, day=TODAY).totals["EUR"]
    row = re.search(r'<tr data-currency="EUR">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(?:<strong>)?([^<]*)', row)
    assert [Decimal(c.replace(",", "")) for c in cells] == [
        *totals.buckets,
        totals.total,
    ]
    assert 'data-chart="aging"' in html and 'data-chart="dso"' in html
    assert "<script" not in html.split('data-chart="aging"')[1].split("</svg>")[0]


def test_the_overview_gives_days_sales_outstanding_in_whole_days(client, alice, late):
    client.force_login(alice)
    with warnings.catch_warnings():
        # gettext chooses "day" or "days" by an integer; a Decimal is deprecated there.
        warnings.filterwarnings("error", message="Plural value must be an integer")
        html = client.get(reverse("billing:overview")).content.decode()
    card = re.search(r'data-figure="dso">(.*?)</article>', html, re.S).group(1)
    # Nothing paid on the year's one invoice: all it invoiced is owed, 365 days of sales.
    assert re.search(r"<strong>365 (days|jours)</strong>", card)


def test_the_reminder_settings_save_levels_and_accounts(client, firm, staff):
    from django.contrib.auth.models import Permission

    manager = staff["owner_processor"]
    manager.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    client.force_login(type(manager).objects.get(pk=manager.pk))
    page = client.get(reverse("settings:reminders"))
    assert page.status_code == 200
    data = {
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "1",
        "levels-0-days": "10",
        "levels-0-subject_fr": "Rappel {number}",
        "levels-0-message_fr": "Bonjour",
        "levels-0-subject_en": "Reminder {number}",
        "levels-0-message_en": "Hello",
        "levels-0-attach_invoice": "on",
        "ledger-sales_journal": "VE",
        "ledger-bank_journal": "BQ",
        "ledger-client_account": "411000",
        "ledger-revenue_account": "706000",
        "ledger-vat_account": "445710",
        "ledger-bank_account": "512000",
        "ledger-exchange_loss_account": "666000",
        "ledger-exchange_gain_account": "766100",
        "ledger-fiscal_year_start": "1",
    }
    assert client.post(reverse("settings:reminders"), data).status_code == 302
    assert list(ReminderLevel.objects.values_list("days", flat=True)) == [10]
    assert LedgerAccounts.objects.get().exchange_gain_account == "766100"
    bad = {**data, "levels-0-subject_fr": "Rappel {nope}", "ledger-fiscal_year_start": "13"}
    assert client.post(reverse("settings:reminders"), bad).status_code == 422
    assert ReminderLevel.objects.get().subject_fr == "Rappel {number}"  # nothing half-done
    client.force_login(staff["processor_only"])
    assert client.get(reverse("settings:reminders")).status_code == 302


def _record_credit(alice, client_entity, amount):
    from facturier.receivables import actions

    actions.record_payment(
        by=alice, client=client_entity, amount=Decimal(amount), received_on=TODAY, allocations=[]
    )


@pytest.mark.parametrize(
    ("situation", "said"),
    [
        ("levels_sent", "Every reminder level was sent already."),
        ("paused", "Reminders are paused for this invoice or its client."),
        ("covered_by_credit", "The client's credit covers this invoice: allocate it instead."),
    ],
)
def test_a_reminder_that_cannot_go_is_said_before_the_form_is_filled(
    client, alice, late, client_entity, situation, said
):
    if situation == "levels_sent":
        reminders.send_due_reminders()
    elif situation == "paused":
        reminders.set_pause(late.client, by=alice, paused=True)
    else:
        _record_credit(alice, client_entity, "1200.00")
    client.force_login(alice)
    detail = client.get(reverse("billing:invoice", args=[late.pk])).content.decode()
    assert 'id="remind-now"' not in detail
    assert re.search(r"disabled aria-describedby=\"why-remind-now\">Send a reminder", detail)
    assert html.escape(said) in detail
    dialog = client.get(reverse("billing:remind"), {"ids": late.pk}).content.decode()
    assert f'data-blocked="{situation}"' in dialog and html.escape(said) in dialog
    assert "<fieldset disabled>" in dialog
    assert re.search(r'<button type="submit" disabled', dialog)
    letters_before = Letter.objects.count()
    client.post(reverse("billing:remind"), {"ids": [late.pk], "subject": "R", "message": "M"})
    assert Letter.objects.count() == letters_before


def test_the_invoice_list_disables_the_reminder_of_a_paused_invoice(client, alice, late):
    client.force_login(alice)

    def remind_reason():
        listed = client.get(reverse("billing:invoices")).content.decode()
        box = re.search(rf'<input type="checkbox" name="ids" value="{late.pk}"[^>]*>', listed)
        return re.search(r'data-why-remind="([^"]*)"', box.group(0)).group(1)

    assert remind_reason() == ""
    reminders.set_pause(late, by=alice, paused=True)
    assert remind_reason() == "Reminders are paused for this invoice or its client."


def test_an_invoice_that_can_be_reminded_offers_the_dialog_from_its_page(client, alice, late):
    client.force_login(alice)
    detail = client.get(reverse("billing:invoice", args=[late.pk])).content.decode()
    assert 'id="remind-now"' in detail


def test_the_overview_draws_each_currency_apart_never_summed(
    client, alice, late, firm, make_client, make_draft
):
    dollars = make_client(firm, name="Acme Inc", currency="USD", country="US")
    dollars.owners.add(alice)
    alice = type(alice).objects.get(pk=alice.pk)  # the ownership read afresh
    when = datetime.datetime.combine(
        TODAY - datetime.timedelta(days=50), datetime.time(10), datetime.UTC
    )
    invoicing.finalize_invoice(
        make_draft(by=alice, client=dollars, currency="USD", exchange_rate=Decimal("0.9")),
        by=alice,
        now=when,
    )
    client.force_login(alice)
    html_ = client.get(reverse("billing:overview"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    totals = aging(user=alice, day=TODAY).totals
    assert set(totals) == {"EUR", "USD"}
    euros = html_.split('data-chart="aging"')[1].split("</svg>")[0]
    us = html_.split('data-chart="aging-USD"')[1].split("</svg>")[0]
    assert "Balance âgée à ce jour (EUR)" in euros and "Balance âgée à ce jour (USD)" in us
    assert ">USD<" not in euros and ">EUR<" not in us  # one currency per chart
