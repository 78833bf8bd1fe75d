"""Direct debit through the API: a mandate created and suspended, an invoice's debit
scheduled, the batch exported and downloaded, every refusal a 4xx with its code."""

import datetime
from decimal import Decimal

import pytest
import xmlschema

from facturier.invoicing import actions as invoicing
from facturier.receivables import actions
from facturier.receivables.models import Debit, Mandate
from tests.receivables.test_direct_debits import MANDATE, SCHEMA, SETTINGS

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def payload():
    return {**MANDATE, "signed_on": MANDATE["signed_on"].isoformat()}


@pytest.fixture
def creditor(firm, make_user):
    from django.contrib.auth.models import Permission

    user = make_user("sam", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    actions.save_sepa_settings(firm.pk, by=type(user).objects.get(pk=user.pk), fields=SETTINGS)


def test_a_mandate_is_created_listed_and_suspended(api, client_entity, payload):
    url = f"/api/v1/clients/{client_entity.pk}/mandates/"
    created = api.post(url, payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "active"
    assert [m["reference"] for m in api.get(url).json()["results"]] == ["RUM-2026-001"]
    pk = created.json()["id"]
    changed = api.post(f"/api/v1/mandates/{pk}/status/", {"status": "suspended"}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "suspended"


@pytest.mark.parametrize(
    "extra, field, code",
    [
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "iban", "invalid_iban"),
        ({"bic": "NOPE"}, "bic", "invalid_bic"),
        ({"reference": "RUM#1"}, "reference", "invalid_reference"),
        ({"signed_on": "2999-01-01"}, "signed_on", "future"),
    ],
)
def test_a_wrong_mandate_is_422_with_its_code(api, client_entity, payload, extra, field, code):
    response = api.post(
        f"/api/v1/clients/{client_entity.pk}/mandates/", {**payload, **extra}, format="json"
    )
    assert response.status_code == 422, response.json()
    assert response.json()["codes"][field] == [code]
    assert not Mandate.objects.exists()


def test_a_debit_is_scheduled_exported_and_downloaded_once(
    api, creditor, client_entity, payload, make_draft, alice, template
):
    api.post(f"/api/v1/clients/{client_entity.pk}/mandates/", payload, format="json")
    invoice = invoicing.finalize_invoice(make_draft(), by=alice)
    too_much = api.post(f"/api/v1/invoices/{invoice.pk}/debit/", {"amount": "500"}, format="json")
    assert too_much.status_code == 422
    assert too_much.json()["codes"] == {"amount": ["exceeds_balance"]}
    debit = api.post(f"/api/v1/invoices/{invoice.pk}/debit/", {}, format="json")
    assert debit.status_code == 201 and Decimal(debit.json()["amount"]) == Decimal("120.00")
    twice = api.post(f"/api/v1/invoices/{invoice.pk}/debit/", {}, format="json")
    assert twice.json()["codes"] == {"invoice": ["already_scheduled"]}
    assert [d["invoice"] for d in api.get("/api/v1/debits/").json()["results"]] == [invoice.pk]

    batch = api.post("/api/v1/debit-batches/", format="json")
    assert batch.status_code == 201 and batch.json()["count"] == 1
    file = api.get(f"/api/v1/debit-batches/{batch.json()['id']}/file/")
    assert file.status_code == 200
    xmlschema.XMLSchema(SCHEMA).validate(file.content.decode())
    again = api.post("/api/v1/debit-batches/", format="json")
    assert again.status_code == 422 and again.json()["codes"] == {"batch": ["nothing_due"]}
    assert Debit.objects.get().status == "sent"


def test_direct_debits_need_the_processing_permission(api_for, staff, client_entity, payload):
    bob = api_for(staff["owner_only"])
    response = bob.post(f"/api/v1/clients/{client_entity.pk}/mandates/", payload, format="json")
    assert response.status_code == 403
    assert bob.get("/api/v1/debits/").status_code == 403
    assert bob.post("/api/v1/debit-batches/", format="json").status_code == 403
    assert not Mandate.objects.exists()
