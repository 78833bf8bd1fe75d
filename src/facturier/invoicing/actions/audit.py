"""What every invoice action does first and last: read the invoice under a lock, and
write its audit event in the same transaction."""

import datetime
import functools
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from facturier.core.compiled_sql import (
    CompiledQuery,
    Markers,
    ValueKind,
    compile_query,
    insert,
    instances,
)
from facturier.core.converters import row_id
from facturier.core.errors import DomainError, NotFound
from facturier.firms import audit
from facturier.firms.models import AuditEvent

from .. import permissions
from ..models import Invoice

NO_SUCH_INVOICE = _("No such invoice.")


def record_event(invoice: Invoice, action: str, **fields) -> AuditEvent:
    """Save an event on the invoice's history (the fields as invoice_event takes them).
    `action`: a name declared on the history by the app recording it (history.py)."""
    event = invoice_event(invoice, action, **fields)
    insert([event])  # as save() writes it, without building the INSERT each time
    return event


def invoice_event(
    invoice: Invoice,
    action: str,
    *,
    by,
    from_status: str = "",
    to_status: str = "",
    at: datetime.datetime,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """The event, not saved yet: `record_event`, or many at once with bulk_create. A row
    of the firm's one audit trail, its target the invoice, named as its readers know it
    (its number, or #id for a draft: kept when a draft is deleted)."""
    return audit.event(
        action,
        invoice,
        by=by,
        firm_id=invoice.firm_id,
        at=at,
        details=details,
        target_name=invoice.number or f"#{invoice.pk}",
        from_status=from_status,
        to_status=to_status,
    )


def lock_invoice(invoice: Invoice | int, *, by) -> Invoice:
    """Re-read the invoice under a row lock; hide it if the user may not see it.

    Everything an action decides (the status, the rights) is read here, after the
    lock, so two actions racing on one invoice each see the other's result.
    """
    pk = row_id(invoice.pk if isinstance(invoice, Invoice) else invoice)
    statement = _locking(connection.vendor)
    found = [] if pk is None else instances(Invoice, statement, {"pk": pk}, related=LOCKED_WITH)
    if not found or (by is not None and not permissions.can_view(by, found[0])):
        raise NotFound(NO_SUCH_INVOICE)
    return found[0]


# What every action reads with the invoice (its rights and its documents need them).
LOCKED_WITH = ("firm", "client")


@functools.cache
def _locking(vendor: str) -> CompiledQuery:
    """lock_invoice's read: every action runs it first, and its three tables' columns
    made it the costliest statement to build (compiled once: core.compiled_sql)."""
    markers = Markers()
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(*LOCKED_WITH)
    return compile_query(invoice.filter(pk=markers.value("pk", ValueKind.INTEGER)), markers)


def require(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal
