"""The engagement forms at their extremes (dates at the calendar's ends, ids no key
holds, control characters, other scripts' digits): never a 5xx."""

import pytest
from django.urls import reverse
from hypothesis import given

from facturier.engagements.models import Engagement
from tests.test_fuzz_parameters import EXTREME_DATE, EXTREME_ID, EXTREME_TEXT, FUZZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, alice):
    client.force_login(alice)
    return client


@FUZZ
@given(
    client_id=EXTREME_ID,
    start=EXTREME_DATE,
    end=EXTREME_DATE,
    fee=EXTREME_TEXT,
    day=EXTREME_TEXT,
    instalment=EXTREME_TEXT,
    work_code=EXTREME_ID,
)
def test_the_engagement_form_and_the_run(
    browser, client_entity, client_id, start, end, fee, day, instalment, work_code
):
    data = {
        "reference": "LM-F",
        "client": client_id,
        "responsible": client_id,
        "start_date": start,
        "end_date": end,
        "notice_months": day,
        "payment_method": "transfer",
        "indexation": "percent",
        "indexation_percent": fee,
        "revision_day": day,
        "revision_month": day,
        "mission-0-name": "Paie",
        "mission-0-work_code": work_code,
        "mission-0-fee_kind": "fixed",
        "mission-0-annual_fee": fee,
        "mission-0-vat_rate": fee,
        "mission-0-frequency": "instalments",
        "mission-0-timing": "arrears",
        "mission-0-billing_day": day,
        "mission-0-instalments": f"{start} {fee}\n{instalment}",
    }
    assert browser.post(reverse("billing:engagement_new"), data).status_code < 500
    assert browser.post(reverse("billing:engagements_run"), {"as_of": end}).status_code < 500
    for engagement in Engagement.objects.all():
        assert browser.get(reverse("billing:engagement", args=[engagement.pk])).status_code == 200


@FUZZ
@given(body=EXTREME_TEXT, name=EXTREME_TEXT, template=EXTREME_ID, day=EXTREME_DATE)
def test_the_letter_forms(client, settings_user, make_engagement, body, name, template, day):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from facturier.engagements.letter_models import EngagementLetter

    client.force_login(settings_user)
    data = {"name": name, "language": "fr", "body": body, "general_terms": body}
    assert client.post(reverse("settings:letter_templates"), data).status_code < 500
    engagement = Engagement.objects.first() or make_engagement()
    url = reverse("billing:engagement_letter_new", args=[engagement.pk])
    assert client.post(url, {"template": template}).status_code < 500
    for letter in EngagementLetter.objects.all():
        upload = SimpleUploadedFile(f"{name[:50]}.pdf", body.encode("utf-8", "replace"))
        sign = reverse("billing:engagement_letter_sign", args=[letter.pk])
        assert client.post(sign, {"file": upload, "signed_on": day}).status_code < 500
