"""What invoicing tells the apps above it, which it may not import (e-invoicing).

`InvoiceFinalized` is published inside the finalizing transaction: a subscriber that
writes (an outbox row) writes in the same transaction, or not at all. It is published
once the invoice passed every check and before its number is taken, so that the
numbering's lock is held only for the invoice's own writes: `invoice.number` and its
dates are not set yet (a subscriber that needs them reads them once it commits).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.events import publish
from facturier.firms import audit
from facturier.firms.models import User

from .models import Invoice


@dataclass(frozen=True, kw_only=True)
class InvoiceFinalized:
    invoice: Invoice
    by: User | None


def invoice_finalized(*, invoice: Invoice, by: User | None) -> None:
    publish(InvoiceFinalized(invoice=invoice, by=by))


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    TEMPLATE_CREATED = "template.created", _("template created")
    TEMPLATE_CHANGED = "template.changed", _("template changed")
    TEMPLATE_ARCHIVED = "template.archived", _("template archived")
    TEMPLATE_RESTORED = "template.restored", _("template restored")
    TEMPLATE_MADE_DEFAULT = "template.made_default", _("template made the default")
    NUMBERING_CHANGED = "numbering.changed", _("numbering changed")
    EMAIL_RETRIED = "email.retried", _("failed e-mail queued again")


audit.declare(AuditName)
