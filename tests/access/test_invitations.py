"""Inviting a colleague: the e-mail over real SMTP once the worker runs, acceptance
making the member with the rights given, and every refusal with its code."""

import datetime

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.utils import timezone

from facturier.access.actions import (
    accept_invitation,
    invite_member,
    resend_invitation,
    revoke_invitation,
)
from facturier.access.errors import AlreadyMember, InvitationExpired
from facturier.access.models import AccountEmail, Invitation
from facturier.core.errors import Invalid, NotAllowed
from facturier.firms.models import AuditEvent, User
from facturier.firms.permissions import holds

from .conftest import link_in

SITE = "http://testserver/"
PROCESSING = "invoicing.process_invoices"


def invite(by, email="claire@cabinet.example", rights=(PROCESSING,)):
    return invite_member(by=by, email=email, rights=list(rights), site=SITE, language="fr")


def run_worker():
    call_command("outbox_worker", once=True, interval=0)


@pytest.mark.django_db(transaction=True)
def test_the_invitation_arrives_by_smtp_and_makes_the_member(smtp_server, admin_member):
    browser = Browser()
    browser.force_login(admin_member)
    answer = browser.post(
        "/settings/staff/", {"email": "Claire@Cabinet.example", "rights": [PROCESSING]}
    )
    assert answer.status_code == 302
    assert smtp_server.handler.received == []  # the worker sends it, not the page
    run_worker()
    [(recipients, message)] = smtp_server.handler.received
    assert recipients == ["claire@cabinet.example"]
    assert AccountEmail.objects.get().status == "sent"
    link = link_in(message)
    invitee = Browser()
    assert invitee.get(link).status_code == 200
    weak = invitee.post(
        link,
        {"first_name": "Claire", "last_name": "Martin", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 422 and not User.objects.filter(email="claire@cabinet.example")
    done = invitee.post(
        link,
        {
            "first_name": "Claire",
            "last_name": "Martin",
            "password1": "Lune-de-mars-42",
            "password2": "Lune-de-mars-42",
        },
    )
    assert done.status_code == 302
    claire = User.objects.get(email="claire@cabinet.example")
    assert claire.firm == admin_member.firm and claire.get_full_name() == "Claire Martin"
    assert holds(claire, PROCESSING) and not holds(claire, "invoicing.manage_templates")
    assert invitee.get("/settings/tokens/").status_code == 200  # signed in
    reused = Browser().get(link)
    assert reused.status_code == 410 and b'data-code="invitation_used"' in reused.content
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=claire).exists()


def test_an_address_already_a_member_of_any_firm_is_refused(admin_member, make_firm, make_user):
    other = make_user("erin", make_firm("Autre cabinet"))
    other.email = "erin@autre.example"
    other.save()
    with pytest.raises(AlreadyMember) as refused:
        invite(admin_member, "ERIN@autre.example")
    assert refused.value.code == "already_member"
    assert not Invitation.objects.exists() and not AccountEmail.objects.exists()
    browser = Browser()
    browser.force_login(admin_member)
    page = browser.post("/settings/staff/", {"email": "erin@autre.example"})
    assert page.status_code == 409
    assert "already belongs to a member" in page.content.decode()


def test_an_expired_link_creates_nobody(admin_member, monkeypatch):
    invite(admin_member)
    raw = "unused"
    invitation = Invitation.objects.get()
    # Its link: a resend gives a fresh one we can read back from the e-mail's body.
    resend_invitation(invitation, by=admin_member, site=SITE, language="en")
    body = AccountEmail.objects.order_by("-pk").first().body
    raw = body.split("/invitations/")[1].split("/")[0]
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(InvitationExpired):
        accept_invitation(raw, first_name="C", last_name="M", password="Lune-de-mars-42")
    page = Browser().post(
        f"/invitations/{raw}/",
        {
            "first_name": "C",
            "last_name": "M",
            "password1": "Lune-de-mars-42",
            "password2": "Lune-de-mars-42",
        },
    )
    assert page.status_code == 410 and b'data-code="invitation_expired"' in page.content
    assert not User.objects.filter(email="claire@cabinet.example").exists()


def test_a_resend_kills_the_old_link_and_a_revoke_the_new_one(admin_member):
    invite(admin_member)
    first = AccountEmail.objects.get().body.split("/invitations/")[1].split("/")[0]
    invitation = resend_invitation(
        Invitation.objects.get(), by=admin_member, site=SITE, language="fr"
    )
    second = AccountEmail.objects.order_by("-pk").first().body.split("/invitations/")[1]
    second = second.split("/")[0]
    old = Browser().get(f"/invitations/{first}/")
    assert old.status_code == 410 and b'data-code="invitation_revoked"' in old.content
    assert Browser().get(f"/invitations/{second}/").status_code == 200
    revoke_invitation(invitation, by=admin_member)
    assert Browser().get(f"/invitations/{second}/").status_code == 410
    assert Browser().get("/invitations/not-a-link/").status_code == 410
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-3:] == ["invitation.sent", "invitation.resent", "invitation.revoked"]


def test_inviting_needs_the_settings_right(firm, make_user):
    member = make_user("plain", firm, processing=True)
    with pytest.raises(NotAllowed):
        invite(member)
    browser = Browser()
    browser.force_login(member)
    assert browser.get("/settings/staff/").status_code == 302


def test_a_bad_address_or_right_is_refused_with_nothing_written(admin_member):
    with pytest.raises(Invalid):
        invite(admin_member, "not an address")
    with pytest.raises(Invalid):
        invite(admin_member, rights=["auth.delete_user"])
    assert not Invitation.objects.exists()


def test_a_colleague_joining_a_firm_that_requires_two_factors_sets_one_up_first(admin_member):
    from facturier.firms import actions as firm_actions

    firm_actions.update_firm_settings(
        admin_member.firm_id, by=admin_member, fields={"two_factors_required": True}
    )
    invite(admin_member)
    raw = AccountEmail.objects.get().body.split("/invitations/")[1].split("/")[0]
    browser = Browser()
    joined = browser.post(
        f"/invitations/{raw}/",
        {
            "first_name": "Claire",
            "last_name": "Martin",
            "password1": "Lune-de-mars-42",
            "password2": "Lune-de-mars-42",
        },
    )
    assert joined.status_code == 302
    led = browser.get("/billing/invoices/")
    assert led.status_code == 302 and led["Location"] == "/settings/security/"
