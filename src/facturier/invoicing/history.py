"""The invoice's history: each line is an event of the app that moved the invoice
(invoicing, receivables, e-invoicing...), read the way that app says.

Each app declares its events' names (a TextChoices whose labels complete "the
invoice was ...") and registers them with a describe function that turns an
event's details into the rest of the line, in the reader's language. Invoicing
only keeps the registry: it never decodes another app's details.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _

from facturier.core.formatting import Formatter
from facturier.firms import audit

from .lifecycle import Action, InvoiceStatus

# The rest of a line after its label, as parts joined by the registry ("" for none).
Describe = Callable[[models.Model], Iterable[SafeString | str]]


@dataclass(frozen=True)
class EventKind:
    name: str
    label: Promise
    describe: Describe


_kinds: dict[str, EventKind] = {}


def register(names: type[models.TextChoices], *, describe: Describe) -> None:
    """Declare an app's invoice events: their labels, and how their details read.
    A name is one app's: two apps declaring the same one is a mistake, said at start.
    The names are the audit trail's too (firms.audit): an invoice's history is the
    trail's rows about the invoice."""
    audit.declare(names)
    for member in names:
        known = _kinds.get(member.value)
        if known is not None and known.describe is not describe:
            raise ImproperlyConfigured(f"history event {member.value!r} is declared twice")
        _kinds[member.value] = EventKind(member.value, member.label, describe)


def label(name: str) -> str:
    kind = _kinds.get(name)
    return str(kind.label) if kind is not None else audit.label(name)


def describe(event) -> SafeString:
    """The line of the history after its time and actor: what happened, the status it
    moved the invoice between, and what the app that recorded it says of it."""
    kind = _kinds.get(event.action)
    line = format_html("{}", label(event.action))
    if event.from_status and event.to_status and event.from_status != event.to_status:
        line += format_html(
            " ({} → {})",
            InvoiceStatus(event.from_status).label,
            InvoiceStatus(event.to_status).label,
        )
    if kind is not None:
        line += format_html_join("", "{}", ((part,) for part in kind.describe(event)))
    return line


# --- parts every app's lines are made of --------------------------------------------


def money(amount, currency: str) -> str:
    return Formatter(get_language() or "en", currency or "EUR").money(Decimal(str(amount)))


def recipients(details: dict) -> SafeString | str:
    if not details.get("to"):
        return ""
    return format_html(", {} {}", _("to"), ", ".join(details["to"]))


def reason(details: dict) -> SafeString | str:
    """ " — <why>": in the reader's language when the app wrote it in each (`reasons`)."""
    said = (details.get("reasons") or {}).get(get_language() or "") or details.get("reason")
    return format_html(" — {}", said) if said else ""


def amount_left(details: dict) -> SafeString | str:
    """ ", 120,00 € (left to pay 80,00 €)": money moved on the invoice, and its balance."""
    if not details.get("amount"):
        return ""
    currency = details.get("currency") or "EUR"
    part = format_html(", {}", money(details["amount"], currency))
    if details.get("balance"):
        part += format_html(" ({} {})", _("left to pay"), money(details["balance"], currency))
    return part


# --- invoicing's own events -----------------------------------------------------------

# Why the system changed the status, kept in the event's details.
PAID_IN_FULL = "paid_in_full"
OWES_AGAIN = "balance_reopened"
WHY = {
    PAID_IN_FULL: _("paid in full"),
    OWES_AGAIN: _("a payment was removed: the invoice owes again"),
}


def _describe(event) -> Iterable[SafeString | str]:
    details = event.details or {}
    if event.action == Action.FINALIZE and details.get("number"):
        yield format_html(", {} {}", _("number"), details["number"])
    if event.action == Action.SEND and details.get("resend"):
        yield format_html(" ({})", pgettext("an invoice's sending", "again"))
    yield recipients(details)
    if details.get("refused"):
        yield format_html(" — {} {}", _("Refused for:"), ", ".join(details["refused"]))
    yield reason(details)
    yield amount_left(details)
    if event.action == Action.CREDIT and details.get("credit_note"):
        yield format_html(" — {}", details["credit_note"])
    deposits_moved = (Action.DEDUCT_DEPOSITS, Action.RELEASE_DEPOSITS)
    if event.action in deposits_moved and details.get("deposits"):
        yield format_html(" — {}", ", ".join(details["deposits"]))
    if details.get("why") in WHY:
        yield format_html(" — {}", WHY[details["why"]])


register(Action, describe=_describe)
