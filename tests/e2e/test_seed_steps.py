"""The help page's steps as a person meets them in Chromium, in French: what the
e-mail dialog says back, the keyboard alone, a selection kept across reloads."""

import re

import pytest
from playwright.sync_api import expect

from facturier.invoicing.models import EmailDelivery, Invoice
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def finalized(client_name=None, sent=False):
    invoices = Invoice.objects.filter(
        status="finalized", firm__name__startswith="Cabinet", sent_count=0, kind="invoice"
    )
    if client_name:
        invoices = invoices.filter(client__name=client_name)
    invoice = invoices.order_by("-number").first()
    if sent:
        Invoice.objects.filter(pk=invoice.pk).update(sent_count=1)
    return invoice


def tick(page, invoice):
    page.locator(f"input[name=ids][value='{invoice.pk}']").check()


def open_menu_entry(page, name):
    page.get_by_role("button", name="Plus d'actions").click()
    page.locator("details.dropdown").get_by_role("button", name=name, exact=True).click()


def test_the_email_dialog_says_what_is_wrong_beside_each_field(open_as):
    page = open_as("alice", locale="fr-FR")
    invoice = finalized()
    tick(page, invoice)
    open_menu_entry(page, "Envoyer les factures sélectionnées")
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Envoyer la facture")).to_be_visible()
    expect(dialog.get_by_text("Les champs marqués * sont obligatoires.")).to_be_visible()
    dialog.get_by_label("À").fill("pas-une-adresse")
    dialog.get_by_label("Objet").fill("   ")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    expect(dialog.locator("#send-to-error")).to_have_text(
        "« pas-une-adresse » n'est pas une adresse e-mail valide."
    )
    expect(dialog.get_by_label("À")).to_have_attribute("aria-invalid", "true")
    shot(page, "fr-10-send-errors")
    dialog.get_by_label("À").fill("compta@client.example")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    expect(dialog.locator("#send-subject-error")).to_have_text("Ce champ est obligatoire.")
    assert not EmailDelivery.objects.exists()  # nothing queued while something is wrong


def test_the_preview_follows_the_to_field_and_the_language_can_be_chosen(open_as):
    page = open_as("alice", locale="fr-FR")
    invoice = finalized("Northwind Consulting Ltd")
    tick(page, invoice)
    open_menu_entry(page, "Envoyer les factures sélectionnées")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#send-language-help")).to_contain_text(
        "L'e-mail est rédigé en anglais, la langue du client"
    )
    expect(dialog.get_by_label("Objet")).to_have_value(re.compile(r"^Invoice \{number\}"))
    dialog.get_by_label("À").fill("ap@northwind.example")
    expect(dialog.locator("[data-preview=to]")).to_have_text("ap@northwind.example")
    dialog.get_by_label("Langue de l'e-mail").select_option("fr")
    expect(dialog.get_by_label("Objet")).to_have_value(re.compile(r"^Facture \{number\}"))
    expect(dialog.get_by_label("À")).to_have_value("ap@northwind.example")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text(invoice.number)
    delivery = EmailDelivery.objects.get(invoice=invoice)
    assert delivery.language == "fr" and delivery.subject.startswith("Facture")
    assert delivery.to == ["ap@northwind.example"]


def test_one_invoice_already_sent_is_offered_its_resend(open_as):
    page = open_as("alice", locale="fr-FR")
    invoice = finalized(sent=True)
    page.reload()
    tick(page, invoice)
    page.get_by_role("button", name="Plus d'actions").click()
    offered = page.locator("details.dropdown button[data-action=Send]")
    expect(offered).to_have_text("Renvoyer")
    expect(offered).to_be_enabled()
    # One "Renvoyer" in the menu, not the offer and the item alike (a screen reader
    # read the same action twice).
    menu = page.locator("details.dropdown")
    expect(menu.get_by_role("button", name="Renvoyer", exact=True)).to_have_count(1)
    offered.click()
    expect(page.locator("dialog[open]").get_by_role("heading")).to_have_text("Renvoyer la facture")


def test_a_tick_survives_the_search_reloading_the_list(open_as):
    page = open_as("alice", locale="fr-FR")
    page.get_by_text("Filtre", exact=True).click()
    search = page.get_by_label("Recherche")
    search.fill("Garage")
    expect(page.locator("table.invoices tbody tr").first).to_contain_text("Garage")
    invoice = Invoice.objects.filter(client__name__startswith="Garage", status="draft").first()
    with page.expect_response(re.compile(r"/billing/invoices/")):
        tick(page, invoice)  # the box is ticked, then the search field's change reloads
    expect(page.locator(f"input[name=ids][value='{invoice.pk}']")).to_be_checked()
    expect(page.locator("[data-selection-count]")).to_contain_text("1")


def test_a_message_of_an_earlier_action_leaves_when_the_list_reloads(open_as):
    """Closing an invoice says so above the list; filtering it then shows other rows,
    and the message about the earlier action goes (it stayed, next to rows it was not
    about)."""
    page = open_as("alice", locale="fr-FR")
    invoice = finalized()
    tick(page, invoice)
    page.get_by_role("button", name="Plus d'actions").click()
    page.locator("details.dropdown").get_by_role("button", name="Fermer", exact=True).click()
    expect(page.locator("#messages .flash")).to_contain_text(invoice.number)
    page.get_by_text("Filtre", exact=True).click()
    with page.expect_response(re.compile(r"/billing/invoices/")):
        page.locator("input[name=status][value=closed]").check()
    expect(page.locator("#messages .flash")).to_have_count(0)


def test_the_steps_with_the_keyboard_alone(open_as):
    page = open_as("alice", locale="fr-FR")
    invoice = finalized()
    box = page.locator(f"input[name=ids][value='{invoice.pk}']")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    menu = page.get_by_role("button", name="Plus d'actions")
    menu.focus()
    page.keyboard.press("Enter")
    entry = page.locator("details.dropdown").get_by_role(
        "button", name="Envoyer les factures sélectionnées"
    )
    expect(entry).to_be_visible()
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert outline[0] != "none" and outline[1] == "3px", outline
    assert outline[2] == "rgb(11, 58, 102)"  # #0b3a66: 11.6:1 against the white page
    page.keyboard.press("Escape")
    expect(entry).to_be_hidden()
    expect(menu).to_be_focused()

    # The send page opened on its own: Escape goes back to the list, not to a blank page.
    page.goto(page.base + f"/billing/invoices/send/?ids={invoice.pk}&mode=send")
    expect(page.locator("dialog[open]").get_by_label("Objet")).to_be_visible()
    page.keyboard.press("Escape")
    page.wait_for_url("**/billing/invoices/")
    expect(page.locator("table.invoices")).to_be_visible()

    # After an action the page comes back with its outcome focused, not the page body.
    page.locator(f"input[name=ids][value='{invoice.pk}']").check()
    page.get_by_role("button", name="Plus d'actions").click()
    page.locator("details.dropdown").get_by_role("button", name="Fermer", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_be_focused()


def test_the_language_switch_waits_for_enter(open_as):
    page = open_as("alice", locale="fr-FR")
    switch = page.locator("#language-select")
    switch.focus()
    page.keyboard.press("ArrowUp")  # English is listed first
    expect(switch).to_have_value("en")
    page.wait_for_timeout(500)
    expect(page.get_by_role("link", name="Facturation")).to_be_visible()  # not yet switched
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Changer de langue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Billing")).to_be_visible()


def test_french_statuses_agree_with_facture(open_as):
    page = open_as("alice", locale="fr-FR")
    expect(page.locator("table.invoices tbody")).to_contain_text("Finalisée")
    page.get_by_text("Filtre", exact=True).click()
    page.get_by_label("Fermée").check()
    expect(page.locator("table.invoices tbody")).to_contain_text("Fermée")
