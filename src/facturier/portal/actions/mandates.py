"""A contact accepts their client's direct-debit mandate online."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import NotFound
from facturier.firms.models import User
from facturier.receivables import actions as receivables
from facturier.receivables.direct_debits import Mandate, SepaSettings

from ..acceptance import audit_acceptance, check_consent, record_acceptance
from ..documents import mandate_pdf
from ..errors import CreditorUnknown, NotAwaitingSignature
from ..selectors import names_its_creditor
from .links import contact_language


@action
def accept_mandate(
    mandate: Mandate | int,
    *,
    by: User | None = None,
    contact,
    signer_name: str,
    accepted: bool,
    shown_sha256: str,
    ip: str = "",
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> Mandate:
    """Sign a pending mandate of the contact's client: the evidence kept, the signed PDF
    stored with its evidence page, the mandate active from today."""
    now = now or timezone.now()
    pk = mandate.pk if isinstance(mandate, Mandate) else mandate
    found = (
        Mandate.objects.select_for_update()
        .select_related("client__firm")
        .filter(pk=pk, client_id=contact.client_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such mandate."))
    if found.status != Mandate.Status.PENDING:
        raise NotAwaitingSignature()
    sepa = SepaSettings.objects.filter(firm_id=found.firm_id).first()
    if not names_its_creditor(sepa):
        raise CreditorUnknown()
    name = check_consent(signer_name=signer_name, accepted=accepted)
    language = contact_language(contact)
    evidence = record_acceptance(
        found,
        contact=contact,
        pdf=mandate_pdf(found, sepa=sepa, language=language),
        shown_sha256=shown_sha256,
        signer_name=name,
        document_name=_("SEPA direct-debit mandate %(rum)s") % {"rum": found.reference},
        ip=ip,
        user_agent=user_agent,
        at=now,
        language=language,
    )
    signed = receivables.sign_mandate_online(
        found, contact=contact, on=timezone.localdate(now), evidence=evidence.pk
    )
    audit_acceptance(evidence, found, contact=contact, ip=ip)
    return signed
