"""Two factors before sensitive settings: the platform's credentials and the
direct-debit account change only for a member with an authenticator app who confirmed
a code lately (a browser), or whose token's owner has one (the API)."""

import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.access.stepup import CONFIRMED_AT
from facturier.einvoicing.models import Platform
from facturier.receivables.models import SepaSettings
from tests.stepup import next_code, with_totp

pytestmark = pytest.mark.django_db

PLATFORM = {
    "base_url": "https://pa.example/flow-service",
    "token_url": "https://pa.example/token",
    "client_id": "cabinet",
    "client_secret": "s3cret",
    "vat_regime": "normal_monthly",
}
SEPA = {
    "creditor_id": "FR72ZZZ123456",
    "iban": "FR1420041010050500013M02606",
    "bic": "PSSTFRPPPAR",
    "prenotification_days": "14",
    "scheme": "CORE",
}


def _confirmed(client, at: float) -> None:
    session = client.session
    session[CONFIRMED_AT] = at
    session.save()


def test_without_an_authenticator_app_nothing_is_saved(client, admin):
    client.force_login(admin)
    answer = client.post("/settings/einvoicing/", PLATFORM, HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 403
    page = answer.content.decode()
    assert 'data-code="second_factor_needed"' in page
    assert "Configurez la double authentification" in page
    assert 'href="/settings/security/"' in page
    assert not Platform.objects.exists()


def test_a_code_confirmed_lately_lets_the_credentials_change(client, admin):
    key = with_totp(admin)
    client.force_login(admin)
    refused = client.post("/settings/einvoicing/", PLATFORM)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'data-code="second_factor_not_confirmed"' in page
    assert "/settings/security/confirm/?next=%2Fsettings%2Feinvoicing%2F" in page
    assert not Platform.objects.exists()

    wrong = client.post("/settings/security/confirm/", {"code": "000000"})
    assert wrong.status_code == 422
    confirm = client.post(
        "/settings/security/confirm/", {"code": next_code(key), "next": "/settings/einvoicing/"}
    )
    assert confirm["Location"] == "/settings/einvoicing/"
    assert client.post("/settings/einvoicing/", PLATFORM).status_code == 302
    assert Platform.objects.get().client_id == "cabinet"


def test_a_code_confirmed_eleven_minutes_ago_is_too_old(client, admin):
    with_totp(admin)
    client.force_login(admin)
    _confirmed(client, time.time() - 11 * 60)
    assert client.post("/settings/direct-debit/", SEPA).status_code == 403
    assert not SepaSettings.objects.exists()
    _confirmed(client, time.time() - 9 * 60)
    assert client.post("/settings/direct-debit/", SEPA).status_code == 302
    assert SepaSettings.objects.get().iban == "FR1420041010050500013M02606"


def test_the_notice_delay_alone_needs_no_code(client, admin):
    with_totp(admin)
    client.force_login(admin)
    _confirmed(client, time.time())
    client.post("/settings/direct-debit/", SEPA)
    client.logout()
    client.force_login(admin)  # a new session: no code confirmed in it
    assert client.post("/settings/direct-debit/", {**SEPA, "prenotification_days": "10"})[
        "Location"
    ].endswith("/settings/direct-debit/")
    refused = client.post("/settings/direct-debit/", {**SEPA, "bic": "AGRIFRPP"})
    assert refused.status_code == 403
    stored = SepaSettings.objects.get()
    assert (stored.prenotification_days, stored.bic) == (10, "PSSTFRPPPAR")


def test_the_api_asks_the_token_s_owner_for_an_authenticator_app(api_for, admin):
    api = api_for(admin)
    refused = api.put("/api/v1/settings/einvoicing-platform/", PLATFORM, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_needed")
    refused = api.put("/api/v1/settings/direct-debit/", SEPA, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_needed")
    assert not Platform.objects.exists() and not SepaSettings.objects.exists()

    with_totp(admin)
    saved = api.put("/api/v1/settings/einvoicing-platform/", PLATFORM, format="json")
    assert saved.status_code == 200
    assert "client_secret" not in saved.json()
    assert api.put("/api/v1/settings/direct-debit/", SEPA, format="json").status_code == 200
    assert api.get("/api/v1/settings/direct-debit/").json()["creditor_id"] == "FR72ZZZ123456"

    TOTPDevice.objects.filter(user=admin).delete()
    again = api.put(
        "/api/v1/settings/einvoicing-platform/",
        {**PLATFORM, "client_secret": "other"},
        format="json",
    )
    assert (again.status_code, again.json()["code"]) == (403, "second_factor_needed")
    assert Platform.objects.get().client_secret == "s3cret"


def test_the_api_with_a_browser_session_asks_for_a_fresh_code(client, admin):
    with_totp(admin)
    client.force_login(admin)
    refused = client.put("/api/v1/settings/direct-debit/", SEPA, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_not_confirmed")


def test_naming_the_single_sign_on_provider_needs_a_code_confirmed(client, admin):
    """Whoever names the provider decides who signs in as any member: two factors first."""
    from facturier.access.models import SingleSignOn

    with_totp(admin)
    client.force_login(admin)
    body = {"issuer": "https://id.example", "client_id": "cabinet", "client_secret": "s"}
    answer = client.post("/settings/security/sso/", body, HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 403
    assert 'data-code="second_factor_not_confirmed"' in answer.content.decode()
    assert not SingleSignOn.objects.exists()


def test_an_api_update_without_the_format_or_scheme_keeps_them(api_for, admin):
    api = api_for(admin)
    with_totp(admin)
    chosen = {**SEPA, "scheme": "B2B", "pain_version": "pain.008.001.08"}
    assert api.put("/api/v1/settings/direct-debit/", chosen, format="json").status_code == 200
    later = {k: v for k, v in SEPA.items() if k != "scheme"} | {"prenotification_days": "10"}
    saved = api.put("/api/v1/settings/direct-debit/", later, format="json")
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["scheme"], saved.json()["pain_version"]) == ("B2B", "pain.008.001.08")
    stored = SepaSettings.objects.get()
    assert (stored.scheme, stored.pain_version, stored.prenotification_days) == (
        "B2B",
        "pain.008.001.08",
        10,
    )
