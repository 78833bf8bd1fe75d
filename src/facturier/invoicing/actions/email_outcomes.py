"""What became of an invoice's e-mail, recorded by the outbox worker.

The delivery's status and the invoice's sent date and count change together,
with an event on the invoice's history, in one transaction; and only if the
attempt that reports still holds the delivery (a worker whose lease ran out and
whose delivery another worker took reports nothing).
"""

from django.db.models import F
from django.utils import timezone

from facturier.core.actions import action
from facturier.outbox.engine import settle
from facturier.outbox.kinds import Outcome
from facturier.outbox.models import DeliveryStatus

from ..lifecycle import Action
from ..models import EmailDelivery, Invoice
from .audit import record_event


@action
def record_email_outcome(delivery: EmailDelivery, attempt: int, outcome: Outcome) -> bool:
    """Store the outcome of `attempt`; returns False if that attempt no longer held it."""
    at = timezone.now()
    refused = outcome.details.get("refused", {})
    fields = {"refused": refused}
    if outcome.status == DeliveryStatus.SENT:
        fields["sent_at"] = at
    already_held = delivery.held_since is not None
    if not settle(delivery, attempt, outcome, **fields):
        return False
    if already_held and outcome.details.get("held"):
        return True  # held still: the history said so at the first probe, not every minute
    invoice = delivery.invoice  # loaded with the delivery
    if outcome.status == DeliveryStatus.SENT:
        Invoice.objects.filter(pk=invoice.pk).update(
            last_sent_at=at, sent_count=F("sent_count") + 1
        )
        event = Action.PARTLY_DELIVERED if refused else Action.DELIVERED
        details = {"delivery": delivery.pk, "to": delivery.delivered_to}
        if refused:
            details["refused"] = refused
    else:
        event = (
            Action.DELIVERY_RETRY
            if outcome.status == DeliveryStatus.RETRYING
            else Action.DELIVERY_FAILED
        )
        details = {"delivery": delivery.pk, "attempt": attempt, "reason": outcome.reason}
        details |= {"reasons": outcome.texts} if outcome.texts else {}
        if outcome.status == DeliveryStatus.RETRYING:
            details["next_attempt_at"] = delivery.next_attempt_at.isoformat()
    record_event(invoice, event, by=None, at=at, details=details)
    return True
