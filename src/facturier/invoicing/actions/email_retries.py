"""A failed e-mail of an invoice queued again, when a person asks: one, or every one
the person may send. Who may send the invoice may retry its e-mail, while it may be
sent (finalized); the e-mail keeps its Message-ID, so it is the same message, late."""

import datetime

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.converters import row_id
from facturier.core.errors import NotFound
from facturier.firms import audit
from facturier.firms.models import AuditEvent, User
from facturier.outbox import engine
from facturier.outbox.models import DeliveryStatus
from facturier.outbox.retrying import requeue_one

from .. import permissions
from ..events import AuditName
from ..lifecycle import Action, InvoiceStatus
from ..models import EmailDelivery
from .audit import invoice_event, lock_invoice, require
from .balances import lock_invoices

NO_SUCH_EMAIL = _("No such e-mail.")


@action
def retry_email(
    delivery: EmailDelivery | int, *, by: User, now: datetime.datetime | None = None
) -> EmailDelivery:
    """Queue a failed e-mail again; refused for one sent or under way (409)."""
    now = clock.now(now)
    pk = row_id(delivery.pk if isinstance(delivery, EmailDelivery) else delivery)
    found = None
    if pk is not None and getattr(by, "firm_id", None):
        found = EmailDelivery.objects.filter(pk=pk, firm_id=by.firm_id).first()
    if found is None:
        raise NotFound(NO_SUCH_EMAIL)
    invoice = lock_invoice(found.invoice_id, by=by)
    require(permissions.refusal("retry", by, invoice))
    requeue_one(found, now=now)
    _record([found], {invoice.pk: invoice}, by=by, now=now)
    return found


@action
def retry_failed_emails(*, by: User, now: datetime.datetime | None = None) -> list[EmailDelivery]:
    """Queue again every failed e-mail of an invoice the user may send, unless a later
    e-mail of the invoice replaced it (a resend went, or is on its way)."""
    now = clock.now(now)
    require(permissions.lacking(by, None, permissions.Need.PROCESSING))
    later = EmailDelivery.objects.filter(invoice_id=OuterRef("invoice_id"), pk__gt=OuterRef("pk"))
    failed = EmailDelivery.objects.filter(
        firm_id=by.firm_id,
        status=DeliveryStatus.FAILED,
        invoice__status=InvoiceStatus.FINALIZED,
        invoice__client_id__in=permissions.owned_client_ids(by),
    ).exclude(Exists(later))
    ids = set(failed.values_list("invoice_id", flat=True))
    invoices = lock_invoices(ids, by=by, firm_id=by.firm_id, related=("client",))
    mine = [pk for pk, invoice in invoices.items() if permissions.may("retry", by, invoice)]
    # Read again under the invoices' locks: what another retry queued meanwhile is left.
    deliveries = list(failed.filter(invoice_id__in=mine).order_by("pk"))
    engine.requeue(EmailDelivery.objects.filter(pk__in=[d.pk for d in deliveries]), now=now)
    _record(deliveries, invoices, by=by, now=now)
    return deliveries


def _record(deliveries: list[EmailDelivery], invoices: dict, *, by, now) -> None:
    """Each e-mail's line on its invoice's history, and the audit trail's row."""
    AuditEvent.objects.bulk_create(
        invoice_event(
            invoices[delivery.invoice_id],
            Action.DELIVERY_REQUEUED,
            by=by,
            at=now,
            details={"delivery": delivery.pk, "to": delivery.to},
        )
        for delivery in deliveries
    )
    for delivery in deliveries:
        audit.record(
            AuditName.EMAIL_RETRIED,
            delivery,
            by=by,
            firm_id=delivery.firm_id,
            at=now,
            details={"invoice": delivery.invoice_id, "to": delivery.to},
        )
