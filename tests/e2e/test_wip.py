"""Time to invoice, in French, in Chromium: a time entry recorded, the WIP tab, a draft
from a client's WIP with a write-down, finalized: the entries leave WIP, billed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from facturier.invoicing.models import Invoice, InvoiceEntry
from facturier.work.models import Entry
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_time_becomes_wip_then_a_draft_then_billed(open_as):
    page = open_as("alice", locale="fr-FR")
    page.get_by_role("link", name="Temps", exact=True).click()
    expect(page.get_by_role("heading", name="Temps et frais")).to_be_visible()
    client = Entry.objects.filter(state="unbilled", billable=True).first().client
    page.get_by_label("Client").select_option(str(client.pk))
    page.get_by_label("Code de travail").select_option("FISC")
    page.get_by_label("Heures").fill("1:30")
    page.locator("#id_description").fill("Revue de la liasse")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("Saisie enregistrée")
    expect(page.locator("#entries tbody tr").first).to_contain_text("Revue de la liasse")

    page.get_by_role("link", name="En-cours", exact=True).click()
    expect(page.get_by_role("heading", name="Travaux en cours")).to_be_visible()
    row = page.locator(f"#wip tbody tr[data-client='{client.pk}']")
    expect(row).to_be_visible()
    shot(page, "fr-40-en-cours")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Nouvelle facture depuis les en-cours")).to_be_visible()
    unbilled = list(Entry.objects.filter(client=client, state="unbilled", billable=True))
    value = sum(entry.amount for entry in unbilled)
    target = (value * Decimal("0.9")).quantize(Decimal("0.01"))
    page.get_by_label("Montant à facturer").fill(str(target))
    page.get_by_label("Motif").fill("Geste commercial")
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page.locator(".flash-success")).to_contain_text("Brouillon créé")

    invoice = Invoice.objects.filter(client=client, status="draft").latest("pk")
    assert invoice.total_net == target
    assert InvoiceEntry.objects.filter(invoice=invoice).count() == len(unbilled)
    # The editor of the new draft: Finaliser, then Finaliser in the dialog.
    page.get_by_role("button", name="Finaliser").click()
    page.locator("dialog[open]").get_by_role("button", name="Finaliser").click()
    expect(page.locator(".flash-success")).to_contain_text("finalisée")
    billed = Entry.objects.filter(client=client, state="billed")
    assert billed.exists()
    assert sum(entry.billed_amount for entry in billed) == target
    page.goto(page.base + "/billing/wip/")
    expect(page.locator(f"#wip tbody tr[data-client='{client.pk}']")).to_have_count(0)
