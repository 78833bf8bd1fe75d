"""Invoice statuses and the transitions between them, as data.

Rights are in permissions.py; this module only says which action applies to
which status and where it leads.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
    FINALIZED = "finalized", pgettext_lazy("invoice status", "Finalized")
    CLOSED = "closed", pgettext_lazy("invoice status", "Closed")


# Completes "the invoice is ...".
STATUS_PHRASE = {
    InvoiceStatus.DRAFT: pgettext_lazy("the invoice is", "a draft"),
    InvoiceStatus.FINALIZED: pgettext_lazy("the invoice is", "finalized"),
    InvoiceStatus.CLOSED: pgettext_lazy("the invoice is", "closed"),
}


class Action(models.TextChoices):
    """What invoicing does to an invoice; the label completes "the invoice was ...".

    The apps above record their own events on the invoice's history (payments,
    reminders, the platform's statuses) under names they declare (history.py)."""

    CREATE = "invoice.created", pgettext_lazy("the invoice was", "created")
    UPDATE = "invoice.edited", pgettext_lazy("the invoice was", "edited")
    DELETE = "invoice.deleted", pgettext_lazy("the invoice was", "deleted")
    FINALIZE = "invoice.finalized", pgettext_lazy("the invoice was", "finalized")
    SEND = "invoice.sent", pgettext_lazy("the invoice was", "sent")
    CLOSE = "invoice.closed", pgettext_lazy("the invoice was", "closed")
    REOPEN = "invoice.reopened", pgettext_lazy("the invoice was", "reverted to finalized")
    # What became of an e-mail: events, not transitions (the status stays Finalized).
    DELIVERED = "invoice.emailed", pgettext_lazy("the invoice was", "e-mailed")
    PARTLY_DELIVERED = (
        "invoice.partly_emailed",
        pgettext_lazy("the invoice was", "e-mailed, but some recipients were refused"),
    )
    DELIVERY_RETRY = (
        "invoice.email_deferred",
        pgettext_lazy("the invoice was", "not e-mailed yet: another attempt will follow"),
    )
    DELIVERY_FAILED = (
        "invoice.email_failed",
        pgettext_lazy("the invoice was", "not e-mailed: failed"),
    )
    DELIVERY_REQUEUED = (
        "invoice.email_requeued",
        pgettext_lazy("the invoice was", "queued to be e-mailed again after a failure"),
    )
    # A credit note issued on the invoice: lowers what it owes.
    CREDIT = "invoice.credited", pgettext_lazy("the invoice was", "credited by a credit note")
    # Made from work in progress: which entries, their value and what is billed.
    FROM_WIP = (
        "invoice.drafted_from_wip",
        pgettext_lazy("the invoice was", "drafted from work in progress"),
    )
    # Deposit invoices: one drafted, and the paid ones a draft deducts.
    DEPOSIT = "invoice.deposit_drafted", pgettext_lazy("the invoice was", "drafted as a deposit")
    DEDUCT_DEPOSITS = (
        "invoice.deposits_deducted",
        pgettext_lazy("the invoice was", "set to deduct the deposits paid"),
    )
    RELEASE_DEPOSITS = (
        "invoice.deposits_released",
        pgettext_lazy("the invoice was", "set to deduct no deposit"),
    )


class PaymentState(models.TextChoices):
    """Beside the status, how much of a finalized invoice was paid."""

    UNPAID = "unpaid", pgettext_lazy("payment state", "Unpaid")
    PARTLY_PAID = "partly_paid", pgettext_lazy("payment state", "Partially paid")
    PAID = "paid", pgettext_lazy("payment state", "Paid")
    OVERDUE = "overdue", pgettext_lazy("payment state", "Overdue")


def payment_states(invoice, today) -> list[PaymentState]:
    """What a person reads beside the status: e.g. partially paid and overdue, both."""
    state = payment_state(invoice, today)
    if state == PaymentState.OVERDUE and invoice.balance < _asked(invoice):
        return [PaymentState.PARTLY_PAID, PaymentState.OVERDUE]
    return [state] if state is not None else []


def payment_state(invoice, today) -> PaymentState | None:
    """None for a draft; overdue wins over unpaid and partially paid."""
    if invoice.balance is None:
        return None
    if invoice.balance <= 0:
        return PaymentState.PAID
    if invoice.due_date is not None and invoice.due_date < today:
        return PaymentState.OVERDUE
    if invoice.balance < _asked(invoice):
        return PaymentState.PARTLY_PAID
    return PaymentState.UNPAID


def _asked(invoice):
    """What the invoice asked to pay: its total less the deposits it deducts."""
    return invoice.total_gross - (invoice.prepaid or 0)


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[InvoiceStatus]
    target: InvoiceStatus | None  # None: the invoice is gone (delete), or stays as it is (credit)


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        Transition(Action.UPDATE, frozenset({InvoiceStatus.DRAFT}), InvoiceStatus.DRAFT),
        Transition(Action.DELETE, frozenset({InvoiceStatus.DRAFT}), None),
        Transition(Action.FINALIZE, frozenset({InvoiceStatus.DRAFT}), InvoiceStatus.FINALIZED),
        Transition(Action.SEND, frozenset({InvoiceStatus.FINALIZED}), InvoiceStatus.FINALIZED),
        Transition(Action.CLOSE, frozenset({InvoiceStatus.FINALIZED}), InvoiceStatus.CLOSED),
        Transition(Action.REOPEN, frozenset({InvoiceStatus.CLOSED}), InvoiceStatus.FINALIZED),
        # Crediting leaves the invoice's status as it is (its balance moves).
        Transition(Action.CREDIT, frozenset({InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED}), None),
    ]
}


def applies(action: Action, status: str) -> bool:
    return status in TRANSITIONS[action].sources


def target(action: Action) -> InvoiceStatus | None:
    return TRANSITIONS[action].target
