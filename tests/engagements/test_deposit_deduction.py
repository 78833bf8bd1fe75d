"""The run's invoices deduct the engagement's deposit once it is received: at document
level (BT-113), naming the deposit invoice, once; a deposit not paid is not deducted, one
larger than the period's invoice waits for a later one; finalized and sent invoices
deduct it before they are numbered and pass the EN 16931 and French rules."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from lxml import etree

from facturier.core.errors import Invalid
from facturier.engagements import actions
from facturier.engagements.models import RunFailure
from facturier.firms import audit
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables import actions as receivables

from ..invoicing.test_french_einvoice import CII, assert_french
from .conftest import MONTHLY

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def issued_deposit(engagement, alice) -> Invoice:
    """The engagement's deposit invoice, issued in November before the engagement."""
    draft = actions.draft_engagement_deposit(engagement, by=alice, now=at(D(2026, 11, 2)))
    return invoicing.finalize_invoice(draft, by=alice, now=at(D(2026, 11, 2)))


def pay(deposit, alice) -> Invoice:
    receivables.record_payment(
        by=alice,
        client=deposit.client,
        amount=str(deposit.total_gross),
        received_on=deposit.issue_date,
        allocations=[{"invoice": deposit.pk}],
    )
    deposit.refresh_from_db()
    assert deposit.balance == 0
    return deposit


def trail(engagement, name) -> list:
    return [
        row for row in audit.about("engagements.engagement", engagement.pk) if row.action == name
    ]


def test_a_paid_deposit_is_deducted_by_the_next_invoice_named(
    make_engagement, alice, firm, template, client
):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    deposit = pay(issued_deposit(engagement, alice), alice)
    january, february = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1)).invoices
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == january.pk
    assert not february.deducts.exists()
    # The invoice's history names the deposit, and so does the engagement's.
    events = audit.about("invoicing.invoice", january.pk).filter(action="invoice.deposits_deducted")
    assert [row.details["deposits"] for row in events] == [[deposit.number]]
    (deducted,) = trail(engagement, "engagement.deposit_deducted")
    assert deducted.details["deposit"] == deposit.number
    final = invoicing.finalize_invoice(january, by=alice, now=at(D(2027, 1, 1)))
    assert final.total_gross == Decimal("1200.00")
    assert final.prepaid == deposit.total_gross == Decimal("600.00")
    assert final.amount_due == final.balance == Decimal("600.00")
    assert all(line.unit_price >= 0 for line in final.lines.all())  # never a negative line
    tree = etree.fromstring(assert_french(final)[0])
    assert (
        tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=CII)
        == deposit.number
    )
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk])).content.decode()
    history = page.split('id="engagement-history"')[1]
    assert "Deposit deducted" in history and deposit.number in history


def test_the_deduction_event_is_spelt_in_french(make_engagement, alice, firm, template):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    pay(issued_deposit(engagement, alice), alice)
    actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    (row,) = trail(engagement, "engagement.deposit_deducted")
    with translation.override("fr"):
        assert audit.label(row.action) == "acompte déduit"


def test_a_deposit_not_paid_is_not_deducted_until_it_is(make_engagement, alice, firm, template):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    deposit = issued_deposit(engagement, alice)
    (january,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None and not january.deducts.exists()
    assert not trail(engagement, "engagement.deposit_deducted")
    assert invoicing.finalize_invoice(january, by=alice).prepaid == 0
    pay(deposit, alice)
    (february,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1)).invoices
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == february.pk


def test_a_draft_deposit_is_not_deducted(make_engagement, alice, firm):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    deposit = actions.draft_engagement_deposit(engagement, by=alice)
    actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None


def test_a_deposit_larger_than_the_invoice_waits_for_a_later_one(
    make_engagement, alice, firm, template, client
):
    instalments = [
        {"date": "2027-01-01", "amount": "200"},
        {"date": "2027-03-01", "amount": "1000"},
    ]
    engagement = make_engagement(
        missions=[
            {
                "name": "Bilan",
                "fee_kind": "fixed",
                "annual_fee": "1200",
                "vat_rate": "20",
                "frequency": "instalments",
                "instalments": instalments,
            }
        ],
        deposit_amount="500",
    )
    deposit = pay(issued_deposit(engagement, alice), alice)
    january = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1))
    assert len(january.invoices) == 1 and january.failures == []
    assert not RunFailure.objects.exists()
    deposit.refresh_from_db()
    assert deposit.deducted_by_id is None
    (waits,) = trail(engagement, "engagement.deposit_waits")
    assert deposit.number in waits.details["reason"]
    # The January invoice is issued without it (240.00 < 600.00).
    assert invoicing.finalize_invoice(january.invoices[0], by=alice).prepaid == 0
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk])).content.decode()
    assert "Deposit left for a later invoice" in page and "a later invoice deducts it" in page
    (march,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 3, 1)).invoices
    deposit.refresh_from_db()
    assert deposit.deducted_by_id == march.pk
    final = invoicing.finalize_invoice(march, by=alice)
    assert (final.total_gross, final.amount_due) == (Decimal("1200.00"), Decimal("600.00"))


def test_two_runs_never_deduct_twice(make_engagement, alice, firm, template):
    engagement = make_engagement(missions=[MONTHLY], deposit_amount="500")
    deposit = pay(issued_deposit(engagement, alice), alice)
    (january,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices
    assert actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices == []
    (february,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 2, 1)).invoices
    assert not february.deducts.exists()
    invoicing.finalize_invoice(january, by=alice)
    (march,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 3, 1)).invoices
    assert not march.deducts.exists()
    with pytest.raises(Invalid) as refused:
        invoicing.deduct_deposits(march, by=alice, deposits=[deposit.pk])
    assert refused.value.codes == {"deposits": ["already_deducted"]}
    assert len(trail(engagement, "engagement.deposit_deducted")) == 1
    assert list(Invoice.objects.filter(deducted_by__isnull=False)) == [deposit]


def test_finalize_and_send_deducts_before_numbering(make_engagement, alice, template):
    engagement = make_engagement(
        missions=[MONTHLY], deposit_amount="500", responsible=alice, billing_mode="finalize"
    )
    deposit = pay(issued_deposit(engagement, alice), alice)
    result = actions.bill_engagements_due(today=D(2027, 1, 1), now=at(D(2027, 1, 1)))
    assert result.failures == []
    invoice = Invoice.objects.get(pk=result.invoices[0].pk)
    assert invoice.status == "finalized" and invoice.number
    assert invoice.prepaid == Decimal("600.00") and invoice.amount_due == Decimal("600.00")
    assert invoice.snapshot and invoice.deliveries.exists()
    cii, _ubl = assert_french(invoice)
    tree = etree.fromstring(cii)
    summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert tree.findtext(summation + "GrandTotalAmount", namespaces=CII) == "1200.00"
    assert tree.findtext(summation + "TotalPrepaidAmount", namespaces=CII) == "600.00"
    assert tree.findtext(summation + "DuePayableAmount", namespaces=CII) == "600.00"
    assert (
        tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=CII)
        == deposit.number
    )


def test_the_preview_shows_the_deposit_on_the_invoice_that_deducts_it(
    make_engagement, alice, firm, template, client, api
):
    instalments = [
        {"date": "2027-01-01", "amount": "200"},
        {"date": "2027-03-01", "amount": "1000"},
    ]
    bilan = {
        "name": "Bilan",
        "fee_kind": "fixed",
        "annual_fee": "1200",
        "vat_rate": "20",
        "frequency": "instalments",
        "instalments": instalments,
    }
    engagement = make_engagement(missions=[bilan], deposit_amount="500")
    deposit = issued_deposit(engagement, alice)
    url = f"/api/v1/engagements/{engagement.pk}/preview/"
    assert all(row["deposit"] is None for row in api.get(url).json()["invoices"])  # not paid
    pay(deposit, alice)
    rows = api.get(url).json()["invoices"]
    # Not January's (240.00 with VAT): March's, as the run deducts it.
    assert [row["deposit"] and row["deposit"]["number"] for row in rows[:3]] == [
        None,
        deposit.number,
        None,
    ]
    assert rows[1]["deposit"]["amount"] == "600.00"
    client.force_login(alice)
    page = client.get(reverse("billing:engagement", args=[engagement.pk])).content.decode()
    schedule = page.split('id="schedule"')[1].split("</table>")[0]
    assert f"Deducts the deposit invoice {deposit.number}" in schedule
    assert schedule.count("deposit-deducted") == 1
    (january,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 1, 1)).invoices
    (march,) = actions.bill_due_periods(firm, by=alice, as_of=D(2027, 3, 1)).invoices
    assert march.deducts.get() == deposit
    # Deducted by the March draft: the next invoices deduct nothing.
    assert all(row["deposit"] is None for row in api.get(url).json()["invoices"])
