"""What an invoice's e-mail says: default texts, placeholders, recipients.

Pure functions of an invoice (no writes); the send action and the e-mail dialog
both read them, so the preview is the message.
"""

import string

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter

from .models import Invoice

PLACEHOLDERS = ("number", "client", "total", "due_date", "firm")


def default_subject(language: str, kind: str = "invoice") -> str:
    with translation.override(language):
        if kind == "credit_note":
            return _("Credit note {number} from {firm}")
        if kind == "deposit":
            return _("Deposit invoice {number} from {firm}")
        return _("Invoice {number} from {firm}")


def default_message(language: str, kind: str = "invoice") -> str:
    with translation.override(language):
        if kind == "credit_note":
            return _(
                "Hello,\n\nPlease find attached credit note {number} for {total}."
                "\n\nKind regards,\n{firm}"
            )
        return _(
            "Hello,\n\nPlease find attached invoice {number} for {total}, due on {due_date}."
            "\n\nKind regards,\n{firm}"
        )


def placeholder_values(invoice: Invoice, language: str | None = None) -> dict[str, str]:
    """The placeholders' values, written as `language` (by default the client's) writes them."""
    fmt = Formatter(language or invoice.client.language, invoice.currency)
    return {
        "number": invoice.number or "",
        "client": invoice.client.name,
        # What the invoice asks to pay (its total, less any deposits it deducts).
        "total": fmt.money(invoice.amount_due),
        "due_date": fmt.date(invoice.due_date.isoformat() if invoice.due_date else None),
        "firm": invoice.firm.name,
    }


def check_placeholders(text: str, field: str) -> None:
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise Invalid(
            {field: [gettext_lazy("Unbalanced { or } in the text.")]}, codes={field: ["braces"]}
        ) from None
    if any(spec or conversion for _name, spec, conversion in fields):
        # A format specification ({total:>999999}) could make a message of any size.
        raise Invalid(
            {field: [_("Placeholders take no format: write them as {number}.")]},
            codes={field: ["placeholder_format"]},
        )
    unknown = sorted({name for name, _spec, _conversion in fields} - set(PLACEHOLDERS))
    if unknown:
        raise Invalid(
            {
                field: [
                    _("Unknown placeholder {%(name)s}; use %(known)s.")
                    % {"name": unknown[0], "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)}
                ]
            },
            codes={field: ["unknown_placeholder"]},
        )


def resolve(text: str, invoice: Invoice, language: str | None = None) -> str:
    return text.format_map(placeholder_values(invoice, language))


def recipients_for(invoice: Invoice) -> list[str]:
    contact = invoice.client.billing_contact
    return [contact.email] if contact else []
