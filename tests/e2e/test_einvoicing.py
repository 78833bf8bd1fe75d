"""French e-invoicing in Chromium, in French: a finalized invoice to a French business
is deposited with the (local) approved platform by the worker, after a 503 with one
flow only; its statuses appear on its page as the buyer's side moves it; a rejection
shows the platform's reason and asks for action; the Invoices tab filters by status."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import sandbox
from facturier.einvoicing.models import Transmission
from facturier.einvoicing.platform_outbox import deposit
from facturier.firms.models import User
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform(demo):
    server, state = sandbox.serve("127.0.0.1", 0, step=0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    alice = User.objects.get(username="alice")
    einvoicing.save_platform(
        alice.firm,
        by=alice,
        fields={"base_url": url, "token_url": f"{url}/oauth/token"},
    )
    yield state
    server.shutdown()


def new_invoice(page, client: str, description: str) -> Transmission:
    page.goto(page.base + "/billing/invoices/")
    page.get_by_role("button", name="Nouvelle facture").click()
    page.locator("select[name=client]").select_option(label=client)
    page.locator("input[name=line_description]").fill(description)
    page.locator("input[name=line_unit_price]").fill("1200")
    page.locator("select[name=operation]").select_option(label="Services")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.get_by_role("button", name="Finaliser").first.click()
    page.locator("dialog[open]").get_by_role("button", name="Finaliser", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("finalisée")
    return Transmission.objects.get(invoice__lines__description=description)


def show(page, transmission: Transmission) -> None:
    page.goto(page.base + f"/billing/invoices/{transmission.invoice_id}/")


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_deposit_statuses_and_a_rejection(open_as, platform):
    page = open_as("alice", locale="fr-FR")
    platform.script("503", "accept")
    transmission = new_invoice(page, "Boulangerie Lefèvre SARL", "Mission de révision 2026")
    assert transmission.processing_rule == "B2B"

    assert deposit(transmission.pk) == "retrying"  # the worker's first try: a 503
    show(page, transmission)
    section = page.locator("#platform")
    expect(section).to_contain_text("en attente de dépôt")
    expect(section).to_contain_text("503")
    assert deposit(transmission.pk, now=later(5)) == "sent"
    assert len(platform.deposits()) == 1  # one flow, however many tries

    einvoicing.collect_statuses()  # the worker's pass reads what the platform says
    show(page, transmission)
    rows = page.locator("#platform tbody tr")
    expect(rows).to_have_count(4)
    for row, label in zip(
        ("200", "202", "204", "205"),
        ("Déposée", "Reçue", "Prise en charge", "Approuvée"),
        strict=True,
    ):
        expect(page.locator(f"#platform tr[data-status='{row}']")).to_contain_text(label)
    expect(page.locator(".history")).to_contain_text("déposée sur la plateforme")
    shot(page, "fr-40-plateforme-statuts")

    platform.script("reject:Adresse électronique de l'acheteur inconnue de l'annuaire")
    rejected = new_invoice(page, "Garage Besson & Fils", "Assistance fiscale 2026")
    assert deposit(rejected.pk) == "sent"
    einvoicing.collect_statuses()
    show(page, rejected)
    expect(page.locator("#platform tr[data-status='213']")).to_contain_text("Rejetée")
    expect(page.locator("#platform tr[data-status='213']")).to_contain_text(
        "inconnue de l'annuaire"
    )
    expect(page.locator("[data-needs-action]")).to_be_visible()
    shot(page, "fr-41-plateforme-rejet")

    page.goto(page.base + "/billing/invoices/?platform=action")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody")).to_contain_text("Garage Besson")
    page.goto(page.base + "/billing/invoices/?platform=205")
    expect(page.locator("main table tbody")).to_contain_text("Boulangerie")


def test_a_client_checked_in_the_directory_from_its_account(open_as, platform):
    from facturier.clients.models import Client

    buyer = Client.objects.get(name="Boulangerie Lefèvre SARL")
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + f"/billing/clients/{buyer.pk}/")
    page.get_by_role("button", name="Vérifier dans l’annuaire").click()
    expect(page.locator("h1")).to_have_text("Vérifier dans l’annuaire")
    expect(page.locator("#directory-verdict")).to_contain_text("est utilisable")
    expect(page.locator("#directory-lines tbody tr")).to_have_count(1)
    expect(page.locator("#directory-lines tbody")).to_contain_text("oui")
    shot(page, "fr-42-annuaire")
