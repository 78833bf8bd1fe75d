"""The time and expenses API: a bulk create all or nothing, WIP, a draft from WIP."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from facturier.invoicing.models import InvoiceEntry
from facturier.work.models import Entry, WorkCode

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today().isoformat()


@pytest.fixture
def keeper_api(alice, firm, api_for):
    alice.user_permissions.add(Permission.objects.get(codename="process_all_entries"))
    WorkCode.objects.create(firm=firm, code="AUD", name="Audit", default_rate=100)
    return api_for(type(alice).objects.get(pk=alice.pk))


def row(client, **extra):
    return {"client": client.pk, "work_code": "AUD", "day": TODAY, "hours": "1:30", **extra}


def test_a_bulk_create_is_all_or_nothing(keeper_api, client_entity, template):
    response = keeper_api.post(
        "/api/v1/entries/",
        {"entries": [row(client_entity)] * 999 + [row(client_entity, hours="30")]},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["codes"] == {"entries.999.hours": ["invalid"]}
    assert not Entry.objects.exists()
    response = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity)] * 1000}, format="json"
    )
    assert response.status_code == 201
    assert len(response.json()["entries"]) == 1000
    assert Entry.objects.count() == 1000
    too_many = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity)] * 1001}, format="json"
    )
    assert too_many.status_code == 422 and Entry.objects.count() == 1000


def test_wip_and_a_draft_from_it(keeper_api, client_entity, template):
    created = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity), row(client_entity)]}, format="json"
    ).json()["entries"]
    (wip,) = keeper_api.get("/api/v1/wip/").json()
    assert Decimal(wip["time_value"]) == Decimal("300.00") and Decimal(wip["hours"]) == 3
    response = keeper_api.post(
        f"/api/v1/clients/{client_entity.pk}/invoice-from-wip/",
        {"entries": [e["id"] for e in created], "amount": "280.00", "reason": "Remise"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Decimal(response.json()["totals"]["net"]) == Decimal("280.00")
    assert InvoiceEntry.objects.count() == 2
    again = keeper_api.post(
        f"/api/v1/clients/{client_entity.pk}/invoice-from-wip/",
        {"entries": [created[0]["id"]]},
        format="json",
    )
    assert again.status_code == 422
    assert again.json()["codes"] == {"entries": ["not_billable"]}
    assert keeper_api.get("/api/v1/work-codes/").json()["results"][0]["code"] == "AUD"


def test_an_entry_is_changed_and_deleted_until_billed(keeper_api, client_entity, template):
    (entry,) = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity)]}, format="json"
    ).json()["entries"]
    url = f"/api/v1/entries/{entry['id']}/"
    changed = keeper_api.patch(url, {"hours": "2:30"}, format="json")
    assert changed.status_code == 200
    assert Decimal(changed.json()["hours"]) == Decimal("2.5")
    assert Decimal(changed.json()["amount"]) == Decimal("250.00")
    bad = keeper_api.patch(url, {"hours": "25"}, format="json")
    assert bad.status_code == 422 and bad.json()["codes"] == {"hours": ["invalid"]}
    response = keeper_api.post(
        f"/api/v1/clients/{client_entity.pk}/invoice-from-wip/",
        {"entries": [entry["id"]], "bill": "final"},
        format="json",
    )
    invoice_id = response.json()["id"]
    assert keeper_api.patch(url, {"hours": "1"}, format="json").status_code == 409
    assert keeper_api.delete(url).status_code == 409  # on a draft
    assert (
        keeper_api.post(f"/api/v1/invoices/{invoice_id}/finalize/", {}, format="json").status_code
        == 200
    )
    assert keeper_api.patch(url, {"hours": "1"}, format="json").status_code == 409  # billed
    assert Entry.objects.get(pk=entry["id"]).hours == Decimal("2.50")
    (other,) = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity)]}, format="json"
    ).json()["entries"]
    assert keeper_api.delete(f"/api/v1/entries/{other['id']}/").status_code == 204
    assert keeper_api.get(f"/api/v1/entries/{other['id']}/").status_code == 404


PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def test_a_receipt_through_the_api(keeper_api, firm, client_entity, api_for, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    WorkCode.objects.create(firm=firm, code="TRV", name="Travel", kind="expense")
    created = keeper_api.post(
        "/api/v1/entries/",
        {
            "entries": [
                {"client": client_entity.pk, "work_code": "TRV", "day": TODAY, "amount": "12.00"}
            ]
        },
        format="json",
    )
    entry = created.json()["entries"][0]
    assert entry["receipt"] is None
    url = f"/api/v1/entries/{entry['id']}/receipt/"
    assert keeper_api.get(url).status_code == 404
    refused = keeper_api.put(
        url, {"file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")}, format="multipart"
    )
    assert refused.status_code == 422 and refused.json()["codes"] == {"receipt": ["invalid_type"]}
    attached = keeper_api.put(url, {"file": SimpleUploadedFile("t.pdf", PDF)}, format="multipart")
    assert attached.status_code == 200 and attached.json()["receipt"] == url
    assert keeper_api.get(f"/api/v1/entries/{entry['id']}/").json()["receipt"] == url
    listed = keeper_api.get("/api/v1/entries/").json()["results"]
    assert [e["receipt"] for e in listed] == [url]
    got = keeper_api.get(url)
    assert (
        got.status_code == 200 and got.content == PDF and got["Content-Type"] == "application/pdf"
    )
    keeper_api.put(url, {"file": SimpleUploadedFile("t.jpg", JPEG)}, format="multipart")
    assert keeper_api.get(url)["Content-Type"] == "image/jpeg"
    assert api_for(staff["neither"]).get(url).status_code == 404
    assert Entry.objects.get().receipt_type == "image/jpeg"


def test_a_write_down_by_percentage_previewed_then_drafted(keeper_api, client_entity, template):
    created = keeper_api.post(
        "/api/v1/entries/", {"entries": [row(client_entity), row(client_entity)]}, format="json"
    ).json()["entries"]
    ids = [e["id"] for e in created]
    url = f"/api/v1/clients/{client_entity.pk}/invoice-from-wip/"
    preview = keeper_api.post(url + "preview/", {"percent": "-12.5"}, format="json")
    assert preview.status_code == 200, preview.json()
    assert preview.json() == {
        "count": 2,
        "value": "300.00",
        "billed": "262.50",
        "adjustment": "-37.50",
        "realization": "87.5",
    }
    one = keeper_api.post(url + "preview/", {"entries": ids[:1]}, format="json").json()
    assert (one["count"], one["billed"], one["realization"]) == (1, "150.00", "100.0")
    both = keeper_api.post(url + "preview/", {"percent": "-10", "amount": "100"}, format="json")
    assert both.status_code == 422 and both.json()["codes"] == {"percent": ["conflict"]}
    assert keeper_api.post(url + "preview/", {"percent": "-101"}, format="json").status_code == 422
    drafted = keeper_api.post(
        url, {"entries": ids, "percent": "-12.5", "reason": "Geste commercial"}, format="json"
    )
    assert drafted.status_code == 201, drafted.json()
    assert Decimal(drafted.json()["totals"]["net"]) == Decimal("262.50")
    after = keeper_api.post(url + "preview/", {"percent": "5"}, format="json")
    assert after.json()["count"] == 0  # billed now: no longer in WIP
    unknown = "/api/v1/clients/999999/invoice-from-wip/preview/"
    assert keeper_api.post(unknown, {}, format="json").status_code == 404
