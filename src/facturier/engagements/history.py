"""What each line of an engagement's history says in its Details column, read from the
audit row its action wrote, in the reader's language (amounts and dates by Babel)."""

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from facturier.core.formatting import Formatter, for_reader

from .events import AuditName

Details = Mapping[str, Any]


def _sent(details: Details, fmt: Formatter) -> str:
    return ", ".join(details.get("sent_to") or details.get("to") or ())


def _signed(details: Details, fmt: Formatter) -> str:
    if details.get("online"):
        return _("Accepted online by %(name)s") % {"name": details.get("signer", "")}
    if details.get("signed_on"):
        return _("Signed on %(date)s") % {"date": fmt.date(details["signed_on"])}
    return ""


def _ended(details: Details, fmt: Formatter) -> str:
    if not details.get("end_date"):
        return ""
    return _("Ends on %(date)s") % {"date": fmt.date(details["end_date"])}


def _deposit_drafted(details: Details, fmt: Formatter) -> str:
    if not details.get("amount"):
        return ""
    return _("%(amount)s excluding VAT") % {"amount": fmt.money(details["amount"])}


def _paused(details: Details, fmt: Formatter) -> str:
    if not details.get("from"):
        return ""
    return _("From %(date)s") % {"date": fmt.date(details["from"])}


def _resumed(details: Details, fmt: Formatter) -> str:
    if details.get("catch_up"):
        return _("The periods due while paused are billed")
    return _("Periods skipped: %(count)s") % {"count": details.get("skipped", 0)}


def _revised(details: Details, fmt: Formatter) -> str:
    if details.get("percent") is None or not details.get("date"):
        return ""
    percent = Decimal(str(details["percent"]))
    sign = "+" if percent >= 0 else "−"
    return _("%(change)s from %(date)s") % {
        "change": sign + fmt.percent(abs(percent)),
        "date": fmt.date(details["date"]),
    }


DESCRIBE: dict[str, Callable[[Details, Formatter], str]] = {
    AuditName.LETTER_SENT: _sent,
    AuditName.LETTER_DELIVERED: _sent,
    AuditName.LETTER_RETRYING: lambda details, fmt: str(details.get("reason", "")),
    AuditName.LETTER_REFUSED: lambda details, fmt: str(details.get("reason", "")),
    AuditName.LETTER_SIGNED: _signed,
    AuditName.ENDED: _ended,
    AuditName.DEPOSIT_DRAFTED: _deposit_drafted,
    AuditName.DEPOSIT_DEDUCTED: lambda details, fmt: str(details.get("deposit", "")),
    AuditName.DEPOSIT_WAITS: lambda details, fmt: str(details.get("reason", "")),
    AuditName.PAUSED: _paused,
    AuditName.RESUMED: _resumed,
    AuditName.REVISED: _revised,
}


def describe(action: str, details: Details | None, currency: str = "EUR") -> str:
    """The Details column of a history row ("" when its action says nothing more)."""
    found = DESCRIBE.get(action)
    return found(details or {}, for_reader(currency)) if found else ""
