"""A deposit invoice, in French, in Chromium: drafted for a client, finalized, paid,
then deducted by the final invoice from the client's work in progress, whose page
shows the deposit and the net to pay, and whose balance is that net."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from facturier.invoicing.models import Invoice
from facturier.work.models import Entry
from tests.e2e.conftest import shot
from tests.e2e.test_getting_paid import french, record_payment

pytestmark = pytest.mark.e2e


def test_a_deposit_invoice_is_deducted_on_the_final_one(open_as):
    page = open_as("alice", locale="fr-FR")
    client = Entry.objects.filter(state="unbilled", billable=True).first().client
    page.goto(page.base + "/billing/invoices/")
    page.get_by_role("button", name="Facture d'acompte", exact=True).click()
    expect(page.get_by_role("heading", name="Nouvelle facture d'acompte")).to_be_visible()
    page.get_by_label("Client").select_option(str(client.pk))
    page.get_by_label("Montant HT").fill("10,00")
    page.get_by_role("button", name="Préparer la facture d'acompte").click()
    expect(page.locator(".flash-success")).to_contain_text("Facture d'acompte en brouillon")
    deposit = Invoice.objects.filter(client=client, deposit=True).latest("pk")
    expect(page.get_by_role("heading", name="Brouillon de facture d'acompte")).to_be_visible()

    page.get_by_role("button", name="Finaliser").click()
    page.locator("dialog[open]").get_by_role("button", name="Finaliser").click()
    expect(page.locator(".flash-success")).to_contain_text("finalisée")
    deposit.refresh_from_db()
    page.goto(page.base + f"/billing/invoices/{deposit.pk}/")
    expect(page.get_by_role("heading", name=f"Facture d'acompte {deposit.number}")).to_be_visible()

    record_payment(page, deposit)
    expect(page.locator(".flash-success")).to_contain_text("Paiement de")
    deposit.refresh_from_db()
    assert deposit.balance == 0

    page.goto(page.base + "/billing/wip/")
    page.locator(f"#wip tbody tr[data-client='{client.pk}']").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Nouvelle facture depuis les en-cours")).to_be_visible()
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page.locator(".flash-success")).to_contain_text("Brouillon créé")
    final = Invoice.objects.filter(client=client, status="draft", deposit=False).latest("pk")
    page.goto(page.base + f"/billing/invoices/{final.pk}/")
    deduction = f"Acompte versé – facture n° {deposit.number}"
    expect(page.locator("#deposits-table")).to_contain_text(deduction)

    page.get_by_role("button", name="Finaliser").click()
    page.locator("dialog[open]").get_by_role("button", name="Finaliser").click()
    expect(page.locator(".flash-success")).to_contain_text("finalisée")
    final.refresh_from_db()
    page.goto(page.base + f"/billing/invoices/{final.pk}/")
    assert final.prepaid == deposit.total_gross == Decimal("12.00")
    assert final.balance == final.total_gross - Decimal("12.00")
    expect(page.locator("[data-total='due']")).to_contain_text(french(final.balance))
    shot(page, "fr-acompte-deduit")
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == final.pk
    # The PDF the client gets says the same.
    pdf = page.request.get(page.base + f"/billing/invoices/{final.pk}/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
