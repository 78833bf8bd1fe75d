"""What receivables tells the apps above it: money recorded, changed, removed, and put
on invoices or taken off them. One function per event; each builds the event from
the rows the action just wrote and publishes it in the action's transaction
(`core.events`). E-invoicing listens, to report the money actually received.

A credit note's credit spent on an invoice is an allocation too, but no money was
received: `AllocationMade.payment_id` is None then, and `is_money_received` says so.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.core.events import publish
from facturier.firms import audit
from facturier.firms.models import User

from .models import Allocation, Payment


@dataclass(frozen=True, kw_only=True)
class PaymentRecorded:
    payment_id: int
    firm_id: int
    client_id: int
    amount: Decimal
    currency: str
    received_on: datetime.date
    by: User | None
    at: datetime.datetime


@dataclass(frozen=True, kw_only=True)
class PaymentChanged:
    payment_id: int
    firm_id: int
    received_on: datetime.date
    amount: Decimal
    # {field: [before, after]} for what changed.
    changes: dict[str, list]
    by: User | None
    at: datetime.datetime


@dataclass(frozen=True, kw_only=True)
class PaymentRemoved:
    payment_id: int
    firm_id: int
    by: User | None
    at: datetime.datetime


@dataclass(frozen=True, kw_only=True)
class AllocationMade:
    """Part of the client's money applied to one invoice."""

    allocation_id: int
    firm_id: int
    invoice_id: int
    amount: Decimal
    currency: str
    # The day the money counts for the invoice (the payment's date when it was recorded).
    on: datetime.date
    payment_id: int | None
    credit_note_id: int | None
    by: User | None
    at: datetime.datetime

    @property
    def is_money_received(self) -> bool:
        return self.payment_id is not None


@dataclass(frozen=True, kw_only=True)
class AllocationRemoved:
    allocation_id: int
    firm_id: int
    invoice_id: int
    amount: Decimal
    payment_id: int | None
    credit_note_id: int | None
    by: User | None
    at: datetime.datetime


def _actor(by) -> User | None:
    return by if getattr(by, "pk", None) else None


def payment_recorded(*, payment: Payment, by: User | None, at: datetime.datetime) -> None:
    publish(
        PaymentRecorded(
            payment_id=payment.pk,
            firm_id=payment.firm_id,
            client_id=payment.client_id,
            amount=payment.amount,
            currency=payment.currency,
            received_on=payment.received_on,
            by=_actor(by),
            at=at,
        )
    )


def payment_changed(
    *, payment: Payment, changes: dict[str, list], by: User | None, at: datetime.datetime
) -> None:
    publish(
        PaymentChanged(
            payment_id=payment.pk,
            firm_id=payment.firm_id,
            received_on=payment.received_on,
            amount=payment.amount,
            changes=dict(changes),
            by=_actor(by),
            at=at,
        )
    )


def payment_removed(*, payment: Payment, by: User | None, at: datetime.datetime) -> None:
    publish(PaymentRemoved(payment_id=payment.pk, firm_id=payment.firm_id, by=_actor(by), at=at))


def allocation_made(
    *, allocation: Allocation, currency: str, by: User | None, at: datetime.datetime
) -> None:
    if allocation.invoice_id is None:  # a refund: money leaves, no invoice is paid
        return
    publish(
        AllocationMade(
            allocation_id=allocation.pk,
            firm_id=allocation.firm_id,
            invoice_id=allocation.invoice_id,
            amount=allocation.amount,
            currency=currency,
            on=allocation.on,
            payment_id=allocation.payment_id,
            credit_note_id=allocation.credit_note_id,
            by=_actor(by),
            at=at,
        )
    )


def allocation_removed(*, allocation: Allocation, by: User | None, at: datetime.datetime) -> None:
    """Published before the row is deleted, so the event still names it."""
    if allocation.invoice_id is None:
        return
    publish(
        AllocationRemoved(
            allocation_id=allocation.pk,
            firm_id=allocation.firm_id,
            invoice_id=allocation.invoice_id,
            amount=allocation.amount,
            payment_id=allocation.payment_id,
            credit_note_id=allocation.credit_note_id,
            by=_actor(by),
            at=at,
        )
    )


class AuditName(models.TextChoices):
    """What this app's actions write in the firm's audit trail (firms/audit.py)."""

    PAYMENT_RECORDED = "payment.recorded", _("payment recorded")
    PAYMENT_UPDATED = "payment.updated", _("payment corrected")
    PAYMENT_DELETED = "payment.deleted", _("payment deleted")
    CREDIT_REFUNDED = "credit.refunded", _("credit refunded")
    CREDIT_UNALLOCATED = "credit.unallocated", _("allocation removed")
    CLIENT_STATEMENT_SENT = "client.statement_sent", _("statement of account sent")
    CLIENT_REMINDERS_PAUSED = "client.reminders_paused", _("reminders paused for a client")
    CLIENT_REMINDERS_RESUMED = "client.reminders_resumed", _("reminders resumed for a client")
    REMINDER_LEVELS_SAVED = "reminder_levels.saved", _("reminder levels saved")
    LEDGER_ACCOUNTS_SAVED = "ledger_accounts.saved", _("ledger accounts saved")
    BANK_CSV_COLUMNS_SAVED = "bank_csv_columns.saved", _("bank CSV columns saved")
    BANK_STATEMENT_IMPORTED = "bank_statement.imported", _("bank statement imported")
    LETTER_RETRIED = "letter.retried", _("failed letter queued again")
    SEPA_SETTINGS_SAVED = "sepa_settings.saved", _("direct-debit settings saved")
    MANDATE_CREATED = "mandate.created", _("direct-debit mandate created")
    MANDATE_STATUS_CHANGED = "mandate.status_changed", _("direct-debit mandate status changed")
    DEBIT_SCHEDULED = "debit.scheduled", _("direct debit scheduled")
    DEBIT_BATCH_EXPORTED = "debit_batch.exported", _("direct-debit batch exported")
    DEBIT_NOTICE_SENT = "debit.notice_sent", _("direct-debit pre-notification e-mailed")
    DEBIT_NOTICE_RETRYING = "debit.notice_retrying", _("pre-notification to be retried")
    DEBIT_NOTICE_REFUSED = "debit.notice_refused", _("pre-notification refused")
    DEBIT_SETTLED = "debit.settled", _("direct debit collected by the bank")
    DEBIT_RETURNED = "debit.returned", _("direct debit returned by the bank")


audit.declare(AuditName)
