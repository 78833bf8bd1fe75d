"""The one way an invoice is closed or reopened, by a person or by the system."""

import datetime

from facturier.firms.models import User

from .. import lifecycle
from ..lifecycle import Action
from ..models import Invoice
from .audit import record_event


def change_status(
    invoice: Invoice,
    action: Action,
    *,
    by: User | None,
    at: datetime.datetime,
    why: str = "",
) -> Invoice:
    """Move the locked invoice along `action` (close or reopen), with its event.

    `by` None: the system did it, and `why` says why (kept in the event's details,
    which the history translates).
    """
    source, target = invoice.status, lifecycle.target(action)
    invoice.status = target
    if action == Action.CLOSE:
        invoice.closed_at, invoice.closed_by = at, by
    else:
        invoice.closed_at, invoice.closed_by = None, None
    invoice.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    record_event(
        invoice,
        action,
        by=by,
        from_status=source,
        to_status=target,
        at=at,
        details={"why": why} if why else None,
    )
    return invoice
