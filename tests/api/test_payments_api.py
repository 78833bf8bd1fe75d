"""Payments through the API: the same actions, their refusals as 4xx with stable codes."""

import datetime
import uuid

import pytest

from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from facturier.receivables.models import Allocation, Payment

pytestmark = pytest.mark.django_db
LINE = {"description": "Conseil", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}
TODAY = datetime.date.today().isoformat()


@pytest.fixture
def issued(make_draft, alice, template):
    return invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)  # 120.00


def test_record_a_partial_payment_then_the_rest(api, issued):
    response = api.post(
        "/api/v1/payments/",
        {
            "client": issued.client_id,
            "received_on": TODAY,
            "amount": "50.00",
            "method": "cheque",
            "reference": "CHQ 1234567",
            "allocations": [{"invoice": issued.pk}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["unallocated"] == "0.00"
    assert body["allocations"][0]["invoice_number"] == issued.number
    invoice = api.get(f"/api/v1/invoices/{issued.pk}/").json()
    assert (invoice["balance"], invoice["payment_state"]) == ("70.00", "partly_paid")
    listed = api.get("/api/v1/invoices/?payment=partly_paid").json()["results"]
    assert [i["id"] for i in listed] == [issued.pk]

    second = api.post(
        "/api/v1/payments/",
        {"client": issued.client_id, "received_on": TODAY, "amount": "70.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert second.status_code == 201
    invoice = api.get(f"/api/v1/invoices/{issued.pk}/").json()
    assert (invoice["status"], invoice["payment_state"]) == ("closed", "paid")

    assert api.delete(f"/api/v1/payments/{second.json()['id']}/").status_code == 204
    invoice = api.get(f"/api/v1/invoices/{issued.pk}/").json()
    assert (invoice["status"], invoice["balance"]) == ("finalized", "70.00")


def test_refusals_are_422_with_codes_and_change_nothing(api, issued, make_draft):
    draft = make_draft()
    cases = [
        (
            {"allocations": [{"invoice": issued.pk, "amount": "130.00"}]},
            "allocations.0.amount",
            "exceeds_balance",
        ),
        (
            {"currency": "USD", "allocations": [{"invoice": issued.pk}]},
            "allocations.0.invoice",
            "currency_mismatch",
        ),
        ({"allocations": [{"invoice": draft.pk}]}, "allocations.0.invoice", "draft"),
        ({"amount": "0"}, "amount", "min_value"),
        ({"amount": "1.234"}, "amount", "max_decimal_places"),
        ({"received_on": "2999-01-01"}, "received_on", "future"),
        ({"method": "barter"}, "method", "invalid_choice"),
        ({"reference": "a\nb"}, "reference", "invalid_characters"),
    ]
    for extra, field, code in cases:
        payload = {"client": issued.client_id, "received_on": TODAY, "amount": "200.00", **extra}
        response = api.post("/api/v1/payments/", payload, format="json")
        assert response.status_code == 422, (extra, response.json())
        assert code in response.json()["codes"][field], (extra, response.json())
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=issued.pk).balance == issued.total_gross


def test_rights_and_other_firms(api_for, staff, issued, make_firm, make_user):
    payload = {"client": issued.client_id, "received_on": TODAY, "amount": "10.00"}
    for name in ("owner_only", "neither"):
        response = api_for(staff[name]).post("/api/v1/payments/", payload, format="json")
        assert response.status_code in (403, 404), response.json()
    assert (
        api_for(staff["owner_only"])
        .post("/api/v1/payments/", payload, format="json")
        .json()["code"]
        == "not_allowed"
    )
    created = api_for(staff["processor_only"]).post("/api/v1/payments/", payload, format="json")
    assert created.status_code == 201
    outsider = api_for(make_user("eve", make_firm("Autre"), processing=True))
    pk = created.json()["id"]
    assert outsider.get(f"/api/v1/payments/{pk}/").status_code == 404
    assert outsider.delete(f"/api/v1/payments/{pk}/").status_code == 404
    assert outsider.post("/api/v1/payments/", payload, format="json").status_code == 404
    assert outsider.get(f"/api/v1/clients/{issued.client_id}/account/").status_code == 404
    assert Payment.objects.filter(pk=pk).exists()


def test_credit_allocated_later_refunded_and_an_allocation_removed(api, issued):
    created = api.post(
        "/api/v1/payments/",
        {"client": issued.client_id, "received_on": TODAY, "amount": "200.00", "allocations": []},
        format="json",
    ).json()
    account = api.get(f"/api/v1/clients/{issued.client_id}/account/").json()
    assert account == {
        "owed": [{"currency": "EUR", "amount": "120.00"}],
        "credit": [{"currency": "EUR", "amount": "200.00"}],
    }
    allocated = api.post(f"/api/v1/payments/{created['id']}/allocate/", {}, format="json")
    assert allocated.status_code == 200 and allocated.json()["unallocated"] == "80.00"
    too_much = api.post(
        f"/api/v1/payments/{created['id']}/refund/", {"amount": "80.01"}, format="json"
    )
    assert too_much.status_code == 422
    assert too_much.json()["codes"]["amount"] == ["exceeds_payment"]
    refunded = api.post(
        f"/api/v1/payments/{created['id']}/refund/", {"amount": "80.00"}, format="json"
    )
    assert refunded.json()["unallocated"] == "0.00"
    allocation = Allocation.objects.get(invoice=issued)
    assert api.delete(f"/api/v1/allocations/{allocation.pk}/").status_code == 204
    assert Invoice.objects.get(pk=issued.pk).balance == issued.total_gross
    assert api.delete(f"/api/v1/allocations/{allocation.pk}/").status_code == 404
