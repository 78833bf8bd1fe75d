"""The seed workflow, clicked through as a user would, in French and in English."""

import re

import pytest
from playwright.sync_api import expect

from facturier.invoicing.models import EmailDelivery, Invoice
from tests.e2e.conftest import shot
from tests.images import png

pytestmark = pytest.mark.e2e


def row(page, text):
    return page.locator("table.invoices tbody tr", has_text=text)


def select(page, text):
    row(page, text).locator("input[name=ids]").check()


def more_actions(page, entry):
    page.get_by_role("button", name=re.compile("Plus d'actions|More actions")).click()
    page.locator("details.dropdown").get_by_role("button", name=entry, exact=True).click()


def first_draft_id(client_name=None):
    drafts = Invoice.objects.filter(status="draft", firm__name__startswith="Cabinet")
    if client_name:
        drafts = drafts.filter(client__name=client_name)
    return drafts.order_by("-issue_date").first()


def test_the_seed_workflow_in_french(open_as):
    page = open_as("alice", locale="fr-FR")
    expect(page.get_by_role("link", name="Facturation")).to_be_visible()
    expect(page.locator(".tabs")).to_contain_text("Factures")
    expect(page.locator("table.invoices .badge-closed")).to_have_count(0)  # closed hidden
    shot(page, "fr-01-factures")

    # Select a draft, Éditer, Finaliser, choose a template, Finaliser.
    draft = first_draft_id()
    page.locator(f"input[name=ids][value='{draft.pk}']").check()
    page.get_by_role("button", name="Éditer").click()
    expect(page.get_by_role("heading", name=re.compile("Éditer le brouillon"))).to_be_visible()
    shot(page, "fr-02-editer")
    page.get_by_role("button", name="Finaliser").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_label(re.compile("Modèle de facture"))).to_be_visible()
    dialog.get_by_label(re.compile("Modèle de facture")).select_option(label="Sobre")
    shot(page, "fr-03-finaliser")
    dialog.get_by_role("button", name="Finaliser").click()
    expect(page.locator(".flash-success")).to_have_text("Facture 0001094 finalisée.")
    expect(row(page, "0001094")).to_contain_text("Finalisé")
    assert Invoice.objects.get(pk=draft.pk).template.name == "Sobre"
    shot(page, "fr-04-finalisee")

    # Plus d'actions | Fermer: the invoice leaves the list.
    select(page, "0001094")
    more_actions(page, "Fermer")
    expect(page.locator(".flash-success")).to_have_text("Facture 0001094 fermée.")
    expect(row(page, "0001094")).to_have_count(0)

    # Filtre | Statut | Fermé shows it again; Plus d'actions | Revenir à Finalisé.
    page.get_by_text("Filtre", exact=True).click()
    page.get_by_label("Fermé").check()
    expect(page).to_have_url(re.compile(r"status=closed"))
    expect(row(page, "0001094")).to_contain_text("Fermé")
    shot(page, "fr-05-filtre-ferme")
    page.reload()  # the filter is in the URL: a reload shows the same list
    expect(row(page, "0001094")).to_contain_text("Fermé")
    select(page, "0001094")
    more_actions(page, "Revenir à Finalisé")
    expect(page.locator(".flash-success")).to_have_text("Facture 0001094 revenue à Finalisé.")
    assert Invoice.objects.get(pk=draft.pk).status == "finalized"

    # Plus d'actions | Afficher le PDF.
    page.goto(page.base + "/billing/invoices/")
    select(page, "0001094")
    more_actions(page, "Afficher le PDF")
    expect(page.get_by_role("button", name="Télécharger")).to_be_visible()
    pdf = page.request.get(page.base + f"/billing/invoices/{draft.pk}/pdf/")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    shot(page, "fr-06-pdf")

    # The invoice's page: its history, who and when.
    page.goto(page.base + f"/billing/invoices/{draft.pk}/")
    history = page.locator("ol.history")
    for step in ("créée", "finalisée", "fermée", "revenue à Finalisé"):
        expect(history).to_contain_text(step)
    expect(history).to_contain_text("Alice Martin")
    shot(page, "fr-07-facture")


def test_draft_to_sent_in_english(open_as, outbox_worker):
    page = open_as("alice", locale="en-GB")
    page.get_by_role("button", name="New invoice").click()
    page.locator("select[name=client]").select_option(label="Northwind Consulting Ltd")
    page.locator("input[name=line_description]").fill("Quarterly VAT return")
    page.locator("input[name=line_quantity]").fill("2")
    page.locator("input[name=line_unit_price]").fill("150.25")
    page.get_by_role("button", name="+ Add a line").click()
    page.locator("input[name=line_description]").nth(1).fill("Advisory call")
    page.locator("input[name=line_unit_price]").nth(1).fill("99.50")
    page.locator("input[name=line_vat_rate]").nth(1).fill("0")
    expect(page.locator("[data-total=gross]")).to_contain_text("460.10")  # 300.50*1.2 + 99.50
    page.locator("input[name=exchange_rate]").fill("1.1715")  # in pounds: its VAT in euros too
    shot(page, "en-01-new-invoice")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_have_text("Draft saved.")

    invoice = Invoice.objects.filter(
        client__name="Northwind Consulting Ltd", lines__description="Advisory call"
    ).get()
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    page.get_by_role("button", name="Finalize").click()  # the dialog, over the page
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="Send").click()  # finalize, then the e-mail dialog
    expect(page.locator(".flash-success")).to_contain_text("finalized")
    send = page.locator("dialog[open]")
    expect(send.locator("input[name=to]")).to_have_value("factures@client7.example")
    expect(send.locator("input[name=subject]")).to_have_value(re.compile(r"Invoice \{number\}"))
    shot(page, "en-02-send-dialog")
    send.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_contain_text("is being sent")
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    expect(page.locator("#deliveries")).to_contain_text("Sent", timeout=20_000)
    (message,) = outbox_worker.messages
    assert message["Subject"].startswith(f"Invoice {Invoice.objects.get(pk=invoice.pk).number}")
    shot(page, "en-03-sent")


def test_bulk_send_of_three_watched_until_sent(open_as, outbox_worker):
    page = open_as("alice", locale="en-GB")
    never_sent = list(
        Invoice.objects.filter(
            status="finalized", sent_count=0, firm__name__startswith="Cabinet", kind="invoice"
        ).order_by("-number")[:3]
    )
    for invoice in never_sent:
        page.locator(f"input[name=ids][value='{invoice.pk}']").check()
    more_actions(page, "Send selected invoices")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Send 3 invoices")
    shot(page, "en-04-bulk-send")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_have_text("3 invoices are being sent.")
    for invoice in never_sent:  # the list follows the sending without a reload
        expect(row(page, invoice.number).locator(".sent")).to_be_visible(timeout=20_000)
    assert len(outbox_worker.messages) == 3
    assert EmailDelivery.objects.filter(status="sent").count() == 3
    shot(page, "en-05-bulk-sent")


def test_each_kind_of_user_meets_clear_refusals(open_as):
    draft = first_draft_id("Dubois Immobilier SCI")  # owned by Alice and Bob
    final = (
        Invoice.objects.filter(status="finalized", client=draft.client, kind="invoice")
        .order_by("-issue_date")
        .first()
    )

    bob = open_as("bob", locale="en-GB")  # owner, no processing permission
    bob.locator(f"input[name=ids][value='{draft.pk}']").check()
    expect(bob.get_by_role("button", name="Edit", exact=True)).to_be_disabled()
    expect(bob.locator("#reason-edit")).to_have_text("You lack the processing permission.")
    bob.locator(f"input[name=ids][value='{draft.pk}']").uncheck()
    bob.locator(f"input[name=ids][value='{final.pk}']").check()
    bob.get_by_role("button", name="More actions").click()
    expect(bob.locator("#reason-close")).to_have_text("You lack the processing permission.")
    shot(bob, "en-06-owner-only")

    carol = open_as("carol", locale="fr-FR")  # processing, owns nothing
    carol.locator(f"input[name=ids][value='{draft.pk}']").check()
    expect(carol.locator("#reason-edit")).to_have_text("Vous n'êtes pas propriétaire de ce client.")
    carol.locator(f"input[name=ids][value='{draft.pk}']").uncheck()
    carol.locator(f"input[name=ids][value='{final.pk}']").check()
    more_actions(carol, "Fermer")
    expect(carol.locator(".flash-success")).to_have_text(f"Facture {final.number} fermée.")

    dave = open_as("dave", locale="en-GB")  # neither
    expect(dave.locator("table.invoices tbody")).to_contain_text("No invoices yet.")
    response = dave.goto(dave.base + f"/billing/invoices/{draft.pk}/")
    assert response.status == 404

    erin = open_as("erin", locale="en-GB")  # another firm
    assert erin.goto(erin.base + f"/billing/invoices/{final.pk}/").status == 404

    alice = open_as("alice", locale="en-GB")
    two = Invoice.objects.filter(status="finalized", firm=draft.firm, kind="invoice").order_by(
        "-number"
    )[:2]
    for invoice in two:
        alice.locator(f"input[name=ids][value='{invoice.pk}']").check()
    alice.get_by_role("button", name="More actions").click()
    expect(alice.get_by_role("button", name="Resend")).to_be_disabled()
    expect(alice.locator("#reason-resend")).to_have_text(
        "Resends go one at a time: select a single invoice."
    )
    alice.get_by_role("button", name="More actions").click()  # close the menu again
    alice.locator(f"input[name=ids][value='{draft.pk}']").check()
    alice.get_by_role("button", name="More actions").click()
    expect(alice.locator("#reason-close")).to_have_text("Applies to finalized invoices only.")


def test_phone_width_and_keyboard(open_as):
    page = open_as("alice", locale="fr-FR", width=390, height=844)
    shot(page, "fr-08-phone-list")
    page.keyboard.press("Tab")
    select_all = page.get_by_label("Tout sélectionner sur cette page")
    select_all.focus()
    page.keyboard.press("Space")
    expect(page.locator("[data-selection-count]")).to_contain_text("25")
    draft = first_draft_id()
    page.goto(page.base + f"/billing/invoices/{draft.pk}/edit/")
    shot(page, "fr-09-phone-edit")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing pushes the page sideways


def test_template_with_a_logo_then_view_pdf(open_as, tmp_path):
    from io import BytesIO

    from pypdf import PdfReader

    page = open_as("alice", locale="en-GB")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="New template").click()
    page.get_by_label("Name").fill("With logo")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(64, 24))
    page.locator("input[name=logo_file]").set_input_files(str(logo))
    expect(page.locator("#preview img")).to_be_visible()
    shot(page, "en-07-template-editor")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("With logo")

    draft = first_draft_id()
    page.goto(page.base + f"/billing/invoices/{draft.pk}/finalize/")
    dialog = page.locator("dialog[open]")
    dialog.get_by_label(re.compile("Invoice template")).select_option(label="With logo")
    dialog.get_by_role("button", name="Finalize").click()
    expect(page.locator(".flash-success")).to_contain_text("finalized")
    page.goto(page.base + f"/billing/invoices/{draft.pk}/pdf/view/")
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    pdf = page.request.get(page.base + f"/billing/invoices/{draft.pk}/pdf/").body()
    assert len(PdfReader(BytesIO(pdf)).pages[0].images) == 1
