"""Signing a direct-debit mandate online: the evidence kept (contact, time, IP, browser,
the SHA-256 of the exact PDF shown), an evidence page appended to the signed PDF, the
mandate active; a mandate changed since it was shown, a missing name or box, and a
mandate not pending are refused with nothing written."""

import hashlib
import html
import io
import re

import pytest
from pypdf import PdfReader

from facturier.firms.models import AuditEvent
from facturier.portal import actions
from facturier.portal.documents import mandate_pdf
from facturier.portal.errors import DocumentChanged, NotAwaitingSignature
from facturier.portal.models import Acceptance
from facturier.receivables.models import Mandate

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"


def shown_sha(page) -> str:
    return re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page.content.decode())[1]


def test_the_contact_reads_and_signs_the_mandate(portal, mandate, contact):
    listed = portal.get("/portal/mandates/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Lire et signer" in html.unescape(listed)
    page = portal.get(f"/portal/mandates/{mandate.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "En attente de signature" in html.unescape(page.content.decode())
    shown = portal.get(f"/portal/mandates/{mandate.pk}/pdf/").content
    assert hashlib.sha256(shown).hexdigest() == shown_sha(page)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(shown)).pages)
    assert "Mandat de prélèvement SEPA" in text and "RUM-PORTAIL-1" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text  # in groups of four
    assert "FR76 3000 6000 0112 3456 7890 189" in html.unescape(page.content.decode())
    signed = portal.post(
        f"/portal/mandates/{mandate.pk}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": shown_sha(page)},
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR="203.0.113.7",
    )
    assert signed.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE and mandate.signed_on is not None
    page = portal.get(f"/portal/mandates/{mandate.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    shown_fr = html.unescape(page.content.decode())
    assert "Signé le" in shown_fr and "Signée le" not in shown_fr  # le mandat
    evidence = Acceptance.objects.get()
    assert (evidence.target_type, evidence.target_id) == ("receivables.mandate", str(mandate.pk))
    assert evidence.contact == contact and evidence.signer_name == "Jeanne Martin"
    assert evidence.ip == "203.0.113.7" and evidence.user_agent == UA
    assert evidence.document_sha256 == hashlib.sha256(shown).hexdigest()
    stored = PdfReader(io.BytesIO(bytes(evidence.signed_pdf)))
    assert len(stored.pages) == len(PdfReader(io.BytesIO(shown)).pages) + 1
    last = stored.pages[-1].extract_text()
    assert "Preuve d'acceptation" in last and evidence.document_sha256 in last
    assert "203.0.113.7" in last and "Jeanne Martin" in last
    assert "Adresse IP 203.0.113.7" in last  # a label, capitalised as the others
    assert portal.get(f"/portal/mandates/{mandate.pk}/pdf/").content == bytes(evidence.signed_pdf)
    assert AuditEvent.objects.filter(action="acceptance.recorded").count() == 1
    status = AuditEvent.objects.get(action="mandate.status_changed")
    assert status.details["online"] and status.details["evidence"] == evidence.pk


def test_a_mandate_changed_since_it_was_shown_needs_a_new_acceptance(portal, mandate):
    page = portal.get(f"/portal/mandates/{mandate.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    old_sha = shown_sha(page)
    Mandate.objects.filter(pk=mandate.pk).update(debtor_name="Client SA (nouvelle raison)")
    refused = portal.post(
        f"/portal/mandates/{mandate.pk}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": old_sha},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 409 and b'data-code="document_changed"' in refused.content
    assert "Le document a changé" in html.unescape(refused.content.decode())
    assert shown_sha(refused) != old_sha  # the page shows the new one, to read again
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.PENDING and not Acceptance.objects.exists()
    assert not AuditEvent.objects.filter(action="acceptance.recorded").exists()


def test_a_name_and_the_box_are_needed(portal, mandate):
    page = portal.get(f"/portal/mandates/{mandate.pk}/")
    refused = portal.post(
        f"/portal/mandates/{mandate.pk}/",
        {"signer_name": " ", "document_sha256": shown_sha(page)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 422
    text = html.unescape(refused.content.decode())
    assert "Saisissez votre nom : il vaut signature." in text and "Cochez la case" in text
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.PENDING and not Acceptance.objects.exists()


def test_a_mandate_not_pending_is_refused(mandate, contact, alice):
    from facturier.receivables import actions as receivables

    sha = hashlib.sha256(mandate_pdf(mandate, sepa=None, language="fr")).hexdigest()
    receivables.set_mandate_status(mandate, by=alice, status="revoked")
    with pytest.raises(NotAwaitingSignature) as refused:
        actions.accept_mandate(
            mandate.pk, contact=contact, signer_name="J", accepted=True, shown_sha256=sha
        )
    assert refused.value.code == "not_awaiting_signature"
    assert not Acceptance.objects.exists()


def test_the_same_mandate_renders_the_same_bytes(mandate):
    first = mandate_pdf(mandate, sepa=None, language="fr")
    assert mandate_pdf(mandate, sepa=None, language="fr") == first
    assert mandate_pdf(mandate, sepa=None, language="en") != first


def test_the_evidence_function_refuses_a_document_other_than_the_one_shown(mandate, contact):
    from facturier.portal.acceptance import record_acceptance

    with pytest.raises(DocumentChanged):
        record_acceptance(
            mandate,
            contact=contact,
            pdf=b"%PDF-1.7 other",
            shown_sha256="0" * 64,
            signer_name="Jeanne Martin",
            document_name="x",
            ip="",
            user_agent="",
            at=mandate.created_at,
            language="fr",
        )


def test_a_mandate_cannot_be_signed_before_the_firm_gives_its_creditor_identifier(
    portal, mandate, contact
):
    """A mandate names its creditor by the ICS: without it, the page says why there is
    nothing to sign (before a name is typed), and a signature posted all the same, or
    through the action, is refused with nothing written."""
    from facturier.portal.errors import CreditorUnknown
    from facturier.receivables.models import SepaSettings

    sha = hashlib.sha256(mandate_pdf(mandate, sepa=None, language="fr")).hexdigest()
    SepaSettings.objects.filter(firm_id=mandate.firm_id).update(creditor_id="")
    page = portal.get(f"/portal/mandates/{mandate.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    shown = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert "le cabinet n'a pas encore communiqué son identifiant créancier SEPA" in shown
    assert 'data-code="no_creditor_id"' in shown and "Signer le mandat" not in shown
    listed = html.unescape(
        portal.get("/portal/mandates/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert "Lire et signer" not in listed  # the list does not invite a signature either
    assert "Pourquoi il ne peut pas encore être signé" in listed
    posted = portal.post(
        f"/portal/mandates/{mandate.pk}/",
        {"signer_name": "Jeanne Martin", "accepted": "on", "document_sha256": sha},
    )
    assert posted.status_code == 409
    with pytest.raises(CreditorUnknown):
        actions.accept_mandate(
            mandate,
            contact=contact,
            signer_name="Jeanne Martin",
            accepted=True,
            shown_sha256=sha,
        )
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.PENDING and not Acceptance.objects.exists()
