"""E-invoicing's lines on an invoice's history: its deposits and the platform's statuses."""

from collections.abc import Iterable

from django.db import models
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from facturier.invoicing import history


class InvoiceHistory(models.TextChoices):
    """The label completes "the invoice was ..."."""

    PLATFORM_DEPOSITED = (
        "invoice.platform_deposited",
        pgettext_lazy("the invoice was", "deposited with the e-invoicing platform"),
    )
    PLATFORM_FAILED = (
        "invoice.platform_failed",
        pgettext_lazy("the invoice was", "not deposited with the e-invoicing platform: failed"),
    )
    PLATFORM_REQUEUED = (
        "invoice.platform_requeued",
        pgettext_lazy(
            "the invoice was", "queued to be deposited with the e-invoicing platform again"
        ),
    )
    PLATFORM_STATUS = (
        "invoice.platform_status",
        pgettext_lazy("the invoice was", "given a status on the e-invoicing platform"),
    )


def describe(event) -> Iterable[SafeString | str]:
    yield history.reason(event.details or {})


history.register(InvoiceHistory, describe=describe)
