import uuid

import pytest

from facturier.invoicing.models import EmailDelivery, Invoice
from facturier.invoicing.selectors import invoice_events

pytestmark = pytest.mark.django_db

LINE = {"description": "Conseil", "quantity": "2", "unit_price": "150.00", "vat_rate": "20"}


def test_no_token_is_a_401_with_a_code(client, draft):
    response = client.get("/api/v1/invoices/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_create_patch_finalize_close_reopen(api, client_entity, template):
    created = api.post(
        "/api/v1/invoices/", {"client": client_entity.pk, "lines": [LINE]}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["number"] is None
    assert body["totals"]["gross"] == "360.00"
    pk = body["id"]
    patched = api.patch(
        f"/api/v1/invoices/{pk}/",
        {"notes": "Merci", "lines": [{**LINE, "quantity": "3"}]},
        format="json",
    )
    assert patched.json()["totals"]["gross"] == "540.00"
    final = api.post(f"/api/v1/invoices/{pk}/finalize/", {}, format="json")
    assert final.status_code == 200 and final.json()["number"] == "0000001"
    assert api.post(f"/api/v1/invoices/{pk}/close/").json()["status"] == "closed"
    assert api.post(f"/api/v1/invoices/{pk}/reopen/").json()["status"] == "finalized"
    events = api.get(f"/api/v1/invoices/{pk}/events/").json()["results"]
    assert [e["action"] for e in events] == [
        "invoice.created",
        "invoice.edited",
        "invoice.finalized",
        "invoice.closed",
        "invoice.reopened",
    ]


def test_list_hides_closed_by_default_and_filters(api, closed, make_draft):
    draft = make_draft()
    ids = [i["id"] for i in api.get("/api/v1/invoices/").json()["results"]]
    assert draft.pk in ids and closed.pk not in ids
    ids = [i["id"] for i in api.get("/api/v1/invoices/?status=closed").json()["results"]]
    assert ids == [closed.pk]
    bad = api.get("/api/v1/invoices/?status=paid&issued_after=soon")
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"status", "issued_after"}


@pytest.mark.parametrize(
    "query", ["page=", "page=abc", "page=0", "page=-1", "page=last", "page=1.5", "page=%EF%BC%92"]
)
def test_a_page_that_is_not_a_number_from_1_is_refused(api, draft, query):
    """Read as the first page before, an empty or odd page number now says what is wrong,
    as every other malformed parameter does."""
    for url in ("/api/v1/invoices/", "/api/v1/clients/", "/api/v1/payments/"):
        response = api.get(f"{url}?{query}")
        assert response.status_code == 422, url
        assert response.json()["errors"] == {"page": ["A page number from 1."]}
    assert api.get("/api/v1/invoices/?page=1").json()["results"][0]["id"] == draft.pk
    assert api.get("/api/v1/invoices/?page=2").status_code == 404  # past the last page


def test_an_empty_date_filter_is_refused_not_ignored(api, draft):
    for name in ("issued_after", "issued_before"):
        response = api.get(f"/api/v1/invoices/?{name}=")
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {name}


@pytest.mark.parametrize(
    "method, path, expected",
    [
        ("patch", "/api/v1/invoices/{pk}/", 409),
        ("delete", "/api/v1/invoices/{pk}/", 409),
        ("post", "/api/v1/invoices/{pk}/finalize/", 409),
        ("post", "/api/v1/invoices/{pk}/reopen/", 409),
    ],
)
def test_frozen_and_illegal_transitions_are_409(api, finalized, method, path, expected):
    response = getattr(api, method)(path.format(pk=finalized.pk), {"notes": "x"}, format="json")
    assert response.status_code == expected
    assert response.json()["code"] == "invalid_transition"
    assert Invoice.objects.get(pk=finalized.pk).notes == ""


def test_rights_are_the_apps(api_for, staff, draft, finalized):
    bob, carol, dave = (api_for(staff[k]) for k in ("owner_only", "processor_only", "neither"))
    assert bob.post(f"/api/v1/invoices/{draft.pk}/finalize/").status_code == 403
    assert bob.post(f"/api/v1/invoices/{draft.pk}/finalize/").json()["code"] == "not_allowed"
    assert (
        carol.patch(f"/api/v1/invoices/{draft.pk}/", {"notes": "x"}, format="json").status_code
        == 403
    )
    assert carol.post(f"/api/v1/invoices/{finalized.pk}/close/").status_code == 200
    assert dave.get(f"/api/v1/invoices/{draft.pk}/").status_code == 404


def test_another_firm_sees_a_404(api_for, draft, make_firm, make_user):
    erin = make_user("erin", make_firm("Autre"), processing=True)
    assert api_for(erin).get(f"/api/v1/invoices/{draft.pk}/").status_code == 404
    assert api_for(erin).get(f"/api/v1/clients/{draft.client_id}/").status_code == 404


def test_validation_errors_name_the_fields(api, client_entity):
    response = api.post(
        "/api/v1/invoices/",
        {
            "client": client_entity.pk,
            "lines": [{"description": "", "unit_price": "abc", "vat_rate": "150"}],
        },
        format="json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation"
    assert {"lines.0.description", "lines.0.unit_price", "lines.0.vat_rate"} <= set(body["errors"])
    assert not Invoice.objects.exists()


def test_malformed_json_is_a_400(api):
    response = api.generic(
        "POST", "/api/v1/invoices/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_idempotent_finalize_replays_and_conflicts(api, draft, template):
    key = str(uuid.uuid4())
    first = api.post(
        f"/api/v1/invoices/{draft.pk}/finalize/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    again = api.post(
        f"/api/v1/invoices/{draft.pk}/finalize/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert invoice_events(invoice=draft).filter(action="invoice.finalized").count() == 1
    other = api.post(
        f"/api/v1/invoices/{draft.pk}/finalize/",
        {"template": template.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_idempotent_send_queues_once(api, finalized):
    key = str(uuid.uuid4())
    body = {"subject": "Facture {number}", "message": "Bonjour"}
    for _ in range(3):
        response = api.post(
            f"/api/v1/invoices/{finalized.pk}/send/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 202
    assert EmailDelivery.objects.count() == 1


def test_bulk_send_takes_only_never_sent(api, make_draft, alice, template):
    from facturier.invoicing import actions

    one = actions.finalize_invoice(make_draft(), by=alice)
    two = actions.finalize_invoice(make_draft(), by=alice)
    Invoice.objects.filter(pk=one.pk).update(sent_count=1)
    response = api.post(
        "/api/v1/invoices/send/",
        {"invoices": [one.pk, two.pk], "subject": "Facture {number}", "message": "Bonjour"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "already_sent"
    response = api.post(
        "/api/v1/invoices/send/",
        {"invoices": [two.pk], "subject": "Facture {number}", "message": "Bonjour"},
        format="json",
    )
    assert response.status_code == 202
    assert [d["to"] for d in response.json()] == [["compta@client.example"]]


def test_pdf_endpoint(api, finalized):
    response = api.get(f"/api/v1/invoices/{finalized.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_clients_create_and_patch(api_for, alice, staff):
    from django.contrib.auth.models import Permission

    carol = api_for(staff["processor_only"])
    refused = carol.post("/api/v1/clients/", {"name": "Moi-même SARL"}, format="json")
    assert refused.status_code == 403  # nobody makes themselves an owner
    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    api = api_for(type(alice).objects.get(pk=alice.pk))
    created = api.post(
        "/api/v1/clients/",
        {
            "name": "Nouvelle SAS",
            "city": "Lyon",
            "currency": "EUR",
            "contacts": [
                {"name": "Compta", "email": "compta@nouvelle.example", "is_billing": True}
            ],
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["owners"] == [alice.pk]
    pk = created.json()["id"]
    assert (
        api.patch(f"/api/v1/clients/{pk}/", {"city": "Paris"}, format="json").json()["city"]
        == "Paris"
    )


def test_templates_need_the_settings_right(api, api_for, alice, staff):
    assert api.post("/api/v1/templates/", {"name": "X"}, format="json").status_code == 403
    from django.contrib.auth.models import Permission

    alice.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    created = api_for(type(alice).objects.get(pk=alice.pk)).post(
        "/api/v1/templates/", {"name": "Sobre", "accent_color": "#333333"}, format="json"
    )
    assert created.status_code == 201 and created.json()["is_default"] is True


def test_schema_documents_errors_on_every_operation(client):
    import json

    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    assert schema["openapi"].startswith("3.1")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "404", "422"} <= set(operation["responses"]), (method, path)


def test_rate_limit_is_per_token_with_a_429(api_for, alice, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    first, second = api_for(alice), api_for(alice)
    codes = [first.get("/api/v1/invoices/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert first.get("/api/v1/invoices/").json()["code"] == "throttled"
    assert second.get("/api/v1/invoices/").status_code == 200  # its own budget
    cache.clear()


def test_a_first_send_is_a_send_and_the_next_a_resend(api, finalized, smtp_server):
    from facturier.invoicing import email_outbox

    body = {"subject": "Facture {number}", "message": "Bonjour"}
    first = api.post(f"/api/v1/invoices/{finalized.pk}/send/", body, format="json")
    assert first.status_code == 202 and first.json()[0]["is_resend"] is False
    email_outbox.deliver(first.json()[0]["id"])
    again = api.post(f"/api/v1/invoices/{finalized.pk}/send/", body, format="json")
    assert again.status_code == 202 and again.json()[0]["is_resend"] is True
    events = api.get(f"/api/v1/invoices/{finalized.pk}/events/").json()["results"]
    assert [e["action"] for e in events][-3:] == ["invoice.sent", "invoice.emailed", "invoice.sent"]


def test_field_errors_carry_stable_codes(api, finalized):
    bad = api.post(
        f"/api/v1/invoices/{finalized.pk}/send/",
        {"subject": "Facture\r\nBcc: x@evil.example", "message": ""},
        format="json",
    )
    assert bad.status_code == 422
    assert bad.json()["codes"]["message"] == ["blank"]
    assert bad.json()["errors"]["message"]
    header = api.post(
        f"/api/v1/invoices/{finalized.pk}/send/",
        {"subject": "Facture\r\nBcc: x@evil.example", "message": "Bonjour"},
        format="json",
    )
    assert header.status_code == 422
    assert header.json()["codes"] == {"subject": ["invalid_characters"]}
    line = api.post(
        "/api/v1/invoices/",
        {"client": finalized.client_id, "lines": [{"description": "x", "unit_price": "abc"}]},
        format="json",
    )
    assert line.status_code == 422 and line.json()["codes"] == {"lines.0.unit_price": ["invalid"]}


def test_the_pdf_of_a_finalized_invoice_is_served_from_the_store(api, finalized):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from facturier.invoicing import actions

    stored = actions.pdf_for(finalized)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/invoices/{finalized.pk}/pdf/")
    assert response.status_code == 200 and response.content == stored
    invoice_reads = [q["sql"] for q in queries if '"invoicing_' in q["sql"]]
    assert len(invoice_reads) == 1  # the stored bytes, in one query, as the web serves them


def test_json_nested_too_deeply_is_a_400_not_a_500(api):
    body = "[" * 100_000 + "]" * 100_000
    response = api.generic("POST", "/api/v1/clients/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_validation_refusal_speaks_the_request_language(api):
    response = api.post(
        "/api/v1/invoices/", {"lines": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 422
    assert response.json()["message"] == "Certains champs sont à corriger."


def test_unreadable_bodies_and_missing_objects_are_said_in_french(
    api, make_firm, make_client, make_user
):
    """What the API refuses is said in the request's language, without Python's own
    words: a body that is not JSON (where), a number too long for Python, a body not in
    UTF-8, an object of another firm, a path that names nothing."""
    from facturier.invoicing import actions

    other = make_firm("Autre cabinet")
    zed = make_user("zed", other, processing=True)
    theirs = make_client(other, "Leur client")
    theirs.owners.add(zed)
    zed = type(zed).objects.get(pk=zed.pk)
    invoice = actions.create_draft(
        by=zed, client=theirs, lines=[{"description": "a", "unit_price": "1", "vat_rate": "20"}]
    )
    french = {"HTTP_ACCEPT_LANGUAGE": "fr"}

    def post(body: bytes):
        return api.generic(
            "POST", "/api/v1/clients/", body, content_type="application/json", **french
        )

    answers = {
        "broken": post(b'{"name": '),
        "long number": post(b'{"name": 1' + b"0" * 5000 + b"}"),
        "latin-1": post('{"name": "Société"}'.encode("latin-1")),
        "their invoice": api.get(f"/api/v1/invoices/{invoice.pk}/", **french),
        "their client": api.get(f"/api/v1/clients/{theirs.pk}/", **french),
        "no such path": api.get("/api/v1/nothing-here/", **french),
    }
    messages = {name: answer.json()["message"] for name, answer in answers.items()}
    assert messages == {
        "broken": "Le corps de la requête n'est pas un JSON valide (ligne 1, colonne 10).",
        "long number": (
            "Le corps de la requête n'est pas un JSON valide : un nombre y est trop long."
        ),
        "latin-1": "Le corps de la requête n'est pas du texte UTF-8.",
        "their invoice": "Facture introuvable.",
        "their client": "Client introuvable.",
        "no such path": "Introuvable.",
    }
    assert [answer.status_code for answer in answers.values()] == [400] * 3 + [404] * 3


def test_a_nested_refusal_is_named_by_its_field_not_general(api):
    """Lines that are not a list, or a line that is not an object, are refused beside
    `lines` and `lines.0`, where a client program looks, not under "general"."""
    not_a_list = api.post("/api/v1/invoices/", {"lines": "x"}, format="json")
    not_an_object = api.post("/api/v1/invoices/", {"lines": [1]}, format="json")
    assert not_a_list.status_code == not_an_object.status_code == 422
    assert set(not_a_list.json()["errors"]) >= {"lines"}
    assert "lines.0" in not_an_object.json()["errors"]
    assert "general" not in not_a_list.json()["errors"]
    assert "general" not in not_an_object.json()["errors"]
    assert not_a_list.json()["codes"]["lines"] == ["not_a_list"]
