"""SEPA direct debit in French, in Chromium: the creditor settings, a paper mandate on
the client's account, an invoice scheduled for debit, the batch exported as a pain.008
valid against its schema, and a second export that holds nothing and says so."""

import datetime

import pytest
import xmlschema
from playwright.sync_api import expect

from facturier.firms.models import User
from facturier.receivables.models import Debit
from tests.e2e.conftest import shot
from tests.e2e.test_getting_paid import unpaid
from tests.receivables.test_direct_debits import SCHEMA
from tests.stepup import next_code, with_totp

pytestmark = pytest.mark.e2e


def test_a_fee_is_collected_by_direct_debit_once(open_as):
    page = open_as("alice", locale="fr-FR")
    (invoice,) = unpaid()

    # The creditor settings ask for two factors: an app set up, a code confirmed lately.
    key = with_totp(User.objects.get(username="alice"))
    page.goto(page.base + "/settings/direct-debit/")
    page.get_by_role("link", name="Confirmer un code").click()
    page.get_by_label("Le code affiché par l'application").fill(next_code(key))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("Code confirmé")).to_be_visible()
    page.get_by_label("Identifiant créancier SEPA (ICS)").fill("FR73ZZZ123456")
    page.get_by_label("IBAN d'encaissement").fill("FR14 2004 1010 0505 0001 3M02 606")
    page.get_by_label("BIC d'encaissement").fill("PSSTFRPPPAR")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".field-error")).to_contain_text("n'est pas un identifiant créancier")
    page.get_by_label("Identifiant créancier SEPA (ICS)").fill("FR72ZZZ123456")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Paramètres du prélèvement enregistrés.")).to_be_visible()

    page.goto(page.base + f"/billing/clients/{invoice.client_id}/")
    page.get_by_role("button", name="Ajouter un mandat").click()
    page.get_by_label("Référence unique du mandat (RUM)").fill("RUM-DEMO-1")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("BIC").fill("AGRIFRPP")
    signed = datetime.date.today() - datetime.timedelta(days=3)
    page.get_by_label("Date de signature").fill(signed.strftime("%d/%m/%Y"))
    page.get_by_label("Lieu de signature").fill("Lyon")
    page.get_by_role("button", name="Enregistrer le mandat").click()
    expect(page.get_by_text("Mandat RUM-DEMO-1 enregistré.")).to_be_visible()
    expect(page.locator('[data-mandate="RUM-DEMO-1"]')).to_contain_text("Actif")
    shot(page, "fr-60-mandat")

    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    page.get_by_role("button", name="Programmer le prélèvement à l'échéance").click()
    expect(page.get_by_text("Prélèvement programmé pour le")).to_be_visible()
    expect(page.locator("#debits")).to_contain_text("RUM-DEMO-1")

    page.get_by_role("link", name="Prélèvements").click()
    expect(page.locator("#scheduled-debits")).to_contain_text(invoice.number)
    page.get_by_role("button", name="Exporter le lot").click()
    expect(page.get_by_text("exporté : 1 prélèvement")).to_be_visible()
    expect(page.locator("#sent-debits")).to_contain_text(invoice.number)
    link = page.locator("#batches a").first
    file = page.request.get(page.base + link.get_attribute("href"))
    assert file.headers["content-type"] == "application/xml"
    xmlschema.XMLSchema(SCHEMA).validate(file.body().decode())
    assert b"<MndtId>RUM-DEMO-1</MndtId>" in file.body()
    shot(page, "fr-61-prelevements")

    page.get_by_role("button", name="Exporter le lot").click()
    expect(page.get_by_text("Aucun prélèvement programmé à exporter")).to_be_visible()
    assert Debit.objects.get().status == "sent"
