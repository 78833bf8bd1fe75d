"""Signing in to the portal: the link by e-mail over real SMTP, once, for 15 minutes,
kept hashed; the same answer for any address; limits per address and per IP; sessions
apart from staff ones; every refusal with its code."""

import datetime
import hashlib
import html

import pytest
from django.core.cache import cache
from django.test import Client as Browser
from django.utils import timezone

from facturier.access.models import AccountEmail
from facturier.clients import actions as client_actions
from facturier.core.errors import NotAllowed
from facturier.firms.models import AuditEvent
from facturier.portal import actions
from facturier.portal.errors import (
    AccessRevoked,
    ContactArchived,
    ContactOfAnotherClient,
    LinkExpired,
    LinkInvalid,
    LinkUsed,
)
from facturier.portal.models import PortalAccess, PortalSession, SignInLink, new_secret
from facturier.portal.session import COOKIE

from .conftest import SITE, link_in, run_worker, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


def _known_link(access) -> str:
    """The raw form of the access's latest link (its hash replaced by one we know)."""
    raw, digest = new_secret()
    SignInLink.objects.filter(pk=access.links.order_by("-pk").first().pk).update(digest=digest)
    return raw


@pytest.mark.django_db(transaction=True)
def test_the_link_arrives_by_smtp_signs_in_once_and_is_kept_hashed(
    smtp_server, contact, alice, issued
):
    staff = Browser()
    staff.force_login(alice)
    answer = staff.post(
        f"/billing/clients/{contact.client_id}/portal/invite/", {"contact": contact.pk}
    )
    assert answer.status_code == 302
    assert smtp_server.handler.received == []  # the worker sends it, not the page
    run_worker()
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["jeanne@client.example"]
    assert message["Subject"] == "Cabinet Test vous ouvre son espace client"
    text = message.get_body(("plain",)).get_content()
    assert "le lien sert une fois, pendant 15 minutes" in text
    link = link_in(text)
    raw = link.rstrip("/").rsplit("/", 1)[1]
    stored = SignInLink.objects.get()
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(SignInLink.objects.values()))
    assert AccountEmail.objects.get().purpose == "portal_link"

    browser = Browser()
    assert browser.get(link).status_code == 200  # a confirmation: a mail scanner spends nothing
    assert SignInLink.objects.get().used_at is None
    signed = browser.post(link)
    assert signed.status_code == 302 and signed["Location"] == "/portal/home/"
    cookie = browser.cookies[COOKIE]
    assert cookie["path"] == "/portal/" and cookie["httponly"]
    home = browser.get("/portal/home/").content.decode()
    assert "Ce que vous devez" in home and issued[0].number in home and issued[1].number in home
    again = Browser().post(link)
    assert again.status_code == 410 and b'data-code="link_used"' in again.content
    assert Browser().get(link).status_code == 410  # said before the button, once spent
    assert AuditEvent.objects.filter(action="portal_session.opened").count() == 1


def test_an_expired_a_reused_and_an_unknown_link_are_refused_with_their_codes(contact, alice):
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    raw = _known_link(access)
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    with pytest.raises(LinkExpired) as expired:
        actions.open_session(raw, now=later)
    assert expired.value.code == "link_expired"
    assert PortalSession.objects.count() == 0  # nothing half-written
    actions.open_session(raw)
    with pytest.raises(LinkUsed):
        actions.open_session(raw)
    with pytest.raises(LinkInvalid):
        actions.open_session("not-a-link-we-gave")
    page = Browser().post("/portal/link/not-a-link-we-gave/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 410
    assert "Ce lien de connexion n'est pas valable" in html.unescape(page.content.decode())


def test_asking_reads_the_same_for_a_known_and_an_unknown_address(contact, alice):
    actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    before = AccountEmail.objects.count()
    known = Browser().post("/portal/", {"email": "jeanne@client.example"}, REMOTE_ADDR="10.0.0.1")
    unknown = Browser().post("/portal/", {"email": "nobody@client.example"}, REMOTE_ADDR="10.0.0.2")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, email: r.content.decode().replace(email, "X")  # noqa: E731
    assert strip(known, "jeanne@client.example") == strip(unknown, "nobody@client.example")
    assert AccountEmail.objects.count() == before + 1  # a link only to the known one


def test_links_asked_for_are_limited_per_address_and_per_ip(contact, alice):
    actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    browser = Browser()
    for _ in range(5):
        ok = browser.post("/portal/", {"email": "jeanne@client.example"}, REMOTE_ADDR="10.0.0.3")
        assert ok.status_code == 200
    refused = browser.post("/portal/", {"email": "jeanne@client.example"}, REMOTE_ADDR="10.0.0.4")
    assert refused.status_code == 429 and b'data-code="rate_limited"' in refused.content
    for n in range(20):
        browser.post("/portal/", {"email": f"x{n}@example.com"}, REMOTE_ADDR="10.0.0.5")
    by_ip = browser.post(
        "/portal/",
        {"email": "someone@example.com"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert by_ip.status_code == 429
    assert "Trop de liens de connexion demandés" in by_ip.content.decode()


def test_staff_and_portal_sessions_never_open_each_other(portal, alice):
    staff = Browser()
    staff.force_login(alice)
    assert staff.get("/portal/home/")["Location"] == "/portal/"
    assert portal.get("/billing/invoices/")["Location"].startswith("/login/")
    assert portal.get("/api/v1/invoices/").status_code in (401, 403)


def test_a_contact_of_another_client_and_an_archived_client_are_refused(
    contact, alice, make_client, firm, make_user, staff
):
    other = make_client(firm, "Autre SARL")
    other.owners.add(alice)
    with pytest.raises(ContactOfAnotherClient) as wrong:
        actions.invite_contact(other, by=alice, contact=contact, site=SITE)
    assert wrong.value.code == "contact_of_another_client"
    assert PortalAccess.objects.count() == 0 and AccountEmail.objects.count() == 0
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    raw = _known_link(access)
    settings_user = make_user("sam", firm)
    settings_user.user_permissions.add(
        __import__("django.contrib.auth.models", fromlist=["Permission"]).Permission.objects.get(
            codename="manage_templates"
        )
    )
    settings_user = type(settings_user).objects.get(pk=settings_user.pk)
    client_actions.archive_client(contact.client, by=settings_user)
    with pytest.raises(ContactArchived) as archived:
        actions.open_session(raw)
    assert archived.value.code == "contact_archived"
    with pytest.raises(ContactArchived):
        actions.invite_contact(contact.client, by=settings_user, contact=contact, site=SITE)
    with pytest.raises(NotAllowed):
        actions.invite_contact(contact.client, by=staff["owner_only"], contact=contact, site=SITE)


def test_an_archived_client_or_a_revoked_access_closes_open_sessions(portal, contact, alice):
    assert portal.get("/portal/home/").status_code == 200
    access = PortalAccess.objects.get(contact=contact)
    actions.revoke_access(access, by=alice)
    assert portal.get("/portal/home/")["Location"] == "/portal/"
    assert PortalSession.objects.count() == 0
    # Invited again, a new link; an old link spent before the revocation stays dead.
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    browser = signed_in(access)
    assert browser.get("/portal/home/").status_code == 200
    with pytest.raises((AccessRevoked, LinkUsed, LinkInvalid)):
        actions.open_session("x")


def test_signing_out_ends_the_session(portal):
    assert portal.post("/portal/sign-out/").status_code == 302
    assert PortalSession.objects.count() == 0
    assert portal.get("/portal/home/")["Location"] == "/portal/"


def test_an_english_contact_reads_the_portal_in_english(contact, alice, issued):
    contact.language = "en"
    contact.save()
    access = actions.invite_contact(contact.client, by=alice, contact=contact, site=SITE)
    english = AccountEmail.objects.get()
    assert english.subject == "Cabinet Test opens its client portal to you"
    page = signed_in(access).get("/portal/home/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "What you owe" in page, page
    assert "Overdue" in page, page


@pytest.mark.django_db
def test_the_portal_offers_a_skip_link_to_its_content_in_french():
    page = Browser(HTTP_ACCEPT_LANGUAGE="fr").get("/portal/").content.decode()
    body = page.split("<body", 1)[1]
    first_link = body.split("<a ", 1)[1].split(">", 2)
    assert 'href="#content"' in first_link[0] and first_link[1].startswith("Aller au contenu")
    assert '<main class="container" id="content" tabindex="-1">' in page
