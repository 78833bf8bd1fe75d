"""An engagement typed in French, in Chromium, then billed by the run's button: one draft
per period due, once however often the button is pressed."""

import datetime

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
    expect(page.locator("body")).to_contain_text("Tenue comptable – Honoraires du")
