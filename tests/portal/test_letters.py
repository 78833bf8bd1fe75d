"""Accepting an engagement letter online: the contact reads the PDF sent, types their
name and ticks the box; the evidence is kept (who, when, from where, the SHA-256 of the
exact PDF), an evidence page is appended to the signed letter, the letter is signed and
the engagement's history says so. A new version needs a new acceptance; a draft is never
shown; a letter of another client answers 404."""

import hashlib
import html
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from facturier.engagements import actions as engagements
from facturier.engagements.letter_models import EngagementLetter
from facturier.firms.models import AuditEvent
from facturier.portal import actions
from facturier.portal.errors import DocumentChanged, NotAwaitingSignature
from facturier.portal.models import Acceptance

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (Android 15; Mobile)"
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def shown_sha(page) -> str:
    return re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page.content.decode())[1]


def accept(portal, letter, sha, **extra):
    return portal.post(
        f"/portal/letters/{letter.pk}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": sha, **extra},
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR="198.51.100.4",
    )


def test_the_contact_reads_and_accepts_the_letter(portal, letter, contact, client, alice):
    listed = html.unescape(portal.get("/portal/letters/", **FR).content.decode())
    assert "LM-PORTAIL-1" in listed and "Lire et accepter" in listed
    page = portal.get(f"/portal/letters/{letter.pk}/", **FR)
    assert "J'ai lu la lettre de mission et je l'accepte." in html.unescape(page.content.decode())
    shown = portal.get(f"/portal/letters/{letter.pk}/pdf/").content
    assert shown == bytes(letter.pdf)
    assert hashlib.sha256(shown).hexdigest() == shown_sha(page)

    assert accept(portal, letter, shown_sha(page)).status_code == 302
    letter.refresh_from_db()
    assert letter.status == "signed" and letter.signed_on is not None
    evidence = Acceptance.objects.get()
    assert (evidence.target_type, evidence.target_id) == (
        "engagements.engagementletter",
        str(letter.pk),
    )
    assert evidence.contact == contact and evidence.signer_name == "Jeanne Martin"
    assert evidence.ip == "198.51.100.4" and evidence.user_agent == UA
    assert evidence.document_sha256 == hashlib.sha256(shown).hexdigest()
    stored = PdfReader(io.BytesIO(bytes(letter.signed_pdf)))
    assert bytes(letter.signed_pdf) == bytes(evidence.signed_pdf)
    assert len(stored.pages) == len(PdfReader(io.BytesIO(shown)).pages) + 1
    last = stored.pages[-1].extract_text()
    assert "Preuve d'acceptation" in last and evidence.document_sha256 in last
    assert "198.51.100.4" in last and "Jeanne Martin" in last and "LM-PORTAIL-1" in last
    assert portal.get(f"/portal/letters/{letter.pk}/pdf/").content == bytes(letter.signed_pdf)
    after = html.unescape(portal.get(f"/portal/letters/{letter.pk}/", **FR).content.decode())
    assert "Acceptée en ligne par Jeanne Martin" in after and 'name="signer_name"' not in after

    signed = AuditEvent.objects.get(action="engagement_letter.signed")
    assert signed.details["online"] and signed.details["evidence"] == evidence.pk
    # The firm reads it on the engagement's history.
    client.force_login(alice)
    history = client.get(reverse("billing:engagement", args=[letter.engagement_id]), **FR)
    assert "Acceptée en ligne par Jeanne Martin" in html.unescape(history.content.decode())


def test_a_new_version_needs_a_new_acceptance(portal, letter, alice):
    page = portal.get(f"/portal/letters/{letter.pk}/")
    sha = shown_sha(page)
    engagement = engagements.amend_engagement(
        letter.engagement, by=alice, fields={"notice_months": 6}
    )
    refused = accept(portal, letter, sha)
    assert refused.status_code == 200  # the form is gone: this version is outdated
    assert 'name="signer_name"' not in refused.content.decode()
    letter.refresh_from_db()
    assert letter.status == "sent" and not Acceptance.objects.exists()
    french = letter.template
    second = engagements.send_letter(
        engagements.create_letter(engagement, by=alice, template=french), by=alice
    )
    page = portal.get(f"/portal/letters/{second.pk}/")
    assert accept(portal, second, shown_sha(page)).status_code == 302
    second.refresh_from_db()
    letter.refresh_from_db()
    assert (second.version, second.status, letter.status) == (2, "signed", "sent")


def test_a_pdf_other_than_the_one_shown_a_missing_name_and_box_are_refused(portal, letter, contact):
    changed = accept(portal, letter, "0" * 64)
    assert changed.status_code == 409 and b'data-code="document_changed"' in changed.content
    empty = portal.post(
        f"/portal/letters/{letter.pk}/",
        {"signer_name": " ", "document_sha256": hashlib.sha256(bytes(letter.pdf)).hexdigest()},
    )
    assert empty.status_code == 422 and b"aria-invalid" in empty.content
    letter.refresh_from_db()
    assert letter.status == "sent" and not Acceptance.objects.exists()
    with pytest.raises(DocumentChanged):
        actions.accept_letter(
            letter, contact=contact, signer_name="J", accepted=True, shown_sha256="ab" * 32
        )


def test_a_letter_accepted_already_or_a_draft_is_refused(portal, letter, contact, alice):
    sha = hashlib.sha256(bytes(letter.pdf)).hexdigest()
    actions.accept_letter(letter, contact=contact, signer_name="J", accepted=True, shown_sha256=sha)
    with pytest.raises(NotAwaitingSignature):
        actions.accept_letter(
            letter, contact=contact, signer_name="J", accepted=True, shown_sha256=sha
        )
    assert Acceptance.objects.count() == 1
    draft = engagements.create_letter(
        engagements.amend_engagement(letter.engagement, by=alice, fields={"notice_months": 6}),
        by=alice,
        template=letter.template,
    )
    assert portal.get(f"/portal/letters/{draft.pk}/").status_code == 404
    assert "LM-PORTAIL-1" in portal.get("/portal/letters/").content.decode()
    assert EngagementLetter.objects.get(pk=draft.pk).status == "draft"


def test_a_letter_accepted_online_drafts_its_deposit(portal, letter, alice):
    from decimal import Decimal

    from facturier.engagements.models import Engagement

    Engagement.objects.filter(pk=letter.engagement_id).update(deposit_amount=Decimal("500"))
    page = portal.get(f"/portal/letters/{letter.pk}/", **FR)
    assert accept(portal, letter, shown_sha(page)).status_code == 302
    engagement = Engagement.objects.get(pk=letter.engagement_id)
    deposit = engagement.deposit_invoice
    assert deposit is not None and deposit.deposit and deposit.status == "draft"
    assert deposit.total_net == Decimal("500.00")
    assert deposit.created_by_id == engagement.responsible_id
