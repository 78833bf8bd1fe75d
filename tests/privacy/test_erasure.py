"""Erasing a contact's or a member's personal data: what goes, what stays, and when
it is refused."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as Browser
from django.utils import translation
from django.utils.timezone import now
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.access import actions as access_actions
from facturier.access.errors import LastSettingsHolder
from facturier.access.models import ApiToken, MemberSession, Passkey, SsoIdentity
from facturier.clients.models import Contact
from facturier.core.errors import Invalid, NotAllowed, NotFound
from facturier.firms.models import AuditEvent, User
from facturier.invoicing.models import EmailDelivery
from facturier.privacy import actions as privacy
from facturier.privacy.errors import AlreadyErased, MemberActive

pytestmark = pytest.mark.django_db


def test_the_invoice_keeps_its_recipient_after_the_contact_is_erased(
    admin, emailed, client_entity, client
):
    contact = client_entity.contacts.get()
    privacy.erase_contact(contact, by=admin, reason="Asked by e-mail on 01/12/2026")
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.phone, contact.is_billing) == ("", "", "", False)
    with translation.override("en"):  # the words of whoever reads it; here English
        assert str(contact) == "Erased person"
    emailed.refresh_from_db()
    buyer = emailed.snapshot["buyer"]
    assert (buyer["contact_name"], buyer["contact_email"]) == ("Compta", "compta@client.example")
    assert EmailDelivery.objects.get(invoice=emailed).to == ["compta@client.example"]
    row = AuditEvent.objects.get(action="contact.erased")
    assert row.details["reason"] == "Asked by e-mail on 01/12/2026"
    assert "L123-22" in row.details["kept"]
    # Its earlier rows in the trail no longer name it.
    assert not AuditEvent.objects.filter(target__contains="compta@client.example").exists()

    client.force_login(admin)
    page = client.get(f"/billing/clients/{client_entity.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Personne effacée" in page.content.decode()
    invoice_page = client.get(f"/billing/invoices/{emailed.pk}/").content.decode()
    assert "compta@client.example" in invoice_page


def test_erasing_a_contact_needs_a_reason_and_the_settings_right(admin, alice, client_entity):
    contact = client_entity.contacts.get()
    with pytest.raises(Invalid) as refused:
        privacy.erase_contact(contact, by=admin, reason="  ")
    assert refused.value.codes == {"reason": ["required"]}
    with pytest.raises(NotAllowed):
        privacy.erase_contact(contact, by=alice, reason="asked")
    assert Contact.objects.get(pk=contact.pk).name == "Compta"
    privacy.erase_contact(contact, by=admin, reason="asked")
    with pytest.raises(AlreadyErased):
        privacy.erase_contact(contact, by=admin, reason="asked again")


def test_a_contact_of_another_firm_is_not_found(admin, make_firm, make_client, api_for):
    elsewhere = make_client(make_firm("Autre cabinet"), "Client ailleurs").contacts.get()
    with pytest.raises(NotFound):
        privacy.erase_contact(elsewhere, by=admin, reason="asked")
    answer = api_for(admin).post(
        f"/api/v1/contacts/{elsewhere.pk}/erase/", {"reason": "x"}, format="json"
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert Contact.objects.get(pk=elsewhere.pk).erased_at is None


def test_an_active_member_is_refused(admin, alice, api_for):
    with pytest.raises(MemberActive):
        privacy.erase_member(alice, by=admin, reason="left the firm")
    answer = api_for(admin).post(
        f"/api/v1/staff/{alice.pk}/erase/", {"reason": "left"}, format="json"
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "member_active")
    assert User.objects.get(pk=alice.pk).erased_at is None


def test_the_last_settings_holder_is_refused(admin):
    with pytest.raises(LastSettingsHolder):
        privacy.erase_member(admin, by=admin, reason="leaving")
    assert User.objects.get(pk=admin.pk).first_name == admin.first_name


def test_a_deactivated_member_loses_sessions_tokens_and_two_factors(admin, alice, client):
    User.objects.filter(pk=alice.pk).update(first_name="Alice", last_name="Martin")
    browser = Browser()
    assert browser.login(username="alice", password="pw-alice")
    access_actions.record_sign_in(
        alice, by=alice, ip="203.0.113.9", user_agent="x", session_key=browser.session.session_key
    )
    access_actions.issue_token(by=alice, name="script")
    key = access_actions.new_totp_key()
    access_actions.enable_totp(by=alice, key=key, code=f"{totp(bytes.fromhex(key)):06d}")
    Passkey.objects.create(
        user=alice, name="Portable", credential_id="cred-1", public_key=b"pk", created_at=now()
    )
    SsoIdentity.objects.create(
        firm=alice.firm, user=alice, issuer="https://idp.example", subject="sub:a", linked_at=now()
    )
    access_actions.deactivate_member(alice, by=admin)
    privacy.erase_member(alice, by=admin, reason="left in 2026")

    alice = User.objects.get(pk=alice.pk)
    with translation.override("en"):
        assert str(alice) == "Erased person"
    assert (alice.first_name, alice.last_name, alice.email) == ("", "", "")
    assert not alice.has_usable_password()
    assert not ApiToken.objects.filter(user=alice).exists()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not Passkey.objects.filter(user=alice).exists()
    assert not SsoIdentity.objects.filter(user=alice).exists()
    assert not MemberSession.objects.filter(user=alice).exists()
    assert not Session.objects.filter(session_key=browser.session.session_key).exists()
    # What she did stays, signed "Personne effacée" where it is shown.
    assert AuditEvent.objects.filter(actor=alice, action="token.issued").exists()
    client.force_login(admin)
    page = client.get("/settings/staff/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Personne effacée" in page
    assert "Martin" not in page


def test_the_api_erases_a_contact_and_says_what_stays(api_for, admin, client_entity):
    contact = client_entity.contacts.get()
    answer = api_for(admin).post(
        f"/api/v1/contacts/{contact.pk}/erase/", {"reason": "asked"}, format="json"
    )
    assert answer.status_code == 200
    assert "L123-22" in answer.json()["kept"]
    missing = api_for(admin).post(f"/api/v1/contacts/{contact.pk}/erase/", {}, format="json")
    assert missing.status_code == 422
