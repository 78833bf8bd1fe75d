"""Getting paid, in French, in Chromium: payments and the balance, the automatic close
and its undoing, a partial credit note, a camt.053 statement matched and confirmed."""

import re
from decimal import Decimal

import pytest
from lxml import etree
from playwright.sync_api import expect

from facturier.invoicing.models import Invoice
from facturier.receivables.models import Payment, StatementLine
from tests.e2e.conftest import shot
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.e2e


def unpaid(count=1):
    invoices = Invoice.objects.filter(
        firm__name__startswith="Cabinet",
        kind="invoice",
        status="finalized",
        balance=models_f("total_gross"),
        currency="EUR",
    ).order_by("-number")
    return list(invoices[:count])


def models_f(name):
    from django.db.models import F

    return F(name)


def french(amount: Decimal) -> str:
    """1 234,56 as Babel writes it in French (narrow no-break space for thousands)."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u202f".join(groups) + "," + cents


def row(page, number):
    return page.locator("table.invoices tbody tr", has_text=number)


def record_payment(page, invoice, amount: str | None = None):
    page.goto(page.base + "/billing/invoices/")
    page.locator(f"input[name=ids][value='{invoice.pk}']").check()
    page.get_by_role("button", name="Plus d'actions").click()
    page.locator("details.dropdown").get_by_role("button", name="Enregistrer un paiement").click()
    expect(page.get_by_role("heading", name="Enregistrer un paiement")).to_be_visible()
    if amount is not None:
        page.get_by_label("Montant", exact=False).first.fill(amount)
    page.get_by_label("Mode").select_option(label="Virement")
    page.get_by_role("button", name="Enregistrer le paiement").click()


def test_a_payment_in_two_parts_closes_the_invoice_and_removing_one_brings_it_back(open_as):
    page = open_as("alice", locale="fr-FR")
    (invoice,) = unpaid()
    half = (invoice.total_gross / 2).quantize(Decimal("0.01"))
    rest = invoice.total_gross - half

    record_payment(page, invoice, french(half).replace("\u202f", ""))
    expect(page.locator(".flash-success")).to_contain_text("Paiement de")
    expect(row(page, invoice.number).locator("[data-balance]")).to_contain_text(french(rest))
    expect(row(page, invoice.number)).to_contain_text("Partiellement réglée")
    shot(page, "fr-20-partiellement-reglee")

    # Filtre | Paiement | Partiellement réglée finds it.
    page.get_by_text("Filtre", exact=True).click()
    page.locator("fieldset", has_text="Paiement").get_by_label("Partiellement réglée").check()
    expect(page).to_have_url(re.compile(r"payment=partly_paid"))
    expect(row(page, invoice.number)).to_have_count(1)

    record_payment(page, invoice)  # the rest: the form proposes what is owed
    expect(page.locator(".flash-success")).to_contain_text("Paiement de")
    expect(row(page, invoice.number)).to_have_count(0)  # closed: left the default list
    assert Invoice.objects.get(pk=invoice.pk).status == "closed"

    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    expect(page.locator("ol.history")).to_contain_text("intégralement réglée")
    shot(page, "fr-21-reglee-fermee")

    # Removing the second payment: the invoice owes again and is back as Finalisé.
    second = Payment.objects.filter(allocations__invoice=invoice).order_by("-pk").first()
    page.goto(page.base + f"/billing/payments/{second.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Supprimer le paiement").click()
    expect(page.locator(".flash-success")).to_have_text("Paiement supprimé.")
    page.goto(page.base + "/billing/invoices/")
    expect(row(page, invoice.number)).to_contain_text("Finalisé")
    expect(row(page, invoice.number).locator("[data-balance]")).to_contain_text(french(rest))
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    expect(page.locator("ol.history")).to_contain_text("la facture est de nouveau due")


def test_a_partial_credit_note_lowers_the_balance_and_names_the_invoice(open_as):
    page = open_as("alice", locale="fr-FR")
    (invoice,) = unpaid()
    first_line = invoice.lines.order_by("position", "id").first()
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    page.get_by_role("button", name="Créer un avoir").click()
    page.get_by_label("Des lignes, ou une partie de leurs quantités").check()
    page.locator("#line-0").check()
    page.get_by_role("button", name="Créer le brouillon d'avoir").click()
    expect(page.locator(".flash-success")).to_contain_text("Brouillon d'avoir créé")
    expect(page.get_by_role("heading", name=re.compile("Brouillon d'avoir"))).to_be_visible()
    page.get_by_role("button", name="Finaliser").click()
    page.locator("dialog[open]").get_by_role("button", name="Finaliser").click()
    credit_note = Invoice.objects.get(corrects=invoice)
    assert credit_note.status == "finalized" and credit_note.number.startswith("AV-")
    shot(page, "fr-22-avoir")

    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    owed = invoice.total_gross - credit_note.total_gross
    expect(page.locator("[data-balance]")).to_contain_text(french(owed))
    expect(page.locator("#credit-notes")).to_contain_text(credit_note.number)
    assert credit_note.total_gross == first_line.net_amount * (1 + first_line.vat_rate / 100)

    pdf = page.request.get(page.base + f"/billing/invoices/{credit_note.pk}/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(pdf.body())).pages[0].extract_text()
    assert "Avoir" in text and invoice.number in text
    xml = page.request.get(page.base + f"/billing/invoices/{credit_note.pk}/factur-x.xml")
    tree = etree.fromstring(xml.body())
    ns = {
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    }
    assert tree.findtext(
        ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=ns
    ) == (invoice.number)
    assert tree.findtext(".//ram:TypeCode", namespaces=ns) == "381"


def test_a_camt053_statement_matches_two_invoices_by_number_and_one_by_amount(open_as):
    page = open_as("alice", locale="fr-FR")
    first, second, third = unpaid(3)
    # The third one is found by its amount alone: no other open invoice owes that much.
    Invoice.objects.filter(pk=third.pk).update(balance=Decimal("1234.56"))
    data = statement(
        entry(f"{first.balance}", text=f"VIR SEPA FACTURE {first.number}", bank_ref="E1"),
        entry(f"{second.balance}", end_to_end=second.number, bank_ref="E2"),
        entry("1234.56", text="VIREMENT SANS REFERENCE", bank_ref="E3"),
    )
    page.get_by_role("link", name="Paiements").click()
    page.get_by_role("button", name="Importer un relevé bancaire").click()
    page.get_by_label("Fichier du relevé").set_input_files(
        files=[{"name": "releve-novembre.xml", "mimeType": "text/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("3 lignes au crédit importées")
    lines = page.locator("#statement-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(page.locator("[data-match=number]")).to_have_count(2)
    expect(page.locator("[data-match=amount]")).to_have_count(1)
    expect(lines.nth(0).locator("input[type=text]")).to_have_value(first.number)
    expect(lines.nth(2).locator("input[type=text]")).to_have_value(third.number)
    shot(page, "fr-23-releve")
    page.get_by_role("button", name="Confirmer les décisions").click()
    expect(page.locator(".flash-success")).to_have_text("3 lignes traitées.")
    assert set(StatementLine.objects.values_list("state", flat=True)) == {"confirmed"}
    for invoice in (first, second):
        assert Invoice.objects.get(pk=invoice.pk).status == "closed"

    # The same file again: refused, nothing added.
    page.goto(page.base + "/billing/statements/")
    page.get_by_label("Fichier du relevé").set_input_files(
        files=[{"name": "releve-novembre.xml", "mimeType": "text/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.get_by_text("Ce relevé a déjà été importé")).to_be_visible()
    assert StatementLine.objects.count() == 3
