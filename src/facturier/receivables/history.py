"""Receivables' lines on an invoice's history: money that paid it, and reminders."""

from collections.abc import Iterable

from django.db import models
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from facturier.invoicing import history


class InvoiceHistory(models.TextChoices):
    """The label completes "the invoice was ..."."""

    PAYMENT = "invoice.paid", pgettext_lazy("the invoice was", "paid")
    PAYMENT_REMOVED = (
        "invoice.payment_removed",
        pgettext_lazy("the invoice was", "no longer paid: a payment was removed"),
    )
    REMIND = "invoice.reminded", pgettext_lazy("the invoice was", "reminded")
    REMINDER_DELIVERED = (
        "invoice.reminder_emailed",
        pgettext_lazy("the invoice was", "reminded: the reminder was e-mailed"),
    )
    REMINDER_FAILED = (
        "invoice.reminder_failed",
        pgettext_lazy("the invoice was", "not reminded: the reminder's e-mail failed"),
    )
    REMINDER_REQUEUED = (
        "invoice.reminder_requeued",
        pgettext_lazy("the invoice was", "queued to be reminded again after a failed reminder"),
    )
    REMINDERS_PAUSED = (
        "invoice.reminders_paused",
        pgettext_lazy("the invoice was", "paused for reminders"),
    )
    REMINDERS_RESUMED = (
        "invoice.reminders_resumed",
        pgettext_lazy("the invoice was", "no longer paused for reminders"),
    )


def describe(event) -> Iterable[SafeString | str]:
    details = event.details or {}
    yield history.recipients(details)
    yield history.reason(details)
    yield history.amount_left(details)


history.register(InvoiceHistory, describe=describe)
