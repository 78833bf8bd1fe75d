"""Token scopes and expiry: a read-only token may read, never write; an expired one is
refused; tokens made before scopes existed keep writing."""

import datetime

import pytest
from django.test import Client as Browser
from django.utils import timezone
from rest_framework.test import APIClient

from facturier.access.actions import issue_token
from facturier.access.models import ApiToken
from facturier.core.errors import Invalid

pytestmark = pytest.mark.django_db


def api(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_read_only_token_reads_but_any_write_is_403(alice, client_entity):
    _token, raw = issue_token(by=alice, name="lecture", scope="read")
    assert api(raw).get("/api/v1/invoices/").status_code == 200
    answer = api(raw).post("/api/v1/invoices/", {"client": client_entity.pk}, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "read_only_token"


def test_an_expired_token_is_401_with_its_code(alice):
    token, raw = issue_token(
        by=alice, name="court", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert api(raw).get("/api/v1/invoices/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    answer = api(raw).get("/api/v1/invoices/")
    assert answer.status_code == 401 and answer.json()["code"] == "token_expired"


def test_a_token_without_scope_given_reads_and_writes(alice):
    token, _raw = ApiToken.issue(alice, "ancien")
    assert token.scope == "write" and token.expires_at is None


def test_an_expiry_in_the_past_is_refused(alice):
    with pytest.raises(Invalid):
        issue_token(by=alice, name="x", expires_at=timezone.now() - datetime.timedelta(days=1))


def test_the_token_page_makes_a_read_only_token_expiring_on_a_french_date(alice):
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    browser.force_login(alice)
    next_year = timezone.localdate().year + 1
    page = browser.post(
        "/settings/tokens/", {"name": "Export", "scope": "read", "expires_on": f"31/12/{next_year}"}
    ).content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.scope == "read"
    assert timezone.localtime(token.expires_at).date() == datetime.date(next_year + 1, 1, 1)
    assert "lecture seule" in page
