"""Deposit invoices through the API: drafted for a client, refused with stable codes,
and deducted by a draft once paid; the invoice says what it deducts and what is due."""

from decimal import Decimal

import pytest

from facturier.invoicing import actions
from facturier.invoicing.models import Invoice
from facturier.receivables import actions as receivables

pytestmark = pytest.mark.django_db


def test_a_deposit_is_drafted_paid_and_deducted(api, alice, client_entity, template):
    answer = api.post(
        f"/api/v1/clients/{client_entity.pk}/deposit-invoice/",
        {"percent": "25", "fees": "4000.00"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["deposit"] is True and Decimal(body["totals"]["net"]) == Decimal("1000.00")
    deposit = actions.finalize_invoice(body["id"], by=alice)
    line = {"description": "Mission", "quantity": "1", "unit_price": "3000", "vat_rate": "20"}
    draft = actions.create_draft(by=alice, client=client_entity, lines=[line])

    unpaid = api.post(
        f"/api/v1/invoices/{draft.pk}/deduct-deposits/", {"deposits": [deposit.pk]}, format="json"
    )
    assert unpaid.status_code == 422
    assert unpaid.json()["codes"] == {"deposits": ["deposit_not_paid"]}

    receivables.record_payment(
        by=alice, client=client_entity, amount="1200.00", received_on=deposit.issue_date
    )
    deducted = api.post(f"/api/v1/invoices/{draft.pk}/deduct-deposits/", {}, format="json")
    assert deducted.status_code == 200, deducted.json()
    released = api.post(f"/api/v1/invoices/{draft.pk}/release-deposits/", {}, format="json")
    assert released.status_code == 200, released.json()
    assert not Invoice.objects.filter(deducted_by=draft).exists()  # free for another invoice
    api.post(f"/api/v1/invoices/{draft.pk}/deduct-deposits/", {}, format="json")
    assert Invoice.objects.get(deducted_by=draft) == deposit
    actions.finalize_invoice(draft.pk, by=alice)
    shown = api.get(f"/api/v1/invoices/{draft.pk}/").json()
    assert Decimal(shown["prepaid"]) == Decimal("1200.00")
    assert Decimal(shown["amount_due"]) == Decimal(shown["balance"]) == Decimal("2400.00")


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ({"amount": "0"}, {"amount": ["not_positive"]}),
        ({"amount": "900", "fees": "500"}, {"amount": ["exceeds_fees"]}),
        ({"amount": "100", "currency": "USD"}, {"currency": ["currency_mismatch"]}),
        ({}, {"amount": ["required"]}),
    ],
)
def test_refusals_have_stable_codes_and_save_nothing(api, client_entity, body, codes):
    answer = api.post(f"/api/v1/clients/{client_entity.pk}/deposit-invoice/", body, format="json")
    assert answer.status_code == 422
    assert answer.json()["codes"] == codes
    assert not Invoice.objects.exists()
