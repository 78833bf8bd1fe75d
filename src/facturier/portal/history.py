"""The portal's lines on an invoice's history: the client opened it or downloaded it."""

from collections.abc import Iterable

from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from facturier.invoicing import history

# What the contact opened, kept in the event's details as one of these keys.
OPENED = {
    "page": pgettext_lazy("opened in the portal", "the invoice's page"),
    "pdf": pgettext_lazy("opened in the portal", "PDF"),
    "facturx": pgettext_lazy("opened in the portal", "Factur-X"),
    "ubl": pgettext_lazy("opened in the portal", "UBL"),
}


class InvoiceHistory(models.TextChoices):
    """The label completes "the invoice was ..."."""

    OPENED_BY_CLIENT = (
        "invoice.opened_by_client",
        pgettext_lazy("the invoice was", "opened by the client"),
    )


def describe(event) -> Iterable[SafeString | str]:
    """ " (Jeanne Martin, PDF)": who opened what (the row says when)."""
    details = event.details or {}
    what = OPENED.get(details.get("opened", ""), "")
    parts = [p for p in (details.get("contact_name", ""), str(what)) if p]
    if parts:
        yield format_html(" ({})", ", ".join(parts))


history.register(InvoiceHistory, describe=describe)
