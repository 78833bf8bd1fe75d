"""The client portal in French on a phone: a contact receives the link by e-mail (SMTP),
signs in, sees two open invoices, downloads a Factur-X, accepts an engagement letter and
signs a mandate online with the keyboard alone; axe-core checks every page on the way.
Then the collection: the next invoice is scheduled for debit, its pre-notification is
e-mailed (SMTP), the batch exports valid against the pain.008 schema, the bank's
camt.053 (one entry for the batch) settles it and a camt.054 returns it with AM04,
which reopens the invoice."""

import re
from decimal import Decimal

import pytest
import xmlschema
from playwright.sync_api import expect

from facturier.access.account_outbox import deliver
from facturier.access.models import AccountEmail
from facturier.clients.models import Client, Contact
from facturier.engagements import actions as engagements
from facturier.engagements.letter_models import EngagementLetter, LetterTemplate
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.portal import actions as portal
from facturier.receivables import actions as receivables
from facturier.receivables.debit_outbox import deliver as deliver_notice
from facturier.receivables.models import Debit, DebitNotice, Mandate
from tests.e2e.conftest import console_errors, missing_parts, shot, watch_accessibility
from tests.e2e.test_keyboard import assert_ring
from tests.receivables.bank_camt053 import batch_entry, statement
from tests.receivables.test_debit_returns import a_return
from tests.receivables.test_direct_debits import SCHEMA

pytestmark = pytest.mark.e2e
LINE = {
    "description": "Tenue comptable",
    "quantity": "1",
    "unit_price": "1200.50",
    "vat_rate": "20",
}


@pytest.fixture
def contact(demo):
    alice = User.objects.get(username="alice")
    client = Client.objects.create(
        firm=alice.firm,
        name="Boulangerie Martin",
        language="fr",
        currency="EUR",
        address_line1="3 place Bellecour",
        postal_code="69002",
        city="Lyon",
    )
    client.owners.add(alice)
    contact = Contact.objects.create(
        client=client,
        name="Jeanne Martin",
        email="jeanne@boulangerie.example",
        language="fr",
        is_billing=True,
    )
    alice = User.objects.get(pk=alice.pk)
    for _ in range(2):
        draft = invoicing.create_draft(by=alice, client=client, lines=[LINE])
        invoicing.finalize_invoice(draft, by=alice)
    receivables.create_mandate(
        client,
        by=alice,
        fields={
            "reference": "RUM-BOULANGERIE-1",
            "debtor_name": "Boulangerie Martin",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
        },
    )
    engagements.seed_letter_templates(alice.firm_id)  # if the demo firm has none yet
    french = LetterTemplate.objects.filter(firm_id=alice.firm_id, language="fr").first()
    engagement = engagements.create_engagement(
        client,
        by=alice,
        fields={"reference": "LM-BOULANGERIE", "start_date": "2027-01-01", "tacit_renewal": True},
        missions=[
            {
                "name": "Tenue comptable",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "monthly",
                "timing": "advance",
                "billing_day": 1,
            }
        ],
    )
    letter = engagements.create_letter(engagement, by=alice, template=french)
    engagements.send_letter(letter, by=alice)
    portal.invite_contact(client, by=alice, contact=contact, site="http://testserver/")
    return contact


def test_a_contact_signs_in_by_the_link_downloads_a_facturx_and_signs_a_mandate(
    chromium, live_server, smtp_server, contact
):
    for pk in AccountEmail.objects.values_list("pk", flat=True):
        assert deliver(pk) == "sent"
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["jeanne@boulangerie.example"]
    text = message.get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/portal/link/\S+)", text)[1]

    problems, violations = [], []
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 740}, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    watch_accessibility(context, violations)
    page = context.new_page()
    page.on("console", lambda m: problems.extend(console_errors(m)))
    page.on("response", lambda r: problems.extend(missing_parts(r)))
    try:
        page.goto(live_server.url + path)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/portal/home/")
        expect(page.get_by_role("heading", name="Ce que vous devez")).to_be_visible()
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator("[data-owed]")).to_contain_text("2\u202f881,20\u00a0€")
        # No horizontal scroll of the page at a phone's width.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        shot(page, "portal-home-375")

        rows.first.get_by_role("link").click()
        expect(page.get_by_role("heading", name="Payer par virement")).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("QR code EPC"))).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Factur-X (XML)").click()
        with open(download.value.path(), "rb") as handle:
            assert b"CrossIndustryInvoice" in handle.read()

        # The other pages, for axe-core: documents, payments, the statement of account.
        page.get_by_role("link", name="Documents").click()
        expect(page.get_by_role("heading", name="Documents")).to_be_visible()
        page.get_by_role("link", name="Paiements").click()
        expect(page.get_by_text("Aucun paiement pour l'instant.")).to_be_visible()
        page.get_by_role("link", name="Relevé de compte").click()
        page.get_by_label("Du").fill("2026-01-01")
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_text("Solde de clôture")).to_be_visible()
        page.get_by_role("link", name="Lettres de mission").click()
        page.get_by_role("link", name="LM-BOULANGERIE").first.click()
        expect(page.get_by_role("link", name="Lire la lettre (PDF)")).to_be_visible()
        page.get_by_label("Votre nom").fill("Jeanne Martin")
        page.get_by_label("J'ai lu la lettre de mission et je l'accepte.").check()
        page.get_by_role("button", name="Accepter la lettre").click()
        expect(page.locator("[data-status]")).to_have_text("Signée")
        expect(page.get_by_text("Acceptée en ligne par Jeanne Martin")).to_be_visible()
        page.get_by_role("link", name="Mandats de prélèvement").click()
        page.get_by_role("link", name="RUM-BOULANGERIE-1").first.click()
        expect(page.get_by_role("link", name="Lire le mandat (PDF)")).to_be_visible()
        name = page.get_by_label("Votre nom")
        name.focus()
        assert_ring(page, "name")
        page.keyboard.type("Jeanne Martin")
        page.keyboard.press("Tab")
        expect(page.get_by_label("J'ai lu le mandat et je l'accepte.")).to_be_focused()
        assert_ring(page, "accepted")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Signer le mandat")).to_be_focused()
        assert_ring(page, "sign")
        page.keyboard.press("Enter")
        expect(page.locator("[data-status]")).to_have_text("Actif")
        expect(page.get_by_text("Signé en ligne par Jeanne Martin")).to_be_visible()
        shot(page, "portal-mandate-signed-375")
        page.evaluate("() => window.__axeCheck && window.__axeCheck()")
        page.wait_for_timeout(300)
    finally:
        context.close()
    assert Mandate.objects.get(reference="RUM-BOULANGERIE-1").status == "active"
    assert EngagementLetter.objects.get(engagement__reference="LM-BOULANGERIE").status == "signed"
    assert problems == []
    assert violations == [], "axe-core (WCAG 2.1 AA):\n" + "\n".join(violations)
    collect_the_next_invoice(smtp_server, contact)


def collect_the_next_invoice(smtp_server, contact):
    """Scheduled, pre-notified, exported, settled by the batch's one entry, returned."""
    alice = User.objects.get(username="alice")
    receivables.save_sepa_settings(
        alice.firm_id,
        by=alice,
        fields={"creditor_id": "FR72ZZZ123456", "iban": "FR1420041010050500013M02606"}
        | {"bic": "PSSTFRPPPAR"},
    )
    invoice = Invoice.objects.filter(client=contact.client).order_by("-pk").first()
    debit = receivables.schedule_debit(invoice, by=alice)
    sent_before = len(smtp_server.handler.received)
    assert deliver_notice(DebitNotice.objects.get(debit=debit).pk) == "sent"
    [(recipients, notice)] = smtp_server.handler.received[sent_before:]
    assert recipients == ["jeanne@boulangerie.example"]
    text = notice.get_body(("plain",)).get_content()
    assert "Référence du mandat : RUM-BOULANGERIE-1" in text and "FR72ZZZ123456" in text
    assert "1\u202f440,60\u00a0€" in text

    batch = receivables.export_debit_batch(by=alice)
    xmlschema.XMLSchema(SCHEMA).validate(bytes(batch.xml).decode())
    settled = receivables.import_bank_statement(
        by=alice,
        data=statement(batch_entry(total=debit.amount, count=1, message_id=batch.message_id)),
    )
    assert settled.lines.get().state == "confirmed"
    assert Invoice.objects.get(pk=invoice.pk).balance == 0
    receivables.import_bank_statement(
        by=alice, data=a_return(f"DD{debit.pk}", "AM04", f"{debit.amount:.2f}")
    )
    assert Debit.objects.get(pk=debit.pk).return_reason == "AM04"
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("1440.60")
