"""Two-factor sign-in: an authenticator app set up from Settings → Security with a QR
code and a first code, recovery codes shown once, and the code asked after the password.
Codes are computed here as the member's app computes them (RFC 6238)."""

import base64
import re

import pytest
from django.core.cache import cache
from django.test import Client as Browser
from django_otp.oath import totp

from facturier.access.models import RecoveryCode
from facturier.firms.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    """The failure counts live in the cache (a table outside the tests' transactions)."""
    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """What the app shows for the secret the page printed (now, or a step later)."""
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, drift=steps_ahead):06d}"


def signed_in(user, language="en") -> Browser:
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    answer = browser.post("/login/", {"username": user.username, "password": "pw-" + user.username})
    assert answer.status_code == 302, answer.content
    return browser


def set_up_app(browser) -> tuple[str, list[str]]:
    page = browser.get("/settings/security/").content.decode()
    assert "<svg" in page  # the QR code
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    done = browser.post("/settings/security/totp/enable/", {"code": code_for(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.content.decode())
    return secret, codes


@pytest.fixture
def bob(firm, make_user):
    return make_user("bob", firm)


def test_setting_up_shows_recovery_codes_once_and_stores_only_their_hashes(bob):
    browser = signed_in(bob)
    secret, codes = set_up_app(browser)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=bob).values_list("digest", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    again = browser.get("/settings/security/").content.decode()
    assert codes[0] not in again and "10 recovery codes left" in again
    assert secret.replace(" ", "") not in again.replace(" ", "")
    assert AuditEvent.objects.filter(action="totp.enabled", firm=bob.firm).count() == 1


def test_a_wrong_first_code_sets_nothing_up(bob):
    browser = signed_in(bob)
    page = browser.get("/settings/security/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"
    refused = browser.post("/settings/security/totp/enable/", {"code": wrong})
    assert refused.status_code == 422 and b'data-code="wrong_code"' in refused.content
    assert not RecoveryCode.objects.filter(user=bob).exists()
    # The same secret is still offered, and a right code then works.
    assert (
        browser.post("/settings/security/totp/enable/", {"code": code_for(secret)}).status_code
        == 200
    )


def test_sign_in_asks_for_the_code_after_the_password(bob):
    secret, _codes = set_up_app(signed_in(bob))
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    first = browser.post(
        "/login/", {"username": "bob", "password": "pw-bob", "next": "/settings/security/"}
    )
    assert first.status_code == 302 and first["Location"] == "/login/code/"
    assert browser.get("/billing/invoices/").status_code == 302  # not signed in yet
    page = browser.get("/login/code/").content.decode()
    assert "Code de votre application" in page
    answer = browser.post("/login/code/", {"code": code_for(secret, steps_ahead=1)})
    assert answer.status_code == 302 and answer["Location"] == "/settings/security/"
    assert browser.get("/billing/invoices/").status_code == 200


def test_a_wrong_or_reused_code_is_refused_with_a_clear_message(bob):
    secret, _codes = set_up_app(signed_in(bob))
    browser = Browser(HTTP_ACCEPT_LANGUAGE="en")
    browser.post("/login/", {"username": "bob", "password": "pw-bob"})
    wrong = browser.post(
        "/login/code/", {"code": "000000" if code_for(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 422
    assert "This code is not right, or was already used." in wrong.content.decode()
    # The code that set the app up was used once already.
    reused = browser.post("/login/code/", {"code": code_for(secret)})
    assert reused.status_code == 422 and b'data-code="wrong_code"' in reused.content
    assert browser.get("/billing/invoices/").status_code == 302
    assert browser.post("/login/code/", {"code": code_for(secret, 1)}).status_code == 302


def test_a_recovery_code_works_once(bob):
    _secret, codes = set_up_app(signed_in(bob))
    first = Browser()
    first.post("/login/", {"username": "bob", "password": "pw-bob"})
    assert first.post("/login/code/", {"code": codes[3].lower()}).status_code == 302
    assert AuditEvent.objects.filter(action="recovery_code.used", firm=bob.firm).count() == 1
    second = Browser()
    second.post("/login/", {"username": "bob", "password": "pw-bob"})
    assert second.post("/login/code/", {"code": codes[3]}).status_code == 422
    assert "9 recovery codes left" in first.get("/settings/security/").content.decode()


def test_removing_the_app_asks_for_a_current_code(bob):
    browser = signed_in(bob)
    secret, _codes = set_up_app(browser)
    refused = browser.post("/settings/security/totp/disable/", {"code": "12345"})
    assert refused.status_code == 422
    assert (
        browser.post("/settings/security/totp/disable/", {"code": code_for(secret, 1)}).status_code
        == 302
    )
    assert "<svg" in browser.get("/settings/security/").content.decode()  # may set up again
    assert not RecoveryCode.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(action="totp.disabled", firm=bob.firm).count() == 1
    # Signing in is the password alone again.
    assert (
        Browser().post("/login/", {"username": "bob", "password": "pw-bob"})["Location"]
        != "/login/code/"
    )


def test_the_code_page_without_a_password_first_goes_back_to_the_login():
    answer = Browser().post("/login/code/", {"code": "123456"})
    assert answer.status_code == 302 and answer["Location"] == "/login/"


@pytest.fixture
def admin(admin_member):
    admin_member.set_password("pw-admin-cabinet")
    admin_member.save()
    return admin_member


def test_the_firm_requires_two_factors_and_members_are_led_to_set_one_up(admin, bob):
    browser = signed_in(admin)
    turned_on = browser.post("/settings/security/required/", {"two_factors_required": "on"})
    assert turned_on.status_code == 302
    assert AuditEvent.objects.filter(action="firm.settings_changed", firm=admin.firm).exists()
    # Bob, already signed in elsewhere, goes on until his next sign-in.
    bob_browser = Browser()
    answer = bob_browser.post(
        "/login/", {"username": "bob", "password": "pw-bob", "next": "/billing/invoices/"}
    )
    assert answer.status_code == 302
    for path in ("/billing/invoices/", "/settings/tokens/", "/billing/invoices/?status=closed"):
        led = bob_browser.get(path)
        assert led.status_code == 302 and led["Location"] == "/settings/security/"
    assert bob_browser.get("/api/v1/invoices/").status_code == 403  # the API with his session
    page = bob_browser.get("/settings/security/").content.decode()
    assert "requires two-factor sign-in" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    bob_browser.post("/settings/security/totp/enable/", {"code": code_for(secret)})
    assert bob_browser.get("/billing/invoices/").status_code == 200


def test_api_tokens_still_work_when_two_factors_are_required(admin, bob):
    from facturier.access.actions import issue_token
    from facturier.firms import actions as firm_actions

    firm_actions.update_firm_settings(
        admin.firm_id, by=admin, fields={"two_factors_required": True}
    )
    _token, raw = issue_token(by=bob, name="script")
    answer = Browser().get("/api/v1/invoices/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200


def test_only_the_settings_right_sets_the_rule(bob):
    refused = signed_in(bob).post("/settings/security/required/", {"two_factors_required": "on"})
    assert refused.status_code == 403
    bob.firm.refresh_from_db()
    assert not bob.firm.two_factors_required


def test_wrong_codes_count_toward_the_account_limit(bob):
    secret, _codes = set_up_app(signed_in(bob))
    browser = Browser()
    browser.post("/login/", {"username": "bob", "password": "pw-bob"})
    for _n in range(5):
        assert browser.post("/login/code/", {"code": "abcdef"}).status_code == 422
    locked = browser.post("/login/code/", {"code": code_for(secret, 1)})
    assert locked.status_code == 429 and b'data-code="rate_limited"' in locked.content
    trail = AuditEvent.objects.filter(firm=bob.firm, action="sign_in.code_refused")
    assert trail.count() == 5


def test_the_audit_says_which_second_factor_signed_in(bob):
    secret, _codes = set_up_app(signed_in(bob))
    browser = Browser()
    browser.post("/login/", {"username": "bob", "password": "pw-bob"})
    browser.post("/login/code/", {"code": code_for(secret, 1)})
    last = AuditEvent.objects.filter(firm=bob.firm, action="sign_in.succeeded").last()
    assert last.details["second_factor"] == "totp"


def test_removing_the_app_where_two_factors_are_required_leads_back_to_setting_one_up(admin, bob):
    from facturier.firms import actions as firm_actions

    browser = signed_in(bob)
    secret, _codes = set_up_app(browser)
    firm_actions.update_firm_settings(
        admin.firm_id, by=admin, fields={"two_factors_required": True}
    )
    browser.post("/settings/security/totp/disable/", {"code": code_for(secret, 1)})
    led = browser.get("/billing/invoices/")
    assert led.status_code == 302 and led["Location"] == "/settings/security/"


def test_an_administrator_resets_a_member_who_lost_app_and_codes(admin, bob):
    set_up_app(signed_in(bob))
    browser = signed_in(admin)
    page = browser.get(f"/settings/staff/{bob.pk}/").content.decode()
    assert "Reset two-factor sign-in" in page
    done = browser.post(f"/settings/staff/{bob.pk}/two-factors/reset/")
    assert done.status_code == 302
    assert not RecoveryCode.objects.filter(user=bob).exists()
    answer = Browser().post("/login/", {"username": "bob", "password": "pw-bob"})
    assert answer.status_code == 302 and answer["Location"] != "/login/code/"
    event = AuditEvent.objects.get(action="totp.reset", firm=bob.firm)
    assert event.actor == admin and event.target_id == str(bob.pk)


def test_only_an_administrator_resets_two_factors(admin, bob):
    set_up_app(signed_in(admin))
    signed_in(bob).post(f"/settings/staff/{admin.pk}/two-factors/reset/")
    assert RecoveryCode.objects.filter(user=admin).count() == 10
