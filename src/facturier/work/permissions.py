"""Who may record and see work.

Recording needs "process own entries" (for oneself) or "process all staff entries"
(for anyone of the firm, a manager entering for others), on any client of the firm:
staff work on clients they do not own. Seeing work in progress follows the invoices'
rule: owners of the client, or the processing permission.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.clients.permissions import in_a_firm, visible_clients
from facturier.core.errors import NotAllowed
from facturier.firms.permissions import holds

from .models import Entry

OWN = "work.process_own_entries"
ALL = "work.process_all_entries"
NO_ENTRY_RIGHT = _("You lack the right to record time and expenses.")
NOT_FOR_OTHERS = _("You may record only your own entries.")


def may_record_for(user, staff_id: int) -> NotAllowed | None:
    if not in_a_firm(user):
        return NotAllowed(NO_ENTRY_RIGHT)
    if holds(user, ALL):
        return None
    if not holds(user, OWN):
        return NotAllowed(NO_ENTRY_RIGHT)
    return None if staff_id == user.pk else NotAllowed(NOT_FOR_OTHERS)


def may_record(user) -> bool:
    return in_a_firm(user) and (holds(user, OWN) or holds(user, ALL))


def visible_entries(user) -> QuerySet[Entry]:
    """Work in progress as invoices are seen (owners, or processing), plus one's own."""
    if not in_a_firm(user):
        return Entry.objects.none()
    from django.db.models import Q

    return Entry.objects.filter(firm_id=user.firm_id).filter(
        Q(client__in=visible_clients(user)) | Q(staff_id=user.pk)
    )
