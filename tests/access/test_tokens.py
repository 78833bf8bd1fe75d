"""Personal API tokens: made in Settings or by the command, shown once, refused once
revoked, each change in the firm's audit trail."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from facturier.access.actions import issue_token, revoke_token
from facturier.access.models import ApiToken
from facturier.core.errors import Invalid, NotFound
from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_revoked_token_no_longer_works(alice):
    token, raw = ApiToken.issue(alice, "old")
    revoke_token(token, by=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/invoices/").status_code == 401


def test_create_api_token_command_prints_a_working_token(alice, capsys):
    call_command("create_api_token", "alice")
    raw = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/invoices/").status_code == 200


def test_a_user_creates_and_revokes_a_token_in_settings(client, staff):
    bob = staff["owner_only"]
    client.force_login(bob)
    page = client.post("/settings/tokens/", {"name": "Comptabilité"}).content.decode()
    raw = page.split('<code id="new-token">')[1].split("</code>")[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/invoices/").status_code == 200
    token = ApiToken.objects.get(user=bob)
    client.post(f"/settings/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/invoices/").status_code == 401


def test_issuing_and_revoking_are_in_the_audit_trail(alice):
    token, _raw = issue_token(by=alice, name="Comptabilité")
    revoke_token(token, by=alice)
    trail = AuditEvent.objects.filter(target_type="api.apitoken", target_id=str(token.pk))
    assert [(e.action, e.actor_id) for e in trail] == [
        ("token.issued", alice.pk),
        ("token.revoked", alice.pk),
    ]


def test_a_token_needs_a_name_and_only_its_owner_revokes_it(alice, staff):
    with pytest.raises(Invalid) as refused:
        issue_token(by=alice, name="  ")
    assert refused.value.codes["name"] == ["required"]
    token, _raw = issue_token(by=alice, name="Export")
    with pytest.raises(NotFound):
        revoke_token(token, by=staff["owner_only"])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
