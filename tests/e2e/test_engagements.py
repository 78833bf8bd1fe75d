"""An engagement typed in French, in Chromium, then billed by the run's button: one draft
per period due, once however often the button is pressed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from facturier.clients.models import Client
from facturier.engagements.models import BilledPeriod, Engagement
from facturier.firms.models import User
from facturier.invoicing.models import Invoice
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_an_engagement_typed_in_french_then_billed_once(open_as):
    alice = User.objects.get(username="alice")
    client = Client.objects.filter(firm=alice.firm).order_by("pk")[1]
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=1)  # last month's last day
    page = open_as("alice", locale="fr-FR")
    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    expect(page.get_by_role("heading", name="Lettres de mission")).to_be_visible()
    page.get_by_role("button", name="Nouvelle lettre de mission").click()
    page.get_by_label("Référence").fill("LM-E2E-1")
    page.get_by_label("Client").select_option(str(client.pk))
    page.get_by_label("Date de début").fill(start.strftime("%d/%m/%Y"))
    page.get_by_label("Tacite reconduction").check()
    page.locator("#id_mission-0-name").fill("Tenue comptable")
    page.locator("#id_mission-0-annual_fee").fill("1 200,00")
    page.locator("#id_mission-0-vat_rate").fill("20")
    page.locator("#id_mission-0-frequency").select_option("monthly")
    shot(page, "fr-70-lettre-de-mission")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("LM-E2E-1")
    expect(page.get_by_role("heading", name="Prochaines factures")).to_be_visible()
    # The first period is one day of last month: prorated, said so.
    expect(page.locator("#schedule")).to_contain_text("prorata 1/")

    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.get_by_role("button", name="Facturer les échéances").click()
    expect(page.locator(".flash-success")).to_contain_text("Factures créées")
    engagement = Engagement.objects.get(reference="LM-E2E-1")
    drafts = Invoice.objects.filter(client=client, status="draft", notes__contains="LM-E2E-1")
    assert drafts.count() == 2  # last month's last day, and this month
    assert BilledPeriod.objects.filter(mission__engagement=engagement).count() == 2
    page.get_by_role("button", name="Facturer les échéances").click()
    expect(page.locator(".flash-success")).to_contain_text("Factures créées : 0")
    assert drafts.count() == 2
    # The run's page lists what it made today, each period with its engagement.
    expect(page.locator("#run-made tbody tr", has_text="LM-E2E-1")).to_have_count(2)

    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.get_by_role("link", name="LM-E2E-1").click()
    expect(page.locator("#billed-periods tbody tr")).to_have_count(2)
    page.locator("#billed-periods tbody tr").first.get_by_role("link").click()
    expect(page.locator("body")).to_contain_text("Tenue comptable – Honoraires : ")


def test_a_monthly_fee_and_time_make_one_invoice_a_month_twice(open_as):
    """Typed in French: a monthly fixed fee billed in arrears and advice at the staff
    rates. Two monthly passes of the worker (the second run again as after a restart)
    make exactly two invoices, each with the month's fixed fee and its time."""
    from facturier.engagements import actions
    from facturier.work import actions as work_actions
    from facturier.work.models import WorkCode

    alice = User.objects.get(username="alice")
    client = Client.objects.filter(firm=alice.firm).order_by("pk")[2]
    fisc = WorkCode.objects.get(firm=alice.firm, code="FISC")
    page = open_as("alice", locale="fr-FR")
    page.get_by_role("link", name="Lettres de mission", exact=True).click()
    page.get_by_role("button", name="Nouvelle lettre de mission").click()
    page.get_by_label("Référence").fill("LM-E2E-TEMPS")
    page.get_by_label("Client").select_option(str(client.pk))
    page.get_by_label("Date de début").fill("01/01/2027")
    page.get_by_label("Tacite reconduction").check()
    page.locator("#id_mission-0-name").fill("Tenue comptable")
    page.locator("#id_mission-0-annual_fee").fill("1 200,00")
    page.locator("#id_mission-0-frequency").select_option("monthly")
    page.locator("#id_mission-0-timing").select_option("arrears")
    page.locator("#id_mission-1-name").fill("Conseil fiscal")
    page.locator("#id_mission-1-fee_kind").select_option("time")
    page.locator("#id_mission-1-work_code").select_option(str(fisc.pk))
    page.locator("#id_mission-1-frequency").select_option("monthly")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("LM-E2E-TEMPS")
    engagement = Engagement.objects.get(reference="LM-E2E-TEMPS")

    january, february = (
        work_actions.record_entries(
            [{"client": client.pk, "work_code": "FISC", "day": day, "hours": hours}], by=alice
        )[0]
        for day, hours in (("12/01/2027", "2"), ("10/02/2027", "1,5"))
    )

    def worker_pass(day: datetime.date):
        now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(6)))
        return actions.bill_engagements_due(today=day, now=now)

    worker_pass(datetime.date(2027, 2, 1))
    worker_pass(datetime.date(2027, 3, 1))
    worker_pass(datetime.date(2027, 3, 1))  # restarted: nothing more
    invoices = Invoice.objects.filter(client=client, notes__contains="LM-E2E-TEMPS")
    assert invoices.count() == 2
    for invoice, entry, month in zip(
        invoices.order_by("issue_date"), (january, february), ("01", "02"), strict=True
    ):
        lines = list(invoice.lines.order_by("position"))
        name = {"01": "janvier", "02": "février"}[month]
        assert lines[0].description == f"Tenue comptable – Honoraires : {name} 2027"
        # The work code FISC is named "Conseil fiscal", as the mission: said once.
        hours = "2" if month == "01" else "1,5"
        assert lines[1].description.startswith(f"Conseil fiscal : {hours} h, le ")
        assert [line.net_amount for line in lines] == [Decimal("100.00"), entry.amount]
    assert BilledPeriod.objects.filter(mission__engagement=engagement).count() == 4

    page.goto(page.base + f"/billing/engagements/{engagement.pk}/")
    expect(page.locator("#billed-periods tbody tr")).to_have_count(4)
    expect(page.locator("#billed-periods")).to_contain_text("Conseil fiscal (temps)")
    page.locator("#billed-periods tbody tr", has_text="temps").first.get_by_role("link").click()
    # The latest first: February's time.
    expect(page.locator("body")).to_contain_text("Conseil fiscal : 1,5 h, le 10 février 2027")
    shot(page, "fr-71-honoraires-et-temps")
