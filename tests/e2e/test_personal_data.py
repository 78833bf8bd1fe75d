"""Personal data in French, in Chromium: a contact's data exported from its client's
page as a JSON file, then erased with a reason (by keyboard). The client's page reads
"Personne effacée"; the invoice still shows the recipient it was sent to."""

import json

import pytest
from playwright.sync_api import expect

from facturier.clients.models import Contact
from facturier.invoicing.models import Invoice
from tests.e2e.conftest import shot
from tests.e2e.test_keyboard import assert_ring

pytestmark = pytest.mark.e2e


def test_a_contact_is_exported_then_erased_and_the_invoice_keeps_its_recipient(open_as):
    invoice = Invoice.objects.filter(number__isnull=False, client__country="FR").first()
    buyer = invoice.snapshot["buyer"]
    contact = Contact.objects.get(client=invoice.client, email=buyer["contact_email"])
    page = open_as("alice", locale="fr-FR")

    page.goto(page.base + f"/billing/clients/{invoice.client_id}/")
    row = page.locator(f'tr[data-contact="{contact.pk}"]')
    expect(row).to_contain_text(buyer["contact_name"])
    with page.expect_download() as download:
        row.get_by_role("button", name="Exporter les données personnelles").click()
    assert download.value.suggested_filename == f"personal-data-contact-{contact.pk}.json"
    data = json.loads(download.value.path().read_text())
    assert data["fields"]["email"] == buyer["contact_email"]
    assert invoice.number in [document["number"] for document in data["documents"]]

    summary = row.get_by_text("Effacer les données personnelles")
    summary.focus()
    page.keyboard.press("Enter")
    reason = row.get_by_label("Motif")
    expect(reason).to_be_visible()
    expect(row).to_contain_text("Code de commerce, art. L123-22")
    reason.fill("Demande de la personne du 01/12/2026")
    page.keyboard.press("Tab")
    assert_ring(page, "Effacer")
    page.keyboard.press("Enter")

    erased = page.get_by_text("Les données personnelles du contact ont été effacées.")
    expect(erased).to_be_visible()
    row = page.locator(f'tr[data-contact="{contact.pk}"]')
    expect(row).to_contain_text("Personne effacée")
    expect(row).not_to_contain_text(buyer["contact_email"])
    shot(page, "fr-70-contact-efface")

    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    recipient = page.locator("[data-recipient]")
    expect(recipient).to_contain_text(buyer["contact_name"])
    expect(recipient).to_contain_text(buyer["contact_email"])
