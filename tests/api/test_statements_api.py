"""Bank statements through the API: multipart upload, proposals, confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice
from tests.receivables.camt import entry, statement

pytestmark = pytest.mark.django_db
LINE = {"description": "Conseil", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}


def upload(api, data: bytes, name="releve.xml", **fields):
    return api.post(
        "/api/v1/statements/",
        {"file": SimpleUploadedFile(name, data), **fields},
        format="multipart",
    )


def test_import_then_confirm_through_the_api(api, make_draft, alice, template):
    invoice = invoicing.finalize_invoice(make_draft(lines=[LINE]), by=alice)
    response = upload(api, statement(entry("120.00", text=f"FACTURE {invoice.number}")))
    assert response.status_code == 201, response.json()
    body = response.json()
    (line,) = body["lines"]
    assert (line["invoice_number"], line["match"], line["state"]) == (
        invoice.number,
        "number",
        "proposed",
    )
    confirmed = api.post(
        f"/api/v1/statements/{body['id']}/confirm/",
        {"decisions": [{"line": line["id"], "invoice": line["invoice"]}]},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["lines"][0]["state"] == "confirmed"
    assert Invoice.objects.get(pk=invoice.pk).status == "closed"

    again = upload(api, statement(entry("120.00", text=f"FACTURE {invoice.number}")))
    assert again.status_code == 422
    assert again.json()["codes"]["file"] == ["already_imported"]


def test_bad_files_and_rights(api, api_for, staff):
    bad = upload(api, b"<Document><oops></Document>")
    assert bad.status_code == 422 and "malformed" in bad.json()["errors"]["file"][0]
    csv = upload(api, b"a;b\n1;2\n", name="x.csv", format="csv", date="Jour")
    assert csv.status_code == 422 and csv.json()["codes"]["file"] == ["missing_column"]
    refused = upload(api_for(staff["owner_only"]), statement(entry("1.00")))
    assert refused.status_code == 403
