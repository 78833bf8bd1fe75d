"""E-mails about a person's account, queued in the outbox in the caller's transaction
and carried out by the worker; and what the worker says came of each."""

import datetime
from email.utils import make_msgid

from django.conf import settings
from django.utils import timezone

from facturier.core.actions import action
from facturier.firms.models import Firm
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from ..models import AccountEmail


def queue_account_email(
    *, firm: Firm | None, purpose: str, to: str, subject: str, body: str, language: str
) -> AccountEmail:
    """One message for the worker, due now (called inside the asking action)."""
    sender = (firm.email_from if firm else "") or settings.DEFAULT_FROM_EMAIL
    now = timezone.now()
    return AccountEmail.objects.create(
        firm=firm,
        purpose=purpose,
        to=[to],
        from_email=sender,
        subject=subject,
        body=body,
        language=language,
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        created_at=now,
        next_attempt_at=now,
    )


@action
def record_account_email_outcome(
    item: AccountEmail, attempt: int, outcome: Outcome, *, at: datetime.datetime | None = None
) -> bool:
    """Store what attempt `attempt` came to (the worker's, no actor)."""
    fields = {"sent_at": at or timezone.now()} if outcome.status == DeliveryStatus.SENT else {}
    return settle(item, attempt, outcome, **fields)
