"""Receivables' lines on an invoice's history: money that paid it, and reminders."""

from collections.abc import Iterable

from django.db import models
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from facturier.invoicing import history


class InvoiceHistory(models.TextChoices):
    """The label completes "the invoice was ..."."""

    PAYMENT = "payment", pgettext_lazy("the invoice was", "paid")
    PAYMENT_REMOVED = (
        "payment_removed",
        pgettext_lazy("the invoice was", "no longer paid: a payment was removed"),
    )
    REMIND = "remind", pgettext_lazy("the invoice was", "reminded")
    REMINDER_DELIVERED = (
        "reminder_delivered",
        pgettext_lazy("the invoice was", "reminded: the reminder was e-mailed"),
    )
    REMINDER_FAILED = (
        "reminder_failed",
        pgettext_lazy("the invoice was", "not reminded: the reminder's e-mail failed"),
    )
    REMINDER_REQUEUED = (
        "reminder_requeued",
        pgettext_lazy("the invoice was", "queued to be reminded again after a failed reminder"),
    )
    REMINDERS_PAUSED = "reminders_paused", pgettext_lazy("the invoice was", "paused for reminders")
    REMINDERS_RESUMED = (
        "reminders_resumed",
        pgettext_lazy("the invoice was", "no longer paused for reminders"),
    )


def describe(event) -> Iterable[SafeString | str]:
    details = event.details or {}
    yield history.recipients(details)
    yield history.reason(details)
    yield history.amount_left(details)


history.register(InvoiceHistory, describe=describe)
