"""Bank files in French, in Chromium: a camt.053 whose batch entry holds three transfers
becomes three payments, the file's count told on the page; a camt.054 returning one of
them shows the return, its reason and the line it returns, and cancelling the payment
reopens the invoice."""

import pytest
from playwright.sync_api import expect

from facturier.invoicing.models import Invoice
from facturier.receivables.models import Payment
from tests.e2e.conftest import shot
from tests.e2e.test_getting_paid import unpaid
from tests.receivables.camt import document, ntry, tx

pytestmark = pytest.mark.e2e


def upload(page, name: str, data: bytes) -> None:
    page.goto(page.base + "/billing/statements/")
    page.get_by_label("Fichier du relevé").set_input_files(
        files=[{"name": name, "mimeType": "text/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Importer", exact=True).click()


def test_a_batch_entry_of_three_transfers_becomes_three_payments(open_as):
    page = open_as("alice", locale="fr-FR")
    invoices = unpaid(3)
    total = sum(invoice.balance for invoice in invoices)
    transfers = [
        tx(
            (f"{invoice.balance}", "EUR"),
            credit=True,
            end_to_end=f"LOT-NOV-{n}",
            debtor=invoice.client.name.upper(),
            text=f"VIR SEPA FACTURE {invoice.number}",
        )
        for n, invoice in enumerate(invoices, start=1)
    ]
    data = document(
        # One entry, one reference, three transfers: the bank's batch booking.
        ntry(f"{total}", *transfers, bank_ref="REF-0001", batch=3),
        # The bank's fee, under the same reference.
        ntry("4.20", tx(text="COMMISSION VIREMENTS"), credit=False, bank_ref="REF-0001"),
    )
    payments_before = Payment.objects.count()
    page.get_by_role("link", name="Paiements").click()
    page.get_by_role("button", name="Importer un relevé bancaire").click()
    page.get_by_label("Fichier du relevé").set_input_files(
        files=[{"name": "releve-lot.xml", "mimeType": "text/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("3 lignes au crédit importées")
    expect(page.locator("#statement-summary")).to_have_text(
        "Le fichier contient 4 opérations (écritures bancaires : 2) ; "
        "à rapprocher : 3, déjà importées : 0, écartées : 1."
    )
    lines = page.locator("#statement-lines tbody tr")
    expect(lines).to_have_count(4)
    expect(page.locator("tr[data-state=proposed] [data-match=number]")).to_have_count(3)
    expect(lines.nth(3)).to_contain_text("Argent sorti du compte")
    for n, invoice in enumerate(invoices):
        expect(lines.nth(n).locator("input[type=text]")).to_have_value(invoice.number)
    shot(page, "fr-24-releve-lot")
    page.get_by_role("button", name="Confirmer les décisions").click()
    expect(page.locator(".flash-success")).to_have_text("3 lignes traitées.")

    page.get_by_role("link", name="Paiements").click()
    for n in (1, 2, 3):
        expect(page.locator("table tbody tr", has_text=f"LOT-NOV-{n}")).to_have_count(1)
    assert Payment.objects.count() == payments_before + 3
    for invoice in invoices:
        assert Invoice.objects.get(pk=invoice.pk).balance == 0

    # The same file again: refused, and told how many of its transactions came before.
    upload(page, "releve-lot.xml", data)
    expect(page.get_by_text("Ce relevé a déjà été importé")).to_contain_text(
        "ses 4 opérations ont été importées avant). Importées avec : releve-lot.xml."
    )

    # The bank then returns the first transfer: the notification says so, with why.
    returned = document(
        ntry(
            f"{invoices[0].balance}",
            tx(end_to_end="LOT-NOV-1", returned="AC04"),
            credit=False,
            family="RRTN",
            day="2026-11-24",
        ),
        message="camt.054",
        version="08",
    )
    upload(page, "avis-retour.xml", returned)
    expect(page.locator(".flash-success")).to_have_text(
        "Le fichier contient 1 opération (écritures bancaires : 1) ; "
        "à rapprocher : 0, déjà importées : 0, écartées : 1."
    )
    expect(page.locator("#statement-summary")).to_contain_text("écartées : 1")
    returned_row = page.locator("#statement-lines tbody tr").first
    expect(returned_row).to_contain_text("Retourne le paiement de la ligne 1 de releve-lot.xml")
    expect(returned_row).to_contain_text("(AC04 RETOUR)")
    expect(returned_row.get_by_role("combobox")).to_have_value("undo")
    shot(page, "fr-25-avis-retour")
    page.get_by_role("button", name="Confirmer les décisions").click()
    expect(page.locator(".flash-success")).to_have_text("1 ligne traitée.")
    expect(returned_row).to_contain_text("paiement annulé")
    reopened = Invoice.objects.get(pk=invoices[0].pk)
    assert (reopened.status, reopened.balance) == ("finalized", invoices[0].balance)
    assert Payment.objects.count() == payments_before + 2
