"""Evidence of a document accepted online, for any kind of document: the caller shows
the PDF, the contact types their name and ticks the acceptance; this keeps who, when,
from where and the SHA-256 of the exact bytes shown, with an evidence page appended to
the stored PDF. Called inside the accepting action (a mandate's, an engagement letter's).
"""

import datetime
import hashlib

from django.db import models
from django.utils.translation import gettext as _

from facturier.core.errors import Invalid
from facturier.firms import audit

from .documents import append_pages, evidence_page
from .errors import DocumentChanged
from .events import AuditName
from .models import Acceptance


def sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def check_consent(*, signer_name: str, accepted: bool) -> str:
    """The name typed (refused when empty) and the box ticked (refused when not)."""
    name = (signer_name or "").strip()[:200]
    errors, codes = {}, {}
    if not name:
        errors["signer_name"] = [_("Type your name: it stands for your signature.")]
        codes["signer_name"] = ["required"]
    if not accepted:
        errors["accepted"] = [_("Tick the box to accept the document.")]
        codes["accepted"] = ["required"]
    if errors:
        raise Invalid(errors, codes=codes)
    return name


def record_acceptance(
    target: models.Model,
    *,
    contact,
    pdf: bytes,
    shown_sha256: str,
    signer_name: str,
    document_name: str,
    ip: str,
    user_agent: str,
    at: datetime.datetime,
    language: str,
) -> Acceptance:
    """Keep the evidence; refused (document_changed) when `pdf` is not what was shown."""
    digest = sha256(pdf)
    if digest != (shown_sha256 or "").strip().lower():
        raise DocumentChanged()
    client = contact.client
    facts = {
        "document": document_name,
        "sha256": digest,
        "signer_name": signer_name,
        "contact": f"{contact.name} <{contact.email}>",
        "ip": ip or "—",
        "user_agent": (user_agent or "—")[:400],
    }
    with_page = append_pages(
        pdf,
        evidence_page(
            firm=client.firm,
            client=client,
            language=language,
            title=_("Evidence of acceptance"),
            evidence=facts,
            at=at,
        ),
    )
    return Acceptance.objects.create(
        firm_id=client.firm_id,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        contact=contact,
        contact_email=contact.email,
        signer_name=signer_name,
        accepted_at=at,
        ip=(ip or "")[:45],
        user_agent=(user_agent or "")[:400],
        document_sha256=digest,
        signed_pdf=with_page,
    )


def latest_acceptance(target: models.Model) -> Acceptance | None:
    return (
        Acceptance.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("-accepted_at", "-id")
        .first()
    )


def audit_acceptance(evidence: Acceptance, target: models.Model, *, contact, ip: str) -> None:
    """The firm's audit row of the acceptance (the accepting action's own row)."""
    audit.record(
        AuditName.DOCUMENT_ACCEPTED,
        evidence,
        by=None,
        firm_id=evidence.firm_id,
        details={
            "document": target._meta.label_lower,
            "id": target.pk,
            "contact": contact.pk,
            "sha256": evidence.document_sha256,
            "ip": ip,
        },
    )
