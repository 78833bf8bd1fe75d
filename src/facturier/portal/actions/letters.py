"""A contact accepts their client's engagement letter online."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import NotFound
from facturier.engagements import actions as engagements
from facturier.engagements.letter_models import EngagementLetter, LetterStatus
from facturier.firms.models import User

from ..acceptance import audit_acceptance, check_consent, record_acceptance
from ..errors import NotAwaitingSignature
from .links import contact_language


@action
def accept_letter(
    letter: EngagementLetter | int,
    *,
    by: User | None = None,
    contact,
    signer_name: str,
    accepted: bool,
    shown_sha256: str,
    ip: str = "",
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> EngagementLetter:
    """Accept the engagement letter sent to the contact's client: the evidence kept, the
    letter stored signed with its evidence page appended, the engagement's history told."""
    now = now or timezone.now()
    pk = letter.pk if isinstance(letter, EngagementLetter) else letter
    found = (
        EngagementLetter.objects.select_for_update()
        .select_related("engagement__client__firm")
        .filter(pk=pk, engagement__client_id=contact.client_id)
        .exclude(status=LetterStatus.DRAFT)
        .first()
    )
    if found is None:
        raise NotFound(_("No such engagement letter."))
    if found.status != LetterStatus.SENT or not found.is_current:
        raise NotAwaitingSignature(_("This engagement letter is not awaiting acceptance."))
    name = check_consent(signer_name=signer_name, accepted=accepted)
    evidence = record_acceptance(
        found,
        contact=contact,
        pdf=bytes(found.pdf),
        shown_sha256=shown_sha256,
        signer_name=name,
        document_name=_("Engagement letter %(reference)s, version %(version)s")
        % {"reference": found.engagement.reference, "version": found.version},
        ip=ip,
        user_agent=user_agent,
        at=now,
        language=contact_language(contact),
    )
    signed = engagements.sign_letter_online(
        found,
        contact=contact,
        signed_pdf=bytes(evidence.signed_pdf),
        evidence=evidence.pk,
        signer_name=name,
        now=now,
    )
    audit_acceptance(evidence, found, contact=contact, ip=ip)
    return signed
