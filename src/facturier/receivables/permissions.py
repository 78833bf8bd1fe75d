"""Who may see and change payments.

Recording, editing and removing payments and their allocations needs the
processing permission (as closing an invoice does). Seeing a payment follows
seeing its client: owners see their clients' payments, the processing permission
sees the firm's.
"""

from django.db.models import QuerySet

from facturier.clients.permissions import in_a_firm, lacking_processing, visible_clients
from facturier.core.errors import NotAllowed

from .models import Payment


def payment_refusal(user) -> NotAllowed | None:
    lack = lacking_processing(user)
    return None if lack is None else NotAllowed(lack)


def may_record(user) -> bool:
    return payment_refusal(user) is None


def visible_payments(user) -> QuerySet[Payment]:
    if not in_a_firm(user):
        return Payment.objects.none()
    return Payment.objects.filter(firm_id=user.firm_id, client__in=visible_clients(user))
