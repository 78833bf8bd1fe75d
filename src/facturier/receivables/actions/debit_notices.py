"""The pre-notification of a direct debit: e-mailed to the client's billing contact
through the outbox when the debit is scheduled (so it leaves before the delay the
firm's terms give), in the client's language, with the amount, the collection date,
the mandate reference and the creditor identifier; its fate on the invoice's history."""

import datetime
from email.utils import make_msgid

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.invoicing.actions import HEADER_BREAKERS, MAX_SUBJECT
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from ..direct_debits import Debit, DebitNotice, SepaSettings
from ..events import AuditName

OUTCOME_NAMES = {
    DeliveryStatus.SENT: AuditName.DEBIT_NOTICE_SENT,
    DeliveryStatus.FAILED: AuditName.DEBIT_NOTICE_REFUSED,
}


def notice_recipient(client) -> str:
    """The billing contact's address; refused (no_recipient) when there is none."""
    contact = client.billing_contact
    if contact is None or not contact.email:
        raise Invalid(
            {
                "invoice": [
                    _("No one to pre-notify at %(client)s: add a billing contact with an e-mail.")
                    % {"client": client.name}
                ]
            },
            codes={"invoice": ["no_recipient"]},
        )
    return contact.email


def masked_iban(iban: str) -> str:
    """The account as the e-mail shows it: its last four characters only."""
    compact = "".join((iban or "").split())
    return f"…{compact[-4:]}" if compact else ""


def _texts(debit: Debit, sepa: SepaSettings | None, language: str) -> tuple[str, str]:
    firm, invoice = debit.invoice.firm, debit.invoice
    show = Formatter(language, "EUR")
    with translation.override(language):
        subject = _("Direct debit of %(amount)s on %(day)s (invoice %(invoice)s)") % {
            "amount": show.money(debit.amount),
            "day": show.date(debit.due_date),
            "invoice": invoice.number,
        }
        body = _(
            "Hello,\n\nWe will collect %(amount)s by SEPA direct debit on %(day)s for "
            "invoice %(invoice)s.\n\nMandate reference: %(mandate)s\nCreditor identifier: "
            "%(creditor)s\nAccount debited: %(iban)s\n\nKind regards,\n%(firm)s"
        ) % {
            "amount": show.money(debit.amount),
            "day": show.date(debit.due_date),
            "invoice": invoice.number,
            "mandate": debit.mandate.reference,
            "creditor": sepa.creditor_id if sepa else "",
            "iban": masked_iban(debit.mandate.iban),
            "firm": firm.name,
        }
    return HEADER_BREAKERS.sub(" ", subject)[:MAX_SUBJECT], body


def queue_notice(debit: Debit, *, to: str, now: datetime.datetime) -> DebitNotice:
    """The debit's pre-notification queued in the outbox (inside the scheduling action)."""
    firm = debit.invoice.firm
    language = debit.invoice.client.language or "fr"
    sepa = SepaSettings.objects.filter(firm_id=debit.firm_id).first()
    subject, body = _texts(debit, sepa, language)
    sender = firm.email_from or settings.DEFAULT_FROM_EMAIL
    return DebitNotice.objects.create(
        firm_id=debit.firm_id,
        debit=debit,
        to=[to],
        reply_to=firm.email_reply_to,
        from_email=sender,
        subject=subject,
        body=body,
        language=language,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        created_at=now,
        next_attempt_at=now,
    )


@action
def record_debit_notice_outcome(notice: DebitNotice, attempt: int, outcome: Outcome) -> bool:
    """What became of the pre-notification, on the invoice's history."""
    at = timezone.now()
    fields = {"refused": outcome.details.get("refused", {})}
    if outcome.status == DeliveryStatus.SENT:
        fields["sent_at"] = at
    if not settle(notice, attempt, outcome, **fields):
        return False
    debit = Debit.objects.select_related("invoice").get(pk=notice.debit_id)
    details = {"to": notice.to, "attempt": attempt, "due_date": debit.due_date}
    if outcome.status != DeliveryStatus.SENT:
        details["reason"] = outcome.reason
    audit.record(
        OUTCOME_NAMES.get(outcome.status, AuditName.DEBIT_NOTICE_RETRYING),
        debit.invoice,
        by=None,
        firm_id=debit.firm_id,
        at=at,
        details=details,
    )
    return True
