"""What the export of a person's data holds, and that it is audited."""

import pytest
from django.test import Client as Browser
from django_otp.oath import totp

from facturier.access import actions as access_actions
from facturier.core.errors import NotAllowed, NotFound
from facturier.firms.models import AuditEvent
from facturier.privacy import actions as privacy

pytestmark = pytest.mark.django_db


def test_a_contact_who_received_an_invoice_email(admin, emailed, client_entity):
    contact = client_entity.contacts.get()
    data = privacy.export_contact_data(contact, by=admin)
    assert data["fields"]["name"] == "Compta"
    assert data["fields"]["email"] == "compta@client.example"
    assert data["client"] == {"id": client_entity.pk, "name": "Client SA"}
    (email,) = data["invoice_emails"]
    assert email["invoice"] == emailed.number
    assert email["to"] == ["compta@client.example"]
    assert data["documents"] == [
        {"number": emailed.number, "date": emailed.issue_date.isoformat(), "kind": "invoice"}
    ]
    row = AuditEvent.objects.get(action="contact.data_exported")
    assert (row.actor, row.target_id) == (admin, str(contact.pk))


def _with_totp(member):
    key = access_actions.new_totp_key()
    access_actions.enable_totp(by=member, key=key, code=f"{totp(bytes.fromhex(key)):06d}")
    return key


def test_a_member_with_sessions_tokens_and_two_factors(admin, alice):
    browser = Browser(HTTP_USER_AGENT="Firefox/120", REMOTE_ADDR="203.0.113.9")
    assert browser.login(username="alice", password="pw-alice")
    session_key = browser.session.session_key
    access_actions.record_sign_in(
        alice, by=alice, ip="203.0.113.9", user_agent="Firefox/120", session_key=session_key
    )
    token, raw = access_actions.issue_token(by=alice, name="Compta script")
    key = _with_totp(alice)
    data = privacy.export_member_data(alice, by=admin)
    text = repr(data)
    assert data["fields"]["username"] == "alice"
    assert {"ip": "203.0.113.9", "browser": "Firefox/120"}.items() <= data["sessions"][0].items()
    assert [t["name"] for t in data["api_tokens"]] == ["Compta script"]
    assert data["api_tokens"][0]["prefix"] == token.prefix
    assert data["two_factors"]["devices"][0]["confirmed"] is True
    assert data["two_factors"]["recovery_codes"] == {"total": 10, "left": 10, "used_at": []}
    # No secret: not the token, its hash, the TOTP key nor the session key.
    for secret in (raw, token.digest, key, session_key):
        assert secret not in text
    assert "sign_in.succeeded" in [row["action"] for row in data["audit"]]
    assert AuditEvent.objects.filter(action="staff.data_exported", actor=admin).exists()


def test_a_member_exports_their_own_data_but_not_a_colleague_s(staff, alice):
    bob = staff["owner_only"]
    assert privacy.export_member_data(bob, by=bob)["fields"]["username"] == "bob"
    with pytest.raises(NotAllowed):
        privacy.export_member_data(alice, by=bob)
    with pytest.raises(NotAllowed):
        privacy.export_contact_data(alice.owned_clients.get().contacts.get(), by=bob)


def test_nobody_exports_another_firm_s_contact(admin, make_firm, make_client):
    elsewhere = make_client(make_firm("Autre cabinet"), "Client ailleurs")
    with pytest.raises(NotFound):
        privacy.export_contact_data(elsewhere.contacts.get(), by=admin)


def test_the_client_page_exports_a_json_file(client, admin, emailed, client_entity):
    client.force_login(admin)
    contact = client_entity.contacts.get()
    response = client.post(f"/billing/contacts/{contact.pk}/personal-data/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.json()["invoice_emails"][0]["invoice"] == emailed.number
    # A GET changes nothing and exports nothing.
    assert client.get(f"/billing/contacts/{contact.pk}/personal-data/").status_code == 405


def test_the_api_exports_with_the_settings_right_only(api_for, admin, alice, client_entity):
    contact = client_entity.contacts.get()
    answer = api_for(admin).post(f"/api/v1/contacts/{contact.pk}/personal-data/")
    assert answer.status_code == 200
    assert answer.json()["fields"]["email"] == "compta@client.example"
    refused = api_for(alice).post(f"/api/v1/contacts/{contact.pk}/personal-data/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    own = api_for(alice).post(f"/api/v1/staff/{alice.pk}/personal-data/")
    assert own.status_code == 200
    assert own.json()["fields"]["username"] == "alice"


def test_a_member_export_lists_passkeys_without_key_material_and_sso_refusals(admin, alice):
    from facturier.access import passkeys as ceremony
    from facturier.access.errors import EmailNotVerified
    from facturier.access.models import Passkey, SingleSignOn
    from tests.authenticator import SoftAuthenticator

    site = ceremony.Site(rp_id="testserver", origin="http://testserver")
    challenge = ceremony.new_challenge()
    options = access_actions.registration_options(alice, site=site, challenge=challenge)
    key, _codes = access_actions.add_passkey(
        by=alice,
        name="Clé USB",
        credential=SoftAuthenticator().create(options),
        site=site,
        challenge=challenge,
    )
    alice.email = "alice@cabinet.example"
    alice.save()
    sso = SingleSignOn.objects.create(
        firm=alice.firm,
        issuer="https://login.example",
        client_id="facturier",
        client_secret="s",
        authorization_endpoint="https://login.example/auth",
        token_endpoint="https://login.example/token",
        jwks_uri="https://login.example/jwks",
    )
    access_actions.record_sso_refusal(
        sso,
        refusal=EmailNotVerified(),
        email="Alice@Cabinet.example",
        ip="192.0.2.1",
        user_agent="Firefox",
    )
    access_actions.record_sso_refusal(
        sso,
        refusal=EmailNotVerified(),
        email="bob@cabinet.example",
        ip="192.0.2.1",
        user_agent="Firefox",
    )
    data = privacy.export_member_data(alice, by=admin)
    (passkey,) = data["two_factors"]["passkeys"]
    assert passkey["name"] == "Clé USB" and passkey["created_at"]
    assert set(passkey) == {"name", "created_at", "last_used_at"}
    text = repr(data)
    stored = Passkey.objects.get(pk=key.pk)
    assert stored.credential_id not in text and repr(bytes(stored.public_key)) not in text
    (refusal,) = data["sso_refusals"]
    assert refusal["code"] == "email_not_verified" and refusal["ip"] == "192.0.2.1"
