"""Who a single sign-on signs in, made safe for Microsoft Entra ID (whose ID tokens
carry no email_verified): a member is linked to their identity at the provider at their
first sign-in and matched by it afterwards, never by e-mail again. The provider is the
real one of tests/oidc.py, here leaving email_verified out for some users."""

import pytest
from django.core.cache import cache
from django.test import Client as Browser

from facturier.access import actions as access_actions
from facturier.access.models import SingleSignOn, SsoIdentity
from facturier.firms.models import AuditEvent
from tests.access.test_sso import CALLBACK, configure, manager, member, sso_refusals, start
from tests.oidc import running_provider, through_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(django_db_blocker):
    with django_db_blocker.unblock():
        cache.clear()
    yield


@pytest.fixture(scope="module")
def provider():
    users = {
        # As Entra ID: no email_verified claim at all.
        "entra-carol": {"email": "carol@cabinet.example", "email_verified": None},
        "alice-at-provider": {"email": "alice@cabinet.example"},
        # Someone who later puts Alice's address on their own account there.
        "mallory": {"email": "alice@cabinet.example"},
    }
    with running_provider([CALLBACK], users) as issuer:
        yield issuer


def sign_in(login: str, email: str):
    browser = Browser()
    back = through_provider(start(browser, email), login=login, back_to=CALLBACK)
    return browser, browser.get(back.removeprefix("http://testserver"))


def test_without_email_verified_the_first_link_needs_the_firms_trust(provider, firm, make_user):
    admin = manager(make_user, firm)
    configure(firm, admin, provider)
    carol = member(make_user, firm, "carol")
    _browser, refused = sign_in("entra-carol", "carol@cabinet.example")
    assert refused.status_code == 403
    assert 'data-code="email_not_verified"' in refused.content.decode()
    assert not SsoIdentity.objects.exists()

    SingleSignOn.objects.filter(firm=firm).update(trust_provider_emails=True)
    browser, signed = sign_in("entra-carol", "carol@cabinet.example")
    assert signed.status_code == 302 and browser.session["_auth_user_id"] == str(carol.pk)
    identity = SsoIdentity.objects.get(user=carol)
    assert identity.subject == "sub:entra-carol" and identity.issuer == provider
    linked = AuditEvent.objects.get(firm=firm, action="sso.identity_linked")
    assert linked.details["email_verified"] is False

    # Linked: trust withdrawn, Carol still comes in, by her identity there.
    SingleSignOn.objects.filter(firm=firm).update(trust_provider_emails=False)
    browser, again = sign_in("entra-carol", "carol@cabinet.example")
    assert again.status_code == 302 and browser.session["_auth_user_id"] == str(carol.pk)


def test_once_linked_a_member_is_matched_by_identity_never_by_email(provider, firm, make_user):
    configure(firm, manager(make_user, firm), provider)
    alice = member(make_user, firm, "alice")
    browser, signed = sign_in("alice-at-provider", "alice@cabinet.example")
    assert signed.status_code == 302
    # Another account at the provider with Alice's (verified) address: refused.
    thief, refused = sign_in("mallory", "alice@cabinet.example")
    assert refused.status_code == 403
    assert 'data-code="sso_identity_mismatch"' in refused.content.decode()
    assert "_auth_user_id" not in thief.session
    assert sso_refusals(firm) == ["sso_identity_mismatch"]
    # Alice's address changes here: her identity at the provider still signs her in.
    alice.email = "alice.martin@cabinet.example"
    alice.save()
    browser, again = sign_in("alice-at-provider", "mia@cabinet.example")
    assert again.status_code == 302 and browser.session["_auth_user_id"] == str(alice.pk)


def test_entra_ids_tenant_and_object_ids_name_the_member(firm, make_user):
    sso = SingleSignOn.objects.create(
        firm=firm,
        issuer="https://login.microsoftonline.com/tenant-1/v2.0",
        client_id="app",
        client_secret="s",
        authorization_endpoint="https://login.microsoftonline.com/a",
        token_endpoint="https://login.microsoftonline.com/t",
        jwks_uri="https://login.microsoftonline.com/k",
        trust_provider_emails=True,
    )
    dan = member(make_user, firm, "dan")
    claims = {
        "sub": "pairwise-1",
        "oid": "object-9",
        "tid": "tenant-1",
        "email": "dan@cabinet.example",
    }
    assert access_actions.member_for_claims(sso, claims=claims) == dan
    assert SsoIdentity.objects.get(user=dan).subject == "oid:tenant-1:object-9"
    # Another application's `sub`, another address: the same object id is still Dan.
    moved = {
        "sub": "pairwise-2",
        "oid": "object-9",
        "tid": "tenant-1",
        "email": "x@elsewhere.example",
    }
    assert access_actions.member_for_claims(sso, claims=moved) == dan


def test_the_trust_setting_is_a_sensitive_change_and_says_why(provider, firm, make_user):
    admin = manager(make_user, firm)
    configure(firm, admin, provider)
    browser = Browser(HTTP_ACCEPT_LANGUAGE="fr")
    browser.force_login(admin)
    page = browser.get("/settings/security/").content.decode()
    assert "Microsoft Entra ID n&#x27;envoie pas email_verified" in page
    assert "trust_provider_emails" in access_actions.SSO_SENSITIVE_FIELDS


def _sso(firm, issuer: str) -> SingleSignOn:
    return SingleSignOn.objects.create(
        firm=firm,
        issuer=issuer,
        client_id="app",
        client_secret="s",
        authorization_endpoint=f"{issuer}/a",
        token_endpoint=f"{issuer}/t",
        jwks_uri=f"{issuer}/k",
        trust_provider_emails=True,
    )


def test_tenant_and_object_ids_count_only_from_entra_id(firm, make_user):
    """Elsewhere `tid`/`oid` are ordinary claims someone may set on their account."""
    from facturier.access.actions.sso import identity_key
    from facturier.access.errors import SingleSignOnRefused

    sso = _sso(firm, "https://idp.example/realms/cabinet")
    erin = member(make_user, firm, "erin")
    claims = {
        "sub": "erin-1",
        "oid": "object-9",
        "tid": "tenant-1",
        "email": "erin@cabinet.example",
    }
    assert access_actions.member_for_claims(sso, claims=claims) == erin
    assert SsoIdentity.objects.get(user=erin).subject == "sub:erin-1"
    forged = {"sub": "other", "oid": "object-9", "tid": "tenant-1", "email": "x@y.example"}
    with pytest.raises(SingleSignOnRefused):
        access_actions.member_for_claims(sso, claims=forged)
    assert identity_key(claims, issuer="https://sts.windows.net/tenant-1/") == (
        "oid:tenant-1:object-9"
    )
    assert identity_key(claims, issuer="https://login.microsoftonline.com.evil.example/x") == (
        "sub:erin-1"
    )


def test_two_first_sign_ins_at_once_link_one_identity(firm, make_user):
    """The other sign-in links the member between the check and the insert: refused
    with its code (409), not an error page."""
    from django.db.models.signals import pre_save

    from facturier.access.errors import SsoSignInConcurrent

    sso = _sso(firm, "https://idp.example/realms/cabinet")
    fay = member(make_user, firm, "fay")

    def rival(sender, instance, **kwargs):
        if instance.subject == "sub:fay-2":
            SsoIdentity.objects.create(
                firm=firm,
                user=fay,
                issuer=sso.issuer,
                subject="sub:fay-1",
                linked_at=instance.linked_at,
            )

    pre_save.connect(rival, sender=SsoIdentity)
    try:
        with pytest.raises(SsoSignInConcurrent) as refused:
            access_actions.member_for_claims(
                sso, claims={"sub": "fay-2", "email": "fay@cabinet.example"}
            )
    finally:
        pre_save.disconnect(rival, sender=SsoIdentity)
    assert (refused.value.code, refused.value.status) == ("sso_sign_in_concurrent", 409)
    assert not SsoIdentity.objects.filter(subject="sub:fay-2").exists()
    assert not AuditEvent.objects.filter(action="sso.identity_linked").exists()
