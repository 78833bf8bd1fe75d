"""Single sign-on per firm with OpenID Connect: the settings (discovery read when saved,
the secret never shown back), a member signing in through a real provider (node's
oidc-provider, started here), and every refusal with its code and no session. The
refusals about the ID token itself are made with tokens signed here, served by the
provider's two addresses (token and keys) through httpx's mock transport."""

import re
import time
from html import escape, unescape
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client as Browser
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from facturier.access import actions as access_actions
from facturier.access import oidc
from facturier.access.models import SingleSignOn
from facturier.firms.models import AuditEvent
from tests.oidc import CLIENT_ID, CLIENT_SECRET, running_provider, through_provider
from tests.stepup import confirmed

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/login/sso/callback/"


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
    yield


@pytest.fixture(scope="module")
def provider():
    users = {
        "unverified@cabinet.example": {"email_verified": False},
        "ALICE@Cabinet.example": {"email": "Alice@Cabinet.Example"},
    }
    with running_provider([CALLBACK], users) as issuer:
        yield issuer


def manager(make_user, firm, name="mia"):
    user = make_user(name, firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    user.email = f"{name}@cabinet.example"
    user.save()
    return user


def member(make_user, firm, name, *, active=True):
    user = make_user(name, firm)
    user.email = f"{name}@cabinet.example"
    user.is_active = active
    user.save()
    return user


def signed_in(user, language="en") -> Browser:
    browser = Browser(HTTP_ACCEPT_LANGUAGE=language)
    browser.force_login(user)
    return browser


def configure(firm, by, issuer, **fields) -> SingleSignOn:
    values = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return access_actions.save_single_sign_on(firm, by=by, fields=values | fields)


def start(browser: Browser, email: str) -> str:
    """The provider's address the page moves on to (a refresh, and a link)."""
    answer = browser.post("/login/sso/", {"email": email})
    assert answer.status_code == 200, answer.content
    page = answer.content.decode()
    link = unescape(re.search(r'href="([^"]+)" id="sso-continue"', page)[1])
    assert f'<meta http-equiv="refresh" content="0;url={escape(link)}">' in page
    return link


def sso_refusals(firm) -> list[str]:
    rows = AuditEvent.objects.filter(firm=firm, action="sign_in.sso_refused")
    return [row.details["code"] for row in rows.order_by("id")]


# -- Settings ---------------------------------------------------------------------------


def test_the_settings_read_the_discovery_and_never_show_the_secret_back(provider, firm, make_user):
    mia = manager(make_user, firm)
    browser = signed_in(mia)
    confirmed(browser, mia)  # naming the provider needs a code confirmed lately
    page = browser.get("/settings/security/").content.decode()
    assert CALLBACK in page  # the redirect address to register with the provider
    answer = browser.post(
        "/settings/security/sso/",
        {"issuer": provider, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert answer.status_code == 302
    stored = SingleSignOn.objects.get(firm=firm)
    assert stored.token_endpoint.startswith(provider) and stored.jwks_uri.startswith(provider)
    page = browser.get("/settings/security/").content.decode()
    assert provider in page and CLIENT_SECRET not in page
    # Saved again without retyping the secret: the stored one stays.
    browser.post(
        "/settings/security/sso/",
        {"issuer": provider, "client_id": CLIENT_ID, "client_secret": "", "sso_only": "on"},
    )
    stored.refresh_from_db()
    assert stored.client_secret == CLIENT_SECRET and stored.sso_only
    trail = AuditEvent.objects.filter(firm=firm, action="sso.settings_changed").order_by("id")
    assert [row.details["changes"].keys() >= {"issuer"} for row in trail][:1] == [True]
    assert trail.last().details["changes"] == {"sso_only": [False, True]}
    assert CLIENT_SECRET not in str(list(trail.values_list("details", flat=True)))


def test_an_issuer_that_does_not_answer_is_refused_beside_its_field(firm, make_user):
    mia = manager(make_user, firm)
    browser = signed_in(mia, "fr")
    confirmed(browser, mia)
    from tests.oidc import free_port

    answer = browser.post(
        "/settings/security/sso/",
        {
            "issuer": f"http://127.0.0.1:{free_port()}",
            "client_id": CLIENT_ID,
            "client_secret": "x",
        },
    )
    assert answer.status_code == 422
    assert "Aucun fournisseur OpenID Connect" in answer.content.decode()
    assert not SingleSignOn.objects.exists()


def test_only_the_settings_right_sets_single_sign_on(firm, make_user):
    bob = member(make_user, firm, "bob")
    answer = signed_in(bob).post(
        "/settings/security/sso/", {"issuer": "https://id.example", "client_id": "x"}
    )
    assert answer.status_code == 302 and not SingleSignOn.objects.exists()


# -- Signing in through the real provider -------------------------------------------------


def test_a_member_signs_in_through_the_firms_provider(provider, firm, make_user):
    configure(firm, manager(make_user, firm), provider)
    firm.two_factors_required = True
    firm.save()
    alice = member(make_user, firm, "alice")
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    login_page = browser.get("/login/").content.decode()
    assert "Se connecter avec l'authentification unique de votre cabinet" in login_page
    authorize = start(browser, "alice@cabinet.example")
    query = parse_qs(urlparse(authorize).query)
    assert authorize.startswith(provider)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = through_provider(authorize, login="ALICE@Cabinet.example", back_to=CALLBACK)
    answer = browser.get(back.removeprefix("http://testserver"))
    assert answer.status_code == 302 and answer["Location"] == "/billing/invoices/"
    # The provider counts as two factors: the invoices, not the authenticator's setup.
    assert browser.get("/billing/invoices/").status_code == 200
    signed = AuditEvent.objects.get(firm=firm, action="sign_in.succeeded")
    assert signed.details["second_factor"] == "sso" and signed.actor_id == alice.pk


@pytest.mark.parametrize(
    ("login", "code"),
    [
        ("nobody@cabinet.example", "unknown_email"),
        ("gone@cabinet.example", "member_deactivated"),
        ("unverified@cabinet.example", "email_not_verified"),
        ("erin@cabinet.example", "unknown_email"),  # a member of another firm
    ],
)
def test_the_provider_vouches_for_someone_who_may_not_come_in(
    provider, firm, make_firm, make_user, login, code
):
    configure(firm, manager(make_user, firm), provider)
    member(make_user, make_firm("Autre cabinet"), "erin")
    member(make_user, firm, "gone", active=False)
    member(make_user, firm, "unverified")
    browser = Browser()
    authorize = start(browser, "mia@cabinet.example")
    back = through_provider(authorize, login=login, back_to=CALLBACK)
    answer = browser.get(back.removeprefix("http://testserver"))
    assert answer.status_code == 403
    assert f'data-code="{code}"' in answer.content.decode()
    assert "_auth_user_id" not in browser.session
    assert sso_refusals(firm) == [code]


def test_an_answer_with_another_state_is_refused(provider, firm, make_user):
    configure(firm, manager(make_user, firm), provider)
    member(make_user, firm, "alice")
    browser = Browser()
    authorize = start(browser, "alice@cabinet.example")
    back = through_provider(authorize, login="alice@cabinet.example", back_to=CALLBACK)
    state = parse_qs(urlparse(back).query)["state"][0]
    forged = back.removeprefix("http://testserver").replace(state, "another-state")
    answer = browser.get(forged)
    assert answer.status_code == 403 and 'data-code="wrong_state"' in answer.content.decode()
    assert "_auth_user_id" not in browser.session
    # The flow is spent: the right answer afterwards finds nothing to finish.
    again = browser.get(back.removeprefix("http://testserver"))
    assert 'data-code="wrong_state"' in again.content.decode()
    assert sso_refusals(firm) == ["wrong_state"]


def test_an_address_whose_firm_has_no_single_sign_on_is_told_so(firm, make_firm, make_user):
    member(make_user, firm, "alice")
    for email in ("alice@cabinet.example", "nobody@nowhere.example"):
        answer = Browser(HTTP_ACCEPT_LANGUAGE="fr").post("/login/sso/", {"email": email})
        assert answer.status_code == 404
        assert 'data-code="sso_not_configured"' in answer.content.decode()
        assert "authentification unique n&#x27;est pas" in answer.content.decode()


# -- "SSO only" -------------------------------------------------------------------------


def test_sso_only_refuses_passwords_but_to_the_settings_right(provider, firm, make_user):
    mia = manager(make_user, firm)
    configure(firm, mia, provider, sso_only=True)
    bob = member(make_user, firm, "bob")
    refused = Browser(HTTP_ACCEPT_LANGUAGE="fr").post(
        "/login/", {"username": "bob", "password": "pw-bob"}
    )
    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'data-code="sso_only"' in page and "authentification unique de votre cabinet" in page
    assert AuditEvent.objects.filter(action="sign_in.sso_only", target_id=str(bob.pk)).exists()
    # A wrong password gets the same answer: the page never tells a right one apart.
    wrong = Browser(HTTP_ACCEPT_LANGUAGE="fr").post(
        "/login/", {"username": "bob", "password": "not-bob"}
    )
    assert wrong.status_code == 403 and 'data-code="sso_only"' in wrong.content.decode()
    kept = Browser().post("/login/", {"username": "mia", "password": "pw-mia"})
    assert kept.status_code == 302


# -- The ID token's checks, with tokens signed here ---------------------------------------

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
ISSUER = "https://id.cabinet.example"


@pytest.fixture
def signed_flow(firm, make_user, monkeypatch):
    """The firm's provider is ISSUER; its token address answers the ID token the test
    makes (from the nonce the flow sent), its keys address KEY's public half."""
    discovery = oidc.Discovery(ISSUER, f"{ISSUER}/auth", f"{ISSUER}/token", f"{ISSUER}/jwks")
    access_actions.save_single_sign_on(
        firm,
        by=manager(make_user, firm),
        fields={"issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        discover=lambda issuer: discovery,
    )
    member(make_user, firm, "alice")

    def run(change=lambda claims: claims, key=KEY):
        browser = Browser()
        authorize = parse_qs(urlparse(start(browser, "alice@cabinet.example")).query)
        claims = change(
            {
                "iss": ISSUER,
                "aud": CLIENT_ID,
                "sub": "alice",
                "email": "alice@cabinet.example",
                "email_verified": True,
                "nonce": authorize["nonce"][0],
                "iat": int(time.time()),
                "exp": int(time.time()) + 300,
            }
        )
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/token":
                assert b"code_verifier=" in request.content
                body = {"access_token": "a", "token_type": "Bearer", "id_token": id_token}
                return httpx.Response(200, json=body)
            return httpx.Response(200, json=KeySet([KEY]).as_dict(private=False))

        monkeypatch.setattr("facturier.web.sso.oidc_transport", lambda: httpx.MockTransport(answer))
        state = authorize["state"][0]
        return browser, browser.get(f"/login/sso/callback/?code=c&state={state}")

    return run


def test_a_token_signed_by_the_firms_provider_signs_in(signed_flow):
    browser, answer = signed_flow()
    assert answer.status_code == 302 and "_auth_user_id" in browser.session


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda c: c | {"nonce": "another"}, "wrong_nonce"),
        (lambda c: c | {"iss": "https://elsewhere.example"}, "wrong_issuer"),
        (lambda c: c | {"aud": "another-client"}, "wrong_audience"),
        (
            lambda c: c | {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "id_token_expired",
        ),
    ],
)
def test_a_wrong_id_token_opens_no_session(signed_flow, firm, change, code):
    browser, answer = signed_flow(change)
    assert answer.status_code == 403 and f'data-code="{code}"' in answer.content.decode()
    assert "_auth_user_id" not in browser.session
    assert sso_refusals(firm) == [code]


def test_a_token_signed_with_another_key_opens_no_session(signed_flow, firm):
    browser, answer = signed_flow(key=OTHER_KEY)
    assert 'data-code="bad_signature"' in answer.content.decode()
    assert "_auth_user_id" not in browser.session
    assert sso_refusals(firm) == ["bad_signature"]


def test_addresses_tried_one_after_another_are_limited_as_passwords_are(firm, make_user):
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    for number in range(20):
        answer = browser.post("/login/sso/", {"email": f"essai{number}@nowhere.example"})
        assert answer.status_code == 404
    answer = browser.post("/login/sso/", {"email": "encore@nowhere.example"})
    assert answer.status_code == 429 and 'data-code="rate_limited"' in answer.content.decode()
