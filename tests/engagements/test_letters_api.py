"""Engagement letters through the API: templates (unknown placeholders refused as JSON),
a letter made, its PDF, sent, its signed copy (checked by content), active."""

import io

import pypdfium2
import pytest

from facturier.engagements import actions


def a_pdf() -> bytes:
    document = pypdfium2.PdfDocument.new()
    document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def engagement(make_engagement):
    return make_engagement()


@pytest.fixture
def settings_api(api_for, settings_user):
    return api_for(settings_user)


def test_templates_through_the_api(settings_api, api):
    refused = settings_api.post(
        "/api/v1/letter-templates/",
        {"name": "Courte", "language": "fr", "body": "Bonjour {client_name}, {honoraires}"},
        format="json",
    )
    assert refused.status_code == 422
    assert refused.json()["codes"] == {"body": ["unknown_placeholder"]}
    assert "{honoraires}" in refused.json()["errors"]["body"][0]
    made = settings_api.post(
        "/api/v1/letter-templates/",
        {"name": "Courte", "language": "fr", "body": "Bonjour {client_name}"},
        format="json",
    )
    assert made.status_code == 201
    changed = settings_api.patch(
        f"/api/v1/letter-templates/{made.json()['id']}/",
        {"body": "Bonjour {firm_name}"},
        format="json",
    )
    assert changed.json()["body"] == "Bonjour {firm_name}"
    assert api.get("/api/v1/letter-templates/").status_code == 403  # alice: no settings right


def test_a_letter_through_the_api(api, engagement, firm, smtp_server):
    (french, _english) = actions.seed_letter_templates(firm.pk)
    base = f"/api/v1/engagements/{engagement.pk}/letters/"
    created = api.post(base, {"template": french.pk}, format="json")
    assert created.status_code == 201, created.json()
    letter = created.json()
    assert (letter["status"], letter["version"]) == ("draft", 1)
    pdf = api.get(f"/api/v1/engagement-letters/{letter['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Lettre de mission" in text and "version 1" in text
    sent = api.post(f"/api/v1/engagement-letters/{letter['id']}/send/")
    assert sent.json()["status"] == "sent"
    early = api.post(f"/api/v1/engagement-letters/{letter['id']}/activate/")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    signed_url = f"/api/v1/engagement-letters/{letter['id']}/signed/"
    fake = io.BytesIO(b"GIF89a not a pdf")
    fake.name = "signed.pdf"
    refused = api.put(signed_url, {"file": fake}, format="multipart")
    assert refused.status_code == 422 and refused.json()["codes"] == {"file": ["not_a_pdf"]}
    real = io.BytesIO(a_pdf())
    real.name = "signed.pdf"
    day = letter["day"]  # signed the day it is dated: neither before nor in the future
    signed = api.put(signed_url, {"file": real, "signed_on": day}, format="multipart")
    assert signed.json()["status"] == "signed" and signed.json()["signed_on"] == day
    assert api.get(signed_url).content.startswith(b"%PDF-")
    active = api.post(f"/api/v1/engagement-letters/{letter['id']}/activate/")
    assert active.json()["status"] == "active"
    listed = api.get(base).json()
    assert [row["status"] for row in listed] == ["active"]


def test_a_letter_of_an_ended_engagement_through_the_api(api, engagement, firm):
    (french, _english) = actions.seed_letter_templates(firm.pk)
    letter = api.post(
        f"/api/v1/engagements/{engagement.pk}/letters/", {"template": french.pk}, format="json"
    ).json()
    api.post(f"/api/v1/engagements/{engagement.pk}/end/", {"end_date": "2027-03-31"}, format="json")
    refused = api.post(f"/api/v1/engagement-letters/{letter['id']}/send/")
    assert (refused.status_code, refused.json()["code"]) == (409, "engagement_ended")
    assert api.get(f"/api/v1/engagement-letters/{letter['id']}/").json()["status"] == "ended"
