"""The French reform as a firm meets it, in French, in Chromium: a client checked in the
directory, an invoice deposited, paid in two halves (one "Encaissée" status each, for
its amount), another credited to zero (no status), and the E-reporting page listing a
private person's sale and a sale abroad in their period, then both reported and
answered by the platform."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from facturier.clients.models import Client
from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import ereporting
from facturier.einvoicing.ereporting_outbox import REPORTS
from facturier.einvoicing.models import EReport, Platform, Transmission
from facturier.einvoicing.platform_outbox import deposit
from facturier.firms.models import User
from facturier.invoicing import actions
from facturier.outbox import engine
from facturier.receivables import actions as receivables
from tests.e2e.conftest import shot
from tests.e2e.test_einvoicing import new_invoice, platform  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


def pay(invoice, amount: str):
    alice = User.objects.get(username="alice")
    receivables.record_payment(
        by=alice,
        client=invoice.client_id,
        amount=Decimal(amount),
        received_on=timezone.localdate(),
        allocations=[{"invoice": invoice.pk, "amount": Decimal(amount)}],
    )


def finalized(client: Client, description: str, price: str, rate: str = "20"):
    alice = User.objects.get(username="alice")
    client.owners.add(alice)
    lines = [{"description": description, "unit_price": price, "vat_rate": rate}]
    draft = actions.create_draft(by=alice, client=client, lines=lines, operation="services")
    return actions.finalize_invoice(draft, by=alice)


def test_the_reform_from_the_directory_to_e_reporting(open_as, platform):  # noqa: F811
    buyer = Client.objects.get(name="Boulangerie Lefèvre SARL")
    page = open_as("alice", locale="fr-FR")
    page.goto(page.base + f"/billing/clients/{buyer.pk}/")
    page.get_by_role("button", name="Vérifier dans l’annuaire").click()
    expect(page.locator("#directory-verdict")).to_contain_text("est utilisable")

    # Deposited, then paid half and the rest: one "Encaissée" status for each amount.
    transmission = new_invoice(page, "Boulangerie Lefèvre SARL", "Mission légale 2026")
    assert deposit(transmission.pk) == "sent"
    invoice = transmission.invoice
    half = (invoice.total_gross / 2).quantize(Decimal("0.01"))
    pay(invoice, str(half))
    pay(invoice, str(invoice.total_gross - half))
    for paid in Transmission.objects.filter(invoice=invoice, document="paid"):
        assert deposit(paid.pk) == "sent"
    page.goto(page.base + f"/billing/invoices/{invoice.pk}/")
    collected = page.locator("#platform [data-transmission=paid]")
    expect(collected).to_have_count(2)
    expect(collected.first).to_contain_text(f"{half}".replace(".", ","))

    # Another credited to zero: no money received, so no status.
    other = new_invoice(page, "Garage Besson & Fils", "Conseil ponctuel")
    deposit(other.pk)
    alice = User.objects.get(username="alice")
    note = actions.create_credit_note(other.invoice, by=alice)
    actions.finalize_invoice(note, by=alice)
    assert not Transmission.objects.filter(invoice=other.invoice, document="paid").exists()

    # E-reporting: a private person's sale and a sale abroad, in this period.
    today = timezone.localdate()
    Platform.objects.update(registration="0042", reports_from=today.replace(day=1))
    person = Client.objects.create(
        firm=alice.firm,
        name="Jeanne Martin",
        address_line1="5 rue Oberkampf",
        postal_code="75011",
        city="Paris",
        language="fr",
    )
    person.contacts.create(name="Jeanne Martin", email="jeanne@exemple.fr", is_billing=True)
    finalized(person, "Déclaration de revenus", "300")
    abroad = finalized(Client.objects.get(name="Blue Fjord Software AS"), "Advisory", "900", "0")
    sale_abroad = Transmission.objects.get(invoice=abroad, document="invoice")
    assert sale_abroad.processing_rule == "B2BInt" and deposit(sale_abroad.pk) == "sent"
    einvoicing.collect_statuses()
    page.get_by_role("link", name="E-reporting").click()
    expect(page.locator("h1")).to_have_text("E-reporting")
    current = page.locator("[data-kind=transactions]").first
    expect(current).to_contain_text("En cours")
    expect(current).to_contain_text("300,00")
    expect(page.locator(f"[data-abroad='{abroad.number}']")).to_contain_text("Déposée")
    shot(page, "fr-50-ereporting-en-cours")

    # The period ends: its report goes, and the platform accepts it.
    after = ereporting.period_of(today, ereporting.TEN_DAYS)[1] + datetime.timedelta(days=1)
    assert ereporting.queue_due_reports(today=after) >= 1
    for report in EReport.objects.all():
        assert engine.process(REPORTS, report.pk) == "sent"
    einvoicing.collect_statuses()
    page.reload()
    expect(page.locator("[data-kind=transactions]").first).to_contain_text(
        "Accepté par la plateforme"
    )
    shot(page, "fr-51-ereporting-accepte")
