"""Passkeys (WebAuthn) beside the authenticator app: registered from Settings →
Security, used at sign-in instead of the code and before sensitive settings; answers
from another site, to a spent or expired request, from an unknown passkey or with a
counter gone backwards are refused with their own codes. The authenticator is a
software one (tests/authenticator.py); py_webauthn checks its answers for real."""

import json
import re
import time

import pytest
from django.core.cache import cache
from django.test import Client as Browser

from facturier.access import passkeys as ceremony
from facturier.access.errors import (
    PasskeyChallengeExpired,
    PasskeyChallengeUsed,
    PasskeyCounterRegressed,
    PasskeyRefused,
    PasskeyUnknown,
)
from facturier.access.models import Passkey, RecoveryCode
from facturier.firms.models import AuditEvent
from tests.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db
SITE = ceremony.Site(rp_id="testserver", origin="http://testserver")


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def bob(firm, make_user):
    return make_user("bob", firm)


def options_in(page: str, element: str) -> dict:
    found = re.search(rf'<script id="{element}" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1))


def signed_in(user) -> Browser:
    browser = Browser()
    assert (
        browser.post(
            "/login/", {"username": user.username, "password": "pw-" + user.username}
        ).status_code
        == 302
    )
    return browser


def register(browser, authenticator, name="Portable du bureau"):
    page = browser.get("/settings/security/").content.decode()
    answer = authenticator.create(options_in(page, "passkey-create-options"))
    return browser.post(
        "/settings/security/passkeys/add/", {"name": name, "credential": json.dumps(answer)}
    )


def confirm_now(browser) -> None:
    """As after a recent confirmation (step-up) with a second factor."""
    from facturier.access.stepup import CONFIRMED_AT

    session = browser.session
    session[CONFIRMED_AT] = time.time()
    session.save()


def to_code_step(user) -> tuple[Browser, dict]:
    browser = Browser()
    answer = browser.post(
        "/login/?next=/billing/invoices/",
        {"username": user.username, "password": "pw-" + user.username},
    )
    assert answer["Location"] == "/login/code/"
    page = browser.get("/login/code/").content.decode()
    return browser, options_in(page, "passkey-get-options")


def test_a_member_registers_a_passkey_and_signs_in_with_password_and_passkey(bob):
    browser = signed_in(bob)
    authenticator = SoftAuthenticator()
    done = register(browser, authenticator)
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.content.decode())) == 10
    key = Passkey.objects.get(user=bob)
    assert key.name == "Portable du bureau" and key.sign_count == 0
    page = browser.get("/settings/security/").content.decode()
    assert "Portable du bureau" in page and 'id="passkey-list"' in page

    second, options = to_code_step(bob)
    assert options["rpId"] == "testserver"
    assert [c["id"] for c in options["allowCredentials"]] == [key.credential_id]
    signed = second.post("/login/code/", {"credential": json.dumps(authenticator.get(options))})
    assert signed.status_code == 302 and signed["Location"] == "/billing/invoices/"
    assert second.get("/billing/invoices/").status_code == 200
    key.refresh_from_db()
    assert key.sign_count == 1 and key.last_used_at is not None
    names = list(AuditEvent.objects.filter(firm=bob.firm).values_list("action", flat=True))
    assert {"passkey.added", "passkey.used"} <= set(names)
    sign_in = AuditEvent.objects.filter(firm=bob.firm, action="sign_in.succeeded").last()
    assert sign_in.details["second_factor"] == "passkey"


def test_several_passkeys_are_listed_and_each_works(bob):
    browser = signed_in(bob)
    laptop, phone = SoftAuthenticator(), SoftAuthenticator()
    register(browser, laptop, "Portable")
    confirm_now(browser)
    assert register(browser, phone, "Téléphone").status_code == 302  # codes only the first time
    assert list(Passkey.objects.filter(user=bob).values_list("name", flat=True)) == [
        "Portable",
        "Téléphone",
    ]
    second, options = to_code_step(bob)
    assert len(options["allowCredentials"]) == 2
    assert (
        second.post("/login/code/", {"credential": json.dumps(phone.get(options))}).status_code
        == 302
    )


def test_a_replayed_answer_is_refused_and_in_the_trail(bob):
    authenticator = SoftAuthenticator()
    register(signed_in(bob), authenticator)
    browser, options = to_code_step(bob)
    answer = json.dumps(authenticator.get(options))
    browser.get("/login/code/")  # a new request: the old one is spent
    refused = browser.post("/login/code/", {"credential": answer})
    assert refused.status_code == 422
    assert 'data-code="passkey_challenge_used"' in refused.content.decode()
    refusal = AuditEvent.objects.get(firm=bob.firm, action="sign_in.passkey_refused")
    assert refusal.details["code"] == "passkey_challenge_used"
    assert "_auth_user_id" not in browser.session


def test_the_same_answer_posted_twice_signs_in_once(bob):
    authenticator = SoftAuthenticator()
    register(signed_in(bob), authenticator)
    browser, options = to_code_step(bob)
    answer = json.dumps(authenticator.get(options))
    thief = Browser()
    thief.cookies = browser.cookies  # the same session, replaying what it saw
    assert browser.post("/login/code/", {"credential": answer}).status_code == 302
    thief.post("/login/code/", {"credential": answer})
    assert Passkey.objects.get(user=bob).sign_count == 1
    assert AuditEvent.objects.filter(firm=bob.firm, action="passkey.used").count() == 1


def test_a_passkey_of_another_site_is_refused(bob):
    authenticator = SoftAuthenticator()
    register(signed_in(bob), authenticator)
    for wrong in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}):
        browser, options = to_code_step(bob)
        refused = browser.post(
            "/login/code/", {"credential": json.dumps(authenticator.get(options, **wrong))}
        )
        assert refused.status_code == 422
        assert 'data-code="passkey_wrong_site"' in refused.content.decode()


def test_registering_a_passkey_made_for_another_site_is_refused(bob):
    browser = signed_in(bob)
    refused = register(browser, SoftAuthenticator(origin="https://evil.example"))
    assert refused.status_code == 422
    assert 'data-code="passkey_wrong_site"' in refused.content.decode()
    assert not Passkey.objects.filter(user=bob).exists()
    assert not RecoveryCode.objects.filter(user=bob).exists()


def _registered(authenticator) -> tuple[dict, dict]:
    challenge = ceremony.new_challenge()
    options = ceremony.registration_options(
        SITE, user_id=1, user_name="bob", display_name="Bob", challenge=challenge
    )
    made = ceremony.verify_registration(
        authenticator.create(options), site=SITE, challenge=challenge
    )
    return {made.credential_id: (made.public_key, made.sign_count)}, options


def _asking(known) -> tuple[dict, dict]:
    challenge = ceremony.new_challenge()
    return challenge, ceremony.authentication_options(
        SITE, challenge=challenge, credential_ids=known
    )


def test_the_ceremony_refuses_an_expired_request():
    authenticator = SoftAuthenticator()
    known, _options = _registered(authenticator)
    challenge, options = _asking(known)
    answer = authenticator.get(options)
    later = time.time() + ceremony.CHALLENGE_TTL + 1
    with pytest.raises(PasskeyChallengeExpired) as refused:
        ceremony.verify_assertion(answer, site=SITE, challenge=challenge, known=known, now=later)
    assert refused.value.code == "passkey_challenge_expired"
    with pytest.raises(PasskeyChallengeUsed):
        ceremony.verify_assertion(answer, site=SITE, challenge=None, known=known)


def test_the_ceremony_refuses_an_unknown_passkey():
    known, _options = _registered(SoftAuthenticator())
    stranger = SoftAuthenticator()
    challenge, options = _asking(known)
    with pytest.raises(PasskeyUnknown) as refused:
        ceremony.verify_assertion(
            stranger.get(options), site=SITE, challenge=challenge, known=known
        )
    assert refused.value.code == "passkey_unknown"


def test_the_ceremony_refuses_a_counter_gone_backwards():
    authenticator = SoftAuthenticator()
    known, _options = _registered(authenticator)
    challenge, options = _asking(known)
    used = ceremony.verify_assertion(
        authenticator.get(options, sign_count=7), site=SITE, challenge=challenge, known=known
    )
    assert used.sign_count == 7
    known = {cid: (key, used.sign_count) for cid, (key, _count) in known.items()}
    challenge, options = _asking(known)
    with pytest.raises(PasskeyCounterRegressed) as refused:
        ceremony.verify_assertion(
            authenticator.get(options, sign_count=5), site=SITE, challenge=challenge, known=known
        )
    assert refused.value.code == "passkey_counter_regressed"


def test_the_ceremony_refuses_a_forged_signature():
    authenticator = SoftAuthenticator()
    known, _options = _registered(authenticator)
    challenge, options = _asking(known)
    authenticator.key = SoftAuthenticator().key  # same credential id, another key
    forged = authenticator.get(options)
    with pytest.raises(PasskeyRefused) as refused:
        ceremony.verify_assertion(forged, site=SITE, challenge=challenge, known=known)
    assert refused.value.code == "passkey_invalid"


def test_a_counter_gone_backwards_is_refused_at_sign_in(bob):
    authenticator = SoftAuthenticator()
    register(signed_in(bob), authenticator)
    Passkey.objects.filter(user=bob).update(sign_count=40)
    browser, options = to_code_step(bob)
    refused = browser.post("/login/code/", {"credential": json.dumps(authenticator.get(options))})
    assert 'data-code="passkey_counter_regressed"' in refused.content.decode()


def test_a_passkey_confirms_before_sensitive_settings_and_removing_one_needs_it(bob):
    authenticator = SoftAuthenticator()
    browser = signed_in(bob)  # with the password alone: nothing confirmed yet
    register(browser, authenticator)
    key = Passkey.objects.get(user=bob)
    asked = browser.post(f"/settings/security/passkeys/{key.pk}/remove/")
    assert asked.status_code == 302 and asked["Location"].startswith("/settings/security/confirm/")
    assert Passkey.objects.filter(pk=key.pk).exists()
    page = browser.get(asked["Location"]).content.decode()
    options = options_in(page, "passkey-get-options")
    confirmed = browser.post(
        "/settings/security/confirm/",
        {"credential": json.dumps(authenticator.get(options)), "next": "/settings/security/"},
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == "/settings/security/"
    assert browser.post(f"/settings/security/passkeys/{key.pk}/remove/").status_code == 302
    assert not Passkey.objects.filter(user=bob).exists()
    assert not RecoveryCode.objects.filter(user=bob).exists()  # no second factor left
    removed = AuditEvent.objects.get(firm=bob.firm, action="passkey.removed")
    assert removed.details["name"] == "Portable du bureau"


def test_a_firm_requiring_two_factors_takes_a_passkey(bob):
    bob.firm.two_factors_required = True
    bob.firm.save()
    browser = signed_in(bob)
    assert browser.get("/billing/invoices/")["Location"] == "/settings/security/"
    register(browser, SoftAuthenticator())
    assert browser.get("/billing/invoices/").status_code == 200


def test_another_members_passkey_cannot_be_removed(bob, firm, make_user):
    register(signed_in(bob), SoftAuthenticator())
    carol = make_user("carol", firm)
    browser = signed_in(carol)
    key = Passkey.objects.get(user=bob)
    register(browser, SoftAuthenticator())
    from facturier.access.stepup import CONFIRMED_AT

    session = browser.session
    session[CONFIRMED_AT] = time.time()
    session.save()
    refused = browser.post(f"/settings/security/passkeys/{key.pk}/remove/")
    assert refused.status_code == 404
    assert Passkey.objects.filter(pk=key.pk).exists()


def test_a_member_with_an_app_cannot_add_a_passkey_without_a_recent_confirmation(bob):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser = signed_in(bob)  # a session alone (a stolen cookie): nothing confirmed
    TOTPDevice.objects.create(user=bob, name="app", confirmed=True)
    asked = register(browser, SoftAuthenticator())
    assert asked.status_code == 302 and asked["Location"].startswith("/settings/security/confirm/")
    assert not Passkey.objects.filter(user=bob).exists()
    confirm_now(browser)
    assert register(browser, SoftAuthenticator()).status_code in (200, 302)
    assert Passkey.objects.filter(user=bob).count() == 1


def test_a_second_passkey_needs_a_recent_confirmation(bob):
    browser = signed_in(bob)
    register(browser, SoftAuthenticator(), "Portable")
    asked = register(browser, SoftAuthenticator(), "Téléphone")
    assert asked["Location"].startswith("/settings/security/confirm/")
    assert list(Passkey.objects.filter(user=bob).values_list("name", flat=True)) == ["Portable"]


def test_a_member_with_passkeys_only_renews_recovery_codes(bob):
    browser = signed_in(bob)
    done = register(browser, SoftAuthenticator())
    first = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.content.decode())
    refused = browser.post("/settings/security/recovery/renew/", {"code": ""})
    assert refused.status_code != 200 or "<li><code>" not in refused.content.decode()
    assert RecoveryCode.objects.filter(user=bob, used_at__isnull=True).count() == 10
    # with one of the recovery codes...
    renewed = browser.post("/settings/security/recovery/renew/", {"code": first[0]})
    again = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", renewed.content.decode())
    assert len(again) == 10 and not set(again) & set(first)
    # ...or after confirming with the passkey.
    confirm_now(browser)
    renewed = browser.post("/settings/security/recovery/renew/", {"code": ""})
    latest = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", renewed.content.decode())
    assert len(latest) == 10 and not set(latest) & set(again)


def test_the_same_passkey_registered_twice_at_once_is_refused_cleanly(bob, firm, make_user):
    """The other request stores the same credential between the check and the insert."""
    from django.db.models.signals import pre_save

    from facturier.access import actions as access_actions
    from facturier.access.errors import PasskeyAlreadyRegistered

    carol = make_user("carol", firm)
    authenticator = SoftAuthenticator()
    challenge = ceremony.new_challenge()
    options = ceremony.registration_options(
        SITE, user_id=bob.pk, user_name="bob", display_name="Bob", challenge=challenge
    )
    answer = authenticator.create(options)

    def rival(sender, instance, **kwargs):
        if instance.user_id == bob.pk:
            Passkey.objects.create(
                user=carol,
                name="rival",
                credential_id=instance.credential_id,
                public_key=instance.public_key,
                created_at=instance.created_at,
            )

    pre_save.connect(rival, sender=Passkey)
    try:
        with pytest.raises(PasskeyAlreadyRegistered) as refused:
            access_actions.add_passkey(
                by=bob, name="Portable", credential=answer, site=SITE, challenge=challenge
            )
    finally:
        pre_save.disconnect(rival, sender=Passkey)
    assert (refused.value.code, refused.value.status) == ("passkey_already_registered", 409)
    assert not Passkey.objects.filter(user=bob).exists()
    assert not AuditEvent.objects.filter(action="passkey.added").exists()
